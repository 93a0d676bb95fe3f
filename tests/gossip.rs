//! Gossip, end to end: the correct protocol survives every scenario, each
//! seeded bug is caught by the property it breaks within 200 seeds, and the
//! scenarios really exercise what their sometimes-properties claim.

use sim::explore::Explorer;
use sim::{Outcome, RunOptions, Status};
use std::collections::BTreeSet;

/// Seeds of each correct scenario run in the test suite (the README gives
/// the figures for 1,000).
const SEEDS: u64 = 25;

fn explorer(path: &str) -> Explorer<'static> {
    Explorer::new(protocols::load(path).unwrap()).out_dir(None)
}

#[test]
fn each_seeded_bug_is_caught_within_200_seeds_by_the_property_it_breaks() {
    for (scenario, property) in [
        ("scenarios/gossip/bugs/no-anti-entropy.toml", "convergence"),
        ("scenarios/gossip/bugs/ack-before-sync.toml", "convergence"),
        ("scenarios/gossip/bugs/ack-before-sync-reload.toml", "reload-safety"),
        ("scenarios/gossip/bugs/range-off-by-one.toml", "validity"),
        ("scenarios/gossip/bugs/merge-over-gap.toml", "convergence"),
        ("scenarios/gossip/bugs/no-retry.toml", "requests-complete"),
    ] {
        let sweep = explorer(scenario).seeds(0..200).fail_fast(true).run();
        let finding = sweep.assert_finding(property);
        assert!(finding.smallest_seed() < 200, "{scenario}");
    }
}

/// The two bugs that only the checker's own record of each server, and the
/// liveness of broadcasts, can see: no other property fails on them.
#[test]
fn a_claimed_value_and_a_lost_broadcast_are_caught_by_one_property_each() {
    for (scenario, property) in [
        ("scenarios/gossip/bugs/merge-over-gap.toml", "convergence"),
        ("scenarios/gossip/bugs/no-retry.toml", "requests-complete"),
    ] {
        let sweep = explorer(scenario).seeds(0..20).run();
        let caught = sweep.assert_finding(property);
        assert!(caught.seeds.len() >= 10, "{scenario}: {} of 20 seeds", caught.seeds.len());
        let others: Vec<&str> =
            sweep.findings.iter().map(|f| f.property.as_str()).filter(|p| *p != property).collect();
        assert!(others.is_empty(), "{scenario}: only {property} fails, not {others:?}");
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
        explorer(path).seeds(0..SEEDS).run().assert_no_findings();
    }
}

#[test]
fn the_large_cluster_converges() {
    explorer("scenarios/gossip/large-cluster.toml").seeds(0..4).run().assert_no_findings();
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

#[test]
fn a_sweep_keeps_every_seed_s_metrics() {
    let sweep = explorer("scenarios/gossip/partition-heal.toml").seeds(0..6).run();
    let broadcast = sweep.metrics.iter().find(|m| m.name == "values broadcast").expect("a summary");
    assert_eq!(broadcast.seeds, 6);
    assert!(broadcast.min > 0.0 && broadcast.min <= broadcast.mean() && broadcast.mean() <= broadcast.max);
    // Two shards merge into the same summary as one sweep.
    let a = explorer("scenarios/gossip/partition-heal.toml").seeds(0..3).run();
    let b = explorer("scenarios/gossip/partition-heal.toml").seeds(3..6).run();
    let merged = sim::explore::Sweep::merge(&[a, b]);
    let m = merged.metrics.iter().find(|m| m.name == "values broadcast").unwrap();
    assert_eq!(
        (m.seeds, m.sum, m.min, m.max),
        (broadcast.seeds, broadcast.sum, broadcast.min, broadcast.max)
    );
}

/// The reload check sees a lost acknowledged value as the server restarts,
/// seconds before the settle phase would: on seed 3 of the same faults.
#[test]
fn a_value_acknowledged_before_syncing_is_missed_at_the_restart() {
    let r = protocols::load("scenarios/gossip/bugs/ack-before-sync-reload.toml")
        .unwrap()
        .run(3, RunOptions::default());
    let v = r.violation.expect("caught");
    assert_eq!(v.property, "reload-safety", "{}", v.message);
    let late =
        protocols::load("scenarios/gossip/bugs/ack-before-sync.toml").unwrap().run(3, RunOptions::default());
    let late = late.violation.expect("caught");
    assert_eq!(late.property, "convergence");
    assert!(v.time_ns < late.time_ns, "{} before {}", v.time_ns, late.time_ns);
}
