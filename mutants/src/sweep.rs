//! One round of seeds for one mutant: `dsim explore` over every scenario of
//! the protocol, `--fail-fast --jobs 1`, with `DSIM_MUTANT` naming the
//! mutant, under a wall-time limit (a mutant can make runs spin until an
//! engine limit, or slow to a crawl).

use crate::cost::{Costs, Rise, SeedCosts};
use serde::Deserialize;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Duration;

/// How one round ended.
#[derive(Clone, Debug, PartialEq)]
pub enum Verdict {
    /// A property failed (a panic is a finding too).
    Caught { scenario: String, property: String, seed: u64, message: String },
    /// A run hit an engine limit (events, queue, history).
    Limit { scenario: String, seed: u64, message: String },
    /// Every seed passed, but a sometimes-property that the unmutated
    /// program fires often never fired (decided by the caller, which knows
    /// the baseline).
    Vacuous { scenario: String, property: String, baseline: u64 },
    /// Every property held, but a cost rose against the unmutated
    /// program's on the same seeds, and again on a second set (see
    /// [`crate::cost`]).
    Slower { first: Rise, second: Rise, seeds: u64 },
    /// The round took longer than its limit.
    Timeout { seconds: f64 },
    /// Every seed of every scenario passed; how many seeds fired each
    /// sometimes-property, by (scenario, property), and what the runs
    /// spent, by scenario.
    Survived { fired: Vec<(String, String, u64)>, costs: Costs },
    /// dsim failed for another reason (bad input, a crash of dsim itself).
    Error { message: String },
}

/// The parts of `dsim explore --json` read here.
#[derive(Deserialize)]
struct Document {
    sweeps: Vec<SweepDoc>,
}

#[derive(Deserialize)]
struct SweepDoc {
    path: String,
    findings: Vec<Finding>,
    limited: Limited,
    #[serde(default)]
    sometimes: Vec<Sometimes>,
    /// Expected sometimes-properties that never fired.
    #[serde(default)]
    missed: Vec<serde_json::Value>,
    #[serde(default)]
    seed_costs: Vec<SeedCosts>,
}

impl Document {
    /// No finding, no limit, only expected sometimes-properties missed.
    fn only_missed(&self) -> bool {
        self.sweeps.iter().all(|s| s.findings.is_empty() && s.limited.seeds.is_empty())
            && self.sweeps.iter().any(|s| !s.missed.is_empty())
    }
}

#[derive(Deserialize)]
struct Sometimes {
    name: String,
    fired_in: u64,
}

#[derive(Deserialize)]
struct Finding {
    property: String,
    seeds: Vec<u64>,
    message: String,
}

#[derive(Deserialize)]
struct Limited {
    seeds: Vec<u64>,
    first_reason: Option<String>,
}

pub struct Round<'a> {
    pub dsim: &'a Path,
    pub repo: &'a Path,
    pub scenarios: &'a [PathBuf],
    pub seeds: (u64, u64),
    /// 0: the unmutated program.
    pub mutant: usize,
    pub timeout: Duration,
    /// Scratch space for the JSON and repros of this round.
    pub scratch: &'a Path,
}

/// Runs one round and reads its verdict.
pub fn run(round: &Round) -> Verdict {
    let json = round.scratch.join("sweep.json");
    let out = round.scratch.join("out");
    let _ = std::fs::remove_file(&json);
    let _ = std::fs::remove_dir_all(&out);
    if let Err(e) = std::fs::create_dir_all(round.scratch) {
        return Verdict::Error { message: format!("{}: {e}", round.scratch.display()) };
    }
    let stderr = round.scratch.join("stderr.txt");
    let Ok(stderr_file) = std::fs::File::create(&stderr) else {
        return Verdict::Error { message: format!("cannot write {}", stderr.display()) };
    };
    let mut cmd = Command::new(round.dsim);
    cmd.current_dir(round.repo)
        .arg("explore")
        .args(round.scenarios.iter().map(|s| crate::relative(round.repo, s)))
        .arg("--seeds")
        .arg(format!("{}..{}", round.seeds.0, round.seeds.1))
        .args(["--fail-fast", "--jobs", "1", "--seed-costs", "--json"])
        .arg(&json)
        .arg("--out")
        .arg(&out)
        .env("DSIM_MUTANT", round.mutant.to_string())
        .env("NO_COLOR", "1")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(stderr_file);
    let mut child = match cmd.spawn() {
        Ok(c) => c,
        Err(e) => return Verdict::Error { message: format!("running {}: {e}", round.dsim.display()) },
    };
    let watch = Stopwatch::start();
    let status = loop {
        match child.try_wait() {
            Ok(Some(status)) => break status,
            Ok(None) if watch.seconds() > round.timeout.as_secs_f64() => {
                let _ = child.kill();
                let _ = child.wait();
                return Verdict::Timeout { seconds: watch.seconds() };
            }
            Ok(None) => std::thread::sleep(Duration::from_millis(50)),
            Err(e) => return Verdict::Error { message: format!("waiting for dsim: {e}") },
        }
    };
    let read = || -> Option<Document> { serde_json::from_str(&std::fs::read_to_string(&json).ok()?).ok() };
    let survived = |doc: &Document| Verdict::Survived {
        fired: doc
            .sweeps
            .iter()
            .flat_map(|s| s.sometimes.iter().map(|p| (s.path.clone(), p.name.clone(), p.fired_in)))
            .collect(),
        costs: doc.sweeps.iter().map(|s| (s.path.clone(), s.seed_costs.clone())).collect(),
    };
    match (status.code(), read()) {
        (Some(0), Some(doc)) => survived(&doc),
        // An expected sometimes-property that never fired (exit 1 with no
        // finding) is judged by the vacuity check against the unmutated
        // program's rates, not taken as a catch: a short round of seeds
        // misses rare ones even without a mutant.
        (Some(1), Some(doc)) if doc.only_missed() => survived(&doc),
        (Some(1 | 3), Some(doc)) => verdict_of(&doc).unwrap_or(Verdict::Error {
            message: format!("dsim exited with {status} but its JSON holds no finding"),
        }),
        _ => {
            let text = std::fs::read_to_string(&stderr).unwrap_or_default();
            let last = text.lines().rev().find(|l| !l.trim().is_empty()).unwrap_or("").trim();
            Verdict::Error { message: format!("dsim exited with {status}: {last}") }
        }
    }
}

/// The first finding, else the first limit, in scenario order.
fn verdict_of(doc: &Document) -> Option<Verdict> {
    let finding = doc.sweeps.iter().find_map(|s| {
        let f = s.findings.iter().min_by_key(|f| f.seeds.iter().min().copied().unwrap_or(u64::MAX))?;
        Some(Verdict::Caught {
            scenario: s.path.clone(),
            property: f.property.clone(),
            seed: f.seeds.iter().min().copied()?,
            message: f.message.clone(),
        })
    });
    finding.or_else(|| {
        doc.sweeps.iter().find_map(|s| {
            Some(Verdict::Limit {
                scenario: s.path.clone(),
                seed: s.limited.seeds.iter().min().copied()?,
                message: s.limited.first_reason.clone().unwrap_or_default(),
            })
        })
    })
}

/// Wall time of a round, for its time limit. Nothing measured here reaches
/// a simulation.
#[allow(clippy::disallowed_types)]
pub struct Stopwatch(std::time::Instant);

impl Stopwatch {
    #[allow(clippy::disallowed_methods, clippy::disallowed_types)]
    pub fn start() -> Stopwatch {
        Stopwatch(std::time::Instant::now())
    }

    pub fn seconds(&self) -> f64 {
        self.0.elapsed().as_secs_f64()
    }
}
