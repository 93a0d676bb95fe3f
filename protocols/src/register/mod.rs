//! A replicated compare-and-set register: primary-backup.
//!
//! **Algorithm.** Server `n0` is the primary; the others are backups.
//! Clients send each operation (read, write, cas) to a random server; a
//! backup answers `NotPrimary` and the client goes to `n0`. The primary
//! applies writes and compare-and-sets in order, writes the new value and
//! the client's session entry (client, sequence number, result) to disk,
//! syncs, and only then replies. A retried request with a sequence number
//! already applied gets the recorded result again instead of a second
//! application; an older one (a duplicate the network delayed past the
//! client's next request) is ignored, or it would undo later writes. The primary streams each new value to the backups and
//! repeats the latest value every `heartbeat`, so backups that missed an
//! update catch up. There is no failover: while the primary is down,
//! operations time out (their outcome is unknown), and on restart the
//! primary reloads the value and the sessions from disk.
//!
//! **Properties.** The client history is linearizable (the cas-register
//! model), checked online as the run goes. *backups-converge*
//! (eventually): after the settle phase every backup holds the primary's
//! value. Sometimes: *retry-deduplicated* (a retried request was answered
//! from the session table), *primary-recovered* (the primary restarted and
//! reloaded a value).
//!
//! **Seeded bugs.**
//! - `stale-read`: a backup answers reads from its own copy, which may lag
//!   the primary: a read returns a value that was already overwritten.
//! - `no-dedup`: the primary ignores the session table, so a retried cas is
//!   applied again; the retry finds the new value and fails, and the client
//!   is told `fail` for an operation that took effect.
//! - `ack-before-sync`: the primary replies before syncing; a crash loses a
//!   write the client was told succeeded, and later reads return the older
//!   value.
//!
//! Each of the three makes histories that are not linearizable.

mod checker;
mod client;
mod node;

pub use checker::RegisterChecker;
pub use client::RegisterClient;
pub use node::RegisterNode;

use serde::{Deserialize, Serialize};
use sim::time::Duration;
use sim::{BugSpec, Diagnostic, Kind, ProcessId, PropertySpec, Protocol, ProtocolInfo, Scenario, Time};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Bug {
    StaleRead,
    NoDedup,
    AckBeforeSync,
}

const BUGS: &[BugSpec] = &[
    BugSpec { name: "stale-read", description: "backups answer reads from a copy that may lag (linearizable)" },
    BugSpec {
        name: "no-dedup",
        description: "retried requests are applied again; a retried cas reports fail though it took effect (linearizable)",
    },
    BugSpec {
        name: "ack-before-sync",
        description: "the primary replies before syncing; a crash loses an acknowledged write (linearizable)",
    },
];

const PROPERTIES: &[PropertySpec] = &[
    PropertySpec {
        name: "backups-converge",
        kind: Kind::Eventually,
        description: "after the settle phase every backup holds the primary's value",
    },
    PropertySpec {
        name: "retry-deduplicated",
        kind: Kind::Sometimes,
        description: "a retried request was answered from the session table",
    },
    PropertySpec {
        name: "primary-recovered",
        kind: Kind::Sometimes,
        description: "the primary restarted and reloaded a value from disk",
    },
];

static INFO: ProtocolInfo = ProtocolInfo {
    name: "register",
    summary: "a primary-backup compare-and-set register with client sessions",
    properties: PROPERTIES,
    bugs: BUGS,
    workloads: &["register", "cas-register"],
    model: Some("cas-register"),
    min_nodes: 1,
};

#[derive(Deserialize)]
#[serde(deny_unknown_fields, default)]
struct Params {
    heartbeat: Duration,
}

impl Default for Params {
    fn default() -> Self {
        Params { heartbeat: Duration(Time::from_millis(100)) }
    }
}

#[derive(Clone, Debug)]
pub struct Register {
    pub heartbeat: Time,
    pub retry: Time,
    pub bug: Option<Bug>,
}

#[derive(Clone, Copy, Debug, Hash, PartialEq, Eq, Serialize)]
pub enum RegOp {
    Read,
    Write(i64),
    Cas(i64, i64),
}

#[derive(Clone, Copy, Debug, Hash, PartialEq, Eq, Serialize)]
pub enum Reply {
    /// The operation took effect; a read's value.
    Ok(Option<i64>),
    /// A cas whose expected value did not match: no effect.
    Fail,
    NotPrimary,
}

#[derive(Clone, Debug, Hash, Serialize)]
pub enum Msg {
    Request {
        seq: u64,
        op: RegOp,
    },
    Response {
        seq: u64,
        reply: Reply,
    },
    /// Primary to backups: the value as of `version`.
    Replicate {
        version: u64,
        value: Option<i64>,
    },
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, Serialize)]
pub enum Timer {
    Heartbeat,
    /// The primary's lazy sync (the ack-before-sync bug only).
    Sync,
    Retry(u64),
}

/// What the primary keeps on disk.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Key {
    Value,
    Session(ProcessId),
}

#[derive(Clone, Debug)]
pub enum Stored {
    Value { version: u64, value: Option<i64> },
    Session { seq: u64, reply: Reply },
}

#[derive(Debug)]
pub enum Obs {
    Deduplicated,
    Recovered,
}

impl Protocol for Register {
    type Message = Msg;
    type Timer = Timer;
    type DiskKey = Key;
    type DiskValue = Stored;
    type Observation = Obs;
    type Server = RegisterNode;
    type Client = RegisterClient;
    type Checker = RegisterChecker;

    fn info() -> &'static ProtocolInfo {
        &INFO
    }

    fn configure(scenario: &Scenario) -> Result<Self, Diagnostic> {
        let params: Params = scenario.protocol_params()?;
        let bug = scenario.bug.as_deref().map(|b| match b {
            "stale-read" => Bug::StaleRead,
            "no-dedup" => Bug::NoDedup,
            _ => Bug::AckBeforeSync,
        });
        Ok(Register {
            heartbeat: params.heartbeat.0,
            retry: scenario.workload.as_ref().map_or(Time::from_millis(100), |w| w.retry),
            bug,
        })
    }

    fn server(&self, id: ProcessId, _servers: u32) -> RegisterNode {
        RegisterNode::new(id, self.clone())
    }

    fn client(&self, _id: ProcessId, _servers: u32) -> RegisterClient {
        RegisterClient::new(self.retry)
    }

    fn checker(&self, setup: &sim::Setup) -> RegisterChecker {
        RegisterChecker::new(setup.servers)
    }

    fn parameters(&self) -> Vec<(&'static str, String)> {
        vec![("primary", "n0".into()), ("heartbeat", self.heartbeat.to_string())]
    }
}
