//! The single-threaded discrete-event loop.
//!
//! Pop the earliest event, hand it to the process it concerns, let the
//! process's context push new events, check the always-properties, repeat.
//! Everything that could vary between two runs with the same seed is either
//! drawn from a seeded stream or ordered by (time, sequence). The loop does
//! no I/O unless a trace was asked for, and in steady state allocates only
//! what the protocol's own messages allocate.

mod ctx;
mod hash;
mod queue;
mod world;

pub use ctx::Ctx;
pub use hash::{hex, stable_hash, StableHasher, TraceHash};
pub use world::{Observed, World};

use crate::clock::Clock;
use crate::disk::Disk;
use crate::fault::{FaultAction, TimedFault};
use crate::history::{Completion, History};
use crate::network::Network;
use crate::panic;
use crate::process::ProcessId;
use crate::property::{Kind, Status, Verdict, Verdicts, NO_PANIC};
use crate::protocol::{Checker, Client, Protocol, Server};
use crate::result::{Outcome, RunResult, Violation};
use crate::rng::{Rng, Stream};
use crate::scenario::Scenario;
use crate::time::Time;
use crate::trace::{TraceLine, TraceSink};
use crate::workload::{self, Generator};
use ctx::Timers;
use queue::Queue;

pub(crate) enum Event<P: Protocol> {
    Start { node: u32 },
    Deliver { to: ProcessId, from: ProcessId, sent_at: Time, msg: P::Message },
    Timer { owner: ProcessId, id: u64 },
    Fault { index: u32 },
    Invoke { client: u32 },
    Deadline { client: u32, invoke: u32 },
    End,
}

impl<P: Protocol> Event<P> {
    /// The server this event waits for if that server is paused.
    fn paused_target(&self) -> Option<u32> {
        match self {
            Event::Deliver { to, .. } if to.is_server() => Some(to.index()),
            Event::Timer { owner, .. } if owner.is_server() => Some(owner.index()),
            _ => None,
        }
    }
}

/// Tags mixed into the trace hash, one per kind of event.
mod tag {
    pub const START: u64 = 1;
    pub const DELIVER: u64 = 2;
    pub const LOST: u64 = 3;
    pub const TIMER: u64 = 4;
    pub const FAULT: u64 = 5;
    pub const INVOKE: u64 = 6;
    pub const COMPLETE: u64 = 7;
    pub const TIMEOUT: u64 = 8;
    pub const END: u64 = 9;
}

/// What the context reaches besides the process's own state.
pub(crate) struct Io<P: Protocol> {
    pub queue: Queue<Event<P>>,
    pub net: Network,
    pub net_rng: Rng,
    pub next_timer: u64,
}

pub(crate) struct ServerSlot<P: Protocol> {
    /// `None` while the server is down.
    pub state: Option<P::Server>,
    pub disk: Disk<P::DiskKey, P::DiskValue>,
    timers: Timers<P::Timer>,
    rng: Rng,
    clock: Clock,
    pub paused: bool,
    /// Events that arrived while paused, in arrival order.
    deferred: Vec<Event<P>>,
}

struct ClientSlot<P: Protocol> {
    state: P::Client,
    timers: Timers<P::Timer>,
    rng: Rng,
    /// The history position of the operation in progress.
    pending: Option<u32>,
    completion: Option<Completion>,
}

struct Workload {
    generator: Box<dyn Generator>,
    rng: Rng,
    /// Mean pause between one client's operations.
    think: Time,
    timeout: Time,
    /// No new operation starts at or after this time.
    end: Time,
}

/// Configurations the online linearizability check may hold per key before
/// it gives up and leaves the verdict to the offline check at the end.
pub const ONLINE_FRONTIER_LIMIT: usize = 512;

/// The budget of a run's offline linearizability check: a history too hard
/// to decide within it ends the run as a limit (exit code 3), in seconds
/// rather than minutes. `dsim check` on the history can search longer.
const RUN_CHECK_BUDGET: crate::lin::Budget<'static> =
    crate::lin::Budget { max_steps: 20_000_000, max_memo: 4_000_000, stop: None };

/// The property a non-linearizable history violates.
pub const LINEARIZABLE: &str = "linearizable";

/// The linearizability check that follows a run's history.
struct LinCheck {
    model: &'static str,
    online: Box<dyn crate::lin::OnlineCheck>,
    /// The completion at which the history stopped being linearizable.
    violation: Option<crate::lin::Counterexample>,
    /// An operation the model could not read.
    unreadable: Option<String>,
}

/// Steps between two running-hash checkpoints.
pub const CHECKPOINT_EVERY: u64 = 1024;

/// Options of one run besides the scenario and seed.
#[derive(Default)]
pub struct RunOptions<'a> {
    /// Where to write the trace, if anywhere.
    pub trace: Option<&'a mut dyn TraceSink>,
    /// Run this fault schedule instead of the one the seed draws (replay,
    /// shrinking).
    pub faults: Option<Vec<TimedFault>>,
}

enum Flow {
    Step,
    Skip,
    End,
    Limit(String),
}

/// A read-only view built from disjoint fields, so that the checker (another
/// field) can be borrowed mutably at the same time.
macro_rules! world {
    ($sim:expr) => {
        World {
            now: $sim.now,
            step: $sim.step,
            servers: &$sim.servers,
            net: &$sim.io.net,
            history: &$sim.history,
        }
    };
}

pub struct Simulation<'p, 't, P: Protocol> {
    protocol: &'p P,
    now: Time,
    step: u64,
    io: Io<P>,
    servers: Vec<ServerSlot<P>>,
    clients: Vec<ClientSlot<P>>,
    faults: Vec<TimedFault>,
    crash_rng: Rng,
    crash_mode: crate::disk::CrashMode,
    workload: Option<Workload>,
    history: History,
    lin: Option<LinCheck>,
    checker: P::Checker,
    verdicts: Verdicts,
    obs: Vec<Observed<P::Observation>>,
    hash: TraceHash,
    checkpoints: Vec<String>,
    trace: Option<&'t mut dyn TraceSink>,
    /// The trace line of the step in progress, when tracing.
    line: Option<TraceLine>,
    /// Whose handler runs, for the message of a panic.
    current: Option<ProcessId>,
    max_events: u64,
    max_queue: usize,
    max_history: usize,
    end_reached: bool,
}

/// Runs `scenario` with `protocol` and `seed`.
pub fn simulate<P: Protocol>(
    protocol: &P,
    scenario: &Scenario,
    seed: u64,
    options: RunOptions<'_>,
) -> RunResult {
    let faults = options.faults.unwrap_or_else(|| scenario.fault_schedule(seed));
    let mut sim = Simulation::new(protocol, scenario, seed, faults, options.trace);
    let stop = panic::catch(|| sim.run_loop());
    sim.finish(scenario, seed, stop)
}

impl<'p, 't, P: Protocol> Simulation<'p, 't, P> {
    fn new(
        protocol: &'p P,
        scenario: &Scenario,
        seed: u64,
        faults: Vec<TimedFault>,
        trace: Option<&'t mut dyn TraceSink>,
    ) -> Self {
        let n = scenario.nodes;
        let c = scenario.workload.as_ref().map_or(0, |w| w.clients);
        let net = Network::new(&scenario.network, n, c, &mut Rng::new(seed, Stream::Topology));
        let servers = (0..n)
            .map(|i| ServerSlot {
                state: None,
                disk: Disk::default(),
                timers: Timers::new(),
                rng: Rng::new(seed, Stream::Server(i)),
                clock: Clock::default(),
                paused: false,
                deferred: Vec::new(),
            })
            .collect();
        let clients = (0..c)
            .map(|i| ClientSlot {
                state: protocol.client(ProcessId::client(i), n),
                timers: Timers::new(),
                rng: Rng::new(seed, Stream::Client(i)),
                pending: None,
                completion: None,
            })
            .collect();
        let workload = scenario.workload.as_ref().map(|w| Workload {
            generator: workload::generator(&w.kind, w.keys),
            rng: Rng::new(seed, Stream::Workload),
            think: Time(w.interval.nanos().saturating_mul(w.clients as u64)),
            timeout: w.timeout,
            end: if w.through_settle { scenario.duration - w.timeout } else { scenario.settle_start() },
        });
        let specs = P::info().properties;
        let verdicts = Verdicts::new(specs, &scenario.enabled_properties(specs));
        let mut sim = Simulation {
            protocol,
            now: Time::ZERO,
            step: 0,
            io: Io { queue: Queue::new(), net, net_rng: Rng::new(seed, Stream::Network), next_timer: 0 },
            servers,
            clients,
            faults,
            crash_rng: Rng::new(seed, Stream::Nemesis(99)),
            crash_mode: scenario.crash_mode,
            workload,
            history: History::default(),
            lin: scenario.linearizable.then(|| {
                let model =
                    P::info().model.expect("validated: a linearizable scenario's protocol has a model");
                LinCheck {
                    model,
                    online: crate::lin::online_named(model, ONLINE_FRONTIER_LIMIT).expect("a built-in model"),
                    violation: None,
                    unreadable: None,
                }
            }),
            checker: protocol.checker(&crate::protocol::Setup {
                servers: n,
                clients: c,
                settle_start: scenario.settle_start(),
                duration: scenario.duration,
            }),
            verdicts,
            obs: Vec::new(),
            hash: TraceHash::default(),
            checkpoints: Vec::new(),
            trace,
            line: None,
            current: None,
            max_events: scenario.limits.max_events,
            max_queue: scenario.limits.max_queue,
            max_history: scenario.limits.max_history,
            end_reached: false,
        };
        for node in 0..n {
            sim.io.queue.push(Time::ZERO, Event::Start { node });
        }
        for (index, fault) in sim.faults.iter().enumerate() {
            sim.io.queue.push(fault.at, Event::Fault { index: index as u32 });
        }
        if let Some(w) = &mut sim.workload {
            for client in 0..c {
                let first = Time(w.rng.exponential(w.think.nanos()));
                sim.io.queue.push(first, Event::Invoke { client });
            }
        }
        sim.io.queue.push(scenario.duration, Event::End);
        sim
    }

    fn run_loop(&mut self) -> Flow {
        while let Some((time, event)) = self.io.queue.pop() {
            if let Some(node) = event.paused_target() {
                let slot = &mut self.servers[node as usize];
                if slot.paused {
                    slot.deferred.push(event);
                    continue;
                }
            }
            self.now = time;
            let flow = self.dispatch(event);
            self.current = None;
            match flow {
                Flow::Skip => continue,
                Flow::Limit(why) => {
                    self.emit_line();
                    return Flow::Limit(why);
                }
                Flow::Step | Flow::End => {}
            }
            self.step += 1;
            if self.step.is_multiple_of(CHECKPOINT_EVERY) {
                self.checkpoints.push(hex(self.hash.value()));
            }
            self.checker.after_step(&world!(self), &self.obs, &mut self.verdicts);
            self.emit_line();
            let lin_failed =
                self.lin.as_ref().is_some_and(|l| l.violation.is_some() || l.unreadable.is_some());
            if self.verdicts.has_violation() || lin_failed || matches!(flow, Flow::End) {
                return flow;
            }
            if self.step >= self.max_events {
                return Flow::Limit(format!("the run reached its limit of {} events", self.max_events));
            }
            if self.io.queue.len() > self.max_queue {
                return Flow::Limit(format!(
                    "the event queue grew past its limit of {} events",
                    self.max_queue
                ));
            }
        }
        Flow::End
    }

    /// Starts a trace line for this step (only when tracing).
    fn begin_line(
        &mut self,
        event: &str,
        process: Option<ProcessId>,
        from: Option<ProcessId>,
        sent: Option<Time>,
        detail: impl FnOnce() -> (String, serde_json::Value),
    ) {
        if self.trace.is_some() {
            let (detail, data) = detail();
            self.line = Some(TraceLine {
                step: self.step + 1,
                time_ns: self.now.nanos(),
                event: event.to_string(),
                process,
                from,
                sent_ns: sent.map(|t| t.nanos()),
                detail,
                data,
                notes: Vec::new(),
            });
        }
    }

    /// Writes the step's trace line with what was observed during it.
    fn emit_line(&mut self) {
        if let Some(mut line) = self.line.take() {
            line.notes.extend(self.obs.iter().map(|o| format!("{} observed {:?}", o.from, o.obs)));
            if let Some(trace) = self.trace.as_deref_mut() {
                trace.record(line);
            }
        }
        self.obs.clear();
    }

    fn dispatch(&mut self, event: Event<P>) -> Flow {
        match event {
            Event::Start { node } => {
                self.hash.add([self.now.nanos(), tag::START, node as u64, 0]);
                self.begin_line("start", Some(ProcessId::server(node)), None, None, Default::default);
                self.start_server(node);
                Flow::Step
            }
            Event::Deliver { to, from, sent_at, msg } => {
                self.deliver(to, from, sent_at, msg);
                Flow::Step
            }
            Event::Timer { owner, id } => self.fire_timer(owner, id),
            Event::Fault { index } => {
                self.apply_fault(index as usize);
                Flow::Step
            }
            Event::Invoke { client } => self.invoke(client),
            Event::Deadline { client, invoke } => self.deadline(client, invoke),
            Event::End => {
                self.hash.add([self.now.nanos(), tag::END, 0, 0]);
                self.begin_line("end", None, None, None, Default::default);
                self.end_reached = true;
                self.checker.at_end(&world!(self), &mut self.verdicts);
                Flow::End
            }
        }
    }

    /// Builds a server's volatile state and runs its `on_start`.
    fn start_server(&mut self, node: u32) {
        let id = ProcessId::server(node);
        let n = self.servers.len() as u32;
        let slot = &mut self.servers[node as usize];
        slot.state = Some(self.protocol.server(id, n));
        self.current = Some(id);
        with_server(slot, &mut self.io, &mut self.obs, id, self.now, |s, ctx| s.on_start(ctx));
    }

    fn deliver(&mut self, to: ProcessId, from: ProcessId, sent_at: Time, msg: P::Message) {
        let words = [
            self.now.nanos(),
            tag::DELIVER,
            ((to.raw() as u64) << 32) | from.raw() as u64,
            stable_hash(&msg),
        ];
        if to.is_server() && self.servers[to.index() as usize].state.is_none() {
            self.hash.add([words[0], tag::LOST, words[2], words[3]]);
            self.begin_line("lost", Some(to), Some(from), Some(sent_at), || {
                (format!("{msg:?} (the receiver is down)"), json(&msg))
            });
            return;
        }
        self.hash.add(words);
        self.begin_line("deliver", Some(to), Some(from), Some(sent_at), || (format!("{msg:?}"), json(&msg)));
        self.current = Some(to);
        if to.is_server() {
            let slot = &mut self.servers[to.index() as usize];
            with_server(slot, &mut self.io, &mut self.obs, to, self.now, |s, ctx| {
                s.on_message(ctx, from, msg)
            });
        } else {
            let slot = &mut self.clients[to.index() as usize];
            with_client(slot, &mut self.io, &mut self.obs, to, self.now, |c, ctx| {
                c.on_message(ctx, from, msg)
            });
            self.after_client(to.index());
        }
    }

    fn fire_timer(&mut self, owner: ProcessId, id: u64) -> Flow {
        let timers = if owner.is_server() {
            &mut self.servers[owner.index() as usize].timers
        } else {
            &mut self.clients[owner.index() as usize].timers
        };
        let Some(timer) = timers.fire(id) else {
            return Flow::Skip; // cancelled or replaced
        };
        self.hash.add([self.now.nanos(), tag::TIMER, owner.raw() as u64, stable_hash(&timer)]);
        self.begin_line("timer", Some(owner), None, None, || (format!("{timer:?}"), json(&timer)));
        self.current = Some(owner);
        if owner.is_server() {
            let slot = &mut self.servers[owner.index() as usize];
            with_server(slot, &mut self.io, &mut self.obs, owner, self.now, |s, ctx| s.on_timer(ctx, timer));
        } else {
            let slot = &mut self.clients[owner.index() as usize];
            with_client(slot, &mut self.io, &mut self.obs, owner, self.now, |c, ctx| c.on_timer(ctx, timer));
            self.after_client(owner.index());
        }
        Flow::Step
    }

    fn apply_fault(&mut self, index: usize) {
        let action = self.faults[index].action.clone();
        self.hash.add([self.now.nanos(), tag::FAULT, index as u64, stable_hash(&action)]);
        self.begin_line("fault", None, None, None, || (action.to_string(), json(&action)));
        match &action {
            FaultAction::Crash { node } => self.crash(*node),
            FaultAction::Restart { node } => self.restart(*node),
            FaultAction::Pause { node } => {
                let slot = &mut self.servers[*node as usize];
                slot.paused = slot.state.is_some();
            }
            FaultAction::Resume { node } => self.resume(*node),
            FaultAction::Partition { id, partition } => self.io.net.cut(*id, partition),
            FaultAction::Heal { id } => {
                self.io.net.heal(*id);
            }
            FaultAction::HealAll => self.io.net.heal_all(),
            FaultAction::Clock { node, skew_ns, drift_ppm } => {
                self.servers[*node as usize].clock = Clock { skew_ns: *skew_ns, drift_ppm: *drift_ppm };
            }
            FaultAction::Degrade { id, nodes, change } => self.io.net.degrade(*id, nodes.clone(), *change),
            FaultAction::Restore { id } => self.io.net.restore(*id),
            FaultAction::RestoreAll => self.io.net.restore_all(),
            FaultAction::Settle => {
                self.io.net.heal_all();
                self.io.net.restore_all();
                for node in 0..self.servers.len() as u32 {
                    self.resume(node);
                    self.restart(node);
                }
            }
        }
        self.checker.on_fault(&action, &world!(self), &mut self.verdicts);
    }

    fn crash(&mut self, node: u32) {
        let slot = &mut self.servers[node as usize];
        if slot.state.take().is_some() {
            slot.disk.crash(self.crash_mode, &mut self.crash_rng);
            slot.timers.clear();
            slot.deferred.clear();
            slot.paused = false;
        }
    }

    fn restart(&mut self, node: u32) {
        if self.servers[node as usize].state.is_none() {
            self.start_server(node);
        }
    }

    /// Resumes a paused server: what waited for it is delivered now, in the
    /// order it arrived.
    fn resume(&mut self, node: u32) {
        let slot = &mut self.servers[node as usize];
        if slot.paused {
            slot.paused = false;
            for event in std::mem::take(&mut slot.deferred) {
                self.io.queue.push(self.now, event);
            }
        }
    }

    fn invoke(&mut self, client: u32) -> Flow {
        let Some(w) = &mut self.workload else { return Flow::Skip };
        let slot = &mut self.clients[client as usize];
        if self.now >= w.end || slot.pending.is_some() {
            return Flow::Skip;
        }
        if self.history.len() >= self.max_history {
            return Flow::Limit(format!("the history reached its limit of {} events", self.max_history));
        }
        let op = w.generator.next_op(client, &mut w.rng);
        let deadline = self.now + w.timeout;
        let invoke = self.history.invoke(client, op.clone(), self.now);
        if let Some(l) = &mut self.lin {
            if let Err(e) = l.online.invoke(invoke as u64, op.key, &op.f, &op.value) {
                l.unreadable.get_or_insert(e);
            }
        }
        slot.pending = Some(invoke);
        self.io.queue.push(deadline, Event::Deadline { client, invoke });
        self.hash.add([self.now.nanos(), tag::INVOKE, client as u64, stable_hash(&op)]);
        let id = ProcessId::client(client);
        self.begin_line("invoke", Some(id), None, None, || (op.to_string(), json(&op)));
        self.checker.on_invoke(&self.history.events[invoke as usize], &mut self.verdicts);
        self.current = Some(id);
        let slot = &mut self.clients[client as usize];
        with_client(slot, &mut self.io, &mut self.obs, id, self.now, |c, ctx| c.on_invoke(ctx, &op));
        self.after_client(client);
        Flow::Step
    }

    /// Records a completion the client's handler reported, if any.
    fn after_client(&mut self, client: u32) {
        let slot = &mut self.clients[client as usize];
        let Some(outcome) = slot.completion.take() else { return };
        let Some(invoke) = slot.pending.take() else {
            panic!("c{client} completed an operation, but none was in progress");
        };
        self.finish_op(client, invoke, outcome);
    }

    fn finish_op(&mut self, client: u32, invoke: u32, outcome: Completion) {
        let done = self.history.complete(invoke, outcome, self.now);
        let event = &self.history.events[done as usize];
        self.hash.add([self.now.nanos(), tag::COMPLETE, client as u64, stable_hash(event)]);
        if let Some(line) = &mut self.line {
            line.notes.push(format!("c{client} completed: {:?} {}", event.kind, event.op));
        }
        let (inv, done_event) = (&self.history.events[invoke as usize], &self.history.events[done as usize]);
        if let Some(l) = &mut self.lin {
            if let crate::lin::Step::Violation(ce) =
                l.online.complete(invoke as u64, done_event.kind, &done_event.op.value)
            {
                l.violation.get_or_insert(ce);
            }
        }
        self.checker.on_complete(inv, done_event, &mut self.verdicts);
        if let Some(w) = &mut self.workload {
            let next = self.now + Time(w.rng.exponential(w.think.nanos()));
            self.io.queue.push(next, Event::Invoke { client });
        }
    }

    fn deadline(&mut self, client: u32, invoke: u32) -> Flow {
        let slot = &mut self.clients[client as usize];
        if slot.pending != Some(invoke) {
            return Flow::Skip;
        }
        slot.pending = None;
        self.hash.add([self.now.nanos(), tag::TIMEOUT, client as u64, invoke as u64]);
        let id = ProcessId::client(client);
        self.begin_line("timeout", Some(id), None, None, || {
            ("the operation timed out: outcome unknown".into(), serde_json::Value::Null)
        });
        self.finish_op(client, invoke, Completion::Info);
        self.current = Some(id);
        let slot = &mut self.clients[client as usize];
        with_client(slot, &mut self.io, &mut self.obs, id, self.now, |c, ctx| c.on_timeout(ctx));
        self.clients[client as usize].completion = None;
        Flow::Step
    }

    fn finish(self, scenario: &Scenario, seed: u64, stop: Result<Flow, panic::Caught>) -> RunResult {
        // A violation found in the run's last step, and the linearizability
        // verdict, are settled below.
        let mut limit = None;
        let mut violation = None;
        let mut panicked = false;
        match stop {
            Ok(Flow::Limit(why)) => limit = Some(why),
            Ok(_) => {}
            Err(caught) => {
                panicked = true;
                let who = match self.current {
                    Some(p) => format!("{p} panicked"),
                    None => "the checker panicked".to_string(),
                };
                violation = Some(Violation {
                    property: NO_PANIC.name.to_string(),
                    kind: Kind::Always,
                    message: format!("{who}: {caught}"),
                    step: self.step + 1,
                    time_ns: self.now.nanos(),
                    group: None,
                });
            }
        }
        if let Some((spec, message)) = self.verdicts.violation() {
            violation = Some(Violation {
                property: spec.name.to_string(),
                kind: spec.kind,
                message: message.to_string(),
                step: self.step,
                time_ns: self.now.nanos(),
                group: None,
            });
        }
        let (linearizability, lin_violation) = self.judge_linearizability();
        if violation.is_none() {
            violation = lin_violation;
        }
        if let Some(crate::result::Linearizability {
            verdict: crate::lin::Verdict::Unknown { reason }, ..
        }) = &linearizability
        {
            if violation.is_none() && limit.is_none() {
                limit = Some(format!("the linearizability check could not decide: {reason}"));
            }
        }
        let outcome = match (&violation, &limit) {
            (Some(_), _) => Outcome::Violation,
            (None, Some(_)) => Outcome::Limit,
            (None, None) => Outcome::Ok,
        };
        let mut properties = self.verdicts.finish(!panicked, self.end_reached && violation.is_none());
        if let Some(l) = &linearizability {
            let status = match l.verdict {
                crate::lin::Verdict::Linearizable => Status::Held,
                crate::lin::Verdict::NotLinearizable(_) => Status::Violated,
                crate::lin::Verdict::Unknown { .. } => Status::NotChecked,
            };
            properties.push(Verdict { name: LINEARIZABLE.to_string(), kind: Kind::Always, status });
        }
        properties.push(Verdict {
            name: NO_PANIC.name.to_string(),
            kind: Kind::Always,
            status: if panicked { Status::Violated } else { Status::Held },
        });
        let metrics = if panicked { Vec::new() } else { self.checker.metrics(&world!(self)) };
        RunResult {
            scenario: scenario.name.clone(),
            protocol: scenario.protocol.clone(),
            bug: scenario.bug.clone(),
            seed,
            outcome,
            events: self.step,
            virtual_time_ns: self.now.nanos(),
            trace_hash: hex(self.hash.value()),
            checkpoints: self.checkpoints,
            violation,
            limit,
            properties,
            metrics,
            network: self.io.net.stats,
            operations: self.history.tally(),
            linearizability,
            faults: self.faults,
            history: self.history,
        }
    }
}

impl<P: Protocol> Simulation<'_, '_, P> {
    /// The linearizability verdict on the history, and the violation it
    /// makes, if any. The online check decided already unless it
    /// overflowed; an online violation is explained by an offline search of
    /// the history up to that point (the longest linearizable order).
    fn judge_linearizability(&self) -> (Option<crate::result::Linearizability>, Option<Violation>) {
        use crate::lin::{check_named, Verdict as Lin};
        let Some(l) = &self.lin else { return (None, None) };
        let violation = |message: String, group: String| Violation {
            property: LINEARIZABLE.to_string(),
            kind: Kind::Always,
            message,
            step: self.step,
            time_ns: self.now.nanos(),
            group: Some(group),
        };
        let offline = || check_named(l.model, &self.history, &RUN_CHECK_BUDGET);
        let report = |mode: &str, verdict| crate::result::Linearizability {
            model: l.model.to_string(),
            mode: mode.to_string(),
            peak_frontier: l.online.peak(),
            verdict,
        };
        if let Some(e) = &l.unreadable {
            let v = violation(
                format!("the {} model cannot read an operation of this history: {e}", l.model),
                "an operation the model cannot read".to_string(),
            );
            return (Some(report("online", Lin::Unknown { reason: e.clone() })), Some(v));
        }
        let (mode, verdict) = match &l.violation {
            Some(online) => match offline() {
                Ok(Lin::NotLinearizable(explained)) => ("online", Lin::NotLinearizable(explained)),
                _ => ("online", Lin::NotLinearizable(online.clone())),
            },
            None if l.online.overflowed() => match offline() {
                Ok(v) => ("offline", v),
                Err(e) => ("offline", Lin::Unknown { reason: e.to_string() }),
            },
            None => ("online", Lin::Linearizable),
        };
        let v = match &verdict {
            Lin::NotLinearizable(ce) => Some(violation(
                format!(
                    "{} cannot be linearized{}: the longest linearizable order found places {} operation(s), after which the {} holds {}",
                    crate::lin::describe(&self.history, ce.blocked),
                    ce.key.map_or(String::new(), |k| format!(" (key {k})")),
                    ce.prefix.len(),
                    l.model,
                    ce.state
                ),
                format!(
                    "a {} cannot be linearized",
                    self.history.events.get(ce.blocked as usize).map_or("operation", |e| e.op.f.as_ref())
                ),
            )),
            _ => None,
        };
        (Some(report(mode, verdict)), v)
    }
}

fn json<T: serde::Serialize>(value: &T) -> serde_json::Value {
    serde_json::to_value(value).unwrap_or(serde_json::Value::Null)
}

fn with_server<P: Protocol>(
    slot: &mut ServerSlot<P>,
    io: &mut Io<P>,
    obs: &mut Vec<Observed<P::Observation>>,
    me: ProcessId,
    now: Time,
    f: impl FnOnce(&mut P::Server, &mut Ctx<'_, P>),
) {
    let ServerSlot { state, disk, timers, rng, clock, .. } = slot;
    let Some(state) = state.as_mut() else { return };
    let mut ctx = Ctx { me, now, clock: *clock, rng, timers, disk: Some(disk), obs, completion: None, io };
    f(state, &mut ctx);
}

fn with_client<P: Protocol>(
    slot: &mut ClientSlot<P>,
    io: &mut Io<P>,
    obs: &mut Vec<Observed<P::Observation>>,
    me: ProcessId,
    now: Time,
    f: impl FnOnce(&mut P::Client, &mut Ctx<'_, P>),
) {
    let ClientSlot { state, timers, rng, completion, .. } = slot;
    let mut ctx = Ctx {
        me,
        now,
        clock: Clock::default(),
        rng,
        timers,
        disk: None,
        obs,
        completion: Some(completion),
        io,
    };
    f(state, &mut ctx);
}
