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
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(untagged)]
pub enum Value {
    Nil,
    Int(i64),
    /// Pairs such as `[expected, new]` for compare-and-set, or `[from, to]`.
    Pair(i64, i64),
    List(Vec<i64>),
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
        }
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
}

impl History {
    pub fn len(&self) -> usize {
        self.events.len()
    }
    pub fn is_empty(&self) -> bool {
        self.events.is_empty()
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
