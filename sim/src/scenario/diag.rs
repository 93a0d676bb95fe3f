//! Errors in user files, shown the way rustc shows them: the file, line and
//! column, the offending line with a marker under the place, what was
//! expected.

use serde::Serialize;
use std::fmt;
use std::ops::Range;

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Location {
    /// 1-based.
    pub line: usize,
    /// 1-based, in characters.
    pub column: usize,
    /// The text of the line.
    #[serde(skip)]
    pub text: String,
    /// How many characters to mark.
    #[serde(skip)]
    pub width: usize,
}

impl Location {
    /// The location of `span` in `source`.
    pub fn of(source: &str, span: Range<usize>) -> Location {
        let start = floor_char_boundary(source, span.start.min(source.len()));
        let line_start = source[..start].rfind('\n').map_or(0, |i| i + 1);
        let line_end = source[start..].find('\n').map_or(source.len(), |i| start + i);
        let text = source[line_start..line_end].trim_end_matches('\r').to_string();
        let line = source[..start].matches('\n').count() + 1;
        let column = source[line_start..start].chars().count() + 1;
        let end = floor_char_boundary(source, span.end.clamp(start, line_end));
        let width = source[start..end].chars().count().max(1);
        Location { line, column, text, width }
    }
}

fn floor_char_boundary(s: &str, mut i: usize) -> usize {
    while i > 0 && !s.is_char_boundary(i) {
        i -= 1;
    }
    i
}

/// An error in a file the user wrote, with where it is and what would fix it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Diagnostic {
    pub path: String,
    pub message: String,
    #[serde(flatten, skip_serializing_if = "Option::is_none")]
    pub location: Option<Location>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub help: Option<String>,
}

impl Diagnostic {
    /// An error at `span` of `source` (or at no particular place).
    pub fn new(
        path: &str,
        source: &str,
        span: Option<Range<usize>>,
        message: impl Into<String>,
    ) -> Diagnostic {
        Diagnostic {
            path: path.to_string(),
            message: message.into(),
            location: span.map(|s| Location::of(source, s)),
            help: None,
        }
    }

    /// An error about a file as a whole (unreadable, empty...).
    pub fn file(path: &str, message: impl Into<String>) -> Diagnostic {
        Diagnostic { path: path.to_string(), message: message.into(), location: None, help: None }
    }

    pub fn with_help(mut self, help: impl Into<String>) -> Diagnostic {
        self.help = Some(help.into());
        self
    }

    /// A toml error, with its span.
    pub fn from_toml(path: &str, source: &str, e: &toml::de::Error) -> Diagnostic {
        let message = e.message().trim_end().to_string();
        let at = e.span().and_then(|s| source.get(s)).unwrap_or("");
        let help = hint(&message, at);
        let mut d = Diagnostic::new(path, source, e.span(), message);
        d.help = help;
        d
    }
}

/// The hint users need most often after toml's own messages.
fn hint(message: &str, at: &str) -> Option<String> {
    if let Some(rest) = message.strip_prefix("unknown field `") {
        let (unknown, allowed) = rest.split_once('`')?;
        let allowed: Vec<&str> = allowed.split('`').skip(1).step_by(2).collect();
        return Some(match closest(unknown, &allowed) {
            Some(best) => format!("did you mean `{best}`?"),
            None => "remove the key or fix its spelling; the keys allowed here are listed above".to_string(),
        });
    }
    if message.contains("duplicate key") {
        if at.trim_matches(|c| c == '[' || c == ']') == "protocol" {
            return Some(
                "a file cannot have both `protocol = \"...\"` and a [protocol] table; put the name in the table: name = \"...\""
                    .to_string(),
            );
        }
        return Some("each key may appear once per table".to_string());
    }
    None
}

/// The allowed word closest to a misspelt one, if it is close enough.
fn closest<'a>(word: &str, allowed: &[&'a str]) -> Option<&'a str> {
    crate::named::did_you_mean(word, allowed)
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "error: {}", self.message)?;
        match &self.location {
            Some(loc) => {
                let gutter = loc.line.to_string().len();
                let pad = " ".repeat(gutter);
                writeln!(f, "{pad}--> {}:{}:{}", self.path, loc.line, loc.column)?;
                writeln!(f, "{pad} |")?;
                writeln!(f, "{} | {}", loc.line, loc.text)?;
                let lead: String = loc
                    .text
                    .chars()
                    .take(loc.column - 1)
                    .map(|c| if c == '\t' { '\t' } else { ' ' })
                    .collect();
                write!(f, "{pad} | {lead}{}", "^".repeat(loc.width))?;
                if let Some(help) = &self.help {
                    write!(f, "\n{pad} = help: {help}")?;
                }
            }
            None => {
                write!(f, " --> {}", self.path)?;
                if let Some(help) = &self.help {
                    write!(f, "\n  = help: {help}")?;
                }
            }
        }
        Ok(())
    }
}

impl std::error::Error for Diagnostic {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_like_rustc() {
        let src = "nodes = 5\nduration = \"5 parsecs\"\n";
        let start = src.find("\"5").unwrap();
        let d =
            Diagnostic::new("s.toml", src, Some(start..start + 11), "bad duration").with_help("use ms or s");
        let text = d.to_string();
        assert_eq!(
            text,
            "error: bad duration\n --> s.toml:2:12\n  |\n2 | duration = \"5 parsecs\"\n  |            ^^^^^^^^^^^\n  = help: use ms or s"
        );
    }

    #[test]
    fn suggests_the_closest_key() {
        assert_eq!(
            hint("unknown field `duraton`, expected one of `nodes`, `duration`", "duraton"),
            Some("did you mean `duration`?".to_string())
        );
        assert!(hint("unknown field `zzz`, expected one of `nodes`, `duration`", "")
            .unwrap()
            .starts_with("remove"));
    }

    #[test]
    fn location_counts_characters() {
        let loc = Location::of("a = \"é\"\nb = 1", 9..10);
        assert_eq!((loc.line, loc.column, loc.text.as_str()), (2, 1, "b = 1"));
    }
}
