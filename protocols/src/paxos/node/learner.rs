//! The learner: which values are chosen, applying them in slot order,
//! compaction, and catching up from the leader.
//!
//! A follower learns a slot from the leader's commit point: every slot below
//! it is chosen, and the value it accepted there in the leader's own ballot
//! is the chosen one (a leader proposes one value per slot per ballot, and a
//! value chosen earlier is the one it re-proposed). Slots it has no such
//! value for it asks the leader for.

use super::PaxosNode;
use crate::kv::{Applied, Command};
use crate::paxos::types::{Ballot, Msg, Role, Snapshot};
use crate::paxos::{Bug, MultiPaxos, Obs};
use sim::{Ctx, ProcessId};

/// Chosen values sent per catch-up reply.
const CATCH_UP_BATCH: usize = 64;

impl PaxosNode {
    pub(super) fn learn(
        &mut self,
        ctx: &mut Ctx<'_, MultiPaxos>,
        leader: ProcessId,
        ballot: Ballot,
        commit: u64,
    ) {
        if self.role == Role::Leader {
            return;
        }
        let mut slot = self.applied.max(self.commit_hint_start());
        while slot < commit {
            if !self.chosen.contains_key(&slot) {
                match self.acceptor.accepted(slot) {
                    Some(a) if a.ballot == ballot => {
                        self.chosen.insert(slot, a.command.clone());
                    }
                    _ => break,
                }
            }
            slot += 1;
        }
        self.apply(ctx);
        if self.applied < commit {
            // Ask at most once per heartbeat interval.
            let now = ctx.monotonic();
            if self.asked.is_none_or(|t| now.saturating_since(t) >= self.config.heartbeat) {
                self.asked = Some(now);
                ctx.send(leader, Msg::CatchUp { from: self.applied });
            }
        }
    }

    fn commit_hint_start(&self) -> u64 {
        self.acceptor.compacted()
    }

    /// Applies chosen values in slot order and answers the clients waiting
    /// for them.
    pub(super) fn apply(&mut self, ctx: &mut Ctx<'_, MultiPaxos>) {
        let dedup = self.config.bug != Some(Bug::NoDedup);
        while let Some(command) = self.chosen.get(&self.applied).cloned() {
            let slot = self.applied;
            self.applied += 1;
            let waiting = self.waiting.remove(&slot);
            let Command::Client { client, seq, op } = command else { continue };
            let outcome = match self.store.apply(client, seq, op, dedup) {
                Applied::Done(o) => Some(o),
                Applied::Duplicate(o) => {
                    ctx.observe(Obs::Deduplicated);
                    Some(o)
                }
                Applied::Stale => None,
            };
            if let (Some(outcome), Some(w)) = (outcome, waiting) {
                if self.role == Role::Leader && w == (client, seq) {
                    ctx.send(client, Msg::Response { seq, outcome });
                }
            }
        }
        self.maybe_compact(ctx);
    }

    fn maybe_compact(&mut self, ctx: &mut Ctx<'_, MultiPaxos>) {
        let every = self.config.snapshot_every;
        if every == 0 || self.applied < self.acceptor.compacted() + every {
            return;
        }
        let index = self.applied;
        self.acceptor.compact(ctx, Snapshot { index, store: self.store.clone() });
        self.chosen.retain(|slot, _| *slot >= index);
        ctx.observe(Obs::Compacted { index });
    }

    /// Takes a snapshot of chosen slots from another server.
    pub(super) fn install(&mut self, ctx: &mut Ctx<'_, MultiPaxos>, snapshot: Snapshot) {
        if snapshot.index <= self.applied {
            return;
        }
        self.applied = snapshot.index;
        self.commit = self.commit.max(snapshot.index);
        self.store = snapshot.store.clone();
        self.chosen.retain(|slot, _| *slot >= snapshot.index);
        self.waiting.retain(|slot, _| *slot >= snapshot.index);
        self.acceptor.compact(ctx, snapshot);
        ctx.observe(Obs::SnapshotInstalled);
    }

    pub(super) fn on_catch_up(&mut self, ctx: &mut Ctx<'_, MultiPaxos>, from: ProcessId, first: u64) {
        if self.role != Role::Leader {
            return;
        }
        let snapshot = self.acceptor.snapshot().filter(|s| s.index > first).map(|s| Box::new(s.clone()));
        let start = snapshot.as_ref().map_or(first, |s| s.index);
        let values: Vec<(u64, Command)> = self
            .chosen
            .range(start..self.commit)
            .take(CATCH_UP_BATCH)
            .map(|(s, c)| (*s, c.clone()))
            .collect();
        ctx.send(from, Msg::Chosen { ballot: self.ballot, values, snapshot });
    }

    pub(super) fn on_chosen(
        &mut self,
        ctx: &mut Ctx<'_, MultiPaxos>,
        _ballot: Ballot,
        values: Vec<(u64, Command)>,
        snapshot: Option<Box<Snapshot>>,
    ) {
        if self.role == Role::Leader {
            return;
        }
        if let Some(s) = snapshot {
            self.install(ctx, *s);
        }
        for (slot, command) in values {
            if slot >= self.applied {
                self.chosen.insert(slot, command);
            }
        }
        self.asked = None;
        self.apply(ctx);
    }
}
