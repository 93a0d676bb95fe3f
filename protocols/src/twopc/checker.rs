//! Two-phase commit's properties, from what nodes observe and what their
//! state holds.
//!
//! Money is counted from the participants' own balances: after a step in
//! which a participant applied a commit or restarted, its shard's sum is
//! read again from its state (a cost per step bounded by the accounts of
//! one shard, whatever the length of the run). A transfer committed by the
//! coordinator but applied at only some of its participants is *in flight*:
//! the changes its other participants voted to make still count, so the
//! total holds while a transaction is half applied. A participant that
//! restarts in doubt about a transaction it had applied (it cannot: the
//! commit's record is synced with the balances, but a bug could) makes the
//! change count as in flight again.
//!
//! What clients are told is judged from the history. A client numbers its
//! requests by its invocations (its n-th operation is request n), and a
//! coordinator names the request each transaction runs when it begins it,
//! so each completion meets the decisions of its request's transactions:
//! ok needs a commit, fail needs none (*outcome-told*, also judged when a
//! decision comes after the answer), and a request commits in one
//! transaction at most, nor is run again once it committed
//! (*exactly-once*). *requests-complete* is
//! [`Liveness`] (operations invoked after the heal complete) plus: every
//! transaction begun before the last half of the settle phase was decided,
//! unless its coordinator crashed before deciding it (presumed abort: its
//! participants abort on their own, and nobody may record it).

use super::types::{Obs, Request, TxnId};
use super::{Prop, Role, TwoPc};
use crate::kv::Liveness;
use sim::history::EventKind;
use sim::metrics::percentile;
use sim::{Checker, FaultAction, HistoryEvent, Metric, Observed, Setup, Span, Time, Verdicts, World};
use std::collections::BTreeMap;

/// Where a transaction stands at the coordinator running it, as far as
/// a crash of that coordinator is concerned.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
enum Stage {
    #[default]
    Unknown,
    Executing,
    Voting,
    /// Committed, not yet applied by every participant.
    Committing,
    Done,
}

#[derive(Default)]
struct Txn {
    stage: Stage,
    participants: Vec<u32>,
    /// Yes votes: participant and the change it makes to the total.
    yes: Vec<(u32, i64)>,
    applied: Vec<u32>,
    /// The coordinators' decision.
    decision: Option<bool>,
    committed_at: Option<u32>,
    aborted_at: Option<u32>,
    /// The client request it runs, and when it began.
    req: Option<Request>,
    began: Option<Time>,
    /// Its coordinator crashed before deciding it.
    lost: bool,
}

/// What a client request was told, and which transactions ran it.
#[derive(Default)]
struct Req {
    txns: Vec<TxnId>,
    /// The answer its client completed with: true for ok.
    told: Option<bool>,
}

impl Txn {
    fn delta(&self, p: u32) -> i64 {
        self.yes.iter().find(|(q, _)| *q == p).map_or(0, |(_, d)| *d)
    }
}

/// A participant in doubt: since when, and how many locks it holds.
struct Doubt {
    since: Time,
    locks: u32,
}

pub struct TwoPcChecker {
    config: TwoPc,
    total: i64,
    shard_sums: BTreeMap<u32, i64>,
    sum: i64,
    in_flight: i64,
    txns: BTreeMap<TxnId, Txn>,
    doubts: BTreeMap<(TxnId, u32), Doubt>,
    /// Ended in-doubt periods, in nanoseconds.
    durations: Vec<u64>,
    locks_now: u32,
    locks_max: u32,
    lock_ns: u128,
    last_change: Time,
    committed: u64,
    aborted: u64,
    in_doubt_txns: u64,
    /// Coordinator crashes: all, and those that struck while one of its
    /// transactions was executing, voting, or committed but not applied
    /// everywhere.
    crashes: [u64; 4],
    /// Per client: how many operations it invoked (its request number).
    seqs: BTreeMap<u32, u64>,
    requests: BTreeMap<Request, Req>,
    liveness: Liveness,
    /// Transactions begun before this are judged by requests-complete.
    judge_before: Time,
}

impl TwoPcChecker {
    pub fn new(config: TwoPc, setup: &Setup) -> TwoPcChecker {
        let settle = setup.end.saturating_since(setup.settle_start);
        let shard = config.accounts as i64 * config.balance;
        let shard_sums: BTreeMap<u32, i64> = config.participants.iter().map(|p| (*p, shard)).collect();
        TwoPcChecker {
            total: config.total(),
            sum: shard_sums.values().sum(),
            shard_sums,
            config,
            in_flight: 0,
            txns: BTreeMap::new(),
            doubts: BTreeMap::new(),
            durations: Vec::new(),
            locks_now: 0,
            locks_max: 0,
            lock_ns: 0,
            last_change: Time::ZERO,
            committed: 0,
            aborted: 0,
            in_doubt_txns: 0,
            crashes: [0; 4],
            seqs: BTreeMap::new(),
            requests: BTreeMap::new(),
            liveness: Liveness::new(setup.settle_start),
            judge_before: setup.end - Span::from_nanos(settle.nanos() / 2),
        }
    }

    /// A request's transaction was decided: commits at most once, and
    /// agrees with what its client was already told.
    fn request_decided(&mut self, txn: TxnId, commit: bool, v: &mut Verdicts<Prop>) {
        let Some(req) = self.txns.get(&txn).and_then(|t| t.req) else { return };
        let r = self.requests.entry(req).or_default();
        let (client, seq) = req;
        if commit {
            let other = r
                .txns
                .iter()
                .find(|t| **t != txn && self.txns.get(t).is_some_and(|t| t.decision == Some(true)));
            if let Some(other) = other {
                v.violated(
                    Prop::ExactlyOnce,
                    format!("c{client}'s request {seq} committed twice: in {other} and in {txn}"),
                );
            }
        }
        if r.told == Some(!commit)
            && (commit || !r.txns.iter().any(|t| self.txns.get(t).is_some_and(|t| t.decision == Some(true))))
        {
            let word = if commit { "committed" } else { "aborted" };
            let told = if commit { "fail" } else { "ok" };
            v.violated(
                Prop::OutcomeTold,
                format!("c{client}'s request {seq} was told {told}, and then {txn} {word} it"),
            );
        }
    }

    fn locks_change(&mut self, now: Time, add: u32, remove: u32) {
        self.lock_ns += self.locks_now as u128 * (now - self.last_change).nanos() as u128;
        self.last_change = now;
        self.locks_now = self.locks_now + add - remove.min(self.locks_now + add);
        self.locks_max = self.locks_max.max(self.locks_now);
    }

    /// Reads a participant's balances again.
    fn reread(&mut self, world: &World<'_, TwoPc>, p: u32, v: &mut Verdicts<Prop>) {
        let Some(part) = world.server(p).and_then(|n| n.participant()) else { return };
        let sum = part.sum();
        let old = self.shard_sums.insert(p, sum).unwrap_or(0);
        self.sum += sum - old;
        if let Some((i, b)) = part.balances().iter().enumerate().find(|(_, b)| **b < 0) {
            v.violated(
                Prop::NoNegativeBalance,
                format!("account {} at n{p} holds {b}", part.first_account() + i as u32),
            );
        }
    }

    fn coordinator_decided(&mut self, from: u32, txn: TxnId, commit: bool, v: &mut Verdicts<Prop>) {
        let t = self.txns.entry(txn).or_default();
        match t.decision {
            Some(d) if d != commit => {
                let word = |c: bool| if c { "commit" } else { "abort" };
                v.violated(
                    Prop::DecisionStable,
                    format!("n{from} says {} for {txn}, decided {} before", word(commit), word(d)),
                );
            }
            Some(_) => {}
            None => {
                t.decision = Some(commit);
                t.stage =
                    if commit && t.applied.len() < t.yes.len() { Stage::Committing } else { Stage::Done };
                if !commit {
                    self.aborted += 1;
                    return;
                }
                self.committed += 1;
                if let Some(p) = t.participants.iter().find(|p| !t.yes.iter().any(|(q, _)| q == *p)) {
                    v.violated(
                        Prop::CommitNeedsAllYes,
                        format!("n{from} committed {txn} without a yes vote from n{p}"),
                    );
                }
                let pending: i64 = t.yes.iter().filter(|(p, _)| !t.applied.contains(p)).map(|(_, d)| d).sum();
                self.in_flight += pending;
            }
        }
    }

    fn participant_decided(&mut self, now: Time, p: u32, txn: TxnId, commit: bool, v: &mut Verdicts<Prop>) {
        if let Some(d) = self.doubts.remove(&(txn, p)) {
            self.durations.push((now - d.since).nanos());
            self.locks_change(now, 0, d.locks);
        }
        let t = self.txns.entry(txn).or_default();
        let other = if commit { t.aborted_at } else { t.committed_at };
        if let Some(q) = other {
            let (c, a) = if commit { (p, q) } else { (q, p) };
            v.violated(Prop::Atomicity, format!("{txn} committed at n{c} and aborted at n{a}"));
        }
        if commit {
            t.committed_at.get_or_insert(p);
        } else {
            t.aborted_at.get_or_insert(p);
        }
    }
}

impl Checker<TwoPc> for TwoPcChecker {
    fn on_invoke(&mut self, invoke: &HistoryEvent, _v: &mut Verdicts<Prop>) {
        *self.seqs.entry(invoke.process).or_default() += 1;
    }

    fn on_complete(&mut self, invoke: &HistoryEvent, completion: &HistoryEvent, v: &mut Verdicts<Prop>) {
        self.liveness.on_complete(invoke, completion);
        let told = match completion.kind {
            EventKind::Ok => true,
            EventKind::Fail => false,
            EventKind::Info | EventKind::Invoke => return,
        };
        // One operation at a time per client: the completion is of its
        // latest request.
        let seq = self.seqs.get(&invoke.process).copied().unwrap_or(0);
        let r = self.requests.entry((invoke.process, seq)).or_default();
        r.told = Some(told);
        let committed = r.txns.iter().find(|t| self.txns.get(t).is_some_and(|t| t.decision == Some(true)));
        match (told, committed) {
            (true, None) => {
                let what = match r.txns.last() {
                    None => "no transaction ran it".to_string(),
                    Some(t) => match self.txns.get(t).and_then(|t| t.decision) {
                        Some(_) => format!("{t} aborted it"),
                        None => format!("{t} has not been decided"),
                    },
                };
                v.violated(
                    Prop::OutcomeTold,
                    format!("c{}'s {} (request {seq}) completed ok, but {what}", invoke.process, invoke.op),
                );
            }
            (false, Some(t)) => v.violated(
                Prop::OutcomeTold,
                format!("c{}'s {} (request {seq}) failed, but {t} committed it", invoke.process, invoke.op),
            ),
            _ => {}
        }
    }

    fn after_step(
        &mut self,
        world: &World<'_, TwoPc>,
        observations: &[Observed<Obs>],
        v: &mut Verdicts<Prop>,
    ) {
        let now = world.now();
        let mut money_moved = false;
        for o in observations {
            let from = o.from.index();
            let coordinator = world.role_of(from) == Some(Role::Coordinator);
            match &o.obs {
                Obs::Began { txn, participants, req } => {
                    let t = self.txns.entry(*txn).or_default();
                    t.participants = participants.clone();
                    t.stage = Stage::Executing;
                    t.req = Some(*req);
                    t.began.get_or_insert(now);
                    let r = self.requests.entry(*req).or_default();
                    if !r.txns.contains(txn) {
                        let txns = &self.txns;
                        let done =
                            r.txns.iter().find(|t| txns.get(t).is_some_and(|t| t.decision == Some(true)));
                        if let Some(done) = done {
                            v.violated(
                                Prop::ExactlyOnce,
                                format!("n{from} runs c{}'s request {} again as {txn}, though {done} committed it", req.0, req.1),
                            );
                        }
                        r.txns.push(*txn);
                    }
                }
                Obs::Preparing { txn } => self.txns.entry(*txn).or_default().stage = Stage::Voting,
                Obs::Voted { txn, yes: false, .. } => {
                    let _ = txn;
                    v.fired(Prop::VotedNo);
                }
                Obs::Voted { txn, yes: true, delta, locks } => {
                    let t = self.txns.entry(*txn).or_default();
                    if !t.yes.iter().any(|(q, _)| *q == from) {
                        t.yes.push((from, *delta));
                        if t.yes.len() == 1 {
                            self.in_doubt_txns += 1;
                        }
                    }
                    if let std::collections::btree_map::Entry::Vacant(e) = self.doubts.entry((*txn, from)) {
                        e.insert(Doubt { since: now, locks: *locks });
                        self.locks_change(now, *locks, 0);
                    }
                }
                Obs::Decided { txn, commit, presumed } if coordinator => {
                    if *presumed {
                        v.fired(Prop::PresumedAbort);
                    }
                    let first = self.txns.get(txn).is_none_or(|t| t.decision.is_none());
                    self.coordinator_decided(from, *txn, *commit, v);
                    if first {
                        self.request_decided(*txn, *commit, v);
                    }
                    money_moved = true;
                }
                Obs::Decided { txn, commit, .. } => self.participant_decided(now, from, *txn, *commit, v),
                Obs::LearntFromPeer { .. } => v.fired(Prop::LearntFromPeer),
                Obs::RecoveredDecision { .. } => v.fired(Prop::CoordinatorRecovered),
                Obs::AuditTotal { txn, total } => {
                    if *total != self.total {
                        v.violated(
                            Prop::AuditsSerializable,
                            format!("audit {txn} read a total of {total}, not {}", self.total),
                        );
                    }
                }
                Obs::Applied { txn } => {
                    let t = self.txns.entry(*txn).or_default();
                    if !t.applied.contains(&from) {
                        t.applied.push(from);
                        if t.decision == Some(true) {
                            self.in_flight -= t.delta(from);
                        }
                        if t.stage == Stage::Committing && t.applied.len() >= t.yes.len() {
                            t.stage = Stage::Done;
                        }
                    }
                    self.reread(world, from, v);
                    money_moved = true;
                }
                Obs::Recovered { decisions, .. } if coordinator => {
                    if *decisions > 0 {
                        v.fired(Prop::CoordinatorRecovered);
                    }
                }
                Obs::Recovered { in_doubt, .. } => {
                    for txn in in_doubt {
                        let t = self.txns.entry(*txn).or_default();
                        if let Some(i) = t.applied.iter().position(|q| *q == from) {
                            t.applied.swap_remove(i);
                            if t.decision == Some(true) {
                                self.in_flight += t.delta(from);
                            }
                        }
                    }
                    self.reread(world, from, v);
                    money_moved = true;
                }
            }
        }
        if money_moved && self.sum + self.in_flight != self.total {
            v.violated(
                Prop::MoneyConserved,
                format!(
                    "the balances add up to {} and committed transfers not yet applied to {}: {} in all, not {}",
                    self.sum,
                    self.in_flight,
                    self.sum + self.in_flight,
                    self.total
                ),
            );
        }
    }

    fn on_fault(&mut self, fault: &FaultAction, world: &World<'_, TwoPc>, _v: &mut Verdicts<Prop>) {
        let FaultAction::Crash { node } = fault else { return };
        if !node.is_server() || world.role_of(node.index()) != Some(Role::Coordinator) {
            return;
        }
        // Once per crash, not per step: a scan of the transactions is fine.
        let mut seen = [false; 4];
        for (_, t) in self.txns.iter_mut().filter(|(txn, _)| txn.coordinator == node.index()) {
            match t.stage {
                Stage::Executing => seen[1] = true,
                Stage::Voting => seen[2] = true,
                Stage::Committing => seen[3] = true,
                Stage::Unknown | Stage::Done => {}
            }
            // What it was running is lost with it.
            if matches!(t.stage, Stage::Executing | Stage::Voting) {
                t.stage = Stage::Done;
                t.lost |= t.decision.is_none();
            }
        }
        seen[0] = true;
        for (count, seen) in self.crashes.iter_mut().zip(seen) {
            *count += seen as u64;
        }
    }

    fn at_end(&mut self, world: &World<'_, TwoPc>, v: &mut Verdicts<Prop>) {
        let now = world.now();
        for &p in &self.config.participants {
            let Some(part) = world.server(p).and_then(|n| n.participant()) else {
                v.violated(Prop::NoInDoubt, format!("n{p} is down at the end of the run"));
                continue;
            };
            if let Some(txn) = part.in_doubt().next() {
                let since = self.doubts.get(&(txn, p)).map_or(String::from("?"), |d| d.since.approx());
                v.violated(
                    Prop::NoInDoubt,
                    format!(
                        "n{p} is still in doubt about {} transaction(s) after the settle phase (first: {txn}, voted yes at {since})",
                        part.in_doubt().count()
                    ),
                );
            }
            let held = part.locks_held();
            if held > 0 {
                v.violated(
                    Prop::LocksReleased,
                    format!("n{p} still holds {held} lock(s) after the settle phase"),
                );
            }
        }
        if let Some(why) = self.liveness.requests_complete() {
            v.violated(Prop::RequestsComplete, why);
        } else {
            let undecided = self.txns.iter().find(|(_, t)| {
                t.decision.is_none() && !t.lost && t.began.is_some_and(|b| b < self.judge_before)
            });
            if let Some((txn, t)) = undecided {
                v.violated(
                    Prop::RequestsComplete,
                    format!(
                        "{txn}, begun at {}, was never decided (its coordinator's last step: {:?})",
                        t.began.map_or(String::new(), |b| b.approx()),
                        t.stage
                    ),
                );
            }
        }
        if let Some(bound) = self.config.max_in_doubt {
            let longest_open = self.doubts.iter().map(|((t, p), d)| ((now - d.since).nanos(), *t, *p)).max();
            if let Some((ns, txn, p)) = longest_open.filter(|(ns, _, _)| *ns > bound.nanos()) {
                v.violated(
                    Prop::NoBlocking,
                    format!(
                        "n{p} has been in doubt about {txn} for {} (bound {bound})",
                        sim::Span(ns).approx()
                    ),
                );
            } else if let Some(&ns) = self.durations.iter().filter(|ns| **ns > bound.nanos()).max() {
                v.violated(
                    Prop::NoBlocking,
                    format!(
                        "a participant was in doubt for {}, longer than the bound {bound}",
                        sim::Span(ns).approx()
                    ),
                );
            }
        }
    }

    fn metrics(&self, world: &World<'_, TwoPc>) -> Vec<Metric> {
        let now = world.now();
        let mut sorted = self.durations.clone();
        sorted.extend(self.doubts.values().map(|d| (now - d.since).nanos()));
        sorted.sort_unstable();
        let ms = |q: u64| percentile(&sorted, q).map_or(0.0, |ns| ns as f64 / 1e6);
        let blocked = sorted.iter().filter(|ns| **ns > self.config.inquiry.nanos()).count();
        let lock_ns = self.lock_ns + self.locks_now as u128 * (now - self.last_change).nanos() as u128;
        vec![
            Metric::new("transactions committed", self.committed as f64, ""),
            Metric::new("transactions aborted", self.aborted as f64, ""),
            Metric::new("transactions in doubt", self.in_doubt_txns as f64, ""),
            Metric::new("in doubt past one inquiry", blocked as f64, ""),
            Metric::new("in-doubt p50", ms(50), "ms"),
            Metric::new("in-doubt p99", ms(99), "ms"),
            Metric::new("in-doubt max", ms(100), "ms"),
            Metric::new("locks held in doubt, max", self.locks_max as f64, ""),
            Metric::new("lock-seconds in doubt", lock_ns as f64 / 1e9, "s"),
            Metric::new("coordinator crashes", self.crashes[0] as f64, ""),
            Metric::new("coordinator crashes while executing", self.crashes[1] as f64, ""),
            Metric::new("coordinator crashes while voting", self.crashes[2] as f64, ""),
            Metric::new("coordinator crashes with a commit unapplied", self.crashes[3] as f64, ""),
        ]
    }
}
