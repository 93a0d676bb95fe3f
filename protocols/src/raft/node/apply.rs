//! Committed entries applied in order to the key-value state machine,
//! and log compaction into snapshots (§7).

use super::*;

impl RaftNode {
    pub(super) fn set_commit(&mut self, ctx: &mut Ctx<'_, Raft>, index: u64) {
        if index <= self.commit {
            return;
        }
        self.commit = index;
        if let (Some(term), Some(hash)) = (self.log.term_at(index), self.log.hash_at(index)) {
            ctx.observe(Obs::Committed { index, term, hash, in_term: self.term });
        }
        self.apply(ctx);
    }

    /// Applies committed entries in order, answering the clients waiting.
    pub(super) fn apply(&mut self, ctx: &mut Ctx<'_, Raft>) {
        while self.applied < self.commit {
            self.applied += 1;
            let index = self.applied;
            let Some(entry) = self.log.entry(index).cloned() else {
                panic!("n{} must apply entry {index}, which its log does not hold", self.me);
            };
            let waiter = self.waiting.remove(&index);
            let hash = chain(0, &entry);
            if let Command::Client { client, seq, op } = entry.command {
                let outcome = match self.kv.apply(client, seq, op, !self.has(Bug::DuplicateApply)) {
                    Applied::Done(o) => Some(o),
                    Applied::Duplicate(o) => {
                        ctx.observe(Obs::Deduplicated);
                        Some(o)
                    }
                    Applied::Stale => None,
                };
                if let (Some(outcome), Some((c, s))) = (outcome, waiter) {
                    ctx.send(c, Msg::Response { seq: s, outcome });
                }
            }
            ctx.observe(Obs::Applied { index, hash, state: self.kv.digest() });
        }
        self.serve_reads(ctx);
        if self.config.snapshot_every > 0 && self.applied - self.log.base_index >= self.config.snapshot_every
        {
            self.take_snapshot(ctx);
        }
    }

    /// Compacts the log up to what is applied.
    pub(super) fn take_snapshot(&mut self, ctx: &mut Ctx<'_, Raft>) {
        let index = self.applied;
        let (Some(term), Some(prefix_hash)) = (self.log.term_at(index), self.log.hash_at(index)) else {
            return;
        };
        // With the `snapshot-without-sessions` bug the sessions are left out.
        let state =
            if self.has(Bug::SnapshotWithoutSessions) { self.kv.without_sessions() } else { self.kv.clone() };
        let snapshot = Box::new(Snapshot { index, term, prefix_hash, state });
        let from = self.log.base_index + 1;
        self.log.compact(index);
        ctx.disk().put(Key::Snapshot, Stored::Snapshot(snapshot.clone()));
        for i in from..=index {
            ctx.disk().remove(Key::LogEntry(i));
        }
        ctx.disk().sync();
        self.snapshot = Some(snapshot);
    }
}
