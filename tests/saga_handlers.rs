//! The saga's handlers one at a time, through `sim::testing`: a service or
//! the orchestrator, a message or a timer, and what it asked for.

use protocols::saga::{Answer, Breaker, BreakerState, Bug, Change, Msg, Obs, Saga, Step, Timer};
use sim::testing::{Effects, NodeHarness};
use sim::{Cluster, ProcessId, Protocol, Scenario, Span, Time};

const ORCHESTRATOR: ProcessId = ProcessId::server(0);
const INVENTORY: ProcessId = ProcessId::server(1);
const PAYMENT: ProcessId = ProcessId::server(2);
const SHIPPING: ProcessId = ProcessId::server(3);
const CLIENT: ProcessId = ProcessId::client(0);

fn saga_with(extra: &str, bug: Option<Bug>) -> Saga {
    let source = format!(
        "duration = \"10s\"\n[protocol]\nname = \"saga\"\n{extra}\n\
         [nodes]\norchestrator = 1\ninventory = 1\npayment = 1\nshipping = 1\n"
    );
    Saga::configure(&Scenario::parse("handlers.toml", &source).unwrap(), bug).unwrap()
}

fn cluster() -> Cluster {
    Cluster::from_layout(&[(0, 1), (1, 1), (2, 1), (3, 1)], 4)
}

fn node(saga: &Saga, id: ProcessId) -> NodeHarness<'_, Saga> {
    let mut n = NodeHarness::server(saga, id, cluster());
    n.start();
    n
}

fn answers(effects: &Effects<Saga>) -> Vec<Answer> {
    effects
        .sent()
        .filter_map(|(_, m)| match m {
            Msg::Reply { answer, .. } => Some(*answer),
            _ => None,
        })
        .collect()
}

fn effects_applied(effects: &Effects<Saga>) -> usize {
    effects.observations().filter(|o| matches!(o, Obs::Effect { .. })).count()
}

fn total(n: &NodeHarness<'_, Saga>) -> i64 {
    n.node().service().expect("a service").total()
}

fn charge(order: u64) -> Msg {
    Msg::Do { order, step: Step::Charge, qty: 2, amount: 50 }
}

fn refund(order: u64) -> Msg {
    Msg::Undo { order, step: Step::Charge, qty: 2, amount: 50 }
}

/// The calls the orchestrator made: (to, step, undo).
fn calls(effects: &Effects<Saga>) -> Vec<(ProcessId, Step, bool)> {
    effects
        .sent()
        .filter_map(|(to, m)| match m {
            Msg::Do { step, .. } => Some((to, *step, false)),
            Msg::Undo { step, .. } => Some((to, *step, true)),
            _ => None,
        })
        .collect()
}

fn reply(order: u64, step: Step, undo: bool, answer: Answer) -> Msg {
    Msg::Reply { order, step, undo, answer }
}

mod services {
    use super::*;

    #[test]
    fn a_repeated_charge_is_answered_from_its_key_and_charges_once() {
        let saga = saga_with("", None);
        let mut payment = node(&saga, PAYMENT);
        let first = payment.message(ORCHESTRATOR, charge(7));
        assert_eq!(answers(&first), [Answer::Ok]);
        assert!(first.synced_before_sending(), "the charge and its key are durable before the answer");
        assert_eq!(effects_applied(&first), 1);
        // After a crash too: the key is on disk.
        payment.crash();
        payment.start();
        let again = payment.message(ORCHESTRATOR, charge(7));
        assert_eq!(answers(&again), [Answer::Ok]);
        assert_eq!(effects_applied(&again), 0);
        assert!(again.observations().any(|o| matches!(o, Obs::Deduplicated { order: 7, .. })));
        assert_eq!(total(&payment), 50);
    }

    #[test]
    fn without_idempotency_keys_a_repeated_charge_charges_again() {
        let saga = saga_with("", Some(Bug::NoIdempotency));
        let mut payment = node(&saga, PAYMENT);
        payment.message(ORCHESTRATOR, charge(7));
        assert_eq!(effects_applied(&payment.message(ORCHESTRATOR, charge(7))), 1);
        assert_eq!(total(&payment), 100);
    }

    #[test]
    fn a_refund_before_its_charge_leaves_a_tombstone_that_refuses_the_charge() {
        let saga = saga_with("", None);
        let mut payment = node(&saga, PAYMENT);
        let early = payment.message(ORCHESTRATOR, refund(9));
        assert_eq!(answers(&early), [Answer::Ok]);
        assert_eq!(effects_applied(&early), 0, "nothing to refund");
        let late = payment.message(ORCHESTRATOR, charge(9));
        assert_eq!(answers(&late), [Answer::Refused]);
        assert_eq!(effects_applied(&late), 0);
        assert_eq!(total(&payment), 0);
    }

    #[test]
    fn a_refund_runs_once_unless_refunds_are_not_idempotent() {
        for (bug, money) in [(None, 0), (Some(Bug::RefundNotIdempotent), -50)] {
            let saga = saga_with("", bug);
            let mut payment = node(&saga, PAYMENT);
            payment.message(ORCHESTRATOR, charge(3));
            assert_eq!(effects_applied(&payment.message(ORCHESTRATOR, refund(3))), 1);
            payment.message(ORCHESTRATOR, refund(3));
            assert_eq!(total(&payment), money, "{bug:?}");
        }
    }

    #[test]
    fn the_inventory_refuses_what_it_does_not_have() {
        let saga = saga_with("stock = 3", None);
        let mut inventory = node(&saga, INVENTORY);
        let reserve = |order| Msg::Do { order, step: Step::Reserve, qty: 2, amount: 50 };
        assert_eq!(answers(&inventory.message(ORCHESTRATOR, reserve(1))), [Answer::Ok]);
        assert_eq!(answers(&inventory.message(ORCHESTRATOR, reserve(2))), [Answer::Refused]);
        assert_eq!(total(&inventory), 1);
        let saga = saga_with("stock = 3", Some(Bug::NoStockCheck));
        let mut inventory = node(&saga, INVENTORY);
        inventory.message(ORCHESTRATOR, reserve(1));
        inventory.message(ORCHESTRATOR, reserve(2));
        assert_eq!(total(&inventory), -1);
    }
}

mod orchestrator {
    use super::*;

    #[test]
    fn a_saga_is_logged_before_its_first_call() {
        let saga = saga_with("", None);
        let mut o = node(&saga, ORCHESTRATOR);
        let placed = o.message(CLIENT, Msg::Place { order: 1, qty: 2 });
        assert_eq!(calls(&placed), [(INVENTORY, Step::Reserve, false)]);
        assert!(placed.synced_before_sending(), "{placed:?}");
        let reserved = o.message(INVENTORY, reply(1, Step::Reserve, false, Answer::Ok));
        assert_eq!(calls(&reserved), [(PAYMENT, Step::Charge, false)]);
        assert!(reserved.synced_before_sending());
    }

    #[test]
    fn a_restarted_orchestrator_resumes_its_unfinished_sagas() {
        let saga = saga_with("", None);
        let mut o = node(&saga, ORCHESTRATOR);
        o.message(CLIENT, Msg::Place { order: 1, qty: 2 });
        o.message(INVENTORY, reply(1, Step::Reserve, false, Answer::Ok));
        o.crash();
        let restarted = o.start();
        assert_eq!(calls(&restarted), [(PAYMENT, Step::Charge, false)], "the logged step, again");
        assert!(restarted.observations().any(|ob| matches!(ob, Obs::Resumed { order: 1 })));
    }

    #[test]
    fn without_a_log_a_restarted_orchestrator_forgets_its_sagas() {
        let saga = saga_with("", Some(Bug::UnloggedProgress));
        let mut o = node(&saga, ORCHESTRATOR);
        o.message(CLIENT, Msg::Place { order: 1, qty: 2 });
        o.message(INVENTORY, reply(1, Step::Reserve, false, Answer::Ok));
        o.crash();
        assert!(calls(&o.start()).is_empty());
    }

    /// Shipping declines: the charge is refunded, and only once the refund
    /// is confirmed is the stock released.
    fn compensations(bug: Option<Bug>) -> Vec<(ProcessId, Step, bool)> {
        let saga = saga_with("", bug);
        let mut o = node(&saga, ORCHESTRATOR);
        o.message(CLIENT, Msg::Place { order: 1, qty: 2 });
        o.message(INVENTORY, reply(1, Step::Reserve, false, Answer::Ok));
        o.message(PAYMENT, reply(1, Step::Charge, false, Answer::Ok));
        let mut out = calls(&o.message(SHIPPING, reply(1, Step::Ship, false, Answer::Refused)));
        let (to, step, _) = out[0];
        out.extend(calls(&o.message(to, reply(1, step, true, Answer::Ok))));
        out
    }

    #[test]
    fn compensations_run_last_step_first() {
        assert_eq!(compensations(None), [(PAYMENT, Step::Charge, true), (INVENTORY, Step::Reserve, true)]);
        assert_eq!(
            compensations(Some(Bug::CompensateForward)),
            [(INVENTORY, Step::Reserve, true), (PAYMENT, Step::Charge, true)]
        );
    }

    #[test]
    fn retries_back_off_exponentially_with_jitter_then_the_step_is_compensated() {
        let saga = saga_with("backoff = \"20ms\"\nbackoff_max = \"1s\"\nmax_attempts = 4", None);
        let mut o = node(&saga, ORCHESTRATOR);
        o.message(CLIENT, Msg::Place { order: 1, qty: 1 });
        let mut waits = Vec::new();
        for attempt in 0..3 {
            let timed_out = o.timer(Timer::CallTimeout { order: 1, attempt });
            let (_, wait) = timed_out.timers_set().find(|(t, _)| **t == Timer::Retry { order: 1 }).unwrap();
            waits.push(wait);
            assert_eq!(calls(&o.timer(Timer::Retry { order: 1 })), [(INVENTORY, Step::Reserve, false)]);
        }
        for (i, wait) in waits.iter().enumerate() {
            let backoff = Span::from_millis(20 << i);
            assert!(*wait >= Span(backoff.nanos() / 2) && *wait <= backoff, "attempt {i}: {wait}");
        }
        // The fourth timeout uses up the attempts: the reservation, which
        // may have happened, is compensated.
        let given_up = o.timer(Timer::CallTimeout { order: 1, attempt: 3 });
        assert_eq!(calls(&given_up), [(INVENTORY, Step::Reserve, true)]);
    }

    #[test]
    fn while_the_breaker_is_open_orders_fail_fast_and_are_compensated() {
        let saga = saga_with("breaker_threshold = 1\nmax_attempts = 1", None);
        let mut o = node(&saga, ORCHESTRATOR);
        o.message(CLIENT, Msg::Place { order: 1, qty: 1 });
        o.message(INVENTORY, reply(1, Step::Reserve, false, Answer::Ok));
        let opened = o.message(PAYMENT, reply(1, Step::Charge, false, Answer::Unavailable));
        assert!(opened.observations().any(|ob| matches!(ob, Obs::BreakerOpened)));
        o.message(CLIENT, Msg::Place { order: 2, qty: 1 });
        let refused = o.message(INVENTORY, reply(2, Step::Reserve, false, Answer::Ok));
        assert!(refused.observations().any(|ob| matches!(ob, Obs::RefusedByBreaker { order: 2 })));
        assert_eq!(calls(&refused), [(INVENTORY, Step::Reserve, true)], "no charge was sent: only the stock");
    }
}

mod breaker {
    use super::*;

    #[test]
    fn closed_open_half_open_closed() {
        let mut b = Breaker::new(3, Span::from_millis(500), false);
        let t = Time::from_millis(100);
        b.failure(t, 1);
        b.failure(t, 2);
        assert_eq!(b.allow(t, 3), Some(Change::None), "two failures: still closed");
        b.failure(t, 3);
        assert!(b.is_open());
        assert_eq!(b.allow(t + Span::from_millis(499), 4), None, "open for the cool-down");
        assert_eq!(b.allow(t + Span::from_millis(500), 5), Some(Change::HalfOpened), "then one trial");
        assert_eq!(b.state(), BreakerState::HalfOpen { trial: Some(5) });
        assert_eq!(b.allow(t + Span::from_millis(501), 6), None, "only one");
        assert_eq!(b.success(5), Change::Closed);
        assert_eq!(b.state(), BreakerState::Closed { failures: 0 });
    }

    #[test]
    fn a_failed_trial_opens_it_again() {
        let mut b = Breaker::new(1, Span::from_millis(500), false);
        b.failure(Time::ZERO, 1);
        assert_eq!(b.allow(Time::from_millis(500), 2), Some(Change::HalfOpened));
        b.failure(Time::from_millis(510), 2);
        assert_eq!(b.state(), BreakerState::Open { since: Time::from_millis(510) });
    }

    #[test]
    fn the_seeded_bug_never_half_opens() {
        let mut b = Breaker::new(1, Span::from_millis(500), true);
        b.failure(Time::ZERO, 1);
        assert_eq!(b.allow(Time::from_secs(3600), 2), None);
    }
}

mod choreography {
    use super::*;
    use protocols::saga::Event;

    fn event(order: u64, event: Event) -> Msg {
        Msg::Event { order, event, qty: 2, amount: 50, fast: false, undone: 0 }
    }

    fn published(effects: &Effects<Saga>) -> Vec<(ProcessId, Event)> {
        effects
            .sent()
            .filter_map(|(to, m)| match m {
                Msg::Event { event, .. } => Some((to, *event)),
                _ => None,
            })
            .collect()
    }

    fn acks(effects: &Effects<Saga>) -> Vec<Answer> {
        effects
            .sent()
            .filter_map(|(_, m)| match m {
                Msg::Ack { answer, .. } => Some(*answer),
                _ => None,
            })
            .collect()
    }

    #[test]
    fn the_inventory_reserves_publishes_and_publishes_again_after_a_crash_until_acknowledged() {
        let saga = saga_with("mode = \"choreographed\"", None);
        let mut inventory = node(&saga, INVENTORY);
        let placed = inventory.message(ORCHESTRATOR, event(1, Event::OrderPlaced));
        assert_eq!(published(&placed), [(PAYMENT, Event::StockReserved)]);
        assert_eq!(acks(&placed), [Answer::Ok]);
        assert!(placed.synced_before_sending(), "the reservation and the event are durable first");
        inventory.crash();
        assert_eq!(published(&inventory.start()), [(PAYMENT, Event::StockReserved)], "from the outbox");
        let acked = inventory
            .message(PAYMENT, Msg::Ack { order: 1, event: Event::StockReserved, answer: Answer::Ok });
        assert!(published(&acked).is_empty());
        inventory.crash();
        assert!(published(&inventory.start()).is_empty(), "delivered: never sent again");
        // A duplicate of the order publishes nothing new.
        assert!(published(&inventory.message(ORCHESTRATOR, event(1, Event::OrderPlaced))).is_empty());
    }

    #[test]
    fn a_charge_is_cancelled_only_if_it_has_not_happened() {
        let saga = saga_with("mode = \"choreographed\"", None);
        let mut payment = node(&saga, PAYMENT);
        assert_eq!(acks(&payment.message(INVENTORY, event(1, Event::CancelCharge))), [Answer::Ok]);
        assert_eq!(acks(&payment.message(INVENTORY, event(1, Event::StockReserved))), [Answer::Refused]);
        let charged = payment.message(INVENTORY, event(2, Event::StockReserved));
        assert_eq!(published(&charged), [(SHIPPING, Event::Charged)]);
        assert_eq!(acks(&payment.message(INVENTORY, event(2, Event::CancelCharge))), [Answer::Refused]);
        assert_eq!(total(&payment), 50, "one charge, not cancelled: the order went on to shipping");
    }
}
