//! `[check] expect`: a sweep in which an expected sometimes-property never
//! fired fails like a finding (exit 1, in the text, the JSON and the
//! JUnit report); unknown names are refused with a did-you-mean.

mod common;

use common::{dsim, stderr, stdout, temp_dir};

const NO_PARTITIONS: &str = r#"protocol = "gossip"
nodes = 3
duration = "2s"

[workload]
kind = "broadcast"
clients = 2
rate = "100/s"

[nemesis]
crash = { every = "200ms..400ms", down = "100ms" }

[check]
expect = ["EXPECT"]
"#;

fn scenario(dir: &std::path::Path, expect: &str) -> String {
    let path = dir.join(format!("{expect}.toml"));
    std::fs::write(&path, NO_PARTITIONS.replace("EXPECT", expect)).unwrap();
    path.display().to_string()
}

#[test]
fn an_expected_property_that_never_fires_fails_the_sweep() {
    let dir = temp_dir("expected-sometimes");
    let out = dir.join("out");
    let (json, junit) = (dir.join("s.json"), dir.join("s.xml"));
    let path = scenario(&dir, "partition-cut-graph");
    let o = dsim(&[
        "explore",
        &path,
        "--seeds",
        "0..5",
        "--out",
        out.to_str().unwrap(),
        "--json",
        json.to_str().unwrap(),
        "--junit",
        junit.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(1), "{}{}", stdout(&o), stderr(&o));
    let text = stdout(&o);
    assert!(
        text.contains("EXPECTED partition-cut-graph (sometimes) never fired on any of 5 seed(s)"),
        "{text}"
    );
    assert!(
        !text.contains("warning: sometimes-properties that never fired"),
        "only the expected ones count: {text}"
    );
    let doc: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(&json).unwrap()).unwrap();
    assert_eq!(doc["sweeps"][0]["missed"], serde_json::json!(["partition-cut-graph"]));
    let xml = std::fs::read_to_string(&junit).unwrap();
    assert!(xml.contains("failures=\"1\"") && xml.contains("type=\"expected-sometimes\""), "{xml}");

    // The same sweep expecting what crashes do make fire passes.
    let path = scenario(&dir, "recovered-from-disk");
    let o = dsim(&["explore", &path, "--seeds", "0..5", "--out", out.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(0), "{}{}", stdout(&o), stderr(&o));
}

#[test]
fn unknown_or_wrong_kinds_of_names_are_refused() {
    let dir = temp_dir("expected-names");
    let o = dsim(&["run", &scenario(&dir, "partition-cut-grap")]);
    assert_eq!(o.status.code(), Some(2));
    let e = stderr(&o);
    assert!(e.contains("gossip has no sometimes-property `partition-cut-grap`"), "{e}");
    assert!(e.contains("did you mean `partition-cut-graph`?"), "{e}");
    let o = dsim(&["run", &scenario(&dir, "convergence")]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("`convergence` is an eventually property"), "{}", stderr(&o));
}
