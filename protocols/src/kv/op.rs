//! A client's operations, what they return, and the commands a log holds.

use serde::Serialize;
use sim::{Completion, Op, ProcessId, Value};

/// A client's key-value operation.
#[derive(Clone, Copy, Debug, Hash, PartialEq, Eq, Serialize)]
pub enum KvOp {
    Get { key: u64 },
    Put { key: u64, value: i64 },
    Append { key: u64, value: i64 },
    Cas { key: u64, expected: i64, new: i64 },
}

impl KvOp {
    pub fn is_read(&self) -> bool {
        matches!(self, KvOp::Get { .. })
    }
}

/// What an operation returned.
#[derive(Clone, Debug, Hash, PartialEq, Eq, Serialize)]
pub enum KvOutcome {
    /// It took effect; for a get, the key's list (empty: never written).
    Ok(Vec<i64>),
    /// A cas whose expected value did not match: no effect.
    Fail,
}

/// What a log entry (Raft) or a slot (Multi-Paxos) carries.
#[derive(Clone, Debug, Hash, PartialEq, Eq, Serialize)]
pub enum Command {
    /// Changes nothing: a new leader's first entry, or a gap filled.
    Noop,
    Client {
        client: ProcessId,
        seq: u64,
        op: KvOp,
    },
}

/// The operation a workload's `Op` asks for. The kv workload makes only
/// these four, so anything else is a bug in dsim, not in the user's input.
pub fn parse(op: &Op) -> KvOp {
    let key = op.key.unwrap_or(0);
    match (op.f.as_ref(), &op.value) {
        ("get", _) => KvOp::Get { key },
        ("put", Value::Int(v)) => KvOp::Put { key, value: *v },
        ("append", Value::Int(v)) => KvOp::Append { key, value: *v },
        ("cas", Value::Pair(a, b)) => KvOp::Cas { key, expected: *a, new: *b },
        _ => panic!("a kv client cannot run {op}"),
    }
}

/// How the history records an outcome of `op`.
pub fn completion(outcome: KvOutcome, op: KvOp) -> Completion {
    match (outcome, op) {
        (KvOutcome::Fail, _) => Completion::Fail,
        (KvOutcome::Ok(list), KvOp::Get { .. }) => {
            Completion::Ok(if list.is_empty() { Value::Nil } else { Value::List(list) })
        }
        (KvOutcome::Ok(_), KvOp::Put { value, .. } | KvOp::Append { value, .. }) => {
            Completion::Ok(Value::Int(value))
        }
        (KvOutcome::Ok(_), KvOp::Cas { expected, new, .. }) => Completion::Ok(Value::Pair(expected, new)),
    }
}
