//! What a protocol implements to run under dsim.
//!
//! Protocols are sans-IO state machines (after stateright and raft-rs): a
//! server reacts to start, message and timer; a client also to the
//! invocation of an operation. Everything they do goes through their
//! [`Ctx`](crate::Ctx): send, set or cancel a timer, write and sync the disk,
//! draw randomness, read their own clock, emit observations, complete an
//! operation. They never see the network, the queue or other nodes, so the
//! same code could run against a real transport.
//!
//! Messages and timers are plain data (`Clone + Debug + Hash + Serialize`):
//! they are hashed into the trace hash and written to traces.

use crate::engine::{Ctx, Observed, World};
use crate::history::{HistoryEvent, Op};
use crate::metrics::Metric;
use crate::process::ProcessId;
use crate::property::{PropertySpec, Verdicts};
use crate::scenario::{Diagnostic, Scenario};
use serde::Serialize;
use std::fmt::Debug;
use std::hash::Hash;

/// What a checker is told about the run it checks.
#[derive(Clone, Copy, Debug)]
pub struct Setup {
    pub servers: u32,
    pub clients: u32,
    /// When faults stop and everything heals.
    pub settle_start: crate::Time,
    pub duration: crate::Time,
}

/// A named mistake a protocol can be built with, to prove its checkers.
#[derive(Clone, Copy, Debug)]
pub struct BugSpec {
    pub name: &'static str,
    /// What the mistake is and which property catches it.
    pub description: &'static str,
}

/// What `dsim list` shows of a protocol, and what a scenario is checked
/// against.
#[derive(Debug)]
pub struct ProtocolInfo {
    pub name: &'static str,
    pub summary: &'static str,
    pub properties: &'static [PropertySpec],
    pub bugs: &'static [BugSpec],
    /// Workload kinds its clients understand (empty: no clients).
    pub workloads: &'static [&'static str],
    /// Linearizability model for its history, if it has one.
    pub model: Option<&'static str>,
    /// The fewest servers it runs on (the shrinker goes no lower).
    pub min_nodes: u32,
}

/// A protocol: its data types, and how to build its nodes and checker from a
/// scenario. `Self` holds the protocol's parameters (and the seeded bug).
pub trait Protocol: Sized + Send + Sync + 'static {
    type Message: Clone + Debug + Hash + Serialize;
    type Timer: Clone + Debug + Hash + PartialEq + Serialize;
    type DiskKey: Ord + Clone + Debug;
    type DiskValue: Clone + Debug;
    type Observation: Debug;
    type Server: Server<Self>;
    type Client: Client<Self>;
    type Checker: Checker<Self>;

    fn info() -> &'static ProtocolInfo;

    /// Reads the `[protocol]` table and the `bug` of a scenario. The generic
    /// parts (bug name, properties, workload kind) are already checked.
    fn configure(scenario: &Scenario) -> Result<Self, Diagnostic>;

    /// A server's volatile state, fresh: at the start and after a restart.
    fn server(&self, id: ProcessId, servers: u32) -> Self::Server;

    fn client(&self, id: ProcessId, servers: u32) -> Self::Client;

    fn checker(&self, setup: &Setup) -> Self::Checker;

    /// The resolved parameters, for the configuration a run prints first.
    fn parameters(&self) -> Vec<(&'static str, String)> {
        Vec::new()
    }
}

/// A server's state machine. Its durable state is on the disk that
/// `ctx.disk()` gives; everything in `self` is lost in a crash.
pub trait Server<P: Protocol> {
    /// Called at the start of the run and after every restart; the disk holds
    /// what was synced before the crash.
    fn on_start(&mut self, ctx: &mut Ctx<'_, P>);
    fn on_message(&mut self, ctx: &mut Ctx<'_, P>, from: ProcessId, msg: P::Message);
    fn on_timer(&mut self, ctx: &mut Ctx<'_, P>, timer: P::Timer);
}

/// A client's state machine. The engine hands it one operation at a time;
/// it ends each with `ctx.complete(...)`. If it has not after the workload's
/// timeout, the engine records the outcome as unknown (`info`) and calls
/// `on_timeout`.
pub trait Client<P: Protocol> {
    fn on_invoke(&mut self, ctx: &mut Ctx<'_, P>, op: &Op);
    fn on_message(&mut self, ctx: &mut Ctx<'_, P>, from: ProcessId, msg: P::Message);
    fn on_timer(&mut self, ctx: &mut Ctx<'_, P>, timer: P::Timer);
    /// The current operation timed out; forget it.
    fn on_timeout(&mut self, _ctx: &mut Ctx<'_, P>) {}
}

/// The properties of a protocol, checked as the run goes.
///
/// `after_step` runs after every step and must cost the same whatever the
/// length of the run: keep incremental state, do not rescan history.
pub trait Checker<P: Protocol> {
    fn on_invoke(&mut self, _invoke: &HistoryEvent, _v: &mut Verdicts) {}
    fn on_complete(&mut self, _invoke: &HistoryEvent, _completion: &HistoryEvent, _v: &mut Verdicts) {}
    fn after_step(
        &mut self,
        world: &World<'_, P>,
        observations: &[Observed<P::Observation>],
        v: &mut Verdicts,
    );
    fn on_fault(&mut self, _fault: &crate::fault::FaultAction, _world: &World<'_, P>, _v: &mut Verdicts) {}
    /// Eventually-properties, at the end of the settle phase.
    fn at_end(&mut self, _world: &World<'_, P>, _v: &mut Verdicts) {}
    fn metrics(&self, _world: &World<'_, P>) -> Vec<Metric> {
        Vec::new()
    }
}

/// The client of a protocol that has none.
pub enum NoClient {}

impl<P: Protocol> Client<P> for NoClient {
    fn on_invoke(&mut self, _: &mut Ctx<'_, P>, _: &Op) {
        match *self {}
    }
    fn on_message(&mut self, _: &mut Ctx<'_, P>, _: ProcessId, _: P::Message) {
        match *self {}
    }
    fn on_timer(&mut self, _: &mut Ctx<'_, P>, _: P::Timer) {
        match *self {}
    }
}
