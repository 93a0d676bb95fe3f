//! The model of a protocol whose history is not checked for
//! linearizability.

use super::Model;
use crate::history::Value;

/// No model: a protocol whose operations are not reads and writes of an
/// object (a broadcast, a relay). Its `model()` returns `None`.
#[derive(Clone, Copy, Debug, Default)]
pub struct NoModel;

impl Model for NoModel {
    type State = ();
    type Op = ();
    fn name(&self) -> &'static str {
        "none"
    }
    fn init(&self) {}
    fn op(&self, f: &str, _input: &Value) -> Result<(), String> {
        Err(format!("this protocol has no linearizability model to read `{f}`"))
    }
    fn step(&self, _state: &(), _op: &(), _output: Option<&Value>) -> Option<()> {
        None
    }
}
