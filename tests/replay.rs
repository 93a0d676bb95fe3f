//! A violation writes a repro; replaying it hits the same violation at the
//! same step with the same trace hash, and says so plainly when it does not.

mod common;
use common::{dsim, stdout};
use sim::repro::Repro;

fn failing_run(out: &std::path::Path) -> (std::path::PathBuf, Repro) {
    let o = dsim(&[
        "run",
        "scenarios/gossip/bugs/ack-before-sync.toml",
        "--seed",
        "3",
        "--out",
        out.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(1), "{}", stdout(&o));
    let text = stdout(&o);
    let path = out.join("ack-before-sync-seed3.json");
    assert!(text.contains(&format!("repro written to {}", path.display())), "{text}");
    assert!(
        text.contains(&format!("dsim replay {}", path.display())),
        "the one command that replays it:\n{text}"
    );
    let repro: Repro = serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    (path, repro)
}

#[test]
fn a_repro_holds_everything_needed() {
    let dir = common::temp_dir("repro-contents");
    let (_, repro) = failing_run(&dir);
    let scenario = std::fs::read_to_string("scenarios/gossip/bugs/ack-before-sync.toml").unwrap();
    assert_eq!(repro.scenario.source, scenario, "the whole scenario, not a path");
    assert_eq!(repro.seed, 3);
    assert_eq!(repro.dsim_version, env!("CARGO_PKG_VERSION"));
    assert!(repro.faults.iter().any(|f| f.action.kind() == "crash"), "the explicit schedule");
    let v = repro.violation.as_ref().unwrap();
    assert_eq!(v.property, "convergence");
    assert!(v.step > 0 && v.time_ns > 0);
    assert_eq!(repro.trace_hash.len(), 16);
}

#[test]
fn replay_reproduces_the_violation_at_the_same_step_and_hash() {
    let dir = common::temp_dir("replay-same");
    let (path, repro) = failing_run(&dir);
    let o = dsim(&["replay", path.to_str().unwrap(), "--json"]);
    assert_eq!(o.status.code(), Some(1), "the failure still fails");
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v["reproduced"], true);
    let expected = repro.violation.unwrap();
    assert_eq!(v["violation"]["step"], expected.step);
    assert_eq!(v["violation"]["property"], "convergence");
    assert_eq!(v["trace_hash"], repro.trace_hash);
    // What every command's --json promises, at the top level.
    assert_eq!(v["seed"], repro.seed);
    assert_eq!(v["outcome"], "violation");
    assert_eq!(v["events"], expected.step);
    assert_eq!(v["repro"], path.to_str().unwrap());
    assert!(v["virtual_time_ns"].is_u64() && v["metrics"].is_object(), "{v}");

    let o = dsim(&["replay", path.to_str().unwrap()]);
    let text = stdout(&o);
    assert!(text.contains(&format!("reproduced: convergence violated at step {}", expected.step)), "{text}");
}

#[test]
fn a_replay_that_diverges_says_where() {
    let dir = common::temp_dir("replay-diverged");
    let (path, mut repro) = failing_run(&dir);
    // Drop the first crash: the run now takes another path.
    let first_crash = repro.faults.iter().position(|f| f.action.kind() == "crash").unwrap();
    repro.faults.remove(first_crash);
    let edited = dir.join("edited.json");
    std::fs::write(&edited, serde_json::to_string_pretty(&repro).unwrap()).unwrap();
    let o = dsim(&["replay", edited.to_str().unwrap()]);
    let text = stdout(&o);
    assert!(text.contains("DIVERGED"), "{text}");
    assert!(text.contains("the trace hash was"), "{text}");
    assert!(
        text.contains("agree on every event up to step") || text.contains("differ within the first"),
        "{text}"
    );
    let _ = path;
}

#[test]
fn replay_of_a_folder_replays_every_repro_and_fails_if_any_does() {
    let dir = common::temp_dir("replay-folder");
    failing_run(&dir);
    let o = dsim(&["run", "scenarios/gossip/bugs/range-off-by-one.toml", "--out", dir.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(1));
    let o = dsim(&["replay", dir.to_str().unwrap()]);
    let text = stdout(&o);
    assert_eq!(o.status.code(), Some(1));
    assert_eq!(text.matches("reproduced:").count(), 2, "{text}");
}

#[test]
fn replay_can_print_and_write_the_trace() {
    let dir = common::temp_dir("replay-trace");
    let (path, repro) = failing_run(&dir);
    let o = dsim(&["replay", path.to_str().unwrap(), "--trace"]);
    let text = stdout(&o);
    assert!(text.starts_with("step "), "a header names the columns: {}", &text[..200.min(text.len())]);
    assert!(text.lines().nth(1).is_some_and(|l| l.starts_with("#1 ")), "{}", &text[..200.min(text.len())]);
    assert!(text.contains(" crash ") && text.contains("crash n"), "faults appear in the trace");
    let trace = dir.join("trace.jsonl");
    let o = dsim(&["replay", path.to_str().unwrap(), "--trace-file", trace.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(1));
    let text = std::fs::read_to_string(&trace).unwrap();
    let records: Vec<sim::trace::TraceLine> =
        text.lines().skip(1).map(|l| serde_json::from_str(l).unwrap()).collect();
    assert_eq!(
        records.iter().filter(|r| r.begins_step()).count() as u64,
        repro.violation.unwrap().step,
        "a header, then every record of every step up to the violation"
    );
}
