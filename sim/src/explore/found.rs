//! What a sweep found: findings grouped by property and message,
//! seeds that were not deterministic, limits, sometimes-property counts
//! and metric summaries, merged across shards.

use super::seeds::{Seeds, Shard};
use crate::property::Kind;
use serde::{Deserialize, Serialize};

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
    /// The sum of the squares, for the variance.
    #[serde(default)]
    pub sum_sq: f64,
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

    pub(super) fn add(summaries: &mut Vec<MetricSummary>, other: &MetricSummary) {
        match summaries.iter_mut().find(|m| m.name == other.name) {
            Some(m) => {
                m.seeds += other.seeds;
                m.sum += other.sum;
                m.sum_sq += other.sum_sq;
                m.min = m.min.min(other.min);
                m.max = m.max.max(other.max);
            }
            None => summaries.push(other.clone()),
        }
    }

    /// The summaries of per-seed figures, one per name, in order of first
    /// appearance.
    pub(super) fn over<'m>(metrics: impl Iterator<Item = &'m crate::Metric>) -> Vec<MetricSummary> {
        let mut summaries = Vec::new();
        for m in metrics {
            MetricSummary::add(&mut summaries, &MetricSummary::of(m));
        }
        summaries
    }

    pub(super) fn of(metric: &crate::Metric) -> MetricSummary {
        MetricSummary {
            name: metric.name.clone(),
            unit: metric.unit.clone(),
            seeds: 1,
            sum: metric.value,
            sum_sq: metric.value * metric.value,
            min: metric.value,
            max: metric.value,
        }
    }
}

/// What one seed's run spent: `values` in the order of `names`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SeedCosts {
    pub seed: u64,
    pub names: Vec<String>,
    pub values: Vec<f64>,
}

impl SeedCosts {
    pub fn of(seed: u64, costs: &[crate::Metric]) -> SeedCosts {
        SeedCosts {
            seed,
            names: costs.iter().map(|c| c.name.clone()).collect(),
            values: costs.iter().map(|c| c.value).collect(),
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
    /// What the runs spent (see [`crate::cost`]), over the seeds.
    #[serde(default)]
    pub cost: Vec<MetricSummary>,
    /// Each seed's costs, in seed order, when the sweep was asked for
    /// them (`explore --seed-costs`): two builds swept over the same
    /// seeds meet the same faults, so they compare seed by seed.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub seed_costs: Vec<SeedCosts>,
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
    pub(super) fn missed_expectations(&self) -> Vec<String> {
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
            cost: Vec::new(),
            seed_costs: parts.iter().flat_map(|p| p.seed_costs.clone()).collect(),
            ..first.clone()
        };
        merged.seed_costs.sort_by_key(|c| c.seed);
        for m in parts.iter().flat_map(|p| &p.metrics) {
            MetricSummary::add(&mut merged.metrics, m);
        }
        for m in parts.iter().flat_map(|p| &p.cost) {
            MetricSummary::add(&mut merged.cost, m);
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
