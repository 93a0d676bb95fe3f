//! `dsim replay`: rerun repro files and compare.

use super::visual::Drawings;
use crate::cli::ViewArgs;
use crate::error::{CliError, EXIT_INPUT, EXIT_OK};
use crate::stopwatch::Stopwatch;
use sim::repro::{Replay, Repro};
use sim::trace::{Fanout, JsonLines, TraceSink, VecSink};
use sim::RunResult;
use std::path::{Path, PathBuf};

/// Reads a repro file and checks everything in it before anything runs,
/// so that every error points into the repro file.
pub fn read_repro(path: &Path) -> Result<Repro, CliError> {
    let repro = Repro::load(path)?;
    let shown = path.display().to_string();
    let runner = crate::registry().prepare(repro.scenario_in(&shown)?)?;
    runner
        .scenario()
        .check_schedule(&repro.faults)
        .map_err(|m| CliError::Usage(format!("the fault schedule in {shown} is invalid: {m}")))?;
    Ok(repro)
}

pub fn offset_of(text: &str, line: usize, column: usize) -> usize {
    let start: usize = text.split_inclusive('\n').take(line.saturating_sub(1)).map(str::len).sum();
    (start + column.saturating_sub(1)).min(text.len())
}

/// Reruns one repro with the command line's protocols.
pub fn rerun(repro: &Repro, trace: Option<&mut dyn TraceSink>) -> Result<RunResult, CliError> {
    Ok(repro.rerun(&|s| crate::registry().prepare(s), trace)?)
}

fn repro_files(path: &Path) -> Result<Vec<PathBuf>, CliError> {
    if !path.is_dir() {
        return Ok(vec![path.to_path_buf()]);
    }
    let entries = std::fs::read_dir(path)
        .map_err(|e| CliError::Usage(format!("cannot read the folder {}: {e}", path.display())))?;
    let mut files: Vec<PathBuf> = entries
        .filter_map(|e| e.ok().map(|e| e.path()))
        // Only regular files: opening a FIFO found in the folder would block.
        .filter(|p| p.extension().is_some_and(|x| x == "json") && p.is_file())
        .collect();
    files.sort();
    if files.is_empty() {
        return Err(CliError::Usage(format!("{} holds no repro files (*.json)", path.display())));
    }
    Ok(files)
}

/// `terminal`: print the trace view (`--trace` or one of its filters);
/// `trace_file`: write the trace as JSON lines (`-`: standard output).
pub fn replay(
    path: &Path,
    terminal: bool,
    trace_file: Option<&Path>,
    json: bool,
    view: &ViewArgs,
    drawings: &Drawings,
) -> Result<u8, CliError> {
    let files = repro_files(path)?;
    if (trace_file.is_some() || terminal || drawings.wanted()) && files.len() > 1 {
        return Err(CliError::Usage(
            "--trace, --trace-file, the trace filters, --html and --perfetto replay one repro, not a folder"
                .into(),
        ));
    }
    super::run::one_stdout(terminal, trace_file, json)?;
    drawings.check()?;
    let mut worst = EXIT_OK;
    let mut reports = Vec::new();
    for file in &files {
        let repro = read_repro(file)?;
        let mut view_sink = match terminal {
            true => Some(terminal_view(file, &repro, view)?),
            false => None,
        };
        let mut json_sink = match trace_file {
            Some(p) => Some(JsonLines::new(crate::files::create_trace(p)?)),
            None => None,
        };
        let mut kept = drawings.wanted().then(VecSink::default);
        let mut fanout = Fanout::default();
        if let Some(s) = view_sink.as_mut() {
            fanout.0.push(s);
        }
        if let Some(s) = json_sink.as_mut() {
            fanout.0.push(s);
        }
        if let Some(s) = kept.as_mut() {
            fanout.0.push(s);
        }
        let watch = Stopwatch::start();
        let result =
            if fanout.0.is_empty() { rerun(&repro, None)? } else { rerun(&repro, Some(&mut fanout))? };
        let wall = watch.seconds();
        drop(fanout);
        if let Some(sink) = json_sink {
            sink.finish().map_err(|e| CliError::Usage(format!("cannot write the trace: {e}")))?.commit()?;
        }
        if let Some(v) = view_sink {
            let what = if repro.violation.is_some() { "before the violation" } else { "at the end" };
            let _stdout =
                v.finish(what).map_err(|e| CliError::Usage(format!("cannot print the trace: {e}")))?;
        }
        if let Some(kept) = &kept {
            let shown = file.display().to_string();
            let runner = crate::registry().prepare(repro.scenario_in(&shown)?)?;
            let title = format!("dsim replay {} (seed {})", shown, repro.seed);
            drawings.write_run(runner.as_ref(), &title, &result, &kept.0)?;
        }
        let verdict = repro.compare(&result);
        worst = crate::error::worst(worst, crate::error::exit_code(result.outcome));
        if json {
            reports.push(replay_json(file, &repro, &result, &verdict, wall));
        } else {
            // When standard output carries the trace, the verdict goes aside.
            let text = reports::text::terminal(&replay_text(file, &repro, &result, &verdict)).into_owned();
            crate::colour::print(&text, trace_file.is_some_and(crate::files::is_stdout));
        }
    }
    if json {
        let value = if reports.len() == 1 { reports.remove(0) } else { serde_json::Value::Array(reports) };
        println!("{}", serde_json::to_string_pretty(&value).expect("JSON serializes"));
    }
    debug_assert!(worst != EXIT_INPUT);
    Ok(worst)
}

fn replay_text(file: &Path, repro: &Repro, result: &RunResult, verdict: &Replay) -> String {
    let mut s = format!("{}: seed {}, {}\n", file.display(), repro.seed, repro.scenario.path);
    match verdict {
        Replay::Reproduced => match &result.violation {
            Some(v) => s.push_str(&format!(
                "  reproduced: {} violated at step {} ({}), trace hash {}\n  {}\n",
                v.property,
                v.step,
                sim::Time(v.time_ns).approx(),
                result.trace_hash,
                v.message
            )),
            None => s.push_str(&format!(
                "  reproduced: {:?} after {} events, trace hash {}\n",
                result.outcome, result.events, result.trace_hash
            )),
        },
        Replay::Diverged { agreed_until, what } => {
            s.push_str("  DIVERGED: the rerun does not end the way the repro recorded\n");
            for w in what {
                s.push_str(&format!("  - {w}\n"));
            }
            if *agreed_until > 0 {
                s.push_str(&format!(
                    "  the two runs agree on every event up to step {agreed_until} at least\n"
                ));
            } else {
                s.push_str("  the two runs differ within the first 1024 steps\n");
            }
            match &result.violation {
                Some(v) => s.push_str(&format!(
                    "  the rerun: {} violated at step {}: {}\n",
                    v.property, v.step, v.message
                )),
                None => s.push_str(&format!("  the rerun: {:?}\n", result.outcome)),
            }
        }
    }
    s
}

fn replay_json(
    file: &Path,
    repro: &Repro,
    result: &RunResult,
    verdict: &Replay,
    wall: f64,
) -> serde_json::Value {
    let (reproduced, diverged) = match verdict {
        Replay::Reproduced => (true, serde_json::Value::Null),
        Replay::Diverged { agreed_until, what } => {
            (false, serde_json::json!({ "agreed_until_step": agreed_until, "differences": what }))
        }
    };
    // The rerun's fields at the top level, as every command's `--json`
    // promises (`seed`, `outcome`, `events`, `violation`...); `repro` is the
    // file replayed.
    let mut out = reports::json::run(result, Some(wall), Some(&file.display().to_string()));
    out["reproduced"] = serde_json::json!(reproduced);
    out["diverged"] = diverged;
    out["expected"] = serde_json::json!({ "violation": repro.violation, "trace_hash": repro.trace_hash, "events": repro.events });
    out
}

/// The terminal view of a replay, with the command line's filters; the
/// violation (or the end of the run) is what `--around` centres on.
fn terminal_view(
    file: &Path,
    repro: &Repro,
    view: &ViewArgs,
) -> Result<reports::trace_view::View<std::io::StdoutLock<'static>>, CliError> {
    let centre = match &repro.violation {
        Some(v) => v.time_ns,
        None => repro.scenario_in(&file.display().to_string())?.end().nanos(),
    };
    let filter = reports::trace_view::Filter::parse(
        view.node.as_deref(),
        view.kind.as_deref(),
        view.around.as_deref(),
        view.grep.as_deref(),
        centre,
    )
    .map_err(CliError::Usage)?;
    let until = repro.violation.as_ref().map_or(u64::MAX, |v| v.step);
    Ok(reports::trace_view::View::new(std::io::stdout().lock(), filter, until))
}
