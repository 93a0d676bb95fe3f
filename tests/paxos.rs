//! Multi-Paxos, tested by the parts of "Paxos Made Simple" and of the
//! Multi-Paxos practice around it: choosing a value (phase 1 and 2),
//! safety under every seeded bug, persistence of the acceptors, the leader
//! lease against drifting clocks, compaction and clients.

use sim::explore::{Explorer, Sweep};
use sim::trace::VecSink;
use sim::{Outcome, RunOptions, RunResult, Scenario, Status};

/// A Multi-Paxos scenario: 5 servers, kv clients through the settle phase,
/// the given `[protocol]` settings and extra tables.
fn scenario(protocol: &str, extra: &str) -> String {
    format!(
        "nodes = 5\nduration = \"12s\"\n\
         [protocol]\nname = \"multi-paxos\"\n{protocol}\n\
         [network]\nlatency = {{ dist = \"uniform\", min = \"1ms\", max = \"8ms\" }}\n\
         [workload]\nkind = \"kv\"\nclients = 4\nkeys = 3\nrate = \"200/s\"\ntimeout = \"1s\"\nretry = \"100ms\"\nstop = \"end\"\n\
         [check]\nlinearizable = true\nsettle = \"4s\"\n{extra}"
    )
}

fn runner(source: &str) -> Box<dyn sim::Runner> {
    protocols::prepare(Scenario::parse("paxos-test.toml", source).unwrap_or_else(|e| panic!("{e}"))).unwrap()
}

fn run(source: &str, seed: u64) -> RunResult {
    runner(source).run(seed, RunOptions::default())
}

fn sweep(source: &str, seeds: std::ops::Range<u64>) -> Sweep {
    Explorer::new(runner(source)).seeds(seeds).out_dir(None).run()
}

fn file(path: &str) -> String {
    std::fs::read_to_string(path).unwrap()
}

/// A scenario file without its `bug = ...` line.
fn without_bug(path: &str) -> String {
    file(path).lines().filter(|l| !l.starts_with("bug = ")).map(|l| format!("{l}\n")).collect()
}

fn metric(r: &RunResult, name: &str) -> f64 {
    r.metrics.iter().find(|m| m.name == name).unwrap_or_else(|| panic!("no metric {name}")).value
}

fn status(r: &RunResult, name: &str) -> Status {
    r.properties.iter().find(|p| p.name == name).unwrap_or_else(|| panic!("no property {name}")).status
}

fn fired_in(s: &Sweep, name: &str) -> u64 {
    s.sometimes.iter().find(|c| c.name == name).unwrap_or_else(|| panic!("no property {name}")).fired_in
}

/// `(time, server)` of each observation whose text starts with `what`.
fn observed(source: &str, seed: u64, what: &str) -> Vec<(u64, u32)> {
    let mut sink = VecSink::default();
    runner(source).run(seed, RunOptions { trace: Some(&mut sink), faults: None });
    let mut out = Vec::new();
    for line in sink.0.iter().filter(|l| l.kind == sim::trace::Kind::Observe) {
        if line.detail.starts_with(what) {
            out.push((line.time_ns, line.process.expect("an observation has its process").index()));
        }
    }
    out
}

fn first_leader(seed: u64) -> u32 {
    observed(&scenario("", ""), seed, "BecameLeader")[0].1
}

mod choosing {
    use super::*;

    #[test]
    fn one_leader_runs_phase_1_once_and_then_chooses_a_slot_per_command() {
        for seed in 0..10 {
            let r = run(&scenario("", ""), seed);
            assert_eq!(r.outcome, Outcome::Ok, "seed {seed}: {:?}", r.violation);
            assert_eq!(metric(&r, "leaders elected"), 1.0, "seed {seed}");
            // Writes (reads are served under the lease) each took a slot.
            assert!(metric(&r, "slots chosen") > 300.0, "seed {seed}: {}", metric(&r, "slots chosen"));
            assert_eq!(status(&r, "one-leader"), Status::Held);
        }
    }

    #[test]
    fn duelling_proposers_outbid_each_other_and_the_winner_adopts_accepted_values() {
        let s = Explorer::new(protocols::load("scenarios/paxos/duelling-proposers.toml").unwrap())
            .seeds(0..20)
            .out_dir(None)
            .run();
        s.assert_no_findings();
        assert_eq!(fired_in(&s, "proposers-competed"), 20);
        assert_eq!(fired_in(&s, "value-adopted"), 20);
    }

    #[test]
    fn a_new_leader_fills_gaps_with_no_ops() {
        let s = Explorer::new(protocols::load("scenarios/paxos/lossy-links.toml").unwrap())
            .seeds(0..60)
            .out_dir(None)
            .run();
        s.assert_no_findings();
        assert!(fired_in(&s, "gap-filled") >= 1, "gaps arise when accepts are lost and reordered");
    }

    #[test]
    fn an_isolated_leader_is_replaced_and_steps_down_after_the_heal() {
        for seed in 0..5 {
            let leader = first_leader(seed);
            let isolate = format!("[[fault]]\nat = \"2s\"\nisolate = {leader}\nfor = \"3s\"\n");
            let source = scenario("", &isolate);
            let r = run(&source, seed);
            assert_eq!(r.outcome, Outcome::Ok, "seed {seed}: {:?}", r.violation);
            let others: Vec<_> = observed(&source, seed, "BecameLeader")
                .into_iter()
                .filter(|&(t, who)| who != leader && t > 2_000_000_000)
                .collect();
            assert!(
                others.iter().any(|&(t, _)| t < 5_000_000_000),
                "seed {seed}: a new leader during the cut"
            );
        }
    }
}

mod safety {
    use super::*;

    #[test]
    fn each_seeded_bug_is_caught_within_2000_seeds_by_a_property_it_breaks() {
        for (bug, properties) in [
            ("ignore-promised-values", &["agreement"][..]),
            ("minority-quorum", &["agreement", "linearizable"][..]),
            ("acceptor-amnesia", &["promise-kept", "agreement"][..]),
            ("promise-lower-ballot", &["promise-kept"][..]),
            ("skip-phase1-unseen", &["agreement"][..]),
            ("lease-without-drift-bound", &["linearizable"][..]),
            ("shared-ballots", &["one-leader-per-ballot"][..]),
            ("accept-keeps-old-value", &["validity"][..]),
            ("no-dedup", &["linearizable"][..]),
        ] {
            let path = format!("scenarios/paxos/bugs/{bug}.toml");
            let sweep = Explorer::new(protocols::load(&path).unwrap())
                .seeds(0..2000)
                .fail_fast(true)
                .out_dir(None)
                .run();
            let finding = sweep.findings.first().unwrap_or_else(|| panic!("{bug}: not caught in 2000 seeds"));
            assert!(
                properties.contains(&finding.property.as_str()),
                "{bug}: caught by {}: {}",
                finding.property,
                finding.message
            );
        }
    }

    #[test]
    fn the_correct_protocol_survives_the_scenarios_that_expose_the_bugs() {
        for bug in [
            "ignore-promised-values",
            "minority-quorum",
            "acceptor-amnesia",
            "promise-lower-ballot",
            "skip-phase1-unseen",
            "shared-ballots",
            "accept-keeps-old-value",
            "no-dedup",
        ] {
            let source = without_bug(&format!("scenarios/paxos/bugs/{bug}.toml"));
            sweep(&source, 0..15).assert_no_findings();
        }
    }

    #[test]
    fn every_correct_scenario_holds_for_a_few_dozen_seeds() {
        let mut paths: Vec<_> = std::fs::read_dir("scenarios/paxos")
            .unwrap()
            .map(|e| e.unwrap().path())
            .filter(|p| p.extension().is_some_and(|e| e == "toml"))
            .collect();
        paths.sort();
        assert!(paths.len() >= 8, "{paths:?}");
        for path in paths {
            let s = Explorer::new(protocols::load(path.to_str().unwrap()).unwrap())
                .seeds(0..24)
                .out_dir(None)
                .run();
            s.assert_no_findings();
        }
    }
}

mod persistence {
    use super::*;

    #[test]
    fn acceptors_keep_their_promises_through_crash_restart_storms() {
        let s = Explorer::new(protocols::load("scenarios/paxos/crash-restart.toml").unwrap())
            .seeds(0..20)
            .out_dir(None)
            .run();
        s.assert_no_findings();
        assert_eq!(fired_in(&s, "leader-changed"), 20);
    }

    #[test]
    fn an_acceptor_that_forgets_breaks_its_promise_only_when_it_restarts() {
        // acceptor-amnesia keeps state in memory: without crashes nothing
        // can tell.
        let source = file("scenarios/paxos/bugs/acceptor-amnesia.toml");
        let no_crash: String =
            source.lines().filter(|l| !l.starts_with("crash = ")).map(|l| format!("{l}\n")).collect();
        sweep(&no_crash, 0..20).assert_no_findings();
    }
}

mod leases {
    use super::*;

    #[test]
    fn the_leader_answers_reads_alone_under_its_lease() {
        let r = run(&scenario("", ""), 1);
        assert_eq!(r.outcome, Outcome::Ok);
        assert_eq!(status(&r, "lease-read"), Status::Fired);
        let log = run(&scenario("reads = \"log\"", ""), 1);
        assert_eq!(log.outcome, Outcome::Ok);
        assert_eq!(status(&log, "lease-read"), Status::NotFired);
        assert!(metric(&log, "slots chosen") > metric(&r, "slots chosen"), "log reads take slots");
    }

    #[test]
    fn a_paused_leader_lease_runs_out_and_it_serves_no_stale_read() {
        let s = Explorer::new(protocols::load("scenarios/paxos/long-pauses.toml").unwrap())
            .seeds(0..20)
            .out_dir(None)
            .run();
        s.assert_no_findings();
        assert!(fired_in(&s, "lease-expired-paused") >= 10, "the situation really arises");
    }

    #[test]
    fn a_lease_without_drift_bound_is_caught_only_by_clock_drift() {
        let path = "scenarios/paxos/bugs/lease-without-drift-bound.toml";
        let with_clock = Explorer::new(protocols::load(path).unwrap()).seeds(0..100).out_dir(None).run();
        assert_eq!(
            with_clock.findings.first().map(|f| (f.property.as_str(), f.smallest_seed())),
            Some(("linearizable", 62))
        );
        let no_clock: String =
            file(path).lines().filter(|l| !l.starts_with("clock = ")).map(|l| format!("{l}\n")).collect();
        sweep(&no_clock, 0..100).assert_no_findings();
        // And the drift bound is what makes the correct lease safe.
        sweep(&without_bug(path), 55..70).assert_no_findings();
    }
}

mod compaction {
    use super::*;

    #[test]
    fn snapshots_keep_the_acceptor_state_in_memory_bounded() {
        let r = run(&scenario("snapshot_every = 100\nreads = \"log\"", ""), 2);
        assert_eq!(r.outcome, Outcome::Ok);
        assert!(metric(&r, "slots applied") > 500.0, "{}", metric(&r, "slots applied"));
        assert!(
            metric(&r, "most accepted slots in memory") <= 200.0,
            "{}",
            metric(&r, "most accepted slots in memory")
        );
        let unbounded = run(&scenario("snapshot_every = 0\nreads = \"log\"", ""), 2);
        assert!(metric(&unbounded, "most accepted slots in memory") > 500.0);
    }

    #[test]
    fn a_server_down_for_long_catches_up_by_snapshot() {
        for seed in 0..5 {
            let follower = (first_leader(seed) + 2) % 5;
            let crash = format!("[[fault]]\nat = \"1s\"\ncrash = {follower}\nfor = \"6s\"\n");
            let r = run(&scenario("snapshot_every = 50", &crash), seed);
            assert_eq!(r.outcome, Outcome::Ok, "seed {seed}: {:?}", r.violation);
            assert_eq!(status(&r, "snapshot-installed"), Status::Fired, "seed {seed}");
        }
    }
}

mod clients {
    use super::*;

    #[test]
    fn a_retried_write_applies_once_and_requests_complete_after_the_heal() {
        let r = run(&file("scenarios/paxos/lossy-links.toml"), 4);
        assert_eq!(r.outcome, Outcome::Ok, "{:?}", r.violation);
        assert_eq!(status(&r, "retry-deduplicated"), Status::Fired);
        assert_eq!(status(&r, "requests-complete"), Status::Held);
        assert_eq!(status(&r, "linearizable"), Status::Held);
    }

    #[test]
    fn raft_and_multi_paxos_share_one_kv_store_and_client() {
        // One type, not two copies: a Raft snapshot's state machine is the
        // store Multi-Paxos applies to.
        fn same<T>(_: Option<T>, _: Option<T>) {}
        same::<protocols::kv::KvStore>(None::<protocols::raft::KvStore>, None::<protocols::kv::KvStore>);
        same::<protocols::kv::KvClient>(
            None::<protocols::raft::RaftClient>,
            None::<protocols::paxos::PaxosClient>,
        );
    }

    #[test]
    fn bad_parameters_are_refused_with_the_place() {
        for (protocol, says) in [
            ("heartbeat = \"500ms\"", "heartbeat"),
            ("lease = \"10ms\"", "lease"),
            ("drift_bound_ppm = 1000000", "drift_bound_ppm"),
            ("reads = \"quorum\"", "reads"),
            ("election_timeout = [\"300ms\", \"100ms\"]", "election_timeout"),
        ] {
            let source = scenario(protocol, "");
            let scenario = Scenario::parse("paxos-test.toml", &source).unwrap();
            let err = match protocols::prepare(scenario) {
                Ok(_) => panic!("{protocol}: accepted"),
                Err(e) => e.to_string(),
            };
            assert!(err.contains(says) && err.contains("paxos-test.toml:"), "{protocol}: {err}");
        }
    }
}

mod synod {
    use super::*;

    #[test]
    fn one_value_is_chosen_and_learned_while_proposers_duel_and_acceptors_crash() {
        let s = Explorer::new(protocols::load("scenarios/paxos/synod-duelling.toml").unwrap())
            .seeds(0..300)
            .out_dir(None)
            .run();
        s.assert_no_findings();
        assert!(fired_in(&s, "proposers-competed") >= 150, "{}", fired_in(&s, "proposers-competed"));
        assert!(fired_in(&s, "value-adopted") >= 250, "{}", fired_in(&s, "value-adopted"));
    }

    #[test]
    fn each_seeded_bug_is_caught_by_a_property_it_breaks_and_the_correct_synod_survives_its_scenario() {
        for (bug, properties) in [
            ("ignore-promised-values", &["agreement"][..]),
            ("acceptor-amnesia", &["promise-kept", "agreement"][..]),
        ] {
            let path = format!("scenarios/paxos/bugs/synod-{bug}.toml");
            let sweep = Explorer::new(protocols::load(&path).unwrap())
                .seeds(0..2000)
                .fail_fast(true)
                .out_dir(None)
                .run();
            let finding = sweep.findings.first().unwrap_or_else(|| panic!("{bug}: not caught in 2000 seeds"));
            assert!(properties.contains(&finding.property.as_str()), "{bug}: {}", finding.property);
            super::sweep(&without_bug(&path), 0..300).assert_no_findings();
        }
    }

    #[test]
    fn a_promise_below_the_one_held_is_caught_at_once() {
        let source = without_bug("scenarios/paxos/synod-duelling.toml").replacen(
            "[nodes]",
            "bug = \"promise-lower-ballot\"\n[nodes]",
            1,
        );
        let s = sweep(&source, 0..200);
        assert_eq!(s.findings.first().map(|f| f.property.as_str()), Some("promise-kept"));
    }
}
