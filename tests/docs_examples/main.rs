//! The README and every page under `docs/` are run: each command they show
//! is run, and what they say it prints is compared with what it prints.
//!
//! How a page says it, so that it reads naturally:
//!
//! - A ```` ```sh ```` block holds commands, run one after the other in a
//!   scratch folder of their own (a copy of `scenarios/`, `tests/` inputs
//!   and the lease lock's scenarios), so nothing is written into the
//!   repository. `cargo run --release -- ARGS`, `./target/release/dsim ARGS`
//!   and `dsim ARGS` all run the `dsim` this test was built with.
//! - `# ` lines right under a command are what it prints (an excerpt).
//! - A plain ```` ``` ```` block after a ```` ```sh ```` block (prose may
//!   stand between them) is what the block's last command prints.
//! - `<!-- output of: CMD -->` before a plain block makes it the output of
//!   CMD, run for it; `<!-- setup: CMD -->` (one or more) before a block
//!   runs CMD first, its output unchecked (the run that writes a repro).
//! - `<!-- not run: REASON -->` before a block skips it, with the reason
//!   in the page for its readers (a sweep of minutes, a browser...).
//!   Other fences (`toml`, `yaml`, `rust`, `text`...) are not run here.
//!
//! What a page shows is an excerpt: its lines must appear in order and
//! consecutive, except that a line `...` stands for any lines, and a line
//! ending in ` ...` matches by its beginning. Wall time, events/s, seeds/s
//! and the number of workers are masked on both sides (`check::mask`);
//! everything else is compared exactly. Output is stdout, or stderr for
//! a command that exits 2 (bad input), which only an excerpt beginning
//! with `error` may do; exit codes 0 and 1 are verdicts, 3 and above fail.
//!
//! `DSIM_DOCS_BLESS=1` writes `README.md.new` (or `docs/X.md.new`) with
//! each failing excerpt replaced by the command's whole output, for a
//! person to trim and review with `diff`; the pages are never rewritten.

mod check;
mod parse;

use parse::{Job, Page};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// The pages checked: the README and every page under docs/.
fn pages() -> Vec<String> {
    let mut pages = vec!["README.md".to_string()];
    let mut docs: Vec<String> = std::fs::read_dir(root().join("docs"))
        .expect("docs/")
        .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".md"))
        .map(|n| format!("docs/{n}"))
        .collect();
    docs.sort();
    pages.extend(docs);
    pages
}

/// What a block's commands may read, copied into its scratch folder.
const INPUTS: &[&str] = &[
    "scenarios",
    "tests/regressions",
    "tests/bad-input",
    "tests/fixtures",
    "tests/histories",
    "examples/lease-lock/scenarios",
];

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).expect("scratch folder");
    for entry in std::fs::read_dir(from).expect("input folder") {
        let entry = entry.expect("entry");
        let target = to.join(entry.file_name());
        if entry.file_type().expect("type").is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), &target).expect("copy");
        }
    }
}

struct Ran {
    code: i32,
    output: String,
}

fn run(cmd: &str, dir: &Path) -> Ran {
    let bin = PathBuf::from(env!("CARGO_BIN_EXE_dsim"));
    let path =
        format!("{}:{}", bin.parent().expect("bin dir").display(), std::env::var("PATH").unwrap_or_default());
    let o = Command::new("sh")
        .arg("-c")
        .arg(cmd)
        .current_dir(dir)
        .env("PATH", path)
        .env("NO_COLOR", "1")
        .output()
        .expect("sh runs");
    let code = o.status.code().unwrap_or(-1);
    let stream = if code == 2 { &o.stderr } else { &o.stdout };
    Ran { code, output: String::from_utf8_lossy(stream).into_owned() }
}

/// A failing check: where, what, and what to put there instead (bless).
struct Failure {
    message: String,
    replace: Option<((usize, usize), Vec<String>)>,
}

fn run_job(n: usize, job: &Job) -> Vec<Failure> {
    let dir = std::env::temp_dir().join(format!("dsim-docs-{}-{n}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    for input in INPUTS {
        copy_dir(&root().join(input), &dir.join(input));
    }
    let mut failures = Vec::new();
    for cmd in &job.setup {
        let r = run(cmd, &dir);
        if r.code > 1 {
            failures.push(Failure {
                message: format!("{}: setup `{cmd}` exited {}:\n{}", job.place, r.code, r.output),
                replace: None,
            });
        }
    }
    for cmd in &job.commands {
        let r = run(&cmd.text, &dir);
        let actual: Vec<&str> = r.output.lines().collect();
        let expects_error = cmd
            .expected
            .as_ref()
            .and_then(|e| e.text.iter().find(|l| !l.trim().is_empty()))
            .is_some_and(|l| l.trim_start().starts_with("error"));
        let code_ok = match r.code {
            0 | 1 => !expects_error,
            2 => expects_error,
            _ => false,
        };
        if !code_ok {
            failures.push(Failure {
                message: format!("{}: `{}` exited {}:\n{}", cmd.place, cmd.text, r.code, r.output),
                replace: None,
            });
            continue;
        }
        if let Some(e) = &cmd.expected {
            if !check::shows(&e.text, &actual, e.as_comments) {
                let prefix = if e.as_comments { "# " } else { "" };
                let whole: Vec<String> =
                    actual.iter().map(|l| format!("{prefix}{l}").trim_end().to_string()).collect();
                failures.push(Failure {
                    message: format!(
                        "{}: `{}` does not print what {} shows.\n--- the page:\n{}\n--- the command:\n{}",
                        cmd.place,
                        cmd.text,
                        e.place,
                        e.text.join("\n"),
                        r.output
                    ),
                    replace: Some((e.lines, whole)),
                });
            }
        }
    }
    let _ = std::fs::remove_dir_all(&dir);
    failures
}

/// `DSIM_DOCS_BLESS=1`: the page with each failing excerpt replaced, as
/// `PAGE.new` next to it.
fn bless(page: &str, text: &str, mut replacements: Vec<((usize, usize), Vec<String>)>) {
    let mut lines: Vec<String> = text.lines().map(str::to_string).collect();
    replacements.sort_by_key(|(range, _)| std::cmp::Reverse(range.0));
    for ((first, last), new) in replacements {
        lines.splice(first - 1..last, new);
    }
    let path = root().join(format!("{page}.new"));
    std::fs::write(&path, lines.join("\n") + "\n").expect("write .new");
    eprintln!("wrote {} (review it with diff; the page itself is unchanged)", path.display());
}

#[test]
fn every_command_in_the_readme_and_docs_prints_what_they_say() {
    let mut read: Vec<(String, String, Page)> = Vec::new();
    for page in pages() {
        let text = std::fs::read_to_string(root().join(&page)).expect("page");
        let p = parse::read(&page, &text);
        read.push((page, text, p));
    }
    let mut errors: Vec<String> = read.iter().flat_map(|(_, _, p)| p.errors.clone()).collect();
    let jobs: Vec<(usize, &Job)> =
        read.iter().enumerate().flat_map(|(k, (_, _, p))| p.jobs.iter().map(move |j| (k, j))).collect();
    assert!(jobs.len() >= 10, "the harness found only {} blocks to run", jobs.len());

    // Blocks run in parallel; each one's commands in order.
    let next = AtomicUsize::new(0);
    let results: Mutex<Vec<(usize, Failure)>> = Mutex::new(Vec::new());
    std::thread::scope(|s| {
        for _ in 0..3 {
            s.spawn(|| loop {
                let i = next.fetch_add(1, Ordering::SeqCst);
                let Some((page, job)) = jobs.get(i) else { break };
                let failures = run_job(i, job);
                results.lock().expect("lock").extend(failures.into_iter().map(|f| (*page, f)));
            });
        }
    });
    let results = results.into_inner().expect("lock");
    for (_, f) in &results {
        errors.push(f.message.clone());
    }
    if std::env::var_os("DSIM_DOCS_BLESS").is_some() {
        for (k, (page, text, _)) in read.iter().enumerate() {
            let replacements: Vec<_> =
                results.iter().filter(|(p, _)| *p == k).filter_map(|(_, f)| f.replace.clone()).collect();
            if !replacements.is_empty() {
                bless(page, text, replacements);
            }
        }
    }
    for (_, _, p) in &read {
        for (place, reason) in &p.skipped {
            eprintln!("not run: {place}: {reason}");
        }
    }
    assert!(errors.is_empty(), "{} problem(s):\n\n{}", errors.len(), errors.join("\n\n"));
}
