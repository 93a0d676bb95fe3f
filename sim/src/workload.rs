//! Workloads: what operations clients invoke.
//!
//! The engine paces clients (each runs one operation at a time and thinks
//! for an exponentially distributed time between operations, so that all
//! clients together approach the scenario's rate) and asks a generator what
//! to invoke next. Generators draw only from the workload stream.

use crate::history::{Op, Value};
use crate::rng::Rng;

/// Every workload kind dsim knows, with what its operations are.
pub const WORKLOADS: &[(&str, &str)] =
    &[("broadcast", "broadcast(v): submit a new unique value to a random node (Maelstrom's broadcast)")];

pub trait Generator {
    fn next_op(&mut self, client: u32, rng: &mut Rng) -> Op;
}

/// Unique values 1, 2, 3... in invocation order. Dense values let nodes
/// summarise what they hold as ranges.
pub struct Broadcast {
    next: i64,
}

impl Generator for Broadcast {
    fn next_op(&mut self, _client: u32, _rng: &mut Rng) -> Op {
        let v = self.next;
        self.next += 1;
        Op::new("broadcast", Value::Int(v))
    }
}

/// The generator for a workload kind (already validated by the scenario).
pub fn generator(kind: &str) -> Box<dyn Generator> {
    match kind {
        "broadcast" => Box::new(Broadcast { next: 1 }),
        other => panic!("no generator for workload `{other}`"),
    }
}
