//! The linearizability checkers against the brute-force oracle: on random
//! histories of up to 8 operations (with concurrency, unknown outcomes,
//! failures, keys), the offline search, the online frontier and the oracle
//! give the same verdict every time.

use sim::history::{Completion, EventKind, History, Op};
use sim::lin::{
    brute_force, check, check_named, Budget, CasRegister, FifoQueue, Kv, KvText, Model, Mutex, Online,
    Register, Set, Step, UnorderedQueue,
};
use sim::rng::{Rng, Stream};
use sim::{Time, Value};

/// A random history from a register whose operations take effect at their
/// completion, with some outputs then corrupted: about half linearizable.
fn random_history(rng: &mut Rng, kv: bool, cas: bool) -> History {
    let processes = 1 + rng.below(4) as u32;
    let total = 1 + rng.below(8);
    let mut h = History::default();
    let mut truth: Vec<Vec<i64>> = vec![Vec::new(); 2];
    let mut busy: Vec<Option<u32>> = vec![None; processes as usize];
    // A process whose operation stays pending forever never invokes again.
    let mut retired = vec![false; processes as usize];
    let mut invoked = 0;
    let mut t = 0;
    loop {
        let p = rng.below(processes as u64) as usize;
        t += 1;
        if retired[p] {
            if retired.iter().zip(&busy).all(|(r, b)| *r || b.is_none()) && invoked >= total {
                break;
            }
            if retired.iter().all(|r| *r) {
                break;
            }
            continue;
        }
        match busy[p] {
            None if invoked < total => {
                let key = if kv { Some(rng.below(2)) } else { None };
                let v = rng.below(3) as i64;
                let op = match (kv, rng.below(if cas { 3 } else { 2 })) {
                    (false, 0) => Op::new("read", Value::Nil),
                    (false, 1) => Op::new("write", Value::Int(v)),
                    (false, _) => Op::new("cas", Value::Pair(rng.below(3) as i64, v)),
                    (true, 0) => Op::keyed("get", key.unwrap(), Value::Nil),
                    (true, 1) => Op::keyed("append", key.unwrap(), Value::Int(v)),
                    (true, _) => Op::keyed("put", key.unwrap(), Value::Int(v)),
                };
                busy[p] = Some(h.invoke(p as u32, op, Time(t)));
                invoked += 1;
            }
            None => {
                if retired.iter().zip(&busy).all(|(r, b)| *r || b.is_none()) {
                    break;
                }
            }
            Some(inv) => {
                // Some operations stay pending forever.
                if rng.chance(50_000) {
                    retired[p] = true;
                    continue;
                }
                busy[p] = None;
                let op = h.events[inv as usize].op.clone();
                let k = op.key.unwrap_or(0) as usize;
                let state = &mut truth[k];
                let outcome = match op.f.as_ref() {
                    "read" | "get" => {
                        let real = if kv {
                            if state.is_empty() {
                                Value::Nil
                            } else {
                                Value::List(state.clone())
                            }
                        } else {
                            state.last().map_or(Value::Nil, |v| Value::Int(*v))
                        };
                        if rng.chance(300_000) {
                            Completion::Ok(match rng.below(4) {
                                0 => Value::Nil,
                                n if kv => Value::List(vec![n as i64 - 1]),
                                n => Value::Int(n as i64 - 1),
                            })
                        } else {
                            Completion::Ok(real)
                        }
                    }
                    "cas" => {
                        let Value::Pair(a, b) = op.value else { unreachable!() };
                        if state.last() == Some(&a) {
                            state.push(b);
                            Completion::Ok(op.value.clone())
                        } else {
                            Completion::Fail
                        }
                    }
                    _ => {
                        let Value::Int(v) = op.value else { unreachable!() };
                        let kind = rng.below(10);
                        if kind == 0 {
                            Completion::Fail
                        } else {
                            if op.f == "put" {
                                state.clear();
                            }
                            if kind == 1 {
                                if rng.chance(500_000) {
                                    state.push(v);
                                }
                                Completion::Info
                            } else {
                                state.push(v);
                                Completion::Ok(op.value.clone())
                            }
                        }
                    }
                };
                h.complete(inv, outcome, Time(t));
            }
        }
    }
    h
}

fn show(h: &History) -> String {
    h.events
        .iter()
        .enumerate()
        .map(|(i, e)| {
            format!("{i:>2} p{} {:?} {} {} inv={:?}", e.process, e.kind, e.op.f, e.op.value, e.invoke)
        })
        .collect::<Vec<_>>()
        .join("\n")
}

fn online_verdict<M: Model>(model: M, h: &History) -> bool {
    let mut online = Online::new(model, 100_000);
    for (pos, e) in h.events.iter().enumerate() {
        match e.kind {
            EventKind::Invoke => online.invoke(pos as u64, e.op.key, &e.op.f, &e.op.value).unwrap(),
            kind => match online.complete(e.invoke.unwrap() as u64, kind, &e.op.value) {
                Step::Consistent => {}
                Step::Violation(_) => return false,
                Step::Overflow => panic!("a tiny history overflowed the frontier"),
            },
        }
    }
    true
}

/// `DSIM_ORACLE_SCALE=k` runs k times as many histories (for a long soak).
fn scale() -> u64 {
    std::env::var("DSIM_ORACLE_SCALE").ok().and_then(|s| s.parse().ok()).unwrap_or(1)
}

fn agree<M: Model + Copy>(model: M, kv: bool, cas: bool, n: u64, seed: u64) -> (u64, u64) {
    let n = n * scale();
    let mut rng = Rng::new(seed, Stream::Workload);
    let (mut yes, mut no) = (0, 0);
    for i in 0..n {
        let h = random_history(&mut rng, kv, cas);
        let oracle = brute_force(&model, &h).unwrap();
        let offline = check(&model, &h, &Budget::default()).unwrap();
        assert_eq!(offline.is_linearizable(), oracle, "offline, history {i}:\n{}\n{offline:?}", show(&h));
        assert_eq!(online_verdict(model, &h), oracle, "online, history {i}:\n{}", show(&h));
        if oracle {
            yes += 1
        } else {
            no += 1
        }
    }
    (yes, no)
}

#[test]
fn all_three_agree_on_ten_thousand_cas_register_histories() {
    let (yes, no) = agree(CasRegister, false, true, 10_000, 1);
    assert!(
        yes > 2_000 * scale() && no > 2_000 * scale(),
        "both verdicts are common: {yes} linearizable, {no} not"
    );
}

#[test]
fn all_three_agree_on_register_histories() {
    let (yes, no) = agree(Register, false, false, 3_000, 2);
    assert!(yes > 500 && no > 500, "{yes} {no}");
}

#[test]
fn all_three_agree_on_keyed_kv_histories() {
    let (yes, no) = agree(Kv, true, false, 3_000, 3);
    assert!(yes > 500 && no > 500, "{yes} {no}");
}

// The other models, each with a small world that plays the operations for
// real (each takes effect at its completion) and sometimes lies about an
// output, so that about half the histories are linearizable.

/// What a generator needs from a model's world.
trait World {
    fn op(&mut self, rng: &mut Rng) -> Op;
    /// Plays `op` for real: its outcome (the true one or, sometimes, a lie).
    fn complete(&mut self, op: &Op, rng: &mut Rng) -> Completion;
}

/// A history of up to 8 operations by up to 4 processes, some of which
/// time out (`info`, half of them taking effect) or stay pending.
fn random_world_history(rng: &mut Rng, world: &mut dyn World) -> History {
    let processes = 1 + rng.below(4) as usize;
    let total = 1 + rng.below(8);
    let mut h = History::default();
    let mut busy: Vec<Option<u32>> = vec![None; processes];
    // A process whose operation stays pending forever never invokes again.
    let mut retired = vec![false; processes];
    let mut invoked = 0;
    let mut t = 0;
    loop {
        let can_invoke = invoked < total && retired.iter().any(|r| !r);
        if !can_invoke && busy.iter().all(|b| b.is_none()) {
            break;
        }
        let p = rng.below(processes as u64) as usize;
        t += 1;
        if retired[p] {
            continue;
        }
        match busy[p] {
            None if invoked < total => {
                busy[p] = Some(h.invoke(p as u32, world.op(rng), Time(t)));
                invoked += 1;
            }
            None => {}
            Some(inv) => {
                busy[p] = None;
                if rng.chance(40_000) {
                    retired[p] = true;
                    continue;
                }
                let op = h.events[inv as usize].op.clone();
                let outcome = world.complete(&op, rng);
                h.complete(inv, outcome, Time(t));
            }
        }
    }
    h
}

fn lie(rng: &mut Rng) -> bool {
    rng.chance(250_000)
}

struct MutexWorld(bool);

impl World for MutexWorld {
    fn op(&mut self, rng: &mut Rng) -> Op {
        Op::new(if rng.chance(500_000) { "acquire" } else { "release" }, Value::Nil)
    }
    fn complete(&mut self, op: &Op, rng: &mut Rng) -> Completion {
        let acquire = op.f == "acquire";
        let possible = acquire != self.0;
        if rng.chance(100_000) {
            if possible && rng.chance(500_000) {
                self.0 = acquire;
            }
            return Completion::Info;
        }
        if possible != lie(rng) {
            if possible {
                self.0 = acquire;
            }
            Completion::Ok(Value::Nil)
        } else {
            Completion::Fail
        }
    }
}

struct SetWorld(Vec<i64>, i64);

impl World for SetWorld {
    fn op(&mut self, rng: &mut Rng) -> Op {
        if rng.chance(500_000) {
            self.1 += 1;
            Op::new("add", Value::Int(self.1 % 4))
        } else {
            Op::new("read", Value::Nil)
        }
    }
    fn complete(&mut self, op: &Op, rng: &mut Rng) -> Completion {
        match op.value {
            Value::Int(v) => {
                if rng.chance(100_000) {
                    if rng.chance(500_000) && !self.0.contains(&v) {
                        self.0.push(v);
                    }
                    return Completion::Info;
                }
                if !self.0.contains(&v) {
                    self.0.push(v);
                }
                Completion::Ok(op.value.clone())
            }
            _ => {
                let mut seen = self.0.clone();
                if lie(rng) {
                    seen.push(rng.below(4) as i64);
                    seen.dedup();
                    if rng.chance(500_000) {
                        seen.remove(0);
                    }
                }
                seen.sort_unstable();
                seen.dedup();
                Completion::Ok(Value::List(seen))
            }
        }
    }
}

/// A queue: FIFO, or unordered (any value dequeued; an empty dequeue fails).
struct QueueWorld {
    items: std::collections::VecDeque<i64>,
    fifo: bool,
    next: i64,
}

impl World for QueueWorld {
    fn op(&mut self, rng: &mut Rng) -> Op {
        if rng.chance(500_000) {
            self.next += 1;
            Op::new("enqueue", Value::Int(self.next % 5))
        } else {
            Op::new("dequeue", Value::Nil)
        }
    }
    fn complete(&mut self, op: &Op, rng: &mut Rng) -> Completion {
        if let Value::Int(v) = op.value {
            if rng.chance(100_000) {
                if rng.chance(500_000) {
                    self.items.push_back(v);
                }
                return Completion::Info;
            }
            self.items.push_back(v);
            return Completion::Ok(op.value.clone());
        }
        let at =
            if self.fifo || self.items.is_empty() { 0 } else { rng.below(self.items.len() as u64) as usize };
        let got = self.items.remove(at);
        if got.is_none() && !self.fifo {
            return Completion::Fail;
        }
        if rng.chance(100_000) {
            if let Some(v) = got {
                if rng.chance(500_000) {
                    self.items.insert(at, v); // it did not take effect after all
                }
            }
            return Completion::Info;
        }
        let shown = if rng.chance(500_000) { Some(rng.below(7) as i64) } else { got };
        Completion::Ok(shown.map_or(Value::Nil, Value::Int))
    }
}

/// A key-value store whose written values are all different, as the
/// appends of Jepsen's and Porcupine's tests are: the case in which the
/// offline search takes the order of appends from the reads. Lies reorder,
/// drop or invent a value of a read.
struct UniqueKvWorld {
    lists: [Vec<i64>; 2],
    next: i64,
    strings: bool,
}

impl UniqueKvWorld {
    fn value(&self, v: i64) -> Value {
        if self.strings {
            Value::Str(format!("x{v}y"))
        } else {
            Value::Int(v)
        }
    }
}

impl World for UniqueKvWorld {
    fn op(&mut self, rng: &mut Rng) -> Op {
        let key = rng.below(2);
        self.next += 1;
        match rng.below(10) {
            0..=4 => Op::keyed("append", key, self.value(self.next)),
            5 => Op::keyed("put", key, self.value(self.next)),
            _ => Op::keyed("get", key, Value::Nil),
        }
    }
    fn complete(&mut self, op: &Op, rng: &mut Rng) -> Completion {
        let list = &mut self.lists[op.key.unwrap() as usize];
        let written = match &op.value {
            Value::Int(v) => Some(*v),
            Value::Str(s) => Some(s.trim_matches(['x', 'y']).parse::<i64>().unwrap()),
            _ => None,
        };
        if let Some(v) = written {
            let info = rng.chance(100_000);
            if !info || rng.chance(500_000) {
                if op.f == "put" {
                    list.clear();
                }
                list.push(v);
            }
            return if info { Completion::Info } else { Completion::Ok(op.value.clone()) };
        }
        let mut seen = list.clone();
        if lie(rng) {
            match rng.below(3) {
                0 if seen.len() >= 2 => {
                    let i = rng.below(seen.len() as u64 - 1) as usize;
                    seen.swap(i, i + 1);
                }
                1 if !seen.is_empty() => {
                    seen.remove(rng.below(seen.len() as u64) as usize);
                }
                _ => seen.push(self.next + 1 + rng.below(2) as i64),
            }
        }
        Completion::Ok(match (self.strings, seen.is_empty()) {
            (true, _) => Value::Str(seen.iter().map(|v| format!("x{v}y")).collect()),
            (false, true) => Value::Nil,
            (false, false) => Value::List(seen),
        })
    }
}

/// The online frontier is compared too, except for the unordered queue:
/// it places an operation before knowing its output, which needs the effect
/// of an operation not to depend on its output, and which value an
/// unordered dequeue removes is its output.
fn agree_world<M: Model + Copy>(
    model: M,
    world: &mut dyn FnMut() -> Box<dyn World>,
    n: u64,
    seed: u64,
    online: bool,
) -> (u64, u64) {
    let n = n * scale();
    let mut rng = Rng::new(seed, Stream::Workload);
    let (mut yes, mut no) = (0, 0);
    for i in 0..n {
        let h = random_world_history(&mut rng, world().as_mut());
        let oracle = brute_force(&model, &h).unwrap();
        let offline = check(&model, &h, &Budget::default()).unwrap();
        assert_eq!(offline.is_linearizable(), oracle, "offline, history {i}:\n{}\n{offline:?}", show(&h));
        if online {
            assert_eq!(online_verdict(model, &h), oracle, "online, history {i}:\n{}", show(&h));
        }
        if oracle {
            yes += 1
        } else {
            no += 1
        }
    }
    (yes, no)
}

#[test]
fn all_three_agree_on_mutex_histories() {
    let (yes, no) = agree_world(Mutex, &mut || Box::new(MutexWorld(false)), 3_000, 4, true);
    assert!(yes > 500 && no > 500, "{yes} {no}");
}

#[test]
fn all_three_agree_on_set_histories() {
    let (yes, no) = agree_world(Set, &mut || Box::new(SetWorld(Vec::new(), 0)), 3_000, 5, true);
    assert!(yes > 500 && no > 500, "{yes} {no}");
}

#[test]
fn all_three_agree_on_fifo_queue_histories() {
    let mut world =
        || -> Box<dyn World> { Box::new(QueueWorld { items: Default::default(), fifo: true, next: 0 }) };
    let (yes, no) = agree_world(FifoQueue, &mut world, 3_000, 6, true);
    assert!(yes > 500 && no > 500, "{yes} {no}");
}

#[test]
fn offline_and_oracle_agree_on_unordered_queue_histories() {
    let mut world =
        || -> Box<dyn World> { Box::new(QueueWorld { items: Default::default(), fifo: false, next: 0 }) };
    let (yes, no) = agree_world(UnorderedQueue, &mut world, 3_000, 7, false);
    assert!(yes > 500 && no > 500, "{yes} {no}");
}

#[test]
fn all_three_agree_on_kv_histories_of_unique_appends() {
    let mut world = || -> Box<dyn World> {
        Box::new(UniqueKvWorld { lists: Default::default(), next: 0, strings: false })
    };
    let (yes, no) = agree_world(Kv, &mut world, 5_000, 8, true);
    assert!(yes > 1_000 && no > 1_000, "{yes} {no}");
}

/// Strings go through the same atoms `dsim check` uses; the oracle judges
/// the converted history with the same model, and the conversion is
/// judged by the verdict matching the integer world's rules.
#[test]
fn offline_and_oracle_agree_on_kv_histories_of_strings() {
    let n = 5_000 * scale();
    let mut rng = Rng::new(9, Stream::Workload);
    let (mut yes, mut no) = (0, 0);
    for i in 0..n {
        let mut world = UniqueKvWorld { lists: Default::default(), next: 0, strings: true };
        let h = random_world_history(&mut rng, &mut world);
        let (model, atoms) = KvText::for_history(&h).unwrap();
        let oracle = brute_force(&model, &atoms).unwrap();
        let offline = check_named("kv", &h, &Budget::default()).unwrap();
        assert_eq!(offline.is_linearizable(), oracle, "history {i}:\n{}\n{offline:?}", show(&h));
        if oracle {
            yes += 1
        } else {
            no += 1
        }
    }
    assert!(yes > 1_000 && no > 1_000, "{yes} {no}");
}
