//! Two-phase commit's data: transactions, messages, timers, the records of
//! the write-ahead log, and the observations the checker reads.

use serde::Serialize;

/// A transaction, named by its coordinator: the coordinator's incarnation
/// (bumped and synced at every start, so a restarted coordinator never
/// reuses a name) and a counter within it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub struct TxnId {
    /// The server that runs it.
    pub coordinator: u32,
    pub incarnation: u32,
    pub number: u32,
}

impl std::fmt::Display for TxnId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "t{}.{}.{}", self.coordinator, self.incarnation, self.number)
    }
}

/// A client's request: the client and its sequence number. A retry carries
/// the same one, so a coordinator runs a request once while it is up and
/// answers a committed one from its log after a restart.
pub type Request = (u32, u64);

/// What a transaction does. Accounts are numbered across the bank; the
/// participant holding account `a` is `a / accounts` among the participants.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
pub enum TxnOp {
    /// Moves `amount` from one account to another; refused (a no vote) if
    /// `from` would go negative.
    Transfer { from: u32, to: u32, amount: i64 },
    /// Reads every account: a serializable audit sees the bank's total.
    Audit,
}

#[derive(Clone, Debug, Hash, Serialize)]
pub enum Msg {
    /// Client to coordinator: run this request.
    Submit {
        req: Request,
        op: TxnOp,
    },
    /// Coordinator to client: how the request ended (an audit's total).
    Outcome {
        seq: u64,
        committed: bool,
        total: Option<i64>,
    },
    /// Phase 0: take the locks for `op` and stand ready. `participants` are
    /// the servers involved (for cooperative termination).
    Execute {
        txn: TxnId,
        op: TxnOp,
        participants: Vec<u32>,
    },
    Executed {
        txn: TxnId,
        ok: bool,
    },
    /// Phase 1.
    Prepare {
        txn: TxnId,
    },
    /// A yes vote is durable at the participant before it is sent; an
    /// audit's yes carries the sum of the participant's accounts.
    Vote {
        txn: TxnId,
        yes: bool,
        sum: Option<i64>,
    },
    /// Phase 2.
    Decision {
        txn: TxnId,
        commit: bool,
    },
    Ack {
        txn: TxnId,
    },
    /// An in-doubt participant asks the coordinator (or a decision-log
    /// replica) how a transaction ended.
    Inquire {
        txn: TxnId,
    },
    /// Cooperative termination: an in-doubt participant asks a peer.
    PeerInquire {
        txn: TxnId,
    },
    PeerAnswer {
        txn: TxnId,
        commit: bool,
    },
    /// Replicated decision log: log this decision (a ballot of the
    /// transaction's one-value consensus).
    Accept {
        txn: TxnId,
        ballot: u32,
        commit: bool,
        participants: Vec<u32>,
        req: Option<Request>,
    },
    Accepted {
        txn: TxnId,
        ballot: u32,
        ok: bool,
    },
    /// Replicated decision log, recovery: what have you accepted for `txn`?
    /// Promises to accept nothing below `ballot`.
    Recover {
        txn: TxnId,
        ballot: u32,
    },
    Promise {
        txn: TxnId,
        ballot: u32,
        ok: bool,
        accepted: Option<(u32, bool)>,
        participants: Vec<u32>,
        /// The client request the transaction runs, if known: a takeover
        /// that adopts a commit must keep answering that request.
        req: Option<Request>,
    },
}

#[derive(Clone, Debug, Hash, PartialEq, Serialize)]
pub enum Timer {
    /// Coordinator: the current phase of `txn` has waited long enough.
    Phase(TxnId),
    /// Coordinator: resend a commit to participants that have not acked.
    Resend(TxnId),
    /// Participant: executed but no prepare came.
    PrepareTimeout(TxnId),
    /// Participant: in doubt, ask again.
    Inquire(TxnId),
    /// Client: resend the current request.
    Retry(u64),
    /// Decision-log replica: a transaction it holds no decision for is
    /// overdue: take it over.
    Takeover(TxnId),
}

/// Keys of a node's disk: the incarnation, and the write-ahead log by
/// sequence number.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Key {
    Incarnation,
    Log(u64),
}

/// A record of the write-ahead log.
#[derive(Clone, Debug)]
pub enum Record {
    Incarnation(u32),
    /// Participant: voted yes. The writes (account, delta) and the
    /// transaction's participants, to finish it after a restart.
    Prepared {
        txn: TxnId,
        writes: Vec<(u32, i64)>,
        participants: Vec<u32>,
        reads: bool,
    },
    /// Participant: the outcome. A commit carries after-images, so replaying
    /// the log rebuilds the balances.
    Decided {
        txn: TxnId,
        commit: bool,
        after: Vec<(u32, i64)>,
    },
    /// Coordinator (or decision-log replica): the decision, and what it
    /// takes to finish it after a restart.
    Decision {
        txn: TxnId,
        commit: bool,
        participants: Vec<u32>,
        req: Option<Request>,
        ballot: u32,
    },
    /// Decision-log replica: a promise not to accept below `ballot`.
    Promised {
        txn: TxnId,
        ballot: u32,
    },
    /// Coordinator: every participant acknowledged the commit.
    End {
        txn: TxnId,
    },
}

/// What nodes tell the checker.
#[derive(Clone, Debug)]
pub enum Obs {
    /// A coordinator began a transaction with these participants, for this
    /// client request.
    Began { txn: TxnId, participants: Vec<u32>, req: Request },
    /// Every participant executed: the coordinator asks for votes.
    Preparing { txn: TxnId },
    /// A participant voted; a yes carries the net change it will make to the
    /// bank's total at commit, and how many locks it holds.
    Voted { txn: TxnId, yes: bool, delta: i64, locks: u32 },
    /// A node settled on an outcome: a participant applied or dropped the
    /// transaction; a coordinator (or replica) decided or answered.
    /// `presumed`: a coordinator answered abort for a transaction it has no
    /// record of.
    Decided { txn: TxnId, commit: bool, presumed: bool },
    /// A decision-log replica that took a transaction over found a commit a
    /// majority had logged, and finishes it.
    RecoveredDecision { txn: TxnId },
    /// A participant in doubt learnt the outcome from a peer.
    LearntFromPeer { txn: TxnId, commit: bool },
    /// A coordinator committed an audit: the total its votes read.
    AuditTotal { txn: TxnId, total: i64 },
    /// A participant's balances changed (a commit was applied).
    Applied { txn: TxnId },
    /// A node restarted and rebuilt its state from its log; a participant
    /// lists the transactions it is in doubt about.
    Recovered { in_doubt: Vec<TxnId>, decisions: u32 },
}
