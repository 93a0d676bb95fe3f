//! What a run spent: the figures on which two builds of a protocol are
//! compared over the same seeds.
//!
//! Properties judge whether a run was right; these judge how dear it was.
//! Every figure is a cost (lower is better), measured by the engine for any
//! protocol, so a change that keeps a protocol correct but makes it slower
//! or noisier shows as a rise: more messages or bigger ones between the
//! servers, client operations that never finished or took longer (on
//! average and in the slowest 1%), stalls where no operation completes,
//! keys left on the servers' disks. A protocol adds costs of its own (elections
//! held, log kept in memory) with [`Metric::cost`]. Runs are deterministic, so the same build
//! and seeds give the same figures; `dsim explore --json` sums them per
//! scenario, with their squares, for a test of the difference between two
//! builds (dsim-mutants uses it to judge mutants that only cost more).

use crate::history::{EventKind, History};
use crate::metrics::Metric;
use crate::network::NetStats;

/// Messages sent from one server to another.
pub const MESSAGES: &str = "server messages";
/// Their size in 64-bit words (see [`crate::hash::stable_hash_sized`]).
pub const WORDS: &str = "server message words";
/// Client operations invoked that did not complete with `ok`.
pub const UNFINISHED: &str = "operations not ok";
/// Mean time from invocation to `ok`.
pub const LATENCY: &str = "mean ok latency";
/// The mean of the slowest 1% of `ok` latencies (at least one): the tail a
/// mean hides, where requests that wait for the next heartbeat or behind a
/// needless snapshot show.
pub const TAIL_LATENCY: &str = "slowest 1% ok latency";
/// How long one waits, from a moment of the run drawn at random, for the
/// next operation to complete `ok` (see [`wait_for_completion`]): stalls,
/// where nothing completes, weigh by their square.
pub const WAIT: &str = "mean wait for an ok";
/// Keys on the servers' disks (durable) at the end of the run.
pub const DISK_KEYS: &str = "disk keys at end";

/// A run's costs as the engine measures them, in the order of the
/// constants above (the latencies and the wait are left out when no
/// operation completed).
/// A run's result adds the protocol's own costs (see [`Metric::cost`]).
pub fn of(net: &NetStats, history: &History, disk_keys: u64) -> Vec<Metric> {
    let tally = history.tally();
    let mut costs = vec![
        Metric::new(MESSAGES, net.server_to_server as f64, "msgs"),
        Metric::new(WORDS, net.server_words_delivered as f64, "words"),
        Metric::new(UNFINISHED, (tally.invoked - tally.ok) as f64, "ops"),
    ];
    let mut latencies = Vec::new();
    let mut completions = Vec::new();
    for e in history.events.iter().filter(|e| e.kind == EventKind::Ok) {
        if let Some(inv) = e.invoke.and_then(|i| history.events.get(i as usize)) {
            latencies.push(e.time_ns - inv.time_ns);
            completions.push(e.time_ns);
        }
    }
    if !latencies.is_empty() {
        let ms = |ns: u64, n: usize| ns as f64 / n as f64 / 1e6;
        costs.push(Metric::new(LATENCY, ms(latencies.iter().sum(), latencies.len()), "ms"));
        latencies.sort_unstable();
        let tail = &latencies[latencies.len() - (latencies.len() / 100).max(1)..];
        costs.push(Metric::new(TAIL_LATENCY, ms(tail.iter().sum(), tail.len()), "ms"));
        let start = history.events.first().map_or(0, |e| e.time_ns);
        costs.push(Metric::new(WAIT, wait_for_completion(start, &completions) / 1e6, "ms"));
    }
    costs.push(Metric::new(DISK_KEYS, disk_keys as f64, "keys"));
    costs
}

/// The mean time from an instant drawn uniformly between `start` and the
/// last completion to the next completion, in nanoseconds: over stretches
/// g between consecutive completions, the sum of g squared over twice the
/// sum of g. Even completions every 10 ms give 5 ms; the same run with one
/// stall of a second gives far more, with no threshold to choose for what
/// counts as a stall.
pub fn wait_for_completion(start: u64, completions: &[u64]) -> f64 {
    let (mut sum, mut squares, mut last) = (0f64, 0f64, start);
    for &t in completions {
        let g = t.saturating_sub(last) as f64;
        sum += g;
        squares += g * g;
        last = last.max(t);
    }
    if sum == 0.0 {
        0.0
    } else {
        squares / (2.0 * sum)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::history::{Completion, Op, Value};
    use crate::time::Time;

    #[test]
    fn latency_counts_only_ok_operations() {
        let mut h = History::default();
        let a = h.invoke(0, Op::new("write", Value::Int(1)), Time::from_nanos(0));
        let b = h.invoke(1, Op::new("write", Value::Int(2)), Time::from_nanos(1_000_000));
        h.complete(a, Completion::Ok(Value::Nil), Time::from_nanos(4_000_000));
        h.complete(b, Completion::Info, Time::from_nanos(9_000_000));
        h.invoke(0, Op::new("read", Value::Nil), Time::from_nanos(10_000_000));
        let net = NetStats { server_to_server: 7, server_words_delivered: 30, ..NetStats::default() };
        let costs = of(&net, &h, 5);
        let value = |name: &str| costs.iter().find(|m| m.name == name).map(|m| m.value);
        assert_eq!(value(MESSAGES), Some(7.0));
        assert_eq!(value(WORDS), Some(30.0));
        assert_eq!(value(UNFINISHED), Some(2.0), "one info, one pending");
        assert_eq!(value(LATENCY), Some(4.0));
        assert_eq!(value(TAIL_LATENCY), Some(4.0), "the slowest 1% of one operation is that one");
        assert_eq!(value(WAIT), Some(2.0), "from the first invocation, one stretch of 4 ms");
        assert_eq!(value(DISK_KEYS), Some(5.0));
    }

    #[test]
    fn the_tail_is_the_slowest_hundredth() {
        let mut h = History::default();
        for i in 0..200u64 {
            let a = h.invoke(0, Op::new("write", Value::Int(1)), Time::from_nanos(i * 10_000_000));
            let took = if i % 100 == 7 { 9_000_000 } else { 1_000_000 };
            h.complete(a, Completion::Ok(Value::Nil), Time::from_nanos(i * 10_000_000 + took));
        }
        let costs = of(&NetStats::default(), &h, 0);
        let value = |name: &str| costs.iter().find(|m| m.name == name).map(|m| m.value);
        assert_eq!(value(TAIL_LATENCY), Some(9.0), "two slow operations in 200");
        assert_eq!(value(LATENCY), Some(1.08));
    }

    #[test]
    fn a_stall_weighs_by_its_square() {
        let ms = 1_000_000u64;
        let even: Vec<u64> = (1..=100).map(|i| i * 10 * ms).collect();
        assert_eq!(wait_for_completion(0, &even), 5.0 * ms as f64);
        // The same second of run time, with its last 500 ms a stall: the
        // mean time to the next completion grows from 5 ms to 127.5 ms.
        let stalled: Vec<u64> = (1..=50).map(|i| i * 10 * ms).chain([1000 * ms]).collect();
        assert_eq!(wait_for_completion(0, &stalled), 127.5 * ms as f64);
        assert_eq!(wait_for_completion(7, &[]), 0.0);
    }
}
