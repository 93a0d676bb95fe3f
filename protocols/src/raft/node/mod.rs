//! A Raft server. Figure 2 of the extended paper, plus PreVote,
//! CheckQuorum, fast backtracking, batching and pipelining, snapshots, and
//! ReadIndex reads. Each rule that a seeded bug breaks says so.
//!
//! This file holds the server's state, what every role shares (terms,
//! persistence, stepping down), restart from disk, and the dispatch of
//! messages and timers. The rules live beside it: `election`, `leader`
//! (sending and counting replicas), `follower` (receiving them), `apply`
//! (the state machine and snapshots), `requests` (clients and reads).

use super::log::{chain, Log};
use super::types::{Command, Key, KvOp, KvOutcome, LogEntry, Msg, Role, Snapshot, Stored, Timer};
use super::{Bug, Obs, Raft, ReadMode};
use crate::kv::{Applied, KvStore};
use sim::{Ctx, ProcessId, Server, Time};
use std::collections::BTreeMap;

mod apply;
mod election;
mod follower;
mod leader;
mod requests;

/// A read waiting for the leader to confirm it still leads.
#[derive(Clone)]
struct PendingRead {
    client: ProcessId,
    seq: u64,
    key: u64,
    /// The commit index when the read arrived: it is served once applied.
    index: u64,
    /// The heartbeat round a majority must answer.
    probe: u64,
}

/// What a leader knows of one follower.
#[derive(Clone, Copy, Default)]
struct Progress {
    next: u64,
    matched: u64,
    /// Appends sent and not answered (pipelining).
    inflight: u32,
    /// Until the first success, one append at a time.
    probing: bool,
    /// Answered since the last CheckQuorum round.
    active: bool,
    /// The latest heartbeat round it answered (ReadIndex).
    probe: u64,
    /// `matched` at the previous heartbeat tick, to notice a stall.
    matched_at_tick: u64,
}

#[derive(Clone)]
pub struct RaftNode {
    me: u32,
    n: u32,
    config: Raft,
    // Persistent: on disk before any reply that depends on it.
    term: u64,
    voted_for: Option<u32>,
    log: Log,
    snapshot: Option<Box<Snapshot>>,
    // Volatile.
    role: Role,
    leader: Option<u32>,
    commit: u64,
    applied: u64,
    kv: KvStore,
    votes: Vec<u32>,
    /// When this server last heard from a leader (its own clock).
    leader_contact: Option<Time>,
    // Leader only.
    peers: Vec<Progress>,
    /// The index of this leader's first entry (its no-op).
    term_start: u64,
    probe: u64,
    /// Client commands in the log, by index, waiting to be answered.
    waiting: BTreeMap<u64, (ProcessId, u64)>,
    reads: Vec<PendingRead>,
}

impl RaftNode {
    pub fn new(id: ProcessId, servers: u32, config: Raft) -> RaftNode {
        RaftNode {
            me: id.index(),
            n: servers,
            config,
            term: 0,
            voted_for: None,
            log: Log::default(),
            snapshot: None,
            role: Role::Follower,
            leader: None,
            commit: 0,
            applied: 0,
            kv: KvStore::default(),
            votes: Vec::new(),
            leader_contact: None,
            peers: Vec::new(),
            term_start: 0,
            probe: 0,
            waiting: BTreeMap::new(),
            reads: Vec::new(),
        }
    }

    // What the checker may look at.
    pub fn role(&self) -> Role {
        self.role
    }
    pub fn term(&self) -> u64 {
        self.term
    }
    pub fn commit_index(&self) -> u64 {
        self.commit
    }
    pub fn applied_index(&self) -> u64 {
        self.applied
    }
    pub fn log(&self) -> &Log {
        &self.log
    }
    pub fn state_machine(&self) -> &KvStore {
        &self.kv
    }

    fn has(&self, bug: Bug) -> bool {
        self.config.bug == Some(bug)
    }

    fn majority(&self) -> usize {
        self.n as usize / 2 + 1
    }

    fn others(&self) -> impl Iterator<Item = u32> + '_ {
        (0..self.n).filter(move |p| *p != self.me)
    }

    fn reset_election_timer(&self, ctx: &mut Ctx<'_, Raft>) {
        let (min, max) = self.config.election_timeout;
        let after = sim::Span(ctx.rng().between(min.nanos(), max.nanos()));
        ctx.set_timer(Timer::Election, after);
    }

    /// Term and vote on disk, synced. With the `vote-not-persisted` bug the
    /// vote stays in memory, so a restarted server can vote twice in a term.
    fn persist_term_and_vote(&self, ctx: &mut Ctx<'_, Raft>) {
        ctx.disk().put(Key::Term, Stored::Term(self.term));
        if !self.has(Bug::VoteNotPersisted) {
            ctx.disk().put(Key::Vote, Stored::Vote(self.voted_for));
        }
        ctx.disk().sync();
    }

    /// Whether a leader was heard from within the shortest election timeout.
    fn leader_is_recent(&self, ctx: &Ctx<'_, Raft>) -> bool {
        self.role == Role::Leader
            || self.leader_contact.is_some_and(|t| ctx.now() - t < self.config.election_timeout.0)
    }

    /// A message showed a higher term: follow it. With the `no-step-down`
    /// bug a leader takes the term but stays leader.
    fn observe_term(&mut self, ctx: &mut Ctx<'_, Raft>, term: u64) {
        if term <= self.term {
            return;
        }
        self.term = term;
        self.voted_for = None;
        let keep_leading = self.role == Role::Leader && self.has(Bug::NoStepDown);
        if !keep_leading {
            self.become_follower(ctx, None);
        }
        ctx.observe(Obs::TermRaised { term, leader: self.role == Role::Leader });
        self.persist_term_and_vote(ctx);
    }

    fn become_follower(&mut self, ctx: &mut Ctx<'_, Raft>, leader: Option<u32>) {
        let was_leader = self.role == Role::Leader;
        self.role = Role::Follower;
        self.leader = leader;
        if was_leader {
            ctx.observe(Obs::SteppedDown { term: self.term });
            self.waiting.clear();
            self.reads.clear();
            ctx.cancel_timer(&Timer::Heartbeat);
            ctx.cancel_timer(&Timer::Quorum);
            self.reset_election_timer(ctx);
        }
    }

    fn up_to_date(&self, last_index: u64, last_term: u64) -> bool {
        (last_term, last_index) >= (self.log.last_term(), self.log.last_index())
    }
}

impl Server<Raft> for RaftNode {
    fn on_start(&mut self, ctx: &mut Ctx<'_, Raft>) {
        let stored: Vec<(Key, Stored)> = ctx.disk().durable().map(|(k, v)| (k.clone(), v.clone())).collect();
        let restarted = !stored.is_empty();
        for (key, value) in stored {
            match value {
                Stored::Term(t) => self.term = t,
                Stored::Vote(v) => self.voted_for = v,
                Stored::Snapshot(s) => {
                    self.log.reset_to(&s);
                    self.kv = s.state.clone();
                    self.commit = s.index;
                    self.applied = s.index;
                    self.snapshot = Some(s);
                }
                Stored::LogEntry(e) => {
                    let Key::LogEntry(index) = key else { continue };
                    // Entries sort after the snapshot; those it holds are skipped.
                    if index == self.log.last_index() + 1 {
                        self.log.append(e);
                    }
                }
            }
        }
        if restarted {
            // What came back from disk, for the checker to judge as it is.
            let entries = self.log.entries_from(self.log.base_index + 1).collect();
            ctx.observe(Obs::Reloaded { term: self.term, base_term: self.log.base_term, entries });
        }
        self.reset_election_timer(ctx);
    }

    fn on_message(&mut self, ctx: &mut Ctx<'_, Raft>, from: ProcessId, msg: Msg) {
        if from.is_client() {
            if let Msg::Request { seq, op } = msg {
                self.on_request(ctx, from, seq, op);
            }
            return;
        }
        let peer = from.index();
        match msg {
            Msg::PreVote { term, last_index, last_term } => {
                self.on_pre_vote(ctx, peer, term, last_index, last_term)
            }
            Msg::PreVoteReply { term, granted } => self.on_pre_vote_reply(ctx, peer, term, granted),
            Msg::RequestVote { term, last_index, last_term } => {
                self.on_request_vote(ctx, peer, term, last_index, last_term)
            }
            Msg::Vote { term, granted } => self.on_vote(ctx, peer, term, granted),
            Msg::Append { term, prev_index, prev_term, entries, commit, probe } => {
                self.observe_term(ctx, term);
                if self.role == Role::Leader && term == self.term && peer != self.me {
                    // Two leaders in one term: only a seeded bug gets here.
                    return;
                }
                self.on_append(ctx, peer, term, prev_index, prev_term, entries, commit, probe);
            }
            Msg::AppendReply {
                term,
                success,
                carried,
                match_index,
                conflict_index,
                conflict_term,
                probe,
            } => {
                self.observe_term(ctx, term);
                if self.role == Role::Leader && term == self.term {
                    self.on_append_reply(
                        ctx,
                        peer,
                        success,
                        carried,
                        match_index,
                        (conflict_index, conflict_term),
                        probe,
                    );
                }
            }
            Msg::InstallSnapshot { term, snapshot, probe } => {
                self.observe_term(ctx, term);
                if !(self.role == Role::Leader && term == self.term) {
                    self.on_install_snapshot(ctx, peer, term, snapshot, probe);
                }
            }
            Msg::SnapshotReply { term, match_index, probe } => {
                self.observe_term(ctx, term);
                if self.role == Role::Leader && term == self.term && match_index > 0 {
                    self.on_snapshot_reply(ctx, peer, match_index, probe);
                }
            }
            Msg::Request { .. } | Msg::Response { .. } | Msg::Redirect { .. } => {}
        }
    }

    fn on_timer(&mut self, ctx: &mut Ctx<'_, Raft>, timer: Timer) {
        match timer {
            Timer::Election => {
                if self.role != Role::Leader {
                    if self.config.pre_vote {
                        self.start_pre_vote(ctx);
                    } else {
                        self.start_election(ctx);
                    }
                }
            }
            Timer::Heartbeat => {
                if self.role == Role::Leader {
                    self.on_heartbeat_tick(ctx);
                }
            }
            Timer::Quorum => {
                if self.role == Role::Leader {
                    self.check_quorum(ctx);
                }
            }
            Timer::LazySync => ctx.disk().sync(),
            Timer::Retry(_) => {}
        }
    }
}
