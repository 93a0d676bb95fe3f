//! Repro files: everything needed to run a failure again, in one JSON file.
//!
//! A repro holds the whole scenario text (not a path to it, which may change
//! or vanish), the seed, the explicit fault schedule that ran, what went
//! wrong and the trace hash. Replaying runs the same scenario and seed with
//! that schedule and must end the same way at the same step with the same
//! hash; running hashes every [`CHECKPOINT_EVERY`] steps tell how far two
//! runs agreed when they do not.

use crate::fault::TimedFault;
use crate::files::{holds_exactly, write_new, MAX_NAME_TRIES};
use crate::result::{Outcome, RunResult, Violation};
use crate::{Diagnostic, Scenario};
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

    /// The command that replays the repro at `path`, ready to paste into
    /// a shell.
    pub fn replay_command(path: &Path) -> String {
        replay_command(&path.display().to_string())
    }

    /// Reads a repro file: at most [`crate::files::MAX_INPUT_BYTES`], UTF-8,
    /// JSON, with an embedded scenario that parses. Every error names
    /// `path` and the place in it.
    pub fn load(path: &Path) -> Result<Repro, Diagnostic> {
        let shown = path.display().to_string();
        let text = crate::files::read_text(&shown, "repro")?;
        Repro::from_text(&shown, &text)
    }

    /// A repro from its text; `shown` names the file in messages.
    pub fn from_text(shown: &str, text: &str) -> Result<Repro, Diagnostic> {
        let repro: Repro = serde_json::from_str(text).map_err(|e| {
            let start: usize =
                text.split_inclusive('\n').take(e.line().saturating_sub(1)).map(str::len).sum();
            let offset = (start + e.column().saturating_sub(1)).min(text.len());
            Diagnostic::new(shown, text, Some(offset..offset + 1), format!("this is not a dsim repro: {e}"))
        })?;
        repro.scenario_in(shown)?;
        Ok(repro)
    }

    /// The embedded scenario, parsed; its errors are placed in "the
    /// scenario embedded in FILE", the file it was read from, not the
    /// scenario file it was first written from, which was never read.
    pub fn scenario_in(&self, file: &str) -> Result<Scenario, Diagnostic> {
        Scenario::parse(&format!("the scenario embedded in {file}"), &self.scenario.source)
    }

    /// Compares a rerun with what this repro recorded.
    /// Runs the repro again: its scenario, readied by `prepare` (the
    /// registry's), with its seed and its explicit fault schedule.
    pub fn rerun(
        &self,
        prepare: &dyn Fn(Scenario) -> Result<Box<dyn crate::Runner>, Diagnostic>,
        trace: Option<&mut dyn crate::trace::TraceSink>,
    ) -> Result<RunResult, Diagnostic> {
        let scenario = Scenario::parse(&self.scenario.path, &self.scenario.source)?;
        scenario.check_schedule(&self.faults).map_err(|m| {
            Diagnostic::file(&self.scenario.path, format!("the repro's fault schedule is invalid: {m}"))
        })?;
        let runner = prepare(scenario)?;
        Ok(runner.run(self.seed, crate::RunOptions { trace, faults: Some(self.faults.clone()) }))
    }

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

/// Writes `contents` to `dir/stem.ext`, or, if that name is taken, to
/// `dir/stem-2.ext`, `dir/stem-3.ext`... Identical content is not written
/// twice. Nothing that exists is overwritten or read past the length of
/// `contents` (a FIFO or a link at a name just takes the name). Any error
/// other than a taken name, such as a name too long or a folder that may
/// not be written, ends the search at once, as does the
/// [`MAX_NAME_TRIES`]-th taken name.
pub fn write_unclobbered(dir: &Path, stem: &str, ext: &str, contents: &str) -> std::io::Result<PathBuf> {
    std::fs::create_dir_all(dir)?;
    for n in 1..=MAX_NAME_TRIES {
        let name = if n == 1 { format!("{stem}.{ext}") } else { format!("{stem}-{n}.{ext}") };
        let path = dir.join(name);
        match std::fs::symlink_metadata(&path) {
            Ok(_) if holds_exactly(&path, contents.as_bytes()) => return Ok(path),
            Ok(_) => continue,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => match write_new(&path, contents.as_bytes())
            {
                Ok(()) => return Ok(path),
                // Another process took the name meanwhile.
                Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => continue,
                Err(e) => return Err(e),
            },
            Err(e) => return Err(e),
        }
    }
    Err(std::io::Error::other(format!(
        "{stem}.{ext} and the next {} names in {} are all taken",
        MAX_NAME_TRIES - 1,
        dir.display()
    )))
}

/// `text` as one word for a POSIX shell: as it is when that is safe, else
/// in single quotes (a quote inside becomes `'\''`).
pub fn shell_quote(text: &str) -> String {
    let plain = |c: char| c.is_ascii_alphanumeric() || "/._-+,:=@%".contains(c);
    if !text.is_empty() && text.chars().all(plain) {
        return text.to_string();
    }
    format!("'{}'", text.replace('\'', "'\\''"))
}

static COMMAND: std::sync::OnceLock<String> = std::sync::OnceLock::new();

/// Names the command line that replays repros (`dsim`, or a user's own
/// binary built with `dsim::main_with`), for the commands dsim prints.
pub fn set_command_name(name: &str) {
    let _ = COMMAND.set(name.to_string());
}

/// The command that replays the repro at `path` (as written), quoted for a
/// POSIX shell.
pub fn replay_command(path: &str) -> String {
    let program = COMMAND.get().map_or("dsim", String::as_str);
    format!("{program} replay {}", shell_quote(path))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quotes_for_a_shell() {
        assert_eq!(shell_quote("dsim-out/a-seed1.json"), "dsim-out/a-seed1.json");
        assert_eq!(shell_quote("my out/a.json"), "'my out/a.json'");
        assert_eq!(shell_quote("it's $HOME"), "'it'\\''s $HOME'");
        assert_eq!(shell_quote(""), "''");
    }
}
