//! A set of integers, as Knossos's `set`: `add(v)`, and `read`, which
//! returns the whole set (as a vector or an EDN set, in any order).

use crate::history::Value;
use crate::lin::model::Model;
use std::collections::BTreeSet;

#[derive(Clone, Copy, Debug, Default)]
pub struct Set;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SetOp {
    Add(i64),
    Read,
}

/// The elements a read returned, sorted, or `None` if it is not a set of
/// integers.
fn elements(v: &Value) -> Option<Vec<i64>> {
    let mut items = match v {
        Value::Nil => Vec::new(),
        Value::Int(x) => vec![*x],
        Value::Pair(a, b) => vec![*a, *b],
        Value::List(l) => l.clone(),
        Value::Str(_) | Value::Keyword(_) => return None,
    };
    items.sort_unstable();
    items.dedup();
    Some(items)
}

impl Model for Set {
    type State = BTreeSet<i64>;
    type Op = SetOp;
    fn name(&self) -> &'static str {
        "set"
    }
    fn init(&self) -> BTreeSet<i64> {
        BTreeSet::new()
    }
    fn op(&self, f: &str, input: &Value) -> Result<SetOp, String> {
        match (f, input) {
            ("add", Value::Int(v)) => Ok(SetOp::Add(*v)),
            ("read" | "r", _) => Ok(SetOp::Read),
            _ => Err(format!("a set has add(v) of an integer and read, not `{f}` with value {input}")),
        }
    }
    fn step(&self, state: &BTreeSet<i64>, op: &SetOp, output: Option<&Value>) -> Option<BTreeSet<i64>> {
        match op {
            SetOp::Add(v) => {
                let mut next = state.clone();
                next.insert(*v);
                Some(next)
            }
            SetOp::Read => {
                let fits = output.is_none_or(|o| elements(o).is_some_and(|e| e.iter().eq(state.iter())));
                fits.then(|| state.clone())
            }
        }
    }
    fn read_only(&self, op: &SetOp) -> bool {
        *op == SetOp::Read
    }
    fn written(&self, op: &SetOp) -> Option<i64> {
        match op {
            SetOp::Add(v) => Some(*v),
            SetOp::Read => None,
        }
    }
    fn revealed(&self, op: &SetOp, output: Option<&Value>, out: &mut Vec<i64>) {
        if let (SetOp::Read, Some(o)) = (op, output) {
            out.extend(elements(o).unwrap_or_default());
        }
    }
    fn show_state(&self, state: &BTreeSet<i64>) -> String {
        let items: Vec<String> = state.iter().map(|v| v.to_string()).collect();
        format!("#{{{}}}", items.join(" "))
    }
}
