//! The Raft scenarios built on triggers and the long tail do what they say:
//! their triggers fire in most seeds (a scenario whose triggers never fire
//! tests nothing new), on the observation they name, and the correct Raft
//! passes them.

mod common;
use sim::fault::{FaultAction, Source};
use sim::{Outcome, RunOptions, RunResult};

const SEEDS: u64 = 40;

fn runs(path: &str) -> Vec<RunResult> {
    let runner = protocols::load(&common::root().join(path).display().to_string()).unwrap();
    (0..SEEDS).map(|seed| runner.run(seed, RunOptions::default())).collect()
}

/// Triggered crashes in one run, each with what it answered.
fn triggered_crashes(r: &RunResult) -> Vec<String> {
    r.faults
        .iter()
        .filter_map(|f| match (&f.action, &f.source) {
            (FaultAction::Crash { node }, Source::Trigger { by, observed, .. }) => {
                assert_eq!(node, by, "the observer crashes");
                Some(observed.clone())
            }
            _ => None,
        })
        .collect()
}

fn check(path: &str, kinds: &[&str], min_seeds: u64) {
    let results = runs(path);
    let mut fired = 0;
    let mut total = 0;
    for r in &results {
        assert_eq!(r.outcome, Outcome::Ok, "{path} seed {}: {:?}", r.seed, r.violation);
        let crashes = triggered_crashes(r);
        assert!(crashes.iter().all(|k| kinds.contains(&k.as_str())), "{crashes:?}");
        fired += u64::from(!crashes.is_empty());
        total += crashes.len();
    }
    eprintln!("{path}: triggers fired in {fired}/{SEEDS} seeds, {total} crashes");
    assert!(fired >= min_seeds, "{path}: triggers fired in only {fired}/{SEEDS} seeds");
}

#[test]
fn crash_after_truncate_crashes_followers_that_truncated() {
    check("scenarios/raft/crash-after-truncate.toml", &["truncated"], SEEDS * 3 / 4);
}

#[test]
fn crash_after_snapshot_install_crashes_servers_that_installed_one() {
    check(
        "scenarios/raft/crash-after-snapshot-install.toml",
        &["snapshot-installed", "truncated"],
        SEEDS * 3 / 4,
    );
}

/// In `late-votes`, vote replies do arrive after the election they
/// answered is over: later than the longest election timeout (300 ms).
#[test]
fn late_votes_delivers_votes_past_the_election_timeout() {
    let runner =
        protocols::load(&common::root().join("scenarios/raft/late-votes.toml").display().to_string())
            .unwrap();
    let mut late = 0;
    for seed in 0..3 {
        let mut sink = sim::trace::VecSink::default();
        let r = runner.run(seed, RunOptions { trace: Some(&mut sink), faults: None });
        assert_eq!(r.outcome, Outcome::Ok, "seed {seed}: {:?}", r.violation);
        late += sink
            .0
            .iter()
            .filter(|l| l.kind == sim::trace::Kind::Deliver && l.detail.starts_with("Vote"))
            .filter(|l| l.sent_ns.is_some_and(|sent| l.time_ns - sent > 300_000_000))
            .count();
    }
    eprintln!("late-votes: {late} vote replies delivered more than 300ms after they were sent, in 3 seeds");
    assert!(late >= 3, "{late}");
}
