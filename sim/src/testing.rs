//! Unit tests of one handler: call it on one node, with a state of your
//! choosing, and look at what it asked for. No run, no network, no other
//! node.
//!
//! ```ignore
//! let mut node = NodeHarness::server(&protocol, ProcessId::server(0), Cluster::uniform(3));
//! node.start();
//! let effects = node.timer(Timer::Election);
//! assert!(effects.sent().all(|(_, m)| matches!(m, Msg::RequestVote { .. })));
//! ```
//!
//! The harness keeps the node's disk, timers, random stream and clocks
//! between calls, as the engine would; [`NodeHarness::crash`] drops what a
//! crash drops, so a restart can be tested too.

use crate::clock::Clock;
use crate::disk::{CrashMode, Disk};
use crate::history::Op;
use crate::process::ProcessId;
use crate::protocol::{Client, Protocol, Server};
use crate::protocol::{Cluster, Ctx, Effect, Timers};
use crate::rng::{Rng, Stream};
use crate::time::{Span, Time};

/// What one handler call asked for, in order.
pub struct Effects<P: Protocol>(pub Vec<Effect<P>>);

impl<P: Protocol> Effects<P> {
    /// The messages sent, with their receivers.
    pub fn sent(&self) -> impl Iterator<Item = (ProcessId, &P::Message)> {
        self.0.iter().filter_map(|e| match e {
            Effect::Send { to, msg } => Some((*to, msg)),
            _ => None,
        })
    }

    /// The timers set, with their delays.
    pub fn timers_set(&self) -> impl Iterator<Item = (&P::Timer, Span)> {
        self.0.iter().filter_map(|e| match e {
            Effect::SetTimer { timer, after } => Some((timer, *after)),
            _ => None,
        })
    }

    pub fn observations(&self) -> impl Iterator<Item = &P::Observation> {
        self.0.iter().filter_map(|e| match e {
            Effect::Observe(o) => Some(o),
            _ => None,
        })
    }

    /// Whether the handler synced its disk, and whether it did so before
    /// its first send (the rule for anything a reply depends on).
    pub fn synced_before_sending(&self) -> bool {
        let sync = self.0.iter().position(|e| matches!(e, Effect::DiskSync));
        let send = self.0.iter().position(|e| matches!(e, Effect::Send { .. }));
        match (sync, send) {
            (Some(s), Some(m)) => s < m,
            (Some(_), None) => true,
            (None, _) => false,
        }
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl<P: Protocol> std::fmt::Debug for Effects<P> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_list().entries(&self.0).finish()
    }
}

/// One node, driven by hand.
pub struct NodeHarness<'p, P: Protocol> {
    protocol: &'p P,
    id: ProcessId,
    cluster: Cluster,
    neighbours: Vec<ProcessId>,
    /// The server's state (`None` after a crash, until `start`).
    pub state: Option<P::Server>,
    pub disk: Disk<P::DiskKey, P::DiskValue>,
    pub timers: Timers<P::Timer>,
    pub clock: Clock,
    pub now: Time,
    rng: Rng,
    next_timer: u64,
}

impl<'p, P: Protocol> NodeHarness<'p, P> {
    /// Server `id` of `cluster`, fresh and not yet started; its neighbours
    /// are every other server.
    pub fn server(protocol: &'p P, id: ProcessId, cluster: Cluster) -> Self {
        let neighbours = (0..cluster.servers()).map(ProcessId::server).filter(|p| *p != id).collect();
        NodeHarness {
            protocol,
            id,
            state: Some(protocol.server(id, &cluster)),
            cluster,
            neighbours,
            disk: Disk::default(),
            timers: Timers::default(),
            clock: Clock::exact(),
            now: Time::ZERO,
            rng: Rng::new(0, Stream::Server(id.index())),
            next_timer: 0,
        }
    }

    /// The server's state, which must be up.
    pub fn node(&self) -> &P::Server {
        self.state.as_ref().expect("the node is down: call start() after crash()")
    }

    pub fn node_mut(&mut self) -> &mut P::Server {
        self.state.as_mut().expect("the node is down: call start() after crash()")
    }

    /// Lets `by` pass on the true clock.
    pub fn advance(&mut self, by: Span) {
        self.now = self.now + by;
    }

    /// Calls `on_start` (after a crash, on a fresh state rebuilt from what
    /// the disk kept).
    pub fn start(&mut self) -> Effects<P> {
        if self.state.is_none() {
            self.state = Some(self.protocol.server(self.id, &self.cluster));
        }
        self.call(|s, ctx| s.on_start(ctx))
    }

    pub fn message(&mut self, from: ProcessId, msg: P::Message) -> Effects<P> {
        self.call(|s, ctx| s.on_message(ctx, from, msg))
    }

    /// Fires `timer`, whether or not it is pending.
    pub fn timer(&mut self, timer: P::Timer) -> Effects<P> {
        self.timers.cancel(&timer);
        self.call(|s, ctx| s.on_timer(ctx, timer))
    }

    /// Throws away the volatile state, the timers and every unsynced
    /// write.
    pub fn crash(&mut self) {
        self.state = None;
        self.timers.clear();
        self.disk.crash(CrashMode::LoseUnsynced, &mut Rng::new(0, Stream::Nemesis(99)));
    }

    fn call(&mut self, f: impl FnOnce(&mut P::Server, &mut Ctx<'_, P>)) -> Effects<P> {
        let mut out = Vec::new();
        let state = self.state.as_mut().expect("the node is down: call start() after crash()");
        let mut ctx = Ctx {
            me: self.id,
            now: self.now,
            clock: &self.clock,
            cluster: &self.cluster,
            neighbours: crate::network::Neighbours::List(&self.neighbours),
            rng: &mut self.rng,
            timers: &self.timers,
            disk: Some(&mut self.disk),
            out: &mut out,
        };
        f(state, &mut ctx);
        track_timers(&mut self.timers, &mut self.next_timer, &self.clock, self.now, &out);
        Effects(out)
    }
}

/// Applies the timer effects to the harness's table, so that
/// `timer_pending` answers as it would in a run.
fn track_timers<P: Protocol>(
    timers: &mut Timers<P::Timer>,
    next: &mut u64,
    clock: &Clock,
    now: Time,
    out: &[Effect<P>],
) {
    for e in out {
        match e {
            Effect::SetTimer { timer, after } => {
                *next += 1;
                timers.set(timer.clone(), *next, clock.monotonic(now) + *after);
            }
            Effect::CancelTimer { timer } => timers.cancel(timer),
            _ => {}
        }
    }
}

/// One client, driven by hand.
pub struct ClientHarness<'p, P: Protocol> {
    id: ProcessId,
    cluster: Cluster,
    neighbours: Vec<ProcessId>,
    pub state: P::Client,
    pub timers: Timers<P::Timer>,
    pub clock: Clock,
    pub now: Time,
    rng: Rng,
    next_timer: u64,
    _protocol: std::marker::PhantomData<&'p P>,
}

impl<'p, P: Protocol> ClientHarness<'p, P> {
    /// Client `index`, or `None` if the protocol has no clients.
    pub fn new(protocol: &'p P, index: u32, cluster: Cluster) -> Option<Self> {
        let id = ProcessId::client(index);
        let state = protocol.client(id, &cluster)?;
        Some(ClientHarness {
            id,
            neighbours: (0..cluster.servers()).map(ProcessId::server).collect(),
            cluster,
            state,
            timers: Timers::default(),
            clock: Clock::exact(),
            now: Time::ZERO,
            rng: Rng::new(0, Stream::Client(index)),
            next_timer: 0,
            _protocol: std::marker::PhantomData,
        })
    }

    pub fn advance(&mut self, by: Span) {
        self.now = self.now + by;
    }

    pub fn invoke(&mut self, op: &Op) -> Effects<P> {
        self.call(|c, ctx| c.on_invoke(ctx, op))
    }

    pub fn message(&mut self, from: ProcessId, msg: P::Message) -> Effects<P> {
        self.call(|c, ctx| c.on_message(ctx, from, msg))
    }

    pub fn timer(&mut self, timer: P::Timer) -> Effects<P> {
        self.timers.cancel(&timer);
        self.call(|c, ctx| c.on_timer(ctx, timer))
    }

    fn call(&mut self, f: impl FnOnce(&mut P::Client, &mut Ctx<'_, P>)) -> Effects<P> {
        let mut out = Vec::new();
        let mut ctx = Ctx {
            me: self.id,
            now: self.now,
            clock: &self.clock,
            cluster: &self.cluster,
            neighbours: crate::network::Neighbours::List(&self.neighbours),
            rng: &mut self.rng,
            timers: &self.timers,
            disk: None,
            out: &mut out,
        };
        f(&mut self.state, &mut ctx);
        track_timers(&mut self.timers, &mut self.next_timer, &self.clock, self.now, &out);
        Effects(out)
    }
}
