//! Raft: a replicated key-value store.
//!
//! **Algorithm.** Servers elect a leader with randomized election timeouts;
//! with PreVote a server first asks whether it could win before it raises
//! its term, so a server rejoining from a partition does not depose a
//! working leader; with CheckQuorum a leader that has not heard from a
//! majority within an election timeout steps down, and followers ignore
//! candidates while they hear from a leader. Any higher term seen makes a
//! server step down. The leader appends client commands to its log and
//! replicates them with AppendEntries, which carries the index and term of
//! the entry before the new ones (the consistency check); a follower whose
//! log disagrees truncates the conflicting suffix and says where its log
//! conflicts, so the leader backs up a whole term at a time. Appends are
//! batched and pipelined (several in flight per follower once one
//! succeeded). The leader commits an entry of its own term once a majority
//! hold it, which commits every earlier entry (Figure 8: entries of earlier
//! terms are never committed by counting replicas). Every server applies
//! committed entries in order to a key-value state machine whose client
//! sessions (client, sequence number) make a retried command apply once.
//! Term, vote and log are written and synced before any message that
//! depends on them. Reads are linearizable: served after a heartbeat round
//! confirms the leader still leads (ReadIndex), or through the log. Applied
//! entries are compacted into snapshots; a follower too far behind gets
//! InstallSnapshot.
//!
//! **Properties.** Always, after every step: *election-safety* (at most one
//! leader per term), *leader-append-only* (a leader never truncates its
//! log), *log-matching* (two logs with an entry of the same index and term
//! agree on everything up to it; checked with a hash of each log prefix),
//! *leader-completeness* (a new leader holds every committed entry),
//! *state-machine-safety* (no two servers apply different commands at one
//! index, nor reach different states there: each applied entry carries a
//! digest of the server's whole state machine, store and client sessions,
//! kept up to date in O(1) per command), *reload-safety* (a restarted
//! server's log, as reloaded, holds only entries it held when it stopped,
//! in terms that never go down along the log, and its term is at least its
//! last entry's), *quorum-step-down* (with CheckQuorum, a leader cut off
//! from a majority, by partitions or by its peers crashed or paused, steps
//! down within three election timeouts of its own clock, counted from when
//! nothing sent before the cut can still arrive). Eventually, after the
//! settle phase: *one-leader*, *requests-complete* (operations invoked once
//! the cluster had healed complete rather than time out), and *caught-up*
//! (every live server has applied every entry committed two election
//! timeouts and ten heartbeats before the end). The client history is
//! linearizable (the kv model). Sometimes: *leader-changed*, *conflict-truncated*,
//! *snapshot-installed*, *retry-deduplicated*, *leader-isolated* (a
//! partition cut the leader off from a majority), *stale-leader-read* (a
//! read was served while a partitioned stale leader still thought it led).
//!
//! **Seeded bugs.**
//! - `vote-not-persisted`: a restarted server forgets its vote and votes
//!   again in the same term: two leaders in one term (*election-safety*).
//! - `figure-8`: entries of earlier terms are committed by counting
//!   replicas; a later leader lacks one (*leader-completeness*, which
//!   catches it first; *state-machine-safety* once it is overwritten).
//! - `ack-before-sync`: a follower acknowledges entries before syncing them;
//!   a crash loses entries the leader counted (*leader-completeness*,
//!   *state-machine-safety*, linearizability).
//! - `stale-read`: the leader serves reads from its own state without
//!   confirming it still leads; a partitioned old leader returns stale
//!   values (linearizability).
//! - `no-consistency-check`: followers take entries without checking the
//!   previous one (*log-matching*).
//! - `no-step-down`: a leader that sees a higher term takes it and keeps
//!   leading: two leaders in that term (*election-safety*).
//! - `duplicate-apply`: sessions are not consulted, so a retried write is
//!   applied twice (linearizability).
//! - `truncation-not-persisted`: a follower drops conflicting entries from
//!   memory but not from disk; the new entries overwrite only as many, and
//!   after a restart the old tail comes back behind them, in lower terms
//!   (*reload-safety*).
//! - `stale-vote-counted`: a candidate counts a granted vote without
//!   checking its term; a vote for its previous election, delivered late,
//!   elects it in a term in which the voter voted for another
//!   (*election-safety*). PreVote and CheckQuorum hide it (votes are rare
//!   and late ones rarer).
//! - `read-index-stale-ack`: ReadIndex counts a follower that acknowledged
//!   any earlier heartbeat round, not the read's own; a leader cut off from
//!   the others keeps serving reads (linearizability). CheckQuorum hides it
//!   (the cut-off leader steps down).
//! - `snapshot-without-sessions`: snapshots hold the store but not the
//!   client sessions; a server restarted (or caught up) from one applies a
//!   retried command a second time, and its state differs from the others'
//!   at that index (*state-machine-safety*, by the state digest).
//! - `quorum-activity-kept`: CheckQuorum never clears its record of which
//!   followers answered, so a leader once heard from by a majority keeps
//!   leading after a partition cuts it off (*quorum-step-down*).
//! - `duplicate-reply-frees-slot`: the heartbeat tick finds lost appends by
//!   the count of appends in flight, which a duplicated reply decrements
//!   twice; an append lost after that is never resent while no new entry
//!   comes, and the follower never applies it (*caught-up*). dsim's own
//!   Raft had this until the caught-up property found it.

mod checker;
mod client;
mod log;
mod node;
mod types;

pub use crate::kv::KvStore;
pub use checker::{RaftChecker, RaftLimits};
pub use client::RaftClient;
pub use log::Log;
pub use node::RaftNode;
pub use types::{Command, Key, KvOp, KvOutcome, LogEntry, Msg, Role, Snapshot, Stored, Timer};

use serde::Deserialize;
use sim::time::Duration;
use sim::{Diagnostic, ProcessId, Protocol, ProtocolInfo, Scenario, Setup, Span};

sim::bugs! {
    pub enum Bug {
        VoteNotPersisted = ("vote-not-persisted", "a restarted server votes twice in one term (election-safety)"),
        Figure8 = ("figure-8", "entries of earlier terms are committed by counting replicas (leader-completeness)"),
        AckBeforeSync = ("ack-before-sync", "followers acknowledge entries before syncing them (leader-completeness)"),
        StaleRead = ("stale-read", "the leader serves reads without confirming it leads (linearizable)"),
        NoConsistencyCheck = ("no-consistency-check", "AppendEntries skips the consistency check (log-matching)"),
        NoStepDown = ("no-step-down", "a leader that sees a higher term keeps leading (election-safety)"),
        DuplicateApply = ("duplicate-apply", "retried writes are applied twice (linearizable)"),
        TruncationNotPersisted = ("truncation-not-persisted", "a conflict truncation drops entries from memory but not from disk (reload-safety)"),
        StaleVoteCounted = ("stale-vote-counted", "a candidate counts votes granted in an earlier term (election-safety)"),
        ReadIndexStaleAck = ("read-index-stale-ack", "ReadIndex counts acknowledgements of earlier heartbeat rounds (linearizable)"),
        SnapshotWithoutSessions = ("snapshot-without-sessions", "snapshots leave the client sessions out (state-machine-safety)"),
        QuorumActivityKept = ("quorum-activity-kept", "CheckQuorum never forgets which followers answered (quorum-step-down)"),
        DuplicateReplyFreesSlot = ("duplicate-reply-frees-slot", "a duplicated append reply frees a pipeline slot twice, and a lost append is not resent (caught-up)"),
    }
}

sim::properties! {
    pub enum Prop {
        ElectionSafety = ("election-safety", Always, "at most one leader per term"),
        LeaderAppendOnly = ("leader-append-only", Always, "a leader never truncates its log"),
        LogMatching = ("log-matching", Always, "logs with an entry of the same index and term agree up to it"),
        LeaderCompleteness = ("leader-completeness", Always, "a new leader holds every entry committed before it"),
        StateMachineSafety = ("state-machine-safety", Always, "no two servers apply different commands at one index, nor reach different states (store and sessions) there"),
        ReloadSafety = ("reload-safety", Always, "a restarted server reloads only entries it held, terms never going down along its log, and a term at least its last entry's"),
        OneLeader = ("one-leader", Eventually, "after the settle phase, exactly one server leads"),
        RequestsComplete = ("requests-complete", Eventually, "operations invoked once the cluster healed complete instead of timing out"),
        CaughtUp = ("caught-up", Eventually, "every live server has applied what was committed well before the end"),
        QuorumStepDown = ("quorum-step-down", Always, "with CheckQuorum, a leader cut off from a majority steps down within three election timeouts"),
        LeaderChanged = ("leader-changed", Sometimes, "a different server became leader"),
        ConflictTruncated = ("conflict-truncated", Sometimes, "a follower truncated conflicting entries"),
        SnapshotInstalled = ("snapshot-installed", Sometimes, "a follower installed a snapshot"),
        RetryDeduplicated = ("retry-deduplicated", Sometimes, "a retried command was answered from its session"),
        LeaderIsolated = ("leader-isolated", Sometimes, "a partition cut the leader off from a majority"),
        StaleLeaderRead = ("stale-leader-read", Sometimes, "a read was served while a stale leader still thought it led"),
    }
}

static INFO: ProtocolInfo = ProtocolInfo {
    name: "raft",
    summary:
        "Raft with PreVote, CheckQuorum, pipelining, snapshots and ReadIndex: a linearizable key-value store",
    workloads: &["kv"],
    params: &PARAMS,
};

static PARAMS: [sim::ParamSpec; 8] = [
    sim::ParamSpec {
        name: "election_timeout",
        kind: "[duration, duration]",
        default: Some(r#"["150ms", "300ms"]"#),
        help: "a follower that hears from no leader for a random time in this range stands for election",
    },
    sim::ParamSpec {
        name: "heartbeat",
        kind: "duration",
        default: Some(r#""50ms""#),
        help: "how often a leader sends AppendEntries with nothing new",
    },
    sim::ParamSpec {
        name: "pre_vote",
        kind: "bool",
        default: Some("true"),
        help: "ask for votes in a trial election first, so an isolated server cannot depose the leader",
    },
    sim::ParamSpec {
        name: "check_quorum",
        kind: "bool",
        default: Some("true"),
        help: "a leader that has not heard from a majority for an election timeout steps down",
    },
    sim::ParamSpec {
        name: "max_batch",
        kind: "integer",
        default: Some("64"),
        help: "entries per AppendEntries",
    },
    sim::ParamSpec {
        name: "max_inflight",
        kind: "integer",
        default: Some("8"),
        help: "pipelined AppendEntries per follower",
    },
    sim::ParamSpec {
        name: "snapshot_every",
        kind: "integer",
        default: Some("500"),
        help: "applied entries between snapshots (0: never)",
    },
    sim::ParamSpec {
        name: "reads",
        kind: r#""read-index" or "log""#,
        default: Some(r#""read-index""#),
        help: "linearizable reads by ReadIndex, or through the log",
    },
];

#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ReadMode {
    /// Confirm leadership with a heartbeat round, then read locally.
    ReadIndex,
    /// Append reads to the log like writes.
    Log,
}

impl ReadMode {
    /// The name a scenario file uses.
    pub fn name(self) -> &'static str {
        match self {
            ReadMode::ReadIndex => "read-index",
            ReadMode::Log => "log",
        }
    }
}

/// The `[protocol]` table of a Raft scenario.
#[derive(Deserialize)]
#[serde(deny_unknown_fields, default)]
struct Params {
    election_timeout: [Duration; 2],
    heartbeat: Duration,
    pre_vote: bool,
    check_quorum: bool,
    max_batch: u32,
    max_inflight: u32,
    /// Applied entries between snapshots (0: never compact).
    snapshot_every: u64,
    reads: ReadMode,
}

impl Default for Params {
    fn default() -> Self {
        Params {
            election_timeout: [Duration(Span::from_millis(150)), Duration(Span::from_millis(300))],
            heartbeat: Duration(Span::from_millis(50)),
            pre_vote: true,
            check_quorum: true,
            max_batch: 64,
            max_inflight: 8,
            snapshot_every: 500,
            reads: ReadMode::ReadIndex,
        }
    }
}

#[derive(Clone, Debug)]
pub struct Raft {
    pub election_timeout: (Span, Span),
    pub heartbeat: Span,
    pub pre_vote: bool,
    pub check_quorum: bool,
    pub max_batch: u32,
    pub max_inflight: u32,
    pub snapshot_every: u64,
    pub read_mode: ReadMode,
    pub retry: Span,
    pub bug: Option<Bug>,
}

#[derive(Debug)]
pub enum Obs {
    BecameLeader {
        term: u64,
    },
    /// A leader stopped leading (a higher term, or CheckQuorum).
    SteppedDown {
        term: u64,
    },
    /// A server took a higher term it saw in a message, and says whether it
    /// still leads (it never should: a leader in a term it did not win).
    TermRaised {
        term: u64,
        leader: bool,
    },
    /// A server stored an entry; `hash` covers its whole log up to it.
    Stored {
        index: u64,
        term: u64,
        hash: u64,
    },
    Truncated {
        from: u64,
        leader: bool,
    },
    /// A server learned that the entry at `index` (of `term`) is committed,
    /// while its own term was `in_term`: the entry was committed in that
    /// term or an earlier one.
    Committed {
        index: u64,
        term: u64,
        hash: u64,
        in_term: u64,
    },
    /// A server applied the entry at `index` (`hash` of its command);
    /// `state` is the digest of its state machine after it.
    Applied {
        index: u64,
        hash: u64,
        state: u64,
    },
    /// A restarted server reloaded its term and log from disk: the entries
    /// after its snapshot, as (index, term, prefix hash).
    Reloaded {
        term: u64,
        base_term: u64,
        entries: Vec<(u64, u64, u64)>,
    },
    SnapshotInstalled,
    Deduplicated,
    ReadServed,
}

impl Protocol for Raft {
    type Message = Msg;
    type Timer = Timer;
    type DiskKey = Key;
    type DiskValue = Stored;
    type Observation = Obs;
    type Server = RaftNode;
    type Client = RaftClient;
    type Checker = RaftChecker;
    type Role = sim::Uniform;
    type Property = Prop;
    type Bug = Bug;
    type Model = sim::lin::Kv;

    /// `Obs`'s variants, for `[[trigger]] observe = "..."`.
    const OBSERVATION_KINDS: &'static [&'static str] = &[
        "became-leader",
        "stepped-down",
        "term-raised",
        "stored",
        "truncated",
        "committed",
        "applied",
        "snapshot-installed",
        "deduplicated",
        "read-served",
    ];

    fn info() -> &'static ProtocolInfo {
        &INFO
    }

    fn configure(scenario: &Scenario, bug: Option<Bug>) -> Result<Self, Diagnostic> {
        let p: Params = scenario.protocol_params()?;
        let (min, max) = (p.election_timeout[0].0, p.election_timeout[1].0);
        if min > max || min == Span::ZERO {
            return Err(scenario.param_error(
                "election_timeout",
                "raft's election_timeout is [min, max] with 0 < min <= max",
            ));
        }
        if p.heartbeat.0 == Span::ZERO || p.heartbeat.0 >= min {
            return Err(scenario
                .param_error("heartbeat", "raft's heartbeat must be shorter than the election timeout"));
        }
        if p.max_batch == 0 {
            return Err(scenario.param_error("max_batch", "raft's max_batch must be at least 1"));
        }
        if p.max_inflight == 0 {
            return Err(scenario.param_error("max_inflight", "raft's max_inflight must be at least 1"));
        }
        Ok(Raft {
            election_timeout: (min, max),
            heartbeat: p.heartbeat.0,
            pre_vote: p.pre_vote,
            check_quorum: p.check_quorum,
            max_batch: p.max_batch,
            max_inflight: p.max_inflight,
            snapshot_every: p.snapshot_every,
            read_mode: p.reads,
            retry: scenario.workload.as_ref().map_or(Span::from_millis(100), |w| w.retry),
            bug,
        })
    }

    fn server(&self, id: ProcessId, cluster: &sim::Cluster) -> RaftNode {
        RaftNode::new(id, cluster.servers(), self.clone())
    }

    fn client(&self, _id: ProcessId, cluster: &sim::Cluster) -> Option<RaftClient> {
        Some(RaftClient::new(self.retry, cluster.servers()))
    }

    fn model(&self) -> Option<sim::lin::Kv> {
        Some(sim::lin::Kv)
    }

    fn checker(&self, setup: &Setup) -> RaftChecker {
        // Operations invoked this long after the heal must complete: time
        // for an election, a retry, and a round trip.
        let grace = self.election_timeout.1 * 2 + self.retry * 2;
        RaftChecker::new(
            setup,
            RaftLimits {
                heal: setup.settle_start + grace,
                // CheckQuorum looks every election timeout: the first look
                // may still count a peer heard from before the cut, the
                // second must not; a third is slack for drifting clocks.
                quorum_patience: self.check_quorum.then_some(self.election_timeout.1 * 3),
                // An election, then a few heartbeats to carry the commit
                // index and any snapshot to every server.
                catch_up: self.election_timeout.1 * 2 + self.heartbeat * 10,
            },
        )
    }

    fn parameters(&self) -> Vec<(&'static str, String)> {
        vec![
            ("election_timeout", format!("{}..{}", self.election_timeout.0, self.election_timeout.1)),
            ("heartbeat", self.heartbeat.to_string()),
            ("pre_vote", self.pre_vote.to_string()),
            ("check_quorum", self.check_quorum.to_string()),
            ("max_batch", self.max_batch.to_string()),
            ("max_inflight", self.max_inflight.to_string()),
            ("snapshot_every", self.snapshot_every.to_string()),
            ("reads", self.read_mode.name().to_string()),
        ]
    }
}
