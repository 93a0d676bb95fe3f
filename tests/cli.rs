//! The `dsim` command line: what it prints, what it writes, its exit codes.

mod common;
use common::{dsim, stderr, stdout};

#[test]
fn run_prints_the_resolved_configuration_then_the_summary() {
    let o = dsim(&["run", "scenarios/gossip/partition-heal.toml", "--seed", "4"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let text = stdout(&o);
    let config = text.find("fault schedule").expect("the schedule");
    let result = text.find("result: ok").expect("the verdict");
    assert!(config < result, "configuration first");
    for wanted in [
        "protocol    gossip (fanout 3",
        "seed        4",
        "nodes       5 servers, full mesh",
        "latency uniform 1ms..8ms, drop 0.01",
        "partition #2: {n0 n1} | {n2 n3 n4}",
        "settle: heal",
        "events",
        "virtual time  20s",
        "wall time",
        "events/s",
        "trace hash",
        "validity               always      held",
        "convergence            eventually  held",
        "messages per value",
        "convergence p99",
    ] {
        assert!(text.contains(wanted), "`{wanted}` in\n{text}");
    }
}

#[test]
fn json_output_has_the_documented_fields() {
    let o = dsim(&[
        "run",
        "scenarios/gossip/bugs/range-off-by-one.toml",
        "--json",
        "--out",
        common::temp_dir("json").to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(1));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).expect("stdout is one JSON object");
    for key in ["seed", "outcome", "events", "virtual_time_ns", "trace_hash", "violation", "repro", "metrics"]
    {
        assert!(v.get(key).is_some(), "{key} in {v}");
    }
    assert_eq!(v["outcome"], "violation");
    let violation = &v["violation"];
    for key in ["property", "kind", "message", "step", "time_ns"] {
        assert!(violation.get(key).is_some(), "violation.{key}");
    }
    assert_eq!(violation["property"], "validity");
    assert_eq!(violation["kind"], "always");
    assert!(v["repro"].as_str().unwrap().ends_with(".json"));
}

#[test]
fn exit_codes() {
    let ok = dsim(&["run", "scenarios/gossip/lossy-links.toml"]);
    assert_eq!(ok.status.code(), Some(0));
    let out = common::temp_dir("exit-codes");
    let violation =
        dsim(&["run", "scenarios/gossip/bugs/no-anti-entropy.toml", "--out", out.to_str().unwrap()]);
    assert_eq!(violation.status.code(), Some(1));
    let limit = dsim(&["run", "tests/fixtures/limit.toml"]);
    assert_eq!(limit.status.code(), Some(3));
    assert!(stdout(&limit).contains("LIMIT: the run reached its limit of 500 events"), "{}", stdout(&limit));
    let bad = dsim(&["run", "tests/bad-input/05-bad-duration.toml"]);
    assert_eq!(bad.status.code(), Some(2));
}

#[test]
fn virtual_time_that_stands_still_is_a_limit() {
    // Zero latency and a lifted event limit: without `max_events_per_instant`
    // this relay runs forever at time 0.
    let o = common::dsim_within(60, &["run", "tests/fixtures/zero-latency.toml"]);
    assert_eq!(o.status.code(), Some(3), "{}\n{}", stdout(&o), stderr(&o));
    let text = stdout(&o);
    assert!(text.contains("LIMIT: virtual time stopped advancing at 0s for 1000001 events"), "{text}");
}

#[test]
fn list_names_protocols_bugs_properties_workloads_faults_and_topologies() {
    let o = dsim(&["list"]);
    assert_eq!(o.status.code(), Some(0));
    let text = stdout(&o);
    for wanted in [
        "gossip",
        "relay",
        "no-anti-entropy",
        "ack-before-sync",
        "range-off-by-one",
        "validity",
        "convergence",
        "broadcast",
        "crash",
        "partition",
        "majority-minority",
        "random-regular",
    ] {
        assert!(text.contains(wanted), "`{wanted}` in dsim list");
    }
    let o = dsim(&["list", "--json"]);
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v["protocols"][0]["name"], "gossip");
}

#[test]
fn trace_is_written_as_json_lines() {
    let dir = common::temp_dir("trace");
    let trace = dir.join("run.jsonl");
    let o =
        dsim(&["run", "tests/fixtures/tiny-gossip.toml", "--trace-file", trace.to_str().unwrap(), "--json"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let text = std::fs::read_to_string(&trace).unwrap();
    let (header, events) = text.split_once('\n').unwrap();
    assert_eq!(header, r#"{"dsim":"trace","version":2}"#, "a header marks the file as dsim's");
    let lines: Vec<sim::trace::TraceLine> =
        events.lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    assert_eq!(lines.iter().filter(|l| l.begins_step()).count() as u64, v["events"].as_u64().unwrap());
    assert!(lines
        .iter()
        .any(|l| l.kind == sim::trace::Kind::Deliver && l.from.is_some() && l.sent_ns.is_some()));
    // Running again over our own trace is allowed; over a user's file is not.
    let again = dsim(&["run", "tests/fixtures/tiny-gossip.toml", "--trace-file", trace.to_str().unwrap()]);
    assert_eq!(again.status.code(), Some(0));
    let notes = dir.join("notes.txt");
    std::fs::write(&notes, "my notes\n").unwrap();
    let refused = dsim(&["run", "tests/fixtures/tiny-gossip.toml", "--trace-file", notes.to_str().unwrap()]);
    assert_eq!(refused.status.code(), Some(2));
    assert!(stderr(&refused).contains("not overwriting"));
    assert_eq!(std::fs::read_to_string(&notes).unwrap(), "my notes\n", "the user's file is untouched");
}

#[test]
fn check_determinism_runs_twice_and_shows_the_first_difference() {
    let dir = common::temp_dir("check-determinism");
    let out = dir.to_str().unwrap();
    let bad = dsim(&["run", "scenarios/relay/bugs/hashmap-order.toml", "--check-determinism", "--out", out]);
    assert_eq!(bad.status.code(), Some(4));
    let text = stdout(&bad);
    assert!(text.contains("NOT DETERMINISTIC: two runs of seed 0 differ, first at event #"), "{text}");
    assert!(text.contains("  run 1: #") && text.contains("  run 2: #"), "both versions: {text}");
    assert!(dir.join("hashmap-order-seed0.run1.trace.jsonl").exists(), "the traces are kept");
    let good = dsim(&["run", "scenarios/relay/any-host-5.toml", "--check-determinism", "--out", out]);
    assert_eq!(good.status.code(), Some(0));
    assert!(stdout(&good).contains("deterministic: both runs processed the same"), "{}", stdout(&good));
    assert!(!dir.join("any-host-5-seed0.run1.trace.jsonl").exists(), "no clutter when they agree");
}

#[test]
fn a_repro_never_overwrites_another_file() {
    let dir = common::temp_dir("no-clobber");
    let taken = dir.join("range-off-by-one-seed0.json");
    std::fs::write(&taken, "something of mine\n").unwrap();
    let o = dsim(&["run", "scenarios/gossip/bugs/range-off-by-one.toml", "--out", dir.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(1));
    assert_eq!(std::fs::read_to_string(&taken).unwrap(), "something of mine\n");
    assert!(dir.join("range-off-by-one-seed0-2.json").exists(), "{}", stdout(&o));
}
