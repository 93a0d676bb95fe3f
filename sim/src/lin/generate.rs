//! Histories for benchmarks and tests: clients whose operations take effect
//! at a random instant between invocation and completion, so the history is
//! linearizable by construction, unless one read is corrupted on purpose
//! (late in the history, so that a checker must get through most of it).
//!
//! Key-value histories come in two kinds. With integers, as dsim's kv
//! workload: half reads, a quarter appends, a quarter puts. With strings,
//! as the key-value histories Porcupine's users check (a Go key-value
//! service's tests): about half appends, a few puts, the rest gets; each
//! written string is `"x C N y"` (client C's N-th), and a get returns the
//! concatenation.

use crate::history::{Completion, History, Op, Value};
use crate::rng::{Rng, Stream};
use crate::time::Time;

#[derive(Clone, Copy, Debug)]
pub struct Spec {
    /// `cas-register` or `kv`.
    pub kv: bool,
    pub operations: usize,
    pub clients: u32,
    /// Operations whose outcome is unknown, per thousand; half of them
    /// take effect.
    pub info_per_mille: u32,
    /// Keys, for `kv`.
    pub keys: u32,
    /// Corrupt one read near the end.
    pub corrupt: bool,
    /// For `kv`: string values, appends concatenating (see above).
    pub strings: bool,
    pub seed: u64,
}

struct Planned {
    client: u32,
    op: Op,
    invoke: u64,
    effect: u64,
    done: u64,
    info: bool,
    applies: bool,
    output: Value,
}

pub fn generate(spec: &Spec) -> History {
    let mut rng = Rng::new(spec.seed, Stream::Workload);
    let mut plans: Vec<Planned> = Vec::with_capacity(spec.operations);
    let mut clock = vec![0u64; spec.clients as usize];
    let mut next_value = 0i64;
    for _ in 0..spec.operations {
        let client = rng.below(spec.clients as u64) as u32;
        let invoke = clock[client as usize] + rng.between(1, 1_000);
        let effect = invoke + rng.between(1, 5_000);
        let done = effect + rng.between(1, 5_000);
        clock[client as usize] = done;
        next_value += 1;
        let op = if spec.kv && spec.strings {
            let key = rng.below(spec.keys.max(1) as u64);
            let text = Value::Str(format!("x {client} {next_value} y"));
            match rng.below(100) {
                0..=49 => Op::keyed("append", key, text),
                50..=54 => Op::keyed("put", key, text),
                _ => Op::keyed("get", key, Value::Nil),
            }
        } else if spec.kv {
            let key = rng.below(spec.keys.max(1) as u64);
            match rng.below(4) {
                0 | 1 => Op::keyed("get", key, Value::Nil),
                2 => Op::keyed("append", key, Value::Int(next_value)),
                _ => Op::keyed("put", key, Value::Int(next_value)),
            }
        } else {
            let v = rng.below(5) as i64;
            match rng.below(4) {
                0 | 1 => Op::new("read", Value::Nil),
                2 => Op::new("write", Value::Int(v)),
                _ => Op::new("cas", Value::Pair(rng.below(5) as i64, v)),
            }
        };
        let info = rng.below(1_000) < spec.info_per_mille as u64 && op.f != "read" && op.f != "get";
        let applies = !info || rng.chance(500_000);
        plans.push(Planned { client, op, invoke, effect, done, info, applies, output: Value::Nil });
    }
    // Apply effects in effect order to find each operation's output.
    let mut order: Vec<usize> = (0..plans.len()).collect();
    order.sort_by_key(|&i| (plans[i].effect, i));
    let mut registers: Vec<Option<i64>> = vec![None; spec.keys.max(1) as usize];
    let mut lists: Vec<Vec<i64>> = vec![Vec::new(); spec.keys.max(1) as usize];
    let mut texts: Vec<String> = vec![String::new(); spec.keys.max(1) as usize];
    for &i in &order {
        let p = &mut plans[i];
        let k = p.op.key.unwrap_or(0) as usize;
        match (p.op.f.as_ref(), &p.op.value) {
            ("read", _) => p.output = registers[k].map_or(Value::Nil, Value::Int),
            ("get", _) if spec.strings => p.output = Value::Str(texts[k].clone()),
            ("get", _) => {
                p.output = if lists[k].is_empty() { Value::Nil } else { Value::List(lists[k].clone()) }
            }
            ("append", Value::Str(v)) if p.applies => texts[k].push_str(v),
            ("put", Value::Str(v)) if p.applies => texts[k] = v.clone(),
            ("write", Value::Int(v)) if p.applies => registers[k] = Some(*v),
            ("cas", Value::Pair(a, b)) => {
                if registers[k] == Some(*a) && p.applies {
                    registers[k] = Some(*b);
                } else if !p.info {
                    p.applies = false; // a failed cas: recorded as fail
                }
            }
            ("append", Value::Int(v)) if p.applies => lists[k].push(*v),
            ("put", Value::Int(v)) if p.applies => lists[k] = vec![*v],
            _ => {}
        }
    }
    if spec.corrupt {
        let reads: Vec<usize> = (plans.len() * 9 / 10..plans.len())
            .filter(|&i| matches!(plans[i].op.f.as_ref(), "read" | "get"))
            .collect();
        if let Some(&i) = reads.first() {
            plans[i].output = if spec.strings {
                Value::Str("x -1 -1 y".to_string())
            } else if spec.kv {
                Value::List(vec![-1])
            } else {
                Value::Int(-1)
            };
        }
    }
    // Emit invocations and completions in time order.
    let mut events: Vec<(u64, bool, usize)> = Vec::with_capacity(plans.len() * 2);
    for (i, p) in plans.iter().enumerate() {
        events.push((p.invoke, true, i));
        events.push((p.done, false, i));
    }
    events.sort_by_key(|&(t, invoke, i)| (t, !invoke, i));
    let mut h = History::default();
    let mut position = vec![0u32; plans.len()];
    for (t, invoke, i) in events {
        let p = &plans[i];
        if invoke {
            position[i] = h.invoke(p.client, p.op.clone(), Time(t));
        } else {
            let outcome = if p.info {
                Completion::Info
            } else if p.op.f == "cas" && !p.applies {
                Completion::Fail
            } else {
                Completion::Ok(match p.op.f.as_ref() {
                    "read" | "get" => p.output.clone(),
                    _ => p.op.value.clone(),
                })
            };
            h.complete(position[i], outcome, Time(t));
        }
    }
    h
}
