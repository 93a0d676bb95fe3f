//! Repro files: everything needed to run a failure again, in one JSON file.
//!
//! A repro holds the whole scenario text (not a path to it, which may change
//! or vanish), the seed, the explicit fault schedule that ran, what went
//! wrong and the trace hash. Replaying runs the same scenario and seed with
//! that schedule and must end the same way at the same step with the same
//! hash; running hashes every [`CHECKPOINT_EVERY`] steps tell how far two
//! runs agreed when they do not.

use crate::fault::TimedFault;
use crate::result::{Outcome, RunResult, Violation};
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};

pub use crate::engine::CHECKPOINT_EVERY;

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ReproScenario {
    /// Where the scenario was read from; for people only.
    pub path: String,
    /// The scenario file's full text.
    pub source: String,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Repro {
    pub dsim_version: String,
    pub scenario: ReproScenario,
    pub seed: u64,
    pub outcome: Outcome,
    pub violation: Option<Violation>,
    #[serde(default)]
    pub limit: Option<String>,
    pub events: u64,
    pub trace_hash: String,
    /// Running trace hashes at every CHECKPOINT_EVERY-th step.
    #[serde(default)]
    pub checkpoints: Vec<String>,
    pub faults: Vec<TimedFault>,
}

impl Repro {
    pub fn new(scenario_path: &str, scenario_source: &str, result: &RunResult) -> Repro {
        Repro {
            dsim_version: env!("CARGO_PKG_VERSION").to_string(),
            scenario: ReproScenario { path: scenario_path.to_string(), source: scenario_source.to_string() },
            seed: result.seed,
            outcome: result.outcome,
            violation: result.violation.clone(),
            limit: result.limit.clone(),
            events: result.events,
            trace_hash: result.trace_hash.clone(),
            checkpoints: result.checkpoints.clone(),
            faults: result.faults.clone(),
        }
    }

    /// Writes the repro under `dir` as `<scenario stem>-seed<N>.json`, never
    /// replacing a different file: if the name holds something else, the
    /// next free `-2`, `-3`... name is used. Returns the path written.
    pub fn write_new(&self, dir: &Path) -> std::io::Result<PathBuf> {
        self.write_new_as(dir, &format!("{}-seed{}", file_stem(&self.scenario.path), self.seed))
    }

    /// Like [`Repro::write_new`], under the name `name.json`.
    pub fn write_new_as(&self, dir: &Path, name: &str) -> std::io::Result<PathBuf> {
        let text = serde_json::to_string_pretty(self).expect("a repro serializes") + "\n";
        write_unclobbered(dir, name, "json", &text)
    }

    /// The command that replays the repro at `path`.
    pub fn replay_command(path: &Path) -> String {
        format!("dsim replay {}", path.display())
    }

    /// Compares a rerun with what this repro recorded.
    pub fn compare(&self, rerun: &RunResult) -> Replay {
        let same_violation = match (&self.violation, &rerun.violation) {
            (Some(a), Some(b)) => a.property == b.property && a.step == b.step,
            (None, None) => true,
            _ => false,
        };
        if same_violation && self.outcome == rerun.outcome && self.trace_hash == rerun.trace_hash {
            return Replay::Reproduced;
        }
        let agreed_until = self.checkpoints.iter().zip(&rerun.checkpoints).take_while(|(a, b)| a == b).count()
            as u64
            * CHECKPOINT_EVERY;
        let mut what = Vec::new();
        if self.outcome != rerun.outcome {
            what.push(format!("the outcome was {:?}, now {:?}", self.outcome, rerun.outcome));
        }
        match (&self.violation, &rerun.violation) {
            (Some(a), Some(b)) if a.property != b.property => {
                what.push(format!("the violated property was {}, now {}", a.property, b.property))
            }
            (Some(a), Some(b)) if a.step != b.step => {
                what.push(format!("{} was violated at step {}, now at step {}", a.property, a.step, b.step))
            }
            _ => {}
        }
        if self.trace_hash != rerun.trace_hash {
            what.push(format!("the trace hash was {}, now {}", self.trace_hash, rerun.trace_hash));
        }
        Replay::Diverged { agreed_until, what }
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Replay {
    Reproduced,
    /// The runs agreed on every event up to step `agreed_until` (a multiple
    /// of CHECKPOINT_EVERY; 0 if they differ from the start).
    Diverged {
        agreed_until: u64,
        what: Vec<String>,
    },
}

/// A file-name-safe stem: `scenarios/gossip/partition-heal.toml` -> `partition-heal`.
pub fn file_stem(path: &str) -> String {
    let stem = Path::new(path).file_stem().map_or("scenario".into(), |s| s.to_string_lossy().into_owned());
    stem.chars().map(|c| if c.is_ascii_alphanumeric() || c == '-' || c == '_' { c } else { '_' }).collect()
}

/// Writes `contents` to `dir/stem.ext`, or, if that holds something else,
/// to `dir/stem-2.ext`, `dir/stem-3.ext`... Identical content is not
/// written twice. Nothing a user wrote is overwritten.
pub fn write_unclobbered(dir: &Path, stem: &str, ext: &str, contents: &str) -> std::io::Result<PathBuf> {
    std::fs::create_dir_all(dir)?;
    for n in 1u32.. {
        let name = if n == 1 { format!("{stem}.{ext}") } else { format!("{stem}-{n}.{ext}") };
        let path = dir.join(name);
        match std::fs::read_to_string(&path) {
            Ok(existing) if existing == contents => return Ok(path),
            Ok(_) => continue,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                // create_new: if another process took the name meanwhile, try the next.
                match std::fs::OpenOptions::new().write(true).create_new(true).open(&path) {
                    Ok(mut f) => {
                        std::io::Write::write_all(&mut f, contents.as_bytes())?;
                        return Ok(path);
                    }
                    Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => continue,
                    Err(e) => return Err(e),
                }
            }
            Err(_) => continue,
        }
    }
    unreachable!("an unbounded range always yields a name")
}
