//! The saga's properties, computed from what the services report: each
//! effect a service applies (a step or a compensation) is an observation,
//! and each service's running total (stock on hand, money held, shipments)
//! is read from its state after every step. Per order the checker keeps how
//! often each step took effect and was undone, so each observation costs a
//! map lookup; nothing rescans the run.
//!
//! What the clients are told is judged from the history: each order's
//! invocation names it, so a completion is matched with the outcome its
//! saga finished with (*answer-matches*), and an order whose saga finished
//! but whose client never heard, although the network had healed a grace
//! before the client gave up, breaks *orders-answered*.

use super::types::{Obs, Step};
use super::{Prop, Role, Saga};
use sim::history::EventKind;
use sim::metrics::percentile;
use sim::{Checker, HistoryEvent, Metric, Observed, Setup, Span, Time, Value, Verdicts, World};
use std::collections::BTreeMap;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Status {
    Running,
    Completed,
    Compensated,
}

#[derive(Clone, Debug)]
struct Order {
    started: Time,
    status: Status,
    /// Per step: how many times it took effect, and was undone.
    taken: [u32; 3],
    undone: [u32; 3],
    /// The first outcome its saga finished with, and when.
    outcome: Option<(bool, Time)>,
}

impl Order {
    /// Whether the step's effect stands: 1 if it does, 0 if not (or it was
    /// undone); anything else is a broken balance.
    fn net(&self, step: Step) -> i64 {
        self.taken[step.index()] as i64 - self.undone[step.index()] as i64
    }

    fn describe(&self) -> String {
        let parts: Vec<String> = Step::ALL
            .iter()
            .map(|&s| match self.net(s) {
                0 => format!("not {}", s.verb()),
                1 => s.verb().to_string(),
                n => format!("{} {n} times", s.verb()),
            })
            .collect();
        parts.join(", ")
    }
}

pub struct SagaChecker {
    stock: u64,
    orders: BTreeMap<u64, Order>,
    /// Per service node: the total its own effects add up to.
    expected: BTreeMap<u32, i64>,
    /// Sagas started before this are judged by all-or-nothing.
    judge_before: Time,
    /// When faults stop and heal.
    heal: Time,
    /// A correct breaker refuses calls only within its cool-down after it
    /// opened, or while the trial call it let through is out: within this
    /// long after it opened or half-opened.
    breaker_window: Span,
    /// Per orchestrator: when its breaker last opened or half-opened.
    breaker_moved: BTreeMap<u32, Time>,
    /// The first order failed fast after the heal by a breaker that had
    /// not moved for longer than the window: orchestrator, order, time,
    /// since when.
    failed_fast_late: Option<(u32, u64, Time, Time)>,
    completed: u64,
    compensated: u64,
    failed_fast: u64,
    refused_by_breaker: u64,
    resumed: u64,
    deduplicated: u64,
    breaker_opened: u64,
    /// Order to completion of completed sagas, in nanoseconds.
    latencies: Vec<u64>,
    /// Per client: the order it is waiting for, and since when.
    waiting: BTreeMap<u32, (u64, Time)>,
    /// How long a client whose order finished keeps asking (re-sending
    /// Place every `retry`) before an unanswered order is a failure.
    grace: Span,
    /// The first order whose saga finished and whose client gave up on it
    /// (or still waited at the end) unanswered: client, order, finished at,
    /// gave up at.
    unanswered: Option<(u32, u64, Time, Time)>,
}

impl SagaChecker {
    pub fn new(config: &Saga, setup: &Setup) -> SagaChecker {
        let settle = setup.end.saturating_since(setup.settle_start);
        SagaChecker {
            stock: config.stock,
            orders: BTreeMap::new(),
            expected: BTreeMap::new(),
            judge_before: setup.end - Span::from_nanos(settle.nanos() / 2),
            heal: setup.settle_start,
            // Twice the bounds, for clocks that drift.
            breaker_window: config.breaker_cooldown * 2 + config.call_timeout * 2,
            breaker_moved: BTreeMap::new(),
            failed_fast_late: None,
            completed: 0,
            compensated: 0,
            failed_fast: 0,
            refused_by_breaker: 0,
            resumed: 0,
            deduplicated: 0,
            breaker_opened: 0,
            latencies: Vec::new(),
            waiting: BTreeMap::new(),
            // Three re-sends, each a round trip, and room for drifting clocks.
            grace: config.retry * 3 + Span::from_millis(100),
            unanswered: None,
        }
    }

    /// A client ended (or, at the end of the run, still waits for) `order`
    /// at `at` without hearing its outcome.
    fn not_answered(&mut self, client: u32, order: u64, at: Time) {
        let Some((_, finished)) = self.orders.get(&order).and_then(|o| o.outcome) else { return };
        // Before the heal the client's re-sends may all have been lost.
        if finished.max(self.heal) + self.grace <= at && self.unanswered.is_none() {
            self.unanswered = Some((client, order, finished, at));
        }
    }

    fn effect(
        &mut self,
        node: u32,
        role: Option<Role>,
        (order, step, undo, qty, amount): (u64, Step, bool, u32, u64),
        v: &mut Verdicts<Prop>,
    ) {
        let delta = match role {
            Some(Role::Inventory) => -(qty as i64),
            Some(Role::Payment) => amount as i64,
            _ => 1,
        };
        let stock = self.stock as i64;
        let expected =
            self.expected.entry(node).or_insert(if role == Some(Role::Inventory) { stock } else { 0 });
        *expected += if undo { -delta } else { delta };
        let Some(o) = self.orders.get_mut(&order) else {
            v.violated(
                Prop::Balance,
                format!("n{node}: {} for order {order}, which no saga started", step.verb()),
            );
            return;
        };
        let i = step.index();
        if !undo {
            o.taken[i] += 1;
            if step == Step::Charge && o.taken[i] > 1 {
                v.violated(Prop::ChargedOnce, format!("order {order} was charged {} times", o.taken[i]));
            } else if o.status == Status::Compensated {
                v.violated(
                    Prop::Balance,
                    format!("order {order} was compensated in full, and then n{node} {} it", step.verb()),
                );
            } else if o.net(step) > 1 {
                v.violated(Prop::Balance, format!("order {order}: {} {} times", step.verb(), o.net(step)));
            }
            return;
        }
        if o.net(step) <= 0 {
            if o.undone[i] > 0 {
                v.violated(
                    Prop::CompensatedOnce,
                    format!("order {order}: {} twice (n{node} ran the compensation again)", step.undo_verb()),
                );
            } else {
                v.violated(
                    Prop::CompensationsForEffects,
                    format!(
                        "order {order}: n{node} {} though it was never {}",
                        step.undo_verb(),
                        step.verb()
                    ),
                );
            }
        } else if let Some(later) = Step::ALL[i + 1..].iter().find(|&&t| o.net(t) > 0) {
            v.violated(
                Prop::ReverseOrder,
                format!(
                    "order {order}: {} while it was still {} (compensations must run last step first)",
                    step.undo_verb(),
                    later.verb()
                ),
            );
        }
        o.undone[i] += 1;
    }

    fn finished(&mut self, now: Time, order: u64, completed: bool, v: &mut Verdicts<Prop>) {
        let Some(o) = self.orders.get_mut(&order) else { return };
        o.status = if completed { Status::Completed } else { Status::Compensated };
        o.outcome.get_or_insert((completed, now));
        let want = if completed { 1 } else { 0 };
        if Step::ALL.iter().any(|&s| o.net(s) != want) {
            let what = if completed { "completed" } else { "compensated in full" };
            v.violated(Prop::Balance, format!("order {order} is {what}, yet it stands: {}", o.describe()));
        }
        if completed {
            self.latencies.push(now.saturating_since(o.started).nanos());
        }
    }

    /// Each service's running total against what its effects add up to.
    fn totals(&self, world: &World<'_, Saga>, v: &mut Verdicts<Prop>) {
        for (index, node) in world.live_servers() {
            let Some(service) = node.service() else { continue };
            let role = service.role();
            if role == Role::Inventory && service.total() < 0 {
                v.violated(
                    Prop::StockNeverNegative,
                    format!("n{index} has {} units in stock", service.total()),
                );
            }
            let initial = if role == Role::Inventory { self.stock as i64 } else { 0 };
            let expected = self.expected.get(&index).copied().unwrap_or(initial);
            if service.total() != expected {
                let what = match role {
                    Role::Inventory => "units on hand",
                    Role::Payment => "money held",
                    _ => "shipments booked",
                };
                v.violated(
                    Prop::Balance,
                    format!(
                        "n{index} reports {} {what}, but its effects add up to {expected}",
                        service.total()
                    ),
                );
            }
        }
    }
}

impl Checker<Saga> for SagaChecker {
    fn on_invoke(&mut self, invoke: &HistoryEvent, _v: &mut Verdicts<Prop>) {
        if let Value::Pair(order, _) = invoke.op.value {
            self.waiting.insert(invoke.process, (order as u64, Time(invoke.time_ns)));
        }
    }

    fn on_complete(&mut self, invoke: &HistoryEvent, completion: &HistoryEvent, v: &mut Verdicts<Prop>) {
        let Value::Pair(order, _) = invoke.op.value else { return };
        let order = order as u64;
        self.waiting.remove(&invoke.process);
        let told = match completion.kind {
            EventKind::Ok => true,
            EventKind::Fail => false,
            EventKind::Info => {
                self.not_answered(invoke.process, order, Time(completion.time_ns));
                return;
            }
            EventKind::Invoke => return,
        };
        let word = |c: bool| if c { "completed" } else { "compensated" };
        match self.orders.get(&order).and_then(|o| o.outcome) {
            Some((finished, _)) if finished == told => {}
            Some((finished, at)) => v.violated(
                Prop::AnswerMatches,
                format!(
                    "c{} was told order {order} {}, but its saga {} at {}",
                    invoke.process,
                    word(told),
                    word(finished),
                    at.approx()
                ),
            ),
            None => v.violated(
                Prop::AnswerMatches,
                format!("c{} was told order {order} {} before its saga finished", invoke.process, word(told)),
            ),
        }
    }

    fn after_step(
        &mut self,
        world: &World<'_, Saga>,
        observations: &[Observed<Obs>],
        v: &mut Verdicts<Prop>,
    ) {
        let mut services_changed = false;
        for o in observations {
            let node = o.from.index();
            match o.obs {
                Obs::Started { order, .. } => {
                    // A forgetful orchestrator may start an order's saga again.
                    self.orders.entry(order).or_insert(Order {
                        started: world.now(),
                        status: Status::Running,
                        taken: [0; 3],
                        undone: [0; 3],
                        outcome: None,
                    });
                }
                Obs::Finished { order, completed, failed_fast, compensations } => {
                    if completed {
                        self.completed += 1;
                    } else {
                        self.compensated += 1;
                        if compensations > 0 {
                            v.fired(Prop::SagaCompensated);
                        }
                    }
                    if failed_fast {
                        self.failed_fast += 1;
                    }
                    self.finished(world.now(), order, completed, v);
                }
                Obs::Resumed { .. } => {
                    self.resumed += 1;
                    v.fired(Prop::SagaResumed);
                }
                Obs::Effect { order, step, undo, qty, amount } => {
                    services_changed = true;
                    self.effect(node, world.role_of(node), (order, step, undo, qty, amount), v);
                }
                Obs::Deduplicated { .. } => {
                    self.deduplicated += 1;
                    v.fired(Prop::DuplicateAnswered);
                }
                Obs::BreakerOpened => {
                    self.breaker_opened += 1;
                    self.breaker_moved.insert(node, world.now());
                }
                Obs::BreakerHalfOpened { .. } => {
                    self.breaker_moved.insert(node, world.now());
                }
                Obs::BreakerClosed => v.fired(Prop::BreakerReclosed),
                Obs::RefusedByBreaker { order } => {
                    self.refused_by_breaker += 1;
                    // Judged once everything has run for a window past the
                    // heal (a trial call out when a pause began resolves).
                    let now = world.now();
                    let moved = self.breaker_moved.get(&node).copied().unwrap_or(Time::ZERO);
                    if now >= self.heal + self.breaker_window
                        && now.saturating_since(moved) > self.breaker_window
                        && self.failed_fast_late.is_none()
                    {
                        self.failed_fast_late = Some((node, order, now, moved));
                    }
                }
            }
        }
        if services_changed {
            self.totals(world, v);
        }
    }

    fn at_end(&mut self, world: &World<'_, Saga>, v: &mut Verdicts<Prop>) {
        self.totals(world, v);
        let half_done = self.orders.iter().find(|(_, o)| {
            o.started < self.judge_before
                && (o.status == Status::Running
                    || Step::ALL.iter().any(|&s| o.net(s) != o.net(Step::Reserve))
                    || !(0..=1).contains(&o.net(Step::Reserve)))
        });
        if let Some((order, o)) = half_done {
            let message = if o.status == Status::Running {
                format!(
                    "order {order}'s saga (started at {}) never finished: {}",
                    o.started.approx(),
                    o.describe()
                )
            } else {
                format!(
                    "order {order} (started at {}) is left half done after the settle phase: {}",
                    o.started.approx(),
                    o.describe()
                )
            };
            v.violated(Prop::AllOrNothing, message);
        }
        let end = world.now();
        let waiting: Vec<(u32, u64)> = self.waiting.iter().map(|(c, (o, _))| (*c, *o)).collect();
        for (client, order) in waiting {
            self.not_answered(client, order, end);
        }
        if let Some((client, order, finished, at)) = self.unanswered {
            v.violated(
                Prop::OrdersAnswered,
                format!(
                    "order {order}'s saga finished at {}, yet c{client} had not heard by {} ({} after the heal)",
                    finished.approx(),
                    at.approx(),
                    at.saturating_since(self.heal).approx()
                ),
            );
        }
        if let Some((node, order, at, moved)) = self.failed_fast_late {
            v.violated(
                Prop::BreakerRecovers,
                format!(
                    "n{node} failed order {order} fast at {}, {} after the heal: its breaker had been open since {} without a trial call (cool-down plus a call: at most {})",
                    at.approx(),
                    at.saturating_since(self.heal).approx(),
                    moved.approx(),
                    self.breaker_window.approx()
                ),
            );
        }
    }

    fn metrics(&self, _world: &World<'_, Saga>) -> Vec<Metric> {
        let mut sorted = self.latencies.clone();
        sorted.sort_unstable();
        let ms = |q| percentile(&sorted, q).map_or(0.0, |ns| ns as f64 / 1e6);
        vec![
            Metric::new("sagas completed", self.completed as f64, ""),
            Metric::new("sagas compensated", self.compensated as f64, ""),
            Metric::new("sagas failed fast", self.failed_fast as f64, ""),
            Metric::new("order to completion p50", ms(50), "ms"),
            Metric::new("order to completion p99", ms(99), "ms"),
            Metric::new("calls refused while open", self.refused_by_breaker as f64, ""),
            Metric::new("breaker opened", self.breaker_opened as f64, ""),
            Metric::new("sagas resumed after a crash", self.resumed as f64, ""),
            Metric::new("duplicates answered from keys", self.deduplicated as f64, ""),
        ]
    }
}
