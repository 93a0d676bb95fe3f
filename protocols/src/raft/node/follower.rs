//! The follower's side of replication: the consistency check, conflict
//! truncation and durable appends (§5.3), and InstallSnapshot (§7).

use super::*;

impl RaftNode {
    #[allow(clippy::too_many_arguments)]
    pub(super) fn on_append(
        &mut self,
        ctx: &mut Ctx<'_, Raft>,
        from: u32,
        term: u64,
        prev_index: u64,
        prev_term: u64,
        entries: Vec<LogEntry>,
        commit: u64,
        probe: u64,
    ) {
        let carried = !entries.is_empty();
        let reply =
            |ctx: &mut Ctx<'_, Raft>, me: &RaftNode, success, match_index, conflict_index, conflict_term| {
                let msg = Msg::AppendReply {
                    term: me.term,
                    success,
                    carried,
                    match_index,
                    conflict_index,
                    conflict_term,
                    probe,
                };
                ctx.send(ProcessId::server(from), msg);
            };
        if term < self.term {
            return reply(ctx, self, false, 0, 0, 0);
        }
        if self.role != Role::Follower || self.leader != Some(from) {
            self.become_follower(ctx, Some(from));
        }
        self.leader_contact = Some(ctx.now());
        self.reset_election_timer(ctx);

        // What the snapshot already holds is committed and matches.
        let (mut prev, mut prev_term, mut entries) = (prev_index, prev_term, entries);
        if prev < self.log.base_index {
            let skip = ((self.log.base_index - prev) as usize).min(entries.len());
            entries.drain(..skip);
            prev = self.log.base_index;
            prev_term = self.log.base_term;
        }
        // The consistency check. With the `no-consistency-check` bug the
        // entries are taken as they come, after whatever the log holds.
        if self.has(Bug::NoConsistencyCheck) {
            prev = prev.min(self.log.last_index());
        } else if self.log.term_at(prev) != Some(prev_term) {
            let (conflict_index, conflict_term) = if prev > self.log.last_index() {
                (self.log.last_index() + 1, 0)
            } else {
                let t = self.log.term_at(prev).unwrap_or(0);
                (self.log.first_index_of_term(prev), t)
            };
            return reply(ctx, self, false, 0, conflict_index, conflict_term);
        }
        let mut index = prev;
        let mut wrote = false;
        for entry in entries {
            index += 1;
            if self.log.term_at(index) == Some(entry.term) && !self.has(Bug::NoConsistencyCheck) {
                continue; // already held: a duplicate must not truncate
            }
            if index <= self.log.last_index() {
                let old_last = self.log.last_index();
                self.log.truncate_from(index);
                // Off the disk too, or a restart brings the old tail back.
                // With the `truncation-not-persisted` bug it stays there.
                if !self.has(Bug::TruncationNotPersisted) {
                    for i in index..=old_last {
                        ctx.disk().remove(Key::LogEntry(i));
                    }
                }
                ctx.observe(Obs::Truncated { from: index, leader: self.role == Role::Leader });
            }
            let term = entry.term;
            ctx.disk().put(Key::LogEntry(index), Stored::LogEntry(entry.clone()));
            let (at, hash) = self.log.append(entry);
            debug_assert_eq!(at, index);
            ctx.observe(Obs::Stored { index, term, hash });
            wrote = true;
        }
        // Durable before the reply that lets the leader count this copy.
        // With the `ack-before-sync` bug the sync comes later.
        if wrote {
            if self.has(Bug::AckBeforeSync) {
                if !ctx.timer_pending(&Timer::LazySync) {
                    ctx.set_timer(Timer::LazySync, sim::Span::from_millis(30));
                }
            } else {
                ctx.disk().sync();
            }
        }
        if commit > self.commit {
            self.set_commit(ctx, commit.min(index));
        }
        reply(ctx, self, true, index, 0, 0);
    }

    pub(super) fn on_install_snapshot(
        &mut self,
        ctx: &mut Ctx<'_, Raft>,
        from: u32,
        term: u64,
        snapshot: Box<Snapshot>,
        probe: u64,
    ) {
        if term < self.term {
            let msg = Msg::SnapshotReply { term: self.term, match_index: 0, probe };
            return ctx.send(ProcessId::server(from), msg);
        }
        if self.role != Role::Follower || self.leader != Some(from) {
            self.become_follower(ctx, Some(from));
        }
        self.leader_contact = Some(ctx.now());
        self.reset_election_timer(ctx);
        if snapshot.index > self.commit {
            let (old_first, old_last) = (self.log.base_index + 1, self.log.last_index());
            self.log.reset_to(&snapshot);
            self.kv = snapshot.state.clone();
            self.commit = snapshot.index;
            self.applied = snapshot.index;
            ctx.disk().put(Key::Snapshot, Stored::Snapshot(snapshot.clone()));
            // Off the disk: what the snapshot holds, and a suffix it replaced.
            for i in old_first..=old_last {
                if i <= snapshot.index || i > self.log.last_index() {
                    ctx.disk().remove(Key::LogEntry(i));
                }
            }
            ctx.disk().sync();
            self.snapshot = Some(snapshot.clone());
            ctx.observe(Obs::SnapshotInstalled);
        }
        let msg = Msg::SnapshotReply { term: self.term, match_index: snapshot.index, probe };
        ctx.send(ProcessId::server(from), msg);
    }
}
