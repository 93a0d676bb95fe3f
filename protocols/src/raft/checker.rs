//! Raft's properties, from what servers observe as they go and a look at
//! their state. Each observation costs a map lookup (O(log n)); nothing
//! rescans a log or the history.

use super::types::Role;
use super::Prop;
use super::{Obs, Raft};
use crate::kv::Liveness;
use sim::fault::FaultAction;
use sim::{Checker, HistoryEvent, Metric, Observed, ProcessId, Setup, Time, Verdicts, World};
use std::collections::BTreeMap;

pub struct RaftChecker {
    servers: u32,
    /// Term -> its leader.
    leaders: BTreeMap<u64, u32>,
    last_leader: Option<u32>,
    elections: u64,
    /// (index, term) -> hash of the log prefix ending there.
    stored: BTreeMap<(u64, u64), (u64, u32)>,
    /// Index -> hash of the command applied there, digest of the state
    /// machine after it, and by whom first.
    applied: BTreeMap<u64, (u64, u64, u32)>,
    /// Per server: index -> prefix hash of the entry it holds there, kept
    /// as it stores and truncates, to judge what it reloads after a crash.
    held: Vec<BTreeMap<u64, u64>>,
    /// Term in which entries were committed -> the highest of them: index,
    /// term of the entry, prefix hash. Leader completeness only speaks of
    /// leaders of later terms: a leader of term 7 elected late (its votes
    /// delayed) need not hold what a leader of term 8 committed.
    committed: BTreeMap<u64, (u64, u64, u64)>,
    /// Operations invoked after this time must complete.
    liveness: Liveness,
    snapshots: u64,
    step_downs: u64,
}

impl RaftChecker {
    pub fn new(setup: &Setup, heal: Time) -> RaftChecker {
        RaftChecker {
            servers: setup.servers(),
            leaders: BTreeMap::new(),
            last_leader: None,
            elections: 0,
            stored: BTreeMap::new(),
            applied: BTreeMap::new(),
            held: vec![BTreeMap::new(); setup.servers() as usize],
            committed: BTreeMap::new(),
            liveness: Liveness::new(heal),
            snapshots: 0,
            step_downs: 0,
        }
    }

    /// `node` leads `term`, by election or (wrongly) by keeping its lead into
    /// a term it only heard of: no other server may lead that term.
    fn claim_leadership(&mut self, term: u64, node: u32, v: &mut Verdicts<Prop>) {
        match self.leaders.get(&term) {
            Some(&other) if other != node => {
                v.violated(Prop::ElectionSafety, format!("n{other} and n{node} both led term {term}"))
            }
            Some(_) => {}
            None => {
                self.leaders.insert(term, node);
            }
        }
    }

    /// A restarted server's reloaded log: every entry one it held when it
    /// stopped (an entry it truncated, or one it overwrote, must stay
    /// gone), terms never going down, and its term at least the last one.
    /// A log shorter than before is fine: a crash loses what was not synced.
    fn check_reload(
        &mut self,
        node: u32,
        term: u64,
        base_term: u64,
        entries: &[(u64, u64, u64)],
        v: &mut Verdicts<Prop>,
    ) {
        let held = &mut self.held[node as usize];
        let mut previous = base_term;
        for &(index, entry_term, hash) in entries {
            if entry_term < previous {
                v.violated(
                    Prop::ReloadSafety,
                    format!("n{node} reloaded an entry of term {entry_term} at index {index}, after one of term {previous}"),
                );
                return;
            }
            previous = entry_term;
            if held.get(&index) != Some(&hash) {
                let what = if held.contains_key(&index) {
                    "an entry it had overwritten"
                } else {
                    "an entry it had truncated"
                };
                v.violated(
                    Prop::ReloadSafety,
                    format!("n{node} reloaded {what} at index {index} (term {entry_term})"),
                );
                return;
            }
        }
        if term < previous {
            v.violated(
                Prop::ReloadSafety,
                format!("n{node} reloaded term {term}, below its last entry's term {previous}"),
            );
            return;
        }
        let last = entries.last().map_or(0, |e| e.0);
        held.split_off(&(last + 1));
    }

    fn leaders_now(&self, world: &World<'_, Raft>) -> Vec<u32> {
        world.live_servers().filter(|(_, s)| s.role() == Role::Leader).map(|(i, _)| i).collect()
    }
}

impl Checker<Raft> for RaftChecker {
    fn on_complete(&mut self, invoke: &HistoryEvent, completion: &HistoryEvent, _v: &mut Verdicts<Prop>) {
        self.liveness.on_complete(invoke, completion);
    }

    fn after_step(
        &mut self,
        world: &World<'_, Raft>,
        observations: &[Observed<Obs>],
        v: &mut Verdicts<Prop>,
    ) {
        for o in observations {
            let node = o.from.index();
            match o.obs {
                Obs::BecameLeader { term } => {
                    self.elections += 1;
                    self.claim_leadership(term, node, v);
                    if self.last_leader.is_some_and(|l| l != node) {
                        v.fired(Prop::LeaderChanged);
                    }
                    self.last_leader = Some(node);
                    let earlier = self.committed.range(..term).map(|(_, &c)| c).max_by_key(|&(index, _, _)| index);
                    if let (Some((index, cterm, hash)), Some(leader)) = (earlier, world.server(node)) {
                        let log = leader.log();
                        if index > log.base_index && log.hash_at(index) != Some(hash) {
                            v.violated(
                                Prop::LeaderCompleteness,
                                format!(
                                    "n{node} became leader of term {term} without the committed entry at index {index} (term {cterm})"
                                ),
                            );
                        }
                    }
                }
                Obs::SteppedDown { .. } => self.step_downs += 1,
                Obs::TermRaised { term, leader: true } => self.claim_leadership(term, node, v),
                Obs::TermRaised { leader: false, .. } => {}
                Obs::Stored { index, term, hash } => {
                    self.held[node as usize].insert(index, hash);
                    match self.stored.get(&(index, term)) {
                    Some(&(h, first)) if h != hash => v.violated(
                        Prop::LogMatching,
                        format!(
                            "n{node} and n{first} both hold an entry at index {index} of term {term}, after different logs"
                        ),
                    ),
                    Some(_) => {}
                    None => {
                        self.stored.insert((index, term), (hash, node));
                    }
                    }
                }
                Obs::Truncated { from, leader } => {
                    self.held[node as usize].split_off(&from);
                    if leader {
                        v.violated(Prop::LeaderAppendOnly, format!("leader n{node} truncated its log from index {from}"));
                    } else {
                        v.fired(Prop::ConflictTruncated);
                    }
                }
                Obs::Committed { index, term, hash, in_term } => {
                    let highest = self.committed.entry(in_term).or_insert((index, term, hash));
                    if index > highest.0 {
                        *highest = (index, term, hash);
                    }
                }
                Obs::Applied { index, hash, state } => match self.applied.get(&index) {
                    Some(&(h, _, first)) if h != hash => v.violated(
                        Prop::StateMachineSafety,
                        format!("n{node} applied a different command at index {index} than n{first}"),
                    ),
                    Some(&(_, s, first)) if s != state => v.violated(
                        Prop::StateMachineSafety,
                        format!(
                            "n{node}'s state machine (store and client sessions) after index {index} differs from n{first}'s"
                        ),
                    ),
                    Some(_) => {}
                    None => {
                        self.applied.insert(index, (hash, state, node));
                    }
                },
                Obs::Reloaded { term, base_term, ref entries } => self.check_reload(node, term, base_term, entries, v),
                Obs::SnapshotInstalled => {
                    self.snapshots += 1;
                    v.fired(Prop::SnapshotInstalled);
                }
                Obs::Deduplicated => v.fired(Prop::RetryDeduplicated),
                Obs::ReadServed => {
                    if self.leaders_now(world).len() > 1 {
                        v.fired(Prop::StaleLeaderRead);
                    }
                }
            }
        }
    }

    fn on_fault(&mut self, fault: &FaultAction, world: &World<'_, Raft>, v: &mut Verdicts<Prop>) {
        if !matches!(fault, FaultAction::Partition { .. }) {
            return;
        }
        let net = world.network();
        for leader in self.leaders_now(world) {
            let reach = 1
                + (0..self.servers)
                    .filter(|p| {
                        *p != leader && net.reachable(ProcessId::server(leader), ProcessId::server(*p))
                    })
                    .count();
            if reach <= self.servers as usize / 2 {
                v.fired(Prop::LeaderIsolated);
            }
        }
    }

    fn at_end(&mut self, world: &World<'_, Raft>, v: &mut Verdicts<Prop>) {
        if let Some(why) = Liveness::one_leader(&self.leaders_now(world)) {
            v.violated(Prop::OneLeader, why);
        }
        if let Some(why) = self.liveness.requests_complete() {
            v.violated(Prop::RequestsComplete, why);
        }
    }

    fn metrics(&self, world: &World<'_, Raft>) -> Vec<Metric> {
        let commit = world.live_servers().map(|(_, s)| s.commit_index()).max().unwrap_or(0);
        let longest =
            world.live_servers().map(|(_, s)| s.log().last_index() - s.log().base_index).max().unwrap_or(0);
        vec![
            Metric::new("leaders elected", self.elections as f64, ""),
            Metric::new("leaders stepped down", self.step_downs as f64, ""),
            Metric::new("longest log in memory", longest as f64, "entries"),
            Metric::new("highest term", self.leaders.keys().last().copied().unwrap_or(0) as f64, ""),
            Metric::new("entries committed", commit as f64, ""),
            Metric::new("snapshots installed", self.snapshots as f64, ""),
        ]
    }
}
