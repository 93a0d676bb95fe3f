//! A lock, as Knossos's `mutex`: `acquire` takes it when it is free,
//! `release` frees it when it is held. Like Knossos's, it does not track
//! which process holds it.

use crate::history::Value;
use crate::lin::model::Model;

#[derive(Clone, Copy, Debug, Default)]
pub struct Mutex;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MutexOp {
    Acquire,
    Release,
}

impl Model for Mutex {
    /// Whether the lock is held.
    type State = bool;
    type Op = MutexOp;
    fn name(&self) -> &'static str {
        "mutex"
    }
    fn init(&self) -> bool {
        false
    }
    fn op(&self, f: &str, _input: &Value) -> Result<MutexOp, String> {
        match f {
            "acquire" | "lock" => Ok(MutexOp::Acquire),
            "release" | "unlock" => Ok(MutexOp::Release),
            _ => Err(format!("a mutex has acquire and release, not `{f}`")),
        }
    }
    fn step(&self, held: &bool, op: &MutexOp, _output: Option<&Value>) -> Option<bool> {
        match op {
            MutexOp::Acquire => (!held).then_some(true),
            MutexOp::Release => held.then_some(false),
        }
    }
    fn show_state(&self, held: &bool) -> String {
        if *held { "held" } else { "free" }.to_string()
    }
}
