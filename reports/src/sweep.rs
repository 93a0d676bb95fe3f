//! Sweep reports: the text summary, and the JSON document that `dsim merge`
//! reads back.

use crate::numbers::{seconds, si, thousands};
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
    pub sweeps: Vec<Sweep>,
}

impl Document {
    pub fn new(sweeps: Vec<Sweep>, jobs: Option<usize>, wall_time_s: Option<f64>) -> Document {
        Document {
            dsim: sweep_marker(),
            dsim_version: env!("CARGO_PKG_VERSION").to_string(),
            jobs,
            wall_time_s,
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

fn sweep_marker() -> String {
    "sweep".to_string()
}

/// The text summary of a set of sweeps.
pub fn summary(doc: &Document) -> String {
    let mut s = String::new();
    let seeds: u64 = doc.sweeps.iter().map(|w| w.seeds_run).sum();
    let events: u64 = doc.sweeps.iter().map(|w| w.events).sum();
    let _ = write!(s, "explore: {} scenario(s), {} seeds", doc.sweeps.len(), thousands(seeds));
    if let Some(w) = doc.wall_time_s {
        let _ = write!(
            s,
            " in {} ({} seeds/s, {} events/s",
            seconds(w),
            si(seeds as f64 / w),
            si(events as f64 / w)
        );
        if let Some(j) = doc.jobs {
            let _ = write!(s, ", {j} jobs");
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
            (0, 0, _) if missed > 0 =>
                format!("no finding, but {missed} expected sometimes-property(ies) never fired"),
            (0, 0, 0) => "no finding".to_string(),
            (0, 0, l) => format!("no finding, but {l} seed(s) hit a limit without a verdict"),
            (f, n, _) => {
                let mut t = format!("{f} finding(s)");
                if missed > 0 {
                    t.push_str(&format!(", {missed} expected sometimes-property(ies) never fired"));
                }
                if n > 0 {
                    t.push_str(&format!(", {n} non-deterministic seed(s)"));
                }
                t
            }
        }
    );
    s
}

fn sweep_text(s: &mut String, w: &Sweep) {
    let bug = w.bug.as_ref().map_or(String::new(), |b| format!(" [bug {b}]"));
    let _ = write!(s, "{}{bug}  seeds {}: {} run", w.path, w.seeds.describe(w.shard), thousands(w.seeds_run));
    if let Some(t) = w.wall_time_s {
        let _ = write!(s, " in {} ({} seeds/s)", seconds(t), si(w.seeds_run as f64 / t));
    }
    let _ = writeln!(s, ", {} finding(s)", w.findings.len());
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
            "  FINDING {} ({}) on {} seed(s), smallest {}, at step {} ({}):\n    {}",
            f.property,
            f.kind,
            thousands(f.seeds.len() as u64),
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
            "  {} seed(s) hit a limit (first: seed {}: {})",
            w.limited.seeds.len(),
            w.limited.seeds[0],
            w.limited.first_reason.as_deref().unwrap_or("?")
        );
    }
    for n in &w.nondeterministic {
        let _ = writeln!(
            s,
            "  NOT DETERMINISTIC: seed {} gave trace hashes {} and {} (the runs agree up to step {} at least)",
            n.seed, n.first_hash, n.second_hash, n.agreed_until
        );
    }
    s.push('\n');
}
