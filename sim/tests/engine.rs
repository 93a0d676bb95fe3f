//! The engine's contract, tested with a protocol written here, as a user
//! would write their own: crashes lose what was not synced, restarts rebuild
//! from disk, pauses delay timers and messages, clocks drift, partitions cut,
//! a panicking handler is a finding, and limits end runs.

use serde::{Deserialize, Serialize};
use sim::{
    Checker, Cluster, Ctx, Diagnostic, NoClient, Observed, Outcome, ProcessId, Protocol, ProtocolInfo,
    RunOptions, RunResult, Scenario, Server, Time, Verdicts, World,
};

/// Each server ticks every 100ms of its own clock and pings the next server.
#[derive(Clone, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
struct Probe {
    /// Panic on this tick of n1.
    panic_at_tick: Option<u64>,
    /// The fewest followers the probe runs on.
    min_followers: Option<u32>,
}

#[derive(Clone)]
struct Node {
    me: u32,
    ticks: u64,
    probe: Probe,
}

#[derive(Debug, Clone, PartialEq)]
enum Obs {
    Booted {
        boots: u64,
        unsynced_survived: bool,
    },
    Ticked,
    Pinged {
        from: u32,
    },
    /// The node's wall and monotonic clocks when it ticked.
    Clocks {
        wall: u64,
        monotonic: u64,
    },
}

#[derive(Clone, Debug, Hash, PartialEq, Serialize)]
enum Timer {
    Tick,
}

sim::properties! {
    enum Prop {
        Ticks = ("ticks", Always, "records everything"),
    }
}

sim::roles! {
    enum Role {
        Leader = ("leader", "ticks like everyone"),
        Follower = ("follower", "ticks like everyone"),
    }
}

static INFO: ProtocolInfo =
    ProtocolInfo { name: "probe", summary: "engine probe", workloads: &[], params: PROBE_PARAMS };

const PROBE_PARAMS: &[sim::protocol::ParamSpec] = &[
    sim::protocol::ParamSpec {
        name: "panic_at_tick",
        kind: "integer",
        default: None,
        help: "server 1 panics at this tick",
    },
    sim::protocol::ParamSpec {
        name: "min_followers",
        kind: "integer",
        default: Some("1"),
        help: "the fewest followers the shrinker may leave",
    },
];

impl Server<Probe> for Node {
    fn on_start(&mut self, ctx: &mut Ctx<'_, Probe>) {
        let boots = ctx.disk().get(&"boots".to_string()).copied().unwrap_or(0) + 1;
        let unsynced_survived = ctx.disk().get(&"unsynced".to_string()).is_some();
        ctx.disk().put("boots".to_string(), boots);
        ctx.disk().sync();
        ctx.disk().put("unsynced".to_string(), 1); // never synced
        ctx.observe(Obs::Booted { boots, unsynced_survived });
        ctx.set_timer(Timer::Tick, sim::Span::from_millis(100));
    }

    fn on_message(&mut self, ctx: &mut Ctx<'_, Probe>, from: ProcessId, _msg: u64) {
        ctx.observe(Obs::Pinged { from: from.index() });
    }

    fn on_timer(&mut self, ctx: &mut Ctx<'_, Probe>, _timer: Timer) {
        self.ticks += 1;
        if self.me == 1 && Some(self.ticks) == self.probe.panic_at_tick {
            let empty: Vec<u8> = Vec::new();
            let _ = empty[self.ticks as usize]; // an index out of bounds, as real bugs do
        }
        ctx.observe(Obs::Ticked);
        ctx.observe(Obs::Clocks { wall: ctx.now().nanos(), monotonic: ctx.monotonic().nanos() });
        let next = (self.me + 1) % ctx.servers();
        ctx.send(ProcessId::server(next), self.ticks);
        ctx.set_timer(Timer::Tick, sim::Span::from_millis(100));
    }
}

/// Records every observation with its true time.
#[derive(Default)]
struct Recorder {
    seen: Vec<(Time, u32, Obs)>,
}

impl Checker<Probe> for Recorder {
    fn after_step(
        &mut self,
        world: &World<'_, Probe>,
        observations: &[Observed<Obs>],
        _v: &mut Verdicts<Prop>,
    ) {
        for o in observations {
            self.seen.push((world.now(), o.from.index(), o.obs.clone()));
        }
    }
    fn at_end(&mut self, _world: &World<'_, Probe>, v: &mut Verdicts<Prop>) {
        // Smuggle the record out through a violation message, the only
        // channel a checker has to the result.
        let text: Vec<String> =
            self.seen.iter().map(|(t, n, o)| format!("{}|{n}|{o:?}", t.nanos())).collect();
        v.violated(Prop::Ticks, text.join("\n"));
    }
}

impl Protocol for Probe {
    type Message = u64;
    type Timer = Timer;
    type DiskKey = String;
    type DiskValue = u64;
    type Observation = Obs;
    type Server = Node;
    type Client = NoClient;
    type Checker = Recorder;
    type Role = Role;
    type Property = Prop;
    type Bug = sim::Never;
    type Model = sim::lin::NoModel;

    fn info() -> &'static ProtocolInfo {
        &INFO
    }
    fn configure(scenario: &Scenario, _bug: Option<sim::Never>) -> Result<Self, Diagnostic> {
        scenario.protocol_params()
    }
    fn min_nodes(&self, role: Role) -> u32 {
        match role {
            Role::Leader => 1,
            Role::Follower => self.min_followers.unwrap_or(1),
        }
    }
    fn server(&self, id: ProcessId, _cluster: &Cluster) -> Node {
        Node { me: id.index(), ticks: 0, probe: self.clone() }
    }
    fn checker(&self, _setup: &sim::Setup) -> Recorder {
        Recorder::default()
    }
}

fn run(extra: &str) -> RunResult {
    run_source(&format!(
        "protocol = \"probe\"\nduration = \"3s\"\n[nodes]\nleader = 1\nfollower = 2\n[check]\nsettle = \"0s\"\n{extra}"
    ))
}

fn run_source(source: &str) -> RunResult {
    let scenario = Scenario::parse("probe.toml", source).unwrap_or_else(|e| panic!("{e}"));
    let runner = sim::prepare::<Probe>(scenario).unwrap_or_else(|e| panic!("{e}"));
    runner.run(0, RunOptions::default())
}

/// The recorded observations: (true time, node, what).
fn record(r: &RunResult) -> Vec<(Time, u32, String)> {
    let v = r.violation.as_ref().expect("the recorder reports at the end");
    v.message
        .lines()
        .map(|l| {
            let mut parts = l.splitn(3, '|');
            let t = Time(parts.next().unwrap().parse().unwrap());
            let n = parts.next().unwrap().parse().unwrap();
            (t, n, parts.next().unwrap().to_string())
        })
        .collect()
}

fn ticks_of(r: &RunResult, node: u32) -> Vec<Time> {
    record(r).into_iter().filter(|(_, n, o)| *n == node && o == "Ticked").map(|(t, _, _)| t).collect()
}

#[test]
fn timers_fire_on_time_without_faults() {
    let r = run("");
    let ticks = ticks_of(&r, 0);
    assert_eq!(ticks.len(), 29, "ticks at 100ms..2.9s (the end comes first at 3s)");
    assert!(ticks.iter().enumerate().all(|(i, t)| *t == Time::from_millis(100 * (i as u64 + 1))));
}

#[test]
fn a_crash_loses_unsynced_writes_and_a_restart_rebuilds_from_disk() {
    let r = run("[[fault]]\nat = \"1s\"\ncrash = 0\nfor = \"500ms\"\n");
    let boots: Vec<String> = record(&r)
        .into_iter()
        .filter(|(_, n, o)| *n == 0 && o.starts_with("Booted"))
        .map(|(_, _, o)| o)
        .collect();
    assert_eq!(
        boots,
        vec![
            "Booted { boots: 1, unsynced_survived: false }".to_string(),
            "Booted { boots: 2, unsynced_survived: false }".to_string()
        ]
    );
    let ticks = ticks_of(&r, 0);
    assert!(
        ticks.iter().all(|t| *t < Time::from_secs(1) || *t >= Time::from_millis(1600)),
        "no ticks while down"
    );
    let pings_to_0: Vec<Time> = record(&r)
        .into_iter()
        .filter(|(_, n, o)| *n == 0 && o.starts_with("Pinged"))
        .map(|(t, _, _)| t)
        .collect();
    assert!(
        pings_to_0.iter().all(|t| *t < Time::from_secs(1) || *t >= Time::from_millis(1500)),
        "lost while down"
    );
}

#[test]
fn a_crash_for_good_outlasts_the_settle_and_a_plain_crash_does_not() {
    // Settle at 2s restarts what crashed, except what crashed `until = "end"`.
    let source = |until: &str| {
        format!(
            "protocol = \"probe\"\nduration = \"3s\"\n[nodes]\nleader = 1\nfollower = 2\n[check]\nsettle = \"1s\"\n\
             [[fault]]\nat = \"1s\"\ncrash = 1\n{until}\n[[fault]]\nat = \"1s\"\ncrash = 2\n"
        )
    };
    let r = run_source(&source("until = \"end\""));
    assert!(ticks_of(&r, 1).iter().all(|t| *t < Time::from_secs(1)), "n1 stays down to the end");
    assert!(ticks_of(&r, 2).iter().any(|t| *t > Time::from_secs(2)), "n2 restarts at the settle");
    assert!(r.faults.iter().any(|f| f.action.to_string() == "crash n1 for good"), "{:?}", r.faults);
    let r = run_source(&source(""));
    assert!(ticks_of(&r, 1).iter().any(|t| *t > Time::from_secs(2)), "without `until`, n1 restarts too");
}

#[test]
fn keep_prefix_crashes_may_keep_unsynced_writes() {
    let survived = (0..20u64).any(|seed| {
        let source = "protocol = \"probe\"\nnodes = { leader = 1, follower = 2 }\nduration = \"3s\"\n[disk]\non_crash = \"keep-prefix\"\n[check]\nsettle = \"0s\"\n[[fault]]\nat = \"1s\"\ncrash = 0\nfor = \"100ms\"\n";
        let runner = sim::prepare::<Probe>(Scenario::parse("p.toml", source).unwrap()).unwrap();
        let r = runner.run(seed, RunOptions::default());
        record(&r).iter().any(|(_, _, o)| o.contains("unsynced_survived: true"))
    });
    assert!(survived);
}

#[test]
fn a_paused_node_fires_its_timers_late_with_stale_state() {
    let r = run("[[fault]]\nat = \"1050ms\"\npause = 0\nfor = \"500ms\"\n");
    let ticks = ticks_of(&r, 0);
    assert!(ticks.contains(&Time::from_millis(1000)));
    assert!(!ticks.iter().any(|t| *t > Time::from_millis(1000) && *t < Time::from_millis(1550)));
    assert!(ticks.contains(&Time::from_millis(1550)), "the 1.1s tick fires on resume: {ticks:?}");
    assert!(ticks.contains(&Time::from_millis(1650)), "and the timer it set runs from there");
}

#[test]
fn a_drifting_clock_fires_timers_early_and_skew_shifts_reading() {
    let r = run("[[fault]]\nat = \"1s\"\nclock = { node = 0, skew = \"-30ms\", drift_ppm = 100000 }\n");
    let ticks = ticks_of(&r, 0);
    let after: Vec<u64> =
        ticks.windows(2).filter(|w| w[0] > Time::from_millis(1200)).map(|w| (w[1] - w[0]).nanos()).collect();
    assert!(after.iter().all(|d| *d == 90_909_090), "100ms of a 10% fast clock: {after:?}");
}

#[test]
fn partitions_cut_messages_and_one_way_cuts_one_direction() {
    let cut = run("[[fault]]\nat = \"500ms\"\none_way = { from = [0], to = [1] }\n");
    let pings_from_0 =
        |r: &RunResult| record(r).iter().filter(|(_, n, o)| *n == 1 && o == "Pinged { from: 0 }").count();
    let pings_from_2_to_0 =
        |r: &RunResult| record(r).iter().filter(|(_, n, o)| *n == 0 && o == "Pinged { from: 2 }").count();
    let free = run("");
    assert!(
        pings_from_0(&cut) < 6 && pings_from_0(&free) > 25,
        "{} {}",
        pings_from_0(&cut),
        pings_from_0(&free)
    );
    assert_eq!(pings_from_2_to_0(&cut), pings_from_2_to_0(&free), "other directions untouched");
    assert_eq!(cut.network.dropped_partition as usize, pings_from_0(&free) - pings_from_0(&cut));
}

#[test]
fn a_panicking_handler_is_a_finding_not_a_crash() {
    let r = run_source("nodes = { leader = 1, follower = 2 }\nduration = \"3s\"\n[protocol]\nname = \"probe\"\npanic_at_tick = 7\n");
    assert_eq!(r.outcome, Outcome::Violation);
    let v = r.violation.unwrap();
    assert_eq!(v.property, "no-panic");
    assert!(v.message.starts_with("n1 panicked: index out of bounds"), "{}", v.message);
    assert!(v.message.contains("engine.rs"), "the location: {}", v.message);
    assert_eq!(v.time_ns, Time::from_millis(700).nanos());
    // The next run on this thread is unaffected.
    assert_eq!(run("").events, run("").events);
}

#[test]
fn a_panic_writes_a_repro_that_replays_it() {
    let source = "nodes = { leader = 1, follower = 2 }\nduration = \"3s\"\n[protocol]\nname = \"probe\"\npanic_at_tick = 7\n";
    let scenario = Scenario::parse("probe.toml", source).unwrap();
    let runner = sim::prepare::<Probe>(scenario).unwrap();
    let first = runner.run(42, RunOptions::default());
    let repro = sim::repro::Repro::new("probe.toml", source, &first);
    let text = serde_json::to_string(&repro).unwrap();
    let repro: sim::repro::Repro = serde_json::from_str(&text).unwrap();
    let again = runner.run(repro.seed, RunOptions { trace: None, faults: Some(repro.faults.clone()) });
    assert_eq!(repro.compare(&again), sim::repro::Replay::Reproduced);
    assert_eq!(again.violation.unwrap().property, "no-panic");
}

#[test]
fn a_limit_ends_the_run_with_its_reason() {
    let r = run("[limits]\nmax_events = 50\n");
    assert_eq!(r.outcome, Outcome::Limit);
    assert_eq!(r.events, 50);
    assert!(r.limit.unwrap().contains("50 events"));
}

/// `(true time, wall, monotonic)` of each of `node`'s ticks.
fn clocks_of(r: &RunResult, node: u32) -> Vec<(u64, i64, i64)> {
    record(r)
        .into_iter()
        .filter(|(_, n, o)| *n == node && o.starts_with("Clocks"))
        .map(|(t, _, o)| {
            let nums: Vec<i64> = o
                .split(|c: char| !c.is_ascii_digit())
                .filter(|s| !s.is_empty())
                .map(|s| s.parse().unwrap())
                .collect();
            (t.nanos(), nums[0], nums[1])
        })
        .collect()
}

#[test]
fn a_drift_change_alone_never_moves_the_clock() {
    // Two seconds in, only the drift changes: the old model (drift counted
    // from time zero) would jump the clock by 2s x 10% = 200ms.
    let r = run("[[fault]]\nat = \"2s\"\nclock = { node = 0, drift_ppm = 100000 }\n");
    for (t, wall, _) in clocks_of(&r, 0) {
        let offset = wall - t as i64;
        let since = t.saturating_sub(2_000_000_000) as i64;
        assert!((offset - since / 10).abs() <= 1, "at {t}: offset {offset}, expected {}", since / 10);
    }
}

#[test]
fn skew_jumps_the_wall_clock_but_never_the_monotonic_one() {
    let r = run("[[fault]]\nat = \"1050ms\"\nclock = { node = 0, skew = \"-500ms\" }\n");
    let clocks = clocks_of(&r, 0);
    assert!(clocks.windows(2).all(|w| w[1].2 > w[0].2), "monotonic: {clocks:?}");
    let after: Vec<_> = clocks.iter().filter(|(t, _, _)| *t > 1_050_000_000).collect();
    assert!(after.iter().all(|(t, wall, mono)| *wall == *t as i64 - 500_000_000 && *mono == *t as i64));
    assert!(clocks.windows(2).any(|w| w[1].1 < w[0].1), "the wall clock went back once");
}

#[test]
fn pending_timers_follow_a_drift_change() {
    // A tick is pending at 1.05s, due at 1.1s; from 1.05s the clock runs
    // 10% fast, so the remaining 50ms take 45.45ms of true time.
    let r = run("[[fault]]\nat = \"1050ms\"\nclock = { node = 0, drift_ppm = 100000 }\n");
    let ticks = ticks_of(&r, 0);
    assert!(ticks.contains(&Time(1_095_454_545)), "{ticks:?}");
}

#[test]
fn faults_can_name_a_role() {
    // The leader role has one node, n0: crashing "leader" crashes it.
    let r = run("[[fault]]\nat = \"1s\"\ncrash = \"leader\"\nfor = \"500ms\"\n");
    assert!(!ticks_of(&r, 0).iter().any(|t| *t > Time::from_secs(1) && *t < Time::from_millis(1500)));
    assert_eq!(ticks_of(&r, 1).len(), 29, "followers untouched");
    // "follower" names one of the two followers, drawn from the seed.
    let r = run("[[fault]]\nat = \"1s\"\ncrash = \"follower\"\n");
    let crashed = (1..3).filter(|n| ticks_of(&r, *n).len() < 29).count();
    assert_eq!(crashed, 1);
    assert!(r.faults[0].action.processes()[0].index() > 0, "a follower, not the leader");
}

#[test]
fn roles_are_checked_against_the_protocol() {
    let bad = "protocol = \"probe\"\nduration = \"3s\"\n[nodes]\nleader = 1\nfolower = 2\n";
    let e = sim::prepare::<Probe>(Scenario::parse("p.toml", bad).unwrap()).err().unwrap();
    let text = e.to_string();
    assert!(text.contains("no role `folower`") && text.contains("did you mean `follower`"), "{text}");
    let bad = "protocol = \"probe\"\nduration = \"3s\"\nnodes = 3\n";
    let e = sim::prepare::<Probe>(Scenario::parse("p.toml", bad).unwrap()).err().unwrap();
    assert!(e.to_string().contains("several roles"), "{e}");
}

#[test]
fn the_world_shows_every_process_clock_and_pause() {
    // Checked through the harness: a handler sees the same clocks.
    let probe = Probe::default();
    let mut node = sim::testing::NodeHarness::server(&probe, ProcessId::server(0), Cluster::uniform(3));
    let start = node.start();
    assert!(start.synced_before_sending());
    assert_eq!(start.timers_set().count(), 1);
    node.advance(sim::Span::from_millis(100));
    let tick = node.timer(Timer::Tick);
    assert_eq!(tick.sent().map(|(to, _)| to).collect::<Vec<_>>(), vec![ProcessId::server(1)]);
    assert!(tick.observations().any(|o| *o == Obs::Clocks { wall: 100_000_000, monotonic: 100_000_000 }));
}

#[test]
fn the_shrinker_removes_nodes_role_by_role_down_to_each_minimum() {
    // The recorder reports a violation in every run, however small, so the
    // shrinker removes every node it may.
    let source = "duration = \"3s\"\n[protocol]\nname = \"probe\"\nmin_followers = 2\n\
                  [nodes]\nleader = 2\nfollower = 4\n[check]\nsettle = \"0s\"\n\
                  [[fault]]\nat = \"1s\"\ncrash = 5\n";
    let scenario = Scenario::parse("probe.toml", source).unwrap();
    let runner = sim::prepare::<Probe>(scenario).unwrap();
    let first = runner.run(0, RunOptions::default());
    let repro = sim::Repro::new("probe.toml", source, &first);
    let shrunk = sim::shrink::shrink(&repro, &|s| sim::prepare::<Probe>(s), 200).unwrap();
    let s = Scenario::parse("shrunk.toml", &shrunk.repro.scenario.source).unwrap();
    let counts: Vec<(String, u32)> = s.roles.unwrap().into_iter().map(|r| (r.name, r.count)).collect();
    assert_eq!(counts, vec![("leader".to_string(), 1), ("follower".to_string(), 2)]);
    assert_eq!(shrunk.after.nodes, 3);
}

#[test]
fn a_scripted_partition_shape_can_be_drawn_over_one_role() {
    let r = run_source(
        "protocol = \"probe\"\nduration = \"3s\"\n[nodes]\nleader = 1\nfollower = 4\n[check]\nsettle = \"0s\"\n\
         [[fault]]\nat = \"1s\"\npartition = \"majority-minority\"\nrole = \"follower\"\n",
    );
    let Some(sim::FaultAction::Partition { partition: sim::network::Partition::Groups { groups }, .. }) =
        r.faults.first().map(|f| f.action.clone())
    else {
        panic!("{:?}", r.faults)
    };
    let followers = |g: &Vec<ProcessId>| g.iter().filter(|p| p.is_server() && p.index() >= 1).count();
    let mut sizes: Vec<usize> = groups.iter().map(followers).collect();
    sizes.sort();
    assert_eq!(sizes, vec![1, 3], "a minority of the followers: {groups:?}");
    assert!(groups.iter().any(|g| g.contains(&ProcessId::server(0))), "the leader joins a side");

    let bad = "protocol = \"probe\"\nduration = \"3s\"\n[nodes]\nleader = 1\nfollower = 4\n\
               [[fault]]\nat = \"1s\"\ncrash = 1\nrole = \"follower\"\n";
    let e = Scenario::parse("p.toml", bad).expect_err("refused");
    assert!(e.to_string().contains("`role` goes with a random partition shape"), "{e}");
}
