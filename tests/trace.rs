//! The trace holds every event of a run: sends with their ids, deliveries
//! naming their send, drops with their reason, duplicates, holds for a
//! paused process, timers, disk writes and syncs, faults, operations,
//! observations and verdicts; and `docs/trace.md` describes each of them.

mod common;
use sim::trace::{DropReason, Kind, TraceLine, VecSink};
use sim::{RunOptions, RunResult, Scenario};
use std::collections::{BTreeMap, BTreeSet};

/// Gossip under every kind of fault the nemesis has, on lossy links that
/// duplicate, with a crash while paused scripted in.
const STORM: &str = r#"
name = "every kind of event"
protocol = "gossip"
nodes = 5
duration = "6s"

[network]
latency = { dist = "uniform", min = "1ms", max = "10ms" }
drop = 0.05
duplicate = 0.05

[workload]
kind = "broadcast"
clients = 3
rate = "100/s"
timeout = "300ms"

[[fault]]
at = "500ms"
pause = 1
for = "400ms"

[[fault]]
at = "700ms"
crash = 1
for = "300ms"

[nemesis]
crash = { every = "300ms..800ms", down = "100ms..600ms", max_down = 2 }
pause = { every = "300ms..1s", for = "100ms..500ms", max_paused = 1 }
partition = { every = "500ms..1s", for = "200ms..600ms" }
clock = { every = "500ms..1s", max_skew = "50ms", max_drift_ppm = 500 }

[check]
settle = "2s"
"#;

fn traced(source: &str, seed: u64) -> (RunResult, Vec<TraceLine>) {
    let runner = protocols::prepare(Scenario::parse("storm.toml", source).unwrap()).unwrap();
    let mut sink = VecSink::default();
    let result = runner.run(seed, RunOptions { trace: Some(&mut sink), faults: None });
    (result, sink.0)
}

#[test]
fn every_kind_of_event_is_in_the_trace() {
    let (result, trace) = traced(STORM, 1);
    let kinds: BTreeSet<Kind> = trace.iter().map(|l| l.kind).collect();
    for wanted in [
        Kind::Start,
        Kind::Send,
        Kind::Deliver,
        Kind::Drop,
        Kind::Duplicate,
        Kind::Held,
        Kind::Timer,
        Kind::TimerSet,
        Kind::TimerCancel,
        Kind::DiskWrite,
        Kind::DiskSync,
        Kind::Crash,
        Kind::Restart,
        Kind::Pause,
        Kind::Resume,
        Kind::Partition,
        Kind::Heal,
        Kind::Clock,
        Kind::Settle,
        Kind::Invoke,
        Kind::Complete,
        Kind::Timeout,
        Kind::Observe,
        Kind::Verdict,
        Kind::End,
    ] {
        assert!(kinds.contains(&wanted), "no `{wanted}` record in the trace");
    }
    let reasons: BTreeSet<&str> = trace.iter().filter_map(|l| l.reason).map(DropReason::name).collect();
    for wanted in ["partition", "loss", "receiver-down", "receiver-crashed"] {
        assert!(reasons.contains(wanted), "no drop for `{wanted}`: {reasons:?}");
    }

    // The network's own counters agree with the records.
    let count = |f: &dyn Fn(&TraceLine) -> bool| trace.iter().filter(|l| f(l)).count() as u64;
    let net = result.network;
    let dropped_at_send = |r: DropReason| count(&|l: &TraceLine| l.kind == Kind::Drop && l.reason == Some(r));
    assert_eq!(
        count(&|l| l.kind == Kind::Send)
            + dropped_at_send(DropReason::Partition)
            + dropped_at_send(DropReason::Loss)
            + dropped_at_send(DropReason::NoLink),
        net.sent
    );
    assert_eq!(dropped_at_send(DropReason::Partition), net.dropped_partition);
    assert_eq!(dropped_at_send(DropReason::Loss), net.dropped_loss);
    assert_eq!(count(&|l| l.kind == Kind::Duplicate), net.duplicated);
    // Every operation of the history is invoked and completed in the trace.
    let t = result.operations;
    assert_eq!(count(&|l| l.kind == Kind::Invoke), t.invoked);
    assert_eq!(count(&|l| l.kind == Kind::Complete), t.ok + t.fail + t.info);
}

#[test]
fn a_delivery_names_its_send() {
    let (_, trace) = traced(STORM, 2);
    let mut sends: BTreeMap<u64, &TraceLine> = BTreeMap::new();
    let mut copies: BTreeSet<u64> = BTreeSet::new();
    let mut delivered: BTreeMap<u64, u32> = BTreeMap::new();
    for l in &trace {
        match l.kind {
            Kind::Send => {
                let id = l.msg.expect("a send has an id");
                assert!(sends.insert(id, l).is_none(), "message ids are unique: #{id}");
            }
            Kind::Duplicate => {
                copies.insert(l.msg.unwrap());
            }
            Kind::Deliver | Kind::Held => {
                if l.kind == Kind::Held && l.msg.is_none() {
                    continue; // a timer or an operation waiting
                }
                let id = l.msg.unwrap_or_else(|| panic!("{l:?} names no message"));
                let send = sends.get(&id).unwrap_or_else(|| panic!("#{id} delivered before it was sent"));
                assert_eq!((l.from, l.to), (send.from, send.to), "#{id}");
                assert_eq!(l.from, send.process);
                if l.kind == Kind::Deliver {
                    assert_eq!(l.sent_ns, Some(send.time_ns), "#{id}");
                    assert!(
                        l.time_ns >= send.due_ns.unwrap() || l.copy,
                        "#{id} arrives when due, or later if held"
                    );
                    *delivered.entry(id).or_default() += 1;
                    assert!(!l.copy || copies.contains(&id), "#{id} is a copy of a duplicated message");
                }
            }
            _ => {}
        }
    }
    assert!(delivered.len() > 100, "a run of this size delivers hundreds of messages");
    for (id, n) in &delivered {
        assert!(*n == 1 || (*n == 2 && copies.contains(id)), "#{id} delivered {n} times");
    }
    assert!(delivered.values().any(|n| *n == 2), "some duplicate arrived");
}

#[test]
fn records_of_a_step_follow_the_record_that_began_it() {
    let (result, trace) = traced(STORM, 3);
    let mut step = 0;
    for l in &trace {
        if l.begins_step() {
            assert_eq!(l.step, step + 1, "{l:?}");
            step = l.step;
        } else if l.kind == Kind::Held {
            assert_eq!(l.step, step + 1, "a hold carries the next step: {l:?}");
        } else {
            assert_eq!(l.step, step, "{l:?}");
        }
        assert!(l.time_ns <= result.virtual_time_ns);
    }
    assert_eq!(step, result.events);
    let finals = trace.iter().filter(|l| l.kind == Kind::Verdict && l.data["final"] == true).count();
    assert_eq!(finals, result.properties.len(), "a final verdict for every property");
}

#[test]
fn a_violation_is_traced_as_a_verdict_in_its_step() {
    let runner = protocols::load("scenarios/gossip/bugs/range-off-by-one.toml").unwrap();
    let mut sink = VecSink::default();
    let result = runner.run(0, RunOptions { trace: Some(&mut sink), faults: None });
    let v = result.violation.expect("the seeded bug is caught");
    let verdict = sink
        .0
        .iter()
        .find(|l| l.kind == Kind::Verdict && l.data["status"] == "violated" && l.data.get("final").is_none())
        .expect("the violation is traced when it happens");
    assert_eq!((verdict.step, verdict.time_ns), (v.step, v.time_ns));
    assert_eq!(verdict.data["property"], v.property.as_str());
}

#[test]
fn docs_trace_md_describes_every_kind_and_field() {
    let doc = std::fs::read_to_string(common::root().join("docs/trace.md")).unwrap();
    for k in Kind::ALL {
        assert!(doc.contains(&format!("`{}`", k.name())), "docs/trace.md does not describe kind `{k}`");
    }
    let mut line = TraceLine::new(1, 1, Kind::Deliver);
    line.process = Some(sim::ProcessId::server(0));
    (line.from, line.to, line.msg, line.copy) = (line.process, line.process, Some(1), true);
    (line.sent_ns, line.due_ns, line.timer, line.fault) = (Some(1), Some(1), Some(1), Some(1));
    (line.reason, line.detail, line.data) = (Some(DropReason::Loss), "x".into(), serde_json::json!(1));
    let every_field = serde_json::to_value(&line).unwrap();
    for field in every_field.as_object().unwrap().keys() {
        assert!(doc.contains(&format!("| `{field}` |")), "docs/trace.md has no row for field `{field}`");
    }
    for reason in ["partition", "loss", "no-link", "receiver-down", "receiver-crashed"] {
        assert!(doc.contains(&format!("`{reason}`")), "docs/trace.md does not explain drop reason {reason}");
    }
}
