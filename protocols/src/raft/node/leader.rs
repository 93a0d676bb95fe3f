//! The leader's side of replication (§5.3): appending, pipelined and
//! batched AppendEntries, heartbeats, backtracking on replies, and commit
//! by counting replicas of its own term (§5.4.2).

use super::*;

impl RaftNode {
    /// The leader appends to its own log, durably; returns the index.
    pub(super) fn append(&mut self, ctx: &mut Ctx<'_, Raft>, command: Command) -> u64 {
        let entry = LogEntry { term: self.term, command };
        let (index, hash) = self.log.append(entry.clone());
        ctx.disk().put(Key::LogEntry(index), Stored::LogEntry(entry));
        ctx.disk().sync();
        ctx.observe(Obs::Stored { index, term: self.term, hash });
        index
    }

    /// Sends each follower what it lacks, as far as its window allows.
    pub(super) fn broadcast(&mut self, ctx: &mut Ctx<'_, Raft>) {
        for p in 0..self.n {
            if p != self.me {
                self.replicate(ctx, p);
            }
        }
    }

    pub(super) fn replicate(&mut self, ctx: &mut Ctx<'_, Raft>, peer: u32) {
        let max_inflight = if self.peers[peer as usize].probing { 1 } else { self.config.max_inflight };
        loop {
            let pr = self.peers[peer as usize];
            if pr.inflight >= max_inflight || pr.next > self.log.last_index() {
                return;
            }
            if pr.next <= self.log.base_index {
                return self.send_snapshot(ctx, peer);
            }
            let prev = pr.next - 1;
            let entries = self.log.slice(pr.next, self.config.max_batch as usize);
            let sent = entries.len() as u64;
            let msg = Msg::Append {
                term: self.term,
                prev_index: prev,
                prev_term: self.log.term_at(prev).unwrap_or(0),
                entries,
                commit: self.commit,
                probe: self.probe,
            };
            ctx.send(ProcessId::server(peer), msg);
            let pr = &mut self.peers[peer as usize];
            pr.inflight += 1;
            if !pr.probing {
                pr.next += sent; // pipelining: assume it lands
            }
        }
    }

    pub(super) fn send_snapshot(&mut self, ctx: &mut Ctx<'_, Raft>, peer: u32) {
        let Some(snapshot) = self.snapshot.clone() else { return };
        ctx.send(
            ProcessId::server(peer),
            Msg::InstallSnapshot { term: self.term, snapshot, probe: self.probe },
        );
        let pr = &mut self.peers[peer as usize];
        pr.inflight = 1;
        pr.probing = true;
    }

    /// Heartbeats: an empty append at what the follower is known to hold,
    /// carrying the commit index and the current ReadIndex round.
    pub(super) fn heartbeat(&mut self, ctx: &mut Ctx<'_, Raft>) {
        for p in 0..self.n {
            if p == self.me {
                continue;
            }
            let pr = self.peers[p as usize];
            if pr.matched < self.log.base_index {
                self.send_snapshot(ctx, p);
                continue;
            }
            let prev = pr.matched;
            let msg = Msg::Append {
                term: self.term,
                prev_index: prev,
                prev_term: self.log.term_at(prev).unwrap_or(0),
                entries: Vec::new(),
                commit: self.commit.min(prev),
                probe: self.probe,
            };
            ctx.send(ProcessId::server(p), msg);
        }
    }

    /// Commits the highest index a majority holds, if the leader's own term
    /// wrote it (Figure 8). With the `figure-8` bug, any term will do.
    pub(super) fn advance_commit(&mut self, ctx: &mut Ctx<'_, Raft>) {
        let mut matched: Vec<u64> = (0..self.n)
            .map(|p| if p == self.me { self.log.last_index() } else { self.peers[p as usize].matched })
            .collect();
        matched.sort_unstable_by(|a, b| b.cmp(a));
        let candidate = matched[self.majority() - 1];
        if candidate <= self.commit {
            return;
        }
        let own_term = self.log.term_at(candidate) == Some(self.term);
        if own_term || self.has(Bug::Figure8) {
            self.set_commit(ctx, candidate);
        }
    }

    #[allow(clippy::too_many_arguments)]
    pub(super) fn on_append_reply(
        &mut self,
        ctx: &mut Ctx<'_, Raft>,
        from: u32,
        success: bool,
        carried: bool,
        match_index: u64,
        conflict: (u64, u64),
        probe: u64,
    ) {
        let pr = &mut self.peers[from as usize];
        pr.active = true;
        pr.probe = pr.probe.max(probe);
        // Only a reply to an append with entries frees a window slot;
        // lost appends are recovered at the heartbeat tick.
        if carried {
            pr.inflight = pr.inflight.saturating_sub(1);
        }
        if success {
            pr.matched = pr.matched.max(match_index);
            pr.next = pr.next.max(pr.matched + 1);
            pr.probing = false;
            self.advance_commit(ctx);
        } else if match_index == 0 && conflict.0 > 0 {
            // Fast backtracking: skip the whole conflicting term at once.
            let (conflict_index, conflict_term) = conflict;
            let next = match self.log.last_index_of_term(conflict_term).filter(|_| conflict_term > 0) {
                Some(last) => last + 1,
                None => conflict_index,
            };
            let pr = &mut self.peers[from as usize];
            pr.next = next.clamp(pr.matched + 1, self.log.last_index() + 1);
            pr.probing = true;
            pr.inflight = 0;
        }
        self.serve_reads(ctx);
        self.replicate(ctx, from);
    }

    pub(super) fn on_snapshot_reply(
        &mut self,
        ctx: &mut Ctx<'_, Raft>,
        from: u32,
        match_index: u64,
        probe: u64,
    ) {
        let pr = &mut self.peers[from as usize];
        pr.active = true;
        pr.probe = pr.probe.max(probe);
        pr.matched = pr.matched.max(match_index);
        pr.next = pr.matched + 1;
        pr.inflight = 0;
        pr.probing = false;
        self.advance_commit(ctx);
        self.serve_reads(ctx);
        self.replicate(ctx, from);
    }

    pub(super) fn on_heartbeat_tick(&mut self, ctx: &mut Ctx<'_, Raft>) {
        // Entries sent past what the follower acknowledged, and nothing
        // acknowledged since the last tick: they were lost (nothing else
        // would answer). Probe again from what the follower is known to
        // hold. The window's count alone cannot tell: a duplicated reply
        // frees a slot twice, and a lost append then leaves the window
        // empty with `next` past it (found by caught-up, seed 15 of
        // lossy-links).
        let seeded = self.config.bug;
        for pr in &mut self.peers {
            let outstanding = if seeded == Some(Bug::DuplicateReplyFreesSlot) {
                pr.inflight > 0
            } else {
                pr.inflight > 0 || pr.next > pr.matched + 1
            };
            if outstanding && pr.matched == pr.matched_at_tick {
                pr.inflight = 0;
                pr.probing = true;
                pr.next = pr.matched + 1;
            }
            pr.matched_at_tick = pr.matched;
        }
        self.heartbeat(ctx);
        self.broadcast(ctx);
        ctx.set_timer(Timer::Heartbeat, self.config.heartbeat);
    }

    /// CheckQuorum: a leader that has not heard from a majority (itself
    /// included) since the last round steps down.
    pub(super) fn check_quorum(&mut self, ctx: &mut Ctx<'_, Raft>) {
        let me = self.me as usize;
        let active = 1 + self.peers.iter().enumerate().filter(|(p, pr)| *p != me && pr.active).count();
        if active < self.majority() {
            self.become_follower(ctx, None);
        } else {
            if !self.has(Bug::QuorumActivityKept) {
                for p in &mut self.peers {
                    p.active = false;
                }
            }
            ctx.set_timer(Timer::Quorum, self.config.election_timeout.0);
        }
    }
}
