//! Scenario files: what to run, on what network, with which faults, checking
//! what. Parsed from TOML into a validated [`Scenario`]; every mistake comes
//! back as a [`Diagnostic`] that points into the file.
//!
//! The protocol is named either by `protocol = "gossip"` or by a table that
//! also holds its parameters:
//!
//! ```toml
//! [protocol]
//! name = "gossip"
//! fanout = 3
//! ```
//!
//! (A file cannot have both a `protocol` key and a `[protocol]` table: TOML
//! forbids defining a key twice.) The protocol reads its own table through
//! [`Scenario::protocol_params`].

mod diag;
mod edit;
mod parse;
mod placement;
mod raw;
mod schedule;
mod scripted;
mod trigger;
mod write;

pub use diag::{Diagnostic, Location};
pub use trigger::{Trigger, TriggerAction, DEFAULT_WITHIN};

use crate::disk::CrashMode;
use crate::nemesis::{NemesisPlan, PartitionKind};
use crate::network::{LinkOverride, NetworkPlan, Partition};
use crate::process::ProcessId;
use crate::rng::Rng;
use crate::time::{Span, Time};
use serde::de::DeserializeOwned;
use std::ops::Range;
use toml::de::{DeTable, DeValue};

/// How clients load the system.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct WorkloadPlan {
    pub kind: String,
    pub clients: u32,
    /// Mean time between two operations, all clients together.
    pub interval: Span,
    /// An operation not completed after this long is recorded as `info`.
    pub timeout: Span,
    /// How long a client waits for a reply before trying again.
    pub retry: Span,
    /// Keys for keyed workloads.
    pub keys: u32,
    /// Whether clients keep invoking operations during the settle phase
    /// (until one timeout before the end), so that liveness can be judged
    /// on operations invoked after the heal.
    pub through_settle: bool,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Limits {
    pub max_events: u64,
    /// How many events in a row may run at one virtual instant before the
    /// run ends as a limit: zero-latency message loops never move the clock.
    pub max_events_per_instant: u64,
    pub max_queue: usize,
    pub max_history: usize,
    /// Faults that may strike in one run: the run keeps every fault that
    /// struck (its repro lists them), so a nemesis striking every
    /// millisecond for hours ends as a limit instead of filling memory.
    pub max_faults: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_events: 20_000_000,
            max_events_per_instant: 1_000_000,
            max_queue: 1_000_000,
            max_history: 1_000_000,
            max_faults: 1_000_000,
        }
    }
}

/// A `[[fault]]` entry, validated.
#[derive(Clone, Debug, PartialEq)]
pub struct ScriptedFault {
    pub at: Time,
    /// With `for`: when the fault is undone (restart, resume, heal, restore).
    pub duration: Option<Span>,
    pub what: Scripted,
}

/// The process a scripted fault strikes.
#[derive(Clone, Debug, PartialEq)]
pub enum Target {
    Process(ProcessId),
    /// One of a role's processes, drawn from the seed when the schedule is
    /// made.
    AnyOf {
        role: String,
        members: Vec<ProcessId>,
    },
}

impl Target {
    fn pick(&self, rng: &mut Rng) -> ProcessId {
        match self {
            Target::Process(p) => *p,
            Target::AnyOf { members, .. } => members[rng.index(members.len())],
        }
    }
}

#[derive(Clone, Debug, PartialEq)]
pub enum Scripted {
    Crash(Target),
    /// A crash the settle phase does not undo (`until = "end"`).
    CrashForGood(Target),
    Restart(Target),
    Pause(Target),
    Resume(Target),
    Partition(Partition),
    /// Cuts one process (drawn from the seed for a role) off from everyone.
    Isolate(Target),
    /// A shape drawn from the seed when the schedule is made, over every
    /// server or over one role's nodes (every other process then joins a
    /// random side).
    RandomPartition {
        kind: PartitionKind,
        role: Option<(String, Vec<ProcessId>)>,
    },
    HealAll,
    Clock {
        node: Target,
        skew_ns: i64,
        drift_ppm: i64,
    },
    Degrade {
        nodes: Option<Vec<ProcessId>>,
        change: LinkOverride,
    },
    RestoreAll,
}

/// Where things are in the file, for errors found once the protocol is
/// known.
#[derive(Clone, Debug, Default)]
pub struct Spans {
    pub protocol: Option<Range<usize>>,
    pub nodes: Option<Range<usize>>,
    pub bug: Option<Range<usize>>,
    pub properties: Vec<Range<usize>>,
    pub expect: Vec<Range<usize>>,
    pub workload_kind: Option<Range<usize>>,
    pub linearizable: Option<Range<usize>>,
    /// Each `[[trigger]]`'s `observe`, then `[nemesis.trigger]`'s.
    pub triggers: Vec<Range<usize>>,
    pub nemesis_trigger: Option<Range<usize>>,
}

/// How many nodes of one role a scenario runs.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RoleCount {
    pub name: String,
    pub count: u32,
    pub span: Range<usize>,
}

#[derive(Clone, Debug)]
pub struct Scenario {
    pub path: String,
    pub source: String,
    pub name: String,
    pub description: Option<String>,
    pub protocol: String,
    /// The protocol's own parameters: the `[protocol]` table without its
    /// `name` (read with [`Scenario::protocol_params`]).
    pub params: toml::Table,
    pub bug: Option<String>,
    /// Every server, whatever its role.
    pub nodes: u32,
    /// `[nodes]` by role, in the file's order (which numbers the servers:
    /// the first role's nodes come first); `None` for `nodes = N`.
    pub roles: Option<Vec<RoleCount>>,
    pub duration: Span,
    /// The settle phase's length: faults stop and heal at `duration - settle`;
    /// eventually-properties are checked at `duration`.
    pub settle: Span,
    /// The seed `dsim run` uses when none is given.
    pub seed: u64,
    pub network: NetworkPlan,
    pub workload: Option<WorkloadPlan>,
    pub faults: Vec<ScriptedFault>,
    /// `[[trigger]]`: faults that answer observations.
    pub triggers: Vec<Trigger>,
    pub nemesis: NemesisPlan,
    /// `None`: every property of the protocol.
    pub properties: Option<Vec<String>>,
    /// `[check] expect`: the sometimes-properties this scenario is written
    /// to make fire. `explore` fails when one never fires over a sweep,
    /// and warns about no other; `None`: warn about every one that never
    /// fired.
    pub expect: Option<Vec<String>>,
    pub linearizable: bool,
    pub limits: Limits,
    pub crash_mode: CrashMode,
    pub spans: Spans,
}

impl Scenario {
    /// When faults stop and everything heals.
    pub fn settle_start(&self) -> Time {
        (self.duration - self.settle).after_start()
    }

    /// When the run ends and eventually-properties are checked.
    pub fn end(&self) -> Time {
        self.duration.after_start()
    }

    /// An error at `span` of this scenario's file.
    pub fn error(&self, span: Option<Range<usize>>, message: impl Into<String>) -> Diagnostic {
        Diagnostic::new(&self.path, &self.source, span, message)
    }

    /// An error about the protocol's name.
    pub fn unknown_protocol(&self, known: &[&str]) -> Diagnostic {
        self.error(self.spans.protocol.clone(), format!("unknown protocol `{}`", self.protocol))
            .with_help(format!("the protocols are: {}", known.join(", ")))
    }

    /// The protocol's own parameters: the `[protocol]` table without its
    /// `name`, or the defaults when the file only says `protocol = "..."`.
    pub fn protocol_params<C: DeserializeOwned + Default>(&self) -> Result<C, Diagnostic> {
        let toml_err = |e: toml::de::Error| Diagnostic::from_toml(&self.path, &self.source, &e);
        let mut root = DeTable::parse(&self.source).map_err(toml_err)?;
        match root.get_mut().remove("protocol") {
            Some(mut value) => {
                if let DeValue::Table(t) = value.get_mut() {
                    t.remove("name");
                    C::deserialize(toml::de::ValueDeserializer::from(value)).map_err(toml_err)
                } else {
                    Ok(C::default())
                }
            }
            None => Ok(C::default()),
        }
    }

    /// An error about the protocol's parameter `key`, pointing at it in
    /// the `[protocol]` table (or at the table, or the protocol's name, when
    /// the key is not written).
    pub fn param_error(&self, key: &str, message: impl Into<String>) -> Diagnostic {
        let span = DeTable::parse(&self.source).ok().and_then(|root| {
            let protocol = root.get_ref().get("protocol")?;
            match protocol.get_ref() {
                DeValue::Table(t) => Some(t.get(key).map_or(protocol.span(), |v| v.span())),
                _ => Some(protocol.span()),
            }
        });
        self.error(span.or(self.spans.protocol.clone()), message)
    }

    pub fn clients(&self) -> u32 {
        self.workload.as_ref().map_or(0, |w| w.clients)
    }
}

/// The processes of a role: a role of `[nodes]`, `server` when the
/// scenario has one kind of node, or `client`. `None`: no such role.
fn role_members(roles: Option<&[RoleCount]>, nodes: u32, clients: u32, name: &str) -> Option<Vec<ProcessId>> {
    if name == "client" {
        return Some((0..clients).map(ProcessId::client).collect());
    }
    match roles {
        None if name == "server" => Some((0..nodes).map(ProcessId::server).collect()),
        None => None,
        Some(rs) => {
            let mut first = 0;
            for r in rs {
                if r.name == name {
                    return Some((first..first + r.count).map(ProcessId::server).collect());
                }
                first += r.count;
            }
            None
        }
    }
}

impl Scenario {
    /// The processes of role `name` (a role of `[nodes]`, `server`, or
    /// `client`), or `None` if the scenario has no such role.
    pub fn members(&self, name: &str) -> Option<Vec<ProcessId>> {
        role_members(self.roles.as_deref(), self.nodes, self.clients(), name)
    }
}
