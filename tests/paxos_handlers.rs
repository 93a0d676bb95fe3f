//! Multi-Paxos's handlers one at a time, through `sim::testing`: an
//! acceptor's promise and accepted values reach the disk before the reply
//! that reports them, and survive a restart.

use protocols::kv::Command;
use protocols::paxos::{Ballot, Bug, Msg, MultiPaxos, Role, Timer};
use sim::testing::{Effects, NodeHarness};
use sim::{Cluster, ProcessId, Protocol, Scenario, Span};

fn paxos_with(bug: Option<Bug>) -> MultiPaxos {
    let source = "nodes = 5\nduration = \"10s\"\n[protocol]\nname = \"multi-paxos\"\n";
    let scenario = Scenario::parse("handlers.toml", source).unwrap();
    MultiPaxos::configure(&scenario, bug).unwrap()
}

fn node(paxos: &MultiPaxos, id: u32) -> NodeHarness<'_, MultiPaxos> {
    let mut n = NodeHarness::server(paxos, ProcessId::server(id), Cluster::uniform(5));
    n.start();
    n
}

fn ballot(round: u64, node: u32) -> Ballot {
    Ballot { round, node }
}

fn promise(effects: &Effects<MultiPaxos>) -> Option<(bool, Ballot, usize)> {
    effects.sent().find_map(|(_, m)| match m {
        Msg::Promise { ok, promised, accepted, .. } => Some((*ok, *promised, accepted.len())),
        _ => None,
    })
}

fn accept(n: &mut NodeHarness<'_, MultiPaxos>, b: Ballot, slot: u64) -> Effects<MultiPaxos> {
    let command = Command::Noop;
    n.message(ProcessId::server(b.node), Msg::Accept { ballot: b, slot, command, commit: 0 })
}

fn accepted_ok(effects: &Effects<MultiPaxos>) -> Option<bool> {
    effects.sent().find_map(|(_, m)| match m {
        Msg::AcceptReply { ok, .. } => Some(*ok),
        _ => None,
    })
}

#[test]
fn a_timed_out_follower_runs_phase_1_after_its_own_promise_is_durable() {
    let paxos = paxos_with(None);
    let mut n = node(&paxos, 0);
    let effects = n.timer(Timer::Election);
    let asked: Vec<ProcessId> =
        effects.sent().filter(|(_, m)| matches!(m, Msg::Prepare { .. })).map(|(to, _)| to).collect();
    assert_eq!(asked, (1..5).map(ProcessId::server).collect::<Vec<_>>());
    assert!(effects.synced_before_sending(), "{effects:?}");
    assert_eq!(n.node().role(), Role::Candidate);
    assert_eq!(n.node().ballot(), ballot(1, 0));
}

#[test]
fn an_acceptor_keeps_its_promise_and_its_values_across_a_restart() {
    let paxos = paxos_with(None);
    let mut n = node(&paxos, 0);
    let first = n.message(ProcessId::server(2), Msg::Prepare { ballot: ballot(3, 2), from: 0 });
    assert_eq!(promise(&first), Some((true, ballot(3, 2), 0)));
    assert!(first.synced_before_sending());
    let took = accept(&mut n, ballot(3, 2), 0);
    assert_eq!(accepted_ok(&took), Some(true));
    assert!(took.synced_before_sending());
    n.crash();
    n.start();
    // A lower ballot is refused, and a higher one hears of the value.
    let lower = n.message(ProcessId::server(1), Msg::Prepare { ballot: ballot(2, 1), from: 0 });
    assert_eq!(promise(&lower), Some((false, ballot(3, 2), 0)));
    assert_eq!(accepted_ok(&accept(&mut n, ballot(2, 1), 1)), Some(false));
    n.advance(Span::from_secs(1)); // past the lease a restarted acceptor waits out
    let higher = n.message(ProcessId::server(4), Msg::Prepare { ballot: ballot(4, 4), from: 0 });
    assert_eq!(promise(&higher), Some((true, ballot(4, 4), 1)));
}

#[test]
fn with_amnesia_a_restarted_acceptor_promises_a_lower_ballot() {
    let paxos = paxos_with(Some(Bug::AcceptorAmnesia));
    let mut n = node(&paxos, 0);
    n.message(ProcessId::server(2), Msg::Prepare { ballot: ballot(3, 2), from: 0 });
    n.crash();
    n.start();
    let lower = n.message(ProcessId::server(1), Msg::Prepare { ballot: ballot(2, 1), from: 0 });
    assert_eq!(promise(&lower).map(|p| p.0), Some(true));
}

#[test]
fn an_acceptor_that_granted_a_lease_promises_no_one_else_until_it_ends() {
    let paxos = paxos_with(None);
    let mut n = node(&paxos, 0);
    n.message(ProcessId::server(1), Msg::Heartbeat { ballot: ballot(1, 1), commit: 0, round: 1 });
    let during = n.message(ProcessId::server(2), Msg::Prepare { ballot: ballot(2, 2), from: 0 });
    assert_eq!(promise(&during).map(|p| p.0), Some(false));
    n.advance(paxos.lease);
    let after = n.message(ProcessId::server(2), Msg::Prepare { ballot: ballot(2, 2), from: 0 });
    assert_eq!(promise(&after).map(|p| p.0), Some(true));
}
