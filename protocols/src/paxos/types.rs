//! Multi-Paxos's ballots, messages, timers and what its disk holds.

use crate::kv::KvStore;
pub use crate::kv::{Command, KvOp, KvOutcome};
use serde::Serialize;
use std::fmt;

/// A ballot: a round number and the proposer that owns it, so two
/// proposers never share one. Ordered by round, then proposer.
#[derive(Clone, Copy, Debug, Default, Hash, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct Ballot {
    pub round: u64,
    pub node: u32,
}

impl Ballot {
    /// Below every ballot a proposer uses: nothing promised or accepted.
    pub const ZERO: Ballot = Ballot { round: 0, node: 0 };
}

impl fmt::Display for Ballot {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.n{}", self.round, self.node)
    }
}

/// A value an acceptor holds for one slot.
#[derive(Clone, Debug, Hash, PartialEq, Eq, Serialize)]
pub struct Accepted {
    pub slot: u64,
    pub ballot: Ballot,
    pub command: Command,
}

/// The state machine as of `index`: every slot below it applied.
#[derive(Clone, Debug, Hash, PartialEq, Eq, Serialize)]
pub struct Snapshot {
    pub index: u64,
    pub store: KvStore,
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
    Redirect {
        seq: u64,
        leader: Option<u32>,
    },

    // Phase 1, once per leader for every slot from `from` on.
    Prepare {
        ballot: Ballot,
        from: u64,
    },
    /// `ok`: promised; else `promised` is the higher ballot it holds. With
    /// the promise: every value it accepted for a slot at or after `from`,
    /// and its snapshot when it compacted slots at or after `from`.
    Promise {
        ballot: Ballot,
        ok: bool,
        promised: Ballot,
        accepted: Vec<Accepted>,
        snapshot: Option<Box<Snapshot>>,
    },

    // Phase 2, per slot. `commit`: every slot below it is chosen.
    Accept {
        ballot: Ballot,
        slot: u64,
        command: Command,
        commit: u64,
    },
    AcceptReply {
        ballot: Ballot,
        slot: u64,
        ok: bool,
        promised: Ballot,
    },

    /// The leader's liveness, commit point and lease round.
    Heartbeat {
        ballot: Ballot,
        commit: u64,
        round: u64,
    },
    HeartbeatReply {
        ballot: Ballot,
        round: u64,
        ok: bool,
        promised: Ballot,
    },

    // Learners that missed chosen values ask the leader.
    CatchUp {
        from: u64,
    },
    Chosen {
        ballot: Ballot,
        values: Vec<(u64, Command)>,
        snapshot: Option<Box<Snapshot>>,
    },
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, Serialize)]
pub enum Timer {
    /// A follower that heard no leader for a while runs phase 1; a
    /// candidate that failed tries again.
    Election,
    /// The leader's heartbeat (and lease renewal).
    Heartbeat,
    /// A client's resend.
    Retry(u64),
}

/// What the disk holds: the acceptor's promise and accepted values, and
/// the snapshot that replaced the compacted slots.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Key {
    Promised,
    Snapshot,
    Slot(u64),
}

#[derive(Clone, Debug)]
pub enum Stored {
    Promised(Ballot),
    Snapshot(Box<Snapshot>),
    Slot(Accepted),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub enum Role {
    Follower,
    Candidate,
    Leader,
}
