//! A service that owns its data: the inventory (stock on hand), the payment
//! service (money charged) or the shipping service (shipments booked).
//!
//! Each step and each compensation is a local transaction: the service
//! looks up the request's idempotency key, applies the effect, writes the
//! record and its running total, syncs, and only then answers. A repeated
//! request is answered with the first answer and changes nothing. A
//! compensation for a step the service never ran leaves a tombstone, so
//! that the step, if its request is still in flight, is refused when it
//! arrives. The payment service can be flaky: during periods drawn from
//! its random stream it answers a fraction of requests "unavailable"
//! without doing anything.

use super::types::{Answer, Key, Msg, Obs, Record, Step, Stored, Timer};
use super::{Bug, Role, Saga};
use sim::{Ctx, ProcessId, Span};

#[derive(Clone, Debug)]
pub struct Service {
    config: Saga,
    role: Role,
    /// Stock on hand (inventory), money held (payment), shipments booked
    /// (shipping). Durable under `Key::Counter`.
    total: i64,
    /// In a flaky period (payment only).
    flaky: bool,
}

impl Service {
    pub fn new(config: Saga, role: Role) -> Service {
        Service { config, role, total: 0, flaky: false }
    }

    /// The service's running total: stock on hand, money held, or
    /// shipments booked.
    pub fn total(&self) -> i64 {
        self.total
    }

    pub fn role(&self) -> Role {
        self.role
    }

    pub fn is_flaky(&self) -> bool {
        self.flaky
    }

    pub fn on_start(&mut self, ctx: &mut Ctx<'_, Saga>) {
        let initial = if self.role == Role::Inventory { self.config.stock as i64 } else { 0 };
        self.total = match ctx.disk().get(&Key::Counter) {
            Some(Stored::Counter(v)) => *v,
            _ => initial,
        };
        self.flaky = false;
        if self.role == Role::Payment && self.config.flaky.is_some() {
            self.schedule_flaky(ctx);
        }
    }

    fn schedule_flaky(&mut self, ctx: &mut Ctx<'_, Saga>) {
        let Some(flaky) = self.config.flaky else { return };
        let (range, now) = (if self.flaky { flaky.length } else { flaky.every }, ctx.monotonic());
        let mut wait = Span(ctx.rng().between(range.min.nanos(), range.max.nanos()));
        if self.flaky {
            // Flakiness stops with every other fault when the settle phase
            // begins.
            wait = wait.min(self.config.settle_start.saturating_since(now));
        }
        ctx.set_timer(Timer::Flaky, wait);
    }

    pub fn on_timer(&mut self, ctx: &mut Ctx<'_, Saga>, timer: Timer) {
        if timer != Timer::Flaky {
            return;
        }
        self.flaky = !self.flaky && ctx.monotonic() < self.config.settle_start;
        if self.flaky || ctx.monotonic() < self.config.settle_start {
            self.schedule_flaky(ctx);
        }
    }

    pub fn on_message(&mut self, ctx: &mut Ctx<'_, Saga>, from: ProcessId, msg: Msg) {
        let (order, step, undo, qty, amount) = match msg {
            Msg::Do { order, step, qty, amount } => (order, step, false, qty, amount),
            Msg::Undo { order, step, qty, amount } => (order, step, true, qty, amount),
            _ => return,
        };
        let answer = if self.refuses_now(ctx) {
            Answer::Unavailable
        } else if undo {
            self.undo(ctx, order, step, qty, amount)
        } else {
            self.apply(ctx, order, step, qty, amount)
        };
        ctx.send(from, Msg::Reply { order, step, undo, answer });
    }

    pub(super) fn refuses_now(&mut self, ctx: &mut Ctx<'_, Saga>) -> bool {
        match self.config.flaky {
            Some(flaky) if self.flaky => ctx.rng().chance(flaky.refuse.0),
            _ => false,
        }
    }

    fn record(ctx: &mut Ctx<'_, Saga>, order: u64, step: Step) -> Option<Record> {
        match ctx.disk().get(&Key::Record(order, step)) {
            Some(Stored::Record(r)) => Some(*r),
            _ => None,
        }
    }

    /// The step's effect on the running total.
    fn delta(&self, qty: u32, amount: u64) -> i64 {
        match self.role {
            Role::Inventory => -(qty as i64),
            Role::Payment => amount as i64,
            Role::Shipping | Role::Orchestrator => 1,
        }
    }

    /// Writes the record and the new total, durably, before any answer.
    fn commit(&mut self, ctx: &mut Ctx<'_, Saga>, order: u64, step: Step, record: Record) {
        ctx.disk().put(Key::Record(order, step), Stored::Record(record));
        ctx.disk().put(Key::Counter, Stored::Counter(self.total));
        ctx.disk().sync();
    }

    pub(super) fn apply(
        &mut self,
        ctx: &mut Ctx<'_, Saga>,
        order: u64,
        step: Step,
        qty: u32,
        amount: u64,
    ) -> Answer {
        let bug = self.config.bug;
        if let Some(first) = Self::record(ctx, order, step) {
            if bug != Some(Bug::NoIdempotency) || self.role != Role::Payment {
                ctx.observe(Obs::Deduplicated { order, step, undo: false });
                return match first {
                    Record::Applied { .. } => Answer::Ok,
                    Record::Refused | Record::Cancelled => Answer::Refused,
                };
            }
        }
        let take = match self.role {
            Role::Inventory => bug == Some(Bug::NoStockCheck) || self.total >= qty as i64,
            // A destination the shipping service does not serve: decided
            // once, then remembered under the key like any answer.
            Role::Shipping => !ctx.rng().chance(self.config.ship_refuse.0),
            Role::Payment | Role::Orchestrator => true,
        };
        if !take {
            self.commit(ctx, order, step, Record::Refused);
            return Answer::Refused;
        }
        self.total += self.delta(qty, amount);
        self.commit(ctx, order, step, Record::Applied { undone: false });
        ctx.observe(Obs::Effect { order, step, undo: false, qty, amount });
        Answer::Ok
    }

    /// Choreography: cancels a charge that has not happened, leaving a
    /// tombstone (`Ok`), or answers `Refused` when it has: then the order
    /// has gone on to shipping, and only a refund from there may undo it.
    pub(super) fn cancel_charge(
        &mut self,
        ctx: &mut Ctx<'_, Saga>,
        order: u64,
        qty: u32,
        amount: u64,
    ) -> Answer {
        match Self::record(ctx, order, Step::Charge) {
            Some(Record::Applied { undone: false }) => Answer::Refused,
            _ => self.undo(ctx, order, Step::Charge, qty, amount),
        }
    }

    pub(super) fn undo(
        &mut self,
        ctx: &mut Ctx<'_, Saga>,
        order: u64,
        step: Step,
        qty: u32,
        amount: u64,
    ) -> Answer {
        let bug = self.config.bug;
        let record = Self::record(ctx, order, step);
        let run = match record {
            Some(Record::Applied { undone: false }) => true,
            Some(Record::Applied { undone: true }) => {
                let again = bug == Some(Bug::RefundNotIdempotent) && self.role == Role::Payment;
                if !again {
                    ctx.observe(Obs::Deduplicated { order, step, undo: true });
                }
                again
            }
            Some(Record::Refused | Record::Cancelled) | None => bug == Some(Bug::BlindCompensation),
        };
        if run {
            self.total -= self.delta(qty, amount);
            ctx.observe(Obs::Effect { order, step, undo: true, qty, amount });
        }
        let after = match record {
            Some(Record::Applied { .. }) => Record::Applied { undone: true },
            Some(Record::Refused) => Record::Refused,
            Some(Record::Cancelled) | None => Record::Cancelled,
        };
        if run || record != Some(after) {
            self.commit(ctx, order, step, after);
        }
        Answer::Ok
    }
}
