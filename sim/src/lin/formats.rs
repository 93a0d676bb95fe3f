//! Reading histories: dsim's own JSON (what runs write with `--history`),
//! and Jepsen's two forms, one EDN map per line
//! (`{:process 0, :type :invoke, :f :read, :value nil}`, with `:key` for
//! key-value histories) and the log lines `jepsen.util` prints
//! (`INFO  jepsen.util - 3 :invoke :cas [1 4]`, tab-separated).
//!
//! Real Jepsen output holds more than operations: other log lines, the
//! nemesis's operations, keys this reader does not need, strings and nested
//! maps in fields it skips. Those are passed over. What cannot be read as
//! an operation is an error at its line and column.

use crate::history::{EventKind, History, HistoryEvent, Op, Value};
use std::borrow::Cow;

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

    /// Guesses the format from the text.
    pub fn detect(text: &str) -> Format {
        let first = text.lines().map(str::trim).find(|l| !l.is_empty()).unwrap_or("");
        // `{"dsim":"history",...}` is what `run --history` writes; EDN maps
        // begin with a keyword, `{:process`.
        if first.starts_with('[') || first.starts_with("{\"dsim\"") {
            Format::Dsim
        } else if first.starts_with('{') {
            Format::Edn
        } else {
            Format::JepsenLog
        }
    }
}

/// An error at a byte offset of the input.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ParseError {
    pub offset: usize,
    pub len: usize,
    pub message: String,
}

pub fn read_history(text: &str, format: Format) -> Result<History, ParseError> {
    match format {
        Format::Dsim => dsim_history(text).map_err(|e| {
            let offset: usize =
                text.split_inclusive('\n').take(e.line().saturating_sub(1)).map(str::len).sum::<usize>()
                    + e.column().saturating_sub(1);
            ParseError { offset: offset.min(text.len()), len: 1, message: format!("not a dsim history: {e}") }
        }),
        Format::Edn => read_lines(text, edn_line),
        Format::JepsenLog => read_lines(text, log_line),
    }
}

/// A dsim history file as `run --history` writes it:
/// `{"dsim":"history","version":1,"events":[...]}`, the header marking it
/// as dsim's. Older versions wrote the bare array of events, still read.
#[derive(serde::Deserialize)]
struct MarkedHistory {
    #[allow(dead_code)]
    dsim: HistoryMarker,
    events: History,
}

#[derive(serde::Deserialize)]
enum HistoryMarker {
    #[serde(rename = "history")]
    History,
}

fn dsim_history(text: &str) -> serde_json::Result<History> {
    if text.trim_start().starts_with('{') {
        serde_json::from_str::<MarkedHistory>(text).map(|m| m.events)
    } else {
        serde_json::from_str(text)
    }
}

/// One operation line, before pairing: process, type, f, value, key, time.
struct Line {
    process: u32,
    kind: EventKind,
    f: String,
    value: Value,
    key: Option<u64>,
    time_ns: u64,
}

type LineReader = fn(&str, usize) -> Result<Option<Line>, ParseError>;

fn read_lines(text: &str, reader: LineReader) -> Result<History, ParseError> {
    let mut h = History::default();
    let mut offset = 0;
    for raw in text.split_inclusive('\n') {
        let line = raw.trim_end_matches(['\n', '\r']);
        if let Some(l) = reader(line, offset)? {
            h.events.push(HistoryEvent {
                process: l.process,
                kind: l.kind,
                op: Op { f: Cow::Owned(l.f), key: l.key, value: l.value },
                time_ns: l.time_ns,
                invoke: None,
            });
        }
        offset += raw.len();
    }
    Ok(h)
}

fn edn_line(line: &str, base: usize) -> Result<Option<Line>, ParseError> {
    if line.trim().is_empty() || line.trim_start().starts_with(';') {
        return Ok(None);
    }
    let mut p = Edn { s: line.as_bytes(), pos: 0, base };
    let start = p.skip_space();
    let value = p.value()?;
    let Val::Map(fields) = value else {
        return Err(
            p.error_at(start, "expected a map such as {:process 0, :type :invoke, :f :read, :value nil}")
        );
    };
    let field = |name: &str| fields.iter().find(|(k, _, _)| matches!(k, Val::Keyword(n) if n == name));
    let get = |name: &str| field(name).map(|(_, v, _)| v);
    let place = |name: &str| field(name).map_or(start, |(_, _, at)| *at);
    let at = |what: &str| p.error_at(start, &format!("this operation has no {what}"));
    let process = match get("process").ok_or_else(|| at(":process"))? {
        Val::Int(n) if *n >= 0 => *n as u32,
        Val::Keyword(_) => return Ok(None), // the nemesis
        _ => return Err(p.error_at(place("process"), ":process must be a non-negative integer")),
    };
    let kind = kind_of(get("type").ok_or_else(|| at(":type"))?)
        .ok_or_else(|| p.error_at(place("type"), ":type must be :invoke, :ok, :fail or :info"))?;
    let f = match get("f").ok_or_else(|| at(":f"))? {
        Val::Keyword(k) | Val::Str(k) => k.clone(),
        _ => return Err(p.error_at(place("f"), ":f must be a keyword such as :read")),
    };
    let value = get("value").map_or(Ok(Value::Nil), to_value).map_err(|m| p.error_at(place("value"), &m))?;
    let key = match get("key") {
        None | Some(Val::Nil) => None,
        Some(Val::Int(k)) if *k >= 0 => Some(*k as u64),
        Some(_) => return Err(p.error_at(place("key"), ":key must be a non-negative integer")),
    };
    let time_ns = match get("time") {
        Some(Val::Int(t)) if *t >= 0 => *t as u64,
        _ => 0,
    };
    Ok(Some(Line { process, kind, f, value, key, time_ns }))
}

/// `INFO  jepsen.util - 3 :invoke :cas [1 4]` (tab-separated); other lines are skipped.
fn log_line(line: &str, base: usize) -> Result<Option<Line>, ParseError> {
    let Some(at) = line.find("jepsen.util - ") else { return Ok(None) };
    let fields_start = at + "jepsen.util - ".len();
    let rest = &line[fields_start..];
    let mut parts = rest.splitn(4, '\t');
    let (Some(process), Some(kind), Some(f)) = (parts.next(), parts.next(), parts.next()) else {
        return Ok(None);
    };
    let Ok(process) = process.trim().parse::<u32>() else { return Ok(None) }; // :nemesis and the like
    let Some(kind) = kind_of(&Val::Keyword(kind.trim().trim_start_matches(':').to_string())) else {
        return Ok(None);
    };
    let f = f.trim().trim_start_matches(':').to_string();
    let value_text = parts.next().unwrap_or("nil");
    let value_base = base + fields_start + rest.len() - value_text.len();
    let mut p = Edn { s: value_text.as_bytes(), pos: 0, base: value_base };
    let start = p.skip_space();
    let value = if p.pos >= p.s.len() { Val::Nil } else { p.value()? };
    let value = to_value(&value).map_err(|m| p.error_at(start, &m))?;
    Ok(Some(Line { process, kind, f, value, key: None, time_ns: 0 }))
}

fn kind_of(v: &Val) -> Option<EventKind> {
    match v {
        Val::Keyword(k) => match k.as_str() {
            "invoke" => Some(EventKind::Invoke),
            "ok" => Some(EventKind::Ok),
            "fail" => Some(EventKind::Fail),
            "info" => Some(EventKind::Info),
            _ => None,
        },
        _ => None,
    }
}

fn to_value(v: &Val) -> Result<Value, String> {
    match v {
        Val::Nil => Ok(Value::Nil),
        Val::Int(i) => Ok(Value::Int(*i)),
        Val::Vec(items) => items
            .iter()
            .map(|x| match x {
                Val::Int(i) => Ok(*i),
                _ => Err("a value's vector may hold only integers".to_string()),
            })
            .collect::<Result<Vec<i64>, String>>()
            .map(Value::List),
        Val::Str(s) => s.parse::<i64>().map(Value::Int).map_err(|_| {
            format!("the value \"{s}\" is a string; the models read integers, nil and vectors of integers")
        }),
        _ => Err("a value must be nil, an integer, or a vector of integers".to_string()),
    }
}

/// The EDN a Jepsen history uses.
#[derive(Clone, Debug, PartialEq)]
enum Val {
    Nil,
    Bool,
    Int(i64),
    Float,
    Str(String),
    Keyword(String),
    Symbol,
    Vec(Vec<Val>),
    /// Keys and values, with where each value starts.
    Map(Vec<(Val, Val, usize)>),
}

struct Edn<'a> {
    s: &'a [u8],
    pos: usize,
    base: usize,
}

impl Edn<'_> {
    fn error_at(&self, pos: usize, message: &str) -> ParseError {
        ParseError { offset: self.base + pos, len: 1, message: message.to_string() }
    }

    /// Skips white space and commas (white space in EDN); returns the position.
    fn skip_space(&mut self) -> usize {
        while self.pos < self.s.len() && (self.s[self.pos].is_ascii_whitespace() || self.s[self.pos] == b',')
        {
            self.pos += 1;
        }
        self.pos
    }

    fn value(&mut self) -> Result<Val, ParseError> {
        let start = self.skip_space();
        let Some(&c) = self.s.get(self.pos) else {
            return Err(self.error_at(start, "the line ends where a value was expected"));
        };
        match c {
            b'{' => self.collection(b'}').map(|items| {
                let mut pairs = Vec::new();
                let mut it = items.into_iter();
                while let (Some((k, _)), Some((v, at))) = (it.next(), it.next()) {
                    pairs.push((k, v, at));
                }
                Val::Map(pairs)
            }),
            b'[' => self.collection(b']').map(|items| Val::Vec(items.into_iter().map(|(v, _)| v).collect())),
            b'(' => self.collection(b')').map(|items| Val::Vec(items.into_iter().map(|(v, _)| v).collect())),
            b'#' if self.s.get(self.pos + 1) == Some(&b'{') => {
                self.pos += 1;
                self.collection(b'}').map(|_| Val::Symbol)
            }
            b'"' => self.string(),
            b':' => {
                self.pos += 1;
                Ok(Val::Keyword(self.token()))
            }
            _ => {
                let tok = self.token();
                if tok.is_empty() {
                    return Err(self.error_at(start, &format!("unexpected `{}`", c as char)));
                }
                Ok(match tok.as_str() {
                    "nil" => Val::Nil,
                    "true" | "false" => Val::Bool,
                    t => match t.trim_end_matches('N').parse::<i64>() {
                        Ok(i) => Val::Int(i),
                        Err(_)
                            if t.parse::<f64>().is_ok() || t.trim_end_matches('M').parse::<f64>().is_ok() =>
                        {
                            Val::Float
                        }
                        Err(_) => Val::Symbol,
                    },
                })
            }
        }
    }

    /// The items of a collection, each with where it starts.
    fn collection(&mut self, close: u8) -> Result<Vec<(Val, usize)>, ParseError> {
        let open = self.pos;
        self.pos += 1;
        let mut items = Vec::new();
        loop {
            self.skip_space();
            match self.s.get(self.pos) {
                Some(&c) if c == close => {
                    self.pos += 1;
                    return Ok(items);
                }
                Some(_) => {
                    let at = self.pos;
                    items.push((self.value()?, at));
                }
                None => {
                    return Err(self.error_at(open, &format!("this is never closed with `{}`", close as char)))
                }
            }
        }
    }

    fn string(&mut self) -> Result<Val, ParseError> {
        let open = self.pos;
        self.pos += 1;
        let mut out = String::new();
        while let Some(&c) = self.s.get(self.pos) {
            self.pos += 1;
            match c {
                b'"' => return Ok(Val::Str(out)),
                b'\\' => {
                    if let Some(&e) = self.s.get(self.pos) {
                        self.pos += 1;
                        out.push(match e {
                            b'n' => '\n',
                            b't' => '\t',
                            other => other as char,
                        });
                    }
                }
                _ => out.push(c as char),
            }
        }
        Err(self.error_at(open, "this string is never closed"))
    }

    fn token(&mut self) -> String {
        let start = self.pos;
        while self.pos < self.s.len() {
            let c = self.s[self.pos];
            if c.is_ascii_whitespace() || b",{}[]()\"".contains(&c) {
                break;
            }
            self.pos += 1;
        }
        String::from_utf8_lossy(&self.s[start..self.pos]).into_owned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_edn_lines_and_skips_the_nemesis() {
        let text = "{:process 0, :type :invoke, :f :write, :value 3, :time 10}\n\
                    {:process :nemesis, :type :info, :f :start, :value \"partitioned\"}\n\
                    {:process 0 :type :ok :f :write :value 3 :error {:why [1 2]}}\n\
                    {:process 1, :type :invoke, :f :cas, :value [3 4], :key 7}\n";
        let h = read_history(text, Format::Edn).unwrap();
        assert_eq!(h.events.len(), 3);
        assert_eq!(h.events[0].op.value, Value::Int(3));
        assert_eq!(h.events[0].time_ns, 10);
        assert_eq!(h.events[2].op.value, Value::List(vec![3, 4]));
        assert_eq!(h.events[2].op.key, Some(7));
    }

    #[test]
    fn reads_jepsen_log_lines_among_others() {
        let text = "2017-01-01 INFO  jepsen.core - Running test\n\
                    INFO  jepsen.util - 3\t:invoke\t:cas\t[1 4]\n\
                    INFO  jepsen.util - :nemesis\t:info\t:start\tnil\n\
                    INFO  jepsen.util - 3\t:fail\t:cas\t[1 4]\n\
                    INFO  jepsen.util - 4\t:invoke\t:read\tnil\n\
                    INFO  jepsen.util - 4\t:ok\t:read\t2\n";
        let h = read_history(text, Format::JepsenLog).unwrap();
        assert_eq!(h.events.len(), 4);
        assert_eq!(h.events[1].kind, EventKind::Fail);
        assert_eq!(h.events[3].op.value, Value::Int(2));
        assert_eq!(Format::detect(text), Format::JepsenLog);
    }

    #[test]
    fn errors_point_at_the_place() {
        let text = "{:process 0, :type :invoke, :f :read, :value nil}\n{:process 0, :type :ok, :f :read, :value [1 :x]}\n";
        let e = read_history(text, Format::Edn).unwrap_err();
        assert_eq!(e.offset, text.find("[1 :x]").unwrap(), "{e:?}");
        assert!(e.message.contains("only integers"), "{e:?}");
        let e = read_history("{:process 0, :type :invoke", Format::Edn).unwrap_err();
        assert_eq!(e.offset, 0);
        assert!(e.message.contains("never closed"));
    }
}
