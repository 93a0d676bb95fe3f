//! Triggered faults, tested with a protocol written here: every server
//! ticks every 100 ms and observes `Ticked`, and every fifth tick also
//! `BigTick`. A trigger must strike within its `within` after the
//! observation, on the node that observed, no more than `times` times, not
//! before `after`; the nemesis's must fire never at probability 0 and at
//! every observation at probability 1; a repro of a run with triggers must
//! replay to the same trace; and a trigger that never fires must not move
//! any other draw.

use sim::fault::{FaultAction, Source, TimedFault};
use sim::{
    Checker, Cluster, Ctx, Diagnostic, NoClient, Observed, ProcessId, Protocol, ProtocolInfo, Repro,
    RunOptions, RunResult, Scenario, Server, Span, Time, Verdicts, World,
};

#[derive(Clone, Default, serde::Deserialize)]
struct Ticker;

#[derive(Clone)]
struct Node {
    ticks: u64,
}

#[derive(Debug)]
enum Obs {
    Ticked,
    BigTick,
}

#[derive(Clone, Debug, Hash, PartialEq, serde::Serialize)]
enum Timer {
    Tick,
}

sim::properties! {
    enum Prop {
        BigTicks = ("big-ticks", Always, "records every BigTick"),
    }
}

static INFO: ProtocolInfo = ProtocolInfo { name: "ticker", summary: "ticks", workloads: &[], params: &[] };

impl Server<Ticker> for Node {
    fn on_start(&mut self, ctx: &mut Ctx<'_, Ticker>) {
        // Servers tick out of step, so their observations do not tie.
        let offset = Span::from_millis(100 + 7 * ctx.me().index() as u64);
        ctx.set_timer(Timer::Tick, offset);
    }
    fn on_message(&mut self, _ctx: &mut Ctx<'_, Ticker>, _from: ProcessId, _msg: u64) {}
    fn on_timer(&mut self, ctx: &mut Ctx<'_, Ticker>, _timer: Timer) {
        self.ticks += 1;
        ctx.observe(Obs::Ticked);
        if self.ticks.is_multiple_of(5) {
            ctx.observe(Obs::BigTick);
        }
        let next = ProcessId::server((ctx.me().index() + 1) % ctx.servers());
        ctx.send(next, self.ticks);
        ctx.set_timer(Timer::Tick, Span::from_millis(100));
    }
}

/// Records every BigTick (time, node) and reports them at the end through
/// a violation message, the one channel a checker has to the result.
#[derive(Default)]
struct Recorder(Vec<(Time, ProcessId)>);

impl Checker<Ticker> for Recorder {
    fn after_step(&mut self, world: &World<'_, Ticker>, obs: &[Observed<Obs>], _v: &mut Verdicts<Prop>) {
        for o in obs {
            if matches!(o.obs, Obs::BigTick) {
                self.0.push((world.now(), o.from));
            }
        }
    }
    fn at_end(&mut self, _world: &World<'_, Ticker>, v: &mut Verdicts<Prop>) {
        let text: Vec<String> = self.0.iter().map(|(t, p)| format!("{} {p}", t.nanos())).collect();
        v.violated(Prop::BigTicks, text.join("\n"));
    }
}

impl Protocol for Ticker {
    type Message = u64;
    type Timer = Timer;
    type DiskKey = String;
    type DiskValue = u64;
    type Observation = Obs;
    type Server = Node;
    type Client = NoClient;
    type Checker = Recorder;
    type Role = sim::Uniform;
    type Property = Prop;
    type Bug = sim::Never;
    type Model = sim::lin::NoModel;

    const OBSERVATION_KINDS: &'static [&'static str] = &["ticked", "big-tick"];

    fn info() -> &'static ProtocolInfo {
        &INFO
    }
    fn configure(_scenario: &Scenario, _bug: Option<sim::Never>) -> Result<Self, Diagnostic> {
        Ok(Ticker)
    }
    fn server(&self, _id: ProcessId, _cluster: &Cluster) -> Node {
        Node { ticks: 0 }
    }
    fn checker(&self, _setup: &sim::Setup) -> Recorder {
        Recorder::default()
    }
}

fn source(extra: &str) -> String {
    format!("protocol = \"ticker\"\nnodes = 3\nduration = \"6s\"\n[check]\nsettle = \"1s\"\n{extra}")
}

fn prepare(scenario: Scenario) -> Result<Box<dyn sim::Runner>, Diagnostic> {
    sim::prepare::<Ticker>(scenario)
}

fn run_seed(extra: &str, seed: u64) -> RunResult {
    let scenario = Scenario::parse("ticker.toml", &source(extra)).unwrap_or_else(|e| panic!("{e}"));
    prepare(scenario).unwrap_or_else(|e| panic!("{e}")).run(seed, RunOptions::default())
}

fn run(extra: &str) -> RunResult {
    run_seed(extra, 0)
}

/// The BigTicks the run observed: (time, node).
fn big_ticks(r: &RunResult) -> Vec<(Time, ProcessId)> {
    let v = r.violation.as_ref().expect("the recorder reports at the end");
    v.message
        .lines()
        .filter(|l| !l.is_empty())
        .map(|l| {
            let (t, p) = l.split_once(' ').unwrap();
            (Time(t.parse().unwrap()), ProcessId::parse(p).unwrap())
        })
        .collect()
}

/// The triggered faults that struck, with who observed what when.
fn triggered(r: &RunResult) -> Vec<(&TimedFault, ProcessId, Time)> {
    r.faults
        .iter()
        .filter_map(|f| match &f.source {
            Source::Trigger { by, seen, .. } => Some((f, *by, *seen)),
            _ => None,
        })
        .collect()
}

fn crashes(r: &RunResult) -> Vec<(&TimedFault, ProcessId, Time)> {
    triggered(r).into_iter().filter(|(f, _, _)| matches!(f.action, FaultAction::Crash { .. })).collect()
}

#[test]
fn a_trigger_strikes_within_its_window_on_the_node_that_observed() {
    let within = Span::from_millis(5);
    let r = run("[[trigger]]\nobserve = \"big-tick\"\nnode = \"n1\"\nwithin = \"5ms\"\ncrash = true\nfor = \"50ms\"\ntimes = 3\n");
    let seen = big_ticks(&r);
    let struck = crashes(&r);
    assert_eq!(struck.len(), 3, "times = 3: {:#?}", r.faults);
    for (f, by, at) in &struck {
        assert_eq!(f.action, FaultAction::Crash { node: ProcessId::server(1) }, "the observer crashes");
        assert_eq!(*by, ProcessId::server(1), "only n1's observations count");
        assert!(f.at > *at && f.at <= *at + within, "{} is not in ({at}, {at} + 5ms]", f.at);
        assert!(seen.contains(&(*at, *by)), "{by} did observe a BigTick at {at}");
    }
    // Each crash is undone 50ms later.
    let restarts: Vec<Time> = triggered(&r)
        .into_iter()
        .filter(|(f, _, _)| matches!(f.action, FaultAction::Restart { .. }))
        .map(|(f, _, _)| f.at)
        .collect();
    let expected: Vec<Time> = struck.iter().map(|(f, _, _)| f.at + Span::from_millis(50)).collect();
    assert_eq!(restarts, expected);
    // It fires at n1's first three BigTicks: the first at 507ms (n1 ticks
    // from 107ms).
    assert_eq!(struck[0].2, Time::from_millis(507));
}

#[test]
fn a_trigger_ignores_observations_before_after() {
    let r =
        run("[[trigger]]\nobserve = \"big-tick\"\nafter = \"2s\"\npause = true\nfor = \"10ms\"\ntimes = 2\n");
    let struck: Vec<_> =
        triggered(&r).into_iter().filter(|(f, _, _)| matches!(f.action, FaultAction::Pause { .. })).collect();
    assert_eq!(struck.len(), 2);
    assert!(struck.iter().all(|(_, _, seen)| *seen >= Time::from_secs(2)), "{struck:?}");
    // Observations before 2s there were, and they did not count.
    assert!(big_ticks(&r).iter().any(|(t, _)| *t < Time::from_secs(2)));
}

#[test]
fn a_trigger_fires_no_more_than_times_and_never_in_the_settle_phase() {
    let r = run("[[trigger]]\nobserve = \"ticked\"\nisolate = true\nfor = \"20ms\"\ntimes = 1000\n");
    let struck = triggered(&r);
    let cuts = struck.iter().filter(|(f, _, _)| matches!(f.action, FaultAction::Partition { .. })).count();
    assert!(cuts > 50, "every tick of every server isolates it: {cuts}");
    let settle = Time::from_secs(5);
    assert!(struck.iter().all(|(f, _, _)| f.at < settle), "nothing strikes in the settle phase");
    let once = run("[[trigger]]\nobserve = \"ticked\"\nisolate = true\n");
    assert_eq!(triggered(&once).len(), 1, "times defaults to 1, and without `for` the settle heals");
}

#[test]
fn the_nemesis_trigger_fires_never_at_probability_0_and_always_at_1() {
    let never = run("[nemesis]\ntrigger = { observe = [\"big-tick\"], probability = 0, down = \"10ms\" }\n");
    assert!(triggered(&never).is_empty());
    let always = run(
        "[nemesis]\ntrigger = { observe = [\"big-tick\"], probability = 1, down = \"10ms\", max_down = 3 }\n",
    );
    let seen: Vec<(Time, ProcessId)> = big_ticks(&always)
        .into_iter()
        .filter(|(t, _)| *t + Span::from_millis(1) < Time::from_secs(5))
        .collect();
    let struck: Vec<(Time, ProcessId)> = crashes(&always).iter().map(|(_, by, at)| (*at, *by)).collect();
    assert!(!seen.is_empty());
    assert_eq!(struck, seen, "every BigTick before the settle crashed its observer");
}

#[test]
fn the_nemesis_trigger_keeps_a_majority_up() {
    let r = run("[nemesis]\ntrigger = { observe = [\"ticked\"], probability = 1, down = \"1s\" }\n");
    let mut events: Vec<(Time, i32)> = triggered(&r)
        .iter()
        .map(|(f, _, _)| (f.at, if matches!(f.action, FaultAction::Crash { .. }) { 1 } else { -1 }))
        .collect();
    events.sort();
    let mut down = 0;
    for (at, d) in events {
        down += d;
        assert!(down <= 1, "{down} servers down at {at}: a minority of 3 is 1");
    }
    assert!(!triggered(&r).is_empty());
}

#[test]
fn a_repro_of_a_run_with_triggers_replays_exactly() {
    let text = source(
        "[[trigger]]\nobserve = \"big-tick\"\ncrash = true\nfor = \"30ms\"\ntimes = 4\n\
         [nemesis]\ntrigger = { observe = [\"ticked\"], probability = 0.05, down = \"5ms..200ms\" }\n\
         partition = { every = \"300ms..900ms\", for = \"100ms..300ms\" }\n",
    );
    for seed in 0..5 {
        let scenario = Scenario::parse("ticker.toml", &text).unwrap();
        let live = prepare(scenario).unwrap().run(seed, RunOptions::default());
        assert!(!triggered(&live).is_empty(), "seed {seed}: triggers fired");
        let repro = Repro::new("ticker.toml", &text, &live);
        let again = repro.rerun(&prepare, None).unwrap();
        assert_eq!(again.trace_hash, live.trace_hash, "seed {seed}");
        assert_eq!(again.checkpoints, live.checkpoints, "seed {seed}");
        assert_eq!(again.faults, live.faults, "seed {seed}: the same faults, in the same order");
        assert_eq!(big_ticks(&again), big_ticks(&live));
        // And the live run is a function of its seed.
        let twice =
            prepare(Scenario::parse("ticker.toml", &text).unwrap()).unwrap().run(seed, RunOptions::default());
        assert_eq!(twice.trace_hash, live.trace_hash);
    }
}

#[test]
fn a_trigger_that_never_fires_moves_no_other_draw() {
    let plain = "[nemesis]\ncrash = { every = \"300ms..1s\", down = \"100ms..400ms\" }\n";
    let idle = format!("{plain}trigger = {{ observe = [\"big-tick\"], probability = 0, down = \"10ms\" }}\n[[trigger]]\nobserve = \"ticked\"\nnode = \"n2\"\nafter = \"4.9s\"\ncrash = true\nwithin = \"1s\"\n");
    for seed in 0..3 {
        let a = run_seed(plain, seed);
        let b = run_seed(&idle, seed);
        assert!(triggered(&b).is_empty(), "its draws land in the settle phase");
        assert_eq!(a.trace_hash, b.trace_hash, "seed {seed}");
    }
}

#[test]
fn unknown_kinds_are_refused_with_a_did_you_mean() {
    let scenario =
        Scenario::parse("t.toml", &source("[[trigger]]\nobserve = \"big-ticks\"\ncrash = true\n")).unwrap();
    let e = prepare(scenario).err().expect("refused");
    let text = e.to_string();
    assert!(text.contains("ticker has no observation `big-ticks`"), "{text}");
    assert!(text.contains("did you mean `big-tick`?"), "{text}");
    assert!(text.contains("t.toml:7:11"), "{text}");
}

#[test]
fn triggers_survive_writing_the_scenario_out() {
    let s = Scenario::parse(
        "t.toml",
        &source("[[trigger]]\nobserve = \"big-tick\"\nnode = [1, \"n2\"]\nwithin = \"3ms\"\npause = true\nfor = \"1s\"\ntimes = 4\nafter = \"1.5s\"\n[nemesis]\ntrigger = { observe = [\"ticked\"], probability = 0.25, within = \"2ms\", down = \"1ms..2ms\", max_down = 2 }\n"),
    )
    .unwrap();
    let again = s.rewritten("").unwrap();
    assert_eq!(again.triggers, s.triggers);
    assert_eq!(again.nemesis, s.nemesis);
    assert_eq!(s.triggers[0].nodes, Some(vec![ProcessId::server(1), ProcessId::server(2)]));
}
