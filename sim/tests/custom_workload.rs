//! A protocol that brings its own workload: the engine asks the protocol's
//! generator, not a built-in one, for each operation its clients invoke.

use serde::Serialize;
use sim::workload::Generator;
use sim::{
    Checker, Client, Cluster, Completion, Ctx, Diagnostic, Observed, Op, ProcessId, Protocol, ProtocolInfo,
    RunOptions, Scenario, Server, Value, Verdicts, WorkloadPlan, World,
};

/// One server that acknowledges whatever a client sends.
#[derive(Clone, Copy, Default)]
struct Echo;

#[derive(Clone, Debug, Hash, Serialize)]
enum Msg {
    Request(i64),
    Ack(i64),
}

#[derive(Clone)]
struct EchoServer;

impl Server<Echo> for EchoServer {
    fn on_start(&mut self, _ctx: &mut Ctx<'_, Echo>) {}
    fn on_message(&mut self, ctx: &mut Ctx<'_, Echo>, from: ProcessId, msg: Msg) {
        if let Msg::Request(v) = msg {
            ctx.send(from, Msg::Ack(v));
        }
    }
    fn on_timer(&mut self, _ctx: &mut Ctx<'_, Echo>, _timer: ()) {}
}

#[derive(Clone)]
struct EchoClient;

impl Client<Echo> for EchoClient {
    fn on_invoke(&mut self, ctx: &mut Ctx<'_, Echo>, op: &Op) {
        if let Value::Int(v) = op.value {
            ctx.send(ProcessId::server(0), Msg::Request(v));
        }
    }
    fn on_message(&mut self, ctx: &mut Ctx<'_, Echo>, _from: ProcessId, msg: Msg) {
        if let Msg::Ack(v) = msg {
            ctx.complete(Completion::Ok(Value::Int(v)));
        }
    }
    fn on_timer(&mut self, _ctx: &mut Ctx<'_, Echo>, _timer: ()) {}
}

/// Counts up by the scenario's `keys`: a workload dsim does not ship.
struct Ticks {
    next: i64,
    step: i64,
}

impl Generator for Ticks {
    fn next_op(&mut self, _client: u32, _rng: &mut sim::Rng) -> Op {
        self.next += self.step;
        Op::new("tick", Value::Int(self.next))
    }
}

sim::properties! {
    enum Prop {
        Acked = ("acked", Sometimes, "a tick was acknowledged"),
    }
}

struct AckSeen;

impl Checker<Echo> for AckSeen {
    fn after_step(&mut self, _w: &World<'_, Echo>, _o: &[Observed<()>], _v: &mut Verdicts<Prop>) {}
}

static INFO: ProtocolInfo =
    ProtocolInfo { name: "echo", summary: "acknowledges ticks", workloads: &["ticks"], params: &[] };

impl Protocol for Echo {
    type Message = Msg;
    type Timer = ();
    type DiskKey = ();
    type DiskValue = ();
    type Observation = ();
    type Server = EchoServer;
    type Client = EchoClient;
    type Checker = AckSeen;
    type Role = sim::Uniform;
    type Property = Prop;
    type Bug = sim::Never;
    type Model = sim::lin::NoModel;

    fn info() -> &'static ProtocolInfo {
        &INFO
    }
    fn configure(_scenario: &Scenario, _bug: Option<sim::Never>) -> Result<Self, Diagnostic> {
        Ok(Echo)
    }
    fn server(&self, _id: ProcessId, _cluster: &Cluster) -> EchoServer {
        EchoServer
    }
    fn client(&self, _id: ProcessId, _cluster: &Cluster) -> Option<EchoClient> {
        Some(EchoClient)
    }
    fn generator(&self, plan: &WorkloadPlan) -> Option<Box<dyn Generator>> {
        (plan.kind == "ticks")
            .then(|| Box::new(Ticks { next: 0, step: plan.keys as i64 }) as Box<dyn Generator>)
    }
    fn checker(&self, _setup: &sim::Setup) -> AckSeen {
        AckSeen
    }
}

fn scenario(kind: &str) -> Scenario {
    let source = format!(
        "protocol = \"echo\"\nnodes = 1\nduration = \"2s\"\n\
         [workload]\nkind = \"{kind}\"\nclients = 2\nrate = \"100/s\"\nkeys = 10\n"
    );
    Scenario::parse("echo.toml", &source).unwrap()
}

#[test]
fn the_protocol_s_own_generator_drives_its_clients() {
    let runner = sim::prepare::<Echo>(scenario("ticks")).unwrap();
    let r = runner.run(0, RunOptions::default());
    let ticks: Vec<i64> = r
        .history
        .events
        .iter()
        .filter(|e| e.kind == sim::history::EventKind::Invoke)
        .map(|e| match e.op.value {
            Value::Int(v) => v,
            _ => panic!("{:?}", e.op),
        })
        .collect();
    assert!(ticks.len() > 20, "{}", ticks.len());
    assert_eq!(ticks, (1..=ticks.len() as i64).map(|i| i * 10).collect::<Vec<_>>());
    assert!(r.operations.ok > 20);
}

#[test]
fn a_workload_the_protocol_does_not_declare_is_refused() {
    let e = sim::prepare::<Echo>(scenario("tocks")).err().expect("refused");
    assert!(e.to_string().contains("does not support the workload `tocks`"), "{e}");
}
