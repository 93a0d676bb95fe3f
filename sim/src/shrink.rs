//! Shrinking: the smallest run that still fails the same way.
//!
//! Starting from a repro, the shrinker tries smaller variants and keeps any
//! that still violates the same property: fewer faults (delta debugging over
//! fault units: a crash with its restart, a partition with its heal), shorter
//! faults, a shorter run, fewer clients and operations, fewer nodes where the
//! protocol allows, simpler network settings. Every candidate is a full,
//! deterministic rerun of the same seed, so what it keeps really fails. The
//! scenario of a shrunk repro holds no `[[fault]]`, `[[trigger]]` or
//! `[nemesis]`: its explicit schedule says exactly what happens (the faults
//! triggers drew are in it, and go like any other).
//!
//! A smaller system changes timing, and a failure that hinged on timing can
//! vanish with a node. So when removing a node or client loses the failure,
//! the shrinker tries again with the faults moved earlier, and then with a
//! few neighbouring seeds: the repro records whichever seed it ends on.

use crate::fault::{FaultAction, Source, TimedFault};
use crate::network::Partition;
use crate::process::ProcessId;
use crate::repro::Repro;
use crate::result::RunResult;
use crate::runner::Runner;
use crate::scenario::{Diagnostic, Scenario};
use crate::time::{Span, Time};
use crate::RunOptions;
use serde::Serialize;

/// How big a failing run is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct Size {
    /// Disruptive faults (crashes, pauses, partitions, clock changes,
    /// degradations) that struck before the violation: those after it are
    /// noise in the schedule.
    pub faults: usize,
    /// Entries in the schedule, repairs included.
    pub schedule: usize,
    pub operations: u64,
    pub events: u64,
    pub duration: Span,
    pub nodes: u32,
    pub clients: u32,
}

impl Size {
    fn of(scenario: &Scenario, result: &RunResult) -> Size {
        let until = Time(result.violation.as_ref().map_or(u64::MAX, |v| v.time_ns));
        Size {
            faults: result.faults.iter().filter(|f| f.action.is_disruptive() && f.at <= until).count(),
            schedule: result.faults.iter().filter(|f| f.action != FaultAction::Settle).count(),
            operations: result.operations.invoked,
            events: result.events,
            duration: scenario.duration,
            nodes: scenario.nodes,
            clients: scenario.clients(),
        }
    }
}

pub struct Shrunk {
    pub repro: Repro,
    pub before: Size,
    pub after: Size,
    /// Candidate runs tried.
    pub runs: u32,
}

/// Builds a runner for a scenario (the protocol registry, or `sim::prepare`).
pub type Prepare<'a> = &'a dyn Fn(Scenario) -> Result<Box<dyn Runner>, Diagnostic>;

/// Told after every candidate run: the runs tried so far and the size of
/// the smallest failing run kept, so that a long shrink shows it is alive.
pub type OnProgress<'a> = &'a dyn Fn(u32, &Size);

/// A fault and the fault that undoes it, shrunk together.
#[derive(Clone, Debug)]
struct Unit {
    fault: TimedFault,
    undo: Option<TimedFault>,
}

struct Shrinker<'a> {
    path: String,
    header: String,
    seed: u64,
    property: String,
    prepare: Prepare<'a>,
    /// The fewest nodes of each role, in the scenario's order of roles
    /// (one entry when the scenario says `nodes = N`).
    min_nodes: Vec<u32>,
    runs: u32,
    max_runs: u32,
    units: Vec<Unit>,
    best: RunResult,
    scenario: Scenario,
    on_progress: OnProgress<'a>,
}

/// Shrinks `repro` with at most `max_runs` candidate runs.
pub fn shrink(repro: &Repro, prepare: Prepare<'_>, max_runs: u32) -> Result<Shrunk, Diagnostic> {
    shrink_with_progress(repro, prepare, max_runs, &|_, _| {})
}

/// [`shrink`], telling `on_progress` after every candidate run.
pub fn shrink_with_progress(
    repro: &Repro,
    prepare: Prepare<'_>,
    max_runs: u32,
    on_progress: OnProgress<'_>,
) -> Result<Shrunk, Diagnostic> {
    let original = Scenario::parse(&repro.scenario.path, &repro.scenario.source)?;
    let Some(violation) = &repro.violation else {
        return Err(Diagnostic::file(
            &repro.scenario.path,
            "this repro records no violation: nothing to shrink",
        ));
    };
    let runner = prepare(original.clone())?;
    let min_nodes = min_nodes_by_scenario_role(&original, runner.as_ref());
    let first = runner.run(repro.seed, RunOptions { trace: None, faults: Some(repro.faults.clone()) });
    if first.violation.as_ref().map(|v| &v.property) != Some(&violation.property) {
        return Err(Diagnostic::file(
            &repro.scenario.path,
            "this repro no longer fails the way it records (replay it to see how): nothing to shrink",
        ));
    }
    let before = Size::of(&original, &first);
    let mut draft = original.clone();
    draft.faults.clear();
    draft.triggers.clear();
    draft.nemesis = Default::default();
    let header = format!("{}# dsim: shrunk from a failing run of seed {}\n", original.header(), repro.seed);
    let mut s = Shrinker {
        path: repro.scenario.path.clone(),
        header,
        seed: repro.seed,
        property: violation.property.clone(),
        prepare,
        min_nodes,
        runs: 1,
        max_runs,
        units: units_of(&repro.faults),
        best: first,
        scenario: original,
        on_progress,
    };
    // The same run without the scripted faults and nemesis in the scenario:
    // the explicit schedule already holds them.
    let units = s.units.clone();
    if !s.attempt(draft, units) {
        return Err(Diagnostic::file(
            &s.path,
            "the failure does not survive rewriting the scenario; cannot shrink it",
        ));
    }
    loop {
        let runs = s.runs;
        let progressed = s.drop_faults()
            | s.shorten_faults()
            | s.earlier()
            | s.shorten_run()
            | s.fewer_clients()
            | s.fewer_nodes()
            | s.simpler_network();
        if !progressed || s.runs >= s.max_runs || s.runs == runs {
            break;
        }
    }
    let after = Size::of(&s.scenario, &s.best);
    let repro = Repro::new(&s.path, &s.scenario.source, &s.best);
    Ok(Shrunk { repro, before, after, runs: s.runs })
}

/// Whether a candidate of size `new` may replace the run of size `old`:
/// neither more faults nor more operations, and no larger by (faults,
/// operations, events) in that order.
fn no_larger(new: &Size, old: &Size) -> bool {
    new.faults <= old.faults
        && new.operations <= old.operations
        && (new.faults, new.operations, new.events) <= (old.faults, old.operations, old.events)
}

/// Seeds after the current one tried when a reduction loses the failure.
const NEARBY_SEEDS: u64 = 4;

/// Faults move to `i / RETIME_STEPS` of their time when retimed.
const RETIME_STEPS: u64 = 16;

/// Every unit moved to `i / RETIME_STEPS` of its start time; each fault
/// keeps its length.
fn retimed(units: &[Unit], i: u64) -> Vec<Unit> {
    units
        .iter()
        .map(|u| {
            let at = Time(u.fault.at.nanos() / RETIME_STEPS * i);
            let undo = u.undo.clone().map(|d| TimedFault { at: at + (d.at - u.fault.at), ..d });
            Unit { fault: TimedFault { at, ..u.fault.clone() }, undo }
        })
        .collect()
}

/// Rounds up to a whole millisecond, so shrunk scenarios read well.
fn whole_ms(t: Span) -> Span {
    Span(t.nanos().div_ceil(1_000_000) * 1_000_000)
}

/// Pairs each disruptive fault with the fault that undoes it.
fn units_of(faults: &[TimedFault]) -> Vec<Unit> {
    let mut used = vec![false; faults.len()];
    let mut units = Vec::new();
    for (i, f) in faults.iter().enumerate() {
        if used[i] || f.action == FaultAction::Settle {
            continue;
        }
        used[i] = true;
        let undo = (i + 1..faults.len()).find(|&j| !used[j] && f.action.is_undone_by(&faults[j].action));
        if let Some(j) = undo {
            used[j] = true;
        }
        units.push(Unit { fault: f.clone(), undo: undo.map(|j| faults[j].clone()) });
    }
    units
}

fn names_only(f: &FaultAction, keep: &dyn Fn(ProcessId) -> bool) -> Option<FaultAction> {
    match f {
        FaultAction::Crash { node }
        | FaultAction::CrashForGood { node }
        | FaultAction::Restart { node }
        | FaultAction::Pause { node }
        | FaultAction::Resume { node }
        | FaultAction::Clock { node, .. } => keep(*node).then(|| f.clone()),
        FaultAction::Partition { id, partition } => {
            let filter =
                |ps: &[ProcessId]| -> Vec<ProcessId> { ps.iter().copied().filter(|p| keep(*p)).collect() };
            let partition = match partition {
                Partition::Groups { groups } => {
                    let groups: Vec<Vec<ProcessId>> =
                        groups.iter().map(|g| filter(g)).filter(|g| !g.is_empty()).collect();
                    (groups.len() >= 2).then_some(Partition::Groups { groups })?
                }
                Partition::OneWay { from, to } => {
                    let (from, to) = (filter(from), filter(to));
                    (!from.is_empty() && !to.is_empty()).then_some(Partition::OneWay { from, to })?
                }
                Partition::Isolate { node } => keep(*node).then_some(Partition::Isolate { node: *node })?,
                Partition::Bridge { left, right, bridge } => {
                    let (left, right) = (filter(left), filter(right));
                    if !keep(*bridge) || left.is_empty() || right.is_empty() {
                        return None;
                    }
                    Partition::Bridge { left, right, bridge: *bridge }
                }
            };
            Some(FaultAction::Partition { id: *id, partition })
        }
        FaultAction::Degrade { id, nodes, change } => {
            let nodes = match nodes {
                Some(ns) => {
                    let ns: Vec<ProcessId> = ns.iter().copied().filter(|p| keep(*p)).collect();
                    if ns.is_empty() {
                        return None;
                    }
                    Some(ns)
                }
                None => None,
            };
            Some(FaultAction::Degrade { id: *id, nodes, change: *change })
        }
        other => Some(other.clone()),
    }
}

impl Shrinker<'_> {
    /// Runs a candidate (a scenario edited from the current one, written
    /// out and read again); keeps it if it still violates the property.
    fn attempt(&mut self, candidate: Scenario, units: Vec<Unit>) -> bool {
        if self.runs >= self.max_runs {
            return false;
        }
        self.runs += 1;
        let Ok(scenario) = candidate.rewritten(&self.header) else { return false };
        let settle_start = scenario.settle_start();
        let mut faults: Vec<TimedFault> = units
            .iter()
            .flat_map(|u| std::iter::once(u.fault.clone()).chain(u.undo.clone()))
            .filter(|f| f.at < settle_start)
            .collect();
        faults.sort_by_key(|f| f.at);
        faults.push(TimedFault { at: settle_start, action: FaultAction::Settle, source: Source::Settle });
        if scenario.check_schedule(&faults).is_err() {
            return false;
        }
        let Ok(runner) = (self.prepare)(scenario.clone()) else { return false };
        let result = runner.run(self.seed, RunOptions { trace: None, faults: Some(faults) });
        // Still the same failure, and no bigger: no more faults before it
        // and no more operations, and by (faults, operations, events) no
        // larger, so that a shrink never ends with more of any of the first
        // two than it started with. Events may grow only when faults or
        // operations went down (a crash removed lets more happen).
        let (new, old) = (Size::of(&scenario, &result), Size::of(&self.scenario, &self.best));
        let kept =
            no_larger(&new, &old) && result.violation.as_ref().is_some_and(|v| v.property == self.property);
        if kept {
            self.units = units;
            self.best = result;
            self.scenario = scenario;
        }
        (self.on_progress)(self.runs, &Size::of(&self.scenario, &self.best));
        kept
    }

    /// Like `attempt`, and if the candidate no longer fails, tries it again
    /// with the faults moved earlier (to i/16 of their times): a smaller
    /// system changes timing, and a crash that mattered at 7.8s may matter
    /// again at 1s.
    fn attempt_retimed(&mut self, candidate: Scenario, units: Vec<Unit>) -> bool {
        if self.attempt(candidate.clone(), units.clone()) {
            return true;
        }
        !units.is_empty() && (1..RETIME_STEPS).any(|i| self.attempt(candidate.clone(), retimed(&units, i)))
    }

    /// Like `attempt_retimed`, then with the next few seeds.
    fn attempt_nearby(&mut self, candidate: Scenario, units: Vec<Unit>) -> bool {
        if self.attempt_retimed(candidate.clone(), units.clone()) {
            return true;
        }
        let seed = self.seed;
        for other in seed.wrapping_add(1)..=seed.wrapping_add(NEARBY_SEEDS) {
            self.seed = other;
            if self.attempt_retimed(candidate.clone(), units.clone()) {
                return true;
            }
        }
        self.seed = seed;
        false
    }

    /// The same faults, earlier: the run can then end sooner.
    fn earlier(&mut self) -> bool {
        if self.units.is_empty() {
            return false;
        }
        (1..RETIME_STEPS).any(|i| self.attempt(self.scenario.clone(), retimed(&self.units, i)))
    }

    /// Delta debugging over fault units: drop all, then halves, quarters...
    fn drop_faults(&mut self) -> bool {
        let mut progressed = false;
        if !self.units.is_empty() && self.attempt(self.scenario.clone(), Vec::new()) {
            return true;
        }
        let mut chunks = 2;
        while !self.units.is_empty() && self.runs < self.max_runs {
            let len = self.units.len();
            let size = len.div_ceil(chunks);
            let mut removed = false;
            for start in (0..len).step_by(size) {
                let mut units = self.units.clone();
                units.drain(start..(start + size).min(len));
                if self.attempt(self.scenario.clone(), units) {
                    removed = true;
                    progressed = true;
                    chunks = (chunks - 1).max(2);
                    break;
                }
            }
            if !removed {
                if chunks >= len {
                    break;
                }
                chunks = (chunks * 2).min(len);
            }
        }
        progressed
    }

    /// Halves how long each fault lasts, while it still fails.
    fn shorten_faults(&mut self) -> bool {
        let mut progressed = false;
        for i in 0..self.units.len() {
            while let Some(undo) = &self.units[i].undo {
                let gap = undo.at - self.units[i].fault.at;
                if gap <= Span::from_millis(1) {
                    break;
                }
                let mut units = self.units.clone();
                let start = units[i].fault.at;
                if let Some(u) = units[i].undo.as_mut() {
                    u.at = start + Span(gap.nanos() / 2);
                }
                if !self.attempt(self.scenario.clone(), units) {
                    break;
                }
                progressed = true;
            }
        }
        progressed
    }

    /// A shorter run: just long enough for the faults and the settle phase,
    /// or just past the violation, or shorter by quarters.
    fn shorten_run(&mut self) -> bool {
        let duration = self.scenario.duration;
        let settle = self.scenario.settle;
        let last_fault =
            self.units.iter().map(|u| u.undo.as_ref().unwrap_or(&u.fault).at).max().unwrap_or(Time::ZERO);
        let violation_at = Time(self.best.violation.as_ref().map_or(0, |v| v.time_ns));
        // Run lengths: each is the span from the start to an instant.
        let candidates = vec![
            (last_fault + settle + Span::from_millis(1)).since_start(),
            (violation_at + Span::from_millis(1)).since_start(),
            Span(duration.nanos() / 4),
            Span(duration.nanos() / 2),
            Span(duration.nanos() / 4 * 3),
        ];
        let mut candidates: Vec<Span> = candidates.into_iter().map(whole_ms).collect();
        candidates.retain(|d| *d < duration && *d > settle);
        candidates.sort();
        candidates.dedup();
        for d in candidates {
            let mut candidate = self.scenario.clone();
            candidate.duration = d;
            // Keep the settle phase as it was: shortening it could make a
            // correct system look stuck.
            candidate.settle = settle;
            if self.attempt(candidate, self.units.clone()) {
                return true;
            }
        }
        false
    }

    fn fewer_clients(&mut self) -> bool {
        let Some(workload) = self.scenario.workload.clone() else { return false };
        let mut progressed = false;
        let mut targets = vec![1, workload.clients / 2];
        targets.retain(|c| *c >= 1 && *c < workload.clients);
        for clients in targets {
            let mut candidate = self.scenario.clone();
            if let Some(w) = &mut candidate.workload {
                w.clients = clients;
            }
            let units = self.units_keeping(self.scenario.nodes, clients);
            if self.attempt_nearby(candidate, units) {
                progressed = true;
                break;
            }
        }
        // Fewer operations: half the rate, while it still fails.
        for _ in 0..4 {
            let mut candidate = self.scenario.clone();
            let Some(w) = &mut candidate.workload else { break };
            w.interval = w.interval * 2;
            if !self.attempt(candidate, self.units.clone()) {
                break;
            }
            progressed = true;
        }
        progressed
    }

    /// Removes nodes one at a time, from the last role back to the first,
    /// never below a role's minimum. The last node of a role goes, and
    /// the servers after it move down by one, faults included.
    fn fewer_nodes(&mut self) -> bool {
        let mut progressed = false;
        let roles = self.scenario.roles.as_ref().map_or(1, |rs| rs.len());
        for role in (0..roles).rev() {
            loop {
                if self.runs >= self.max_runs {
                    return progressed;
                }
                let counts: Vec<u32> = match &self.scenario.roles {
                    None => vec![self.scenario.nodes],
                    Some(rs) => rs.iter().map(|r| r.count).collect(),
                };
                if counts[role] <= self.min_nodes.get(role).copied().unwrap_or(1) {
                    break;
                }
                let removed: u32 = counts[..=role].iter().sum::<u32>() - 1;
                let mut candidate = self.scenario.clone();
                candidate.nodes -= 1;
                if let Some(r) = candidate.roles.as_mut().and_then(|rs| rs.get_mut(role)) {
                    r.count -= 1;
                }
                let units = self.units_without_server(removed, self.scenario.clients());
                if !self.attempt_nearby(candidate, units) {
                    break;
                }
                progressed = true;
            }
        }
        progressed
    }

    /// The units once server `removed` is gone: faults that named only it
    /// are dropped, and servers after it move down by one.
    fn units_without_server(&self, removed: u32, clients: u32) -> Vec<Unit> {
        let keep = |p: ProcessId| if p.is_server() { p.index() != removed } else { p.index() < clients };
        let shift = |p: ProcessId| {
            if p.is_server() && p.index() > removed {
                ProcessId::server(p.index() - 1)
            } else {
                p
            }
        };
        self.units
            .iter()
            .filter_map(|u| {
                let fault = TimedFault {
                    action: names_only(&u.fault.action, &keep)?.renamed(&shift),
                    ..u.fault.clone()
                };
                let undo = u.undo.clone().and_then(|d| {
                    Some(TimedFault { action: names_only(&d.action, &keep)?.renamed(&shift), ..d })
                });
                Some(Unit { fault, undo })
            })
            .collect()
    }

    /// The units that only name processes that still exist.
    fn units_keeping(&self, nodes: u32, clients: u32) -> Vec<Unit> {
        let keep = |p: ProcessId| if p.is_server() { p.index() < nodes } else { p.index() < clients };
        self.units
            .iter()
            .filter_map(|u| {
                let fault = TimedFault { action: names_only(&u.fault.action, &keep)?, ..u.fault.clone() };
                let undo = u
                    .undo
                    .clone()
                    .and_then(|d| Some(TimedFault { action: names_only(&d.action, &keep)?, ..d }));
                Some(Unit { fault, undo })
            })
            .collect()
    }

    /// The network's settings back to their defaults, one at a time.
    fn simpler_network(&mut self) -> bool {
        use crate::network::{LinkParams, Topology};
        let simpler: [fn(&mut crate::network::NetworkPlan); 7] = [
            |n| n.default.drop_ppm = 0,
            |n| n.default.duplicate_ppm = 0,
            |n| n.default.reorder_ppm = 0,
            |n| n.default.tail = crate::network::Tail::NONE,
            |n| n.links.clear(),
            |n| n.default.latency = LinkParams::default().latency,
            |n| n.topology = Topology::Full,
        ];
        let mut progressed = false;
        for simplify in simpler {
            let mut candidate = self.scenario.clone();
            simplify(&mut candidate.network);
            if candidate.network != self.scenario.network
                && self.attempt_retimed(candidate, self.units.clone())
            {
                progressed = true;
            }
        }
        progressed
    }
}

/// The fewest nodes of each of the scenario's roles, in its order.
fn min_nodes_by_scenario_role(scenario: &Scenario, runner: &dyn Runner) -> Vec<u32> {
    let mins = runner.min_nodes();
    match &scenario.roles {
        None => vec![mins.first().copied().unwrap_or(1)],
        Some(rs) => rs
            .iter()
            .map(|r| {
                let i = runner.description().roles.iter().position(|s| s.name == r.name);
                i.and_then(|i| mins.get(i).copied()).unwrap_or(1)
            })
            .collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_step_never_takes_more_faults_or_operations() {
        let size = |faults, operations, events| Size {
            faults,
            schedule: faults,
            operations,
            events,
            duration: Span::ZERO,
            nodes: 3,
            clients: 1,
        };
        let old = size(2, 174, 9000);
        assert!(no_larger(&size(2, 174, 9000), &old));
        assert!(no_larger(&size(1, 170, 12_000), &old), "fewer faults and operations, more events");
        assert!(!no_larger(&size(1, 184, 5000), &old), "fewer faults but more operations");
        assert!(!no_larger(&size(2, 174, 9001), &old));
        assert!(!no_larger(&size(3, 100, 100), &old));
    }
}
