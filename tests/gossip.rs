//! Gossip, end to end: the correct protocol survives every scenario, each
//! seeded bug is caught by the property it breaks within 200 seeds, and the
//! scenarios really exercise what their sometimes-properties claim.

use sim::{Outcome, RunOptions, Status};
use std::collections::BTreeSet;

/// Seeds of each correct scenario run in the test suite (the README gives
/// the figures for 1,000).
const SEEDS: u64 = 25;

fn first_failure(path: &str, seeds: std::ops::Range<u64>) -> Option<(u64, sim::RunResult)> {
    let runner = protocols::load(path).unwrap();
    seeds.map(|s| (s, runner.run(s, RunOptions::default()))).find(|(_, r)| r.outcome != Outcome::Ok)
}

#[test]
fn each_seeded_bug_is_caught_within_200_seeds_by_the_property_it_breaks() {
    for (scenario, property) in [
        ("scenarios/gossip/bugs/no-anti-entropy.toml", "convergence"),
        ("scenarios/gossip/bugs/ack-before-sync.toml", "convergence"),
        ("scenarios/gossip/bugs/range-off-by-one.toml", "validity"),
    ] {
        let (seed, result) =
            first_failure(scenario, 0..200).unwrap_or_else(|| panic!("{scenario}: not caught"));
        let v = result.violation.as_ref().expect("a violation, not a limit");
        assert_eq!(v.property, property, "{scenario} seed {seed}: {}", v.message);
    }
}

#[test]
fn the_correct_protocol_passes_every_scenario() {
    for path in [
        "scenarios/gossip/partition-heal.toml",
        "scenarios/gossip/lossy-links.toml",
        "scenarios/gossip/crash-restart-storm.toml",
        "scenarios/gossip/swarm.toml",
    ] {
        if let Some((seed, r)) = first_failure(path, 0..SEEDS) {
            panic!("{path} seed {seed}: {:?} {:?}", r.violation, r.limit);
        }
    }
}

#[test]
fn the_large_cluster_converges() {
    if let Some((seed, r)) = first_failure("scenarios/gossip/large-cluster.toml", 0..4) {
        panic!("seed {seed}: {:?}", r.violation);
    }
}

#[test]
fn scenarios_exercise_what_they_claim() {
    let fired = |path: &str| -> BTreeSet<String> {
        let runner = protocols::load(path).unwrap();
        (0..5)
            .flat_map(|s| runner.run(s, RunOptions::default()).properties)
            .filter(|p| p.status == Status::Fired)
            .map(|p| p.name)
            .collect()
    };
    assert!(fired("scenarios/gossip/partition-heal.toml").contains("partition-cut-graph"));
    assert!(fired("scenarios/gossip/lossy-links.toml").contains("anti-entropy-repaired"));
    assert!(fired("scenarios/gossip/crash-restart-storm.toml").contains("recovered-from-disk"));
}

#[test]
fn acknowledged_values_survive_crashes_and_reach_everyone() {
    let runner = protocols::load("scenarios/gossip/crash-restart-storm.toml").unwrap();
    let r = runner.run(3, RunOptions::default());
    assert_eq!(r.outcome, Outcome::Ok);
    assert!(r.faults.iter().filter(|f| f.action.kind() == "crash").count() >= 10, "a real storm");
    assert!(r.operations.ok > 500, "clients got acknowledgements: {:?}", r.operations);
    let convergence = r.properties.iter().find(|p| p.name == "convergence").unwrap();
    assert_eq!(convergence.status, Status::Held);
}

#[test]
fn metrics_are_reported() {
    let runner = protocols::load("scenarios/gossip/partition-heal.toml").unwrap();
    let r = runner.run(0, RunOptions::default());
    let names: Vec<&str> = r.metrics.iter().map(|m| m.name.as_str()).collect();
    for wanted in ["messages per value", "convergence p50", "convergence p99", "convergence max"] {
        assert!(names.contains(&wanted), "{wanted} in {names:?}");
    }
    let p50 = r.metrics.iter().find(|m| m.name == "convergence p50").unwrap().value;
    let max = r.metrics.iter().find(|m| m.name == "convergence max").unwrap().value;
    assert!(p50 > 0.0 && p50 <= max, "{p50} {max}");
}
