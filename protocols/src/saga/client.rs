//! Clients place orders, and the `orders` workload that makes them.
//!
//! An order has a unique id and a quantity of 1 to 3 units. The client
//! sends it to its orchestrator (orders are spread over orchestrators by
//! id) and sends it again each `retry` until the saga's outcome comes back:
//! `ok` when the order completed in full, `fail` when it was compensated
//! in full (it took no effect), `info` if the workload's timeout passes.

use super::types::{Msg, Timer};
use super::{Role, Saga};
use sim::rng::Rng;
use sim::workload::Generator;
use sim::{Client, Completion, Ctx, Op, ProcessId, Span, Value};

#[derive(Clone)]
pub struct SagaClient {
    retry: Span,
    /// The order in flight: id and quantity.
    current: Option<(u64, u32)>,
}

impl SagaClient {
    pub fn new(retry: Span) -> SagaClient {
        SagaClient { retry, current: None }
    }

    fn send(&self, ctx: &mut Ctx<'_, Saga>) {
        let Some((order, qty)) = self.current else { return };
        let orchestrators: Vec<ProcessId> = ctx.members(Role::Orchestrator).collect();
        if orchestrators.is_empty() {
            return;
        }
        let to = orchestrators[(order % orchestrators.len() as u64) as usize];
        ctx.send(to, Msg::Place { order, qty });
        ctx.set_timer(Timer::Resend, self.retry);
    }
}

impl Client<Saga> for SagaClient {
    fn on_invoke(&mut self, ctx: &mut Ctx<'_, Saga>, op: &Op) {
        match op.value {
            Value::Pair(order, qty) if order > 0 && (1..=u32::MAX as i64).contains(&qty) => {
                self.current = Some((order as u64, qty as u32));
                self.send(ctx);
            }
            // Only the `orders` workload's operations reach a saga client.
            _ => ctx.complete(Completion::Fail),
        }
    }

    fn on_message(&mut self, ctx: &mut Ctx<'_, Saga>, _from: ProcessId, msg: Msg) {
        let Msg::Outcome { order, completed } = msg else { return };
        let Some((current, qty)) = self.current else { return };
        if order != current {
            return;
        }
        self.current = None;
        ctx.cancel_timer(&Timer::Resend);
        ctx.complete(if completed {
            Completion::Ok(Value::Pair(order as i64, qty as i64))
        } else {
            Completion::Fail
        });
    }

    fn on_timer(&mut self, ctx: &mut Ctx<'_, Saga>, timer: Timer) {
        if timer == Timer::Resend {
            self.send(ctx);
        }
    }

    fn on_timeout(&mut self, ctx: &mut Ctx<'_, Saga>) {
        ctx.cancel_timer(&Timer::Resend);
        self.current = None;
    }
}

/// `order [id qty]`: ids 1, 2, 3... in invocation order, quantities 1..=3.
pub struct OrderWorkload {
    next: i64,
}

impl OrderWorkload {
    pub fn new() -> OrderWorkload {
        OrderWorkload { next: 1 }
    }
}

impl Default for OrderWorkload {
    fn default() -> Self {
        OrderWorkload::new()
    }
}

impl Generator for OrderWorkload {
    fn next_op(&mut self, _client: u32, rng: &mut Rng) -> Op {
        let order = self.next;
        self.next += 1;
        Op::new("order", Value::Pair(order, 1 + rng.below(3) as i64))
    }
}
