//! From a scenario to the fault schedule one seed runs: scripted faults
//! (random shapes and role members drawn at the start), the nemesis's
//! (drawn as the run reaches them), and the settle; and the check of a
//! schedule read back from a repro.

use super::{Scenario, Scripted};
use crate::fault::{FaultAction, Source, TimedFault};
use crate::fault_stream::{FaultSource, FaultStream};
use crate::network::Partition;
use crate::process::ProcessId;
use crate::rng::{Rng, Stream};

impl Scenario {
    /// The whole fault schedule for `seed`, drawn at once. The engine draws
    /// it lazily instead ([`Scenario::fault_stream`]); this is for looking
    /// at the schedule of a short run.
    pub fn fault_schedule(&self, seed: u64) -> Vec<TimedFault> {
        self.fault_stream(seed).collect()
    }

    /// The fault schedule for `seed` in time order: the scripted faults
    /// (random shapes drawn now), the nemesis's (drawn as the stream is
    /// read), and the settle at the end of the fault phase. At one instant,
    /// scripted faults come first in file order, then the nemesis's kinds,
    /// then the settle.
    pub fn fault_stream(&self, seed: u64) -> FaultStream {
        let settle_start = self.settle_start();
        let clients = self.clients();
        let mut next_id = 1;
        let mut out = Vec::new();
        let mut rng = Rng::new(seed, Stream::Nemesis(100));
        for (i, f) in self.faults.iter().enumerate() {
            let source = Source::Scenario(i as u32);
            let mut id = || {
                next_id += 1;
                next_id - 1
            };
            let action = match &f.what {
                Scripted::Crash(t) => FaultAction::Crash { node: t.pick(&mut rng) },
                Scripted::CrashForGood(t) => FaultAction::CrashForGood { node: t.pick(&mut rng) },
                Scripted::Restart(t) => FaultAction::Restart { node: t.pick(&mut rng) },
                Scripted::Pause(t) => FaultAction::Pause { node: t.pick(&mut rng) },
                Scripted::Resume(t) => FaultAction::Resume { node: t.pick(&mut rng) },
                Scripted::Partition(p) => FaultAction::Partition { id: id(), partition: p.clone() },
                Scripted::Isolate(t) => FaultAction::Partition {
                    id: id(),
                    partition: Partition::Isolate { node: t.pick(&mut rng) },
                },
                Scripted::RandomPartition { kind, role: None } => {
                    let partition = Partition::random(kind.name(), self.nodes, clients, &mut rng);
                    FaultAction::Partition { id: id(), partition }
                }
                Scripted::RandomPartition { kind, role: Some((_, members)) } => {
                    let others: Vec<ProcessId> = (0..self.nodes)
                        .map(ProcessId::server)
                        .chain((0..clients).map(ProcessId::client))
                        .filter(|p| !members.contains(p))
                        .collect();
                    let partition = Partition::random_among(kind.name(), members, &others, &mut rng);
                    FaultAction::Partition { id: id(), partition }
                }
                Scripted::HealAll => FaultAction::HealAll,
                Scripted::Clock { node, skew_ns, drift_ppm } => {
                    FaultAction::Clock { node: node.pick(&mut rng), skew_ns: *skew_ns, drift_ppm: *drift_ppm }
                }
                Scripted::Degrade { nodes, change } => {
                    FaultAction::Degrade { id: id(), nodes: nodes.clone(), change: *change }
                }
                Scripted::RestoreAll => FaultAction::RestoreAll,
            };
            let undo = action.undo();
            out.push(TimedFault { at: f.at, action, source: source.clone() });
            if let (Some(d), Some(undo)) = (f.duration, undo) {
                let at = f.at + d;
                if at < settle_start {
                    out.push(TimedFault { at, action: undo, source });
                }
            }
        }
        out.sort_by_key(|f| f.at);
        let plan = self.nemesis.for_seed(seed);
        let members = |role: Option<&str>| match role {
            None => (0..self.nodes).map(ProcessId::server).collect(),
            Some(r) => self.members(r).unwrap_or_default(),
        };
        let everyone: Vec<ProcessId> =
            (0..self.nodes).map(ProcessId::server).chain((0..clients).map(ProcessId::client)).collect();
        let mut sources: Vec<FaultSource> = vec![Box::new(out.into_iter())];
        sources.extend(plan.draws(&members, &everyone, settle_start, seed, next_id));
        let settle = TimedFault { at: settle_start, action: FaultAction::Settle, source: Source::Settle };
        FaultStream::merge(sources).with_settle(settle).renumbered()
    }

    /// Checks a schedule read from a repro against this scenario.
    pub fn check_schedule(&self, faults: &[TimedFault]) -> Result<(), String> {
        let clients = self.clients();
        let ok = |p: ProcessId| if p.is_server() { p.index() < self.nodes } else { p.index() < clients };
        for f in faults {
            let procs = f.action.processes();
            if let Some(p) = procs.into_iter().find(|p| !ok(*p)) {
                return Err(format!(
                    "the fault `{}` at {} names {p}, which this scenario does not have",
                    f.action, f.at
                ));
            }
            if let FaultAction::Partition { partition, .. } = &f.action {
                partition.check().map_err(|m| format!("the fault `{}` at {}: {m}", f.action, f.at))?;
            }
            if f.at > self.end() {
                return Err(format!(
                    "the fault `{}` at {} comes after the end of the run ({})",
                    f.action, f.at, self.duration
                ));
            }
        }
        Ok(())
    }
}
