//! Raft's messages, log entries and timers.

pub use crate::kv::{Command, KvOp, KvOutcome};
use serde::Serialize;

#[derive(Clone, Debug, Hash, PartialEq, Eq, Serialize)]
pub struct LogEntry {
    pub term: u64,
    pub command: Command,
}

/// A compacted prefix of the log: the state machine as of `index`.
#[derive(Clone, Debug, Hash, PartialEq, Eq, Serialize)]
pub struct Snapshot {
    pub index: u64,
    pub term: u64,
    /// The log-matching hash of the prefix it replaces.
    pub prefix_hash: u64,
    pub state: crate::kv::KvStore,
}

#[derive(Clone, Debug, Hash, Serialize)]
pub enum Msg {
    // Between clients and servers.
    Request {
        seq: u64,
        op: KvOp,
    },
    Response {
        seq: u64,
        outcome: KvOutcome,
    },
    /// Not the leader; here is who might be.
    Redirect {
        seq: u64,
        leader: Option<u32>,
    },

    // Between servers.
    PreVote {
        term: u64,
        last_index: u64,
        last_term: u64,
    },
    PreVoteReply {
        term: u64,
        granted: bool,
    },
    RequestVote {
        term: u64,
        last_index: u64,
        last_term: u64,
    },
    Vote {
        term: u64,
        granted: bool,
    },
    Append {
        term: u64,
        prev_index: u64,
        prev_term: u64,
        entries: Vec<LogEntry>,
        commit: u64,
        probe: u64,
    },
    /// `carried` says the append held entries (a heartbeat's reply does not
    /// free a slot of the pipelining window).
    AppendReply {
        term: u64,
        success: bool,
        carried: bool,
        match_index: u64,
        conflict_index: u64,
        conflict_term: u64,
        probe: u64,
    },
    InstallSnapshot {
        term: u64,
        snapshot: Box<Snapshot>,
        probe: u64,
    },
    SnapshotReply {
        term: u64,
        match_index: u64,
        probe: u64,
    },
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, Serialize)]
pub enum Timer {
    Election,
    Heartbeat,
    /// A leader checks that a majority answered lately (CheckQuorum).
    Quorum,
    /// A follower syncs late (the ack-before-sync bug only).
    LazySync,
    /// A client's resend.
    Retry(u64),
}

/// What the disk holds.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Key {
    Term,
    Vote,
    Snapshot,
    LogEntry(u64),
}

#[derive(Clone, Debug)]
pub enum Stored {
    Term(u64),
    Vote(Option<u32>),
    Snapshot(Box<Snapshot>),
    LogEntry(LogEntry),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub enum Role {
    Follower,
    PreCandidate,
    Candidate,
    Leader,
}
