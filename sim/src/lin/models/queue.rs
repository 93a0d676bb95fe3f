//! Queues, as Knossos's: `enqueue(v)`, and `dequeue`, which returns a
//! value. In a `fifo-queue` it returns the oldest one, and `nil` when the
//! queue is empty. In an `unordered-queue` it returns any enqueued value;
//! as in Knossos it never returns `nil`: Jepsen's queue clients record a
//! dequeue from an empty queue as a `:fail`, which did not happen.
//!
//! A dequeue whose outcome is unknown took the oldest value from a FIFO
//! queue (or nothing, if it was empty). From an unordered queue it may have
//! taken any value, and the model lets it take none: since no operation of
//! an unordered queue can see that a value is missing, a state with more
//! values can do all that one with fewer can, so that choice is exact.

use crate::history::Value;
use crate::lin::model::Model;
use std::collections::VecDeque;

#[derive(Clone, Copy, Debug, Default)]
pub struct FifoQueue;

#[derive(Clone, Copy, Debug, Default)]
pub struct UnorderedQueue;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum QueueOp {
    Enqueue(i64),
    Dequeue,
}

fn queue_op(name: &str, f: &str, input: &Value) -> Result<QueueOp, String> {
    match (f, input) {
        ("enqueue", Value::Int(v)) => Ok(QueueOp::Enqueue(*v)),
        ("dequeue", _) => Ok(QueueOp::Dequeue),
        _ => Err(format!("a {name} has enqueue(v) of an integer and dequeue, not `{f}` with value {input}")),
    }
}

fn show(items: impl Iterator<Item = i64>) -> String {
    let items: Vec<String> = items.map(|v| v.to_string()).collect();
    format!("[{}]", items.join(" "))
}

impl Model for FifoQueue {
    /// Oldest first.
    type State = VecDeque<i64>;
    type Op = QueueOp;
    fn name(&self) -> &'static str {
        "fifo-queue"
    }
    fn init(&self) -> VecDeque<i64> {
        VecDeque::new()
    }
    fn op(&self, f: &str, input: &Value) -> Result<QueueOp, String> {
        queue_op(self.name(), f, input)
    }
    fn step(&self, state: &VecDeque<i64>, op: &QueueOp, output: Option<&Value>) -> Option<VecDeque<i64>> {
        let mut next = state.clone();
        match op {
            QueueOp::Enqueue(v) => next.push_back(*v),
            QueueOp::Dequeue => {
                let got = next.pop_front().map_or(Value::Nil, Value::Int);
                if output.is_some_and(|o| *o != got) {
                    return None;
                }
            }
        }
        Some(next)
    }
    fn written(&self, op: &QueueOp) -> Option<i64> {
        match op {
            QueueOp::Enqueue(v) => Some(*v),
            QueueOp::Dequeue => None,
        }
    }
    fn revealed(&self, op: &QueueOp, output: Option<&Value>, out: &mut Vec<i64>) {
        if let (QueueOp::Dequeue, Some(Value::Int(v))) = (op, output) {
            out.push(*v);
        }
    }
    fn show_state(&self, state: &VecDeque<i64>) -> String {
        show(state.iter().copied())
    }
}

impl Model for UnorderedQueue {
    /// The values in the queue, as a sorted multiset.
    type State = Vec<i64>;
    type Op = QueueOp;
    fn name(&self) -> &'static str {
        "unordered-queue"
    }
    fn init(&self) -> Vec<i64> {
        Vec::new()
    }
    fn op(&self, f: &str, input: &Value) -> Result<QueueOp, String> {
        queue_op(self.name(), f, input)
    }
    fn step(&self, state: &Vec<i64>, op: &QueueOp, output: Option<&Value>) -> Option<Vec<i64>> {
        match (op, output) {
            (QueueOp::Enqueue(v), _) => {
                let mut next = state.clone();
                let at = next.partition_point(|x| x <= v);
                next.insert(at, *v);
                Some(next)
            }
            (QueueOp::Dequeue, None) => Some(state.clone()),
            (QueueOp::Dequeue, Some(Value::Int(v))) => {
                let at = state.binary_search(v).ok()?;
                let mut next = state.clone();
                next.remove(at);
                Some(next)
            }
            (QueueOp::Dequeue, Some(_)) => None,
        }
    }
    fn written(&self, op: &QueueOp) -> Option<i64> {
        match op {
            QueueOp::Enqueue(v) => Some(*v),
            QueueOp::Dequeue => None,
        }
    }
    fn revealed(&self, op: &QueueOp, output: Option<&Value>, out: &mut Vec<i64>) {
        if let (QueueOp::Dequeue, Some(Value::Int(v))) = (op, output) {
            out.push(*v);
        }
    }
    fn show_state(&self, state: &Vec<i64>) -> String {
        show(state.iter().copied())
    }
}
