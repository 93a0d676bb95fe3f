//! Clients' requests: the leader proposes each command in the next free
//! slot and answers once it is chosen and applied; reads go through the
//! log, or are answered at once under the lease.

use super::PaxosNode;
use crate::kv::{Command, KvOp, KvOutcome};
use crate::paxos::types::{Msg, Role};
use crate::paxos::{Bug, MultiPaxos, Obs};
use sim::{Ctx, ProcessId};

impl PaxosNode {
    pub(super) fn on_request(
        &mut self,
        ctx: &mut Ctx<'_, MultiPaxos>,
        client: ProcessId,
        seq: u64,
        op: KvOp,
    ) {
        if self.role != Role::Leader {
            let leader = self.leader.filter(|&l| l != self.me);
            ctx.send(client, Msg::Redirect { seq, leader });
            return;
        }
        if self.config.bug != Some(Bug::NoDedup) {
            if let Some(outcome) = self.store.session(client, seq) {
                ctx.observe(Obs::Deduplicated);
                let outcome = outcome.clone();
                ctx.send(client, Msg::Response { seq, outcome });
                return;
            }
        }
        if let KvOp::Get { key } = op {
            if self.lease_valid(ctx) {
                ctx.observe(Obs::LeaseRead);
                ctx.send(client, Msg::Response { seq, outcome: KvOutcome::Ok(self.store.get(key)) });
                return;
            }
        }
        let slot = self.next_slot;
        self.next_slot += 1;
        self.waiting.insert(slot, (client, seq));
        self.propose(ctx, slot, Command::Client { client, seq, op });
    }

    /// Whether it may answer a read alone: its lease holds on its own clock,
    /// and every slot that phase 1 recovered is applied (a write the last
    /// leader acknowledged may be among them).
    fn lease_valid(&self, ctx: &Ctx<'_, MultiPaxos>) -> bool {
        self.uses_leases()
            && self.applied >= self.recovery_end
            && self.lease_until.is_some_and(|until| ctx.monotonic() < until)
    }
}
