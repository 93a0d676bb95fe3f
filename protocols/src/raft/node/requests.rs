//! Client requests (§8): redirects, sessions, and linearizable reads by
//! ReadIndex or through the log.

use super::*;

impl RaftNode {
    pub(super) fn serve_reads(&mut self, ctx: &mut Ctx<'_, Raft>) {
        if self.role != Role::Leader || self.reads.is_empty() {
            return;
        }
        // A follower confirms a read by acknowledging the read's own round
        // (or a later one). With the `read-index-stale-ack` bug any round it
        // ever acknowledged in this term will do, so acknowledgements sent
        // before a partition keep confirming reads after it.
        let stale_acks = self.has(Bug::ReadIndexStaleAck);
        let confirmed_round = |round: u64, peers: &[Progress], me: u32| {
            let acked = |pr: &Progress| if stale_acks { pr.probe > 0 } else { pr.probe >= round };
            1 + peers.iter().enumerate().filter(|(p, pr)| *p as u32 != me && acked(pr)).count()
        };
        let ready = self.applied >= self.term_start;
        let mut i = 0;
        while i < self.reads.len() {
            let r = &self.reads[i];
            let confirmed = confirmed_round(r.probe, &self.peers, self.me) >= self.majority();
            if ready && confirmed && self.applied >= r.index {
                let r = self.reads.swap_remove(i);
                ctx.observe(Obs::ReadServed);
                ctx.send(r.client, Msg::Response { seq: r.seq, outcome: KvOutcome::Ok(self.kv.get(r.key)) });
            } else {
                i += 1;
            }
        }
    }

    pub(super) fn on_request(&mut self, ctx: &mut Ctx<'_, Raft>, client: ProcessId, seq: u64, op: KvOp) {
        if self.role != Role::Leader {
            ctx.send(client, Msg::Redirect { seq, leader: self.leader.filter(|l| *l != self.me) });
            return;
        }
        if let KvOp::Get { key } = op {
            if self.has(Bug::StaleRead) {
                // Serves from its own state without asking whether it still leads.
                ctx.observe(Obs::ReadServed);
                ctx.send(client, Msg::Response { seq, outcome: KvOutcome::Ok(self.kv.get(key)) });
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
}
