//! The single-threaded discrete-event loop.
//!
//! Pop the earliest event, hand it to the process it concerns, apply what
//! the process's handler recorded in its outbox, check the
//! always-properties, repeat. Everything that could vary between two runs
//! with the same seed is either drawn from a seeded stream or ordered by
//! (time, sequence). The loop does no I/O unless a trace was asked for, and
//! in steady state allocates only what the protocol's own messages allocate.

mod clients;
mod faults;
mod finish;
mod queue;
mod tracing;

use crate::hash::{hex, stable_hash, stable_hash_sized, TraceHash};
use crate::protocol::{Cluster, Ctx, Effect, Observed, ProcessState, World};

use crate::fault::TimedFault;
use crate::fault_stream::FaultStream;
use crate::history::History;
use crate::network::{Network, Route};
use crate::panic;
use crate::process::ProcessId;
use crate::property::Verdicts;
use crate::protocol::{Checker, Client, Protocol, Server};
use crate::result::RunResult;
use crate::rng::{Rng, Stream};
use crate::scenario::Scenario;
use crate::time::{Span, Time};
use crate::trace::{Kind as TraceKind, TraceSink};
use crate::workload::Generator;
use queue::Queue;

pub(crate) enum Event<P: Protocol> {
    Start {
        process: ProcessId,
    },
    Deliver {
        to: ProcessId,
        from: ProcessId,
        sent_at: Time,
        msg: P::Message,
    },
    Timer {
        owner: ProcessId,
        id: u64,
    },
    /// The fault waiting under this rank in `pending_faults`.
    Fault {
        rank: u64,
    },
    Invoke {
        client: u32,
    },
    Deadline {
        client: u32,
        invoke: u32,
    },
    End,
}

impl<P: Protocol> Event<P> {
    /// The process this event waits for if that process is paused.
    fn paused_target(&self) -> Option<ProcessId> {
        match self {
            Event::Deliver { to, .. } => Some(*to),
            Event::Timer { owner, .. } => Some(*owner),
            Event::Invoke { client } | Event::Deadline { client, .. } => Some(ProcessId::client(*client)),
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

/// What a run is: a protocol with its parameters, a validated scenario, the
/// cluster the scenario's roles make, and which properties it checks.
pub struct RunPlan<'a, P: Protocol> {
    pub protocol: &'a P,
    pub scenario: &'a Scenario,
    pub cluster: &'a Cluster,
    /// `enabled[i]` says whether `P::Property::ALL[i]` is checked.
    pub enabled: &'a [bool],
    /// The workload's generator, if the scenario has a workload.
    pub generator: &'a (dyn Fn() -> Option<Box<dyn Generator>> + Sync),
}

/// Configurations the online linearizability check may hold per key before
/// it gives up and leaves the verdict to the offline check at the end.
pub const ONLINE_FRONTIER_LIMIT: usize = 512;

/// The property a non-linearizable history violates.
pub const LINEARIZABLE: &str = "linearizable";

pub(crate) const LINEARIZABLE_SPEC: crate::property::PropertySpec = crate::property::PropertySpec {
    name: LINEARIZABLE,
    kind: crate::property::Kind::Always,
    description: "the clients' history is linearizable",
};

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
macro_rules! world_view {
    ($sim:expr) => {
        World {
            now: $sim.now,
            step: $sim.step,
            cluster: $sim.cluster,
            servers: &$sim.servers,
            clients: &$sim.clients,
            net: &$sim.net,
            history: &$sim.history,
        }
    };
}
pub(crate) use world_view;

/// A client's place in the workload: the operation in progress.
#[derive(Clone, Copy, Default)]
struct ClientOps {
    /// The history position of the operation in progress.
    pending: Option<u32>,
}

struct Workload {
    generator: Box<dyn Generator>,
    rng: Rng,
    /// Mean pause between one client's operations.
    think: Span,
    timeout: Span,
    /// No new operation starts at or after this time.
    end: Time,
}

pub(crate) struct Simulation<'p, 't, P: Protocol> {
    protocol: &'p P,
    cluster: &'p Cluster,
    now: Time,
    step: u64,
    queue: Queue<Event<P>>,
    net: Network,
    net_rng: Rng,
    next_timer: u64,
    servers: Vec<ProcessState<P, P::Server>>,
    clients: Vec<ProcessState<P, P::Client>>,
    /// Events that arrived for each server (then client) while it was
    /// paused, in arrival order, with their queue sequence numbers.
    deferred: Vec<Vec<(u64, Event<P>)>>,
    client_ops: Vec<ClientOps>,
    /// What the handler running now asked for.
    outbox: Vec<Effect<P>>,
    /// The faults that struck, in the order they struck.
    faults: Vec<TimedFault>,
    /// Faults in the queue, by their rank there: the schedule's next one
    /// (`true`), and those triggers drew (`false`).
    pending_faults: std::collections::BTreeMap<u64, (TimedFault, bool)>,
    /// Processes crashed for good: the settle leaves them down.
    down_for_good: Vec<ProcessId>,
    /// The rank the next fault queued gets: faults of one instant strike
    /// in the order they were queued, after the starts.
    next_fault_rank: u64,
    /// The faults still to come, drawn as the run reaches them.
    upcoming: FaultStream,
    /// `[[trigger]]` and `[nemesis.trigger]`, unless the run replays an
    /// explicit schedule (which holds the faults they drew).
    triggers: Option<Box<crate::trigger::Triggers>>,
    crash_rng: Rng,
    crash_mode: crate::disk::CrashMode,
    workload: Option<Workload>,
    history: History,
    lin: Option<finish::LinCheck<P::Model>>,
    checker: P::Checker,
    verdicts: Verdicts<P::Property>,
    obs: Vec<Observed<P::Observation>>,
    hash: TraceHash,
    checkpoints: Vec<String>,
    trace: Option<Box<tracing::Tracer<'t>>>,
    /// Whose handler runs, for the message of a panic.
    current: Option<ProcessId>,
    max_events: u64,
    max_events_per_instant: u64,
    /// Steps in a row run at `now` (virtual time stood still for them).
    same_instant: u64,
    max_queue: usize,
    max_history: usize,
    max_faults: usize,
    end_reached: bool,
}

/// Runs `plan` with `seed`.
pub fn simulate<P: Protocol>(plan: &RunPlan<'_, P>, seed: u64, options: RunOptions<'_>) -> RunResult {
    let (faults, triggers) = match options.faults {
        Some(explicit) => (FaultStream::explicit(explicit), None),
        None => (plan.scenario.fault_stream(seed), crate::trigger::Triggers::new(plan.scenario, seed)),
    };
    let mut sim = Simulation::new(plan, seed, faults, options.trace);
    sim.triggers = triggers;
    let stop = panic::catch(|| sim.run_loop());
    sim.finish(plan.scenario, seed, stop)
}

impl<'p, 't, P: Protocol> Simulation<'p, 't, P> {
    fn new(
        plan: &RunPlan<'p, P>,
        seed: u64,
        upcoming: FaultStream,
        trace: Option<&'t mut dyn TraceSink>,
    ) -> Self {
        let scenario = plan.scenario;
        let n = plan.cluster.servers();
        let c = scenario.clients();
        let net = Network::new(&scenario.network, n, c, &mut Rng::new(seed, Stream::Topology));
        let servers = (0..n).map(|i| ProcessState::new(Rng::new(seed, Stream::Server(i)))).collect();
        let clients = (0..c)
            .map(|i| {
                let mut p = ProcessState::new(Rng::new(seed, Stream::Client(i)));
                p.state = plan.protocol.client(ProcessId::client(i), plan.cluster);
                p
            })
            .collect();
        let workload = scenario.workload.as_ref().and_then(|w| {
            Some(Workload {
                generator: (plan.generator)()?,
                rng: Rng::new(seed, Stream::Workload),
                think: w.interval * w.clients as u64,
                timeout: w.timeout,
                end: if w.through_settle { scenario.end() - w.timeout } else { scenario.settle_start() },
            })
        });
        let lin = if scenario.linearizable { plan.protocol.model().map(finish::LinCheck::new) } else { None };
        let mut sim = Simulation {
            protocol: plan.protocol,
            cluster: plan.cluster,
            now: Time::ZERO,
            step: 0,
            queue: Queue::new(),
            net,
            net_rng: Rng::new(seed, Stream::Network),
            next_timer: 0,
            servers,
            clients,
            deferred: (0..n + c).map(|_| Vec::new()).collect(),
            client_ops: vec![ClientOps::default(); c as usize],
            outbox: Vec::new(),
            faults: Vec::new(),
            pending_faults: std::collections::BTreeMap::new(),
            down_for_good: Vec::new(),
            next_fault_rank: n as u64,
            upcoming,
            triggers: None,
            crash_rng: Rng::new(seed, Stream::Nemesis(99)),
            crash_mode: scenario.crash_mode,
            workload,
            history: History::default(),
            lin,
            checker: plan.protocol.checker(&crate::protocol::Setup {
                cluster: plan.cluster.clone(),
                clients: c,
                settle_start: scenario.settle_start(),
                end: scenario.end(),
            }),
            verdicts: Verdicts::new(plan.enabled),
            obs: Vec::new(),
            hash: TraceHash::default(),
            checkpoints: Vec::new(),
            trace: trace.map(|sink| {
                Box::new(tracing::Tracer::new(sink, <P::Property as crate::named::NamedSet>::ALL.len()))
            }),
            current: None,
            max_events: scenario.limits.max_events,
            max_events_per_instant: scenario.limits.max_events_per_instant,
            same_instant: 0,
            max_queue: scenario.limits.max_queue,
            max_history: scenario.limits.max_history,
            max_faults: scenario.limits.max_faults,
            end_reached: false,
        };
        // Starts, then faults, come before every other event of their
        // instant.
        for node in 0..n {
            sim.queue.push_early(Time::ZERO, node as u64, Event::Start { process: ProcessId::server(node) });
        }
        sim.schedule_next_fault();
        if let Some(w) = &mut sim.workload {
            for client in 0..c {
                let first = Time(w.rng.exponential(w.think.nanos()));
                sim.queue.push(first, Event::Invoke { client });
            }
        }
        sim.queue.push(scenario.end(), Event::End);
        sim
    }

    fn run_loop(&mut self) -> Flow {
        while let Some((time, event)) = self.queue.pop() {
            if let Some(p) = event.paused_target() {
                let proc_paused = if p.is_server() {
                    self.servers[p.index() as usize].is_paused()
                } else {
                    self.clients[p.index() as usize].is_paused()
                };
                if proc_paused {
                    let seq = self.queue.popped();
                    self.trace_held(p, &event, seq);
                    self.defer(p, seq, event);
                    continue;
                }
            }
            if time == self.now {
                self.same_instant += 1;
            } else {
                self.same_instant = 1;
            }
            self.now = time;
            let flow = self.dispatch(event);
            self.current = None;
            match flow {
                Flow::Skip => continue,
                Flow::Limit(why) => {
                    self.obs.clear();
                    return Flow::Limit(why);
                }
                Flow::Step | Flow::End => {}
            }
            self.step += 1;
            if self.step.is_multiple_of(CHECKPOINT_EVERY) {
                self.checkpoints.push(hex(self.hash.value()));
            }
            self.checker.after_step(&world_view!(self), &self.obs, &mut self.verdicts);
            self.obs.clear();
            if self.trace.is_some() {
                self.trace_verdicts();
            }
            let lin_failed = self.lin.as_ref().is_some_and(|l| l.failed());
            if self.verdicts.has_violation() || lin_failed || matches!(flow, Flow::End) {
                return flow;
            }
            if self.step >= self.max_events {
                return Flow::Limit(format!("the run reached its limit of {} events", self.max_events));
            }
            if self.same_instant > self.max_events_per_instant {
                return Flow::Limit(format!(
                    "virtual time stopped advancing at {} for {} events (limit max_events_per_instant = {})",
                    self.now, self.same_instant, self.max_events_per_instant
                ));
            }
            if self.queue.len() > self.max_queue {
                return Flow::Limit(format!(
                    "the event queue grew past its limit of {} events",
                    self.max_queue
                ));
            }
        }
        Flow::End
    }

    fn defer(&mut self, p: ProcessId, seq: u64, event: Event<P>) {
        let i = p.dense(self.servers.len() as u32);
        self.deferred[i].push((seq, event));
    }

    fn dispatch(&mut self, event: Event<P>) -> Flow {
        match event {
            Event::Start { process } => {
                self.hash.add([self.now.nanos(), tag::START, process.raw() as u64, 0]);
                self.trace(TraceKind::Start, |l| l.process = Some(process));
                self.start(process);
                Flow::Step
            }
            Event::Deliver { to, from, sent_at, msg } => {
                self.deliver(to, from, sent_at, msg);
                Flow::Step
            }
            Event::Timer { owner, id } => self.fire_timer(owner, id),
            Event::Fault { .. } if self.faults.len() >= self.max_faults => {
                Flow::Limit(format!("the run reached its limit of {} faults", self.max_faults))
            }
            Event::Fault { rank } => self.strike(rank),
            Event::Invoke { client } => self.invoke(client),
            Event::Deadline { client, invoke } => self.deadline(client, invoke),
            Event::End => {
                self.hash.add([self.now.nanos(), tag::END, 0, 0]);
                self.trace(TraceKind::End, |_| {});
                self.end_reached = true;
                self.checker.at_end(&world_view!(self), &mut self.verdicts);
                Flow::End
            }
        }
    }

    /// Builds a server's volatile state and runs its `on_start`.
    fn start(&mut self, id: ProcessId) {
        if id.is_server() {
            self.servers[id.index() as usize].state = Some(self.protocol.server(id, self.cluster));
            self.on_server(id, |s, ctx| s.on_start(ctx));
        } else {
            self.clients[id.index() as usize].state = self.protocol.client(id, self.cluster);
        }
    }

    fn is_up(&self, id: ProcessId) -> bool {
        if id.is_server() {
            self.servers[id.index() as usize].is_up()
        } else {
            self.clients[id.index() as usize].is_up()
        }
    }

    fn deliver(&mut self, to: ProcessId, from: ProcessId, sent_at: Time, msg: P::Message) {
        let (msg_hash, size) = stable_hash_sized(&msg);
        let words = [self.now.nanos(), tag::DELIVER, ((to.raw() as u64) << 32) | from.raw() as u64, msg_hash];
        if !self.is_up(to) {
            self.hash.add([words[0], tag::LOST, words[2], words[3]]);
            if self.trace.is_some() {
                self.trace_delivery(to, from, sent_at, &msg, false);
            }
            return;
        }
        self.hash.add(words);
        if to.is_server() && from.is_server() {
            self.net.stats.server_words_delivered += size;
        }
        if self.trace.is_some() {
            self.trace_delivery(to, from, sent_at, &msg, true);
        }
        if to.is_server() {
            self.on_server(to, |s, ctx| s.on_message(ctx, from, msg));
        } else {
            self.on_client(to, |c, ctx| c.on_message(ctx, from, msg));
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
        self.trace(TraceKind::Timer, |l| {
            l.process = Some(owner);
            l.timer = Some(id);
            l.detail = format!("{timer:?}");
            l.data = json(&timer);
        });
        if owner.is_server() {
            self.on_server(owner, |s, ctx| s.on_timer(ctx, timer));
        } else {
            self.on_client(owner, |c, ctx| c.on_timer(ctx, timer));
        }
        Flow::Step
    }

    /// Runs a server's handler, then carries out its outbox.
    fn on_server(&mut self, id: ProcessId, f: impl FnOnce(&mut P::Server, &mut Ctx<'_, P>)) {
        self.current = Some(id);
        let proc = &mut self.servers[id.index() as usize];
        let ProcessState { state, disk, timers, rng, clock, .. } = proc;
        let Some(state) = state.as_mut() else { return };
        let mut ctx = Ctx {
            me: id,
            now: self.now,
            clock,
            cluster: self.cluster,
            neighbours: self.net.neighbours(id),
            rng,
            timers,
            disk: Some(disk),
            out: &mut self.outbox,
        };
        f(state, &mut ctx);
        self.apply_outbox(id);
    }

    /// Runs a client's handler, then carries out its outbox (a completion
    /// last, after its sends and timers).
    fn on_client(&mut self, id: ProcessId, f: impl FnOnce(&mut P::Client, &mut Ctx<'_, P>)) {
        if let Some(outcome) = self.run_client(id, f) {
            let client = id.index();
            let Some(invoke) = self.client_ops[client as usize].pending.take() else {
                panic!("{id} completed an operation, but none was in progress");
            };
            self.finish_op(client, invoke, outcome);
        }
    }

    /// Runs a client's handler and carries out its outbox; returns the
    /// completion it reported, if any.
    fn run_client(
        &mut self,
        id: ProcessId,
        f: impl FnOnce(&mut P::Client, &mut Ctx<'_, P>),
    ) -> Option<crate::history::Completion> {
        self.current = Some(id);
        let proc = &mut self.clients[id.index() as usize];
        let ProcessState { state, timers, rng, clock, .. } = proc;
        let state = state.as_mut()?;
        let mut ctx = Ctx {
            me: id,
            now: self.now,
            clock,
            cluster: self.cluster,
            neighbours: self.net.neighbours(id),
            rng,
            timers,
            disk: None,
            out: &mut self.outbox,
        };
        f(state, &mut ctx);
        self.apply_outbox(id)
    }

    /// Carries out what a handler recorded, in order. Returns the
    /// completion a client reported, if any.
    fn apply_outbox(&mut self, me: ProcessId) -> Option<crate::history::Completion> {
        // One send and nothing else is what most handlers ask for.
        if self.outbox.len() == 1 && matches!(self.outbox[0], Effect::Send { .. }) {
            if let Some(Effect::Send { to, msg }) = self.outbox.pop() {
                if self.trace.is_some() {
                    self.send_traced(me, to, msg);
                } else {
                    self.send(me, to, msg);
                }
            }
            return None;
        }
        let mut out = std::mem::take(&mut self.outbox);
        let mut completion = None;
        for effect in out.drain(..) {
            match effect {
                Effect::Send { to, msg } if self.trace.is_some() => self.send_traced(me, to, msg),
                Effect::Send { to, msg } => self.send(me, to, msg),
                Effect::SetTimer { timer, after } => {
                    let id = self.next_timer;
                    self.next_timer += 1;
                    let (clock, timers) = if me.is_server() {
                        let p = &mut self.servers[me.index() as usize];
                        (p.clock, &mut p.timers)
                    } else {
                        let p = &mut self.clients[me.index() as usize];
                        (p.clock, &mut p.timers)
                    };
                    let replaces = self.trace.is_some() && timers.contains(&timer);
                    timers.set(timer, id, clock.monotonic(self.now) + after);
                    let due = self.now + clock.real_delay(after);
                    self.queue.push(due, Event::Timer { owner: me, id });
                    if self.trace.is_some() {
                        self.trace_timer_set(me, id, due, replaces);
                    }
                }
                Effect::CancelTimer { timer } => {
                    let timers = if me.is_server() {
                        &mut self.servers[me.index() as usize].timers
                    } else {
                        &mut self.clients[me.index() as usize].timers
                    };
                    let pending = self.trace.is_some() && timers.contains(&timer);
                    timers.cancel(&timer);
                    self.trace(TraceKind::TimerCancel, |l| {
                        l.process = Some(me);
                        l.detail = if pending {
                            format!("{timer:?}")
                        } else {
                            format!("{timer:?} (was not pending)")
                        };
                        l.data = json(&timer);
                    });
                }
                // Disk effects were applied as the handler ran.
                Effect::DiskWrite { key } => self.trace(TraceKind::DiskWrite, |l| {
                    l.process = Some(me);
                    l.detail = format!("{key:?}");
                }),
                Effect::DiskSync => self.trace(TraceKind::DiskSync, |l| l.process = Some(me)),
                Effect::Observe(obs) => {
                    if self.triggers.is_some() {
                        self.observed(me, &obs);
                    }
                    self.obs.push(Observed { from: me, obs });
                    if self.trace.is_some() {
                        self.trace_observation();
                    }
                }
                Effect::Complete(outcome) => completion = Some(outcome),
            }
        }
        self.outbox = out;
        completion
    }

    /// Hands a message to the network (`send_traced` when tracing).
    fn send(&mut self, from: ProcessId, to: ProcessId, msg: P::Message) {
        if let Route::Deliver { delay, duplicate } = self.net.route(&mut self.net_rng, from, to) {
            let sent_at = self.now;
            if let Some(extra) = duplicate {
                let copy = Event::Deliver { to, from, sent_at, msg: msg.clone() };
                self.queue.push(self.now + extra, copy);
            }
            self.queue.push(self.now + delay, Event::Deliver { to, from, sent_at, msg });
        }
    }
}

fn json<T: serde::Serialize>(value: &T) -> serde_json::Value {
    serde_json::to_value(value).unwrap_or(serde_json::Value::Null)
}
