//! A Raft server. Figure 2 of the extended paper, plus PreVote,
//! CheckQuorum, fast backtracking, batching and pipelining, snapshots, and
//! ReadIndex reads. Each rule that a seeded bug breaks says so.

use super::kv::{Applied, Kv};
use super::log::{chain, Log};
use super::types::{Command, Entry, Key, KvOp, Msg, Outcome, Role, Snapshot, Stored, Timer};
use super::{Bug, Obs, Raft, ReadMode};
use sim::{Ctx, ProcessId, Server, Time};
use std::collections::BTreeMap;

/// A read waiting for the leader to confirm it still leads.
struct PendingRead {
    client: ProcessId,
    seq: u64,
    key: u64,
    /// The commit index when the read arrived: it is served once applied.
    index: u64,
    /// The heartbeat round a majority must answer.
    probe: u64,
}

/// What a leader knows of one follower.
#[derive(Clone, Copy, Default)]
struct Progress {
    next: u64,
    matched: u64,
    /// Appends sent and not answered (pipelining).
    inflight: u32,
    /// Until the first success, one append at a time.
    probing: bool,
    /// Answered since the last CheckQuorum round.
    active: bool,
    /// The latest heartbeat round it answered (ReadIndex).
    probe: u64,
    /// `matched` at the previous heartbeat tick, to notice a stall.
    matched_at_tick: u64,
}

pub struct RaftNode {
    me: u32,
    n: u32,
    config: Raft,
    // Persistent: on disk before any reply that depends on it.
    term: u64,
    voted_for: Option<u32>,
    log: Log,
    snapshot: Option<Box<Snapshot>>,
    // Volatile.
    role: Role,
    leader: Option<u32>,
    commit: u64,
    applied: u64,
    kv: Kv,
    votes: Vec<u32>,
    /// When this server last heard from a leader (its own clock).
    leader_contact: Option<Time>,
    // Leader only.
    peers: Vec<Progress>,
    /// The index of this leader's first entry (its no-op).
    term_start: u64,
    probe: u64,
    /// Client commands in the log, by index, waiting to be answered.
    waiting: BTreeMap<u64, (ProcessId, u64)>,
    reads: Vec<PendingRead>,
}

impl RaftNode {
    pub fn new(id: ProcessId, servers: u32, config: Raft) -> RaftNode {
        RaftNode {
            me: id.index(),
            n: servers,
            config,
            term: 0,
            voted_for: None,
            log: Log::default(),
            snapshot: None,
            role: Role::Follower,
            leader: None,
            commit: 0,
            applied: 0,
            kv: Kv::default(),
            votes: Vec::new(),
            leader_contact: None,
            peers: Vec::new(),
            term_start: 0,
            probe: 0,
            waiting: BTreeMap::new(),
            reads: Vec::new(),
        }
    }

    // What the checker may look at.
    pub fn role(&self) -> Role {
        self.role
    }
    pub fn term(&self) -> u64 {
        self.term
    }
    pub fn commit_index(&self) -> u64 {
        self.commit
    }
    pub fn log(&self) -> &Log {
        &self.log
    }
    pub fn state_machine(&self) -> &Kv {
        &self.kv
    }

    fn has(&self, bug: Bug) -> bool {
        self.config.bug == Some(bug)
    }

    fn majority(&self) -> usize {
        self.n as usize / 2 + 1
    }

    fn others(&self) -> impl Iterator<Item = u32> + '_ {
        (0..self.n).filter(move |p| *p != self.me)
    }

    fn reset_election_timer(&self, ctx: &mut Ctx<'_, Raft>) {
        let (min, max) = self.config.election_timeout;
        let after = Time(ctx.rng().between(min.nanos(), max.nanos()));
        ctx.set_timer(Timer::Election, after);
    }

    /// Term and vote on disk, synced. With the `vote-not-persisted` bug the
    /// vote stays in memory, so a restarted server can vote twice in a term.
    fn persist_term_and_vote(&self, ctx: &mut Ctx<'_, Raft>) {
        ctx.disk().put(Key::Term, Stored::Term(self.term));
        if !self.has(Bug::VoteNotPersisted) {
            ctx.disk().put(Key::Vote, Stored::Vote(self.voted_for));
        }
        ctx.disk().sync();
    }

    /// Whether a leader was heard from within the shortest election timeout.
    fn leader_is_recent(&self, ctx: &Ctx<'_, Raft>) -> bool {
        self.role == Role::Leader
            || self.leader_contact.is_some_and(|t| ctx.now() - t < self.config.election_timeout.0)
    }

    /// A message showed a higher term: follow it. With the `no-step-down`
    /// bug a leader takes the term but stays leader.
    fn observe_term(&mut self, ctx: &mut Ctx<'_, Raft>, term: u64) {
        if term <= self.term {
            return;
        }
        self.term = term;
        self.voted_for = None;
        let keep_leading = self.role == Role::Leader && self.has(Bug::NoStepDown);
        if !keep_leading {
            self.become_follower(ctx, None);
        }
        ctx.observe(Obs::TermRaised { term, leader: self.role == Role::Leader });
        self.persist_term_and_vote(ctx);
    }

    fn become_follower(&mut self, ctx: &mut Ctx<'_, Raft>, leader: Option<u32>) {
        let was_leader = self.role == Role::Leader;
        self.role = Role::Follower;
        self.leader = leader;
        if was_leader {
            ctx.observe(Obs::SteppedDown { term: self.term });
            self.waiting.clear();
            self.reads.clear();
            ctx.cancel_timer(&Timer::Heartbeat);
            ctx.cancel_timer(&Timer::Quorum);
            self.reset_election_timer(ctx);
        }
    }

    fn up_to_date(&self, last_index: u64, last_term: u64) -> bool {
        (last_term, last_index) >= (self.log.last_term(), self.log.last_index())
    }

    // Elections.

    fn start_pre_vote(&mut self, ctx: &mut Ctx<'_, Raft>) {
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

    fn start_election(&mut self, ctx: &mut Ctx<'_, Raft>) {
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

    fn become_leader(&mut self, ctx: &mut Ctx<'_, Raft>) {
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

    // Replication.

    /// The leader appends to its own log, durably; returns the index.
    fn append(&mut self, ctx: &mut Ctx<'_, Raft>, command: Command) -> u64 {
        let entry = Entry { term: self.term, command };
        let (index, hash) = self.log.append(entry.clone());
        ctx.disk().put(Key::Entry(index), Stored::Entry(entry));
        ctx.disk().sync();
        ctx.observe(Obs::Stored { index, term: self.term, hash });
        index
    }

    /// Sends each follower what it lacks, as far as its window allows.
    fn broadcast(&mut self, ctx: &mut Ctx<'_, Raft>) {
        for p in 0..self.n {
            if p != self.me {
                self.replicate(ctx, p);
            }
        }
    }

    fn replicate(&mut self, ctx: &mut Ctx<'_, Raft>, peer: u32) {
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

    fn send_snapshot(&mut self, ctx: &mut Ctx<'_, Raft>, peer: u32) {
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
    fn heartbeat(&mut self, ctx: &mut Ctx<'_, Raft>) {
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
    fn advance_commit(&mut self, ctx: &mut Ctx<'_, Raft>) {
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

    fn set_commit(&mut self, ctx: &mut Ctx<'_, Raft>, index: u64) {
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
    fn apply(&mut self, ctx: &mut Ctx<'_, Raft>) {
        while self.applied < self.commit {
            self.applied += 1;
            let index = self.applied;
            let Some(entry) = self.log.entry(index).cloned() else {
                panic!("n{} must apply entry {index}, which its log does not hold", self.me);
            };
            ctx.observe(Obs::Applied { index, hash: chain(0, &entry) });
            let waiter = self.waiting.remove(&index);
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
        }
        self.serve_reads(ctx);
        if self.config.snapshot_every > 0 && self.applied - self.log.base_index >= self.config.snapshot_every
        {
            self.take_snapshot(ctx);
        }
    }

    /// Compacts the log up to what is applied.
    fn take_snapshot(&mut self, ctx: &mut Ctx<'_, Raft>) {
        let index = self.applied;
        let (Some(term), Some(prefix_hash)) = (self.log.term_at(index), self.log.hash_at(index)) else {
            return;
        };
        let snapshot = Box::new(Snapshot { index, term, prefix_hash, state: self.kv.clone() });
        let from = self.log.base_index + 1;
        self.log.compact(index);
        ctx.disk().put(Key::Snapshot, Stored::Snapshot(snapshot.clone()));
        for i in from..=index {
            ctx.disk().remove(Key::Entry(i));
        }
        ctx.disk().sync();
        self.snapshot = Some(snapshot);
    }

    // Reads.

    fn serve_reads(&mut self, ctx: &mut Ctx<'_, Raft>) {
        if self.role != Role::Leader || self.reads.is_empty() {
            return;
        }
        let confirmed_round = |round: u64, peers: &[Progress], me: u32| {
            1 + peers.iter().enumerate().filter(|(p, pr)| *p as u32 != me && pr.probe >= round).count()
        };
        let ready = self.applied >= self.term_start;
        let mut i = 0;
        while i < self.reads.len() {
            let r = &self.reads[i];
            let confirmed = confirmed_round(r.probe, &self.peers, self.me) >= self.majority();
            if ready && confirmed && self.applied >= r.index {
                let r = self.reads.swap_remove(i);
                ctx.observe(Obs::ReadServed);
                ctx.send(r.client, Msg::Response { seq: r.seq, outcome: Outcome::Ok(self.kv.get(r.key)) });
            } else {
                i += 1;
            }
        }
    }

    fn on_request(&mut self, ctx: &mut Ctx<'_, Raft>, client: ProcessId, seq: u64, op: KvOp) {
        if self.role != Role::Leader {
            ctx.send(client, Msg::Redirect { seq, leader: self.leader.filter(|l| *l != self.me) });
            return;
        }
        if let KvOp::Get { key } = op {
            if self.has(Bug::StaleRead) {
                // Serves from its own state without asking whether it still leads.
                ctx.observe(Obs::ReadServed);
                ctx.send(client, Msg::Response { seq, outcome: Outcome::Ok(self.kv.get(key)) });
                return;
            }
            if self.config.read_mode == ReadMode::ReadIndex {
                self.probe += 1;
                self.reads.push(PendingRead { client, seq, key, index: self.commit, probe: self.probe });
                self.heartbeat(ctx);
                self.serve_reads(ctx);
                return;
            }
        }
        if let Some(outcome) = self.kv.session(client, seq) {
            if !self.has(Bug::DuplicateApply) {
                ctx.observe(Obs::Deduplicated);
                ctx.send(client, Msg::Response { seq, outcome: outcome.clone() });
                return;
            }
        }
        if self.waiting.values().any(|w| *w == (client, seq)) {
            return; // already in the log; answered when applied
        }
        let index = self.append(ctx, Command::Client { client, seq, op });
        self.waiting.insert(index, (client, seq));
        self.broadcast(ctx);
        self.advance_commit(ctx);
    }

    // Followers.

    #[allow(clippy::too_many_arguments)]
    fn on_append(
        &mut self,
        ctx: &mut Ctx<'_, Raft>,
        from: u32,
        term: u64,
        prev_index: u64,
        prev_term: u64,
        entries: Vec<Entry>,
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
                for i in index..=old_last {
                    ctx.disk().remove(Key::Entry(i));
                }
                ctx.observe(Obs::Truncated { from: index, leader: self.role == Role::Leader });
            }
            let term = entry.term;
            ctx.disk().put(Key::Entry(index), Stored::Entry(entry.clone()));
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
                    ctx.set_timer(Timer::LazySync, Time::from_millis(30));
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

    #[allow(clippy::too_many_arguments)]
    fn on_append_reply(
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

    fn on_install_snapshot(
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
                    ctx.disk().remove(Key::Entry(i));
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

impl Server<Raft> for RaftNode {
    fn on_start(&mut self, ctx: &mut Ctx<'_, Raft>) {
        let stored: Vec<(Key, Stored)> = ctx.disk().durable().map(|(k, v)| (k.clone(), v.clone())).collect();
        for (key, value) in stored {
            match value {
                Stored::Term(t) => self.term = t,
                Stored::Vote(v) => self.voted_for = v,
                Stored::Snapshot(s) => {
                    self.log.reset_to(&s);
                    self.kv = s.state.clone();
                    self.commit = s.index;
                    self.applied = s.index;
                    self.snapshot = Some(s);
                }
                Stored::Entry(e) => {
                    let Key::Entry(index) = key else { continue };
                    // Entries sort after the snapshot; those it holds are skipped.
                    if index == self.log.last_index() + 1 {
                        self.log.append(e);
                    }
                }
            }
        }
        self.reset_election_timer(ctx);
    }

    fn on_message(&mut self, ctx: &mut Ctx<'_, Raft>, from: ProcessId, msg: Msg) {
        if from.is_client() {
            if let Msg::Request { seq, op } = msg {
                self.on_request(ctx, from, seq, op);
            }
            return;
        }
        let peer = from.index();
        match msg {
            Msg::PreVote { term, last_index, last_term } => {
                let granted =
                    term > self.term && self.up_to_date(last_index, last_term) && !self.leader_is_recent(ctx);
                ctx.send(from, Msg::PreVoteReply { term: self.term, granted });
            }
            Msg::PreVoteReply { term, granted } => {
                if granted && self.role == Role::PreCandidate {
                    if !self.votes.contains(&peer) {
                        self.votes.push(peer);
                    }
                    if self.votes.len() >= self.majority() {
                        self.start_election(ctx);
                    }
                } else if !granted {
                    self.observe_term(ctx, term);
                }
            }
            Msg::RequestVote { term, last_index, last_term } => {
                // CheckQuorum's lease: while a leader is heard from, ignore
                // candidates, so a partitioned node cannot depose it.
                if self.config.check_quorum && term > self.term && self.leader_is_recent(ctx) {
                    return ctx.send(from, Msg::Vote { term: self.term, granted: false });
                }
                self.observe_term(ctx, term);
                let granted = term == self.term
                    && self.voted_for.is_none_or(|v| v == peer)
                    && self.up_to_date(last_index, last_term);
                if granted {
                    self.voted_for = Some(peer);
                    self.persist_term_and_vote(ctx);
                    self.reset_election_timer(ctx);
                }
                ctx.send(from, Msg::Vote { term: self.term, granted });
            }
            Msg::Vote { term, granted } => {
                self.observe_term(ctx, term);
                if granted && term == self.term && self.role == Role::Candidate {
                    if !self.votes.contains(&peer) {
                        self.votes.push(peer);
                    }
                    if self.votes.len() >= self.majority() {
                        self.become_leader(ctx);
                    }
                }
            }
            Msg::Append { term, prev_index, prev_term, entries, commit, probe } => {
                self.observe_term(ctx, term);
                if self.role == Role::Leader && term == self.term && peer != self.me {
                    // Two leaders in one term: only a seeded bug gets here.
                    return;
                }
                self.on_append(ctx, peer, term, prev_index, prev_term, entries, commit, probe);
            }
            Msg::AppendReply {
                term,
                success,
                carried,
                match_index,
                conflict_index,
                conflict_term,
                probe,
            } => {
                self.observe_term(ctx, term);
                if self.role == Role::Leader && term == self.term {
                    self.on_append_reply(
                        ctx,
                        peer,
                        success,
                        carried,
                        match_index,
                        (conflict_index, conflict_term),
                        probe,
                    );
                }
            }
            Msg::InstallSnapshot { term, snapshot, probe } => {
                self.observe_term(ctx, term);
                if !(self.role == Role::Leader && term == self.term) {
                    self.on_install_snapshot(ctx, peer, term, snapshot, probe);
                }
            }
            Msg::SnapshotReply { term, match_index, probe } => {
                self.observe_term(ctx, term);
                if self.role == Role::Leader && term == self.term && match_index > 0 {
                    let pr = &mut self.peers[peer as usize];
                    pr.active = true;
                    pr.probe = pr.probe.max(probe);
                    pr.matched = pr.matched.max(match_index);
                    pr.next = pr.matched + 1;
                    pr.inflight = 0;
                    pr.probing = false;
                    self.advance_commit(ctx);
                    self.serve_reads(ctx);
                    self.replicate(ctx, peer);
                }
            }
            Msg::Request { .. } | Msg::Response { .. } | Msg::Redirect { .. } => {}
        }
    }

    fn on_timer(&mut self, ctx: &mut Ctx<'_, Raft>, timer: Timer) {
        match timer {
            Timer::Election => {
                if self.role != Role::Leader {
                    if self.config.pre_vote {
                        self.start_pre_vote(ctx);
                    } else {
                        self.start_election(ctx);
                    }
                }
            }
            Timer::Heartbeat => {
                if self.role == Role::Leader {
                    // Appends in flight and nothing acknowledged since the last
                    // tick: they were lost (nothing else would answer). Probe
                    // again from what the follower is known to hold.
                    for pr in &mut self.peers {
                        if pr.inflight > 0 && pr.matched == pr.matched_at_tick {
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
            }
            Timer::Quorum => {
                if self.role == Role::Leader {
                    // Itself, and the followers that answered since the last round.
                    let me = self.me as usize;
                    let active =
                        1 + self.peers.iter().enumerate().filter(|(p, pr)| *p != me && pr.active).count();
                    if active < self.majority() {
                        self.become_follower(ctx, None);
                    } else {
                        for p in &mut self.peers {
                            p.active = false;
                        }
                        ctx.set_timer(Timer::Quorum, self.config.election_timeout.0);
                    }
                }
            }
            Timer::LazySync => ctx.disk().sync(),
            Timer::Retry(_) => {}
        }
    }
}
