//! The Synod's three roles, each a state machine of its own.

use super::{Bug, Key, Msg, Obs, Role, Stored, Synod, Timer};
use crate::paxos::Ballot;
use sim::{Cluster, Ctx, ProcessId, Server, Span};
use std::collections::BTreeMap;

/// Accepted messages counted per ballot: the value and who accepted it.
pub type Tally = BTreeMap<Ballot, (i64, Vec<u32>)>;

#[derive(Clone, Debug)]
pub enum Phase {
    Idle,
    Preparing { promises: Vec<u32>, best: Option<(Ballot, i64)> },
    Accepting { value: i64 },
}

#[derive(Clone, Debug)]
pub enum SynodState {
    Proposer { ballot: Ballot, seen_round: u64, attempt: u64, phase: Phase, tally: Tally, decided: bool },
    Acceptor { promised: Ballot, accepted: Option<(Ballot, i64)> },
    Learner { tally: Tally, learned: Option<i64> },
}

#[derive(Clone)]
pub struct SynodNode {
    me: ProcessId,
    acceptors: Vec<ProcessId>,
    /// Learners: whom an acceptor tells what it accepted (besides the
    /// proposer that asked).
    listeners: Vec<ProcessId>,
    config: Synod,
    pub state: SynodState,
}

/// Counts an acceptor's accept of `value` in `ballot`; whether a majority
/// now has.
fn count(tally: &mut Tally, ballot: Ballot, value: i64, acceptor: u32, majority: usize) -> bool {
    let (v, who) = tally.entry(ballot).or_insert((value, Vec::new()));
    if *v == value && !who.contains(&acceptor) {
        who.push(acceptor);
    }
    *v == value && who.len() >= majority
}

impl SynodNode {
    pub fn new(me: ProcessId, cluster: &Cluster, config: Synod) -> SynodNode {
        use sim::NamedSet;
        let members = |r: Role| cluster.members_of(r.index()).collect::<Vec<_>>();
        let acceptors = members(Role::Acceptor);
        let listeners = members(Role::Learner);
        let state = match cluster.role::<Role>(me) {
            Some(Role::Proposer) => SynodState::Proposer {
                ballot: Ballot::ZERO,
                seen_round: 0,
                attempt: 0,
                phase: Phase::Idle,
                tally: Tally::new(),
                decided: false,
            },
            Some(Role::Acceptor) => SynodState::Acceptor { promised: Ballot::ZERO, accepted: None },
            Some(Role::Learner) | None => SynodState::Learner { tally: Tally::new(), learned: None },
        };
        SynodNode { me, acceptors, listeners, config, state }
    }

    /// The value this proposer wants chosen.
    pub fn own_value(index: u32) -> i64 {
        100 + index as i64
    }

    fn majority(&self) -> usize {
        self.acceptors.len() / 2 + 1
    }

    pub fn learned(&self) -> Option<i64> {
        match self.state {
            SynodState::Learner { learned, .. } => learned,
            _ => None,
        }
    }

    pub fn accepted(&self) -> Option<(Ballot, i64)> {
        match self.state {
            SynodState::Acceptor { accepted, .. } => accepted,
            _ => None,
        }
    }

    fn backoff(&self, ctx: &mut Ctx<'_, Synod>) {
        let (min, max) = self.config.backoff;
        let wait = Span(ctx.rng().between(min.0, max.0));
        ctx.set_timer(Timer::Attempt, wait);
    }

    fn persist(&self, ctx: &mut Ctx<'_, Synod>, key: Key, value: Stored) {
        // acceptor-amnesia: the acceptor's state lives in memory only.
        if self.config.bug == Some(Bug::AcceptorAmnesia) && key != Key::Round {
            return;
        }
        ctx.disk().put(key, value);
        ctx.disk().sync();
    }

    fn attempt(&mut self, ctx: &mut Ctx<'_, Synod>) {
        let me = self.me.index();
        let retry = self.config.retry;
        let acceptors = self.acceptors.clone();
        let SynodState::Proposer { ballot, seen_round, attempt, phase, decided, .. } = &mut self.state else {
            return;
        };
        if *decided {
            return;
        }
        *seen_round += 1;
        let round = *seen_round;
        *ballot = Ballot { round, node: me };
        *attempt += 1;
        *phase = Phase::Preparing { promises: Vec::new(), best: None };
        let (ballot, attempt) = (*ballot, *attempt);
        // The round is durable before the ballot is used.
        self.persist(ctx, Key::Round, Stored::Round(round));
        ctx.send_all(&acceptors, &Msg::Prepare { ballot });
        ctx.set_timer(Timer::GiveUp(attempt), retry);
    }

    fn proposer_message(&mut self, ctx: &mut Ctx<'_, Synod>, from: ProcessId, msg: Msg) {
        let majority = self.majority();
        let own = Self::own_value(self.me.index());
        let ignore = self.config.bug == Some(Bug::IgnorePromisedValues);
        let acceptors = self.acceptors.clone();
        let SynodState::Proposer { ballot, seen_round, phase, tally, decided, .. } = &mut self.state else {
            return;
        };
        match msg {
            Msg::Promise { ballot: b, ok, promised, accepted } if b == *ballot => {
                let Phase::Preparing { promises, best } = phase else { return };
                if !ok {
                    *seen_round = (*seen_round).max(promised.round);
                    *phase = Phase::Idle;
                    ctx.observe(Obs::Outbid);
                    self.backoff(ctx);
                    return;
                }
                if promises.contains(&from.index()) {
                    return;
                }
                promises.push(from.index());
                if let Some((ab, av)) = accepted {
                    if best.is_none_or(|(bb, _)| ab > bb) {
                        *best = Some((ab, av));
                    }
                }
                if promises.len() >= majority {
                    let adopted = if ignore { None } else { *best };
                    let value = adopted.map_or(own, |(_, v)| v);
                    let b = *ballot;
                    *phase = Phase::Accepting { value };
                    ctx.observe(Obs::Proposed { ballot: b, value, adopted: adopted.is_some() });
                    ctx.send_all(&acceptors, &Msg::Accept { ballot: b, value });
                }
            }
            Msg::Accepted { ballot: b, ok, promised, value } => {
                if !ok {
                    if b == *ballot && matches!(phase, Phase::Accepting { .. }) {
                        *seen_round = (*seen_round).max(promised.round);
                        *phase = Phase::Idle;
                        ctx.observe(Obs::Outbid);
                        self.backoff(ctx);
                    }
                    return;
                }
                *seen_round = (*seen_round).max(b.round);
                if count(tally, b, value, from.index(), majority) {
                    *decided = true;
                    *phase = Phase::Idle;
                }
            }
            _ => {}
        }
    }

    fn acceptor_message(&mut self, ctx: &mut Ctx<'_, Synod>, from: ProcessId, msg: Msg) {
        let bug = self.config.bug;
        let listeners = self.listeners.clone();
        let SynodState::Acceptor { promised, accepted } = &mut self.state else { return };
        match msg {
            Msg::Prepare { ballot } => {
                let ok = ballot >= *promised || bug == Some(Bug::PromiseLowerBallot);
                if ok && ballot != *promised {
                    *promised = ballot;
                    let p = *promised;
                    self.persist(ctx, Key::Promised, Stored::Promised(p));
                }
                let SynodState::Acceptor { promised, accepted } = &self.state else { return };
                if ok {
                    ctx.observe(Obs::Promised { ballot });
                }
                let reply = Msg::Promise { ballot, ok, promised: *promised, accepted: *accepted };
                ctx.send(from, reply);
            }
            Msg::Accept { ballot, value } => {
                let ok = ballot >= *promised;
                if ok {
                    *promised = ballot;
                    *accepted = Some((ballot, value));
                    self.persist(ctx, Key::Promised, Stored::Promised(ballot));
                    self.persist(ctx, Key::Accepted, Stored::Accepted(ballot, value));
                    ctx.observe(Obs::Accepted);
                }
                let SynodState::Acceptor { promised, .. } = &self.state else { return };
                let reply = Msg::Accepted { ballot, ok, promised: *promised, value };
                if ok {
                    ctx.send_all(&listeners, &reply);
                }
                ctx.send(from, reply);
            }
            Msg::Query => {
                if let Some((ballot, value)) = *accepted {
                    ctx.send(from, Msg::Accepted { ballot, ok: true, promised: *promised, value });
                }
            }
            _ => {}
        }
    }

    fn learner_message(&mut self, ctx: &mut Ctx<'_, Synod>, from: ProcessId, msg: Msg) {
        let majority = self.majority();
        let SynodState::Learner { tally, learned } = &mut self.state else { return };
        if let Msg::Accepted { ballot, ok: true, value, .. } = msg {
            if learned.is_none() && count(tally, ballot, value, from.index(), majority) {
                *learned = Some(value);
                tally.clear();
                ctx.observe(Obs::Learned { value });
            }
        }
    }
}

impl Server<Synod> for SynodNode {
    fn on_start(&mut self, ctx: &mut Ctx<'_, Synod>) {
        let stored: Vec<Stored> = ctx.disk().durable().map(|(_, v)| v.clone()).collect();
        for v in stored {
            match (&mut self.state, v) {
                (SynodState::Proposer { seen_round, .. }, Stored::Round(r)) => *seen_round = r,
                (SynodState::Acceptor { promised, .. }, Stored::Promised(b)) => *promised = b,
                (SynodState::Acceptor { accepted, .. }, Stored::Accepted(b, v)) => *accepted = Some((b, v)),
                _ => {}
            }
        }
        match self.state {
            SynodState::Proposer { .. } => self.backoff(ctx),
            SynodState::Learner { .. } => ctx.set_timer(Timer::Ask, self.config.retry),
            SynodState::Acceptor { .. } => {}
        }
    }

    fn on_message(&mut self, ctx: &mut Ctx<'_, Synod>, from: ProcessId, msg: Msg) {
        match self.state {
            SynodState::Proposer { .. } => self.proposer_message(ctx, from, msg),
            SynodState::Acceptor { .. } => self.acceptor_message(ctx, from, msg),
            SynodState::Learner { .. } => self.learner_message(ctx, from, msg),
        }
    }

    fn on_timer(&mut self, ctx: &mut Ctx<'_, Synod>, timer: Timer) {
        match timer {
            Timer::Attempt => self.attempt(ctx),
            Timer::GiveUp(a) => {
                if let SynodState::Proposer { attempt, decided: false, .. } = self.state {
                    if attempt == a {
                        self.backoff(ctx);
                    }
                }
            }
            Timer::Ask => {
                if let SynodState::Learner { learned: None, .. } = self.state {
                    let acceptors = self.acceptors.clone();
                    ctx.send_all(&acceptors, &Msg::Query);
                    ctx.set_timer(Timer::Ask, self.config.retry);
                }
            }
        }
    }
}
