//! The replicated register, and linearizability checked on the histories
//! its simulated clients record: the correct service passes, each seeded
//! bug is caught, the offline checker agrees with the online one, and a run
//! stops at the very completion that made its history non-linearizable.

use sim::explore::Explorer;
use sim::lin::{check_named, Budget, Verdict};
use sim::{Outcome, RunOptions};

const CORRECT: [&str; 2] = ["scenarios/register/lossy-links.toml", "scenarios/register/primary-crash.toml"];
const BUGS: [&str; 3] = [
    "scenarios/register/bugs/stale-read.toml",
    "scenarios/register/bugs/no-dedup.toml",
    "scenarios/register/bugs/ack-before-sync.toml",
];

fn offline(history: &sim::History) -> Verdict {
    check_named("cas-register", history, &Budget::default()).unwrap()
}

#[test]
fn the_correct_service_is_linearizable_online_and_offline() {
    for path in CORRECT {
        Explorer::new(protocols::load(path).unwrap()).seeds(0..20).out_dir(None).run().assert_no_findings();
        let runner = protocols::load(path).unwrap();
        for seed in 0..5 {
            let r = runner.run(seed, RunOptions::default());
            assert_eq!(r.outcome, Outcome::Ok, "{path} seed {seed}");
            assert_eq!(r.linearizability.as_ref().unwrap().verdict, Verdict::Linearizable);
            assert!(r.operations.ok > 300, "{path}: a real workload");
            assert_eq!(offline(&r.history), Verdict::Linearizable, "{path} seed {seed}");
        }
    }
}

#[test]
fn every_seeded_bug_is_caught_and_the_offline_check_agrees() {
    for path in BUGS {
        let sweep =
            Explorer::new(protocols::load(path).unwrap()).seeds(0..200).fail_fast(true).out_dir(None).run();
        let finding = sweep.assert_finding("linearizable");
        let runner = protocols::load(path).unwrap();
        let r = runner.run(finding.smallest_seed(), RunOptions::default());
        assert!(matches!(offline(&r.history), Verdict::NotLinearizable(_)), "{path}: offline agrees");
    }
}

#[test]
fn a_run_stops_at_the_completion_that_broke_linearizability() {
    let mut checked = 0;
    for path in BUGS {
        let runner = protocols::load(path).unwrap();
        for seed in 0..30 {
            let r = runner.run(seed, RunOptions::default());
            let online = r.linearizability.as_ref().is_some_and(|l| l.mode == "online");
            let Some(v) = r.violation.as_ref().filter(|v| v.property == "linearizable" && online) else {
                continue;
            };
            let last = r.history.events.last().unwrap();
            assert_ne!(
                last.kind,
                sim::history::EventKind::Invoke,
                "{path} seed {seed}: the run ends on a completion"
            );
            assert_eq!(last.time_ns, v.time_ns, "{path} seed {seed}: at the violation's time");
            // With that completion the history is not linearizable; just
            // before it, it still was.
            assert!(matches!(offline(&r.history), Verdict::NotLinearizable(_)));
            let mut before = r.history.clone();
            before.events.pop();
            assert_eq!(offline(&before), Verdict::Linearizable, "{path} seed {seed}");
            checked += 1;
        }
    }
    assert!(checked >= 20, "enough online detections to mean something: {checked}");
}

/// The primary acknowledged a write it had not synced, crashed, and came
/// back with an older version: the reload check sees it as it restarts,
/// on more seeds than a later read shows it to linearizability.
#[test]
fn a_primary_that_reloads_less_than_it_acknowledged_is_caught_at_the_restart() {
    let sweep =
        Explorer::new(protocols::load("scenarios/register/bugs/ack-before-sync-reload.toml").unwrap())
            .seeds(0..200)
            .out_dir(None)
            .run();
    let reload = sweep.assert_finding("reload-safety");
    let without = Explorer::new(protocols::load("scenarios/register/bugs/ack-before-sync.toml").unwrap())
        .seeds(0..200)
        .out_dir(None)
        .run();
    let linearizable: usize =
        without.findings.iter().filter(|f| f.property == "linearizable").map(|f| f.seeds.len()).sum();
    assert!(reload.seeds.len() > linearizable, "{} > {linearizable}", reload.seeds.len());
}

/// A client that never resends leaves lost requests to time out: `info`,
/// which a linearizable history always allows, so only requests-complete
/// (operations invoked after the heal complete) sees it.
#[test]
fn a_client_that_never_retries_is_caught_by_requests_complete_alone() {
    let sweep = Explorer::new(protocols::load("scenarios/register/bugs/no-retry.toml").unwrap())
        .seeds(0..20)
        .out_dir(None)
        .run();
    let caught = sweep.assert_finding("requests-complete");
    assert!(caught.seeds.len() >= 10, "{} of 20 seeds", caught.seeds.len());
    let others: Vec<&str> =
        sweep.findings.iter().map(|f| f.property.as_str()).filter(|p| *p != "requests-complete").collect();
    assert!(others.is_empty(), "only requests-complete fails, not {others:?}");
}
