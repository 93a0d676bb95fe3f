//! The acceptor: the only state Paxos needs to survive a crash. It promises
//! not to accept anything below a ballot, and accepts a value for a slot in
//! a ballot no lower than its promise. Both are on disk and synced before
//! the reply that reports them leaves (a promise forgotten in a crash is a
//! promise broken).

use super::types::{Accepted, Ballot, Command, Key, Snapshot, Stored};
use super::{Bug, MultiPaxos};
use sim::Ctx;
use std::collections::BTreeMap;

#[derive(Clone, Debug, Default)]
pub struct Acceptor {
    promised: Ballot,
    accepted: BTreeMap<u64, Accepted>,
    /// Every slot below it is chosen, applied and folded into the snapshot.
    compacted: u64,
    snapshot: Option<Box<Snapshot>>,
}

impl Acceptor {
    /// What a restarted acceptor finds on its disk.
    pub fn recover(ctx: &mut Ctx<'_, MultiPaxos>) -> Acceptor {
        let mut a = Acceptor::default();
        for (_, value) in ctx.disk().durable() {
            match value {
                Stored::Promised(b) => a.promised = *b,
                Stored::Snapshot(s) => {
                    a.compacted = s.index;
                    a.snapshot = Some(s.clone());
                }
                Stored::Slot(acc) => {
                    a.accepted.insert(acc.slot, acc.clone());
                }
            }
        }
        a.accepted.retain(|slot, _| *slot >= a.compacted);
        a
    }

    pub fn promised(&self) -> Ballot {
        self.promised
    }

    pub fn accepted(&self, slot: u64) -> Option<&Accepted> {
        self.accepted.get(&slot)
    }

    /// What it reports with a promise: every value accepted at or after
    /// `from`.
    pub fn accepted_from(&self, from: u64) -> Vec<Accepted> {
        self.accepted.range(from..).map(|(_, a)| a.clone()).collect()
    }

    pub fn highest_slot(&self) -> Option<u64> {
        self.accepted.keys().next_back().copied()
    }

    pub fn slots_in_memory(&self) -> usize {
        self.accepted.len()
    }

    pub fn compacted(&self) -> u64 {
        self.compacted
    }

    pub fn snapshot(&self) -> Option<&Snapshot> {
        self.snapshot.as_deref()
    }

    /// Phase 1b: promise `ballot` if it is no lower than the promise held.
    pub fn promise(&mut self, ctx: &mut Ctx<'_, MultiPaxos>, ballot: Ballot, bug: Option<Bug>) -> bool {
        // promise-lower-ballot: answers any prepare, and takes the lower
        // ballot as its promise.
        if ballot < self.promised && bug != Some(Bug::PromiseLowerBallot) {
            return false;
        }
        if ballot != self.promised {
            self.promised = ballot;
            self.persist(ctx, Key::Promised, Stored::Promised(ballot), bug);
        }
        true
    }

    /// Phase 2b: accept `command` for `slot` in `ballot` unless a higher
    /// ballot was promised. Accepting is promising the ballot too.
    pub fn accept(
        &mut self,
        ctx: &mut Ctx<'_, MultiPaxos>,
        ballot: Ballot,
        slot: u64,
        command: &Command,
        bug: Option<Bug>,
    ) -> bool {
        if ballot < self.promised {
            return false;
        }
        if ballot > self.promised {
            self.promised = ballot;
            self.persist(ctx, Key::Promised, Stored::Promised(ballot), bug);
        }
        if slot < self.compacted {
            // Chosen long ago and folded into the snapshot.
            return true;
        }
        let command = match self.accepted.get(&slot) {
            // accept-keeps-old-value: a slot that already holds a value keeps
            // it under the new ballot.
            Some(old) if bug == Some(Bug::AcceptKeepsOldValue) => old.command.clone(),
            _ => command.clone(),
        };
        let entry = Accepted { slot, ballot, command };
        if self.accepted.get(&slot) != Some(&entry) {
            self.accepted.insert(slot, entry.clone());
            self.persist(ctx, Key::Slot(slot), Stored::Slot(entry), bug);
        }
        true
    }

    /// Folds every slot below `snapshot.index` into the snapshot, on disk
    /// first.
    pub fn compact(&mut self, ctx: &mut Ctx<'_, MultiPaxos>, snapshot: Snapshot) {
        let index = snapshot.index;
        if index <= self.compacted {
            return;
        }
        let snapshot = Box::new(snapshot);
        ctx.disk().put(Key::Snapshot, Stored::Snapshot(snapshot.clone()));
        let gone: Vec<u64> = self.accepted.range(..index).map(|(s, _)| *s).collect();
        for slot in gone {
            self.accepted.remove(&slot);
            ctx.disk().remove(Key::Slot(slot));
        }
        ctx.disk().sync();
        self.compacted = index;
        self.snapshot = Some(snapshot);
    }

    /// Writes and syncs before the caller replies.
    fn persist(&self, ctx: &mut Ctx<'_, MultiPaxos>, key: Key, value: Stored, bug: Option<Bug>) {
        // acceptor-amnesia: the acceptor's state lives in memory only.
        if bug == Some(Bug::AcceptorAmnesia) {
            return;
        }
        ctx.disk().put(key, value);
        ctx.disk().sync();
    }
}
