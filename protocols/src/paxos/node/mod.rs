//! A Multi-Paxos server: acceptor, learner and proposer in one process.
//!
//! This file holds the server's state, restart from disk, the acceptor's
//! side of each message, and the dispatch of messages and timers. Beside
//! it: `leader` (phase 1 once per leader, phase 2 per slot, heartbeats and
//! the lease), `learner` (learning chosen values, applying, compaction,
//! catch-up) and `requests` (clients and reads).

use super::acceptor::Acceptor;
use super::types::{Ballot, Command, Msg, Role, Timer};
use super::{MultiPaxos, Obs, ReadMode};
use crate::kv::KvStore;
use sim::{Ctx, ProcessId, Server, Span, Time};
use std::collections::BTreeMap;

mod leader;
mod learner;
mod requests;

/// A slot the leader proposed in its ballot and the acceptors that took it.
#[derive(Clone, Debug)]
struct Proposal {
    command: Command,
    acks: Vec<u32>,
}

/// A heartbeat round: when the leader sent it and who answered.
#[derive(Clone, Debug)]
struct Round {
    sent: Time,
    acks: Vec<u32>,
}

#[derive(Clone)]
pub struct PaxosNode {
    me: u32,
    n: u32,
    config: MultiPaxos,
    /// Durable: promise, accepted values, snapshot.
    acceptor: Acceptor,

    // Learner (volatile: relearned from the leader after a restart).
    /// Chosen values not yet compacted.
    chosen: BTreeMap<u64, Command>,
    /// Every slot below it is applied.
    applied: u64,
    store: KvStore,
    /// When it last asked the leader for chosen values it missed.
    asked: Option<Time>,

    // Proposer.
    role: Role,
    /// The ballot it leads or campaigns with.
    ballot: Ballot,
    leader: Option<u32>,
    /// The highest round it has seen in any ballot.
    seen_round: u64,
    promised_by: Vec<u32>,
    /// Per slot, the value of the highest ballot the promises reported.
    recovered: BTreeMap<u64, super::types::Accepted>,
    recovered_snapshot: Option<Box<super::types::Snapshot>>,

    // Leader.
    next_slot: u64,
    proposals: BTreeMap<u64, Proposal>,
    /// Every slot below it is known chosen.
    commit: u64,
    /// Lease reads wait until every slot phase 1 recovered is applied.
    recovery_end: u64,
    /// Client commands by slot, to answer once applied.
    waiting: BTreeMap<u64, (ProcessId, u64)>,
    round: u64,
    rounds: BTreeMap<u64, Round>,
    /// The lease: reads are served locally until then (own monotonic clock).
    lease_until: Option<Time>,
    /// When a majority last answered a heartbeat.
    last_quorum: Time,

    // Acceptor, volatile: the lease it granted (to whom, until when on its
    // own clock). While it lasts it promises no one else.
    grant: Option<(Option<u32>, Time)>,
}

impl PaxosNode {
    pub fn new(id: ProcessId, servers: u32, config: MultiPaxos) -> PaxosNode {
        PaxosNode {
            me: id.index(),
            n: servers,
            config,
            acceptor: Acceptor::default(),
            chosen: BTreeMap::new(),
            applied: 0,
            store: KvStore::default(),
            asked: None,
            role: Role::Follower,
            ballot: Ballot::ZERO,
            leader: None,
            seen_round: 0,
            promised_by: Vec::new(),
            recovered: BTreeMap::new(),
            recovered_snapshot: None,
            next_slot: 0,
            proposals: BTreeMap::new(),
            commit: 0,
            recovery_end: 0,
            waiting: BTreeMap::new(),
            round: 0,
            rounds: BTreeMap::new(),
            lease_until: None,
            last_quorum: Time::ZERO,
            grant: None,
        }
    }

    // What the checker may look at.
    pub fn acceptor(&self) -> &Acceptor {
        &self.acceptor
    }
    pub fn role(&self) -> Role {
        self.role
    }
    pub fn ballot(&self) -> Ballot {
        self.ballot
    }
    pub fn applied(&self) -> u64 {
        self.applied
    }
    pub fn lease_until(&self) -> Option<Time> {
        self.lease_until.filter(|_| self.role == Role::Leader)
    }
    pub fn state_machine(&self) -> &KvStore {
        &self.store
    }

    /// Majority, unless the minority-quorum bug makes it half.
    fn quorum(&self) -> usize {
        if self.config.bug == Some(super::Bug::MinorityQuorum) {
            (self.n as usize / 2).max(1)
        } else {
            self.n as usize / 2 + 1
        }
    }

    fn others(&self) -> impl Iterator<Item = ProcessId> + '_ {
        (0..self.n).filter(move |&i| i != self.me).map(ProcessId::server)
    }

    fn uses_leases(&self) -> bool {
        self.config.reads == ReadMode::Lease
    }

    fn election_delay(&self, ctx: &mut Ctx<'_, MultiPaxos>) -> Span {
        let (min, max) = self.config.election_timeout;
        Span(ctx.rng().between(min.0, max.0))
    }

    fn reset_election(&mut self, ctx: &mut Ctx<'_, MultiPaxos>) {
        let d = self.election_delay(ctx);
        ctx.set_timer(Timer::Election, d);
    }

    /// Notes a ballot seen in a message; a higher one than its own ends
    /// its campaign or its leadership.
    fn see(&mut self, ctx: &mut Ctx<'_, MultiPaxos>, ballot: Ballot) {
        self.seen_round = self.seen_round.max(ballot.round);
        if ballot > self.ballot && self.role != Role::Follower {
            self.step_down(ctx);
        }
    }

    fn step_down(&mut self, ctx: &mut Ctx<'_, MultiPaxos>) {
        if self.role == Role::Leader {
            ctx.observe(Obs::SteppedDown { ballot: self.ballot });
            ctx.cancel_timer(&Timer::Heartbeat);
        }
        self.role = Role::Follower;
        self.proposals.clear();
        self.waiting.clear();
        self.rounds.clear();
        self.lease_until = None;
        self.promised_by.clear();
        self.recovered.clear();
        self.recovered_snapshot = None;
        self.reset_election(ctx);
    }

    /// Whether a lease this acceptor granted keeps it from promising
    /// `candidate`.
    fn lease_blocks(&self, ctx: &Ctx<'_, MultiPaxos>, candidate: u32) -> bool {
        self.uses_leases()
            && self.grant.is_some_and(|(holder, until)| holder != Some(candidate) && ctx.monotonic() < until)
    }

    fn on_prepare(&mut self, ctx: &mut Ctx<'_, MultiPaxos>, from: ProcessId, ballot: Ballot, first: u64) {
        self.seen_round = self.seen_round.max(ballot.round);
        let ok = !self.lease_blocks(ctx, from.index()) && self.acceptor.promise(ctx, ballot, self.config.bug);
        let promised = self.acceptor.promised();
        if ok {
            ctx.observe(Obs::Promised { ballot });
            self.see(ctx, ballot);
            if self.leader != Some(from.index()) {
                self.leader = None;
            }
            self.reset_election(ctx);
        }
        let (accepted, snapshot) = if ok {
            let snapshot = self.acceptor.snapshot().filter(|s| s.index > first).map(|s| Box::new(s.clone()));
            (self.acceptor.accepted_from(first), snapshot)
        } else {
            (Vec::new(), None)
        };
        ctx.send(from, Msg::Promise { ballot, ok, promised, accepted, snapshot });
    }

    fn on_accept(
        &mut self,
        ctx: &mut Ctx<'_, MultiPaxos>,
        from: ProcessId,
        ballot: Ballot,
        slot: u64,
        command: Command,
        commit: u64,
    ) {
        self.see(ctx, ballot);
        let ok = self.acceptor.accept(ctx, ballot, slot, &command, self.config.bug);
        if ok {
            ctx.observe(Obs::Accepted { slot });
            self.follow(ctx, from.index());
            self.learn(ctx, from, ballot, commit);
        }
        let promised = self.acceptor.promised();
        ctx.send(from, Msg::AcceptReply { ballot, slot, ok, promised });
    }

    fn on_heartbeat(
        &mut self,
        ctx: &mut Ctx<'_, MultiPaxos>,
        from: ProcessId,
        ballot: Ballot,
        commit: u64,
        round: u64,
    ) {
        self.see(ctx, ballot);
        let lease = self.config.lease;
        let ok = ballot >= self.acceptor.promised() && {
            // A heartbeat of a higher ballot is promised like an accept.
            self.acceptor.promise(ctx, ballot, self.config.bug)
        };
        if ok {
            if self.uses_leases() {
                self.grant = Some((Some(from.index()), ctx.monotonic() + lease));
            }
            self.follow(ctx, from.index());
            self.learn(ctx, from, ballot, commit);
        }
        let promised = self.acceptor.promised();
        ctx.send(from, Msg::HeartbeatReply { ballot, round, ok, promised });
    }

    /// It heard from the leader it follows: no election for a while.
    fn follow(&mut self, ctx: &mut Ctx<'_, MultiPaxos>, leader: u32) {
        if leader != self.me {
            self.leader = Some(leader);
            self.reset_election(ctx);
        }
    }
}

impl Server<MultiPaxos> for PaxosNode {
    fn on_start(&mut self, ctx: &mut Ctx<'_, MultiPaxos>) {
        self.acceptor = Acceptor::recover(ctx);
        self.seen_round = self.acceptor.promised().round;
        if let Some(s) = self.acceptor.snapshot() {
            self.applied = s.index;
            self.commit = s.index;
            self.store = s.store.clone();
        }
        if self.uses_leases() && self.acceptor.promised() != Ballot::ZERO {
            // It may have granted a lease before the crash (it promised
            // something, and a grant is a promise) and cannot know to whom:
            // it promises no one until any such lease is over.
            self.grant = Some((None, ctx.monotonic() + self.config.lease));
        }
        self.reset_election(ctx);
    }

    fn on_message(&mut self, ctx: &mut Ctx<'_, MultiPaxos>, from: ProcessId, msg: Msg) {
        match msg {
            Msg::Request { seq, op } => self.on_request(ctx, from, seq, op),
            Msg::Prepare { ballot, from: first } => self.on_prepare(ctx, from, ballot, first),
            Msg::Promise { ballot, ok, promised, accepted, snapshot } => {
                self.on_promise(ctx, from.index(), ballot, ok, promised, accepted, snapshot)
            }
            Msg::Accept { ballot, slot, command, commit } => {
                self.on_accept(ctx, from, ballot, slot, command, commit)
            }
            Msg::AcceptReply { ballot, slot, ok, promised } => {
                self.on_accept_reply(ctx, from.index(), ballot, slot, ok, promised)
            }
            Msg::Heartbeat { ballot, commit, round } => self.on_heartbeat(ctx, from, ballot, commit, round),
            Msg::HeartbeatReply { ballot, round, ok, promised } => {
                self.on_heartbeat_reply(ctx, from.index(), ballot, round, ok, promised)
            }
            Msg::CatchUp { from: first } => self.on_catch_up(ctx, from, first),
            Msg::Chosen { ballot, values, snapshot } => self.on_chosen(ctx, ballot, values, snapshot),
            Msg::Response { .. } | Msg::Redirect { .. } => {}
        }
    }

    fn on_timer(&mut self, ctx: &mut Ctx<'_, MultiPaxos>, timer: Timer) {
        match timer {
            Timer::Election => {
                if self.role != Role::Leader {
                    self.campaign(ctx);
                }
            }
            Timer::Heartbeat => {
                if self.role == Role::Leader {
                    self.heartbeat(ctx);
                }
            }
            Timer::Retry(_) => {}
        }
    }
}
