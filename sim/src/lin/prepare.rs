//! From a history to what the search works on: operations with the
//! positions of their invocation and completion, split by key.
//!
//! Positions in the history stand for time: `a` precedes `b` in real time
//! when `a`'s completion comes before `b`'s invocation. A `fail` did not
//! happen and is left out. An `info` (or an operation still pending when
//! the history ends) may have taken effect at any point after its
//! invocation, or never: it has no completion. An `info` read changes
//! nothing and is left out too, and so is an `info` write whose value no
//! operation ever reveals (no read returns it, no compare-and-set expects
//! it): whether it happened changes no state anything observed, so the
//! history is linearizable with it exactly when it is without it. With
//! unique written values, that removes most unknown outcomes before the
//! search, where each would otherwise double the configurations.
//!
//! An `info` write whose value is revealed is bounded instead, when it is
//! the only write of that value: it must have taken effect before the first
//! completed operation that revealed it, so it is given that operation's
//! completion. The history is linearizable with the bound exactly when it
//! is without it (it cannot be absent: nothing else wrote the value), and
//! the search treats it as an ordinary operation.

use super::model::Model;
use crate::history::{EventKind, History, Value};
use std::collections::BTreeMap;

/// The completion position of an operation that never completed.
pub const NEVER: u64 = u64::MAX;

#[derive(Clone, Debug)]
pub struct Entry<O> {
    /// Position of the invocation in the history.
    pub call: u64,
    /// Position of the completion, or [`NEVER`].
    pub ret: u64,
    pub op: O,
    /// What an `ok` operation returned.
    pub output: Option<Value>,
}

impl<O> Entry<O> {
    pub fn completed(&self) -> bool {
        self.ret != NEVER
    }
}

/// The operations on one key.
#[derive(Clone, Debug)]
pub struct Partition<O> {
    pub key: Option<u64>,
    pub entries: Vec<Entry<O>>,
}

/// A history the model cannot read: where, and why.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HistoryError {
    /// Position of the offending event.
    pub index: usize,
    pub message: String,
}

/// Splits a history into per-key partitions, in order of first appearance,
/// without the unknown-outcome operations that cannot matter.
pub fn partitions<M: Model>(model: &M, history: &History) -> Result<Vec<Partition<M::Op>>, HistoryError> {
    split(model, history, true)
}

/// Every operation, nothing left out but failures and unknown reads: what
/// the brute-force oracle judges, so that it also judges the pruning.
pub fn partitions_unpruned<M: Model>(
    model: &M,
    history: &History,
) -> Result<Vec<Partition<M::Op>>, HistoryError> {
    split(model, history, false)
}

fn split<M: Model>(model: &M, history: &History, prune: bool) -> Result<Vec<Partition<M::Op>>, HistoryError> {
    // Invocation position -> completion position, for every invocation.
    let mut completion: Vec<Option<usize>> = vec![None; history.events.len()];
    let mut pending_of: BTreeMap<u32, usize> = BTreeMap::new();
    for (i, e) in history.events.iter().enumerate() {
        let err = |message: String| HistoryError { index: i, message };
        match e.kind {
            EventKind::Invoke => {
                if let Some(previous) = pending_of.insert(e.process, i) {
                    return Err(err(format!(
                        "{} invokes an operation while its {} (event {previous}) is still pending",
                        history.process_name(e.process),
                        history.events[previous].op.f,
                    )));
                }
            }
            _ => {
                let invoke = match e.invoke {
                    Some(inv) => {
                        let inv = inv as usize;
                        if pending_of.get(&e.process) != Some(&inv) {
                            return Err(err(format!("this completes event {inv}, which is not pending")));
                        }
                        inv
                    }
                    None => *pending_of.get(&e.process).ok_or_else(|| {
                        err(format!(
                            "{} completes an operation it never invoked",
                            history.process_name(e.process)
                        ))
                    })?,
                };
                let inv = &history.events[invoke];
                if inv.op.f != e.op.f {
                    return Err(err(format!(
                        "this completes a `{}`, but the pending operation of {} is a `{}`",
                        e.op.f,
                        history.process_name(e.process),
                        inv.op.f
                    )));
                }
                if e.time_ns < inv.time_ns {
                    return Err(err(format!(
                        "this completion is earlier ({} ns) than its invocation ({} ns)",
                        e.time_ns, inv.time_ns
                    )));
                }
                if let (EventKind::Ok, Value::Keyword(k)) = (e.kind, &e.op.value) {
                    return Err(err(format!(
                        "an :ok completion returns the keyword :{k}; a keyword says why an operation failed \
                         or timed out, so this should be :fail (it did not happen) or :info (unknown)"
                    )));
                }
                pending_of.remove(&e.process);
                completion[invoke] = Some(i);
            }
        }
    }
    let mut keys: Vec<Option<u64>> = Vec::new();
    let mut part_of: BTreeMap<Option<u64>, usize> = BTreeMap::new();
    let mut parts: Vec<Vec<Entry<M::Op>>> = Vec::new();
    for (i, e) in history.events.iter().enumerate() {
        if e.kind != EventKind::Invoke {
            continue;
        }
        let done = completion[i].map(|c| &history.events[c]);
        if done.is_some_and(|d| d.kind == EventKind::Fail) {
            continue;
        }
        let op = model.op(&e.op.f, &e.op.value).map_err(|message| HistoryError { index: i, message })?;
        let ok = done.filter(|d| d.kind == EventKind::Ok);
        if ok.is_none() && model.read_only(&op) {
            continue;
        }
        let entry = Entry {
            call: i as u64,
            ret: ok.map_or(NEVER, |_| completion[i].unwrap_or(0) as u64),
            op,
            output: ok.map(|d| d.op.value.clone()),
        };
        match part_of.get(&e.op.key) {
            Some(&p) => parts[p].push(entry),
            None => {
                part_of.insert(e.op.key, parts.len());
                keys.push(e.op.key);
                parts.push(vec![entry]);
            }
        }
    }
    for entries in parts.iter_mut().filter(|_| prune) {
        settle_unknown_writes(model, entries);
    }
    Ok(keys.into_iter().zip(parts).map(|(key, entries)| Partition { key, entries }).collect())
}

/// Drops the unknown-outcome writes nothing reveals, and bounds those a
/// completed operation reveals (see the module's documentation).
fn settle_unknown_writes<M: Model>(model: &M, entries: &mut Vec<Entry<M::Op>>) {
    let mut writers: BTreeMap<i64, u32> = BTreeMap::new();
    // Value -> the earliest completion of an operation that revealed it
    // (NEVER when only unknown-outcome operations did).
    let mut revealed: BTreeMap<i64, u64> = BTreeMap::new();
    let mut values = Vec::new();
    for e in entries.iter() {
        if let Some(v) = model.written(&e.op) {
            *writers.entry(v).or_default() += 1;
        }
        values.clear();
        model.revealed(&e.op, e.output.as_ref(), &mut values);
        for v in &values {
            let bound = revealed.entry(*v).or_insert(NEVER);
            *bound = (*bound).min(e.ret);
        }
    }
    entries.retain_mut(|e| {
        if e.completed() {
            return true;
        }
        let Some(v) = model.written(&e.op) else { return true };
        match revealed.get(&v) {
            None => false,
            Some(&bound) => {
                if writers.get(&v) == Some(&1) && bound != NEVER && bound > e.call {
                    e.ret = bound;
                }
                true
            }
        }
    });
}
