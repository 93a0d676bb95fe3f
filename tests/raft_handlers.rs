//! Raft's handlers one at a time, through `sim::testing`: no run, no
//! network, just a node, a message or timer, and what it asked for.

use protocols::raft::{Bug, Msg, Raft, Role, Timer};
use sim::testing::NodeHarness;
use sim::{Cluster, ProcessId, Protocol, Scenario};

fn raft_with(extra: &str, bug: Option<Bug>) -> Raft {
    let source = format!("nodes = 5\nduration = \"10s\"\n[protocol]\nname = \"raft\"\n{extra}");
    let scenario = Scenario::parse("handlers.toml", &source).unwrap();
    Raft::configure(&scenario, bug).unwrap()
}

fn raft(extra: &str) -> Raft {
    raft_with(extra, None)
}

fn node(raft: &Raft, id: u32) -> NodeHarness<'_, Raft> {
    let mut n = NodeHarness::server(raft, ProcessId::server(id), Cluster::uniform(5));
    n.start();
    n
}

fn vote_request(term: u64) -> Msg {
    Msg::RequestVote { term, last_index: 0, last_term: 0 }
}

fn granted(effects: &sim::testing::Effects<Raft>) -> Option<bool> {
    effects.sent().find_map(|(_, m)| match m {
        Msg::Vote { granted, .. } => Some(*granted),
        _ => None,
    })
}

#[test]
fn an_election_timeout_starts_an_election_after_the_vote_is_durable() {
    let raft = raft("pre_vote = false");
    let mut n = node(&raft, 0);
    let effects = n.timer(Timer::Election);
    let asked: Vec<ProcessId> = effects
        .sent()
        .filter(|(_, m)| matches!(m, Msg::RequestVote { term: 1, .. }))
        .map(|(to, _)| to)
        .collect();
    assert_eq!(asked, (1..5).map(ProcessId::server).collect::<Vec<_>>());
    assert!(effects.synced_before_sending(), "term and vote reach the disk first: {effects:?}");
    assert_eq!(n.node().role(), Role::Candidate);
    assert_eq!(n.node().term(), 1);
}

#[test]
fn a_server_votes_once_per_term_and_remembers_it_across_a_restart() {
    let raft = raft("pre_vote = false");
    let mut n = node(&raft, 0);
    let first = n.message(ProcessId::server(1), vote_request(3));
    assert_eq!(granted(&first), Some(true));
    assert!(first.synced_before_sending());
    assert_eq!(granted(&n.message(ProcessId::server(2), vote_request(3))), Some(false));
    n.crash();
    n.start();
    assert_eq!(
        granted(&n.message(ProcessId::server(2), vote_request(3))),
        Some(false),
        "the vote was durable"
    );
}

#[test]
fn the_vote_not_persisted_bug_votes_twice_after_a_restart() {
    let raft = raft_with("pre_vote = false", Some(Bug::VoteNotPersisted));
    let mut n = node(&raft, 0);
    assert_eq!(granted(&n.message(ProcessId::server(1), vote_request(3))), Some(true));
    n.crash();
    n.start();
    assert_eq!(granted(&n.message(ProcessId::server(2), vote_request(3))), Some(true), "the seeded bug");
}

#[test]
fn a_follower_refuses_an_append_whose_previous_entry_it_lacks() {
    let raft = raft("");
    let mut n = node(&raft, 0);
    let append =
        Msg::Append { term: 2, prev_index: 5, prev_term: 2, entries: Vec::new(), commit: 0, probe: 1 };
    let effects = n.message(ProcessId::server(1), append);
    let success = effects.sent().find_map(|(_, m)| match m {
        Msg::AppendReply { success, .. } => Some(*success),
        _ => None,
    });
    assert_eq!(success, Some(false));
    assert_eq!(n.node().term(), 2, "but it takes the leader's term");
    assert_eq!(n.node().role(), Role::Follower);
}
