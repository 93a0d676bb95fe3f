//! Paxos: Multi-Paxos as a replicated key-value store (this module), and
//! the single-decree Synod algorithm with its roles apart ([`synod`]).
//!
//! **Algorithm.** Every server is an acceptor, a learner and a proposer. A
//! proposer that hears from no leader for an election timeout runs phase 1
//! once for every slot from the first it has not applied: it picks a ballot
//! (round, proposer) higher than any it has seen, so no two proposers share
//! one, and asks the acceptors to promise it. An acceptor promises a ballot
//! no lower than its promise and reports every value it accepted from that
//! slot on (with its snapshot if it compacted past it). With promises from
//! a majority the proposer leads: for each reported slot it proposes the
//! value of the highest ballot reported (adopting it), fills gaps below the
//! highest reported slot with no-ops, and proposes client commands in the
//! slots after. Phase 2 is then one round trip per slot: an acceptor
//! accepts a value in a ballot no lower than its promise; a value a
//! majority accepted in one ballot is chosen. Competing proposers outbid
//! each other and back off for a random election timeout. The leader's
//! heartbeats carry its commit point (every slot below it chosen), from
//! which followers learn the values they accepted in its ballot, and ask
//! for those they missed. Every server applies chosen values in slot order
//! to the shared [`KvStore`](crate::kv::KvStore), whose client sessions
//! make a retried command apply once. Acceptor state (promise, accepted
//! values, snapshot) is written and synced before any reply that reports
//! it, and rebuilt from disk on restart. Applied slots are compacted into a
//! snapshot every `snapshot_every` slots, so memory stays bounded. Reads go
//! through the log like writes, or (`reads = "lease"`) are answered by the
//! leader alone under a lease: each acceptor that answers a heartbeat
//! promises no other proposer for `lease` on its own clock; the leader
//! counts the lease from when it sent the heartbeat, on its own monotonic
//! clock, shortened by the drift bound (`drift_bound_ppm`, how much faster
//! an acceptor's clock may run than the leader's). A restarted acceptor
//! promises no one for a lease, since it cannot know whom it granted one.
//!
//! **Properties.** Always, after every step: *agreement* (no two values
//! chosen for one slot, where chosen is computed from the acceptors' own
//! states: a majority accepted the value in the same ballot), *validity*
//! (a value accepted, so any value chosen, in a ballot is one its proposer
//! proposed for that slot), *promise-kept* (no acceptor promises or accepts below a ballot it
//! promised), *one-leader-per-ballot*; and the client history linearizable
//! (the kv model, checked online). Eventually, after the settle phase:
//! *one-leader* and *requests-complete*. Sometimes: *proposers-competed*,
//! *value-adopted*, *gap-filled*, *lease-read*, *lease-expired-paused*,
//! *leader-changed*, *retry-deduplicated*, *snapshot-installed*.
//!
//! **Seeded bugs.**
//! - `ignore-promised-values`: a new leader ignores the values reported in
//!   promises and fills their slots with no-ops (*agreement*).
//! - `minority-quorum`: quorums of half the servers, so two quorums can be
//!   disjoint: both sides of a partition answer clients (linearizability,
//!   and *agreement* when both values reach a true majority).
//! - `acceptor-amnesia`: acceptor state is never written to disk; a
//!   restarted acceptor forgets its promises and values (*promise-kept*,
//!   *agreement*).
//! - `promise-lower-ballot`: an acceptor answers a prepare below its promise
//!   and lowers its promise to it (*promise-kept*).
//! - `skip-phase1-unseen`: a new leader treats the slots beyond the last it
//!   saw itself as free, though phase 1 reported values there (*agreement*).
//! - `lease-without-drift-bound`: the leader counts its whole lease on its
//!   own clock; a slow clock keeps it serving reads after a new leader
//!   took writes (linearizability; only clock drift can show it).
//! - `shared-ballots`: ballots carry no proposer id, so two proposers can
//!   both win one (*one-leader-per-ballot*).
//! - `accept-keeps-old-value`: an acceptor that already holds a value for a
//!   slot keeps it when it accepts a new ballot's proposal (*validity*).
//! - `no-dedup`: sessions are not consulted, so a retried write is applied
//!   twice (linearizability).

mod acceptor;
mod checker;
mod client;
mod node;
pub mod synod;
mod types;

pub use acceptor::Acceptor;
pub use checker::PaxosChecker;
pub use client::PaxosClient;
pub use node::PaxosNode;
pub use types::{Accepted, Ballot, Key, Msg, Role, Snapshot, Stored, Timer};

use crate::kv::Command;
use serde::Deserialize;
use sim::time::Duration;
use sim::{Diagnostic, ProcessId, Protocol, ProtocolInfo, Scenario, Setup, Span};
use std::hash::{Hash, Hasher};

sim::bugs! {
    pub enum Bug {
        IgnorePromisedValues = ("ignore-promised-values", "a new leader ignores the values promises report (agreement)"),
        MinorityQuorum = ("minority-quorum", "quorums of half the servers can be disjoint (linearizable, agreement)"),
        AcceptorAmnesia = ("acceptor-amnesia", "acceptor state is never persisted: a restart forgets promises (promise-kept)"),
        PromiseLowerBallot = ("promise-lower-ballot", "an acceptor promises a ballot below its promise (promise-kept)"),
        SkipPhase1Unseen = ("skip-phase1-unseen", "a new leader takes slots it did not see as free (agreement)"),
        LeaseWithoutDriftBound = ("lease-without-drift-bound", "the leader counts its whole lease on its drifting clock (linearizable)"),
        SharedBallots = ("shared-ballots", "ballots carry no proposer id: two leaders in one ballot (one-leader-per-ballot)"),
        AcceptKeepsOldValue = ("accept-keeps-old-value", "an acceptor keeps its old value under a new ballot (validity)"),
        NoDedup = ("no-dedup", "retried writes are applied twice (linearizable)"),
    }
}

sim::properties! {
    pub enum Prop {
        Agreement = ("agreement", Always, "no two values are chosen (accepted by a majority in one ballot) for one slot"),
        Validity = ("validity", Always, "a value accepted (so any value chosen) in a ballot was proposed for that slot in that ballot"),
        PromiseKept = ("promise-kept", Always, "no acceptor promises or accepts below a ballot it promised"),
        OneLeaderPerBallot = ("one-leader-per-ballot", Always, "at most one proposer leads each ballot"),
        OneLeader = ("one-leader", Eventually, "after the settle phase, exactly one server leads"),
        RequestsComplete = ("requests-complete", Eventually, "operations invoked once the cluster healed complete instead of timing out"),
        ProposersCompeted = ("proposers-competed", Sometimes, "two proposers had values accepted for one slot"),
        ValueAdopted = ("value-adopted", Sometimes, "a new leader adopted a value accepted in an earlier ballot"),
        GapFilled = ("gap-filled", Sometimes, "a new leader filled a gap with a no-op"),
        LeaseRead = ("lease-read", Sometimes, "a read was served under the leader's lease"),
        LeaseExpiredPaused = ("lease-expired-paused", Sometimes, "a leader's lease ran out while it was paused"),
        LeaderChanged = ("leader-changed", Sometimes, "a different server became leader"),
        RetryDeduplicated = ("retry-deduplicated", Sometimes, "a retried command was answered from its session"),
        SnapshotInstalled = ("snapshot-installed", Sometimes, "a server installed another's snapshot"),
    }
}

static INFO: ProtocolInfo = ProtocolInfo {
    name: "multi-paxos",
    summary: "Multi-Paxos with a distinguished leader, no-op gap filling, leader leases and compaction: a linearizable key-value store",
    workloads: &["kv"],
    params: &PARAMS,
};

static PARAMS: [sim::ParamSpec; 6] = [
        sim::ParamSpec { name: "election_timeout", kind: "[duration, duration]", default: Some(r#"["150ms", "300ms"]"#), help: "a proposer that hears from no leader for a random time in this range runs phase 1; also the back-off" },
        sim::ParamSpec { name: "heartbeat", kind: "duration", default: Some(r#""50ms""#), help: "how often the leader sends heartbeats carrying the commit point" },
        sim::ParamSpec { name: "reads", kind: r#""lease" or "log""#, default: Some(r#""lease""#), help: "reads answered by the leader under its lease, or through the log" },
        sim::ParamSpec { name: "lease", kind: "duration", default: Some(r#""300ms""#), help: "how long an acceptor that answered a heartbeat promises no other proposer" },
        sim::ParamSpec { name: "drift_bound_ppm", kind: "integer", default: Some("100000"), help: "the leader ends its lease this many parts per million early: at least twice the clocks' drift" },
        sim::ParamSpec { name: "snapshot_every", kind: "integer", default: Some("500"), help: "applied slots between snapshots (0: never)" },
];

#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ReadMode {
    /// The leader answers reads alone while its lease holds.
    Lease,
    /// Reads are proposed in a slot like writes.
    Log,
}

impl ReadMode {
    pub fn name(self) -> &'static str {
        match self {
            ReadMode::Lease => "lease",
            ReadMode::Log => "log",
        }
    }
}

/// The `[protocol]` table of a Multi-Paxos scenario.
#[derive(Deserialize)]
#[serde(deny_unknown_fields, default)]
struct Params {
    election_timeout: [Duration; 2],
    heartbeat: Duration,
    reads: ReadMode,
    lease: Duration,
    drift_bound_ppm: u64,
    /// Applied slots between snapshots (0: never compact).
    snapshot_every: u64,
}

impl Default for Params {
    fn default() -> Self {
        Params {
            election_timeout: [Duration(Span::from_millis(150)), Duration(Span::from_millis(300))],
            heartbeat: Duration(Span::from_millis(50)),
            reads: ReadMode::Lease,
            lease: Duration(Span::from_millis(300)),
            drift_bound_ppm: 100_000,
            snapshot_every: 500,
        }
    }
}

#[derive(Clone, Debug)]
pub struct MultiPaxos {
    pub election_timeout: (Span, Span),
    pub heartbeat: Span,
    pub reads: ReadMode,
    pub lease: Span,
    pub drift_bound_ppm: u64,
    pub snapshot_every: u64,
    pub retry: Span,
    pub bug: Option<Bug>,
}

#[derive(Debug)]
pub enum Obs {
    BecameLeader {
        ballot: Ballot,
    },
    SteppedDown {
        ballot: Ballot,
    },
    /// An acceptor promised `ballot` (or answered a heartbeat in it).
    Promised {
        ballot: Ballot,
    },
    /// An acceptor accepted a value for `slot`: the checker reads which
    /// from the acceptor's state.
    Accepted {
        slot: u64,
    },
    /// A leader proposed a value for `slot` in `ballot`.
    Proposed {
        slot: u64,
        ballot: Ballot,
        hash: u64,
    },
    /// A new leader re-proposed the value accepted in `from`.
    Adopted {
        slot: u64,
        from: Ballot,
    },
    GapFilled {
        slot: u64,
    },
    LeaseRead,
    Deduplicated,
    Compacted {
        index: u64,
    },
    SnapshotInstalled,
}

/// A digest of a command, for the checker's tables.
pub fn command_hash(command: &Command) -> u64 {
    let mut h = sim::hash::StableHasher::default();
    command.hash(&mut h);
    h.finish()
}

impl Protocol for MultiPaxos {
    type Message = Msg;
    type Timer = Timer;
    type DiskKey = Key;
    type DiskValue = Stored;
    type Observation = Obs;
    type Server = PaxosNode;
    type Client = PaxosClient;
    type Checker = PaxosChecker;
    type Role = sim::Uniform;
    type Property = Prop;
    type Bug = Bug;
    type Model = sim::lin::Kv;

    fn info() -> &'static ProtocolInfo {
        &INFO
    }

    fn configure(scenario: &Scenario, bug: Option<Bug>) -> Result<Self, Diagnostic> {
        let p: Params = scenario.protocol_params()?;
        let (min, max) = (p.election_timeout[0].0, p.election_timeout[1].0);
        if min > max || min == Span::ZERO {
            return Err(scenario.param_error(
                "election_timeout",
                "multi-paxos's election_timeout is [min, max] with 0 < min <= max",
            ));
        }
        if p.heartbeat.0 == Span::ZERO || p.heartbeat.0 >= min {
            return Err(scenario.param_error(
                "heartbeat",
                "multi-paxos's heartbeat must be shorter than the election timeout",
            ));
        }
        if p.lease.0 <= p.heartbeat.0 {
            return Err(
                scenario.param_error("lease", "multi-paxos's lease must be longer than the heartbeat")
            );
        }
        if p.drift_bound_ppm >= 1_000_000 {
            return Err(scenario.param_error(
                "drift_bound_ppm",
                "multi-paxos's drift_bound_ppm is a fraction of the lease in parts per million: below 1000000",
            ));
        }
        Ok(MultiPaxos {
            election_timeout: (min, max),
            heartbeat: p.heartbeat.0,
            reads: p.reads,
            lease: p.lease.0,
            drift_bound_ppm: p.drift_bound_ppm,
            snapshot_every: p.snapshot_every,
            retry: scenario.workload.as_ref().map_or(Span::from_millis(100), |w| w.retry),
            bug,
        })
    }

    fn server(&self, id: ProcessId, cluster: &sim::Cluster) -> PaxosNode {
        PaxosNode::new(id, cluster.servers(), self.clone())
    }

    fn client(&self, _id: ProcessId, cluster: &sim::Cluster) -> Option<PaxosClient> {
        Some(PaxosClient::new(self.retry, cluster.servers()))
    }

    fn model(&self) -> Option<sim::lin::Kv> {
        Some(sim::lin::Kv)
    }

    fn checker(&self, setup: &Setup) -> PaxosChecker {
        // Operations invoked this long after the heal must complete: leases
        // held by a restarted acceptor run out, an election, a retry and a
        // round trip.
        let grace = self.lease + self.election_timeout.1 * 2 + self.retry * 2;
        PaxosChecker::new(setup, setup.settle_start + grace)
    }

    fn parameters(&self) -> Vec<(&'static str, String)> {
        vec![
            ("election_timeout", format!("{}..{}", self.election_timeout.0, self.election_timeout.1)),
            ("heartbeat", self.heartbeat.to_string()),
            ("reads", self.reads.name().to_string()),
            ("lease", self.lease.to_string()),
            ("drift_bound_ppm", self.drift_bound_ppm.to_string()),
            ("snapshot_every", self.snapshot_every.to_string()),
        ]
    }
}
