//! dsim's JSON history: an array of events, inside the object that marks
//! the file as dsim's (`{"dsim":"history","version":1,"events":[...]}`, what
//! `run --history` writes), or bare, as older versions wrote it. Each event is parsed on its
//! own, from its place in the text, so that an error inside one, and any
//! found later by the checker, points at its line and column. Finding the
//! events is a scan that counts brackets outside strings, without
//! recursion, so nesting cannot overflow the stack.

use super::{ParseError, Parsed};
use crate::history::HistoryEvent;
use std::ops::Range;

pub fn read(text: &str) -> Result<Parsed, ParseError> {
    let mut parsed = Parsed::default();
    for span in events(text)? {
        let event: HistoryEvent = serde_json::from_str(&text[span.clone()]).map_err(|e| {
            let inner = &text[span.clone()];
            let offset = span.start + offset_of(inner, e.line(), e.column());
            ParseError {
                offset: offset.min(text.len()),
                len: 1,
                message: format!("not a dsim history event: {e}"),
            }
        })?;
        parsed.history.events.push(event);
        parsed.spans.push(span);
    }
    Ok(parsed)
}

/// The byte offset of serde's 1-based line and column.
fn offset_of(text: &str, line: usize, column: usize) -> usize {
    let start: usize = text.split_inclusive('\n').take(line.saturating_sub(1)).map(str::len).sum();
    start + column.saturating_sub(1)
}

/// The header a marked history starts with, up to its events.
const MARK: &str = r#"{"dsim":"history","version":1,"events":"#;

/// The byte ranges of the events, marked or bare.
fn events(text: &str) -> Result<Vec<Range<usize>>, ParseError> {
    let body = text.trim_start();
    if !body.starts_with('{') {
        return elements(text, 0, None);
    }
    let lead = text.len() - body.len();
    let compact: String = body.chars().take(200).filter(|c| !c.is_whitespace()).collect();
    if !compact.starts_with(MARK) {
        return Err(ParseError {
            offset: lead,
            len: 1,
            message: format!(
                "a dsim history is a JSON array of events, or an object that starts {MARK}[...]"
            ),
        });
    }
    let open = text[lead..].find('[').map_or(text.len(), |i| lead + i);
    elements(text, open, Some('}'))
}

/// The byte ranges of the elements of the array that starts at or after
/// `from`; after its `]` only `closer` (then white space) may follow.
fn elements(text: &str, from: usize, closer: Option<char>) -> Result<Vec<Range<usize>>, ParseError> {
    let b = text.as_bytes();
    let err = |at: usize, message: &str| ParseError {
        offset: at.min(text.len()),
        len: 1,
        message: message.to_string(),
    };
    let skip = |mut i: usize| {
        while i < b.len() && b[i].is_ascii_whitespace() {
            i += 1;
        }
        i
    };
    let mut i = skip(from);
    if b.get(i) != Some(&b'[') {
        return Err(err(i, "a dsim history is a JSON array of events: expected `[`"));
    }
    let open = i;
    i = skip(i + 1);
    let mut out = Vec::new();
    if b.get(i) == Some(&b']') {
        return end(text, i + 1, closer).map(|_| out);
    }
    loop {
        let start = i;
        let mut depth = 0usize;
        let mut in_string = false;
        while i < b.len() {
            let c = b[i];
            if in_string {
                match c {
                    b'\\' => i += 1,
                    b'"' => in_string = false,
                    _ => {}
                }
            } else {
                match c {
                    b'"' => in_string = true,
                    b'{' | b'[' => depth += 1,
                    b'}' | b']' if depth == 0 => break,
                    b'}' | b']' => depth -= 1,
                    b',' if depth == 0 => break,
                    _ => {}
                }
            }
            i += 1;
        }
        if i >= b.len() {
            return Err(err(open, "this array is never closed with `]`"));
        }
        let mut stop = i;
        while stop > start && b[stop - 1].is_ascii_whitespace() {
            stop -= 1;
        }
        if stop == start {
            return Err(err(start, "expected an event (a JSON object) here"));
        }
        out.push(start..stop);
        match b[i] {
            b',' => i = skip(i + 1),
            b']' => return end(text, i + 1, closer).map(|_| out),
            _ => return Err(err(i, "expected `,` or `]` after an event")),
        }
    }
}

/// Only white space may follow the array (after `closer`, if given).
fn end(text: &str, mut from: usize, closer: Option<char>) -> Result<(), ParseError> {
    if let Some(c) = closer {
        let rest = &text[from..];
        let trimmed = rest.trim_start();
        if !trimmed.starts_with(c) {
            return Err(ParseError {
                offset: from + rest.len() - trimmed.len(),
                len: 1,
                message: format!("expected `{c}` to close the history"),
            });
        }
        from += rest.len() - trimmed.len() + c.len_utf8();
    }
    match text[from..].find(|c: char| !c.is_whitespace()) {
        None => Ok(()),
        Some(at) => Err(ParseError {
            offset: from + at,
            len: 1,
            message: "unexpected text after the history's closing `]`".to_string(),
        }),
    }
}
