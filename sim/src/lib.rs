//! dsim's engine: a deterministic, single-threaded discrete-event simulator
//! for distributed protocols.
//!
//! One `u64` seed fixes everything: the order of events, every delay, every
//! dropped packet, every crash. The engine knows no protocol; a protocol
//! implements [`Protocol`] (sans-IO state machines for servers and clients,
//! and a [`Checker`] for its properties) and gets the runner, the network
//! and fault model, the checks and the traces.

pub mod clock;
pub mod cost;
pub mod determinism;
pub mod disk;
pub mod engine;
pub mod explore;
pub mod fault;
pub mod fault_stream;
pub mod files;
pub mod hash;
pub mod history;
pub mod lin;
pub mod metrics;
pub mod named;
pub mod nemesis;
pub mod network;
pub mod panic;
pub mod process;
pub mod property;
pub mod protocol;
pub mod registry;
pub mod repro;
pub mod result;
pub mod rng;
pub mod role;
pub mod runner;
pub mod scenario;
pub mod shrink;
pub mod testing;
pub mod time;
pub mod trace;
pub mod trigger;
pub mod workload;
pub mod yardstick;

pub use clock::{Clock, ClockReading};
pub use engine::{simulate, RunOptions};
pub use fault::{FaultAction, TimedFault};
pub use history::{Completion, History, HistoryEvent, Op, Value};
pub use metrics::Metric;
pub use named::NamedSet;
pub use process::ProcessId;
pub use property::{Kind, PropertySet, PropertySpec, PropertyVerdict, Status, Verdicts};
pub use protocol::{
    BugSet, BugSpec, Checker, Client, Cluster, Ctx, Description, Effect, Never, NoClient, Observed,
    ParamSpec, Protocol, ProtocolInfo, Server, Setup, World,
};
pub use registry::Registry;
pub use repro::Repro;
pub use result::{Outcome, RunResult, Violation};
pub use rng::Rng;
pub use role::{RoleSet, RoleSpec, Uniform};
pub use runner::{prepare, Runner};
pub use scenario::{Diagnostic, Scenario, Scripted, ScriptedFault, Target, WorkloadPlan};
pub use time::{Duration, DurationRange, Span, Time};
