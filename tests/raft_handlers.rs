//! Raft's handlers one at a time, through `sim::testing`: no run, no
//! network, just a node, a message or timer, and what it asked for.

use protocols::raft::{Bug, Command, LogEntry, Msg, Obs, Raft, Role, Timer};
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

fn noops(term: u64, count: usize) -> Vec<LogEntry> {
    vec![LogEntry { term, command: Command::Noop }; count]
}

fn append(term: u64, prev_index: u64, prev_term: u64, entries: Vec<LogEntry>) -> Msg {
    Msg::Append { term, prev_index, prev_term, entries, commit: 0, probe: 0 }
}

/// The terms along the log a restart reloaded, as the checker sees them.
fn reloaded_terms(effects: &sim::testing::Effects<Raft>) -> Vec<u64> {
    effects
        .observations()
        .find_map(|o| match o {
            Obs::Reloaded { entries, .. } => Some(entries.iter().map(|e| e.1).collect()),
            _ => None,
        })
        .expect("a restart reports what it reloaded")
}

/// Three entries of term 1; a leader of term 2 overwrites the second with
/// its own, which truncates the third; then a restart.
fn truncate_then_restart(bug: Option<Bug>) -> Vec<u64> {
    let raft = raft_with("", bug);
    let mut n = node(&raft, 0);
    n.message(ProcessId::server(1), append(1, 0, 0, noops(1, 3)));
    n.message(ProcessId::server(2), append(2, 1, 1, noops(2, 1)));
    assert_eq!(n.node().log().last_index(), 2, "the conflicting tail is gone from memory");
    n.crash();
    reloaded_terms(&n.start())
}

#[test]
fn a_conflict_truncation_stays_truncated_across_a_restart() {
    assert_eq!(truncate_then_restart(None), vec![1, 2]);
}

#[test]
fn the_truncation_not_persisted_bug_reloads_the_old_tail_in_a_lower_term() {
    assert_eq!(truncate_then_restart(Some(Bug::TruncationNotPersisted)), vec![1, 2, 1], "the seeded bug");
}

/// A candidate of term 2 (its first election timed out) hears two votes
/// granted for term 1: enough for a majority of five, with its own.
fn late_votes_for_an_earlier_term(bug: Option<Bug>) -> Role {
    let raft = raft_with("pre_vote = false\ncheck_quorum = false", bug);
    let mut n = node(&raft, 0);
    n.timer(Timer::Election);
    n.timer(Timer::Election);
    assert_eq!((n.node().term(), n.node().role()), (2, Role::Candidate));
    for voter in [1, 2] {
        n.message(ProcessId::server(voter), Msg::Vote { term: 1, granted: true });
    }
    n.node().role()
}

#[test]
fn votes_granted_in_an_earlier_term_do_not_count() {
    assert_eq!(late_votes_for_an_earlier_term(None), Role::Candidate);
}

#[test]
fn the_stale_vote_counted_bug_leads_on_votes_of_an_earlier_term() {
    assert_eq!(late_votes_for_an_earlier_term(Some(Bug::StaleVoteCounted)), Role::Leader, "the seeded bug");
}
