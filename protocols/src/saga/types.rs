//! The saga's messages, timers, durable records and observations.

use serde::Serialize;
use sim::ProcessId;

/// The steps of an order's saga, in the order the orchestrator runs them.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub enum Step {
    /// The inventory reserves the order's quantity (undone by a release).
    Reserve,
    /// The payment service charges the order's amount (undone by a refund).
    Charge,
    /// The shipping service books a shipment (undone by a cancellation).
    Ship,
}

impl Step {
    pub const ALL: [Step; 3] = [Step::Reserve, Step::Charge, Step::Ship];

    pub fn index(self) -> usize {
        self as usize
    }

    pub fn next(self) -> Option<Step> {
        Step::ALL.get(self.index() + 1).copied()
    }

    /// The steps before this one, in the order they ran.
    pub fn before(self) -> &'static [Step] {
        &Step::ALL[..self.index()]
    }

    /// What the step does, for messages.
    pub fn verb(self) -> &'static str {
        match self {
            Step::Reserve => "stock reserved",
            Step::Charge => "charged",
            Step::Ship => "shipment booked",
        }
    }

    /// What its compensation does, for messages.
    pub fn undo_verb(self) -> &'static str {
        match self {
            Step::Reserve => "stock released",
            Step::Charge => "refunded",
            Step::Ship => "shipment cancelled",
        }
    }
}

/// A service's answer to a step or a compensation.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
pub enum Answer {
    /// It took effect (or, for a compensation, nothing is left to undo).
    Ok,
    /// A definite no: out of stock, destination not served, or a late
    /// request for a step that was already cancelled. Nothing took effect.
    Refused,
    /// The service is flaky right now: nothing took effect; try again.
    Unavailable,
}

#[derive(Clone, Debug, Hash, Serialize)]
pub enum Msg {
    /// A client places an order (idempotent by its id).
    Place { order: u64, qty: u32 },
    /// The orchestrator's answer: completed in full, or not at all.
    Outcome { order: u64, completed: bool },
    /// Run a step; `(order, step)` is its idempotency key.
    Do { order: u64, step: Step, qty: u32, amount: u64 },
    /// Compensate a step; keyed by the step it undoes.
    Undo { order: u64, step: Step, qty: u32, amount: u64 },
    /// A service's answer to `Do` (`undo = false`) or `Undo`.
    Reply { order: u64, step: Step, undo: bool, answer: Answer },
    /// Choreography: one node tells the next what happened. `fast`: the
    /// order failed fast by the breaker; `undone`: compensations that ran.
    Event { order: u64, event: Event, qty: u32, amount: u64, fast: bool, undone: u32 },
    /// Choreography: the receiver took the event in (`Ok`), refused it, or
    /// is unavailable (send it again).
    Ack { order: u64, event: Event, answer: Answer },
}

/// What the nodes of a choreographed saga tell each other.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub enum Event {
    /// Orders -> inventory.
    OrderPlaced,
    /// Inventory -> payment: charge it. The payment service's `Ok` means it
    /// charged; `Refused`, that the charge was cancelled before it came.
    StockReserved,
    /// Payment -> shipping.
    Charged,
    /// Shipping -> payment: refund.
    ShipmentFailed,
    /// Payment -> inventory: release.
    Refunded,
    /// Inventory -> payment, after giving up on `StockReserved`: cancel the
    /// charge if it has not happened (`Ok`), or say it has (`Refused`: the
    /// order goes on downstream).
    CancelCharge,
    /// Shipping -> orders.
    OrderCompleted,
    /// Inventory -> orders.
    OrderCancelled,
}

#[derive(Clone, Debug, Hash, PartialEq, Serialize)]
pub enum Timer {
    /// The orchestrator's call for an order (its `attempt`-th) went
    /// unanswered for a call timeout.
    CallTimeout { order: u64, attempt: u32 },
    /// The backoff before the next attempt of an order's call is over.
    Retry { order: u64 },
    /// The payment service enters or leaves a flaky period.
    Flaky,
    /// A client places its order again.
    Resend,
    /// Choreography: an event's delivery timed out, or its backoff is over.
    Deliver { order: u64, event: Event },
}

/// Where a saga stands, as the orchestrator logs it before acting.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Phase {
    /// Running this step.
    Forward(Step),
    /// Undoing these steps, the first one next.
    Compensating(Vec<Step>),
    Completed,
    Compensated,
}

impl Phase {
    pub fn is_finished(&self) -> bool {
        matches!(self, Phase::Completed | Phase::Compensated)
    }
}

/// An orchestrator's durable record of one saga.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SagaLog {
    pub qty: u32,
    pub amount: u64,
    pub client: ProcessId,
    pub phase: Phase,
    /// The breaker refused its payment: it failed fast.
    pub failed_fast: bool,
}

/// What a service remembers under an idempotency key.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Record {
    /// The step took effect; `undone` once compensated.
    Applied { undone: bool },
    /// The step was refused; the first answer was `Refused`.
    Refused,
    /// A compensation came before the step: the step must never take
    /// effect (a late request is refused).
    Cancelled,
}

#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Key {
    Saga(u64),
    Record(u64, Step),
    /// A service's running total: stock on hand, money held, shipments.
    Counter,
    /// Choreography: an event this node publishes, kept until delivered.
    Outbox(u64, Event),
}

#[derive(Clone, Debug)]
pub enum Stored {
    Saga(SagaLog),
    Record(Record),
    Counter(i64),
    Outbox(Outgoing),
}

/// A published event: where it goes and what it says; `delivered` once the
/// receiver took it in (kept, so that a duplicate cause never publishes it
/// again).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Outgoing {
    pub to: ProcessId,
    pub qty: u32,
    pub amount: u64,
    pub fast: bool,
    pub undone: u32,
    pub delivered: bool,
}

#[derive(Debug)]
pub enum Obs {
    /// The orchestrator logged a new saga.
    Started {
        order: u64,
        qty: u32,
        amount: u64,
    },
    /// The orchestrator finished a saga.
    Finished {
        order: u64,
        completed: bool,
        failed_fast: bool,
        compensations: u32,
    },
    /// The orchestrator picked up an unfinished saga from its log after a
    /// restart.
    Resumed {
        order: u64,
    },
    /// A service applied a step (`undo = false`) or a compensation.
    Effect {
        order: u64,
        step: Step,
        undo: bool,
        qty: u32,
        amount: u64,
    },
    /// A service answered a repeated request from its idempotency key.
    Deduplicated {
        order: u64,
        step: Step,
        undo: bool,
    },
    BreakerOpened,
    /// The cool-down was over: `order`'s payment call is the trial.
    BreakerHalfOpened {
        order: u64,
    },
    /// The breaker closed again after a successful trial call.
    BreakerClosed,
    /// The breaker refused a payment call.
    RefusedByBreaker {
        order: u64,
    },
}
