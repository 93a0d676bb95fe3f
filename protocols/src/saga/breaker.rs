//! The circuit breaker the orchestrator calls the payment service through.
//!
//! Closed: calls pass, and `threshold` failures in a row (timeouts, or the
//! service saying it is unavailable) open it. Open: calls are refused at
//! once, so orders fail fast instead of piling retries on a service that is
//! down, until `cooldown` has passed on the orchestrator's monotonic clock.
//! Half-open: one trial call passes (others are refused); its success
//! closes the breaker, its failure opens it again. The state is volatile: a
//! restarted orchestrator starts closed.

use sim::{Span, Time};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BreakerState {
    Closed {
        failures: u32,
    },
    Open {
        since: Time,
    },
    /// The order whose call is the trial, once one was let through.
    HalfOpen {
        trial: Option<u64>,
    },
}

/// What a call's outcome did to the breaker.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Change {
    None,
    Opened,
    /// The cool-down is over: this call is the trial.
    HalfOpened,
    Closed,
}

#[derive(Clone, Debug)]
pub struct Breaker {
    threshold: u32,
    cooldown: Span,
    /// The seeded bug: the cool-down never ends.
    never_half_open: bool,
    state: BreakerState,
}

impl Breaker {
    pub fn new(threshold: u32, cooldown: Span, never_half_open: bool) -> Breaker {
        Breaker { threshold, cooldown, never_half_open, state: BreakerState::Closed { failures: 0 } }
    }

    pub fn state(&self) -> BreakerState {
        self.state
    }

    /// Whether `order` may call the payment service now (`None`: it may
    /// not), and whether that call is a trial.
    pub fn allow(&mut self, now: Time, order: u64) -> Option<Change> {
        match self.state {
            BreakerState::Closed { .. } => Some(Change::None),
            BreakerState::Open { since } => {
                if !self.never_half_open && now >= since + self.cooldown {
                    self.state = BreakerState::HalfOpen { trial: Some(order) };
                    Some(Change::HalfOpened)
                } else {
                    None
                }
            }
            BreakerState::HalfOpen { trial: Some(t) } => (t == order).then_some(Change::None),
            BreakerState::HalfOpen { trial: None } => {
                self.state = BreakerState::HalfOpen { trial: Some(order) };
                Some(Change::HalfOpened)
            }
        }
    }

    /// The payment service answered `order`'s call (yes or a definite no):
    /// it is up.
    pub fn success(&mut self, order: u64) -> Change {
        match self.state {
            BreakerState::Closed { .. } => {
                self.state = BreakerState::Closed { failures: 0 };
                Change::None
            }
            BreakerState::HalfOpen { trial } if trial.is_none_or(|t| t == order) => {
                self.state = BreakerState::Closed { failures: 0 };
                Change::Closed
            }
            // A late answer to a call made before the breaker opened says
            // nothing about the service now.
            BreakerState::HalfOpen { .. } | BreakerState::Open { .. } => Change::None,
        }
    }

    /// `order`'s call timed out or the service said it is unavailable.
    pub fn failure(&mut self, now: Time, order: u64) -> Change {
        match self.state {
            BreakerState::Closed { failures } if failures + 1 >= self.threshold => {
                self.state = BreakerState::Open { since: now };
                Change::Opened
            }
            BreakerState::Closed { failures } => {
                self.state = BreakerState::Closed { failures: failures + 1 };
                Change::None
            }
            BreakerState::HalfOpen { trial } if trial.is_none_or(|t| t == order) => {
                self.state = BreakerState::Open { since: now };
                Change::Opened
            }
            BreakerState::HalfOpen { .. } | BreakerState::Open { .. } => Change::None,
        }
    }

    pub fn is_open(&self) -> bool {
        matches!(self.state, BreakerState::Open { .. })
    }
}
