//! A register holding an integer, and one with compare-and-set.

use crate::history::Value;
use crate::lin::model::Model;

/// A register holding an integer, `nil` at first: `read`, `write(v)`.
#[derive(Clone, Copy, Debug, Default)]
pub struct Register;

/// A register with `cas([expected, new])`, which takes effect only when the
/// register holds `expected` (a `cas` that did not is a `fail` in the
/// history and left out).
#[derive(Clone, Copy, Debug, Default)]
pub struct CasRegister;

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
            if cas {
                "read, write(v) and cas([old new]) of integers"
            } else {
                "read and write(v) of integers"
            }
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

/// The two registers differ only in their name and whether `cas` exists.
macro_rules! register_model {
    ($model:ident, $name:literal, cas: $cas:literal) => {
        impl Model for $model {
            type State = Option<i64>;
            type Op = RegisterOp;
            fn name(&self) -> &'static str {
                $name
            }
            fn init(&self) -> Option<i64> {
                None
            }
            fn op(&self, f: &str, input: &Value) -> Result<RegisterOp, String> {
                register_op(f, input, $cas)
            }
            fn step(
                &self,
                state: &Option<i64>,
                op: &RegisterOp,
                output: Option<&Value>,
            ) -> Option<Option<i64>> {
                register_step(state, op, output)
            }
            fn read_only(&self, op: &RegisterOp) -> bool {
                *op == RegisterOp::Read
            }
            fn written(&self, op: &RegisterOp) -> Option<i64> {
                match *op {
                    RegisterOp::Write(v) | RegisterOp::Cas(_, v) => Some(v),
                    RegisterOp::Read => None,
                }
            }
            fn revealed(&self, op: &RegisterOp, output: Option<&Value>, out: &mut Vec<i64>) {
                match (op, output) {
                    (RegisterOp::Read, Some(Value::Int(v))) => out.push(*v),
                    (RegisterOp::Cas(expected, _), _) => out.push(*expected),
                    _ => {}
                }
            }
            fn show_state(&self, state: &Option<i64>) -> String {
                register_value(*state).to_string()
            }
        }
    };
}

register_model!(Register, "register", cas: false);
register_model!(CasRegister, "cas-register", cas: true);

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
        assert_eq!(m.show_state(&Some(4)), "4");
        assert_eq!(m.show_state(&None), "nil");
    }
}
