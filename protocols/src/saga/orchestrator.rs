//! The orchestrator: runs each order's saga, one step at a time, and the
//! compensations when a step fails for good.
//!
//! Before it acts on a saga (a step to run, a compensation to send, the
//! outcome) it writes where the saga stands to its log and syncs, so a
//! restarted orchestrator resumes every unfinished saga from its log: the
//! services' idempotency keys make the calls it repeats harmless. Each call
//! has a timeout; a step is retried with exponential backoff and jitter
//! from the node's random stream, up to `max_attempts`, and then fails for
//! good. Compensations are retried until they succeed. Payment calls go
//! through the circuit breaker: a saga whose payment the breaker refuses
//! fails fast and is compensated.

use super::breaker::{Breaker, Change};
use super::types::{Answer, Key, Msg, Obs, Phase, SagaLog, Step, Stored, Timer};
use super::{Bug, Role, Saga};
use sim::{Ctx, ProcessId, Span};
use std::collections::BTreeMap;

/// A saga the orchestrator is running.
#[derive(Clone, Debug)]
struct Active {
    log: SagaLog,
    /// Calls made for the current step or compensation.
    attempt: u32,
    /// A call is out and its timeout pending.
    in_flight: bool,
    /// A request for the current step went out: it may have taken effect
    /// (even after an "unavailable" answer, a duplicate of it may arrive
    /// later), so giving up on the step means compensating it too.
    maybe_applied: bool,
    /// Compensations this saga runs.
    compensations: u32,
}

#[derive(Clone, Debug)]
pub struct Orchestrator {
    config: Saga,
    breaker: Breaker,
    active: BTreeMap<u64, Active>,
    /// Finished sagas: completed (true) or compensated.
    finished: BTreeMap<u64, bool>,
}

impl Orchestrator {
    pub fn new(config: Saga) -> Orchestrator {
        let breaker = Breaker::new(
            config.breaker_threshold,
            config.breaker_cooldown,
            config.bug == Some(Bug::BreakerNeverHalfOpens),
        );
        Orchestrator { config, breaker, active: BTreeMap::new(), finished: BTreeMap::new() }
    }

    pub fn breaker(&self) -> &Breaker {
        &self.breaker
    }

    /// Sagas under way.
    pub fn running(&self) -> usize {
        self.active.len()
    }

    pub fn on_start(&mut self, ctx: &mut Ctx<'_, Saga>) {
        let logs: Vec<(u64, SagaLog)> = ctx
            .disk()
            .durable()
            .filter_map(|(k, v)| match (k, v) {
                (Key::Saga(order), Stored::Saga(log)) => Some((*order, log.clone())),
                _ => None,
            })
            .collect();
        for (order, log) in logs {
            if log.phase.is_finished() {
                self.finished.insert(order, log.phase == Phase::Completed);
                if self.config.bug == Some(Bug::RestartForgetsFailures) {
                    // A seeded bug: the log is read as "finished, so done".
                    self.finished.insert(order, true);
                }
                continue;
            }
            let compensations = match &log.phase {
                Phase::Compensating(steps) => steps.len() as u32,
                _ => 0,
            };
            // The call for the logged step may have gone out before the
            // crash.
            let active = Active { log, attempt: 0, in_flight: false, maybe_applied: true, compensations };
            self.active.insert(order, active);
            ctx.observe(Obs::Resumed { order });
            self.call(ctx, order);
        }
    }

    pub fn on_message(&mut self, ctx: &mut Ctx<'_, Saga>, from: ProcessId, msg: Msg) {
        match msg {
            Msg::Place { order, qty } => self.place(ctx, from, order, qty),
            Msg::Reply { order, step, undo, answer } => self.reply(ctx, order, step, undo, answer),
            _ => {}
        }
    }

    pub fn on_timer(&mut self, ctx: &mut Ctx<'_, Saga>, timer: Timer) {
        match timer {
            Timer::CallTimeout { order, attempt } => {
                let Some(a) = self.active.get_mut(&order) else { return };
                if a.attempt != attempt || !a.in_flight {
                    return;
                }
                a.in_flight = false;
                let forward = match a.log.phase {
                    Phase::Forward(step) => Some(step),
                    _ => None,
                };
                if forward == Some(Step::Charge) {
                    self.breaker_changed(ctx, |b, now| b.failure(now, order));
                }
                self.retry_later(ctx, order);
            }
            Timer::Retry { order } => self.call(ctx, order),
            Timer::Flaky | Timer::Resend | Timer::Deliver { .. } => {}
        }
    }

    fn place(&mut self, ctx: &mut Ctx<'_, Saga>, client: ProcessId, order: u64, qty: u32) {
        if let Some(&completed) = self.finished.get(&order) {
            if self.config.bug == Some(Bug::AnswerOnce) {
                // A seeded bug: the outcome was sent once, at the finish.
                return;
            }
            // The first Outcome may have been lost: the client asks again.
            ctx.send(client, Msg::Outcome { order, completed });
            return;
        }
        if self.active.contains_key(&order) {
            return;
        }
        let amount = qty as u64 * self.config.price;
        let log = SagaLog { qty, amount, client, phase: Phase::Forward(Step::Reserve), failed_fast: false };
        self.persist(ctx, order, &log);
        ctx.observe(Obs::Started { order, qty, amount });
        let active = Active { log, attempt: 0, in_flight: false, maybe_applied: false, compensations: 0 };
        self.active.insert(order, active);
        self.call(ctx, order);
    }

    /// The log entry is durable before anything is done about it.
    fn persist(&self, ctx: &mut Ctx<'_, Saga>, order: u64, log: &SagaLog) {
        if self.config.bug == Some(Bug::UnloggedProgress) && !log.phase.is_finished() {
            return;
        }
        ctx.disk().put(Key::Saga(order), Stored::Saga(log.clone()));
        ctx.disk().sync();
    }

    fn service(ctx: &Ctx<'_, Saga>, step: Step, order: u64) -> Option<ProcessId> {
        let role = match step {
            Step::Reserve => Role::Inventory,
            Step::Charge => Role::Payment,
            Step::Ship => Role::Shipping,
        };
        let members: Vec<ProcessId> = ctx.members(role).collect();
        (!members.is_empty()).then(|| members[(order % members.len() as u64) as usize])
    }

    /// Makes the call the saga's phase asks for.
    fn call(&mut self, ctx: &mut Ctx<'_, Saga>, order: u64) {
        let Some(a) = self.active.get(&order) else { return };
        let (qty, amount) = (a.log.qty, a.log.amount);
        let (step, undo) = match &a.log.phase {
            Phase::Forward(step) => (*step, false),
            Phase::Compensating(steps) => (steps[0], true),
            Phase::Completed | Phase::Compensated => return,
        };
        let breaker = if step == Step::Charge && !undo {
            self.breaker.allow(ctx.monotonic(), order)
        } else {
            Some(Change::None)
        };
        if breaker == Some(Change::HalfOpened) {
            ctx.observe(Obs::BreakerHalfOpened { order });
        }
        if breaker.is_none() {
            ctx.observe(Obs::RefusedByBreaker { order });
            let a = self.active.get_mut(&order).expect("the saga is active");
            a.log.failed_fast = true;
            let mut undo = step.before().to_vec();
            if a.maybe_applied {
                undo.push(step);
            }
            self.compensate(ctx, order, undo);
            return;
        }
        let Some(to) = Self::service(ctx, step, order) else { return };
        let msg =
            if undo { Msg::Undo { order, step, qty, amount } } else { Msg::Do { order, step, qty, amount } };
        ctx.send(to, msg);
        let a = self.active.get_mut(&order).expect("the saga is active");
        a.in_flight = true;
        a.maybe_applied |= !undo;
        ctx.set_timer(Timer::CallTimeout { order, attempt: a.attempt }, self.config.call_timeout);
    }

    fn reply(&mut self, ctx: &mut Ctx<'_, Saga>, order: u64, step: Step, undo: bool, answer: Answer) {
        let Some(a) = self.active.get_mut(&order) else { return };
        let expected = match &a.log.phase {
            Phase::Forward(s) => !undo && *s == step,
            Phase::Compensating(steps) => undo && steps[0] == step,
            Phase::Completed | Phase::Compensated => false,
        };
        if !expected {
            return;
        }
        let charge = step == Step::Charge && !undo;
        if answer == Answer::Unavailable {
            // Only the answer to the call in flight counts: a late one was
            // already counted as a timeout.
            if !a.in_flight {
                return;
            }
            a.in_flight = false;
            ctx.cancel_timer(&Timer::CallTimeout { order, attempt: a.attempt });
            if charge {
                self.breaker_changed(ctx, |b, now| b.failure(now, order));
            }
            self.retry_later(ctx, order);
            return;
        }
        ctx.cancel_timer(&Timer::CallTimeout { order, attempt: a.attempt });
        ctx.cancel_timer(&Timer::Retry { order });
        a.in_flight = false;
        if charge {
            self.breaker_changed(ctx, |b, _| b.success(order));
        }
        let a = self.active.get_mut(&order).expect("the saga is active");
        match (&mut a.log.phase, answer) {
            (Phase::Compensating(steps), _) => {
                steps.remove(0);
                if steps.is_empty() {
                    self.finish(ctx, order, false);
                } else {
                    a.attempt = 0;
                    let log = a.log.clone();
                    self.persist(ctx, order, &log);
                    self.call(ctx, order);
                }
            }
            (Phase::Forward(_), Answer::Ok) => match step.next() {
                Some(next) => {
                    a.log.phase = Phase::Forward(next);
                    a.attempt = 0;
                    a.maybe_applied = false;
                    let log = a.log.clone();
                    self.persist(ctx, order, &log);
                    self.call(ctx, order);
                }
                None => self.finish(ctx, order, true),
            },
            // A definite no: this step did nothing; undo those before it.
            (Phase::Forward(_), _) => self.compensate(ctx, order, step.before().to_vec()),
            (Phase::Completed | Phase::Compensated, _) => {}
        }
    }

    /// Schedules the next attempt of the current call after a backoff, or,
    /// for a step that used all its attempts, gives up on it.
    fn retry_later(&mut self, ctx: &mut Ctx<'_, Saga>, order: u64) {
        let Some(a) = self.active.get_mut(&order) else { return };
        a.attempt += 1;
        if let Phase::Forward(step) = a.log.phase {
            if a.attempt >= self.config.max_attempts {
                let mut undo = step.before().to_vec();
                if a.maybe_applied {
                    undo.push(step);
                }
                self.compensate(ctx, order, undo);
                return;
            }
        }
        let exponent = (a.attempt - 1).min(20);
        let backoff = (self.config.backoff * (1u64 << exponent)).min(self.config.backoff_max);
        // "Equal jitter": half the backoff, plus a random part of the other
        // half, so retries from many sagas spread out.
        let half = backoff.nanos() / 2;
        let wait = Span(half + ctx.rng().between(0, backoff.nanos() - half));
        ctx.set_timer(Timer::Retry { order }, wait);
    }

    /// Undoes `done` (the steps that took effect or may have, in the order
    /// they ran): last first.
    fn compensate(&mut self, ctx: &mut Ctx<'_, Saga>, order: u64, mut done: Vec<Step>) {
        if self.config.bug != Some(Bug::CompensateForward) {
            done.reverse();
        }
        if done.is_empty() {
            self.finish(ctx, order, false);
            return;
        }
        let Some(a) = self.active.get_mut(&order) else { return };
        a.compensations = done.len() as u32;
        a.log.phase = Phase::Compensating(done);
        a.attempt = 0;
        a.maybe_applied = false;
        ctx.cancel_timer(&Timer::Retry { order });
        let log = a.log.clone();
        self.persist(ctx, order, &log);
        self.call(ctx, order);
    }

    fn finish(&mut self, ctx: &mut Ctx<'_, Saga>, order: u64, completed: bool) {
        let Some(mut a) = self.active.remove(&order) else { return };
        a.log.phase = if completed { Phase::Completed } else { Phase::Compensated };
        self.persist(ctx, order, &a.log);
        ctx.observe(Obs::Finished {
            order,
            completed,
            failed_fast: a.log.failed_fast,
            compensations: a.compensations,
        });
        self.finished.insert(order, completed);
        ctx.send(a.log.client, Msg::Outcome { order, completed });
    }

    fn breaker_changed(
        &mut self,
        ctx: &mut Ctx<'_, Saga>,
        outcome: impl FnOnce(&mut Breaker, sim::Time) -> Change,
    ) {
        match outcome(&mut self.breaker, ctx.monotonic()) {
            Change::Opened => ctx.observe(Obs::BreakerOpened),
            Change::Closed => ctx.observe(Obs::BreakerClosed),
            Change::HalfOpened | Change::None => {}
        }
    }
}
