//! The built-in models: a register, a compare-and-set register, and a
//! key-value store whose keys are checked independently.

use super::model::Model;
use crate::history::Value;

/// A register holding an integer, `nil` at first: `read`, `write(v)`.
#[derive(Clone, Copy)]
pub struct Register;

/// A register with `cas([expected, new])`, which takes effect only when the
/// register holds `expected` (a `cas` that did not is a `fail` in the
/// history and left out).
#[derive(Clone, Copy)]
pub struct CasRegister;

/// One key of a key-value store (the checker splits histories by key):
/// `get`, `put(v)` (the value becomes `[v]`), `append(v)` (adds `v` to the
/// list), `cas([expected, new])` on the last element. A key never written
/// reads as `nil` or `[]`.
#[derive(Clone, Copy)]
pub struct Kv;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RegisterOp {
    Read,
    Write(i64),
    Cas(i64, i64),
}

fn register_value(state: Option<i64>) -> Value {
    state.map_or(Value::Nil, Value::Int)
}

fn register_op(f: &str, input: &Value, cas: bool) -> Result<RegisterOp, String> {
    match (f, input) {
        ("read" | "r", _) => Ok(RegisterOp::Read),
        ("write" | "w", Value::Int(v)) => Ok(RegisterOp::Write(*v)),
        ("cas", Value::Pair(a, b)) if cas => Ok(RegisterOp::Cas(*a, *b)),
        ("cas", Value::List(l)) if cas && l.len() == 2 => Ok(RegisterOp::Cas(l[0], l[1])),
        _ => Err(format!(
            "a {} has {}, not `{f}` with value {input}",
            if cas { "cas-register" } else { "register" },
            if cas { "read, write(v) and cas([old new])" } else { "read and write(v)" }
        )),
    }
}

fn register_step(state: &Option<i64>, op: &RegisterOp, output: Option<&Value>) -> Option<Option<i64>> {
    match *op {
        RegisterOp::Read => output.is_none_or(|o| *o == register_value(*state)).then_some(*state),
        RegisterOp::Write(v) => Some(Some(v)),
        RegisterOp::Cas(expected, new) => (*state == Some(expected)).then_some(Some(new)),
    }
}

impl Model for Register {
    type State = Option<i64>;
    type Op = RegisterOp;
    fn name(&self) -> &'static str {
        "register"
    }
    fn init(&self) -> Option<i64> {
        None
    }
    fn op(&self, f: &str, input: &Value) -> Result<RegisterOp, String> {
        register_op(f, input, false)
    }
    fn step(&self, state: &Option<i64>, op: &RegisterOp, output: Option<&Value>) -> Option<Option<i64>> {
        register_step(state, op, output)
    }
    fn read_only(&self, op: &RegisterOp) -> bool {
        *op == RegisterOp::Read
    }
}

impl Model for CasRegister {
    type State = Option<i64>;
    type Op = RegisterOp;
    fn name(&self) -> &'static str {
        "cas-register"
    }
    fn init(&self) -> Option<i64> {
        None
    }
    fn op(&self, f: &str, input: &Value) -> Result<RegisterOp, String> {
        register_op(f, input, true)
    }
    fn step(&self, state: &Option<i64>, op: &RegisterOp, output: Option<&Value>) -> Option<Option<i64>> {
        register_step(state, op, output)
    }
    fn read_only(&self, op: &RegisterOp) -> bool {
        *op == RegisterOp::Read
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum KvOp {
    Get,
    Put(i64),
    Append(i64),
    Cas(i64, i64),
}

impl Model for Kv {
    type State = Vec<i64>;
    type Op = KvOp;
    fn name(&self) -> &'static str {
        "kv"
    }
    fn init(&self) -> Vec<i64> {
        Vec::new()
    }
    fn op(&self, f: &str, input: &Value) -> Result<KvOp, String> {
        match (f, input) {
            ("get" | "read" | "r", _) => Ok(KvOp::Get),
            ("put" | "write" | "w", Value::Int(v)) => Ok(KvOp::Put(*v)),
            ("append", Value::Int(v)) => Ok(KvOp::Append(*v)),
            ("cas", Value::Pair(a, b)) => Ok(KvOp::Cas(*a, *b)),
            ("cas", Value::List(l)) if l.len() == 2 => Ok(KvOp::Cas(l[0], l[1])),
            _ => Err(format!(
                "a kv store has get, put(v), append(v) and cas([old new]), not `{f}` with value {input}"
            )),
        }
    }
    fn step(&self, state: &Vec<i64>, op: &KvOp, output: Option<&Value>) -> Option<Vec<i64>> {
        match *op {
            KvOp::Get => {
                let ok = match output {
                    None => true,
                    Some(Value::Nil) => state.is_empty(),
                    Some(Value::List(l)) => l == state,
                    Some(Value::Int(v)) => state.len() == 1 && state[0] == *v,
                    Some(_) => false,
                };
                ok.then(|| state.clone())
            }
            KvOp::Put(v) => Some(vec![v]),
            KvOp::Append(v) => {
                let mut s = state.clone();
                s.push(v);
                Some(s)
            }
            KvOp::Cas(expected, new) => (state.last() == Some(&expected)).then(|| {
                let mut s = state.clone();
                if let Some(last) = s.last_mut() {
                    *last = new;
                }
                s
            }),
        }
    }
    fn read_only(&self, op: &KvOp) -> bool {
        *op == KvOp::Get
    }
}

/// The built-in models, for `--model` and `dsim list`.
pub const MODELS: &[(&str, &str)] = &[
    ("register", "read and write(v) of one integer register"),
    ("cas-register", "read, write(v) and cas([old new]) of one register"),
    ("kv", "get, put(v), append(v) and cas per key; keys are checked independently"),
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn registers() {
        let m = CasRegister;
        let s = m.init();
        assert_eq!(m.step(&s, &RegisterOp::Read, Some(&Value::Nil)), Some(None));
        assert_eq!(m.step(&s, &RegisterOp::Read, Some(&Value::Int(0))), None);
        let s = m.step(&s, &RegisterOp::Write(3), None).unwrap();
        assert_eq!(m.step(&s, &RegisterOp::Cas(3, 4), None), Some(Some(4)));
        assert_eq!(m.step(&s, &RegisterOp::Cas(2, 4), None), None);
        assert!(Register.op("cas", &Value::Pair(1, 2)).is_err());
    }

    #[test]
    fn kv_lists() {
        let m = Kv;
        let s = m.step(&m.init(), &KvOp::Append(1), None).unwrap();
        let s = m.step(&s, &KvOp::Append(2), None).unwrap();
        assert!(m.step(&s, &KvOp::Get, Some(&Value::List(vec![1, 2]))).is_some());
        assert!(m.step(&s, &KvOp::Get, Some(&Value::List(vec![2, 1]))).is_none());
        assert_eq!(m.step(&s, &KvOp::Put(7), None), Some(vec![7]));
        assert!(m.step(&m.init(), &KvOp::Get, Some(&Value::Nil)).is_some());
    }
}
