//! `dsim shrink`: on every gossip seeded bug the shrunk repro has at most 2
//! faults and under a quarter of the original events, and still replays to
//! the same violation.

mod common;
use common::{dsim, stdout};
use serde_json::Value;

#[test]
fn gossip_bugs_shrink_to_two_faults_and_a_quarter_of_the_events() {
    let dir = common::temp_dir("shrink");
    let out = dir.to_str().unwrap();
    for bug in ["ack-before-sync", "no-anti-entropy", "range-off-by-one"] {
        let scenario = format!("scenarios/gossip/bugs/{bug}.toml");
        // The first failing seed, found by a sweep.
        let json = dir.join(format!("{bug}.json"));
        let o = dsim(&[
            "explore",
            &scenario,
            "--count",
            "50",
            "--fail-fast",
            "--jobs",
            "1",
            "--out",
            out,
            "--json",
            json.to_str().unwrap(),
        ]);
        assert_eq!(o.status.code(), Some(1), "{}", stdout(&o));
        let v: Value = serde_json::from_str(&std::fs::read_to_string(&json).unwrap()).unwrap();
        let repro = v["sweeps"][0]["findings"][0]["repro"].as_str().unwrap().to_string();
        let property = v["sweeps"][0]["findings"][0]["property"].as_str().unwrap().to_string();

        let o = dsim(&["shrink", &repro, "--out", out, "--json"]);
        assert_eq!(o.status.code(), Some(1), "{bug}: {}", stdout(&o));
        let s: Value = serde_json::from_slice(&o.stdout).unwrap();
        let (before, after) = (&s["before"], &s["after"]);
        assert!(after["faults"].as_u64().unwrap() <= 2, "{bug}: {s}");
        assert!(after["events"].as_u64().unwrap() * 4 < before["events"].as_u64().unwrap(), "{bug}: {s}");
        assert_eq!(s["violation"]["property"], property.as_str());

        let shrunk = s["repro"].as_str().unwrap();
        let o = dsim(&["replay", shrunk, "--json"]);
        let r: Value = serde_json::from_slice(&o.stdout).unwrap();
        assert_eq!(r["reproduced"], true, "{bug}: the shrunk repro replays");
        assert_eq!(r["violation"]["property"], property.as_str());
    }
}

#[test]
fn shrink_prints_before_and_after_and_the_replay_command() {
    let dir = common::temp_dir("shrink-text");
    let out = dir.to_str().unwrap();
    let o = dsim(&["run", "scenarios/gossip/bugs/ack-before-sync.toml", "--seed", "3", "--out", out]);
    assert_eq!(o.status.code(), Some(1));
    let repro = dir.join("ack-before-sync-seed3.json");
    let o = dsim(&["shrink", repro.to_str().unwrap(), "--out", out]);
    let text = stdout(&o);
    for wanted in [
        "before",
        "after",
        "faults (disruptive)",
        "operations",
        "events",
        "duration",
        "fault schedule:",
        "replay it with:  dsim replay ",
    ] {
        assert!(text.contains(wanted), "`{wanted}` in\n{text}");
    }
    assert!(dir.join("ack-before-sync-seed3-shrunk.json").exists());
}

#[test]
fn explore_can_shrink_what_it_finds() {
    let dir = common::temp_dir("explore-shrink");
    let json = dir.join("s.json");
    let o = dsim(&[
        "explore",
        "scenarios/gossip/bugs/range-off-by-one.toml",
        "--count",
        "3",
        "--shrink",
        "--out",
        dir.to_str().unwrap(),
        "--json",
        json.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(1));
    assert!(stdout(&o).contains("shrunk: "), "{}", stdout(&o));
    let v: Value = serde_json::from_str(&std::fs::read_to_string(&json).unwrap()).unwrap();
    let shrunk = v["sweeps"][0]["findings"][0]["shrunk"].as_str().unwrap();
    assert!(std::path::Path::new(shrunk).exists());
}
