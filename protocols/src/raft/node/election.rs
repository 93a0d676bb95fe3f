//! Elections: PreVote, RequestVote, and taking the lead (§5.2, and the
//! PreVote of Ongaro's thesis §9.6).

use super::*;

impl RaftNode {
    pub(super) fn start_pre_vote(&mut self, ctx: &mut Ctx<'_, Raft>) {
        self.role = Role::PreCandidate;
        self.leader = None;
        self.votes = vec![self.me];
        self.reset_election_timer(ctx);
        if self.votes.len() >= self.majority() {
            return self.start_election(ctx);
        }
        let msg = Msg::PreVote {
            term: self.term + 1,
            last_index: self.log.last_index(),
            last_term: self.log.last_term(),
        };
        for p in self.others() {
            ctx.send(ProcessId::server(p), msg.clone());
        }
    }

    pub(super) fn start_election(&mut self, ctx: &mut Ctx<'_, Raft>) {
        self.term += 1;
        self.role = Role::Candidate;
        self.leader = None;
        self.voted_for = Some(self.me);
        self.votes = vec![self.me];
        self.persist_term_and_vote(ctx);
        self.reset_election_timer(ctx);
        if self.votes.len() >= self.majority() {
            return self.become_leader(ctx);
        }
        let msg = Msg::RequestVote {
            term: self.term,
            last_index: self.log.last_index(),
            last_term: self.log.last_term(),
        };
        for p in self.others() {
            ctx.send(ProcessId::server(p), msg.clone());
        }
    }

    pub(super) fn become_leader(&mut self, ctx: &mut Ctx<'_, Raft>) {
        self.role = Role::Leader;
        self.leader = Some(self.me);
        ctx.cancel_timer(&Timer::Election);
        let next = self.log.last_index() + 1;
        self.peers = vec![Progress { next, probing: true, ..Progress::default() }; self.n as usize];
        self.waiting.clear();
        self.reads.clear();
        ctx.observe(Obs::BecameLeader { term: self.term });
        // A no-op of its own term lets it commit what earlier leaders left.
        self.term_start = self.append(ctx, Command::Noop);
        ctx.set_timer(Timer::Heartbeat, self.config.heartbeat);
        if self.config.check_quorum {
            ctx.set_timer(Timer::Quorum, self.config.election_timeout.0);
        }
        self.broadcast(ctx);
        self.advance_commit(ctx);
    }

    pub(super) fn on_pre_vote(
        &mut self,
        ctx: &mut Ctx<'_, Raft>,
        from: u32,
        term: u64,
        last_index: u64,
        last_term: u64,
    ) {
        let granted =
            term > self.term && self.up_to_date(last_index, last_term) && !self.leader_is_recent(ctx);
        ctx.send(ProcessId::server(from), Msg::PreVoteReply { term: self.term, granted });
    }

    pub(super) fn on_pre_vote_reply(&mut self, ctx: &mut Ctx<'_, Raft>, from: u32, term: u64, granted: bool) {
        if granted && self.role == Role::PreCandidate {
            if self.count_vote(from) {
                self.start_election(ctx);
            }
        } else if !granted {
            self.observe_term(ctx, term);
        }
    }

    pub(super) fn on_request_vote(
        &mut self,
        ctx: &mut Ctx<'_, Raft>,
        from: u32,
        term: u64,
        last_index: u64,
        last_term: u64,
    ) {
        // CheckQuorum's lease: while a leader is heard from, ignore
        // candidates, so a partitioned node cannot depose it.
        if self.config.check_quorum && term > self.term && self.leader_is_recent(ctx) {
            return ctx.send(ProcessId::server(from), Msg::Vote { term: self.term, granted: false });
        }
        self.observe_term(ctx, term);
        let granted = term == self.term
            && self.voted_for.is_none_or(|v| v == from)
            && self.up_to_date(last_index, last_term);
        if granted {
            self.voted_for = Some(from);
            self.persist_term_and_vote(ctx);
            self.reset_election_timer(ctx);
        }
        ctx.send(ProcessId::server(from), Msg::Vote { term: self.term, granted });
    }

    pub(super) fn on_vote(&mut self, ctx: &mut Ctx<'_, Raft>, from: u32, term: u64, granted: bool) {
        self.observe_term(ctx, term);
        // A vote counts only for the election it was asked for. With the
        // `stale-vote-counted` bug, a late vote of an earlier term counts too.
        let this_election = term == self.term || self.has(Bug::StaleVoteCounted);
        if granted && this_election && self.role == Role::Candidate && self.count_vote(from) {
            self.become_leader(ctx);
        }
    }

    /// Counts `from`'s vote once; true when a majority has voted.
    fn count_vote(&mut self, from: u32) -> bool {
        if !self.votes.contains(&from) {
            self.votes.push(from);
        }
        self.votes.len() >= self.majority()
    }
}
