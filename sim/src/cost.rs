//! What a run spent: the figures on which two builds of a protocol are
//! compared over the same seeds.
//!
//! Properties judge whether a run was right; these judge how dear it was.
//! Every figure is a cost (lower is better), measured by the engine for any
//! protocol, so a change that keeps a protocol correct but makes it slower
//! or noisier shows as a rise: more messages or bigger ones between the
//! servers, client operations that never finished or took longer, keys
//! left on the servers' disks. A protocol adds costs of its own (elections
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
/// Keys on the servers' disks (durable) at the end of the run.
pub const DISK_KEYS: &str = "disk keys at end";

/// A run's costs as the engine measures them, in the order of the
/// constants above (the latency is left out when no operation completed).
/// A run's result adds the protocol's own costs (see [`Metric::cost`]).
pub fn of(net: &NetStats, history: &History, disk_keys: u64) -> Vec<Metric> {
    let tally = history.tally();
    let mut costs = vec![
        Metric::new(MESSAGES, net.server_to_server as f64, "msgs"),
        Metric::new(WORDS, net.server_words_delivered as f64, "words"),
        Metric::new(UNFINISHED, (tally.invoked - tally.ok) as f64, "ops"),
    ];
    let (mut total, mut ok) = (0u64, 0u64);
    for e in history.events.iter().filter(|e| e.kind == EventKind::Ok) {
        if let Some(inv) = e.invoke.and_then(|i| history.events.get(i as usize)) {
            total += e.time_ns - inv.time_ns;
            ok += 1;
        }
    }
    if ok > 0 {
        costs.push(Metric::new(LATENCY, total as f64 / ok as f64 / 1e6, "ms"));
    }
    costs.push(Metric::new(DISK_KEYS, disk_keys as f64, "keys"));
    costs
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
        assert_eq!(value(DISK_KEYS), Some(5.0));
    }
}
