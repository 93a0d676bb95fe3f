//! Two-phase commit's handlers one at a time, through `sim::testing`: a
//! node, a message or a timer, and what it asked for.

use protocols::twopc::{Bug, Msg, Obs, Timer, TwoPc, TxnId, TxnOp};
use sim::testing::NodeHarness;
use sim::{Cluster, ProcessId, Protocol, Scenario};

/// n0 the coordinator, n1..n4 participants with 10 accounts each.
fn twopc(extra: &str, bug: Option<Bug>) -> TwoPc {
    let source = format!(
        "duration = \"10s\"\n[nodes]\ncoordinator = 1\nparticipant = 4\n[protocol]\nname = \"twopc\"\n{extra}"
    );
    let scenario = Scenario::parse("handlers.toml", &source).unwrap();
    TwoPc::configure(&scenario, bug).unwrap()
}

fn cluster() -> Cluster {
    Cluster::from_layout(&[(0, 1), (1, 4)], 2)
}

fn node(config: &TwoPc, id: u32) -> NodeHarness<'_, TwoPc> {
    let mut n = NodeHarness::server(config, ProcessId::server(id), cluster());
    n.start();
    n
}

const COORD: ProcessId = ProcessId::server(0);
const TXN: TxnId = TxnId { coordinator: 0, incarnation: 1, number: 1 };
/// From account 10 (n2) to account 25 (n3).
const TRANSFER: TxnOp = TxnOp::Transfer { from: 10, to: 25, amount: 30 };

/// n2, executed and prepared for TRANSFER.
fn prepared(config: &TwoPc) -> (NodeHarness<'_, TwoPc>, sim::testing::Effects<TwoPc>) {
    let mut n = node(config, 2);
    n.message(COORD, Msg::Execute { txn: TXN, op: TRANSFER, participants: vec![2, 3] });
    let effects = n.message(COORD, Msg::Prepare { txn: TXN });
    (n, effects)
}

fn vote(effects: &sim::testing::Effects<TwoPc>) -> Option<bool> {
    effects.sent().find_map(|(_, m)| match m {
        Msg::Vote { yes, .. } => Some(*yes),
        _ => None,
    })
}

#[test]
fn a_yes_vote_is_durable_before_it_is_sent() {
    let config = twopc("", None);
    let (_, effects) = prepared(&config);
    assert_eq!(vote(&effects), Some(true));
    assert!(effects.synced_before_sending(), "{effects:?}");
    // The seeded bug skips the sync.
    let buggy = twopc("", Some(Bug::VoteNotLogged));
    let (_, effects) = prepared(&buggy);
    assert_eq!(vote(&effects), Some(true));
    assert!(!effects.synced_before_sending(), "{effects:?}");
}

#[test]
fn an_overdrawing_transfer_is_voted_down_and_its_locks_released() {
    let config = twopc("balance = 20", None);
    let (n, effects) = prepared(&config);
    assert_eq!(vote(&effects), Some(false));
    assert_eq!(n.node().participant().unwrap().locks_held(), 0);
}

#[test]
fn a_participant_in_doubt_asks_and_never_decides_alone() {
    let config = twopc("", None);
    let (mut n, _) = prepared(&config);
    for _ in 0..10 {
        let effects = n.timer(Timer::Inquire(TXN));
        assert!(effects.sent().any(|(to, m)| to == COORD && matches!(m, Msg::Inquire { .. })));
        assert!(!effects.observations().any(|o| matches!(o, Obs::Decided { .. })), "{effects:?}");
    }
    let p = n.node().participant().unwrap();
    assert_eq!(p.in_doubt().collect::<Vec<_>>(), vec![TXN]);
    assert_eq!(p.locks_held(), 1);
    // The heuristic bug decides by the third inquiry.
    let buggy = twopc("", Some(Bug::HeuristicDecision));
    let (mut n, _) = prepared(&buggy);
    let decided =
        (0..3).any(|_| n.timer(Timer::Inquire(TXN)).observations().any(|o| matches!(o, Obs::Decided { .. })));
    assert!(decided);
}

#[test]
fn a_restarted_participant_is_still_in_doubt_with_its_locks_and_asks_at_once() {
    let config = twopc("", None);
    let (mut n, _) = prepared(&config);
    n.crash();
    let effects = n.start();
    let p = n.node().participant().unwrap();
    assert_eq!(p.in_doubt().collect::<Vec<_>>(), vec![TXN]);
    assert_eq!(p.locks_held(), 1);
    assert!(effects.timers_set().any(|(t, _)| *t == Timer::Inquire(TXN)));
    // Told to commit, it applies the transfer once, however often it is told.
    n.message(COORD, Msg::Decision { txn: TXN, commit: true });
    n.message(COORD, Msg::Decision { txn: TXN, commit: true });
    let p = n.node().participant().unwrap();
    assert_eq!(p.balances()[0], 70);
    assert_eq!(p.locks_held(), 0);
    // And the commit survives another crash.
    n.crash();
    n.start();
    assert_eq!(n.node().participant().unwrap().balances()[0], 70);
}

#[test]
fn an_executed_participant_never_asked_to_vote_aborts_alone() {
    let config = twopc("", None);
    let mut n = node(&config, 2);
    n.message(COORD, Msg::Execute { txn: TXN, op: TRANSFER, participants: vec![2, 3] });
    assert_eq!(n.node().participant().unwrap().locks_held(), 1);
    let effects = n.timer(Timer::PrepareTimeout(TXN));
    assert!(effects.observations().any(|o| matches!(o, Obs::Decided { commit: false, .. })));
    assert_eq!(n.node().participant().unwrap().locks_held(), 0);
    // A late prepare is voted down.
    assert_eq!(vote(&n.message(COORD, Msg::Prepare { txn: TXN })), Some(false));
}

/// The coordinator, with TRANSFER submitted and both votes in.
fn coordinator_with_votes(config: &TwoPc) -> (NodeHarness<'_, TwoPc>, sim::testing::Effects<TwoPc>, TxnId) {
    let mut c = node(config, 0);
    let effects = c.message(ProcessId::client(0), Msg::Submit { req: (0, 1), op: TRANSFER });
    let txn = effects
        .sent()
        .find_map(|(_, m)| match m {
            Msg::Execute { txn, .. } => Some(*txn),
            _ => None,
        })
        .unwrap();
    for p in [2, 3] {
        c.message(ProcessId::server(p), Msg::Executed { txn, ok: true });
    }
    c.message(ProcessId::server(2), Msg::Vote { txn, yes: true, sum: None });
    let last = c.message(ProcessId::server(3), Msg::Vote { txn, yes: true, sum: None });
    (c, last, txn)
}

#[test]
fn the_coordinator_logs_a_commit_before_sending_it_and_recovers_it() {
    let config = twopc("", None);
    let (mut c, effects, txn) = coordinator_with_votes(&config);
    assert!(effects.sent().any(|(_, m)| matches!(m, Msg::Decision { commit: true, .. })));
    assert!(effects.synced_before_sending(), "{effects:?}");
    c.crash();
    let effects = c.start();
    let resent: Vec<ProcessId> = effects
        .sent()
        .filter(|(_, m)| matches!(m, Msg::Decision { txn: t, commit: true } if *t == txn))
        .map(|(to, _)| to)
        .collect();
    assert_eq!(resent, vec![ProcessId::server(2), ProcessId::server(3)]);
    // A new incarnation: no transaction name is used twice.
    let effects = c.message(ProcessId::client(1), Msg::Submit { req: (1, 1), op: TRANSFER });
    assert!(effects.sent().any(|(_, m)| matches!(m, Msg::Execute { txn: t, .. } if t.incarnation == 2)));
}

#[test]
fn a_coordinator_that_lost_a_transaction_presumes_abort() {
    let config = twopc("", None);
    let mut c = node(&config, 0);
    let effects = c.message(ProcessId::server(2), Msg::Inquire { txn: TXN });
    assert!(effects.sent().any(|(_, m)| matches!(m, Msg::Decision { commit: false, .. })));
    assert!(effects.observations().any(|o| matches!(o, Obs::Decided { presumed: true, .. })));
}

#[test]
fn a_timed_out_vote_aborts_and_only_the_seeded_bug_takes_it_for_yes() {
    for (bug, commit) in [(None, false), (Some(Bug::TimeoutCountsAsYes), true)] {
        let config = twopc("", bug);
        let mut c = node(&config, 0);
        let effects = c.message(ProcessId::client(0), Msg::Submit { req: (0, 1), op: TRANSFER });
        let txn = effects
            .sent()
            .find_map(|(_, m)| match m {
                Msg::Execute { txn, .. } => Some(*txn),
                _ => None,
            })
            .unwrap();
        for p in [2, 3] {
            c.message(ProcessId::server(p), Msg::Executed { txn, ok: true });
        }
        c.message(ProcessId::server(2), Msg::Vote { txn, yes: true, sum: None });
        let effects = c.timer(Timer::Phase(txn));
        assert!(
            effects.sent().any(|(_, m)| matches!(m, Msg::Decision { commit: c, .. } if *c == commit)),
            "{bug:?}: {effects:?}"
        );
    }
}
