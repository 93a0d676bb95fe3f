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
//! client's next request) is ignored, or it would undo later writes. The
//! primary streams each new value to the backups and repeats the latest
//! value every `heartbeat`, so backups that missed an update catch up.
//! There is no failover: while the primary is down, operations time out
//! (their outcome is unknown), and on restart the primary reloads the value
//! and the sessions from disk.
//!
//! **Properties.** The client history is linearizable (the cas-register
//! model), checked online as the run goes. *reload-safety* (always): a
//! restarted primary reloads a version no older than the last one it
//! acknowledged to a client. *backups-converge*
//! (eventually): after the settle phase every backup holds the primary's
//! value. *requests-complete* (eventually): an operation invoked once the
//! cluster healed (plus one retry interval) completes rather than timing out
//! (`info`, which linearizability always allows); it needs a scenario whose
//! clients keep working through the settle phase (`stop = "end"`).
//! Sometimes: *retry-deduplicated* (a retried request was answered from the
//! session table), *primary-recovered* (the primary restarted and reloaded
//! a value).
//!
//! **Seeded bugs.**
//! - `stale-read`: a backup answers reads from its own copy, which may lag
//!   the primary: a read returns a value that was already overwritten.
//! - `no-dedup`: the primary ignores the session table, so a retried cas is
//!   applied again; the retry finds the new value and fails, and the client
//!   is told `fail` for an operation that took effect.
//! - `ack-before-sync`: the primary replies before syncing; a crash loses a
//!   write the client was told succeeded, and later reads return the older
//!   value; *reload-safety* sees it as the primary restarts.
//! - `no-retry`: a client sends each request once (and once more to the
//!   primary after a backup's redirect); a lost request or reply leaves the
//!   operation to time out. Histories stay linearizable; *requests-complete*
//!   fails.
//!
//! The first three make histories that are not linearizable.

mod checker;
mod client;
mod node;

pub use checker::RegisterChecker;
pub use client::RegisterClient;
pub use node::RegisterNode;

use serde::{Deserialize, Serialize};
use sim::time::Duration;
use sim::{Diagnostic, ProcessId, Protocol, ProtocolInfo, Scenario, Span};

sim::bugs! {
    pub enum Bug {
        StaleRead = ("stale-read", "backups answer reads from a copy that may lag (linearizable)"),
        NoDedup = ("no-dedup", "retried requests are applied again; a retried cas reports fail though it took effect (linearizable)"),
        AckBeforeSync = ("ack-before-sync", "the primary replies before syncing; a crash loses an acknowledged write (linearizable)"),
        NoRetry = ("no-retry", "clients never resend a request: one whose request or reply is lost times out (requests-complete)"),
    }
}

sim::properties! {
    pub enum Prop {
        ReloadSafety = ("reload-safety", Always, "a restarted primary reloads a version no older than one it acknowledged"),
        BackupsConverge = ("backups-converge", Eventually, "after the settle phase every backup holds the primary's value"),
        RequestsComplete = ("requests-complete", Eventually, "operations invoked once the cluster healed complete instead of timing out"),
        RetryDeduplicated = ("retry-deduplicated", Sometimes, "a retried request was answered from the session table"),
        PrimaryRecovered = ("primary-recovered", Sometimes, "the primary restarted and reloaded a value from disk"),
    }
}

static INFO: ProtocolInfo = ProtocolInfo {
    name: "register",
    summary: "a primary-backup compare-and-set register with client sessions",
    workloads: &["register", "cas-register"],
    params: &PARAMS,
};

static PARAMS: [sim::ParamSpec; 1] = [sim::ParamSpec {
    name: "heartbeat",
    kind: "duration",
    default: Some(r#""100ms""#),
    help: "how often the primary sends heartbeats to the backups",
}];

#[derive(Deserialize)]
#[serde(deny_unknown_fields, default)]
struct Params {
    heartbeat: Duration,
}

impl Default for Params {
    fn default() -> Self {
        Params { heartbeat: Duration(Span::from_millis(100)) }
    }
}

#[derive(Clone, Debug)]
pub struct ReplicatedRegister {
    pub heartbeat: Span,
    pub retry: Span,
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
    /// The primary answered a request; what it answered holds as of
    /// `version`, which must be on its disk by now.
    Acknowledged {
        version: u64,
    },
    /// The primary (re)started with this version from its disk.
    Reloaded {
        version: u64,
    },
}

impl Protocol for ReplicatedRegister {
    type Message = Msg;
    type Timer = Timer;
    type DiskKey = Key;
    type DiskValue = Stored;
    type Observation = Obs;
    type Server = RegisterNode;
    type Client = RegisterClient;
    type Checker = RegisterChecker;
    type Role = sim::Uniform;
    type Property = Prop;
    type Bug = Bug;
    type Model = sim::lin::CasRegister;

    fn info() -> &'static ProtocolInfo {
        &INFO
    }

    fn configure(scenario: &Scenario, bug: Option<Bug>) -> Result<Self, Diagnostic> {
        let params: Params = scenario.protocol_params()?;
        Ok(ReplicatedRegister {
            heartbeat: params.heartbeat.0,
            retry: scenario.workload.as_ref().map_or(Span::from_millis(100), |w| w.retry),
            bug,
        })
    }

    fn server(&self, id: ProcessId, _cluster: &sim::Cluster) -> RegisterNode {
        RegisterNode::new(id, self.clone())
    }

    fn client(&self, _id: ProcessId, _cluster: &sim::Cluster) -> Option<RegisterClient> {
        Some(RegisterClient::new(self.retry, self.bug))
    }

    fn model(&self) -> Option<sim::lin::CasRegister> {
        Some(sim::lin::CasRegister)
    }

    fn checker(&self, setup: &sim::Setup) -> RegisterChecker {
        // Operations invoked this long after the heal must complete: the
        // primary is up again at the heal and answers at once, so one retry
        // interval covers a request sent while it was still restarting.
        RegisterChecker::new(setup.servers(), setup.settle_start + self.retry)
    }

    fn parameters(&self) -> Vec<(&'static str, String)> {
        vec![("primary", "n0".into()), ("heartbeat", self.heartbeat.to_string())]
    }
}
