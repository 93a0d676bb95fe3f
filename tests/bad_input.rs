//! Bad input never panics: every malformed scenario gives exit code 2 and a
//! message with the file, line and column and what was expected.

mod common;
use common::{dsim, stderr, stdout};

/// (file in tests/bad-input, line:column, words the message must contain)
const CASES: &[(&str, &str, &str)] = &[
    ("01-malformed-toml", "1:19", "invalid basic string"),
    ("02-unknown-top-level-key", "3:1", "did you mean `duration`?"),
    ("03-unknown-network-key", "6:1", "unknown field `loss`"),
    ("04-wrong-type", "2:9", "expected a number of nodes, or a table of nodes by role"),
    ("05-bad-duration", "3:12", "unknown unit `parsecs`"),
    ("06-probability-too-big", "6:8", "expected a probability between 0 and 1"),
    ("07-probability-negative", "6:13", "-0.1 is not a probability"),
    ("08-partition-node-out-of-range", "7:29", "node index 7 is out of range: this scenario has 5 nodes"),
    ("09-crash-node-out-of-range", "7:9", "node index 3 is out of range"),
    ("10-fault-after-end", "6:6", "comes after the end of the run (10s)"),
    ("11-fault-in-settle-phase", "6:6", "falls in the settle phase, which starts at 6s"),
    ("12-unknown-protocol", "1:12", "unknown protocol `gosip`"),
    ("13-unknown-bug", "2:7", "has no seeded bug `forgets-everything`"),
    ("14-unknown-property", "6:27", "has no property `linearizability`"),
    ("15-unknown-workload", "6:8", "does not support the workload `bank`"),
    ("16-fault-with-two-actions", "5:1", "does 2 things at once (crash, isolate)"),
    ("17-fault-without-action", "5:1", "says when but not what"),
    ("18-bad-rate", "7:8", "`fast` is not a rate"),
    ("19-unknown-topology", "6:12", "unknown topology `torus`"),
    ("20-impossible-random-regular", "6:12", "degree × nodes must be even"),
    ("21-latency-min-above-max", "6:11", "min 9ms above max 2ms"),
    ("22-unknown-nemesis-kind", "6:1", "unknown field `meteor`"),
    ("23-no-protocol", "1:1", "names no protocol"),
    ("24-duplicate-key", "3:1", "duplicate key"),
    ("25-for-on-heal", "8:7", "`for` does not apply to `heal`"),
    ("26-linearizable-without-model", "6:16", "no linearizability model"),
    ("27-unknown-protocol-parameter", "6:9", "unknown gossip parameter `fanot` (did you mean `fanout`?)"),
    ("28-zero-nodes", "2:9", "between 1 and 1000000 nodes"),
    ("29-client-out-of-range", "12:38", "client c9 does not exist"),
    ("30-unknown-partition-shape", "7:13", "unknown partition shape `triangle`"),
    ("31-drift-too-large", "7:49", "is not a clock"),
    ("32-max-down-zero", "6:53", "max_down must be between 1"),
    ("33-nemesis-too-fast", "6:19", "cannot strike more often"),
    ("34-protocol-not-a-string", "1:12", "must be a name"),
    ("35-negative-fanout", "6:10", "expected u32"),
    ("36-max-events-per-instant-zero", "6:26", "max_events_per_instant must be at least 1"),
    ("37-bridge-sides-overlap", "7:36", "n1 is on both sides of this bridge"),
    ("38-bridge-side-empty", "7:19", "the left side of this bridge is empty"),
    ("39-bridge-node-twice", "7:26", "n0 is listed twice on the left side"),
    ("40-bridge-via-on-a-side", "7:42", "n4 is the bridge (`via`)"),
    ("42-partition-group-empty", "7:13", "a group of this partition is empty"),
    ("43-one-way-side-empty", "7:11", "the `from` side of this partition is empty"),
    ("44-one-way-node-on-both-sides", "7:11", "n1 is both in `from` and in `to`"),
    ("41-degrade-no-nodes", "7:21", "`nodes = []` degrades no link"),
    ("45-unknown-observation-kind", "6:11", "did you mean `truncated`?"),
    ("46-trigger-within-negative", "7:10", "expected a duration"),
    ("47-trigger-within-zero", "7:10", "within must be longer than zero"),
    ("48-trigger-two-actions", "8:9", "a trigger does one thing"),
    ("49-nemesis-trigger-unknown-kind", "6:23", "did you mean `snapshot-installed`?"),
    ("50-tail-max-zero", "6:8", "a latency tail needs a max longer than zero"),
    ("51-tail-share-above-one", "6:18", "2 is not a probability"),
    ("52-trigger-node-out-of-range", "7:8", "node index 7 is out of range"),
    ("53-nodes-under-protocol", "4:1", "`nodes` belongs at the top level of the scenario, not in [protocol]"),
    (
        "54-duration-under-network",
        "6:1",
        "`duration` belongs at the top level of the scenario, not in [network]",
    ),
    ("55-until-on-pause", "8:9", "`until = \"end\"` applies to `crash`, not to `pause`"),
    ("56-until-and-for", "9:9", "a fault has `for` or `until = \"end\"`, not both"),
    ("57-until-not-end", "8:9", "`until` takes \"end\", not \"settle\""),
];

#[test]
fn every_bad_scenario_is_refused_with_its_place() {
    let dir = common::root().join("tests/bad-input");
    let on_disk = std::fs::read_dir(&dir).unwrap().count();
    assert_eq!(on_disk, CASES.len(), "every file in tests/bad-input has a case here");
    for (name, place, words) in CASES {
        let path = format!("tests/bad-input/{name}.toml");
        let out = dsim(&["run", &path]);
        let err = stderr(&out);
        assert_eq!(out.status.code(), Some(2), "{name}: exit code; stderr:\n{err}");
        assert!(stdout(&out).is_empty(), "{name}: nothing on stdout");
        assert!(err.contains(&format!("{path}:{place}")), "{name}: expected {path}:{place} in\n{err}");
        assert!(err.contains(words), "{name}: expected `{words}` in\n{err}");
        assert!(err.contains('^'), "{name}: a marker under the place\n{err}");
        assert!(!err.contains("panicked") && !err.contains("backtrace"), "{name}: no panic\n{err}");
    }
}

#[test]
fn missing_files_and_bad_usage_exit_2() {
    let out = dsim(&["run", "no/such/scenario.toml"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("cannot read the scenario"), "{}", stderr(&out));
    let out = dsim(&["run"]);
    assert_eq!(out.status.code(), Some(2), "clap reports usage errors with 2");
    let out = dsim(&["frobnicate"]);
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn a_corrupt_repro_is_bad_input() {
    let dir = common::temp_dir("corrupt-repro");
    let path = dir.join("broken.json");
    std::fs::write(&path, "{\n  \"dsim_version\": \"0.1.0\",\n  \"seed\": \"seven\"\n}\n").unwrap();
    let out = dsim(&["replay", path.to_str().unwrap()]);
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(err.contains("broken.json:3:"), "points at the line: {err}");
    assert!(err.contains("not a dsim repro"), "{err}");
}
