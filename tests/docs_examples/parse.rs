//! Reads a Markdown page into the jobs the harness runs: which commands,
//! what they must print, and the blocks deliberately not run.

/// A line of a page the reader can be sent to.
#[derive(Clone, Debug)]
pub struct Place {
    pub file: String,
    pub line: usize,
}

impl std::fmt::Display for Place {
    fn fmt(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        write!(f, "{}:{}", self.file, self.line)
    }
}

/// What a command must print: lines in order, consecutive except where a
/// `...` line stands; a line ending in ` ...` matches by its beginning.
#[derive(Clone, Debug)]
pub struct Expected {
    pub place: Place,
    /// The lines of the page that hold it (first, last), for bless.
    pub lines: (usize, usize),
    /// `#` comment lines rather than an output block.
    pub as_comments: bool,
    pub text: Vec<String>,
}

#[derive(Clone, Debug)]
pub struct Cmd {
    pub place: Place,
    pub text: String,
    pub expected: Option<Expected>,
}

/// One block and what it needs: run in a scratch folder of its own.
#[derive(Clone, Debug)]
pub struct Job {
    pub place: Place,
    pub setup: Vec<String>,
    pub commands: Vec<Cmd>,
}

/// A page read: the jobs to run and the blocks skipped, with their reasons.
#[derive(Debug, Default)]
pub struct Page {
    pub jobs: Vec<Job>,
    pub skipped: Vec<(Place, String)>,
    pub errors: Vec<String>,
}

/// `cargo run --release -- ARGS` and `./target/release/dsim ARGS` are
/// `dsim ARGS` (the harness puts the built binary first on the PATH).
fn as_dsim(line: &str) -> String {
    for prefix in ["cargo run --release -- ", "./target/release/dsim "] {
        if let Some(rest) = line.strip_prefix(prefix) {
            return format!("dsim {rest}");
        }
    }
    line.to_string()
}

fn directive<'a>(line: &'a str, name: &str) -> Option<&'a str> {
    let inner = line.trim().strip_prefix("<!--")?.strip_suffix("-->")?.trim();
    inner.strip_prefix(name)?.strip_prefix(':').map(str::trim)
}

pub fn read(file: &str, text: &str) -> Page {
    let lines: Vec<&str> = text.lines().collect();
    let mut page = Page::default();
    let place = |line: usize| Place { file: file.to_string(), line };
    // Directives seen since the last fenced block.
    let mut not_run: Option<String> = None;
    let mut setup: Vec<String> = Vec::new();
    let mut output_of: Option<String> = None;
    // The job of the last ```sh block, while no other fence came after it.
    let mut open: Option<usize> = None;
    let mut i = 0;
    while i < lines.len() {
        let line = lines[i];
        if let Some(reason) = directive(line, "not run") {
            if reason.is_empty() {
                page.errors.push(format!("{}: `not run` needs a reason", place(i + 1)));
            }
            not_run = Some(reason.to_string());
        } else if let Some(cmd) = directive(line, "setup") {
            setup.push(as_dsim(cmd));
        } else if let Some(cmd) = directive(line, "output of") {
            output_of = Some(as_dsim(cmd));
        }
        let Some(info) = line.strip_prefix("```") else {
            i += 1;
            continue;
        };
        let start = i + 1;
        let mut end = start;
        while end < lines.len() && lines[end].trim_end() != "```" {
            end += 1;
        }
        let body = &lines[start..end.min(lines.len())];
        let info = info.trim();
        let skipped = not_run.take();
        let block_setup = std::mem::take(&mut setup);
        let block_output_of = output_of.take();
        match (info, skipped) {
            ("sh" | "", Some(reason)) => {
                page.skipped.push((place(start), reason));
                open = None;
            }
            ("sh", None) => {
                let mut commands: Vec<Cmd> = Vec::new();
                for (k, l) in body.iter().enumerate() {
                    let n = start + k + 1;
                    if let Some(comment) = l.strip_prefix('#') {
                        let text = comment.strip_prefix(' ').unwrap_or(comment).to_string();
                        match commands.last_mut() {
                            Some(c) => {
                                let e = c.expected.get_or_insert_with(|| Expected {
                                    place: place(n),
                                    lines: (n, n),
                                    as_comments: true,
                                    text: Vec::new(),
                                });
                                e.lines.1 = n;
                                e.text.push(text);
                            }
                            None => page.errors.push(format!("{}: a `#` line before any command", place(n))),
                        }
                    } else if !l.trim().is_empty() {
                        commands.push(Cmd { place: place(n), text: as_dsim(l.trim()), expected: None });
                    }
                }
                page.jobs.push(Job { place: place(start), setup: block_setup, commands });
                open = Some(page.jobs.len() - 1);
            }
            ("", None) => {
                let expected = Expected {
                    place: place(start),
                    lines: (start + 1, end),
                    as_comments: false,
                    text: body.iter().map(|l| l.to_string()).collect(),
                };
                if let Some(cmd) = block_output_of {
                    let command = Cmd { place: place(start - 1), text: cmd, expected: Some(expected) };
                    page.jobs.push(Job { place: place(start), setup: block_setup, commands: vec![command] });
                } else if let Some(j) = open.take() {
                    let last = page.jobs[j].commands.last_mut();
                    match last {
                        Some(c) if c.expected.is_none() => c.expected = Some(expected),
                        _ => page.errors.push(format!(
                            "{}: an output block after a command that already shows its output",
                            place(start)
                        )),
                    }
                } else {
                    page.errors.push(format!(
                        "{}: an output block (a ``` fence with no language) that follows no ```sh block; \
                         precede it with <!-- output of: CMD --> or <!-- not run: REASON -->, \
                         or fence it as ```text",
                        place(start)
                    ));
                }
            }
            _ => open = None,
        }
        i = end + 1;
    }
    page
}
