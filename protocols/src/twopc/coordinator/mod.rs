//! A coordinator: runs each client request as a transaction through
//! execute, prepare and decide, and keeps the decision log.
//!
//! **Classic** (`decision_log = "coordinator"`): the coordinator logs a
//! commit and syncs it before anyone hears of it; aborts are not logged
//! (presumed abort: a transaction it has no record of is aborted). A
//! restarted coordinator reads its commits back and sends them again until
//! every participant acknowledged.
//!
//! **Replicated** (`decision_log = "replicated"`): every coordinator node is
//! also a replica of the decision log. A transaction's outcome is a value
//! agreed by the replicas (one Paxos instance per transaction): the
//! coordinator that runs it proposes commit with ballot 0, which only it
//! uses, and the commit is decided once a majority of replicas logged it. A
//! replica asked about a transaction whose outcome it does not know takes
//! it over with a higher ballot: a majority's promises show any commit that
//! may have been decided, and if none was, it decides abort. So no single
//! crash leaves participants in doubt.

use super::types::{Key, Msg, Obs, Record, Request, Timer, TxnId, TxnOp};
use super::{Bug, Role, TwoPc};
use sim::{Ctx, ProcessId};
use std::collections::BTreeMap;

mod replicated;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Phase {
    Executing,
    Voting,
    /// Replicated: waiting for a majority to log the commit.
    Logging,
    Committed,
    Aborted,
}

#[derive(Clone, Debug)]
struct Txn {
    req: Option<Request>,
    op: TxnOp,
    participants: Vec<u32>,
    phase: Phase,
    /// Participants that answered the current phase (or acked the commit),
    /// or replicas that logged the commit.
    answered: Vec<u32>,
    /// An audit's total over the yes votes.
    sum: i64,
    acks: Vec<u32>,
}

/// A replica's state for one transaction's decision.
#[derive(Clone, Debug, Default)]
struct Slot {
    promised: u32,
    accepted: Option<(u32, bool)>,
    participants: Vec<u32>,
    req: Option<Request>,
}

/// A takeover in progress.
#[derive(Clone, Debug)]
struct Takeover {
    ballot: u32,
    promises: Vec<u32>,
    best: Option<(u32, bool)>,
    participants: Vec<u32>,
    req: Option<Request>,
    /// The value proposed once a majority promised.
    proposing: Option<bool>,
    accepted: Vec<u32>,
    /// Participants waiting for the answer.
    asking: Vec<ProcessId>,
}

#[derive(Clone)]
pub struct Coordinator {
    me: u32,
    incarnation: u32,
    next_number: u32,
    next_lsn: u64,
    requests: BTreeMap<Request, TxnId>,
    txns: BTreeMap<TxnId, Txn>,
    slots: BTreeMap<TxnId, Slot>,
    takeovers: BTreeMap<TxnId, Takeover>,
}

impl Coordinator {
    pub fn new(me: u32) -> Coordinator {
        Coordinator {
            me,
            incarnation: 0,
            next_number: 0,
            next_lsn: 0,
            requests: BTreeMap::new(),
            txns: BTreeMap::new(),
            slots: BTreeMap::new(),
            takeovers: BTreeMap::new(),
        }
    }

    /// Transactions it runs that have not reached a decision.
    pub fn undecided(&self) -> usize {
        self.txns
            .values()
            .filter(|t| matches!(t.phase, Phase::Executing | Phase::Voting | Phase::Logging))
            .count()
    }

    fn append(&mut self, ctx: &mut Ctx<'_, TwoPc>, record: Record) {
        ctx.disk().put(Key::Log(self.next_lsn), record);
        self.next_lsn += 1;
    }

    pub fn on_start(&mut self, ctx: &mut Ctx<'_, TwoPc>, config: &TwoPc) {
        // A new incarnation, durable before any transaction is named in it.
        let incarnation = match ctx.disk().get(&Key::Incarnation) {
            Some(Record::Incarnation(i)) => *i + 1,
            _ => 1,
        };
        self.incarnation = incarnation;
        ctx.disk().put(Key::Incarnation, Record::Incarnation(incarnation));
        ctx.disk().sync();

        let records: Vec<(u64, Record)> = ctx
            .disk()
            .durable_range(Key::Log(0)..)
            .filter_map(|(k, r)| match k {
                Key::Log(lsn) => Some((*lsn, r.clone())),
                Key::Incarnation => None,
            })
            .collect();
        let mut unfinished: BTreeMap<TxnId, (Vec<u32>, Option<Request>)> = BTreeMap::new();
        for (lsn, record) in records {
            self.next_lsn = lsn + 1;
            match record {
                Record::Decision { txn, commit, participants, req, ballot } => {
                    let slot = self.slots.entry(txn).or_default();
                    slot.promised = slot.promised.max(ballot);
                    slot.accepted = Some((ballot, commit));
                    slot.participants = participants.clone();
                    slot.req = req;
                    if commit {
                        unfinished.insert(txn, (participants, req));
                    } else {
                        unfinished.remove(&txn);
                    }
                }
                Record::Promised { txn, ballot } => {
                    let slot = self.slots.entry(txn).or_default();
                    slot.promised = slot.promised.max(ballot);
                }
                Record::End { txn } => {
                    unfinished.remove(&txn);
                }
                _ => {}
            }
        }
        let decisions = unfinished.len() as u32;
        for (txn, (participants, req)) in unfinished {
            if let Some(req) = req.filter(|_| txn.coordinator == self.me) {
                self.requests.insert(req, txn);
            }
            if config.replicated() {
                // Logged here is not yet decided: ask the replicas.
                self.start_takeover(ctx, txn, None, config);
            } else {
                self.txns.insert(
                    txn,
                    Txn {
                        req,
                        op: TxnOp::Audit,
                        participants: participants.clone(),
                        phase: Phase::Committed,
                        answered: Vec::new(),
                        sum: 0,
                        acks: Vec::new(),
                    },
                );
                ctx.observe(Obs::Decided { txn, commit: true, presumed: false });
                for p in &participants {
                    ctx.send(ProcessId::server(*p), Msg::Decision { txn, commit: true });
                }
                ctx.set_timer(Timer::Resend(txn), config.resend);
            }
        }
        // Committed requests stay answerable after a restart. (With a
        // replicated log a commit logged here may not have been decided:
        // its request waits for the takeover started above.)
        for (txn, slot) in &self.slots {
            if let (Some(req), Some((_, true))) = (slot.req, slot.accepted) {
                if txn.coordinator == self.me {
                    self.requests.insert(req, *txn);
                }
            }
        }
        if config.bug == Some(Bug::ForgetsRequests) {
            // A seeded bug: the log is read for the participants' sake only.
            self.requests.clear();
        }
        ctx.observe(Obs::Recovered { in_doubt: Vec::new(), decisions });
    }

    pub fn on_message(&mut self, ctx: &mut Ctx<'_, TwoPc>, from: ProcessId, msg: Msg, config: &TwoPc) {
        match msg {
            Msg::Submit { req, op } => self.submit(ctx, req, op, config),
            Msg::Executed { txn, ok } => self.executed(ctx, from, txn, ok, config),
            Msg::Vote { txn, yes, sum } => self.vote(ctx, from, txn, yes, sum, config),
            Msg::Ack { txn } => self.ack(ctx, from, txn),
            Msg::Inquire { txn } => self.inquire(ctx, from, txn, config),
            Msg::Accept { txn, ballot, commit, participants, req } => {
                let ok = self.accept(ctx, txn, ballot, commit, participants, req);
                ctx.send(from, Msg::Accepted { txn, ballot, ok });
            }
            Msg::Accepted { txn, ballot, ok } => self.accepted(ctx, from.index(), txn, ballot, ok, config),
            Msg::Recover { txn, ballot } => {
                let reply = self.promise(ctx, txn, ballot);
                ctx.send(from, reply);
            }
            Msg::Promise { txn, ballot, ok, accepted, participants, req } => {
                self.promised(ctx, from.index(), txn, ballot, ok, (accepted, participants, req), config)
            }
            _ => {}
        }
    }

    fn submit(&mut self, ctx: &mut Ctx<'_, TwoPc>, req: Request, op: TxnOp, config: &TwoPc) {
        if let Some(txn) = self.requests.get(&req) {
            let running =
                self.txns.get(txn).is_some_and(|t| !matches!(t.phase, Phase::Committed | Phase::Aborted));
            if config.bug == Some(Bug::RetryAnswersCommit) && running {
                // A seeded bug: a request under way is as good as done.
                ctx.send(ProcessId::client(req.0), Msg::Outcome { seq: req.1, committed: true, total: None });
                return;
            }
            let outcome = match self.txns.get(txn).map(|t| (t.phase, t.op, t.sum)) {
                Some((Phase::Committed, op, sum)) => Some((true, matches!(op, TxnOp::Audit).then_some(sum))),
                Some((Phase::Aborted, _, _)) => Some((false, None)),
                Some(_) => None,
                // Its outcome is being recovered from the replicas.
                None if self.takeovers.contains_key(txn) => None,
                // Committed before a restart; an audit's total is gone.
                None => Some((true, None)),
            };
            if let Some((committed, total)) = outcome {
                ctx.send(ProcessId::client(req.0), Msg::Outcome { seq: req.1, committed, total });
            }
            return;
        }
        self.next_number += 1;
        let txn = TxnId { coordinator: self.me, incarnation: self.incarnation, number: self.next_number };
        let participants = config.participants_of(&op);
        self.requests.insert(req, txn);
        self.txns.insert(
            txn,
            Txn {
                req: Some(req),
                op,
                participants: participants.clone(),
                phase: Phase::Executing,
                answered: Vec::new(),
                sum: 0,
                acks: Vec::new(),
            },
        );
        ctx.observe(Obs::Began { txn, participants: participants.clone(), req });
        for p in &participants {
            ctx.send(ProcessId::server(*p), Msg::Execute { txn, op, participants: participants.clone() });
        }
        ctx.set_timer(Timer::Phase(txn), config.vote_timeout);
        if config.bug == Some(Bug::NoExecuteTimeout) {
            // A seeded bug: nothing times out while participants execute.
            ctx.cancel_timer(&Timer::Phase(txn));
        }
    }

    fn executed(&mut self, ctx: &mut Ctx<'_, TwoPc>, from: ProcessId, txn: TxnId, ok: bool, config: &TwoPc) {
        let Some(t) = self.txns.get_mut(&txn) else { return };
        if t.phase != Phase::Executing {
            return;
        }
        if !ok {
            self.abort(ctx, txn);
            return;
        }
        if !t.answered.contains(&from.index()) {
            t.answered.push(from.index());
        }
        if t.answered.len() == t.participants.len() {
            t.phase = Phase::Voting;
            t.answered.clear();
            ctx.observe(Obs::Preparing { txn });
            for p in t.participants.clone() {
                ctx.send(ProcessId::server(p), Msg::Prepare { txn });
            }
            ctx.set_timer(Timer::Phase(txn), config.vote_timeout);
        }
    }

    fn vote(
        &mut self,
        ctx: &mut Ctx<'_, TwoPc>,
        from: ProcessId,
        txn: TxnId,
        yes: bool,
        sum: Option<i64>,
        config: &TwoPc,
    ) {
        let Some(t) = self.txns.get_mut(&txn) else { return };
        if t.phase != Phase::Voting {
            return;
        }
        if !yes {
            self.abort(ctx, txn);
            return;
        }
        if !t.answered.contains(&from.index()) {
            t.answered.push(from.index());
            t.sum += sum.unwrap_or(0);
        }
        if t.answered.len() == t.participants.len() {
            self.commit(ctx, txn, config);
        }
    }

    /// Every participant voted yes (or, with a seeded bug, seemed to).
    fn commit(&mut self, ctx: &mut Ctx<'_, TwoPc>, txn: TxnId, config: &TwoPc) {
        let Some(t) = self.txns.get_mut(&txn) else { return };
        let (participants, req) = (t.participants.clone(), t.req);
        if config.replicated() {
            t.phase = Phase::Logging;
            t.answered.clear();
            let msg = Msg::Accept { txn, ballot: 0, commit: true, participants, req };
            self.send_replicas(ctx, &msg);
            ctx.set_timer(Timer::Phase(txn), config.vote_timeout);
            return;
        }
        self.append(ctx, Record::Decision { txn, commit: true, participants, req, ballot: 0 });
        if config.bug != Some(Bug::DecisionBeforeLog) {
            // The commit is durable before anyone hears of it.
            ctx.disk().sync();
        }
        self.announce(ctx, txn, true, config);
    }

    /// The outcome is decided: tell the participants and the client.
    fn announce(&mut self, ctx: &mut Ctx<'_, TwoPc>, txn: TxnId, commit: bool, config: &TwoPc) {
        let Some(t) = self.txns.get_mut(&txn) else { return };
        t.phase = if commit { Phase::Committed } else { Phase::Aborted };
        t.answered.clear();
        ctx.cancel_timer(&Timer::Phase(txn));
        ctx.observe(Obs::Decided { txn, commit, presumed: false });
        if commit && t.op == TxnOp::Audit {
            ctx.observe(Obs::AuditTotal { txn, total: t.sum });
        }
        for p in &t.participants {
            ctx.send(ProcessId::server(*p), Msg::Decision { txn, commit });
        }
        if let Some((client, seq)) = t.req {
            let total = (commit && t.op == TxnOp::Audit).then_some(t.sum);
            ctx.send(ProcessId::client(client), Msg::Outcome { seq, committed: commit, total });
        }
        if commit {
            ctx.set_timer(Timer::Resend(txn), config.resend);
        }
    }

    /// Presumed abort: nothing is logged; anyone who asks later hears abort.
    fn abort(&mut self, ctx: &mut Ctx<'_, TwoPc>, txn: TxnId) {
        let Some(t) = self.txns.get_mut(&txn) else { return };
        t.phase = Phase::Aborted;
        ctx.cancel_timer(&Timer::Phase(txn));
        ctx.observe(Obs::Decided { txn, commit: false, presumed: false });
        for p in &t.participants {
            ctx.send(ProcessId::server(*p), Msg::Decision { txn, commit: false });
        }
        if let Some((client, seq)) = t.req {
            ctx.send(ProcessId::client(client), Msg::Outcome { seq, committed: false, total: None });
        }
    }

    fn ack(&mut self, ctx: &mut Ctx<'_, TwoPc>, from: ProcessId, txn: TxnId) {
        let Some(t) = self.txns.get_mut(&txn) else { return };
        if t.phase != Phase::Committed || t.acks.contains(&from.index()) {
            return;
        }
        t.acks.push(from.index());
        if t.participants.iter().all(|p| t.acks.contains(p)) {
            ctx.cancel_timer(&Timer::Resend(txn));
            self.append(ctx, Record::End { txn });
        }
    }

    fn inquire(&mut self, ctx: &mut Ctx<'_, TwoPc>, from: ProcessId, txn: TxnId, config: &TwoPc) {
        match self.txns.get(&txn).map(|t| t.phase) {
            Some(Phase::Committed) => ctx.send(from, Msg::Decision { txn, commit: true }),
            Some(Phase::Aborted) => ctx.send(from, Msg::Decision { txn, commit: false }),
            // Still collecting votes: the answer will come.
            Some(_) => {}
            None if config.replicated() => self.start_takeover(ctx, txn, Some(from), config),
            None => {
                // No record: presumed abort.
                ctx.observe(Obs::Decided { txn, commit: false, presumed: true });
                ctx.send(from, Msg::Decision { txn, commit: false });
            }
        }
    }

    pub fn on_timer(&mut self, ctx: &mut Ctx<'_, TwoPc>, timer: Timer, config: &TwoPc) {
        match timer {
            Timer::Phase(txn) => {
                let Some(t) = self.txns.get(&txn) else { return };
                match t.phase {
                    Phase::Voting if config.bug == Some(Bug::TimeoutCountsAsYes) => {
                        // Silence taken for consent.
                        self.commit(ctx, txn, config);
                    }
                    Phase::Executing | Phase::Voting => self.abort(ctx, txn),
                    Phase::Logging => {
                        // Ask the replicas that have not logged it again.
                        let t = &self.txns[&txn];
                        let msg = Msg::Accept {
                            txn,
                            ballot: 0,
                            commit: true,
                            participants: t.participants.clone(),
                            req: t.req,
                        };
                        let missing: Vec<ProcessId> = ctx
                            .members(Role::Coordinator)
                            .filter(|c| !t.answered.contains(&c.index()))
                            .collect();
                        ctx.send_all(&missing, &msg);
                        ctx.set_timer(Timer::Phase(txn), config.vote_timeout);
                    }
                    Phase::Committed | Phase::Aborted => {}
                }
            }
            Timer::Resend(txn) => {
                // A background flush of the log: harmless for the correct
                // protocol, the only sync the decision-before-log bug gets.
                ctx.disk().sync();
                let Some(t) = self.txns.get(&txn) else { return };
                if t.phase != Phase::Committed {
                    return;
                }
                let missing: Vec<u32> =
                    t.participants.iter().copied().filter(|p| !t.acks.contains(p)).collect();
                if missing.is_empty() {
                    return;
                }
                for p in missing {
                    ctx.send(ProcessId::server(p), Msg::Decision { txn, commit: true });
                }
                ctx.set_timer(Timer::Resend(txn), config.resend);
            }
            Timer::Takeover(txn) if self.takeovers.contains_key(&txn) => {
                // No majority answered, or a higher ballot won: try again.
                let asking = self.takeovers.remove(&txn).map(|t| t.asking).unwrap_or_default();
                self.start_takeover(ctx, txn, None, config);
                if let Some(t) = self.takeovers.get_mut(&txn) {
                    t.asking.extend(asking);
                }
            }
            _ => {}
        }
    }
}
