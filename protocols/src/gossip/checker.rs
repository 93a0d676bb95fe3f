//! Gossip's properties, checked incrementally from what the servers
//! observe: each observation costs O(log n), whatever the length of the run.
//!
//! The checker keeps its own record of what each server holds (the values it
//! received since it last started, and the values it reloaded then) in a
//! plain `BTreeSet`, never the protocol's `RangeSet`: a mistake in the
//! protocol's data structure must not blind the oracle that judges it.

use super::Prop;
use super::{Gossip, Obs, Via};
use crate::kv::Liveness;
use sim::fault::FaultAction;
use sim::history::EventKind;
use sim::metrics::percentile;
use sim::{Checker, HistoryEvent, Metric, Observed, Time, Value, Verdicts, World};
use std::collections::BTreeSet;

pub struct GossipChecker {
    servers: u32,
    /// u64 words in one value's holder bitset.
    words: usize,
    /// Per value (index value - 1): when it was submitted.
    submitted: Vec<Option<Time>>,
    /// Per value: the client it was acknowledged to, if it was.
    acked: Vec<Option<u32>>,
    /// Per server: the values it acknowledged to clients, which its disk
    /// must give back when it restarts.
    promised: Vec<Vec<u64>>,
    /// Per server: what it holds now, by its observations alone (received
    /// since its last start, plus what it reloaded then).
    held: Vec<BTreeSet<u64>>,
    liveness: Liveness,
    /// For the metrics only: per value, the servers that ever received it.
    holders: Vec<u64>,
    holder_count: Vec<u32>,
    /// Submission to "every server holds it", in nanoseconds.
    latencies: Vec<u64>,
}

fn value_of(event: &HistoryEvent) -> Option<usize> {
    match event.op.value {
        Value::Int(v) if v > 0 => Some(v as usize),
        _ => None,
    }
}

impl GossipChecker {
    /// `heal`: broadcasts invoked from then on must be acknowledged.
    pub fn new(servers: u32, heal: Time) -> GossipChecker {
        GossipChecker {
            servers,
            words: (servers as usize).div_ceil(64),
            submitted: Vec::new(),
            acked: Vec::new(),
            promised: vec![Vec::new(); servers as usize],
            held: vec![BTreeSet::new(); servers as usize],
            liveness: Liveness::new(heal),
            holders: Vec::new(),
            holder_count: Vec::new(),
            latencies: Vec::new(),
        }
    }

    fn was_submitted(&self, value: u64) -> bool {
        value > 0 && (value as usize) <= self.submitted.len() && self.submitted[value as usize - 1].is_some()
    }
}

impl Checker<Gossip> for GossipChecker {
    fn on_invoke(&mut self, invoke: &HistoryEvent, _v: &mut Verdicts<Prop>) {
        let Some(value) = value_of(invoke) else { return };
        if value > self.submitted.len() {
            self.submitted.resize(value, None);
            self.acked.resize(value, None);
            self.holder_count.resize(value, 0);
            self.holders.resize(value * self.words, 0);
        }
        self.submitted[value - 1] = Some(Time(invoke.time_ns));
    }

    fn on_complete(&mut self, invoke: &HistoryEvent, completion: &HistoryEvent, _v: &mut Verdicts<Prop>) {
        self.liveness.on_complete(invoke, completion);
        if completion.kind == EventKind::Ok {
            if let Some(value) = value_of(completion) {
                self.acked[value - 1] = Some(completion.process);
            }
        }
    }

    fn after_step(
        &mut self,
        world: &World<'_, Gossip>,
        observations: &[Observed<Obs>],
        v: &mut Verdicts<Prop>,
    ) {
        for o in observations {
            match o.obs {
                Obs::Received { value, via } => {
                    if !self.was_submitted(value) {
                        v.violated(
                            Prop::Validity,
                            format!("{} holds the value {value}, which no client submitted", o.from),
                        );
                        continue;
                    }
                    if via == Via::Repair {
                        v.fired(Prop::AntiEntropyRepaired);
                    }
                    let i = value as usize - 1;
                    let node = o.from.index() as usize;
                    self.held[node].insert(value);
                    let word = &mut self.holders[i * self.words + node / 64];
                    let bit = 1u64 << (node % 64);
                    if *word & bit == 0 {
                        *word |= bit;
                        self.holder_count[i] += 1;
                        if self.holder_count[i] == self.servers {
                            let since = self.submitted[i].unwrap_or(Time::ZERO);
                            self.latencies.push((world.now() - since).nanos());
                        }
                    }
                }
                Obs::Recovered { ref values } => {
                    if !values.is_empty() {
                        v.fired(Prop::RecoveredFromDisk);
                    }
                    // A (re)start: the server holds what it reloaded, and
                    // nothing else.
                    let node = o.from.index() as usize;
                    self.held[node] = values.iter().copied().collect();
                    let lost = self.promised[node].iter().find(|value| !self.held[node].contains(value));
                    if let Some(value) = lost {
                        v.violated(
                            Prop::ReloadSafety,
                            format!("{} restarted without the value {value}, which it acknowledged", o.from),
                        );
                    }
                }
                Obs::Acknowledged { value } => self.promised[o.from.index() as usize].push(value),
            }
        }
    }

    fn on_fault(&mut self, fault: &FaultAction, world: &World<'_, Gossip>, v: &mut Verdicts<Prop>) {
        if matches!(fault, FaultAction::Partition { .. }) && world.network().server_components() > 1 {
            v.fired(Prop::PartitionCutGraph);
        }
    }

    fn at_end(&mut self, world: &World<'_, Gossip>, v: &mut Verdicts<Prop>) {
        if let Some(why) = self.liveness.requests_complete() {
            v.violated(Prop::RequestsComplete, why);
        }
        if let Some(server) = (0..self.servers).find(|&s| world.server(s).is_none()) {
            v.violated(Prop::Convergence, format!("n{server} is down at the end of the run"));
            return;
        }
        // The first acknowledged value some server lacks, and every server
        // that lacks it: a value lost everywhere reads differently from one
        // a single server missed.
        let missing = |value: u64| -> Vec<u32> {
            (0..self.servers).filter(|&s| !self.held[s as usize].contains(&value)).collect()
        };
        let mut lost = (1..=self.acked.len() as u64)
            .filter_map(|value| Some((value, self.acked[value as usize - 1]?)))
            .filter(|&(value, _)| !missing(value).is_empty());
        let Some((first, client)) = lost.next() else { return };
        let lacking = missing(first);
        let who = if lacking.len() as u32 == self.servers && self.servers > 1 {
            format!("every server (n0..n{}) lacks", self.servers - 1)
        } else {
            let names: Vec<String> = lacking.iter().map(|s| format!("n{s}")).collect();
            format!("{} {}", names.join(", "), if names.len() == 1 { "lacks" } else { "lack" })
        };
        v.violated(
            Prop::Convergence,
            format!(
                "{who} the value {first} after the settle phase, though it was acknowledged to c{client} (submitted at {})",
                self.submitted[first as usize - 1].unwrap_or(Time::ZERO)
            ),
        );
    }

    fn metrics(&self, world: &World<'_, Gossip>) -> Vec<Metric> {
        let values = self.submitted.iter().filter(|s| s.is_some()).count() as f64;
        let stats = world.network().stats;
        let mut sorted = self.latencies.clone();
        sorted.sort_unstable();
        let ms = |q: u64| percentile(&sorted, q).map_or(0.0, |ns| ns as f64 / 1e6);
        vec![
            Metric::new("values broadcast", values, ""),
            Metric::new("messages per value", stats.server_to_server as f64 / values.max(1.0), "msgs"),
            Metric::new("convergence p50", ms(50), "ms"),
            Metric::new("convergence p99", ms(99), "ms"),
            Metric::new("convergence max", ms(100), "ms"),
            Metric::new("values never on every server", values - sorted.len() as f64, ""),
        ]
    }
}
