//! The choreographed variant: no node runs the saga; each reacts to the
//! event of the one before and publishes its own.
//!
//! The orchestrator's node becomes the order desk: it logs the order and
//! publishes `OrderPlaced`. The inventory reserves and publishes
//! `StockReserved` to the payment service, which charges and publishes
//! `Charged` to shipping, which books and publishes `OrderCompleted` back to
//! the desk. When shipping declines, the compensations flow back the same
//! way: `ShipmentFailed` (payment refunds), `Refunded` (inventory
//! releases), `OrderCancelled`. Every event is delivered at least once: it
//! is written to the publisher's outbox on disk, with the effect that
//! caused it, and sent again after a timeout, with exponential backoff and
//! jitter, until the receiver acknowledges it; receivers apply each effect
//! once by its idempotency key. The inventory calls the payment service
//! through the circuit breaker and gives up on `StockReserved` after
//! `max_attempts` (or at once while the breaker is open): it sends
//! `CancelCharge`, which leaves a tombstone if the charge has not happened
//! (then the inventory releases the stock and cancels the order) or is
//! refused if it has (then the order has gone on to shipping).

use super::breaker::{Breaker, Change};
use super::service::Service;
use super::types::{Answer, Event, Key, Msg, Obs, Outgoing, Phase, SagaLog, Step, Stored, Timer};
use super::{Bug, Role, Saga};
use sim::{Ctx, ProcessId, Span, Time};
use std::collections::BTreeMap;

/// An event on its way.
#[derive(Clone, Debug)]
struct Delivery {
    attempt: u32,
    /// A copy is out and its timeout pending (else a backoff is).
    in_flight: bool,
}

#[derive(Clone, Debug)]
pub struct ChoreoNode {
    config: Saga,
    role: Role,
    /// The service's data (unused at the order desk).
    service: Service,
    /// The inventory's breaker for the payment service.
    breaker: Breaker,
    pending: BTreeMap<(u64, Event), Delivery>,
    /// The order desk's finished orders: completed or not.
    finished: BTreeMap<u64, bool>,
}

impl ChoreoNode {
    pub fn new(config: Saga, role: Role) -> ChoreoNode {
        let breaker = Breaker::new(
            config.breaker_threshold,
            config.breaker_cooldown,
            config.bug == Some(Bug::BreakerNeverHalfOpens),
        );
        ChoreoNode {
            config,
            role,
            service: Service::new(config, role),
            breaker,
            pending: BTreeMap::new(),
            finished: BTreeMap::new(),
        }
    }

    /// The service's state (`None` at the order desk).
    pub fn service(&self) -> Option<&Service> {
        (self.role != Role::Orchestrator).then_some(&self.service)
    }

    pub fn breaker(&self) -> &Breaker {
        &self.breaker
    }

    pub fn on_start(&mut self, ctx: &mut Ctx<'_, Saga>) {
        if self.role != Role::Orchestrator {
            self.service.on_start(ctx);
        }
        let mut unfinished = Vec::new();
        let mut undelivered = Vec::new();
        for (key, value) in ctx.disk().durable() {
            match (key, value) {
                (Key::Saga(order), Stored::Saga(log)) if log.phase.is_finished() => {
                    self.finished.insert(*order, log.phase == Phase::Completed);
                }
                (Key::Saga(order), Stored::Saga(_)) => unfinished.push(*order),
                (Key::Outbox(order, event), Stored::Outbox(out)) if !out.delivered => {
                    undelivered.push((*order, *event))
                }
                _ => {}
            }
        }
        for order in unfinished {
            ctx.observe(Obs::Resumed { order });
        }
        for (order, event) in undelivered {
            self.pending.insert((order, event), Delivery { attempt: 0, in_flight: false });
            self.send(ctx, order, event);
        }
    }

    pub fn on_timer(&mut self, ctx: &mut Ctx<'_, Saga>, timer: Timer) {
        match timer {
            Timer::Flaky => self.service.on_timer(ctx, timer),
            Timer::Deliver { order, event } => {
                let Some(d) = self.pending.get_mut(&(order, event)) else { return };
                if d.in_flight {
                    d.in_flight = false;
                    self.failed(ctx, order, event);
                } else {
                    self.send(ctx, order, event);
                }
            }
            _ => {}
        }
    }

    pub fn on_message(&mut self, ctx: &mut Ctx<'_, Saga>, from: ProcessId, msg: Msg) {
        match msg {
            Msg::Place { order, qty } if self.role == Role::Orchestrator => self.place(ctx, from, order, qty),
            Msg::Event { order, event, qty, amount, fast, undone } => {
                self.receive(ctx, from, order, event, (qty, amount), fast, undone)
            }
            Msg::Ack { order, event, answer } => self.acked(ctx, order, event, answer),
            _ => {}
        }
    }

    fn member(ctx: &Ctx<'_, Saga>, role: Role, order: u64) -> Option<ProcessId> {
        let members: Vec<ProcessId> = ctx.members(role).collect();
        (!members.is_empty()).then(|| members[(order % members.len() as u64) as usize])
    }

    fn outgoing(ctx: &mut Ctx<'_, Saga>, order: u64, event: Event) -> Option<Outgoing> {
        match ctx.disk().get(&Key::Outbox(order, event)) {
            Some(Stored::Outbox(out)) => Some(*out),
            _ => None,
        }
    }

    /// Writes the event to the outbox (once per order and event: a
    /// duplicate of its cause publishes nothing) and sends it.
    #[allow(clippy::too_many_arguments)]
    fn publish(
        &mut self,
        ctx: &mut Ctx<'_, Saga>,
        order: u64,
        event: Event,
        to: Role,
        (qty, amount): (u32, u64),
        fast: bool,
        undone: u32,
    ) {
        if Self::outgoing(ctx, order, event).is_some() {
            return;
        }
        let Some(to) = Self::member(ctx, to, order) else { return };
        let out = Outgoing { to, qty, amount, fast, undone, delivered: false };
        ctx.disk().put(Key::Outbox(order, event), Stored::Outbox(out));
        ctx.disk().sync();
        self.pending.insert((order, event), Delivery { attempt: 0, in_flight: false });
        self.send(ctx, order, event);
    }

    fn send(&mut self, ctx: &mut Ctx<'_, Saga>, order: u64, event: Event) {
        let Some(out) = Self::outgoing(ctx, order, event) else { return };
        if event == Event::StockReserved {
            match self.breaker.allow(ctx.monotonic(), order) {
                None => {
                    ctx.observe(Obs::RefusedByBreaker { order });
                    self.give_up(ctx, order, true);
                    return;
                }
                Some(Change::HalfOpened) => ctx.observe(Obs::BreakerHalfOpened { order }),
                Some(_) => {}
            }
        }
        let msg =
            Msg::Event { order, event, qty: out.qty, amount: out.amount, fast: out.fast, undone: out.undone };
        ctx.send(out.to, msg);
        if let Some(d) = self.pending.get_mut(&(order, event)) {
            d.in_flight = true;
        }
        ctx.set_timer(Timer::Deliver { order, event }, self.config.call_timeout);
    }

    /// The copy out timed out or found the receiver unavailable.
    fn failed(&mut self, ctx: &mut Ctx<'_, Saga>, order: u64, event: Event) {
        if event == Event::StockReserved {
            self.breaker_changed(ctx, |b, now| b.failure(now, order));
        }
        let Some(d) = self.pending.get_mut(&(order, event)) else { return };
        d.attempt += 1;
        if event == Event::StockReserved && d.attempt >= self.config.max_attempts {
            self.give_up(ctx, order, false);
            return;
        }
        let exponent = (d.attempt - 1).min(20);
        let backoff = (self.config.backoff * (1u64 << exponent)).min(self.config.backoff_max);
        let half = backoff.nanos() / 2;
        let wait = Span(half + ctx.rng().between(0, backoff.nanos() - half));
        ctx.set_timer(Timer::Deliver { order, event }, wait);
    }

    /// The inventory stops trying to get the order charged: the charge is
    /// cancelled if it has not happened.
    fn give_up(&mut self, ctx: &mut Ctx<'_, Saga>, order: u64, fast: bool) {
        let Some(out) = Self::outgoing(ctx, order, Event::StockReserved) else { return };
        self.delivered(ctx, order, Event::StockReserved);
        self.publish(ctx, order, Event::CancelCharge, Role::Payment, (out.qty, out.amount), fast, 0);
    }

    /// The event needs no more sending.
    fn delivered(&mut self, ctx: &mut Ctx<'_, Saga>, order: u64, event: Event) {
        self.pending.remove(&(order, event));
        ctx.cancel_timer(&Timer::Deliver { order, event });
        if let Some(mut out) = Self::outgoing(ctx, order, event) {
            out.delivered = true;
            ctx.disk().put(Key::Outbox(order, event), Stored::Outbox(out));
            ctx.disk().sync();
        }
    }

    fn acked(&mut self, ctx: &mut Ctx<'_, Saga>, order: u64, event: Event, answer: Answer) {
        let Some(d) = self.pending.get_mut(&(order, event)) else { return };
        if answer == Answer::Unavailable {
            if d.in_flight {
                d.in_flight = false;
                ctx.cancel_timer(&Timer::Deliver { order, event });
                self.failed(ctx, order, event);
            }
            return;
        }
        self.delivered(ctx, order, event);
        if event == Event::StockReserved {
            self.breaker_changed(ctx, |b, _| b.success(order));
        }
        if event == Event::CancelCharge && answer == Answer::Ok {
            // The charge never happened and now never will.
            let Some(out) = Self::outgoing(ctx, order, event) else { return };
            self.service.undo(ctx, order, Step::Reserve, out.qty, out.amount);
            self.publish(
                ctx,
                order,
                Event::OrderCancelled,
                Role::Orchestrator,
                (out.qty, out.amount),
                out.fast,
                1,
            );
        }
    }

    #[allow(clippy::too_many_arguments)]
    fn receive(
        &mut self,
        ctx: &mut Ctx<'_, Saga>,
        from: ProcessId,
        order: u64,
        event: Event,
        (qty, amount): (u32, u64),
        fast: bool,
        undone: u32,
    ) {
        let flaky = self.role == Role::Payment && self.service.refuses_now(ctx);
        let answer = if flaky {
            Answer::Unavailable
        } else {
            match (self.role, event) {
                (Role::Orchestrator, Event::OrderCompleted | Event::OrderCancelled) => {
                    self.finish(ctx, order, event == Event::OrderCompleted, fast, undone);
                    Answer::Ok
                }
                (Role::Inventory, Event::OrderPlaced) => {
                    if self.service.apply(ctx, order, Step::Reserve, qty, amount) == Answer::Ok {
                        self.publish(
                            ctx,
                            order,
                            Event::StockReserved,
                            Role::Payment,
                            (qty, amount),
                            false,
                            0,
                        );
                    } else {
                        self.publish(
                            ctx,
                            order,
                            Event::OrderCancelled,
                            Role::Orchestrator,
                            (qty, amount),
                            false,
                            0,
                        );
                    }
                    Answer::Ok
                }
                (Role::Inventory, Event::Refunded) => {
                    self.service.undo(ctx, order, Step::Reserve, qty, amount);
                    self.publish(
                        ctx,
                        order,
                        Event::OrderCancelled,
                        Role::Orchestrator,
                        (qty, amount),
                        false,
                        2,
                    );
                    Answer::Ok
                }
                (Role::Payment, Event::StockReserved) => {
                    let answer = self.service.apply(ctx, order, Step::Charge, qty, amount);
                    if answer == Answer::Ok {
                        self.publish(ctx, order, Event::Charged, Role::Shipping, (qty, amount), false, 0);
                    }
                    answer
                }
                (Role::Payment, Event::ShipmentFailed) => {
                    self.service.undo(ctx, order, Step::Charge, qty, amount);
                    self.publish(ctx, order, Event::Refunded, Role::Inventory, (qty, amount), false, 0);
                    Answer::Ok
                }
                (Role::Payment, Event::CancelCharge) => self.service.cancel_charge(ctx, order, qty, amount),
                (Role::Shipping, Event::Charged) => {
                    if self.service.apply(ctx, order, Step::Ship, qty, amount) == Answer::Ok {
                        self.publish(
                            ctx,
                            order,
                            Event::OrderCompleted,
                            Role::Orchestrator,
                            (qty, amount),
                            false,
                            0,
                        );
                    } else {
                        self.publish(
                            ctx,
                            order,
                            Event::ShipmentFailed,
                            Role::Payment,
                            (qty, amount),
                            false,
                            0,
                        );
                    }
                    Answer::Ok
                }
                _ => return,
            }
        };
        ctx.send(from, Msg::Ack { order, event, answer });
    }

    fn place(&mut self, ctx: &mut Ctx<'_, Saga>, client: ProcessId, order: u64, qty: u32) {
        if let Some(&completed) = self.finished.get(&order) {
            ctx.send(client, Msg::Outcome { order, completed });
            return;
        }
        if ctx.disk().get(&Key::Saga(order)).is_some() {
            return;
        }
        let amount = qty as u64 * self.config.price;
        let log = SagaLog { qty, amount, client, phase: Phase::Forward(Step::Reserve), failed_fast: false };
        ctx.disk().put(Key::Saga(order), Stored::Saga(log));
        ctx.observe(Obs::Started { order, qty, amount });
        self.publish(ctx, order, Event::OrderPlaced, Role::Inventory, (qty, amount), false, 0);
    }

    fn finish(&mut self, ctx: &mut Ctx<'_, Saga>, order: u64, completed: bool, fast: bool, undone: u32) {
        if self.finished.contains_key(&order) {
            return;
        }
        let Some(Stored::Saga(log)) = ctx.disk().get(&Key::Saga(order)).cloned() else { return };
        let client = log.client;
        let phase = if completed { Phase::Completed } else { Phase::Compensated };
        ctx.disk().put(Key::Saga(order), Stored::Saga(SagaLog { phase, failed_fast: fast, ..log }));
        ctx.disk().sync();
        ctx.observe(Obs::Finished { order, completed, failed_fast: fast, compensations: undone });
        self.finished.insert(order, completed);
        ctx.send(client, Msg::Outcome { order, completed });
    }

    fn breaker_changed(
        &mut self,
        ctx: &mut Ctx<'_, Saga>,
        outcome: impl FnOnce(&mut Breaker, Time) -> Change,
    ) {
        match outcome(&mut self.breaker, ctx.monotonic()) {
            Change::Opened => ctx.observe(Obs::BreakerOpened),
            Change::Closed => ctx.observe(Obs::BreakerClosed),
            Change::HalfOpened | Change::None => {}
        }
    }
}
