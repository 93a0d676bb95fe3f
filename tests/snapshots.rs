//! Golden files, reviewed by hand: the trace of one short gossip run and the
//! `--json` summary. A change to either is a change users will see.

mod common;
use sim::trace::{human, VecSink};
use sim::RunOptions;

#[test]
fn trace_of_a_short_gossip_run() {
    let runner = protocols::load("tests/fixtures/tiny-gossip.toml").unwrap();
    let mut sink = VecSink::default();
    let result = runner.run(0, RunOptions { trace: Some(&mut sink), faults: None });
    let text: Vec<String> = sink.0.iter().map(human).collect();
    insta::assert_snapshot!("tiny_gossip_trace", text.join("\n"));
    insta::assert_snapshot!("tiny_gossip_trace_hash", result.trace_hash);
}

#[test]
fn json_summary_of_a_run() {
    let o = common::dsim(&["run", "tests/fixtures/tiny-gossip.toml", "--json"]);
    assert_eq!(o.status.code(), Some(0));
    let mut v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    // Wall-clock figures differ between runs; everything else may not.
    let wall = v.as_object_mut().unwrap();
    assert!(wall.remove("wall_time_s").is_some() && wall.remove("events_per_s").is_some());
    insta::assert_json_snapshot!("tiny_gossip_json_summary", v);
}
