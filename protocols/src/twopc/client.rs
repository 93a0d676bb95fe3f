//! The bank's clients and workload.
//!
//! Workload `bank`: transfers between random accounts (most across
//! participants, some within one) of 1..=`max_amount`, and audits that read
//! every account. A client sends its request to a coordinator and resends it
//! (same request number) after `retry`; a coordinator answers a request it
//! already ran from what it knows. After an operation times out, the client
//! turns to the next coordinator node (with a replicated decision log there
//! are several).

use super::types::{Msg, Timer, TxnOp};
use super::{Role, TwoPc};
use sim::rng::Rng;
use sim::workload::Generator;
use sim::{Client, Completion, Ctx, Op, ProcessId, Span, Value};

/// Draws the bank's operations.
pub struct BankWorkload {
    pub participants: u32,
    pub accounts: u32,
    pub max_amount: i64,
    pub audit_ppm: u32,
    pub local_ppm: u32,
}

impl Generator for BankWorkload {
    fn next_op(&mut self, _client: u32, rng: &mut Rng) -> Op {
        let (p, a) = (self.participants.max(1) as u64, self.accounts.max(1) as u64);
        if rng.chance(self.audit_ppm) || p * a < 2 {
            return Op::new("audit", Value::Nil);
        }
        let from = rng.below(p * a);
        let shard = from / a;
        let local = (a > 1 && rng.chance(self.local_ppm)) || p == 1;
        let to = if local {
            shard * a + (from % a + 1 + rng.below(a - 1)) % a
        } else {
            let other = (shard + 1 + rng.below(p - 1)) % p;
            other * a + rng.below(a)
        };
        let amount = 1 + rng.below(self.max_amount.max(1) as u64) as i64;
        Op::new("transfer", Value::List(vec![from as i64, to as i64, amount]))
    }
}

/// The operation a history entry stands for, if it is one of the bank's.
pub fn parse(op: &Op) -> Option<TxnOp> {
    match (op.f.as_ref(), &op.value) {
        ("audit", _) => Some(TxnOp::Audit),
        ("transfer", Value::List(v)) => match v[..] {
            [from, to, amount] if from >= 0 && to >= 0 && amount > 0 => {
                Some(TxnOp::Transfer { from: from as u32, to: to as u32, amount })
            }
            _ => None,
        },
        _ => None,
    }
}

#[derive(Clone)]
pub struct BankClient {
    me: u32,
    retry: Span,
    seq: u64,
    current: Option<TxnOp>,
    /// Which coordinator node (among the coordinators) it talks to.
    coordinator: usize,
}

impl BankClient {
    pub fn new(me: u32, retry: Span) -> BankClient {
        BankClient { me, retry, seq: 0, current: None, coordinator: 0 }
    }

    fn send(&mut self, ctx: &mut Ctx<'_, TwoPc>) {
        let Some(op) = self.current else { return };
        let coordinators: Vec<ProcessId> = ctx.members(Role::Coordinator).collect();
        if coordinators.is_empty() {
            return;
        }
        let to = coordinators[self.coordinator % coordinators.len()];
        ctx.send(to, Msg::Submit { req: (self.me, self.seq), op });
        ctx.set_timer(Timer::Retry(self.seq), self.retry);
    }
}

impl Client<TwoPc> for BankClient {
    fn on_invoke(&mut self, ctx: &mut Ctx<'_, TwoPc>, op: &Op) {
        self.seq += 1;
        match parse(op) {
            Some(txn) => {
                self.current = Some(txn);
                self.send(ctx);
            }
            None => ctx.complete(Completion::Fail),
        }
    }

    fn on_message(&mut self, ctx: &mut Ctx<'_, TwoPc>, _from: ProcessId, msg: Msg) {
        let Msg::Outcome { seq, committed, total } = msg else { return };
        if seq != self.seq {
            return;
        }
        let Some(op) = self.current.take() else { return };
        ctx.cancel_timer(&Timer::Retry(seq));
        ctx.complete(match (committed, op, total) {
            (false, _, _) => Completion::Fail,
            (true, TxnOp::Audit, Some(total)) => Completion::Ok(Value::Int(total)),
            // Committed before the coordinator restarted: the total is gone.
            (true, TxnOp::Audit, None) => Completion::Info,
            (true, TxnOp::Transfer { from, to, amount }, _) => {
                Completion::Ok(Value::List(vec![from as i64, to as i64, amount]))
            }
        });
    }

    fn on_timer(&mut self, ctx: &mut Ctx<'_, TwoPc>, timer: Timer) {
        if timer == Timer::Retry(self.seq) && self.current.is_some() {
            self.send(ctx);
        }
    }

    fn on_timeout(&mut self, ctx: &mut Ctx<'_, TwoPc>) {
        ctx.cancel_timer(&Timer::Retry(self.seq));
        self.current = None;
        self.coordinator += 1;
    }
}
