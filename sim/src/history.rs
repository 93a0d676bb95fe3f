//! The clients' history, in the style of Jepsen: each operation is an
//! `invoke` followed by `ok` (it took effect, with its result), `fail` (it
//! did not take effect) or `info` (the outcome is unknown, for instance after
//! a timeout). The linearizability checker and the protocols' properties read
//! it; runs write it next to their repro.

use crate::time::Time;
use serde::{Deserialize, Serialize};
use std::borrow::Cow;
use std::fmt;

/// A value in an operation: what a Jepsen history can hold.
///
/// In JSON, `nil` is `null`, integers and vectors of integers are numbers
/// and arrays, a string is a string and a keyword is `{"keyword": "name"}`
/// (JSON has no keywords; dsim's own histories never hold one).
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Value {
    Nil,
    Int(i64),
    /// Pairs such as `[expected, new]` for compare-and-set, or `[from, to]`.
    Pair(i64, i64),
    List(Vec<i64>),
    /// A string, as Jepsen's and Porcupine's key-value histories hold
    /// (`append` concatenates strings).
    Str(String),
    /// A keyword such as `:timed-out`, without its colon: what Jepsen puts
    /// on completions that failed or whose outcome is unknown.
    Keyword(String),
}

impl fmt::Display for Value {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Value::Nil => write!(f, "nil"),
            Value::Int(v) => write!(f, "{v}"),
            Value::Pair(a, b) => write!(f, "[{a} {b}]"),
            Value::List(items) => {
                write!(f, "[")?;
                for (i, v) in items.iter().enumerate() {
                    if i > 0 {
                        write!(f, " ")?;
                    }
                    write!(f, "{v}")?;
                }
                write!(f, "]")
            }
            Value::Str(s) => write_quoted(f, s),
            Value::Keyword(k) => write!(f, ":{k}"),
        }
    }
}

/// A string as EDN (and Clojure) prints it: in quotes, with `"` and `\`
/// escaped and control characters spelt out.
pub fn write_quoted(f: &mut impl fmt::Write, s: &str) -> fmt::Result {
    f.write_char('"')?;
    for c in s.chars() {
        match c {
            '"' => f.write_str("\\\"")?,
            '\\' => f.write_str("\\\\")?,
            '\n' => f.write_str("\\n")?,
            '\t' => f.write_str("\\t")?,
            '\r' => f.write_str("\\r")?,
            c => f.write_char(c)?,
        }
    }
    f.write_char('"')
}

impl Serialize for Value {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        match self {
            Value::Nil => s.serialize_unit(),
            Value::Int(v) => s.serialize_i64(*v),
            Value::Pair(a, b) => [*a, *b].serialize(s),
            Value::List(items) => items.serialize(s),
            Value::Str(text) => s.serialize_str(text),
            Value::Keyword(k) => {
                let mut m = s.serialize_map(Some(1))?;
                m.serialize_entry("keyword", k)?;
                m.end()
            }
        }
    }
}

impl<'de> Deserialize<'de> for Value {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Value, D::Error> {
        d.deserialize_any(ValueVisitor)
    }
}

struct ValueVisitor;

impl<'de> serde::de::Visitor<'de> for ValueVisitor {
    type Value = Value;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "null, an integer, an array of integers, a string or {{\"keyword\": \"name\"}}")
    }
    fn visit_unit<E>(self) -> Result<Value, E> {
        Ok(Value::Nil)
    }
    fn visit_none<E>(self) -> Result<Value, E> {
        Ok(Value::Nil)
    }
    fn visit_i64<E>(self, v: i64) -> Result<Value, E> {
        Ok(Value::Int(v))
    }
    fn visit_u64<E: serde::de::Error>(self, v: u64) -> Result<Value, E> {
        i64::try_from(v).map(Value::Int).map_err(|_| E::custom(format!("{v} is too large for a value")))
    }
    fn visit_str<E>(self, v: &str) -> Result<Value, E> {
        Ok(Value::Str(v.to_string()))
    }
    fn visit_seq<A: serde::de::SeqAccess<'de>>(self, mut seq: A) -> Result<Value, A::Error> {
        let mut items = Vec::new();
        while let Some(v) = seq.next_element::<i64>()? {
            items.push(v);
        }
        // A two-element array is a pair, as the derived form always read it.
        Ok(match items[..] {
            [a, b] => Value::Pair(a, b),
            _ => Value::List(items),
        })
    }
    fn visit_map<A: serde::de::MapAccess<'de>>(self, mut map: A) -> Result<Value, A::Error> {
        let mut keyword = None;
        while let Some(k) = map.next_key::<String>()? {
            if k != "keyword" || keyword.is_some() {
                return Err(serde::de::Error::custom(
                    "a value that is an object must be {\"keyword\": \"name\"}",
                ));
            }
            keyword = Some(map.next_value::<String>()?);
        }
        keyword.map(Value::Keyword).ok_or_else(|| serde::de::Error::custom("an empty object is not a value"))
    }
}

/// An operation: a function name (`read`, `write`, `cas`, `broadcast`...),
/// an optional key, and a value (the argument on invoke, the result on ok).
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Op {
    pub f: Cow<'static, str>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub key: Option<u64>,
    pub value: Value,
}

impl Op {
    pub fn new(f: &'static str, value: Value) -> Op {
        Op { f: Cow::Borrowed(f), key: None, value }
    }
    pub fn keyed(f: &'static str, key: u64, value: Value) -> Op {
        Op { f: Cow::Borrowed(f), key: Some(key), value }
    }
}

impl fmt::Display for Op {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.key {
            Some(k) => write!(f, "{} k{} {}", self.f, k, self.value),
            None => write!(f, "{} {}", self.f, self.value),
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum EventKind {
    Invoke,
    Ok,
    Fail,
    Info,
}

/// How a client ends an operation.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Completion {
    /// It took effect; the value is its result (what a read returned).
    Ok(Value),
    /// It certainly did not take effect.
    Fail,
    /// The client cannot tell.
    Info,
}

/// One line of a history.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct HistoryEvent {
    /// The client's index.
    pub process: u32,
    #[serde(rename = "type")]
    pub kind: EventKind,
    #[serde(flatten)]
    pub op: Op,
    pub time_ns: u64,
    /// For a completion, the position of its invocation in the history.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub invoke: Option<u32>,
}

/// A whole history, in the order events happened.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct History {
    pub events: Vec<HistoryEvent>,
    /// How to name its processes and keys in messages. Histories read from
    /// Jepsen set it; dsim's own use the default (so it is not saved).
    #[serde(skip)]
    pub names: Names,
}

/// How a history's processes and keys are shown to the user: the way the
/// tool that recorded it shows them. dsim names its clients `c3` (as runs
/// and traces do); Jepsen names processes by their integer, shown as
/// `process 3`. Keys are shown as written: dsim's as `k3`, Jepsen's as the
/// value they were (`key 3`, `key "x"`).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Names {
    /// The history came from Jepsen (or Porcupine), not from dsim.
    pub jepsen: bool,
    /// When a history's keys are not all non-negative integers, each key is
    /// stored as its position in this list, which holds the key as written.
    pub keys: Vec<Value>,
}

impl History {
    pub fn len(&self) -> usize {
        self.events.len()
    }
    pub fn is_empty(&self) -> bool {
        self.events.is_empty()
    }

    /// How messages name process `p`: `c3` in dsim's histories,
    /// `process 3` in Jepsen's.
    pub fn process_name(&self, p: u32) -> String {
        if self.names.jepsen {
            format!("process {p}")
        } else {
            format!("c{p}")
        }
    }

    /// The key `k` as the history wrote it.
    pub fn key_value(&self, k: u64) -> Value {
        match self.names.keys.get(k as usize) {
            Some(v) => v.clone(),
            None => Value::Int(k as i64),
        }
    }

    /// How messages name key `k`: `k3` in dsim's histories, `key 3` or
    /// `key "x"` in Jepsen's.
    pub fn key_name(&self, k: u64) -> String {
        if self.names.jepsen || !self.names.keys.is_empty() {
            format!("key {}", self.key_value(k))
        } else {
            format!("k{k}")
        }
    }

    /// Records an invocation; returns its position.
    pub fn invoke(&mut self, process: u32, op: Op, at: Time) -> u32 {
        let index = self.events.len() as u32;
        self.events.push(HistoryEvent {
            process,
            kind: EventKind::Invoke,
            op,
            time_ns: at.nanos(),
            invoke: None,
        });
        index
    }

    /// Records the completion of the invocation at `invoke`.
    pub fn complete(&mut self, invoke: u32, outcome: Completion, at: Time) -> u32 {
        let inv = &self.events[invoke as usize];
        let (kind, value) = match outcome {
            Completion::Ok(v) => (EventKind::Ok, v),
            Completion::Fail => (EventKind::Fail, inv.op.value.clone()),
            Completion::Info => (EventKind::Info, inv.op.value.clone()),
        };
        let op = Op { f: inv.op.f.clone(), key: inv.op.key, value };
        let index = self.events.len() as u32;
        self.events.push(HistoryEvent {
            process: inv.process,
            kind,
            op,
            time_ns: at.nanos(),
            invoke: Some(invoke),
        });
        index
    }

    /// Counts of (ok, fail, info, still pending) operations.
    pub fn tally(&self) -> Tally {
        let mut t = Tally::default();
        for e in &self.events {
            match e.kind {
                EventKind::Invoke => t.invoked += 1,
                EventKind::Ok => t.ok += 1,
                EventKind::Fail => t.fail += 1,
                EventKind::Info => t.info += 1,
            }
        }
        t
    }
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Tally {
    pub invoked: u64,
    pub ok: u64,
    pub fail: u64,
    pub info: u64,
}

impl Tally {
    pub fn pending(&self) -> u64 {
        self.invoked - self.ok - self.fail - self.info
    }
}
