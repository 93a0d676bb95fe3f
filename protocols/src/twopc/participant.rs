//! A participant: holds a shard of the bank's accounts, locks them for a
//! transaction, votes, and applies or drops the transaction when told.
//!
//! Locks are strict two-phase: taken at execute (exclusive for a transfer's
//! accounts, shared for an audit's), without waiting (a conflict refuses
//! the transaction, so there are no deadlocks), and held until the decision.
//! A yes vote is logged and synced before it is sent: from then on the
//! participant may not decide alone; it is *in doubt* until it learns the
//! outcome, from the coordinator or (cooperative termination) a peer.

use super::types::{Key, Msg, Obs, Record, Timer, TxnId, TxnOp};
use super::{Bug, TwoPc};
use sim::{Ctx, ProcessId, Span};
use std::collections::BTreeMap;

#[derive(Clone, Debug, PartialEq, Eq)]
enum Lock {
    Free,
    Shared(Vec<TxnId>),
    Exclusive(TxnId),
}

#[derive(Clone, Debug)]
enum Stage {
    /// Executed: locks held, no vote yet.
    Active,
    /// Voted yes (durably): in doubt until the decision.
    Prepared { writes: Vec<(u32, i64)> },
}

#[derive(Clone, Debug)]
struct Txn {
    op: TxnOp,
    participants: Vec<u32>,
    stage: Stage,
    /// Local account offsets it has locked.
    locked: Vec<u32>,
    /// Inquiries made while in doubt.
    inquiries: u32,
}

#[derive(Clone)]
pub struct Participant {
    me: u32,
    /// The first account of this shard, and how many it holds.
    first: u32,
    balances: Vec<i64>,
    locks: Vec<Lock>,
    txns: BTreeMap<TxnId, Txn>,
    /// Outcomes this participant settled on. Commits (and the aborts it
    /// told a peer about) are durable; others are presumed.
    decided: BTreeMap<TxnId, bool>,
    next_lsn: u64,
}

impl Participant {
    pub fn new(me: u32, first: u32, accounts: u32, balance: i64) -> Participant {
        Participant {
            me,
            first,
            balances: vec![balance; accounts as usize],
            locks: vec![Lock::Free; accounts as usize],
            txns: BTreeMap::new(),
            decided: BTreeMap::new(),
            next_lsn: 0,
        }
    }

    /// The balances of this shard, first account first.
    pub fn balances(&self) -> &[i64] {
        &self.balances
    }

    pub fn first_account(&self) -> u32 {
        self.first
    }

    pub fn sum(&self) -> i64 {
        self.balances.iter().sum()
    }

    /// Transactions this participant voted yes for and has no outcome of.
    pub fn in_doubt(&self) -> impl Iterator<Item = TxnId> + '_ {
        self.txns.iter().filter(|(_, t)| matches!(t.stage, Stage::Prepared { .. })).map(|(id, _)| *id)
    }

    /// Accounts locked now (a shared lock counts once per holder).
    pub fn locks_held(&self) -> u32 {
        self.locks
            .iter()
            .map(|l| match l {
                Lock::Free => 0,
                Lock::Shared(h) => h.len() as u32,
                Lock::Exclusive(_) => 1,
            })
            .sum()
    }

    fn local(&self, account: u32) -> Option<u32> {
        account.checked_sub(self.first).filter(|a| (*a as usize) < self.balances.len())
    }

    fn append(&mut self, ctx: &mut Ctx<'_, TwoPc>, record: Record) {
        ctx.disk().put(Key::Log(self.next_lsn), record);
        self.next_lsn += 1;
    }

    pub fn on_start(&mut self, ctx: &mut Ctx<'_, TwoPc>) {
        // Replay the log: balances from commits' after-images, in-doubt
        // transactions back with their locks.
        let records: Vec<(u64, Record)> = ctx
            .disk()
            .durable_range(Key::Log(0)..)
            .filter_map(|(k, r)| match k {
                Key::Log(lsn) => Some((*lsn, r.clone())),
                Key::Incarnation => None,
            })
            .collect();
        for (lsn, record) in records {
            self.next_lsn = lsn + 1;
            match record {
                Record::Prepared { txn, writes, participants, reads } => {
                    let op = if reads { TxnOp::Audit } else { TxnOp::Transfer { from: 0, to: 0, amount: 0 } };
                    let mut t = Txn {
                        op,
                        participants,
                        stage: Stage::Prepared { writes },
                        locked: Vec::new(),
                        inquiries: 0,
                    };
                    let needed = self.needed_locks(&t.op, &t.stage);
                    for (account, exclusive) in needed {
                        self.take(txn, account, exclusive);
                        t.locked.push(account);
                    }
                    self.txns.insert(txn, t);
                }
                Record::Decided { txn, commit, after } => {
                    for (account, balance) in after {
                        if let Some(a) = self.local(account) {
                            self.balances[a as usize] = balance;
                        }
                    }
                    self.drop_txn(txn);
                    self.decided.insert(txn, commit);
                }
                _ => {}
            }
        }
        let in_doubt: Vec<TxnId> = self.in_doubt().collect();
        for txn in &in_doubt {
            // Ask at once: the coordinator may have decided long ago.
            ctx.set_timer(Timer::Inquire(*txn), Span::from_millis(1));
        }
        ctx.observe(Obs::Recovered { in_doubt, decisions: 0 });
    }

    /// The locks a transaction needs here: (local account, exclusive).
    fn needed_locks(&self, op: &TxnOp, stage: &Stage) -> Vec<(u32, bool)> {
        match (op, stage) {
            (TxnOp::Audit, _) => (0..self.balances.len() as u32).map(|a| (a, false)).collect(),
            // A recovered transfer knows only its writes.
            (_, Stage::Prepared { writes }) if !writes.is_empty() => {
                writes.iter().filter_map(|(acc, _)| self.local(*acc)).map(|a| (a, true)).collect()
            }
            (TxnOp::Transfer { from, to, .. }, _) => {
                let mut v: Vec<(u32, bool)> =
                    [*from, *to].iter().filter_map(|acc| self.local(*acc)).map(|a| (a, true)).collect();
                v.dedup();
                v
            }
        }
    }

    fn can_take(&self, account: u32, exclusive: bool) -> bool {
        matches!((&self.locks[account as usize], exclusive), (Lock::Free, _) | (Lock::Shared(_), false))
    }

    fn take(&mut self, txn: TxnId, account: u32, exclusive: bool) {
        let lock = &mut self.locks[account as usize];
        *lock = match std::mem::replace(lock, Lock::Free) {
            Lock::Shared(mut holders) if !exclusive => {
                holders.push(txn);
                Lock::Shared(holders)
            }
            _ if exclusive => Lock::Exclusive(txn),
            _ => Lock::Shared(vec![txn]),
        };
    }

    fn release(&mut self, txn: TxnId) {
        let Some(t) = self.txns.get_mut(&txn) else { return };
        let locked = std::mem::take(&mut t.locked);
        for account in locked {
            let lock = &mut self.locks[account as usize];
            *lock = match std::mem::replace(lock, Lock::Free) {
                Lock::Shared(mut holders) => {
                    holders.retain(|h| *h != txn);
                    if holders.is_empty() {
                        Lock::Free
                    } else {
                        Lock::Shared(holders)
                    }
                }
                Lock::Exclusive(holder) if holder != txn => Lock::Exclusive(holder),
                _ => Lock::Free,
            };
        }
    }

    fn drop_txn(&mut self, txn: TxnId) {
        self.release(txn);
        self.txns.remove(&txn);
    }

    pub fn on_message(&mut self, ctx: &mut Ctx<'_, TwoPc>, from: ProcessId, msg: Msg, config: &TwoPc) {
        match msg {
            Msg::Execute { txn, op, participants } => self.execute(ctx, from, txn, op, participants, config),
            Msg::Prepare { txn } => self.prepare(ctx, from, txn, config),
            Msg::Decision { txn, commit } => {
                let known = self.txns.contains_key(&txn);
                match self.decided.get(&txn) {
                    Some(&c) if c && commit => ctx.send(from, Msg::Ack { txn }),
                    Some(_) => {}
                    None if known => {
                        self.finish(ctx, txn, commit);
                        if commit {
                            ctx.send(from, Msg::Ack { txn });
                        }
                    }
                    None if commit => {
                        // Told to commit a transaction it holds no prepared
                        // record of: its vote was lost, and with it the
                        // writes. It cannot commit; the transaction is
                        // aborted here.
                        self.decided.insert(txn, false);
                        ctx.observe(Obs::Decided { txn, commit: false, presumed: false });
                        ctx.send(from, Msg::Ack { txn });
                    }
                    None => {}
                }
            }
            Msg::PeerInquire { txn } => self.answer_peer(ctx, from, txn),
            Msg::PeerAnswer { txn, commit } => {
                if matches!(self.txns.get(&txn).map(|t| &t.stage), Some(Stage::Prepared { .. })) {
                    ctx.observe(Obs::LearntFromPeer { txn, commit });
                    self.finish(ctx, txn, commit);
                }
            }
            _ => {}
        }
    }

    fn execute(
        &mut self,
        ctx: &mut Ctx<'_, TwoPc>,
        from: ProcessId,
        txn: TxnId,
        op: TxnOp,
        participants: Vec<u32>,
        config: &TwoPc,
    ) {
        if let Some(&commit) = self.decided.get(&txn) {
            ctx.send(from, Msg::Executed { txn, ok: commit });
            return;
        }
        if self.txns.contains_key(&txn) {
            ctx.send(from, Msg::Executed { txn, ok: true });
            return;
        }
        let stage = Stage::Active;
        let needed = self.needed_locks(&op, &stage);
        if !needed.iter().all(|(a, x)| self.can_take(*a, *x)) {
            ctx.send(from, Msg::Executed { txn, ok: false });
            return;
        }
        for (a, x) in &needed {
            self.take(txn, *a, *x);
        }
        let locked = needed.into_iter().map(|(a, _)| a).collect();
        self.txns.insert(txn, Txn { op, participants, stage, locked, inquiries: 0 });
        ctx.set_timer(Timer::PrepareTimeout(txn), config.prepare_timeout);
        ctx.send(from, Msg::Executed { txn, ok: true });
    }

    fn prepare(&mut self, ctx: &mut Ctx<'_, TwoPc>, from: ProcessId, txn: TxnId, config: &TwoPc) {
        let no = Msg::Vote { txn, yes: false, sum: None };
        let Some(t) = self.txns.get(&txn) else {
            // Never executed here, or already settled: a commit answers yes
            // again (a duplicate), anything else no.
            let yes = self.decided.get(&txn) == Some(&true);
            ctx.send(from, if yes { Msg::Vote { txn, yes, sum: None } } else { no });
            return;
        };
        if let Stage::Prepared { .. } = t.stage {
            let sum = matches!(t.op, TxnOp::Audit).then(|| self.sum());
            ctx.send(from, Msg::Vote { txn, yes: true, sum });
            return;
        }
        let (op, participants) = (t.op, t.participants.clone());
        let writes: Vec<(u32, i64)> = match op {
            TxnOp::Transfer { from: a, to: b, amount } => [(a, -amount), (b, amount)]
                .into_iter()
                .filter(|(acc, _)| self.local(*acc).is_some())
                .collect(),
            TxnOp::Audit => Vec::new(),
        };
        let overdrawn = writes.iter().any(|(acc, delta)| {
            *delta < 0 && self.local(*acc).is_some_and(|a| self.balances[a as usize] + delta < 0)
        });
        ctx.cancel_timer(&Timer::PrepareTimeout(txn));
        if overdrawn {
            ctx.observe(Obs::Voted { txn, yes: false, delta: 0, locks: 0 });
            self.drop_txn(txn);
            self.decided.insert(txn, false);
            ctx.observe(Obs::Decided { txn, commit: false, presumed: false });
            ctx.send(from, no);
            return;
        }
        // The vote is durable before it leaves: a participant that forgot
        // it after a crash could not keep its promise.
        let reads = matches!(op, TxnOp::Audit);
        self.append(ctx, Record::Prepared { txn, writes: writes.clone(), participants, reads });
        if config.bug != Some(Bug::VoteNotLogged) {
            ctx.disk().sync();
        }
        let delta = writes.iter().map(|(_, d)| d).sum();
        let locks = self.txns[&txn].locked.len() as u32;
        if let Some(t) = self.txns.get_mut(&txn) {
            t.stage = Stage::Prepared { writes };
        }
        ctx.observe(Obs::Voted { txn, yes: true, delta, locks });
        if config.bug == Some(Bug::EarlyRelease) {
            self.release(txn);
        }
        ctx.set_timer(Timer::Inquire(txn), config.inquiry);
        let sum = reads.then(|| self.sum());
        ctx.send(from, Msg::Vote { txn, yes: true, sum });
    }

    /// Applies or drops a transaction this participant knows.
    fn finish(&mut self, ctx: &mut Ctx<'_, TwoPc>, txn: TxnId, commit: bool) {
        let Some(t) = self.txns.get(&txn) else { return };
        let prepared = matches!(t.stage, Stage::Prepared { .. });
        // A participant that never voted yes cannot commit.
        let commit = commit && prepared;
        if commit {
            let Stage::Prepared { writes } = &t.stage else { return };
            let mut after = Vec::new();
            for &(account, delta) in writes {
                if let Some(a) = self.local(account) {
                    self.balances[a as usize] += delta;
                    after.push((account, self.balances[a as usize]));
                }
            }
            self.append(ctx, Record::Decided { txn, commit, after });
            ctx.disk().sync();
            ctx.observe(Obs::Applied { txn });
        } else if prepared {
            // Presumed abort: an abort need not be durable; a restart asks
            // again and hears abort again.
            self.append(ctx, Record::Decided { txn, commit, after: Vec::new() });
        }
        self.drop_txn(txn);
        self.decided.insert(txn, commit);
        ctx.cancel_timer(&Timer::Inquire(txn));
        ctx.cancel_timer(&Timer::PrepareTimeout(txn));
        ctx.observe(Obs::Decided { txn, commit, presumed: false });
    }

    fn answer_peer(&mut self, ctx: &mut Ctx<'_, TwoPc>, from: ProcessId, txn: TxnId) {
        if let Some(&commit) = self.decided.get(&txn) {
            ctx.send(from, Msg::PeerAnswer { txn, commit });
            return;
        }
        if matches!(self.txns.get(&txn).map(|t| &t.stage), Some(Stage::Prepared { .. })) {
            return; // in doubt too: it cannot help
        }
        // It has not voted yes, so the transaction cannot commit: abort it
        // here, durably (a later prepare must be refused), and say so.
        let known = self.txns.contains_key(&txn);
        self.append(ctx, Record::Decided { txn, commit: false, after: Vec::new() });
        ctx.disk().sync();
        self.drop_txn(txn);
        self.decided.insert(txn, false);
        ctx.cancel_timer(&Timer::PrepareTimeout(txn));
        if known {
            ctx.observe(Obs::Decided { txn, commit: false, presumed: false });
        }
        ctx.send(from, Msg::PeerAnswer { txn, commit: false });
    }

    pub fn on_timer(&mut self, ctx: &mut Ctx<'_, TwoPc>, timer: Timer, config: &TwoPc) {
        match timer {
            Timer::PrepareTimeout(txn) => {
                // Executed but never asked to vote: abort alone (allowed,
                // since it has not voted yes).
                if matches!(self.txns.get(&txn).map(|t| &t.stage), Some(Stage::Active)) {
                    self.drop_txn(txn);
                    self.decided.insert(txn, false);
                    ctx.observe(Obs::Decided { txn, commit: false, presumed: false });
                }
            }
            Timer::Inquire(txn) => {
                let Some(t) = self.txns.get_mut(&txn) else { return };
                if !matches!(t.stage, Stage::Prepared { .. }) {
                    return;
                }
                t.inquiries += 1;
                let (asked, peers) = (t.inquiries, t.participants.clone());
                if config.bug == Some(Bug::HeuristicDecision) && asked > 2 {
                    // The classic operator's shortcut: tired of waiting,
                    // decide alone.
                    let commit = ctx.rng().below(2) == 0;
                    self.finish(ctx, txn, commit);
                    return;
                }
                let coordinators: Vec<ProcessId> = ctx.members(super::Role::Coordinator).collect();
                let to = if config.replicated() && !coordinators.is_empty() {
                    // Any replica of the decision log can answer; go round.
                    let home = coordinators.iter().position(|c| c.index() == txn.coordinator).unwrap_or(0);
                    coordinators[(home + asked as usize - 1) % coordinators.len()]
                } else {
                    ProcessId::server(txn.coordinator)
                };
                ctx.send(to, Msg::Inquire { txn });
                if config.cooperative {
                    for p in peers.into_iter().filter(|p| *p != self.me) {
                        ctx.send(ProcessId::server(p), Msg::PeerInquire { txn });
                    }
                }
                ctx.set_timer(Timer::Inquire(txn), config.inquiry);
            }
            _ => {}
        }
    }
}
