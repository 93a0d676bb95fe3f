//! The proposer: phase 1 once when it takes the lead (for every slot from
//! the first it has not applied), then phase 2 for each slot; heartbeats
//! that carry the commit point and renew the lease.

use super::{PaxosNode, Proposal, Round};
use crate::paxos::types::{Accepted, Ballot, Command, Msg, Role, Snapshot, Timer};
use crate::paxos::{command_hash, Bug, MultiPaxos, Obs};
use sim::{Ctx, Span};

/// Heartbeat rounds remembered while their answers come in.
const ROUNDS_KEPT: u64 = 8;
/// Unanswered proposals resent per heartbeat.
const RESEND: usize = 64;

impl PaxosNode {
    /// Phase 1a: a ballot higher than any it has seen, promised by itself
    /// first, then asked of every other acceptor.
    pub(super) fn campaign(&mut self, ctx: &mut Ctx<'_, MultiPaxos>) {
        let round = self.seen_round.max(self.acceptor.promised().round).max(self.ballot.round) + 1;
        // shared-ballots: ballots carry no proposer, so two proposers can
        // pick the same one.
        let node = if self.config.bug == Some(Bug::SharedBallots) { 0 } else { self.me };
        let ballot = Ballot { round, node };
        self.reset_election(ctx);
        if self.lease_blocks(ctx, self.me) || !self.acceptor.promise(ctx, ballot, self.config.bug) {
            return;
        }
        ctx.observe(Obs::Promised { ballot });
        self.seen_round = round;
        self.role = Role::Candidate;
        self.ballot = ballot;
        self.leader = None;
        self.promised_by = vec![self.me];
        self.recovered.clear();
        self.recovered_snapshot = None;
        for a in self.acceptor.accepted_from(self.applied) {
            self.recovered.insert(a.slot, a);
        }
        let from = self.applied;
        for p in self.others().collect::<Vec<_>>() {
            ctx.send(p, Msg::Prepare { ballot, from });
        }
        if self.promised_by.len() >= self.quorum() {
            self.lead(ctx);
        }
    }

    #[allow(clippy::too_many_arguments)]
    pub(super) fn on_promise(
        &mut self,
        ctx: &mut Ctx<'_, MultiPaxos>,
        from: u32,
        ballot: Ballot,
        ok: bool,
        promised: Ballot,
        accepted: Vec<Accepted>,
        snapshot: Option<Box<Snapshot>>,
    ) {
        if self.role != Role::Candidate || ballot != self.ballot {
            return;
        }
        if !ok {
            self.seen_round = self.seen_round.max(promised.round);
            if promised > self.ballot {
                // Outbid: back off for a random while before trying again.
                self.step_down(ctx);
            }
            return;
        }
        if self.promised_by.contains(&from) {
            return;
        }
        self.promised_by.push(from);
        for a in accepted {
            // ignore-promised-values: what the acceptors report is dropped.
            if self.config.bug == Some(Bug::IgnorePromisedValues) {
                self.recovered.entry(a.slot).or_insert(Accepted { command: Command::Noop, ..a });
                continue;
            }
            match self.recovered.get(&a.slot) {
                Some(mine) if mine.ballot >= a.ballot => {}
                _ => {
                    self.recovered.insert(a.slot, a);
                }
            }
        }
        if let Some(s) = snapshot {
            if self.recovered_snapshot.as_ref().is_none_or(|mine| mine.index < s.index) {
                self.recovered_snapshot = Some(s);
            }
        }
        if self.promised_by.len() >= self.quorum() {
            self.lead(ctx);
        }
    }

    /// A majority promised: the ballot is ours for every slot from the
    /// first we have not applied. Slots the promises reported get the value
    /// of the highest ballot; gaps below the highest reported slot get a
    /// no-op; the rest are free for new commands.
    fn lead(&mut self, ctx: &mut Ctx<'_, MultiPaxos>) {
        if let Some(s) = self.recovered_snapshot.take() {
            if s.index > self.applied {
                self.install(ctx, *s);
            }
        }
        self.role = Role::Leader;
        self.leader = Some(self.me);
        ctx.observe(Obs::BecameLeader { ballot: self.ballot });
        let mut recovered = std::mem::take(&mut self.recovered);
        if self.config.bug == Some(Bug::SkipPhase1Unseen) {
            // skip-phase1-unseen: slots beyond what this proposer saw
            // itself are taken as free.
            let seen = self.acceptor.highest_slot().unwrap_or(0).max(self.applied);
            recovered.retain(|slot, _| *slot <= seen);
        }
        let first = self.applied;
        let last = recovered.keys().next_back().copied().filter(|&s| s >= first);
        self.next_slot = first;
        self.commit = first;
        self.proposals.clear();
        self.waiting.clear();
        self.rounds.clear();
        self.lease_until = None;
        self.last_quorum = ctx.monotonic();
        if let Some(last) = last {
            for slot in first..=last {
                if self.chosen.contains_key(&slot) {
                    continue;
                }
                let command = match recovered.remove(&slot) {
                    Some(a) => {
                        ctx.observe(Obs::Adopted { slot, from: a.ballot });
                        a.command
                    }
                    None => {
                        ctx.observe(Obs::GapFilled { slot });
                        Command::Noop
                    }
                };
                self.propose(ctx, slot, command);
            }
            self.next_slot = last + 1;
        }
        self.recovery_end = self.next_slot;
        self.advance_commit(ctx);
        self.heartbeat(ctx);
    }

    /// Phase 2a for one slot.
    pub(super) fn propose(&mut self, ctx: &mut Ctx<'_, MultiPaxos>, slot: u64, command: Command) {
        let ballot = self.ballot;
        ctx.observe(Obs::Proposed { slot, ballot, hash: command_hash(&command) });
        let mut acks = Vec::new();
        if self.acceptor.accept(ctx, ballot, slot, &command, self.config.bug) {
            ctx.observe(Obs::Accepted { slot });
            acks.push(self.me);
        }
        let commit = self.commit;
        for p in self.others().collect::<Vec<_>>() {
            ctx.send(p, Msg::Accept { ballot, slot, command: command.clone(), commit });
        }
        self.proposals.insert(slot, Proposal { command, acks });
        self.count(ctx, slot);
    }

    pub(super) fn on_accept_reply(
        &mut self,
        ctx: &mut Ctx<'_, MultiPaxos>,
        from: u32,
        ballot: Ballot,
        slot: u64,
        ok: bool,
        promised: Ballot,
    ) {
        if !ok {
            self.see(ctx, promised);
            return;
        }
        if self.role != Role::Leader || ballot != self.ballot {
            return;
        }
        if let Some(p) = self.proposals.get_mut(&slot) {
            if !p.acks.contains(&from) {
                p.acks.push(from);
            }
            self.count(ctx, slot);
        }
    }

    /// A proposal a quorum accepted is chosen.
    fn count(&mut self, ctx: &mut Ctx<'_, MultiPaxos>, slot: u64) {
        let quorum = self.quorum();
        if self.proposals.get(&slot).is_some_and(|p| p.acks.len() >= quorum) {
            let p = self.proposals.remove(&slot).expect("just seen");
            self.chosen.insert(slot, p.command);
            self.advance_commit(ctx);
        }
    }

    fn advance_commit(&mut self, ctx: &mut Ctx<'_, MultiPaxos>) {
        while self.chosen.contains_key(&self.commit) || self.commit < self.applied {
            self.commit += 1;
        }
        self.apply(ctx);
    }

    /// Liveness, the commit point, resends, and a lease round.
    pub(super) fn heartbeat(&mut self, ctx: &mut Ctx<'_, MultiPaxos>) {
        let now = ctx.monotonic();
        // A leader that has not heard from a majority for two leases and
        // two election timeouts gives up, so a cut-off leader does not
        // linger (and a new one has long since been elected).
        let patience = (self.config.lease + self.config.election_timeout.1) * 2;
        if now.saturating_since(self.last_quorum) > patience {
            self.step_down(ctx);
            return;
        }
        self.round += 1;
        let round = self.round;
        self.rounds.insert(round, Round { sent: now, acks: vec![self.me] });
        self.rounds.retain(|r, _| *r + ROUNDS_KEPT > round);
        if self.uses_leases() {
            self.grant = Some((Some(self.me), now + self.config.lease));
        }
        let (ballot, commit) = (self.ballot, self.commit);
        let others: Vec<_> = self.others().collect();
        for &p in &others {
            ctx.send(p, Msg::Heartbeat { ballot, commit, round });
        }
        // Accepts lost on the way are sent again to whoever has not taken
        // them.
        let resend: Vec<(u64, Command, Vec<u32>)> = self
            .proposals
            .iter()
            .take(RESEND)
            .map(|(slot, p)| (*slot, p.command.clone(), p.acks.clone()))
            .collect();
        for (slot, command, acks) in resend {
            for &p in &others {
                if !acks.contains(&p.index()) {
                    ctx.send(p, Msg::Accept { ballot, slot, command: command.clone(), commit });
                }
            }
        }
        ctx.set_timer(Timer::Heartbeat, self.config.heartbeat);
        self.count_round(ctx, round);
    }

    pub(super) fn on_heartbeat_reply(
        &mut self,
        ctx: &mut Ctx<'_, MultiPaxos>,
        from: u32,
        ballot: Ballot,
        round: u64,
        ok: bool,
        promised: Ballot,
    ) {
        if !ok {
            self.see(ctx, promised);
            return;
        }
        if self.role != Role::Leader || ballot != self.ballot {
            return;
        }
        if let Some(r) = self.rounds.get_mut(&round) {
            if !r.acks.contains(&from) {
                r.acks.push(from);
            }
            self.count_round(ctx, round);
        }
    }

    /// A majority answered the round sent at `sent`: every one of them
    /// promises no one else for `lease` on its own clock from when it got
    /// it, which is after `sent`. Our clock may run slower than theirs by
    /// up to the drift bound, so our lease ends that much earlier.
    fn count_round(&mut self, ctx: &mut Ctx<'_, MultiPaxos>, round: u64) {
        let Some(r) = self.rounds.get(&round) else { return };
        if r.acks.len() < self.quorum() {
            return;
        }
        let sent = r.sent;
        self.rounds.retain(|k, _| *k > round);
        self.last_quorum = self.last_quorum.max(sent);
        if self.uses_leases() {
            let until = sent + self.lease_span();
            if self.lease_until.is_none_or(|u| u < until) {
                self.lease_until = Some(until);
            }
        }
        let _ = ctx;
    }

    /// The lease as this leader may count it on its own clock.
    fn lease_span(&self) -> Span {
        let lease = self.config.lease;
        // lease-without-drift-bound: the full lease, as if clocks never
        // drifted.
        let bound = if self.config.bug == Some(Bug::LeaseWithoutDriftBound) {
            0
        } else {
            self.config.drift_bound_ppm
        };
        Span(lease.0 - (lease.0 as u128 * bound as u128 / 1_000_000) as u64)
    }
}
