//! What a protocol implements to run under dsim.
//!
//! Protocols are sans-IO state machines (after stateright and raft-rs): a
//! server reacts to start, message and timer; a client also to the
//! invocation of an operation. Everything they do goes through their
//! [`Ctx`], which records it for the engine to carry out: send,
//! set or cancel a timer, write and sync the disk, draw randomness, read
//! their own clocks, emit observations, complete an operation. They never
//! see the network, the queue or other nodes, so the same code could run
//! against a real transport, and a handler can be tested alone
//! ([`crate::testing`]).
//!
//! What the program knows at compile time is typed: a protocol's roles,
//! properties and seeded bugs are enums (made by [`roles!`](crate::roles),
//! [`properties!`](crate::properties) and [`bugs!`](crate::bugs)), its
//! linearizability model is a type. Names typed by users are resolved to
//! them once, when a scenario is read.

mod ctx;
mod params;
mod state;
mod world;

pub use ctx::{Cluster, Ctx, DiskHandle, Effect, PendingTimer, Timers};
pub use params::{check_keys, ParamSpec};
pub use state::ProcessState;
pub use world::{Observed, ProcessView, World};

use crate::fault::FaultAction;
use crate::history::{HistoryEvent, Op};
use crate::metrics::Metric;
use crate::named::NamedSet;
use crate::process::ProcessId;
use crate::property::{PropertySet, Verdicts};
use crate::role::RoleSet;
use crate::scenario::{Diagnostic, Scenario, WorkloadPlan};
use crate::time::Time;
use crate::workload::Generator;
use serde::Serialize;
use std::fmt::Debug;
use std::hash::Hash;

/// What a checker is told about the run it checks.
#[derive(Clone, Debug)]
pub struct Setup {
    pub cluster: Cluster,
    pub clients: u32,
    /// When faults stop and everything heals.
    pub settle_start: Time,
    /// When the run ends and eventually-properties are checked.
    pub end: Time,
}

impl Setup {
    pub fn servers(&self) -> u32 {
        self.cluster.servers()
    }
}

/// A named mistake a protocol can be built with, to prove its checkers.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct BugSpec {
    pub name: &'static str,
    /// What the mistake is and which property catches it.
    pub description: &'static str,
}

impl crate::named::Spec for BugSpec {
    fn name(&self) -> &'static str {
        self.name
    }
}

/// A protocol's seeded bugs: an enum made by [`bugs!`](crate::bugs), or
/// [`Never`] for none.
pub trait BugSet: NamedSet<Spec = BugSpec> {}

/// No seeded bug: the bugs of a protocol that has none.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Never {}

impl NamedSet for Never {
    type Spec = BugSpec;
    const ALL: &'static [Self] = &[];
    const SPECS: &'static [BugSpec] = &[];
    fn index(self) -> usize {
        match self {}
    }
}
impl BugSet for Never {}

/// Declares a protocol's seeded bugs:
///
/// ```
/// sim::bugs! {
///     pub enum Bug {
///         StaleRead = ("stale-read", "reads skip the quorum (linearizable)"),
///     }
/// }
/// use sim::named::NamedSet;
/// assert_eq!(Bug::from_name("stale-read"), Some(Bug::StaleRead));
/// ```
#[macro_export]
macro_rules! bugs {
    ($(#[$meta:meta])* $vis:vis enum $name:ident {
        $($(#[$vmeta:meta])* $variant:ident = ($bug:literal, $description:literal)),+ $(,)?
    }) => {
        $crate::named_set! {
            $(#[$meta])* $vis enum $name: $crate::protocol::BugSpec {
                $($(#[$vmeta])* $variant = $crate::protocol::BugSpec { name: $bug, description: $description }),+
            }
        }
        impl $crate::protocol::BugSet for $name {}
    };
}

/// What `dsim list` shows of a protocol besides its typed sets.
#[derive(Debug)]
pub struct ProtocolInfo {
    pub name: &'static str,
    pub summary: &'static str,
    /// Workload kinds its clients understand (empty: no clients). Built-in
    /// kinds (`dsim list`) need no generator of the protocol's own.
    pub workloads: &'static [&'static str],
    /// The keys of its `[protocol]` table; no other is accepted.
    pub params: &'static [ParamSpec],
}

/// A protocol: its data types, and how to build its nodes and checker from a
/// scenario. `Self` holds the protocol's parameters (and the seeded bug).
pub trait Protocol: Sized + Send + Sync + 'static {
    type Message: Clone + Debug + Hash + Serialize;
    type Timer: Clone + Debug + Hash + PartialEq + Serialize;
    type DiskKey: Ord + Clone + Debug;
    type DiskValue: Clone + Debug;
    type Observation: Debug;
    /// A server's volatile state. Cloneable, so that a world can be forked.
    type Server: Server<Self> + Clone;
    /// A client's state ([`NoClient`] for a protocol without clients).
    type Client: Client<Self> + Clone;
    type Checker: Checker<Self>;
    /// Its kinds of node ([`Uniform`](crate::role::Uniform) when all are
    /// alike).
    type Role: RoleSet;
    type Property: PropertySet;
    /// Its seeded bugs ([`Never`] for none).
    type Bug: BugSet;
    /// The sequential model its client history is checked against
    /// ([`NoModel`](crate::lin::NoModel) for none).
    type Model: crate::lin::Model + Clone + Default + Send + Sync + 'static;

    fn info() -> &'static ProtocolInfo;

    /// The kinds of its observations: each variant of `Observation`, named
    /// in kebab-case (`SnapshotInstalled` is "snapshot-installed"), so that
    /// a trigger naming another kind is refused with a did-you-mean. Empty:
    /// triggers are not checked.
    const OBSERVATION_KINDS: &'static [&'static str] = &[];

    /// Reads the `[protocol]` table of a scenario (see
    /// [`Scenario::protocol_params`]). The bug, properties and workload are
    /// already resolved and checked.
    fn configure(scenario: &Scenario, bug: Option<Self::Bug>) -> Result<Self, Diagnostic>;

    /// The fewest nodes of `role` it runs on with these parameters (the
    /// scenario is refused below it, and the shrinker goes no lower).
    fn min_nodes(&self, _role: Self::Role) -> u32 {
        1
    }

    /// A server's volatile state, fresh: at the start and after a restart.
    fn server(&self, id: ProcessId, cluster: &Cluster) -> Self::Server;

    /// A client's state, fresh (`None`: the protocol has no clients).
    fn client(&self, _id: ProcessId, _cluster: &Cluster) -> Option<Self::Client> {
        None
    }

    /// The model to check the history against, if the protocol has one.
    fn model(&self) -> Option<Self::Model> {
        None
    }

    /// A generator of its own for a workload kind it declares (`None`: the
    /// built-in generator of that kind).
    fn generator(&self, _plan: &WorkloadPlan) -> Option<Box<dyn Generator>> {
        None
    }

    fn checker(&self, setup: &Setup) -> Self::Checker;

    /// Whether these parameters check `property` at all. A property that
    /// needs a parameter to mean anything (two-phase commit's `no-blocking`
    /// needs a bound on the time in doubt) reads "not checked" without it,
    /// instead of "held".
    fn checks(&self, _property: Self::Property) -> bool {
        true
    }

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
    fn on_invoke(&mut self, _invoke: &HistoryEvent, _v: &mut Verdicts<P::Property>) {}
    fn on_complete(
        &mut self,
        _invoke: &HistoryEvent,
        _completion: &HistoryEvent,
        _v: &mut Verdicts<P::Property>,
    ) {
    }
    fn after_step(
        &mut self,
        world: &World<'_, P>,
        observations: &[Observed<P::Observation>],
        v: &mut Verdicts<P::Property>,
    );
    fn on_fault(&mut self, _fault: &FaultAction, _world: &World<'_, P>, _v: &mut Verdicts<P::Property>) {}
    /// Eventually-properties, at the end of the settle phase.
    fn at_end(&mut self, _world: &World<'_, P>, _v: &mut Verdicts<P::Property>) {}
    fn metrics(&self, _world: &World<'_, P>) -> Vec<Metric> {
        Vec::new()
    }
}

/// The client of a protocol that has none.
#[derive(Clone)]
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

/// Everything `dsim list` and the tools around a run know of a protocol,
/// from its types: no run needed.
#[derive(Clone, Debug)]
pub struct Description {
    pub name: &'static str,
    pub summary: &'static str,
    pub workloads: &'static [&'static str],
    pub roles: &'static [crate::role::RoleSpec],
    pub properties: &'static [crate::property::PropertySpec],
    pub bugs: &'static [BugSpec],
    /// The linearizability model's name, if it has one.
    pub model: Option<&'static str>,
    pub params: &'static [ParamSpec],
}

impl Description {
    pub fn of<P: Protocol>() -> Description {
        let info = P::info();
        let model = P::Model::default();
        let model = crate::lin::Model::name(&model);
        Description {
            name: info.name,
            summary: info.summary,
            workloads: info.workloads,
            roles: <P::Role as NamedSet>::SPECS,
            properties: <P::Property as NamedSet>::SPECS,
            bugs: <P::Bug as NamedSet>::SPECS,
            model: (model != crate::lin::Model::name(&crate::lin::NoModel)).then_some(model),
            params: info.params,
        }
    }
}
