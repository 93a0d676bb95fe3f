//! Workloads: what operations clients invoke.
//!
//! The engine paces clients (each runs one operation at a time and thinks
//! for an exponentially distributed time between operations, so that all
//! clients together approach the scenario's rate) and asks a generator what
//! to invoke next. Generators draw only from the workload stream.

use crate::history::{Op, Value};
use crate::rng::Rng;

/// Every workload kind dsim knows, with what its operations are.
pub const WORKLOADS: &[(&str, &str)] = &[
    ("broadcast", "broadcast(v): submit a new unique value to a random node (Maelstrom's broadcast)"),
    ("register", "read, write(v) of one register; values 0..5, so writes collide as in Jepsen"),
    ("cas-register", "read, write(v), cas([old new]) of one register; values 0..5"),
    ("kv", "get, put(v), append(v), cas([old new]) on `keys` keys; written values are unique"),
];

pub trait Generator {
    fn next_op(&mut self, client: u32, rng: &mut Rng) -> Op;
}

/// Unique values 1, 2, 3... in invocation order. Dense values let nodes
/// summarise what they hold as ranges.
pub struct BroadcastWorkload {
    next: i64,
}

impl Generator for BroadcastWorkload {
    fn next_op(&mut self, _client: u32, _rng: &mut Rng) -> Op {
        let v = self.next;
        self.next += 1;
        Op::new("broadcast", Value::Int(v))
    }
}

/// RegisterWorkload operations over a small value space: half reads, then writes
/// and (with `cas`) compare-and-sets.
pub struct RegisterWorkload {
    cas: bool,
}

const REGISTER_VALUES: u64 = 5;

impl Generator for RegisterWorkload {
    fn next_op(&mut self, _client: u32, rng: &mut Rng) -> Op {
        let v = rng.below(REGISTER_VALUES) as i64;
        match rng.below(if self.cas { 4 } else { 2 }) {
            0 | 1 if !self.cas && rng.chance(500_000) => Op::new("read", Value::Nil),
            0 | 1 if self.cas => Op::new("read", Value::Nil),
            0 | 1 => Op::new("write", Value::Int(v)),
            2 => Op::new("write", Value::Int(v)),
            _ => Op::new("cas", Value::Pair(rng.below(REGISTER_VALUES) as i64, v)),
        }
    }
}

/// Key-value operations: gets, puts, appends and compare-and-sets of
/// unique values. A cas expects the value last written to its key, so some
/// succeed and some fail.
pub struct KvWorkload {
    keys: u32,
    next: i64,
    last: Vec<i64>,
}

impl Generator for KvWorkload {
    fn next_op(&mut self, _client: u32, rng: &mut Rng) -> Op {
        let key = rng.below(self.keys as u64);
        self.next += 1;
        let v = self.next;
        let op = match rng.below(20) {
            0..=7 => return Op::keyed("get", key, Value::Nil),
            8..=12 => Op::keyed("append", key, Value::Int(v)),
            13..=16 => Op::keyed("put", key, Value::Int(v)),
            _ => Op::keyed("cas", key, Value::Pair(self.last[key as usize], v)),
        };
        self.last[key as usize] = v;
        op
    }
}

/// The built-in generator for a workload kind, if dsim has one.
pub fn builtin_generator(kind: &str, keys: u32) -> Option<Box<dyn Generator>> {
    Some(match kind {
        "broadcast" => Box::new(BroadcastWorkload { next: 1 }),
        "register" => Box::new(RegisterWorkload { cas: false }),
        "cas-register" => Box::new(RegisterWorkload { cas: true }),
        "kv" => Box::new(KvWorkload { keys: keys.max(1), next: 0, last: vec![0; keys.max(1) as usize] }),
        _ => return None,
    })
}
