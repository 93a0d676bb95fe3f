//! Linearizability: does a history of concurrent operations look as if each
//! took effect at one instant between its invocation and its completion?
//!
//! The problem is NP-complete; the checkers here make it fast for the
//! histories real systems produce. Both split a history by key first
//! (P-compositionality: a key-value history is linearizable when each key's
//! history is), and both judge against a [`Model`]:
//!
//! - [`check`], offline: a memoised depth-first search (Wing and Gong, with
//!   Lowe's just-in-time linearization), run on a whole history;
//! - [`Online`], during a run: the frontier of possible linearizations,
//!   advanced at each completion, so a run stops at the step where its
//!   history stopped being linearizable.
//!
//! [`brute_force`] tries every order and is the oracle both are tested
//! against.

mod brute;
pub mod formats;
pub mod generate;
mod model;
mod models;
mod no_model;
mod offline;
mod online;
mod prepare;
mod verdict;

pub use brute::brute_force;
pub use model::Model;
pub use models::{
    CasRegister, FifoQueue, Kv, KvList, KvOp, KvText, Mutex, MutexOp, QueueOp, Register, RegisterOp, Set,
    SetOp, UnorderedQueue, MODELS,
};
pub use no_model::NoModel;
pub use online::{Online, Step};
pub use prepare::{partitions, Entry, HistoryError, Partition, NEVER};
pub use verdict::{Budget, Counterexample, Verdict};

use crate::history::History;

/// Checks a whole history against `model`.
pub fn check<M: Model>(model: &M, history: &History, budget: &Budget<'_>) -> Result<Verdict, HistoryError> {
    let mut steps = 0;
    let mut unknown = None;
    for part in partitions(model, history)? {
        match offline::check_partition(model, &part, budget, &mut steps) {
            offline::Outcome::Linearizable => {}
            offline::Outcome::Not(counterexample) => return Ok(Verdict::NotLinearizable(counterexample)),
            offline::Outcome::Unknown(reason) => {
                unknown.get_or_insert(reason);
            }
        }
    }
    Ok(match unknown {
        Some(reason) => Verdict::Unknown { reason },
        None => Verdict::Linearizable,
    })
}

/// Checks a history against a built-in model, by name. A key-value
/// history of strings is checked as [`KvText`].
pub fn check_named(model: &str, history: &History, budget: &Budget<'_>) -> Result<Verdict, CheckError> {
    let r = match model {
        "register" => check(&Register, history, budget),
        "cas-register" => check(&CasRegister, history, budget),
        "kv" if models::holds_strings(history) => {
            let (text, atoms) = KvText::for_history(history).map_err(CheckError::History)?;
            check(&text, &atoms, budget)
        }
        "kv" => check(&Kv, history, budget),
        "mutex" => check(&Mutex, history, budget),
        "set" => check(&Set, history, budget),
        "unordered-queue" => check(&UnorderedQueue, history, budget),
        "fifo-queue" => check(&FifoQueue, history, budget),
        other => return Err(CheckError::UnknownModel(other.to_string())),
    };
    r.map_err(CheckError::History)
}

/// The online checker for a built-in model, by name (for dsim's own
/// histories, whose values are integers). The unordered queue has none: the
/// online checker places an operation before it knows its output, and
/// which value an unordered dequeue removes is its output.
pub fn online_named(model: &str, limit: usize) -> Option<Box<dyn OnlineCheck>> {
    match model {
        "register" => Some(Box::new(Online::new(Register, limit))),
        "cas-register" => Some(Box::new(Online::new(CasRegister, limit))),
        "kv" => Some(Box::new(Online::new(Kv, limit))),
        "mutex" => Some(Box::new(Online::new(Mutex, limit))),
        "set" => Some(Box::new(Online::new(Set, limit))),
        "fifo-queue" => Some(Box::new(Online::new(FifoQueue, limit))),
        _ => None,
    }
}

/// An online checker whatever its model.
pub trait OnlineCheck {
    fn invoke(&mut self, call: u64, key: Option<u64>, f: &str, input: &crate::Value) -> Result<(), String>;
    fn complete(&mut self, call: u64, kind: crate::history::EventKind, output: &crate::Value) -> Step;
    fn overflowed(&self) -> bool;
    fn peak(&self) -> usize;
}

impl<M: Model> OnlineCheck for Online<M> {
    fn invoke(&mut self, call: u64, key: Option<u64>, f: &str, input: &crate::Value) -> Result<(), String> {
        Online::invoke(self, call, key, f, input)
    }
    fn complete(&mut self, call: u64, kind: crate::history::EventKind, output: &crate::Value) -> Step {
        Online::complete(self, call, kind, output)
    }
    fn overflowed(&self) -> bool {
        Online::overflowed(self)
    }
    fn peak(&self) -> usize {
        self.peak
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum CheckError {
    UnknownModel(String),
    History(HistoryError),
}

impl std::fmt::Display for CheckError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            CheckError::UnknownModel(m) => {
                let names: Vec<&str> = MODELS.iter().map(|(n, _)| *n).collect();
                write!(f, "unknown model `{m}`; the models are: {}", names.join(", "))
            }
            CheckError::History(e) => write!(f, "event {}: {}", e.index, e.message),
        }
    }
}

/// One operation of a history, by its invocation's position, for messages:
/// `c2 read -> 3 (invoked 1.2s, ok at 1.25s)`, or for a Jepsen history
/// `process 2 read key "x" -> "x 1 0 y" (ok)`. Processes and keys are
/// named as [`History::process_name`] and [`History::key_name`] say.
pub fn describe(history: &History, call: u64) -> String {
    use crate::history::EventKind;
    let Some(inv) = history.events.get(call as usize) else { return format!("event #{call}") };
    let done = history.events[call as usize + 1..].iter().find(|e| {
        e.kind != EventKind::Invoke
            && (e.invoke == Some(call as u32) || (e.invoke.is_none() && e.process == inv.process))
    });
    let key = inv.op.key.map_or(String::new(), |k| format!(" {}", history.key_name(k)));
    let input = match inv.op.value {
        crate::Value::Nil => String::new(),
        ref v => format!(" {v}"),
    };
    // Jepsen's logs have no times; positions alone order their events.
    let timed = inv.time_ns != 0 || done.is_some_and(|d| d.time_ns != 0);
    let end = match done {
        Some(d) if d.kind == EventKind::Ok && timed => format!(
            " -> {} (invoked {}, ok at {})",
            d.op.value,
            crate::Time(inv.time_ns).approx(),
            crate::Time(d.time_ns).approx()
        ),
        Some(d) if d.kind == EventKind::Ok => format!(" -> {} (ok)", d.op.value),
        Some(d) if timed => format!(" ({:?} at {})", d.kind, crate::Time(d.time_ns).approx()).to_lowercase(),
        Some(d) => format!(" ({:?})", d.kind).to_lowercase(),
        None if timed => format!(" (invoked {}, pending)", crate::Time(inv.time_ns).approx()),
        None => " (pending)".to_string(),
    };
    format!("{} {}{key}{input}{end}", history.process_name(inv.process), inv.op.f)
}
