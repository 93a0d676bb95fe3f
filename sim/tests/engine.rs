//! The engine's contract, tested with a protocol written here, as a user
//! would write their own: crashes lose what was not synced, restarts rebuild
//! from disk, pauses delay timers and messages, clocks drift, partitions cut,
//! a panicking handler is a finding, and limits end runs.

use serde::{Deserialize, Serialize};
use sim::{
    BugSpec, Checker, Ctx, Diagnostic, Kind, NoClient, Observed, Outcome, ProcessId, PropertySpec, Protocol,
    ProtocolInfo, RunOptions, RunResult, Scenario, Server, Time, Verdicts, World,
};

/// Each server ticks every 100ms of its own clock and pings the next server.
#[derive(Clone, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
struct Probe {
    /// Panic on this tick of n1.
    panic_at_tick: Option<u64>,
}

struct Node {
    me: u32,
    ticks: u64,
    probe: Probe,
}

#[derive(Debug, Clone, PartialEq)]
enum Obs {
    Booted { boots: u64, unsynced_survived: bool },
    Ticked,
    Pinged { from: u32 },
}

#[derive(Clone, Debug, Hash, PartialEq, Serialize)]
enum Timer {
    Tick,
}

const PROPS: &[PropertySpec] =
    &[PropertySpec { name: "ticks", kind: Kind::Always, description: "records everything" }];
const BUGS: &[BugSpec] = &[];
static INFO: ProtocolInfo = ProtocolInfo {
    name: "probe",
    summary: "engine probe",
    properties: PROPS,
    bugs: BUGS,
    workloads: &[],
    model: None,
    min_nodes: 1,
};

impl Server<Probe> for Node {
    fn on_start(&mut self, ctx: &mut Ctx<'_, Probe>) {
        let boots = ctx.disk().get(&"boots".to_string()).copied().unwrap_or(0) + 1;
        let unsynced_survived = ctx.disk().get(&"unsynced".to_string()).is_some();
        ctx.disk().put("boots".to_string(), boots);
        ctx.disk().sync();
        ctx.disk().put("unsynced".to_string(), 1); // never synced
        ctx.observe(Obs::Booted { boots, unsynced_survived });
        ctx.set_timer(Timer::Tick, Time::from_millis(100));
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
        let next = (self.me + 1) % ctx.servers();
        ctx.send(ProcessId::server(next), self.ticks);
        ctx.set_timer(Timer::Tick, Time::from_millis(100));
    }
}

/// Records every observation with its true time.
#[derive(Default)]
struct Recorder {
    seen: Vec<(Time, u32, Obs)>,
}

impl Checker<Probe> for Recorder {
    fn after_step(&mut self, world: &World<'_, Probe>, observations: &[Observed<Obs>], _v: &mut Verdicts) {
        for o in observations {
            self.seen.push((world.now(), o.from.index(), o.obs.clone()));
        }
    }
    fn at_end(&mut self, _world: &World<'_, Probe>, v: &mut Verdicts) {
        // Smuggle the record out through a violation message, the only
        // channel a checker has to the result.
        let text: Vec<String> =
            self.seen.iter().map(|(t, n, o)| format!("{}|{n}|{o:?}", t.nanos())).collect();
        v.violated("ticks", text.join("\n"));
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

    fn info() -> &'static ProtocolInfo {
        &INFO
    }
    fn configure(scenario: &Scenario) -> Result<Self, Diagnostic> {
        scenario.protocol_params()
    }
    fn server(&self, id: ProcessId, _servers: u32) -> Node {
        Node { me: id.index(), ticks: 0, probe: self.clone() }
    }
    fn client(&self, _id: ProcessId, _servers: u32) -> NoClient {
        unreachable!()
    }
    fn checker(&self, _setup: &sim::Setup) -> Recorder {
        Recorder::default()
    }
}

fn run(extra: &str) -> RunResult {
    run_source(&format!(
        "protocol = \"probe\"\nnodes = 3\nduration = \"3s\"\n[check]\nsettle = \"0s\"\n{extra}"
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
fn keep_prefix_crashes_may_keep_unsynced_writes() {
    let survived = (0..20u64).any(|seed| {
        let source = "protocol = \"probe\"\nnodes = 3\nduration = \"3s\"\n[disk]\non_crash = \"keep-prefix\"\n[check]\nsettle = \"0s\"\n[[fault]]\nat = \"1s\"\ncrash = 0\nfor = \"100ms\"\n";
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
    let r = run_source("nodes = 3\nduration = \"3s\"\n[protocol]\nname = \"probe\"\npanic_at_tick = 7\n");
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
    let source = "nodes = 3\nduration = \"3s\"\n[protocol]\nname = \"probe\"\npanic_at_tick = 7\n";
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
