//! Colour on a terminal: verdicts, findings, warnings and errors stand out.
//!
//! Reports produce plain text (and spell out any control character a
//! protocol or a scenario wrote); colour is added here, to dsim's own
//! words only, after that. `anstream` then strips it again unless the
//! stream is a terminal, or when `NO_COLOR` is set; `CLICOLOR_FORCE=1`
//! keeps it in a pipe.

use anstyle::{AnsiColor, Style};
use std::io::Write;

const BAD: Style = AnsiColor::Red.on_default().bold();
const GOOD: Style = AnsiColor::Green.on_default().bold();
const WARN: Style = AnsiColor::Yellow.on_default().bold();

/// Words that open a line (after its indentation), with their style.
const OPENINGS: &[(&str, Style)] = &[
    ("result: ok", GOOD),
    ("result: VIOLATION", BAD),
    ("result: LIMIT", WARN),
    ("FINDING", BAD),
    ("NOT DETERMINISTIC", BAD),
    ("NOT linearizable", BAD),
    ("DIVERGED", BAD),
    ("reproduced:", GOOD),
    ("deterministic:", GOOD),
    ("linearizable:", GOOD),
    ("no finding", GOOD),
    ("unknown:", WARN),
    ("incomplete:", WARN),
    ("warning:", WARN),
    ("error:", BAD),
];

/// `text` with the openings of its lines coloured.
pub fn paint(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 64);
    for line in text.split_inclusive('\n') {
        let body = line.trim_start();
        let indent = &line[..line.len() - body.len()];
        match OPENINGS.iter().find(|(word, _)| body.starts_with(word)) {
            Some((word, style)) => {
                out.push_str(indent);
                out.push_str(&format!("{style}{word}{style:#}"));
                out.push_str(&body[word.len()..]);
            }
            None => out.push_str(line),
        }
    }
    out
}

/// Prints dsim's text on standard output (or standard error, when standard
/// output carries a file), coloured where the stream allows.
pub fn print(text: &str, to_stderr: bool) {
    let painted = paint(text);
    // A reader that went away (`| head`) is not an error worth a panic.
    let _ = if to_stderr {
        anstream::stderr().lock().write_all(painted.as_bytes())
    } else {
        anstream::stdout().lock().write_all(painted.as_bytes())
    };
}

/// Prints on standard error, coloured where it allows.
pub fn eprint(text: &str) {
    print(text, true);
}

#[cfg(test)]
mod tests {
    #[test]
    fn only_dsim_words_at_line_starts_are_painted() {
        let painted = super::paint("result: VIOLATION\n  FINDING x\nthe FINDING in a message\n");
        assert!(painted.starts_with("\u{1b}["), "{painted:?}");
        assert!(painted.contains("  \u{1b}["), "{painted:?}");
        assert!(painted.ends_with("the FINDING in a message\n"), "{painted:?}");
    }
}
