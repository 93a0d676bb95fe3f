//! Sweep reports: the text summary, and the JSON document that `dsim merge`
//! reads back.

use crate::numbers::{count, seconds, si, things, thousands};
use serde::{Deserialize, Serialize};
use sim::explore::Sweep;
use sim::Time;
use std::fmt::Write;

/// What `explore --json FILE` writes and `merge` reads.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Document {
    /// Always `"sweep"`, first in the file: it marks the file as one dsim
    /// wrote and may replace. Files from before it existed still read.
    #[serde(default = "sweep_marker")]
    pub dsim: String,
    pub dsim_version: String,
    pub jobs: Option<usize>,
    pub wall_time_s: Option<f64>,
    /// The verdict of the whole document, named as `run --json` names a
    /// run's: `ok`, `violation`, `limit` or `nondeterministic` (which wins
    /// over the others, as its exit code 4 does).
    #[serde(default)]
    pub outcome: String,
    pub sweeps: Vec<Sweep>,
}

impl Document {
    pub fn new(sweeps: Vec<Sweep>, jobs: Option<usize>, wall_time_s: Option<f64>) -> Document {
        Document {
            dsim: sweep_marker(),
            dsim_version: env!("CARGO_PKG_VERSION").to_string(),
            jobs,
            wall_time_s,
            outcome: outcome(&sweeps).to_string(),
            sweeps,
        }
    }

    /// Merges documents of shards: sweeps of the same scenario file (and
    /// bug) are combined, in the order they first appear.
    pub fn merge(docs: &[Document]) -> Document {
        let mut groups: Vec<Vec<Sweep>> = Vec::new();
        for sweep in docs.iter().flat_map(|d| &d.sweeps) {
            match groups.iter_mut().find(|g| g[0].path == sweep.path && g[0].bug == sweep.bug) {
                Some(g) => g.push(sweep.clone()),
                None => groups.push(vec![sweep.clone()]),
            }
        }
        let sweeps = groups.iter().map(|g| Sweep::merge(g)).collect();
        let wall = docs.iter().map(|d| d.wall_time_s).sum();
        Document::new(sweeps, None, wall)
    }

    pub fn findings(&self) -> usize {
        self.sweeps.iter().map(|s| s.findings.len()).sum()
    }

    /// Expected sometimes-properties that never fired, over every sweep.
    pub fn missed(&self) -> usize {
        self.sweeps.iter().map(|s| s.missed.len()).sum()
    }
}

/// The outcome of a set of sweeps, worst first.
pub fn outcome(sweeps: &[Sweep]) -> &'static str {
    if sweeps.iter().any(|s| !s.nondeterministic.is_empty()) {
        "nondeterministic"
    } else if sweeps.iter().any(|s| !s.findings.is_empty()) {
        "violation"
    } else if sweeps.iter().any(|s| !s.limited.seeds.is_empty()) {
        "limit"
    } else {
        "ok"
    }
}

fn sweep_marker() -> String {
    "sweep".to_string()
}

/// The text summary of a set of sweeps.
pub fn summary(doc: &Document) -> String {
    let mut s = String::new();
    let seeds: u64 = doc.sweeps.iter().map(|w| w.seeds_run).sum();
    let events: u64 = doc.sweeps.iter().map(|w| w.events).sum();
    let _ = write!(s, "explore: {}, {}", things(doc.sweeps.len() as u64, "scenario"), things(seeds, "seed"));
    if let Some(w) = doc.wall_time_s {
        let _ = write!(
            s,
            " in {} ({} seeds/s, {} events/s",
            seconds(w),
            si(seeds as f64 / w),
            si(events as f64 / w)
        );
        if let Some(j) = doc.jobs {
            let _ = write!(s, ", {}", things(j as u64, "job"));
        }
        s.push(')');
    }
    s.push_str("\n\n");
    for sweep in &doc.sweeps {
        sweep_text(&mut s, sweep);
    }
    let never: Vec<String> = doc
        .sweeps
        .iter()
        .flat_map(|w| w.never_fired().into_iter().map(move |n| format!("{n} ({})", w.path)))
        .collect();
    if !never.is_empty() {
        let _ = writeln!(
            s,
            "warning: sometimes-properties that never fired, so these sweeps proved nothing about them:\n  {}",
            never.join("\n  ")
        );
    }
    let findings = doc.findings();
    let missed = doc.missed();
    let limited: usize = doc.sweeps.iter().map(|w| w.limited.seeds.len()).sum();
    let nondet: usize = doc.sweeps.iter().map(|w| w.nondeterministic.len()).sum();
    let _ = writeln!(
        s,
        "{}",
        match (findings, nondet, limited) {
            (0, 0, _) if missed > 0 => format!("no finding, but {} never fired", expected_count(missed)),
            (0, 0, 0) => "no finding".to_string(),
            (0, 0, l) =>
                format!("no finding, but {} hit a limit without a verdict", things(l as u64, "seed")),
            (f, n, _) => {
                let mut t = things(f as u64, "finding");
                if missed > 0 {
                    t.push_str(&format!(", {} never fired", expected_count(missed)));
                }
                if n > 0 {
                    t.push_str(&format!(", {} not deterministic", things(n as u64, "seed")));
                }
                t
            }
        }
    );
    s
}

/// A trace record as the terminal view shows it.
fn record(r: &Option<serde_json::Value>) -> String {
    match r {
        Some(v) => serde_json::from_value::<sim::trace::TraceLine>(v.clone())
            .map(|t| sim::trace::human(&t))
            .unwrap_or_else(|_| v.to_string()),
        None => "(the run had already ended)".to_string(),
    }
}

fn sweep_text(s: &mut String, w: &Sweep) {
    let bug = w.bug.as_ref().map_or(String::new(), |b| format!(" [bug {b}]"));
    let _ = write!(s, "{}{bug}  seeds {}: {} run", w.path, w.seeds.describe(w.shard), thousands(w.seeds_run));
    if let Some(t) = w.wall_time_s {
        let _ = write!(s, " in {} ({} seeds/s)", seconds(t), si(w.seeds_run as f64 / t));
    }
    let _ = writeln!(s, ", {}", things(w.findings.len() as u64, "finding"));
    if !w.sometimes.is_empty() {
        let parts: Vec<String> = w
            .sometimes
            .iter()
            .map(|c| {
                let mark = if c.fired_in == 0 { " (never)" } else { "" };
                format!("{} {}/{}{mark}", c.name, c.fired_in, w.seeds_run)
            })
            .collect();
        let _ = writeln!(s, "  sometimes: {}", parts.join(", "));
    }
    for name in &w.missed {
        let _ = writeln!(
            s,
            "  EXPECTED {name} (sometimes) never fired on any of {} seed(s): the sweep did not exercise what the scenario expects",
            thousands(w.seeds_run)
        );
    }
    for f in &w.findings {
        let _ = writeln!(
            s,
            "  FINDING {} ({}) on {}, smallest {}, at step {} ({}):\n    {}",
            f.property,
            f.kind,
            things(f.seeds.len() as u64, "seed"),
            f.smallest_seed(),
            thousands(f.step),
            Time(f.time_ns).approx(),
            f.message
        );
        if let Some(r) = &f.repro {
            let _ = writeln!(s, "    repro: {r}\n    replay: {}", sim::repro::replay_command(r));
        }
        if let Some(r) = &f.shrunk {
            let _ = writeln!(s, "    shrunk: {r}\n    replay: {}", sim::repro::replay_command(r));
        }
    }
    if !w.limited.seeds.is_empty() {
        let _ = writeln!(
            s,
            "  {} hit a limit (first: seed {}: {})",
            things(w.limited.seeds.len() as u64, "seed"),
            w.limited.seeds[0],
            w.limited.first_reason.as_deref().unwrap_or("?")
        );
    }
    if let Some(n) = w.nondeterministic.iter().min_by_key(|n| n.seed) {
        // Grouped like a finding: how many, the smallest, and where its
        // two runs first differ.
        let _ = writeln!(
            s,
            "  NOT DETERMINISTIC on {}, smallest {}: trace hashes {} and {}",
            things(w.nondeterministic.len() as u64, "seed"),
            n.seed,
            n.first_hash,
            n.second_hash
        );
        match &n.first_difference {
            Some(d) => {
                let _ = writeln!(
                    s,
                    "    first difference at event #{}:\n      run 1: {}\n      run 2: {}\n    traces: {} and {}",
                    thousands(d.event),
                    record(&d.run1),
                    record(&d.run2),
                    d.traces[0],
                    d.traces[1]
                );
            }
            None => {
                let _ = writeln!(s, "    the runs agree up to step {} at least", thousands(n.agreed_until));
            }
        }
        if w.nondeterministic.len() > 1 {
            let rest: Vec<String> = w.nondeterministic.iter().map(|n| n.seed.to_string()).take(20).collect();
            let more = w.nondeterministic.len().saturating_sub(20);
            let tail = if more > 0 { format!(" and {more} more") } else { String::new() };
            let _ = writeln!(s, "    seeds: {}{tail}", rest.join(", "));
        }
    }
    s.push('\n');
}

/// `1 expected sometimes-property`, `2 expected sometimes-properties`.
fn expected_count(n: usize) -> String {
    count(n as u64, "expected sometimes-property", "expected sometimes-properties")
}
