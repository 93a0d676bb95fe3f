//! Multi-Paxos's properties. Agreement is computed from the acceptors'
//! states, not from what learners say: each time an acceptor accepts, the
//! checker reads the (ballot, value) it now holds for that slot and counts
//! it toward that ballot; a value a majority accepted in one ballot is
//! chosen, and a slot may only ever have one. Each observation costs a few
//! map lookups; nothing rescans a log or the history.

use super::types::{Ballot, Role};
use super::{command_hash, MultiPaxos, Obs, Prop};
use crate::kv::Liveness;
use sim::{Checker, HistoryEvent, Metric, Observed, ProcessId, Setup, Time, Verdicts, World};
use std::collections::BTreeMap;

pub struct PaxosChecker {
    servers: u32,
    majority: usize,
    /// Ballot -> the proposer that led it.
    leaders: BTreeMap<Ballot, u32>,
    last_leader: Option<u32>,
    elections: u64,
    /// (slot, ballot) -> digests of the values proposed there.
    proposed: BTreeMap<(u64, Ballot), Vec<u64>>,
    /// (slot, ballot, value) -> the acceptors that accepted it.
    votes: BTreeMap<(u64, Ballot, u64), Vec<u32>>,
    /// Slot -> the value chosen there, and in which ballot first.
    chosen: BTreeMap<u64, (u64, Ballot)>,
    /// Slot -> the latest ballot any acceptor accepted a value in.
    latest: BTreeMap<u64, Ballot>,
    /// Per acceptor, the highest ballot it promised (or accepted in).
    promised: Vec<Ballot>,
    liveness: Liveness,
    step_downs: u64,
}

impl PaxosChecker {
    pub fn new(setup: &Setup, heal: Time) -> PaxosChecker {
        let servers = setup.servers();
        PaxosChecker {
            servers,
            majority: servers as usize / 2 + 1,
            leaders: BTreeMap::new(),
            last_leader: None,
            elections: 0,
            proposed: BTreeMap::new(),
            votes: BTreeMap::new(),
            chosen: BTreeMap::new(),
            latest: BTreeMap::new(),
            promised: vec![Ballot::ZERO; servers as usize],
            liveness: Liveness::new(heal),
            step_downs: 0,
        }
    }

    fn leaders_now(&self, world: &World<'_, MultiPaxos>) -> Vec<u32> {
        world.live_servers().filter(|(_, s)| s.role() == Role::Leader).map(|(i, _)| i).collect()
    }

    fn promise(&mut self, node: u32, ballot: Ballot, what: &str, v: &mut Verdicts<Prop>) {
        let held = self.promised[node as usize];
        if ballot < held {
            v.violated(
                Prop::PromiseKept,
                format!("n{node} {what} ballot {ballot} after promising ballot {held}"),
            );
        } else {
            self.promised[node as usize] = ballot;
        }
    }

    fn accepted(&mut self, world: &World<'_, MultiPaxos>, node: u32, slot: u64, v: &mut Verdicts<Prop>) {
        let Some(server) = world.server(node) else { return };
        let Some(a) = server.acceptor().accepted(slot) else { return };
        let (ballot, value) = (a.ballot, command_hash(&a.command));
        self.promise(node, ballot, &format!("accepted a value for slot {slot} in"), v);
        match self.proposed.get(&(slot, ballot)) {
            Some(values) if values.contains(&value) => {}
            Some(_) => v.violated(
                Prop::Validity,
                format!("n{node} accepted a value for slot {slot} in ballot {ballot} that its proposer did not propose"),
            ),
            None => v.violated(
                Prop::Validity,
                format!("n{node} accepted a value for slot {slot} in ballot {ballot}, in which nothing was proposed for it"),
            ),
        }
        if let Some(prev) = self.latest.insert(slot, ballot) {
            if prev.node != ballot.node || prev.round != ballot.round {
                v.fired(Prop::ProposersCompeted);
            }
        }
        let voters = self.votes.entry((slot, ballot, value)).or_default();
        if !voters.contains(&node) {
            voters.push(node);
        }
        if voters.len() < self.majority {
            return;
        }
        match self.chosen.get(&slot) {
            Some(&(other, first)) if other != value => v.violated(
                Prop::Agreement,
                format!(
                    "two values chosen for slot {slot}: one by a majority in ballot {first}, another by a majority in ballot {ballot}"
                ),
            ),
            Some(_) => {}
            None => {
                self.chosen.insert(slot, (value, ballot));
            }
        }
    }
}

impl Checker<MultiPaxos> for PaxosChecker {
    fn on_complete(&mut self, invoke: &HistoryEvent, completion: &HistoryEvent, _v: &mut Verdicts<Prop>) {
        self.liveness.on_complete(invoke, completion);
    }

    fn after_step(
        &mut self,
        world: &World<'_, MultiPaxos>,
        observations: &[Observed<Obs>],
        v: &mut Verdicts<Prop>,
    ) {
        for o in observations {
            let node = o.from.index();
            match o.obs {
                Obs::BecameLeader { ballot } => {
                    self.elections += 1;
                    match self.leaders.get(&ballot) {
                        Some(&other) if other != node => v.violated(
                            Prop::OneLeaderPerBallot,
                            format!("n{other} and n{node} both led ballot {ballot}"),
                        ),
                        Some(_) => {}
                        None => {
                            self.leaders.insert(ballot, node);
                        }
                    }
                    if self.last_leader.is_some_and(|l| l != node) {
                        v.fired(Prop::LeaderChanged);
                    }
                    self.last_leader = Some(node);
                }
                Obs::SteppedDown { .. } => self.step_downs += 1,
                Obs::Promised { ballot } => self.promise(node, ballot, "promised", v),
                Obs::Accepted { slot } => self.accepted(world, node, slot, v),
                Obs::Proposed { slot, ballot, hash } => {
                    let values = self.proposed.entry((slot, ballot)).or_default();
                    if !values.contains(&hash) {
                        values.push(hash);
                    }
                }
                Obs::Adopted { .. } => v.fired(Prop::ValueAdopted),
                Obs::GapFilled { .. } => v.fired(Prop::GapFilled),
                Obs::LeaseRead => v.fired(Prop::LeaseRead),
                Obs::Deduplicated => v.fired(Prop::RetryDeduplicated),
                Obs::SnapshotInstalled => v.fired(Prop::SnapshotInstalled),
                Obs::Compacted { .. } => {}
            }
        }
        // A paused leader whose lease ran out on its own clock.
        for i in 0..self.servers {
            if !world.is_paused(i) {
                continue;
            }
            if let Some(until) = world.server(i).and_then(|s| s.lease_until()) {
                if world.monotonic_clock(ProcessId::server(i)) >= until {
                    v.fired(Prop::LeaseExpiredPaused);
                }
            }
        }
    }

    fn at_end(&mut self, world: &World<'_, MultiPaxos>, v: &mut Verdicts<Prop>) {
        if let Some(why) = Liveness::one_leader(&self.leaders_now(world)) {
            v.violated(Prop::OneLeader, why);
        }
        if let Some(why) = self.liveness.requests_complete() {
            v.violated(Prop::RequestsComplete, why);
        }
    }

    fn metrics(&self, world: &World<'_, MultiPaxos>) -> Vec<Metric> {
        let applied = world.live_servers().map(|(_, s)| s.applied()).max().unwrap_or(0);
        let longest = world.live_servers().map(|(_, s)| s.acceptor().slots_in_memory()).max().unwrap_or(0);
        vec![
            Metric::new("leaders elected", self.elections as f64, ""),
            Metric::new("leaders stepped down", self.step_downs as f64, ""),
            Metric::new("highest round", self.leaders.keys().last().map_or(0, |b| b.round) as f64, ""),
            Metric::new("slots chosen", self.chosen.len() as f64, ""),
            Metric::new("slots applied", applied as f64, ""),
            Metric::new("most accepted slots in memory", longest as f64, "slots"),
        ]
    }
}
