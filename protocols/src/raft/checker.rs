//! Raft's properties, from what servers observe as they go and a look at
//! their state. Each observation costs a map lookup (O(log n)); nothing
//! rescans a log or the history.

use super::types::Role;
use super::Prop;
use super::{Obs, Raft};
use crate::kv::Liveness;
use sim::fault::FaultAction;
use sim::time::Span;
use sim::{Checker, HistoryEvent, Metric, Observed, ProcessId, Setup, Time, Verdicts, World};
use std::collections::BTreeMap;

/// What the checker must know of the configuration: the promises of
/// CheckQuorum and of catching up are bounded by its timeouts.
pub struct RaftLimits {
    /// Operations invoked after this time must complete.
    pub heal: Time,
    /// With CheckQuorum, how long a leader cut off from a majority may go on
    /// leading (on its own monotonic clock, after anything sent before the
    /// cut could still arrive): `None` without CheckQuorum.
    pub quorum_patience: Option<Span>,
    /// How long before the end an entry must have been committed for every
    /// live server to have applied it by the end.
    pub catch_up: Span,
}

/// A leader cut off from a majority, since when.
struct CutOff {
    term: u64,
    /// True time and the leader's monotonic clock when it was cut off.
    since: Time,
    since_monotonic: Time,
    /// The longest a message already on its way to it could still take.
    in_flight: Span,
}

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
    limits: RaftLimits,
    end: Time,
    /// Leaders cut off from a majority now (CheckQuorum must unseat them).
    cut_off: BTreeMap<u32, CutOff>,
    /// The highest index committed so far.
    highest_commit: u64,
    /// The highest index committed by the catch-up cutoff (`catch_up`
    /// before the end), and when: every live server must have applied it.
    catch_up_target: Option<(Time, u64)>,
}

impl RaftChecker {
    pub fn new(setup: &Setup, limits: RaftLimits) -> RaftChecker {
        RaftChecker {
            servers: setup.servers(),
            leaders: BTreeMap::new(),
            last_leader: None,
            elections: 0,
            stored: BTreeMap::new(),
            applied: BTreeMap::new(),
            held: vec![BTreeMap::new(); setup.servers() as usize],
            committed: BTreeMap::new(),
            liveness: Liveness::new(limits.heal),
            snapshots: 0,
            step_downs: 0,
            limits,
            end: setup.end,
            cut_off: BTreeMap::new(),
            highest_commit: 0,
            catch_up_target: None,
        }
    }

    /// Notes whether leader `node` is cut off from a majority: a peer counts
    /// only if it is up, not paused, and linked both ways (CheckQuorum hears
    /// replies). A paused leader is not judged: its timers stand still.
    fn watch_quorum(&mut self, node: u32, world: &World<'_, Raft>) {
        if self.limits.quorum_patience.is_none() {
            return;
        }
        let leading = world.server(node).filter(|s| s.role() == Role::Leader && !world.is_paused(node));
        let Some(leader) = leading else {
            self.cut_off.remove(&node);
            return;
        };
        let net = world.network();
        let me = ProcessId::server(node);
        let peers = (0..self.servers).filter(|&p| p != node).map(ProcessId::server);
        let reach = 1 + peers
            .filter(|&p| {
                let i = p.index();
                world.is_up(i) && !world.is_paused(i) && net.reachable(me, p) && net.reachable(p, me)
            })
            .count();
        if reach > self.servers as usize / 2 {
            self.cut_off.remove(&node);
            return;
        }
        if self.cut_off.get(&node).is_some_and(|c| c.term == leader.term()) {
            return;
        }
        let in_flight = (0..self.servers)
            .filter(|&p| p != node)
            .map(|p| net.max_delay(ProcessId::server(p), me))
            .max()
            .unwrap_or(Span::ZERO);
        self.cut_off.insert(
            node,
            CutOff {
                term: leader.term(),
                since: world.now(),
                since_monotonic: world.monotonic_clock(me),
                in_flight,
            },
        );
    }

    /// CheckQuorum's promise: a leader cut off from a majority for longer
    /// than the patience (on its own clock, after the longest delay of what
    /// was on its way) has stepped down.
    fn check_quorum_kept(&mut self, world: &World<'_, Raft>, v: &mut Verdicts<Prop>) {
        let Some(patience) = self.limits.quorum_patience else { return };
        for (&node, c) in &self.cut_off {
            let still = world.server(node).is_some_and(|s| s.role() == Role::Leader && s.term() == c.term);
            let waited = world.now().saturating_since(c.since);
            let own = world.monotonic_clock(ProcessId::server(node)).saturating_since(c.since_monotonic);
            if still && waited > c.in_flight + patience && own > c.in_flight + patience {
                v.violated(
                    Prop::QuorumStepDown,
                    format!(
                        "n{node} still led term {} {} after it was cut off from a majority",
                        c.term,
                        waited.approx()
                    ),
                );
            }
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

    /// Log matching: an entry of one index and term ends the same log
    /// prefix (one hash) on every server.
    fn check_stored(&mut self, node: u32, index: u64, term: u64, hash: u64, v: &mut Verdicts<Prop>) {
        self.held[node as usize].insert(index, hash);
        match self.stored.get(&(index, term)) {
            Some(&(h, first)) if h != hash => v.violated(
                Prop::LogMatching,
                format!("n{node} and n{first} both hold an entry at index {index} of term {term}, after different logs"),
            ),
            Some(_) => {}
            None => {
                self.stored.insert((index, term), (hash, node));
            }
        }
    }

    /// Every live server has applied every entry committed long enough
    /// before the end (the settle phase gives it time to catch up).
    fn check_caught_up(&self, world: &World<'_, Raft>, v: &mut Verdicts<Prop>) {
        let Some((at, target)) = self.catch_up_target else { return };
        for (node, server) in world.live_servers() {
            if server.applied_index() < target {
                v.violated(
                    Prop::CaughtUp,
                    format!(
                        "n{node} had applied up to index {} by the end; index {target} was committed at {}",
                        server.applied_index(),
                        at.approx()
                    ),
                );
                return;
            }
        }
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
                    self.watch_quorum(node, world);
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
                Obs::SteppedDown { .. } => {
                    self.step_downs += 1;
                    self.cut_off.remove(&node);
                }
                Obs::TermRaised { term, leader: true } => self.claim_leadership(term, node, v),
                Obs::TermRaised { leader: false, .. } => {}
                Obs::Stored { index, term, hash } => self.check_stored(node, index, term, hash, v),
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
                    if index > self.highest_commit {
                        self.highest_commit = index;
                        if world.now() <= self.end.saturating_sub(self.limits.catch_up) {
                            self.catch_up_target = Some((world.now(), index));
                        }
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
        if !self.cut_off.is_empty() {
            self.check_quorum_kept(world, v);
        }
    }

    fn on_fault(&mut self, fault: &FaultAction, world: &World<'_, Raft>, v: &mut Verdicts<Prop>) {
        // Any fault may cut a leader off or reconnect it (a partition, a
        // peer crashed or paused, the leader paused).
        for leader in self.leaders_now(world) {
            self.watch_quorum(leader, world);
        }
        self.cut_off.retain(|&node, _| world.server(node).is_some_and(|s| s.role() == Role::Leader));
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
        self.check_caught_up(world, v);
    }

    fn metrics(&self, world: &World<'_, Raft>) -> Vec<Metric> {
        let commit = world.live_servers().map(|(_, s)| s.commit_index()).max().unwrap_or(0);
        let longest =
            world.live_servers().map(|(_, s)| s.log().last_index() - s.log().base_index).max().unwrap_or(0);
        vec![
            // Elections, step-downs and terms past what faults force are
            // disruption; a longer log in memory is a later snapshot; a snapshot
            // installed is a whole state sent where entries might have done.
            Metric::cost("leaders elected", self.elections as f64, ""),
            Metric::cost("leaders stepped down", self.step_downs as f64, ""),
            Metric::cost("longest log in memory", longest as f64, "entries"),
            Metric::cost("highest term", self.leaders.keys().last().copied().unwrap_or(0) as f64, ""),
            Metric::new("entries committed", commit as f64, ""),
            Metric::cost("snapshots installed", self.snapshots as f64, ""),
        ]
    }
}
