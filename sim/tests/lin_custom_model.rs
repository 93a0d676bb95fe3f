//! A model of one's own: a FIFO queue, plugged into the same checkers
//! through the `Model` trait, and judged the same way by the offline
//! search, the online frontier and the brute-force oracle.

use sim::history::{Completion, EventKind, History, Op};
use sim::lin::{brute_force, check, Budget, Model, Online, Step};
use sim::{Time, Value};
use std::collections::VecDeque;

#[derive(Clone, Copy)]
struct Queue;

#[derive(Clone, Debug)]
enum QueueOp {
    Enqueue(i64),
    Dequeue,
}

impl Model for Queue {
    type State = VecDeque<i64>;
    type Op = QueueOp;

    fn name(&self) -> &'static str {
        "queue"
    }

    fn init(&self) -> VecDeque<i64> {
        VecDeque::new()
    }

    fn op(&self, f: &str, input: &Value) -> Result<QueueOp, String> {
        match (f, input) {
            ("enqueue", Value::Int(v)) => Ok(QueueOp::Enqueue(*v)),
            ("dequeue", _) => Ok(QueueOp::Dequeue),
            _ => Err(format!("a queue has enqueue(v) and dequeue, not {f}")),
        }
    }

    fn step(&self, state: &VecDeque<i64>, op: &QueueOp, output: Option<&Value>) -> Option<VecDeque<i64>> {
        let mut next = state.clone();
        match op {
            QueueOp::Enqueue(v) => {
                next.push_back(*v);
                Some(next)
            }
            QueueOp::Dequeue => {
                let got = next.pop_front().map_or(Value::Nil, Value::Int);
                output.is_none_or(|o| *o == got).then_some(next)
            }
        }
    }
}

/// `(process, op, outcome)` in order; each op invoked and completed in turn
/// unless listed as concurrent.
fn history(steps: &[(u32, &'static str, Value, Option<Completion>)]) -> History {
    let mut h = History::default();
    let mut pending: Vec<(u32, u32)> = Vec::new();
    for (t, (p, f, v, done)) in steps.iter().enumerate() {
        match done {
            None => {
                let i = h.invoke(*p, Op::new(f, v.clone()), Time(t as u64));
                pending.push((*p, i));
            }
            Some(c) => {
                let pos = pending.iter().position(|(q, _)| q == p).expect("invoked first");
                let (_, i) = pending.remove(pos);
                h.complete(i, c.clone(), Time(t as u64));
            }
        }
    }
    h
}

fn online(h: &History) -> bool {
    let mut o = Online::new(Queue, 1_000);
    for (pos, e) in h.events.iter().enumerate() {
        let step = match e.kind {
            EventKind::Invoke => {
                o.invoke(pos as u64, e.op.key, &e.op.f, &e.op.value).unwrap();
                Step::Consistent
            }
            kind => o.complete(e.invoke.unwrap() as u64, kind, &e.op.value),
        };
        if matches!(step, Step::Violation(_)) {
            return false;
        }
    }
    true
}

fn verdicts(h: &History) -> (bool, bool, bool) {
    (
        check(&Queue, h, &Budget::default()).unwrap().is_linearizable(),
        online(h),
        brute_force(&Queue, h).unwrap(),
    )
}

#[test]
fn fifo_order_holds_when_enqueues_are_sequential() {
    let ok = Some(Completion::Ok(Value::Nil));
    let h = history(&[
        (0, "enqueue", Value::Int(1), None),
        (0, "enqueue", Value::Int(1), ok.clone()),
        (0, "enqueue", Value::Int(2), None),
        (0, "enqueue", Value::Int(2), ok),
        (1, "dequeue", Value::Nil, None),
        (1, "dequeue", Value::Nil, Some(Completion::Ok(Value::Int(1)))),
        (1, "dequeue", Value::Nil, None),
        (1, "dequeue", Value::Nil, Some(Completion::Ok(Value::Int(2)))),
    ]);
    assert_eq!(verdicts(&h), (true, true, true));
}

#[test]
fn dequeuing_out_of_order_is_caught() {
    let ok = Some(Completion::Ok(Value::Nil));
    let h = history(&[
        (0, "enqueue", Value::Int(1), None),
        (0, "enqueue", Value::Int(1), ok.clone()),
        (0, "enqueue", Value::Int(2), None),
        (0, "enqueue", Value::Int(2), ok),
        (1, "dequeue", Value::Nil, None),
        (1, "dequeue", Value::Nil, Some(Completion::Ok(Value::Int(2)))),
    ]);
    assert_eq!(verdicts(&h), (false, false, false));
}

#[test]
fn concurrent_enqueues_may_come_out_in_either_order() {
    let ok = Some(Completion::Ok(Value::Nil));
    let h = history(&[
        (0, "enqueue", Value::Int(1), None),
        (1, "enqueue", Value::Int(2), None),
        (0, "enqueue", Value::Int(1), ok.clone()),
        (1, "enqueue", Value::Int(2), ok),
        (2, "dequeue", Value::Nil, None),
        (2, "dequeue", Value::Nil, Some(Completion::Ok(Value::Int(2)))),
        (2, "dequeue", Value::Nil, None),
        (2, "dequeue", Value::Nil, Some(Completion::Ok(Value::Int(1)))),
        (2, "dequeue", Value::Nil, None),
        (2, "dequeue", Value::Nil, Some(Completion::Ok(Value::Nil))),
    ]);
    assert_eq!(verdicts(&h), (true, true, true));
}
