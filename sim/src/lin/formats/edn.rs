//! The part of EDN that Jepsen histories use, read without trusting the
//! input: nesting is bounded (a history nests a few levels; ten thousand
//! `[` must be an error, not a stack overflow), and every value keeps the
//! byte range it came from, so that errors found later point at it.

use super::ParseError;
use std::ops::Range;

/// Deeper than any history nests, far below what overflows the stack.
pub const MAX_DEPTH: usize = 100;

#[derive(Clone, Debug, PartialEq)]
pub enum Val {
    Nil,
    Bool,
    Int(i64),
    Float,
    Str(String),
    Keyword(String),
    Symbol(String),
    Vec(Vec<Item>),
    Set(Vec<Item>),
    Map(Vec<(Item, Item)>),
    /// `#tag value`, such as `#jepsen.history.Op{...}` or `#inst "..."`.
    Tagged(String, Box<Item>),
}

/// A value and where it is in the text.
#[derive(Clone, Debug, PartialEq)]
pub struct Item {
    pub val: Val,
    pub span: Range<usize>,
}

impl Item {
    /// The value of `:name` in a map.
    pub fn field(&self, name: &str) -> Option<&Item> {
        match &self.val {
            Val::Map(pairs) => {
                pairs.iter().find(|(k, _)| matches!(&k.val, Val::Keyword(n) if n == name)).map(|(_, v)| v)
            }
            Val::Tagged(_, inner) => inner.field(name),
            _ => None,
        }
    }

    pub fn is_map(&self) -> bool {
        match &self.val {
            Val::Map(_) => true,
            Val::Tagged(_, inner) => inner.is_map(),
            _ => false,
        }
    }
}

pub struct Reader<'a> {
    s: &'a [u8],
    pub pos: usize,
    /// Added to positions in errors and spans: where `s` starts in the file.
    base: usize,
}

impl<'a> Reader<'a> {
    pub fn new(text: &'a str, base: usize) -> Reader<'a> {
        Reader { s: text.as_bytes(), pos: 0, base }
    }

    pub fn error_at(&self, pos: usize, len: usize, message: impl Into<String>) -> ParseError {
        ParseError { offset: self.base + pos, len, message: message.into() }
    }

    /// Skips white space, commas (white space in EDN) and `;` comments;
    /// returns whether anything is left.
    pub fn skip_space(&mut self) -> bool {
        while let Some(&c) = self.s.get(self.pos) {
            if c.is_ascii_whitespace() || c == b',' {
                self.pos += 1;
            } else if c == b';' {
                while self.s.get(self.pos).is_some_and(|&c| c != b'\n') {
                    self.pos += 1;
                }
            } else {
                break;
            }
        }
        self.pos < self.s.len()
    }

    /// The rest of the text, from the current position.
    pub fn rest(&self) -> &'a [u8] {
        &self.s[self.pos..]
    }

    pub fn value(&mut self) -> Result<Item, ParseError> {
        self.nested(0)
    }

    fn nested(&mut self, depth: usize) -> Result<Item, ParseError> {
        self.skip_space();
        // `#_` discards the form after it (in a loop: a run of them must
        // not recurse at one depth).
        while self.rest().starts_with(b"#_") {
            if depth >= MAX_DEPTH {
                return Err(self.error_at(
                    self.pos,
                    2,
                    format!("values nest more than {MAX_DEPTH} deep here"),
                ));
            }
            self.pos += 2;
            self.nested(depth + 1)?;
            self.skip_space();
        }
        let start = self.pos;
        let Some(&c) = self.s.get(self.pos) else {
            return Err(self.error_at(start, 1, "the text ends where a value was expected"));
        };
        if depth >= MAX_DEPTH && b"{[(#".contains(&c) {
            return Err(self.error_at(
                start,
                1,
                format!("values nest more than {MAX_DEPTH} deep here; a history's values nest a few levels at most"),
            ));
        }
        let val = match c {
            b'{' => {
                let items = self.collection(b'}', depth)?;
                if items.len() % 2 == 1 {
                    let last = &items[items.len() - 1];
                    return Err(self.error_at(
                        last.span.start - self.base,
                        1,
                        "this key of a map has no value",
                    ));
                }
                let mut pairs = Vec::with_capacity(items.len() / 2);
                let mut it = items.into_iter();
                while let (Some(k), Some(v)) = (it.next(), it.next()) {
                    pairs.push((k, v));
                }
                Val::Map(pairs)
            }
            b'[' | b'(' => Val::Vec(self.collection(if c == b'[' { b']' } else { b')' }, depth)?),
            b'#' => match self.s.get(self.pos + 1) {
                Some(b'{') => {
                    self.pos += 1;
                    Val::Set(self.collection(b'}', depth)?)
                }
                _ => {
                    self.pos += 1;
                    let tag = self.token();
                    if tag.is_empty() {
                        return Err(self.error_at(
                            start,
                            1,
                            "a `#` must start a set `#{...}` or a tag such as `#inst`",
                        ));
                    }
                    Val::Tagged(tag, Box::new(self.nested(depth + 1)?))
                }
            },
            b'"' => self.string()?,
            b':' => {
                self.pos += 1;
                let name = self.token();
                if name.is_empty() {
                    return Err(self.error_at(start, 1, "a keyword needs a name after its `:`"));
                }
                Val::Keyword(name)
            }
            b'\\' => {
                // A character literal: not a value a history uses.
                self.pos = (self.pos + 2).min(self.s.len());
                self.token();
                Val::Symbol("\\".to_string())
            }
            _ => {
                let tok = self.token();
                if tok.is_empty() {
                    return Err(self.error_at(start, 1, format!("unexpected `{}`", char_at(self.s, start))));
                }
                match tok.as_str() {
                    "nil" => Val::Nil,
                    "true" | "false" => Val::Bool,
                    t => number(t).unwrap_or(Val::Symbol(tok)),
                }
            }
        };
        Ok(Item { val, span: self.base + start..self.base + self.pos })
    }

    /// The items of a collection; the opening bracket is at the position.
    fn collection(&mut self, close: u8, depth: usize) -> Result<Vec<Item>, ParseError> {
        let open = self.pos;
        self.pos += 1;
        let mut items = Vec::new();
        loop {
            if !self.skip_space() {
                return Err(self.error_at(open, 1, format!("this is never closed with `{}`", close as char)));
            }
            let c = self.s[self.pos];
            if c == close {
                self.pos += 1;
                return Ok(items);
            }
            if b")]}".contains(&c) {
                return Err(self.error_at(
                    self.pos,
                    1,
                    format!("`{}` closes nothing here; expected `{}`", c as char, close as char),
                ));
            }
            items.push(self.nested(depth + 1)?);
        }
    }

    fn string(&mut self) -> Result<Val, ParseError> {
        let open = self.pos;
        self.pos += 1;
        let mut out: Vec<u8> = Vec::new();
        while let Some(&c) = self.s.get(self.pos) {
            self.pos += 1;
            match c {
                b'"' => {
                    // Only whole UTF-8 sequences of valid text were copied.
                    return Ok(Val::Str(String::from_utf8_lossy(&out).into_owned()));
                }
                b'\\' => {
                    let Some(&e) = self.s.get(self.pos) else { break };
                    self.pos += 1;
                    match e {
                        b'n' => out.push(b'\n'),
                        b't' => out.push(b'\t'),
                        b'r' => out.push(b'\r'),
                        b'u' => {
                            let hex =
                                self.s.get(self.pos..self.pos + 4).and_then(|h| std::str::from_utf8(h).ok());
                            let ch =
                                hex.and_then(|h| u32::from_str_radix(h, 16).ok()).and_then(char::from_u32);
                            let Some(ch) = ch else {
                                return Err(self.error_at(
                                    self.pos - 2,
                                    2,
                                    "`\\u` must be followed by four hex digits",
                                ));
                            };
                            self.pos += 4;
                            out.extend_from_slice(ch.encode_utf8(&mut [0; 4]).as_bytes());
                        }
                        other => out.push(other),
                    }
                }
                _ => out.push(c),
            }
        }
        Err(self.error_at(open, 1, "this string is never closed"))
    }

    /// A symbol, number or keyword name: up to the next delimiter.
    fn token(&mut self) -> String {
        let start = self.pos;
        while let Some(&c) = self.s.get(self.pos) {
            if c.is_ascii_whitespace() || b",{}[]()\";".contains(&c) {
                break;
            }
            self.pos += 1;
        }
        String::from_utf8_lossy(&self.s[start..self.pos]).into_owned()
    }
}

fn char_at(s: &[u8], pos: usize) -> char {
    std::str::from_utf8(&s[pos..]).ok().and_then(|t| t.chars().next()).unwrap_or('?')
}

/// An integer (`3`, `-2`, `7N`) or a float (`1.5`, `2M`).
fn number(t: &str) -> Option<Val> {
    let first = t.as_bytes()[0];
    let numeric = first.is_ascii_digit() || ((first == b'-' || first == b'+') && t.len() > 1);
    if !numeric {
        return None;
    }
    if let Ok(i) = t.trim_end_matches('N').parse::<i64>() {
        return Some(Val::Int(i));
    }
    t.trim_end_matches('M').parse::<f64>().ok().map(|_| Val::Float)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(text: &str) -> Result<Item, ParseError> {
        Reader::new(text, 0).value()
    }

    #[test]
    fn values_and_their_places() {
        let v = read("{:a [1 \"x\\\"y\"], :b #{2} :c #jepsen.history.Op{:d nil} #_ :gone :e 7N}").unwrap();
        let Val::Map(pairs) = &v.val else { panic!() };
        assert_eq!(pairs.len(), 4);
        assert_eq!(v.field("a").unwrap().span, 4..14);
        assert!(matches!(&v.field("b").unwrap().val, Val::Set(s) if s.len() == 1));
        assert_eq!(v.field("c").unwrap().field("d").unwrap().val, Val::Nil);
        assert_eq!(v.field("e").unwrap().val, Val::Int(7));
        let Val::Vec(items) = &v.field("a").unwrap().val else { panic!() };
        assert_eq!(items[1].val, Val::Str("x\"y".into()));
        assert_eq!(read("\"caf\u{e9} \\u00e9\"").unwrap().val, Val::Str("caf\u{e9} \u{e9}".into()));
    }

    #[test]
    fn deep_nesting_is_an_error_not_a_crash() {
        let deep = "[".repeat(10_000);
        let e = read(&deep).unwrap_err();
        assert_eq!(e.offset, MAX_DEPTH);
        assert!(e.message.contains("nest"), "{e:?}");
        let maps = "{:a ".repeat(10_000);
        assert!(read(&maps).unwrap_err().message.contains("nest"));
    }

    #[test]
    fn unbalanced_text_is_an_error() {
        assert!(read("[1 2").unwrap_err().message.contains("never closed"));
        assert!(read("[1 }").unwrap_err().message.contains("closes nothing"));
        assert!(read("{:a}").unwrap_err().message.contains("no value"));
        assert!(read("\"abc").unwrap_err().message.contains("never closed"));
    }
}
