//! Reading histories: dsim's own JSON (what runs write with `--history`),
//! and what Jepsen and Porcupine users have:
//!
//! - EDN maps, one per line or all in one vector, as Jepsen's
//!   `history.edn` holds them (`{:index 0, :time 1200, :process 0, :type
//!   :invoke, :f :read, :value nil}`), with `:key` for key-value histories
//!   (Porcupine's `{:process 9, :type :invoke, :f :append, :key "0",
//!   :value "x 9 0 y"}`), or `jepsen.independent` tuples as values (`:value
//!   [3 nil]`: key 3, value nil);
//! - the log lines `jepsen.util` prints, in both layouts Jepsen has used
//!   (`INFO  jepsen.util - 3 :invoke :cas [1 4]`, and `2017-02-24
//!   16:14:06,446{GMT} INFO [jepsen worker 3] jepsen.util: 3 :invoke :read
//!   nil`, where the fields are separated by tabs).
//!
//! Real Jepsen output holds more than the clients' operations: other log
//! lines (skipped, unless `strict`), the nemesis's operations (skipped),
//! keys this reader does not need (`:node`, `:error`, `:index`). A line or
//! map that looks like an operation but cannot be read is an error at its
//! line and column, never skipped; so is a history with no operation at
//! all (an empty file, prose, a scenario given by mistake).

mod edn;
mod jepsen;
mod json;

use crate::history::History;
use std::ops::Range;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    Dsim,
    Edn,
    JepsenLog,
}

impl Format {
    pub const NAMES: &'static [&'static str] = &["auto", "dsim", "edn", "jepsen-log"];

    pub fn parse(name: &str) -> Option<Option<Format>> {
        match name {
            "auto" => Some(None),
            "dsim" | "json" => Some(Some(Format::Dsim)),
            "edn" => Some(Some(Format::Edn)),
            "jepsen-log" | "log" => Some(Some(Format::JepsenLog)),
            _ => None,
        }
    }

    /// Guesses the format from the text: a JSON array of objects is dsim's,
    /// maps (alone or in a vector) are EDN, anything else is read as log
    /// lines.
    pub fn detect(text: &str) -> Format {
        let t = text.trim_start();
        let after = |s: &str, n: usize| s[n..].trim_start().to_string();
        if t.starts_with("{\"dsim\"") {
            // What `run --history` writes; EDN maps begin `{:`.
            return Format::Dsim;
        }
        match t.as_bytes().first() {
            Some(b'{' | b'#' | b';') => Format::Edn,
            Some(b'[') => {
                let inner = after(t, 1);
                if inner.starts_with('{') {
                    if after(&inner, 1).starts_with('"') {
                        Format::Dsim
                    } else {
                        Format::Edn
                    }
                } else if inner.starts_with('#') {
                    Format::Edn
                } else if t.contains("jepsen.util") {
                    Format::JepsenLog
                } else {
                    Format::Dsim
                }
            }
            _ => Format::JepsenLog,
        }
    }
}

/// An error at a byte offset of the input (`len` 0: about the whole input).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ParseError {
    pub offset: usize,
    pub len: usize,
    pub message: String,
}

/// A history and where each of its events is in the text.
#[derive(Clone, Debug, Default)]
pub struct Parsed {
    pub history: History,
    /// The byte range of each event, in the order of `history.events`.
    pub spans: Vec<Range<usize>>,
}

/// The text of a history file: a UTF-8 byte-order mark is skipped (some
/// editors write one), and anything that is not UTF-8 is an error at the
/// first bad byte. Offsets in errors are into the returned text.
pub fn decode(bytes: &[u8]) -> Result<&str, ParseError> {
    let bytes = bytes.strip_prefix(b"\xef\xbb\xbf").unwrap_or(bytes);
    std::str::from_utf8(bytes).map_err(|e| {
        let at = e.valid_up_to();
        ParseError {
            offset: at,
            len: 1,
            message: format!(
                "the history is not UTF-8 text: byte {} (0x{:02x}) at byte offset {at} is not valid here",
                at + 1,
                bytes[at]
            ),
        }
    })
}

/// Reads a history. With `strict`, a Jepsen log may hold nothing but
/// operations (a line that is not one is an error rather than skipped).
pub fn read(text: &str, format: Format, strict: bool) -> Result<Parsed, ParseError> {
    let text_start = text.len() - text.trim_start_matches('\u{feff}').len();
    let body = &text[text_start..];
    let mut parsed = match format {
        Format::Dsim => json::read(body)?,
        Format::Edn => jepsen::read_edn(body)?,
        Format::JepsenLog => jepsen::read_log(body, strict)?,
    };
    if parsed.history.events.is_empty() {
        let expected = match format {
            Format::Dsim => "a JSON array of operations as `dsim run --history` writes",
            Format::Edn => "EDN maps such as {:process 0, :type :invoke, :f :read, :value nil}",
            Format::JepsenLog => {
                "Jepsen's log lines such as `INFO  jepsen.util - 3\t:invoke\t:read\tnil`, EDN maps, or dsim's JSON"
            }
        };
        return Err(ParseError {
            offset: 0,
            len: 0,
            message: format!("this history has no operation of a client; expected {expected}"),
        });
    }
    for s in &mut parsed.spans {
        *s = s.start + text_start..s.end + text_start;
    }
    Ok(parsed)
}

/// Reads a history, skipping what is not an operation.
pub fn read_history(text: &str, format: Format) -> Result<History, ParseError> {
    read(text, format, false).map(|p| p.history)
}

#[cfg(test)]
mod tests;
