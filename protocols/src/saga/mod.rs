//! Sagas: orders that complete in full or are compensated in full, through
//! crashes, duplicates and a flaky payment service.
//!
//! **Algorithm.** An orchestrated saga. A client places an order (an id
//! and a quantity) with the orchestrator, which runs three steps, each a
//! local transaction at a service that owns its data: the inventory
//! reserves the stock, the payment service charges the amount, the
//! shipping service books a shipment. When a step fails for good (a
//! definite no, or no answer after `max_attempts` calls) the orchestrator
//! runs the compensations of the steps that took effect, last first
//! (cancel the shipment, refund, release the stock); a step whose outcome
//! it cannot know is compensated too, and the service, if it never ran it,
//! leaves a tombstone that refuses the step should its request still
//! arrive. Every request and compensation carries an idempotency key (the
//! order and the step); services keep what each key did on their disk, so a
//! duplicated or retried request takes effect once and gets the first
//! answer. Each call has a timeout; retries back off exponentially with
//! jitter drawn from the orchestrator's random stream. The orchestrator
//! logs each saga's progress durably before acting on it, and a restarted
//! orchestrator resumes every unfinished saga from its log. The payment
//! service can be flaky (the scenario's `flaky` setting: in periods drawn
//! from its random stream it refuses a fraction of requests); the
//! orchestrator calls it through a circuit breaker (closed, open, half-open;
//! `breaker_threshold` failures in a row open it for `breaker_cooldown`),
//! and while it is open, orders fail fast and are compensated.
//!
//! With `mode = "choreographed"` no node runs the saga: the orchestrator's
//! node is only the order desk, and each service reacts to the event of
//! the one before and publishes its own, through a durable outbox that
//! delivers each event at least once (see `choreography.rs`). The
//! compensations flow back the same way, last step first; the inventory
//! calls the payment service through the breaker.
//!
//! **Properties.** Always, after every step, from the services' own
//! effects and totals: *stock-never-negative*; *charged-once* (no order is
//! charged twice); *compensations-for-effects* (a compensation takes effect
//! only for a step that did) and *compensated-once* (never twice);
//! *reverse-order* (a step is undone only once every later step is);
//! *balance* (each step of an order stands at most once; a completed order
//! has all three, a compensated one none, and then gains none; each
//! service's running total (stock on hand, money held, shipments) equals
//! what its effects add up to: money held is charged minus refunded, the
//! value of the orders completed or still in progress); from the history,
//! *answer-matches* (a client told ok or fail hears the outcome its order's
//! saga finished with: a restarted orchestrator or desk answers re-sent
//! Places from its log). Eventually, after
//! the heal plus the settle phase: *all-or-nothing* (every saga started
//! before the last half of the settle phase finished, completed in full or
//! compensated in full) and *breaker-recovers* (orders do not keep failing
//! fast once the payment service recovered: after the heal, the breaker
//! refuses orders only within a cool-down of opening or while its trial
//! call is out, so it lets calls through again) and *orders-answered*
//! (a client whose order's saga finished hears it: an order left `info`
//! although its saga had finished and the network had healed a grace of
//! three re-sends before the client gave up is a lost answer, since the
//! client's re-sent Place must recover a lost Outcome). Sometimes: *saga-compensated*,
//! *duplicate-answered*, *saga-resumed*, *breaker-reclosed*.
//!
//! **Seeded bugs.**
//! - `no-idempotency`: the payment service ignores idempotency keys; a
//!   duplicated or retried charge charges twice (*charged-once*).
//! - `unlogged-progress`: the orchestrator logs only outcomes; after a
//!   crash it forgets the sagas under way, their steps and their pending
//!   compensations (*all-or-nothing*).
//! - `compensate-forward`: compensations run in the order of the steps,
//!   releasing the stock while the order is still charged (*reverse-order*).
//! - `blind-compensation`: services undo whatever a compensation names,
//!   without checking that the step took effect: a refund of a charge that
//!   never happened (*compensations-for-effects*).
//! - `refund-not-idempotent`: the payment service refunds every refund
//!   request, duplicates included (*compensated-once*).
//! - `breaker-never-half-opens`: once open, the breaker stays open; orders
//!   fail fast long after the payment service recovered
//!   (*breaker-recovers*, a liveness failure).
//! - `no-stock-check`: the inventory reserves without checking the stock
//!   on hand (*stock-never-negative*).
//! - `restart-forgets-failures`: a restarted orchestrator reads every
//!   finished saga in its log as completed; a client whose compensated
//!   order's Outcome was lost is told it completed (*answer-matches*).
//! - `answer-once`: the orchestrator sends an order's outcome when its saga
//!   finishes and ignores a re-sent Place of a finished order; a client
//!   whose Outcome was lost never learns it (*orders-answered*).
//!
//! All but `unlogged-progress`, `compensate-forward`,
//! `restart-forgets-failures` and `answer-once` (which need an
//! orchestrator) exist in the choreographed variant too, and are caught by
//! the same properties.

mod breaker;
mod checker;
mod choreography;
mod client;
mod orchestrator;
mod service;
mod types;

pub use breaker::{Breaker, BreakerState, Change};
pub use checker::SagaChecker;
pub use choreography::ChoreoNode;
pub use client::{OrderWorkload, SagaClient};
pub use orchestrator::Orchestrator;
pub use service::Service;
pub use types::{Answer, Event, Key, Msg, Obs, Outgoing, Phase, Record, SagaLog, Step, Stored, Timer};

use serde::Deserialize;
use sim::named::NamedSet;
use sim::rng::Probability;
use sim::time::{Duration, DurationRange};
use sim::workload::Generator;
use sim::{Cluster, Ctx, Diagnostic, ProcessId, Protocol, ProtocolInfo, Scenario, Server, Setup, Span, Time};

sim::roles! {
    pub enum Role {
        Orchestrator = ("orchestrator", "runs each order's saga and its compensations, from a durable log"),
        Inventory = ("inventory", "reserves and releases stock"),
        Payment = ("payment", "charges and refunds; flaky when the scenario says so"),
        Shipping = ("shipping", "books and cancels shipments"),
    }
}

sim::properties! {
    pub enum Prop {
        StockNeverNegative = ("stock-never-negative", Always, "no inventory ever has less than zero units in stock"),
        ChargedOnce = ("charged-once", Always, "no order is charged twice"),
        CompensationsForEffects = ("compensations-for-effects", Always, "a compensation takes effect only for a step that took effect"),
        CompensatedOnce = ("compensated-once", Always, "no step is compensated twice"),
        ReverseOrder = ("reverse-order", Always, "a step is undone only once every later step of its order is"),
        Balance = ("balance", Always, "each step stands at most once; completed orders hold all, compensated none; totals match effects"),
        AllOrNothing = ("all-or-nothing", Eventually, "after the settle phase every saga is completed in full or compensated in full"),
        BreakerRecovers = ("breaker-recovers", Eventually, "orders stop failing fast once the payment service recovered"),
        AnswerMatches = ("answer-matches", Always, "a client told ok or fail hears the outcome its order's saga finished with"),
        OrdersAnswered = ("orders-answered", Eventually, "an order whose saga finished is completed at its client once the network healed, not left unknown"),
        SagaCompensated = ("saga-compensated", Sometimes, "a saga was compensated"),
        DuplicateAnswered = ("duplicate-answered", Sometimes, "a duplicate request was answered from its idempotency key"),
        SagaResumed = ("saga-resumed", Sometimes, "the orchestrator resumed a saga from its log after a crash"),
        BreakerReclosed = ("breaker-reclosed", Sometimes, "the circuit breaker opened and later closed again"),
    }
}

sim::bugs! {
    pub enum Bug {
        NoIdempotency = ("no-idempotency", "the payment service ignores idempotency keys: a duplicated charge charges twice (charged-once)"),
        UnloggedProgress = ("unlogged-progress", "the orchestrator logs only outcomes and forgets sagas under way after a crash (all-or-nothing)"),
        CompensateForward = ("compensate-forward", "compensations run first step first (reverse-order)"),
        BlindCompensation = ("blind-compensation", "services undo steps that never took effect (compensations-for-effects)"),
        RefundNotIdempotent = ("refund-not-idempotent", "a duplicated refund refunds twice (compensated-once)"),
        BreakerNeverHalfOpens = ("breaker-never-half-opens", "the breaker never half-opens: orders fail fast after the payment service recovered (breaker-recovers)"),
        NoStockCheck = ("no-stock-check", "the inventory reserves without checking its stock (stock-never-negative)"),
        RestartForgetsFailures = ("restart-forgets-failures", "a restarted orchestrator answers every finished order as completed (answer-matches)"),
        AnswerOnce = ("answer-once", "the orchestrator answers an order only when its saga finishes, not a re-sent Place (orders-answered)"),
    }
}

static INFO: ProtocolInfo = ProtocolInfo {
    name: "saga",
    summary: "orchestrated or choreographed sagas over inventory, payment and shipping: idempotency keys, retries with backoff, a circuit breaker",
    workloads: &["orders"],
    params: &PARAMS,
};

static PARAMS: [sim::ParamSpec; 11] = [
    sim::ParamSpec {
        name: "mode",
        kind: r#""orchestrated" or "choreographed""#,
        default: Some(r#""orchestrated""#),
        help: "an orchestrator runs each saga, or each service reacts to the event of the one before",
    },
    sim::ParamSpec {
        name: "stock",
        kind: "integer",
        default: Some("1000000"),
        help: "units each inventory holds at the start",
    },
    sim::ParamSpec { name: "price", kind: "integer", default: Some("25"), help: "money per unit" },
    sim::ParamSpec {
        name: "call_timeout",
        kind: "duration",
        default: Some(r#""100ms""#),
        help: "how long a call waits for its answer",
    },
    sim::ParamSpec {
        name: "max_attempts",
        kind: "integer",
        default: Some("4"),
        help: "calls of one step before it fails for good",
    },
    sim::ParamSpec {
        name: "backoff",
        kind: "duration",
        default: Some(r#""20ms""#),
        help: "before the first retry; doubles each time, half of it jitter",
    },
    sim::ParamSpec {
        name: "backoff_max",
        kind: "duration",
        default: Some(r#""400ms""#),
        help: "the longest back-off",
    },
    sim::ParamSpec {
        name: "breaker_threshold",
        kind: "integer",
        default: Some("5"),
        help: r#"failures in a row (timeouts, "unavailable") that open the payment breaker"#,
    },
    sim::ParamSpec {
        name: "breaker_cooldown",
        kind: "duration",
        default: Some(r#""500ms""#),
        help: "an open breaker waits this long, then lets one trial call through",
    },
    sim::ParamSpec {
        name: "ship_refuse",
        kind: "probability",
        default: Some("0.02"),
        help: "share of orders the shipping service does not deliver",
    },
    sim::ParamSpec {
        name: "flaky",
        kind: r#"{ every = "A..B", for = "A..B", refuse = p }"#,
        default: None,
        help: r#"periods in which the payment service answers a share `refuse` of requests "unavailable" (never flaky when absent)"#,
    },
];

/// Who runs the saga.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Mode {
    /// The orchestrator runs each saga's steps and compensations.
    Orchestrated,
    /// Each service reacts to the event of the one before.
    Choreographed,
}

impl Mode {
    pub fn name(self) -> &'static str {
        match self {
            Mode::Orchestrated => "orchestrated",
            Mode::Choreographed => "choreographed",
        }
    }
}

/// `flaky = { every = "2s..5s", for = "500ms..2s", refuse = 0.8 }`.
#[derive(Clone, Copy, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct FlakyParams {
    every: DurationRange,
    #[serde(rename = "for")]
    length: DurationRange,
    refuse: Probability,
}

/// The `[protocol]` table of a saga scenario.
#[derive(Deserialize)]
#[serde(deny_unknown_fields, default)]
struct Params {
    mode: Mode,
    stock: u64,
    price: u64,
    call_timeout: Duration,
    max_attempts: u32,
    backoff: Duration,
    backoff_max: Duration,
    breaker_threshold: u32,
    breaker_cooldown: Duration,
    ship_refuse: Probability,
    flaky: Option<FlakyParams>,
}

impl Default for Params {
    fn default() -> Self {
        Params {
            mode: Mode::Orchestrated,
            stock: 1_000_000,
            price: 25,
            call_timeout: Duration(Span::from_millis(100)),
            max_attempts: 4,
            backoff: Duration(Span::from_millis(20)),
            backoff_max: Duration(Span::from_millis(400)),
            breaker_threshold: 5,
            breaker_cooldown: Duration(Span::from_millis(500)),
            ship_refuse: Probability(20_000),
            flaky: None,
        }
    }
}

/// When and how the payment service is flaky.
#[derive(Clone, Copy, Debug)]
pub struct Flaky {
    pub every: DurationRange,
    pub length: DurationRange,
    pub refuse: Probability,
}

#[derive(Clone, Copy, Debug)]
pub struct Saga {
    pub mode: Mode,
    /// Units each inventory holds at the start.
    pub stock: u64,
    /// Money per unit.
    pub price: u64,
    pub call_timeout: Span,
    /// Calls of one step before it fails for good.
    pub max_attempts: u32,
    /// The first retry's backoff; it doubles with each attempt.
    pub backoff: Span,
    pub backoff_max: Span,
    pub breaker_threshold: u32,
    pub breaker_cooldown: Span,
    /// The fraction of orders the shipping service does not deliver.
    pub ship_refuse: Probability,
    pub flaky: Option<Flaky>,
    /// When faults stop: flakiness too.
    pub settle_start: Time,
    pub retry: Span,
    pub bug: Option<Bug>,
}

/// A server: the orchestrator or one of the services, or (choreographed)
/// any node of a choreography.
#[derive(Clone, Debug)]
pub enum SagaNode {
    Orchestrator(Orchestrator),
    Service(Service),
    Choreo(ChoreoNode),
}

impl SagaNode {
    /// A service's state: its running total.
    pub fn service(&self) -> Option<&Service> {
        match self {
            SagaNode::Service(s) => Some(s),
            SagaNode::Choreo(c) => c.service(),
            SagaNode::Orchestrator(_) => None,
        }
    }
}

impl Server<Saga> for SagaNode {
    fn on_start(&mut self, ctx: &mut Ctx<'_, Saga>) {
        match self {
            SagaNode::Orchestrator(o) => o.on_start(ctx),
            SagaNode::Service(s) => s.on_start(ctx),
            SagaNode::Choreo(c) => c.on_start(ctx),
        }
    }

    fn on_message(&mut self, ctx: &mut Ctx<'_, Saga>, from: ProcessId, msg: Msg) {
        match self {
            SagaNode::Orchestrator(o) => o.on_message(ctx, from, msg),
            SagaNode::Service(s) => s.on_message(ctx, from, msg),
            SagaNode::Choreo(c) => c.on_message(ctx, from, msg),
        }
    }

    fn on_timer(&mut self, ctx: &mut Ctx<'_, Saga>, timer: Timer) {
        match self {
            SagaNode::Orchestrator(o) => o.on_timer(ctx, timer),
            SagaNode::Service(s) => s.on_timer(ctx, timer),
            SagaNode::Choreo(c) => c.on_timer(ctx, timer),
        }
    }
}

impl Protocol for Saga {
    type Message = Msg;
    type Timer = Timer;
    type DiskKey = Key;
    type DiskValue = Stored;
    type Observation = Obs;
    type Server = SagaNode;
    type Client = SagaClient;
    type Checker = SagaChecker;
    type Role = Role;
    type Property = Prop;
    type Bug = Bug;
    type Model = sim::lin::NoModel;

    fn info() -> &'static ProtocolInfo {
        &INFO
    }

    fn configure(scenario: &Scenario, bug: Option<Bug>) -> Result<Self, Diagnostic> {
        let p: Params = scenario.protocol_params()?;
        let positive = |key: &str, span: Span| {
            if span == Span::ZERO {
                Err(scenario.param_error(key, format!("saga's {key} must be longer than zero")))
            } else {
                Ok(span)
            }
        };
        positive("call_timeout", p.call_timeout.0)?;
        positive("backoff", p.backoff.0)?;
        positive("breaker_cooldown", p.breaker_cooldown.0)?;
        if p.backoff_max.0 < p.backoff.0 {
            return Err(scenario.param_error(
                "backoff_max",
                format!(
                    "saga's backoff_max ({}) is shorter than its backoff ({})",
                    p.backoff_max.0, p.backoff.0
                ),
            ));
        }
        if p.max_attempts == 0 {
            return Err(scenario.param_error("max_attempts", "saga's max_attempts must be at least 1"));
        }
        if p.breaker_threshold == 0 {
            return Err(
                scenario.param_error("breaker_threshold", "saga's breaker_threshold must be at least 1")
            );
        }
        if p.price == 0 {
            return Err(scenario.param_error("price", "saga's price must be at least 1"));
        }
        if let Some(f) = p.flaky {
            if f.every.min == Span::ZERO || f.length.min == Span::ZERO {
                return Err(scenario
                    .param_error("flaky", "the flaky periods' `every` and `for` must be longer than zero"));
            }
        }
        let settle_start = (scenario.duration - scenario.settle).after_start();
        let choreography_lacks = match bug {
            Some(Bug::UnloggedProgress) => Some("there is no orchestrator's log"),
            Some(Bug::CompensateForward) => Some("compensations flow back one service at a time"),
            Some(Bug::RestartForgetsFailures | Bug::AnswerOnce) => {
                Some("the order desk answers the clients, and these bugs are the orchestrator's")
            }
            _ => None,
        };
        if let (Mode::Choreographed, Some(why), Some(bug)) = (p.mode, choreography_lacks, bug) {
            return Err(scenario.param_error(
                "mode",
                format!(
                    "the seeded bug `{}` exists only in the orchestrated saga: in a choreography {why}",
                    bug.name()
                ),
            ));
        }
        Ok(Saga {
            mode: p.mode,
            stock: p.stock,
            price: p.price,
            call_timeout: p.call_timeout.0,
            max_attempts: p.max_attempts,
            backoff: p.backoff.0,
            backoff_max: p.backoff_max.0,
            breaker_threshold: p.breaker_threshold,
            breaker_cooldown: p.breaker_cooldown.0,
            ship_refuse: p.ship_refuse,
            flaky: p.flaky.map(|f| Flaky { every: f.every, length: f.length, refuse: f.refuse }),
            settle_start,
            retry: scenario.workload.as_ref().map_or(Span::from_millis(200), |w| w.retry),
            bug,
        })
    }

    fn server(&self, id: ProcessId, cluster: &Cluster) -> SagaNode {
        let role = cluster.role::<Role>(id).unwrap_or(Role::Orchestrator);
        if self.mode == Mode::Choreographed {
            return SagaNode::Choreo(ChoreoNode::new(*self, role));
        }
        match Some(role) {
            Some(Role::Orchestrator) | None => SagaNode::Orchestrator(Orchestrator::new(*self)),
            Some(role) => SagaNode::Service(Service::new(*self, role)),
        }
    }

    fn client(&self, _id: ProcessId, _cluster: &Cluster) -> Option<SagaClient> {
        Some(SagaClient::new(self.retry))
    }

    fn generator(&self, plan: &sim::WorkloadPlan) -> Option<Box<dyn Generator>> {
        (plan.kind == "orders").then(|| Box::new(OrderWorkload::new()) as Box<dyn Generator>)
    }

    fn checker(&self, setup: &Setup) -> SagaChecker {
        SagaChecker::new(self, setup)
    }

    fn parameters(&self) -> Vec<(&'static str, String)> {
        let ppm = |p: Probability| format!("{}", p.0 as f64 / 1e6);
        let mut out = vec![
            ("mode", self.mode.name().to_string()),
            ("stock", self.stock.to_string()),
            ("price", self.price.to_string()),
            ("call_timeout", self.call_timeout.to_string()),
            ("max_attempts", self.max_attempts.to_string()),
            ("backoff", self.backoff.to_string()),
            ("backoff_max", self.backoff_max.to_string()),
            ("breaker_threshold", self.breaker_threshold.to_string()),
            ("breaker_cooldown", self.breaker_cooldown.to_string()),
            ("ship_refuse", ppm(self.ship_refuse)),
        ];
        out.push((
            "flaky",
            match self.flaky {
                Some(f) => format!("every {}, for {}, refuse {}", f.every, f.length, ppm(f.refuse)),
                None => "no".to_string(),
            },
        ));
        out
    }
}
