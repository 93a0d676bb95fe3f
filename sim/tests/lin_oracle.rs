//! The linearizability checkers against the brute-force oracle: on random
//! histories of up to 8 operations (with concurrency, unknown outcomes,
//! failures, keys), the offline search, the online frontier and the oracle
//! give the same verdict every time.

use sim::history::{Completion, EventKind, History, Op};
use sim::lin::{brute_force, check, Budget, CasRegister, Kv, Model, Online, Register, Step};
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
