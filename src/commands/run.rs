//! `dsim run`: one scenario, one seed.

use super::visual::{title, Drawings};
use crate::error::{CliError, EXIT_NONDETERMINISTIC};
use crate::files;
use crate::stopwatch::Stopwatch;
use sim::determinism::Divergence;
use sim::repro::Repro;
use sim::trace::{Fanout, JsonLines, TraceSink, VecSink};
use sim::{Outcome, RunOptions, RunResult, Runner, Scenario};
use std::io::{BufReader, Write};
use std::path::Path;

#[allow(clippy::too_many_arguments)]
pub fn run(
    path: &str,
    seed: Option<u64>,
    trace: Option<&Path>,
    out: &Path,
    json: bool,
    check_determinism: bool,
    history: Option<&Path>,
    drawings: &Drawings,
) -> Result<u8, CliError> {
    let runner = crate::registry().load(path)?;
    if let Some(path) = history {
        files::check_writable(path, files::HISTORY)?;
    }
    drawings.check()?;
    let scenario = runner.scenario();
    let seed = seed.unwrap_or(scenario.seed);
    if !json {
        let config = reports::config::describe(
            scenario,
            &runner.parameters(),
            seed,
            &scenario.nemesis.for_seed(seed),
            scenario.fault_stream(seed),
        );
        print!("{}", reports::text::terminal(&config));
        println!();
    }
    if check_determinism {
        return run_twice(runner.as_ref(), seed, out, json);
    }
    let mut kept = drawings.wanted().then(VecSink::default);
    let watch = Stopwatch::start();
    let result = run_traced(runner.as_ref(), seed, trace, kept.as_mut())?;
    let wall = watch.seconds();
    if let Some(path) = history {
        files::write_output(path, files::HISTORY, &history_json(&result.history))?;
    }
    if let Some(kept) = &kept {
        drawings.write_run(runner.as_ref(), &title(Path::new(path), seed), &result, &kept.0)?;
    }
    report(scenario, &result, wall, out, json)
}

/// A history as JSON, one event per line so that it reads (and diffs)
/// well, after the header that marks the file as dsim's.
pub fn history_json(history: &sim::History) -> String {
    let lines: Vec<String> =
        history.events.iter().map(|e| serde_json::to_string(e).expect("an event serializes")).collect();
    format!("{}\"version\":1,\"events\":[\n{}\n]}}\n", files::HISTORY.marker, lines.join(",\n"))
}

/// One run, its trace written to `trace` if given and kept in `kept`.
fn run_traced(
    runner: &dyn Runner,
    seed: u64,
    trace: Option<&Path>,
    kept: Option<&mut VecSink>,
) -> Result<RunResult, CliError> {
    let mut sink = trace.map(files::create_trace).transpose()?.map(JsonLines::new);
    let mut fanout = Fanout::default();
    if let Some(s) = sink.as_mut() {
        fanout.0.push(s);
    }
    if let Some(k) = kept {
        fanout.0.push(k);
    }
    let traced = !fanout.0.is_empty();
    let result = runner
        .run(seed, RunOptions { trace: traced.then_some(&mut fanout as &mut dyn TraceSink), faults: None });
    drop(fanout);
    if let (Some(sink), Some(p)) = (sink, trace) {
        sink.finish()
            .map_err(|e| CliError::Usage(format!("cannot write the trace to {}: {e}", p.display())))?
            .commit()?;
    }
    Ok(result)
}

/// Prints the summary, writes a repro on a violation; returns the exit code.
fn report(
    scenario: &Scenario,
    result: &RunResult,
    wall: f64,
    out: &Path,
    json: bool,
) -> Result<u8, CliError> {
    let repro = match result.outcome {
        Outcome::Violation => {
            let written =
                Repro::new(&scenario.path, &scenario.source, result).write_new(out).map_err(|e| {
                    CliError::Usage(format!("cannot write the repro under {}: {e}", out.display()))
                })?;
            Some(written)
        }
        _ => None,
    };
    let repro_path = repro.as_ref().map(|p| p.display().to_string());
    if json {
        let value = reports::json::run(result, Some(wall), repro_path.as_deref());
        println!("{}", serde_json::to_string_pretty(&value).expect("JSON serializes"));
    } else {
        let cx = reports::run::Context {
            wall_seconds: wall,
            repro: repro_path.as_deref(),
            replay_command: repro.as_deref().map(Repro::replay_command),
            expected: scenario.expect.as_deref(),
        };
        print!("{}", reports::text::terminal(&reports::run::summary(result, &cx)));
    }
    let _ = std::io::stdout().flush();
    Ok(crate::error::exit_code(result.outcome))
}

/// Runs `seed` twice with traces under `out`; on agreement the traces are
/// removed and the first run's result returned.
pub fn compare_two_runs(
    runner: &dyn Runner,
    seed: u64,
    out: &Path,
) -> Result<(RunResult, f64, Option<Divergence>), CliError> {
    std::fs::create_dir_all(out)
        .map_err(|e| CliError::Usage(format!("cannot create the output folder {}: {e}", out.display())))?;
    let stem = format!("{}-seed{seed}", sim::repro::file_stem(&runner.scenario().path));
    let traces = [1, 2].map(|i| out.join(format!("{stem}.run{i}.trace.jsonl")));
    let watch = Stopwatch::start();
    let first = run_traced(runner, seed, Some(&traces[0]), None)?;
    let wall = watch.seconds();
    let second = run_traced(runner, seed, Some(&traces[1]), None)?;
    let open = |p: &Path| {
        std::fs::File::open(p)
            .map(BufReader::new)
            .map_err(|e| CliError::Usage(format!("cannot read back {}: {e}", p.display())))
    };
    let hashes = [first.trace_hash.clone(), second.trace_hash.clone()];
    let [t1, t2] = traces.clone();
    let divergence = sim::determinism::diagnose([(open(&t1)?, t1), (open(&t2)?, t2)], hashes)
        .map_err(|e| CliError::Usage(format!("cannot compare the traces: {e}")))?;
    if divergence.is_none() {
        for t in &traces {
            let _ = std::fs::remove_file(t);
        }
    }
    Ok((first, wall, divergence))
}

/// `--check-determinism`: two traced runs, compared event by event.
fn run_twice(runner: &dyn Runner, seed: u64, out: &Path, json: bool) -> Result<u8, CliError> {
    let (first, wall, divergence) = compare_two_runs(runner, seed, out)?;
    let Some(d) = divergence else {
        if !json {
            println!(
                "deterministic: both runs processed the same {} events, trace hash {}\n",
                first.events, first.trace_hash
            );
        }
        return report(runner.scenario(), &first, wall, out, json);
    };
    if json {
        let value = serde_json::json!({
            "seed": seed,
            "outcome": "nondeterministic",
            "first_difference": { "event": d.event, "run1": d.first, "run2": d.second },
            "trace_hashes": d.hashes,
            "traces": d.traces.iter().map(|t| t.display().to_string()).collect::<Vec<_>>(),
        });
        println!("{}", serde_json::to_string_pretty(&value).expect("JSON serializes"));
    } else {
        print!("{}", reports::determinism::describe(seed, &d));
    }
    Ok(EXIT_NONDETERMINISTIC)
}
