//! Sweeps: one scenario, many seeds, in parallel.
//!
//! Each seed is one single-threaded simulation; `jobs` workers take seeds
//! from a shared counter. Runs record no trace, and each worker keeps only
//! a compact outcome per seed; the set of outcomes, sorted by seed, does not
//! depend on how many workers ran them. Failures are grouped into findings
//! by property and normalised message; the smallest seed of each finding is
//! run again to write its repro (the determinism makes that free, and the
//! rerun must match the sweep's trace hash, which checks it).
//!
//! ```no_run
//! use sim::explore::Explorer;
//!
//! /// In a `cargo test`: 500 seeds of a scenario, no finding allowed.
//! fn sweep(runner: Box<dyn sim::Runner>) {
//!     Explorer::new(runner).seeds(0..500).run().assert_no_findings();
//! }
//! ```

mod normalize;
mod seeds;

pub use seeds::{Seeds, Shard};

pub use normalize::signature;

use crate::property::{Kind, Status};
use crate::repro::Repro;
use crate::result::{Outcome, RunResult};
use crate::runner::Runner;
use crate::trace::JsonLines;
use crate::RunOptions;
use serde::{Deserialize, Serialize};
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Mutex;

/// A sweep's progress, as workers report it.
#[derive(Clone, Copy, Debug, Default)]
pub struct Progress {
    pub done: u64,
    pub total: Option<u64>,
    pub failing: u64,
    pub events: u64,
}

/// One kind of failure, seen on one or more seeds.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Finding {
    pub property: String,
    pub kind: Kind,
    /// The message with numbers blanked: what groups seeds together.
    pub signature: String,
    /// Every failing seed, ascending.
    pub seeds: Vec<u64>,
    /// The smallest seed's message, step and time.
    pub message: String,
    pub step: u64,
    pub time_ns: u64,
    /// The smallest seed's repro, if one was written.
    pub repro: Option<String>,
    /// The shrunk repro, if the sweep shrank it.
    #[serde(default)]
    pub shrunk: Option<String>,
}

impl Finding {
    pub fn smallest_seed(&self) -> u64 {
        self.seeds[0]
    }
}

/// A seed that did not behave the same on two runs.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Nondeterminism {
    pub seed: u64,
    pub first_hash: String,
    pub second_hash: String,
    /// The runs agreed on every event up to this step at least.
    pub agreed_until: u64,
    /// The first trace record where two traced reruns differ, when the
    /// command line looked (absent from files of older versions).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub first_difference: Option<Box<FirstDifference>>,
}

/// Where two traced runs of one seed first differ, and their traces.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct FirstDifference {
    /// The 1-based position of the first differing trace record.
    pub event: u64,
    /// That record in each run, as JSON (`null` where a run had ended).
    pub run1: Option<serde_json::Value>,
    pub run2: Option<serde_json::Value>,
    /// Where both traces are kept.
    pub traces: [String; 2],
}

impl FirstDifference {
    pub fn of(d: &crate::determinism::Divergence) -> FirstDifference {
        let record = |line: &Option<String>| {
            line.as_ref()
                .map(|l| serde_json::from_str(l).unwrap_or_else(|_| serde_json::Value::String(l.clone())))
        };
        FirstDifference {
            event: d.event,
            run1: record(&d.first),
            run2: record(&d.second),
            traces: d.traces.clone().map(|p| p.display().to_string()),
        }
    }
}

/// How often a sometimes-property fired.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SometimesCount {
    pub name: String,
    pub fired_in: u64,
}

/// Seeds that hit a limit (no verdict).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Limited {
    pub seeds: Vec<u64>,
    pub first_reason: Option<String>,
}

/// One metric over the seeds of a sweep: how many reported it, and its
/// sum, least and greatest value (so that shards merge exactly).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct MetricSummary {
    pub name: String,
    pub unit: String,
    pub seeds: u64,
    pub sum: f64,
    pub min: f64,
    pub max: f64,
}

impl MetricSummary {
    pub fn mean(&self) -> f64 {
        if self.seeds == 0 {
            0.0
        } else {
            self.sum / self.seeds as f64
        }
    }

    fn add(summaries: &mut Vec<MetricSummary>, other: &MetricSummary) {
        match summaries.iter_mut().find(|m| m.name == other.name) {
            Some(m) => {
                m.seeds += other.seeds;
                m.sum += other.sum;
                m.min = m.min.min(other.min);
                m.max = m.max.max(other.max);
            }
            None => summaries.push(other.clone()),
        }
    }

    fn of(metric: &crate::Metric) -> MetricSummary {
        MetricSummary {
            name: metric.name.clone(),
            unit: metric.unit.clone(),
            seeds: 1,
            sum: metric.value,
            min: metric.value,
            max: metric.value,
        }
    }
}

/// The result of sweeping one scenario.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Sweep {
    pub scenario: String,
    pub path: String,
    pub protocol: String,
    pub bug: Option<String>,
    pub seeds: Seeds,
    pub shard: Option<Shard>,
    pub seeds_run: u64,
    pub events: u64,
    pub findings: Vec<Finding>,
    pub limited: Limited,
    pub sometimes: Vec<SometimesCount>,
    /// The scenario's `[check] expect`, if it has one.
    #[serde(default)]
    pub expected: Option<Vec<String>>,
    /// Expected sometimes-properties that fired on no seed: the sweep
    /// failed to exercise what the scenario is for, which fails it like a
    /// finding.
    #[serde(default)]
    pub missed: Vec<String>,
    pub nondeterministic: Vec<Nondeterminism>,
    /// Each metric the protocol reports, over the seeds that reported it.
    #[serde(default)]
    pub metrics: Vec<MetricSummary>,
    /// Set by whoever timed the sweep.
    #[serde(default)]
    pub wall_time_s: Option<f64>,
}

impl Sweep {
    pub fn failing_seeds(&self) -> Vec<u64> {
        let mut seeds: Vec<u64> = self.findings.iter().flat_map(|f| f.seeds.iter().copied()).collect();
        seeds.sort_unstable();
        seeds
    }

    /// Sometimes-properties that never fired on any seed: the sweep proved
    /// nothing about what they stand for.
    /// With `[check] expect` only the expected ones count (see `missed`).
    pub fn never_fired(&self) -> Vec<&str> {
        if self.expected.is_some() {
            return Vec::new();
        }
        self.sometimes.iter().filter(|s| s.fired_in == 0).map(|s| s.name.as_str()).collect()
    }

    /// The expected sometimes-properties that fired on no seed.
    fn missed_expectations(&self) -> Vec<String> {
        let expected = self.expected.as_deref().unwrap_or_default();
        let fired = |name: &str| self.sometimes.iter().any(|s| s.name == name && s.fired_in > 0);
        expected.iter().filter(|e| !fired(e)).cloned().collect()
    }

    /// Panics, for `cargo test`, if any seed failed or was not deterministic,
    /// with the seed, the property, the repro and the command that replays it.
    #[track_caller]
    pub fn assert_no_findings(&self) {
        if let Some(f) = self.findings.first() {
            let repro = f.repro.as_deref().unwrap_or("(not written: no output folder)");
            panic!(
                "{} finding(s) in {} over seeds {}\n  {} ({}) violated on seed {} ({} failing seed(s) in all): {}\n  repro: {repro}\n  replay: {}",
                self.findings.len(),
                self.path,
                self.seeds.describe(self.shard),
                f.property,
                f.kind,
                f.smallest_seed(),
                f.seeds.len(),
                f.message,
                crate::repro::replay_command(repro)
            );
        }
        if let Some(n) = self.nondeterministic.first() {
            panic!(
                "{}: seed {} is not deterministic: trace hashes {} and {} (the runs agree up to step {} at least)",
                self.path, n.seed, n.first_hash, n.second_hash, n.agreed_until
            );
        }
    }

    /// Panics if a sometimes-property of `[check] expect` fired on no seed
    /// (a sweep too short for a rare one: the `explore` command fails then).
    #[track_caller]
    pub fn assert_expected_fired(&self) {
        if !self.missed.is_empty() {
            panic!(
                "{}: expected sometimes-properties never fired over seeds {}: {}",
                self.path,
                self.seeds.describe(self.shard),
                self.missed.join(", ")
            );
        }
    }

    /// Panics unless some seed violated `property`; returns that finding.
    #[track_caller]
    pub fn assert_finding(&self, property: &str) -> &Finding {
        self.findings.iter().find(|f| f.property == property).unwrap_or_else(|| {
            panic!(
                "{}: no seed of {} violated {property}; findings: {:?}",
                self.path,
                self.seeds.describe(self.shard),
                self.findings.iter().map(|f| &f.property).collect::<Vec<_>>()
            )
        })
    }

    /// Combines sweeps of the same scenario over disjoint seeds (shards).
    pub fn merge(parts: &[Sweep]) -> Sweep {
        let first = &parts[0];
        let mut merged = Sweep {
            seeds_run: parts.iter().map(|p| p.seeds_run).sum(),
            events: parts.iter().map(|p| p.events).sum(),
            shard: None,
            wall_time_s: parts.iter().map(|p| p.wall_time_s).sum(),
            findings: Vec::new(),
            limited: Limited::default(),
            sometimes: Vec::new(),
            nondeterministic: parts.iter().flat_map(|p| p.nondeterministic.clone()).collect(),
            metrics: Vec::new(),
            ..first.clone()
        };
        for m in parts.iter().flat_map(|p| &p.metrics) {
            MetricSummary::add(&mut merged.metrics, m);
        }
        let mut findings: Vec<Finding> = Vec::new();
        for f in parts.iter().flat_map(|p| &p.findings) {
            match findings.iter_mut().find(|g| g.property == f.property && g.signature == f.signature) {
                Some(g) => {
                    if f.smallest_seed() < g.smallest_seed() {
                        let seeds = std::mem::take(&mut g.seeds);
                        *g = f.clone();
                        g.seeds.extend(seeds);
                    } else {
                        g.seeds.extend(&f.seeds);
                    }
                    g.seeds.sort_unstable();
                }
                None => findings.push(f.clone()),
            }
        }
        findings.sort_by_key(|f| f.smallest_seed());
        merged.findings = findings;
        for p in parts {
            merged.limited.seeds.extend(&p.limited.seeds);
            if merged.limited.first_reason.is_none() {
                merged.limited.first_reason = p.limited.first_reason.clone();
            }
            for s in &p.sometimes {
                match merged.sometimes.iter_mut().find(|m| m.name == s.name) {
                    Some(m) => m.fired_in += s.fired_in,
                    None => merged.sometimes.push(s.clone()),
                }
            }
        }
        merged.limited.seeds.sort_unstable();
        merged.nondeterministic.sort_by_key(|n| n.seed);
        merged.missed = merged.missed_expectations();
        // The seed range is the union of the parts' ranges.
        if let (Seeds::Range { .. }, true) =
            (first.seeds, parts.iter().all(|p| matches!(p.seeds, Seeds::Range { .. })))
        {
            let start = parts
                .iter()
                .filter_map(|p| if let Seeds::Range { start, .. } = p.seeds { Some(start) } else { None })
                .min();
            let end = parts
                .iter()
                .filter_map(|p| if let Seeds::Range { end, .. } = p.seeds { Some(end) } else { None })
                .max();
            if let (Some(start), Some(end)) = (start, end) {
                merged.seeds = Seeds::Range { start, end };
            }
        }
        merged
    }
}

/// What a worker keeps of one run.
struct SeedOutcome {
    seed: u64,
    outcome: Outcome,
    events: u64,
    violation: Option<crate::result::Violation>,
    limit: Option<String>,
    fired: Vec<bool>,
    trace_hash: String,
    nondeterminism: Option<Nondeterminism>,
    metrics: Vec<crate::Metric>,
}

type ProgressFn<'a> = Box<dyn Fn(Progress) + Send + Sync + 'a>;
type StopFn<'a> = Box<dyn Fn() -> bool + Send + Sync + 'a>;

/// A sweep to run: build it, then call [`Explorer::run`].
pub struct Explorer<'a> {
    runner: Box<dyn Runner>,
    seeds: Seeds,
    shard: Option<Shard>,
    jobs: usize,
    fail_fast: bool,
    out: Option<PathBuf>,
    traces: bool,
    check_determinism: bool,
    progress: Option<ProgressFn<'a>>,
    stop: Option<StopFn<'a>>,
}

impl<'a> Explorer<'a> {
    /// Seeds 0..100 on every core; no files written until `out_dir` names
    /// a folder for repros.
    pub fn new(runner: Box<dyn Runner>) -> Explorer<'a> {
        Explorer {
            runner,
            seeds: Seeds::Range { start: 0, end: 100 },
            shard: None,
            jobs: std::thread::available_parallelism().map_or(1, |n| n.get()),
            fail_fast: false,
            out: None,
            traces: false,
            check_determinism: false,
            progress: None,
            stop: None,
        }
    }

    pub fn with_seeds(mut self, seeds: Seeds) -> Self {
        self.seeds = seeds;
        self
    }

    pub fn seeds(mut self, seeds: std::ops::Range<u64>) -> Self {
        self.seeds = Seeds::Range { start: seeds.start, end: seeds.end };
        self
    }

    /// Seeds from `start` on, until `stop_when` says so.
    pub fn seeds_from(mut self, start: u64) -> Self {
        self.seeds = Seeds::From { start };
        self
    }

    pub fn shard(mut self, shard: Option<Shard>) -> Self {
        self.shard = shard;
        self
    }

    pub fn jobs(mut self, jobs: usize) -> Self {
        self.jobs = jobs.max(1);
        self
    }

    /// Stop taking new seeds after the first failure.
    pub fn fail_fast(mut self, on: bool) -> Self {
        self.fail_fast = on;
        self
    }

    /// Where repros go (`None`: write none).
    pub fn out_dir(mut self, dir: Option<PathBuf>) -> Self {
        self.out = dir;
        self
    }

    /// Also write each finding's trace next to its repro.
    pub fn traces(mut self, on: bool) -> Self {
        self.traces = on;
        self
    }

    /// Run every seed twice and compare trace hashes.
    pub fn check_determinism(mut self, on: bool) -> Self {
        self.check_determinism = on;
        self
    }

    pub fn on_progress(mut self, f: impl Fn(Progress) + Send + Sync + 'a) -> Self {
        self.progress = Some(Box::new(f));
        self
    }

    /// Asked before each seed; `true` ends the sweep (for time limits).
    pub fn stop_when(mut self, f: impl Fn() -> bool + Send + Sync + 'a) -> Self {
        self.stop = Some(Box::new(f));
        self
    }

    pub fn scenario(&self) -> &crate::Scenario {
        self.runner.scenario()
    }

    pub fn run(self) -> Sweep {
        let outcomes = self.run_seeds();
        self.summarise(outcomes)
    }

    fn run_seeds(&self) -> Vec<SeedOutcome> {
        let specs = self.runner.description().properties;
        let total = self.seeds.count(self.shard);
        let next = AtomicU64::new(0);
        let halt = AtomicBool::new(false);
        let (done, failing, events) = (AtomicU64::new(0), AtomicU64::new(0), AtomicU64::new(0));
        let results = Mutex::new(Vec::new());
        std::thread::scope(|scope| {
            for _ in 0..self.jobs {
                scope.spawn(|| loop {
                    if halt.load(Ordering::Relaxed) || self.stop.as_ref().is_some_and(|s| s()) {
                        return;
                    }
                    let Some(seed) = self.seeds.nth(self.shard, next.fetch_add(1, Ordering::Relaxed)) else {
                        return;
                    };
                    let outcome = self.run_one(seed, specs);
                    if outcome.outcome == Outcome::Violation || outcome.nondeterminism.is_some() {
                        failing.fetch_add(1, Ordering::Relaxed);
                        if self.fail_fast {
                            halt.store(true, Ordering::Relaxed);
                        }
                    }
                    events.fetch_add(outcome.events, Ordering::Relaxed);
                    let finished = done.fetch_add(1, Ordering::Relaxed) + 1;
                    results.lock().unwrap_or_else(|p| p.into_inner()).push(outcome);
                    if let Some(progress) = &self.progress {
                        progress(Progress {
                            done: finished,
                            total,
                            failing: failing.load(Ordering::Relaxed),
                            events: events.load(Ordering::Relaxed),
                        });
                    }
                });
            }
        });
        let mut outcomes = results.into_inner().unwrap_or_else(|p| p.into_inner());
        outcomes.sort_by_key(|o| o.seed);
        outcomes
    }

    fn run_one(&self, seed: u64, specs: &[crate::PropertySpec]) -> SeedOutcome {
        let r = self.runner.run(seed, RunOptions::default());
        let nondeterminism = if self.check_determinism {
            let again = self.runner.run(seed, RunOptions::default());
            compare_runs(&r, &again)
        } else {
            None
        };
        let fired = specs
            .iter()
            .map(|s| r.properties.iter().any(|p| p.name == s.name && p.status == Status::Fired))
            .collect();
        SeedOutcome {
            seed,
            outcome: r.outcome,
            events: r.events,
            violation: r.violation,
            limit: r.limit,
            fired,
            trace_hash: r.trace_hash,
            nondeterminism,
            metrics: r.metrics,
        }
    }

    fn summarise(&self, outcomes: Vec<SeedOutcome>) -> Sweep {
        let scenario = self.runner.scenario();
        let specs = self.runner.description().properties;
        let enabled = self.runner.enabled_properties();
        let mut findings: Vec<Finding> = Vec::new();
        let mut limited = Limited::default();
        let mut nondeterministic = Vec::new();
        for o in &outcomes {
            if let Some(n) = &o.nondeterminism {
                nondeterministic.push(n.clone());
            }
            match (&o.violation, o.outcome) {
                (Some(v), _) => {
                    let sig = v.group.clone().unwrap_or_else(|| signature(&v.message));
                    match findings.iter_mut().find(|f| f.property == v.property && f.signature == sig) {
                        Some(f) => f.seeds.push(o.seed),
                        None => findings.push(Finding {
                            property: v.property.clone(),
                            kind: v.kind,
                            signature: sig,
                            seeds: vec![o.seed],
                            message: v.message.clone(),
                            step: v.step,
                            time_ns: v.time_ns,
                            repro: None,
                            shrunk: None,
                        }),
                    }
                }
                (None, Outcome::Limit) => {
                    limited.seeds.push(o.seed);
                    if limited.first_reason.is_none() {
                        limited.first_reason = o.limit.clone();
                    }
                }
                _ => {}
            }
        }
        for f in &mut findings {
            let expected =
                &outcomes.iter().find(|o| o.seed == f.smallest_seed()).expect("the seed ran").trace_hash;
            match self.write_repro(f.smallest_seed(), expected) {
                Ok(path) => f.repro = path,
                Err(n) => nondeterministic.push(n),
            }
        }
        let sometimes = specs
            .iter()
            .enumerate()
            .filter(|(i, s)| s.kind == Kind::Sometimes && enabled[*i])
            .map(|(i, s)| SometimesCount {
                name: s.name.to_string(),
                fired_in: outcomes.iter().filter(|o| o.fired[i]).count() as u64,
            })
            .collect();
        let mut sweep = Sweep {
            scenario: scenario.name.clone(),
            path: scenario.path.clone(),
            protocol: scenario.protocol.clone(),
            bug: scenario.bug.clone(),
            seeds: self.seeds,
            shard: self.shard,
            seeds_run: outcomes.len() as u64,
            events: outcomes.iter().map(|o| o.events).sum(),
            findings,
            limited,
            sometimes,
            expected: scenario.expect.clone(),
            missed: Vec::new(),
            nondeterministic,
            metrics: {
                let mut metrics = Vec::new();
                for m in outcomes.iter().flat_map(|o| &o.metrics) {
                    MetricSummary::add(&mut metrics, &MetricSummary::of(m));
                }
                metrics
            },
            wall_time_s: None,
        };
        sweep.missed = sweep.missed_expectations();
        sweep
    }

    /// Reruns a failing seed and writes its repro (and trace, if asked).
    /// The rerun must match the sweep's run of the same seed.
    fn write_repro(&self, seed: u64, expected_hash: &str) -> Result<Option<String>, Nondeterminism> {
        let Some(dir) = &self.out else { return Ok(None) };
        let scenario = self.runner.scenario();
        let stem = crate::repro::file_stem(&scenario.path);
        let mut sink = if self.traces {
            let path = dir.join(format!("{stem}-seed{seed}.trace.jsonl"));
            crate::files::AtomicFile::create(&path, crate::files::TRACE).ok().and_then(|mut f| {
                std::io::Write::write_all(&mut f, crate::files::TRACE_HEADER.as_bytes()).ok()?;
                Some(JsonLines::new(f))
            })
        } else {
            None
        };
        let options =
            RunOptions { trace: sink.as_mut().map(|s| s as &mut dyn crate::trace::TraceSink), faults: None };
        let rerun = self.runner.run(seed, options);
        if let Some(s) = sink {
            let _ = s.finish().map(crate::files::AtomicFile::commit);
        }
        if rerun.trace_hash != expected_hash {
            return Err(Nondeterminism {
                seed,
                first_hash: expected_hash.to_string(),
                second_hash: rerun.trace_hash,
                agreed_until: 0,
                first_difference: None,
            });
        }
        let repro = Repro::new(&scenario.path, &scenario.source, &rerun);
        Ok(repro.write_new(dir).ok().map(|p| p.display().to_string()))
    }
}

/// How two runs of one seed differ, if they do.
pub fn compare_runs(a: &RunResult, b: &RunResult) -> Option<Nondeterminism> {
    if a.trace_hash == b.trace_hash && a.events == b.events {
        return None;
    }
    let agreed = a.checkpoints.iter().zip(&b.checkpoints).take_while(|(x, y)| x == y).count() as u64
        * crate::repro::CHECKPOINT_EVERY;
    Some(Nondeterminism {
        seed: a.seed,
        first_hash: a.trace_hash.clone(),
        second_hash: b.trace_hash.clone(),
        agreed_until: agreed,
        first_difference: None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shards_are_disjoint_and_cover_the_range() {
        let seeds = Seeds::Range { start: 10, end: 31 };
        let mut all = Vec::new();
        for index in 1..=4 {
            let shard = Some(Shard { index, count: 4 });
            let mine: Vec<u64> = (0..).map_while(|i| seeds.nth(shard, i)).collect();
            assert_eq!(mine.len() as u64, seeds.count(shard).unwrap());
            all.extend(mine);
        }
        all.sort_unstable();
        assert_eq!(all, (10..31).collect::<Vec<_>>());
    }

    #[test]
    fn shard_parsing() {
        assert_eq!(Shard::parse("2/4"), Ok(Shard { index: 2, count: 4 }));
        for bad in ["0/4", "5/4", "x/4", "2", "2/0"] {
            assert!(Shard::parse(bad).is_err(), "{bad}");
        }
    }
}
