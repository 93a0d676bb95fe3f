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

mod found;
mod normalize;
mod seeds;

pub use found::{
    Finding, FirstDifference, Limited, MetricSummary, Nondeterminism, Progress, SeedCosts, SometimesCount,
    Sweep,
};
pub use seeds::{Seeds, Shard};

pub use normalize::signature;

use crate::property::{Kind, Status};
use crate::repro::Repro;
use crate::result::{Outcome, RunResult};
use crate::runner::Runner;
use crate::trace::JsonLines;
use crate::RunOptions;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Mutex;

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
    cost: Vec<crate::Metric>,
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
    seed_costs: bool,
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
            seed_costs: false,
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

    /// Keep each seed's costs in the sweep (see [`Sweep::seed_costs`]).
    pub fn seed_costs(mut self, on: bool) -> Self {
        self.seed_costs = on;
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
            cost: r.cost,
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
            metrics: MetricSummary::over(outcomes.iter().flat_map(|o| &o.metrics)),
            cost: MetricSummary::over(outcomes.iter().flat_map(|o| &o.cost)),
            seed_costs: match self.seed_costs {
                true => outcomes.iter().map(|o| SeedCosts::of(o.seed, &o.cost)).collect(),
                false => Vec::new(),
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
