//! `dsim run`: one scenario, one seed.

use super::visual::{title, Drawings};
use crate::cli::ViewArgs;
use crate::error::{CliError, EXIT_NONDETERMINISTIC};
use crate::files;
use crate::stopwatch::Stopwatch;
use sim::determinism::Divergence;
use sim::repro::Repro;
use sim::trace::{Fanout, JsonLines, TraceSink, VecSink};
use sim::{Outcome, RunOptions, RunResult, Runner, Scenario};
use std::io::{BufReader, Write};
use std::path::Path;

/// What `dsim run` was asked for.
pub struct RunArgs<'a> {
    pub path: &'a str,
    pub seed: Option<u64>,
    /// Print the trace view on the terminal.
    pub trace: bool,
    /// Write the trace as JSON lines (`-`: standard output).
    pub trace_file: Option<&'a Path>,
    pub out: &'a Path,
    pub json: bool,
    pub check_determinism: bool,
    pub history: Option<&'a Path>,
    pub view: &'a ViewArgs,
    pub drawings: &'a Drawings,
}

/// Refuses two outputs that both want standard output.
pub fn one_stdout(terminal: bool, trace_file: Option<&Path>, json: bool) -> Result<(), CliError> {
    let trace_stdout = trace_file.is_some_and(files::is_stdout);
    let wanting: Vec<&str> = [(terminal, "--trace"), (trace_stdout, "--trace-file -"), (json, "--json")]
        .iter()
        .filter(|(on, _)| *on)
        .map(|(_, name)| *name)
        .collect();
    if wanting.len() > 1 {
        return Err(CliError::Usage(format!("{} all want standard output; keep one", wanting.join(" and "))));
    }
    Ok(())
}

pub fn run(a: &RunArgs<'_>) -> Result<u8, CliError> {
    let runner = crate::registry().load(a.path)?;
    one_stdout(a.trace, a.trace_file, a.json)?;
    if a.history.is_some_and(files::is_stdout) && (a.trace || a.json || a.trace_file.is_some()) {
        return Err(CliError::Usage(
            "--history - wants standard output; write the other outputs to files".into(),
        ));
    }
    if a.check_determinism && (a.trace || a.trace_file.is_some()) {
        return Err(CliError::Usage(
            "--check-determinism writes both runs' traces under --out; it takes no --trace".into(),
        ));
    }
    if let Some(path) = a.history {
        files::check_writable(path, files::HISTORY)?;
    }
    if let Some(path) = a.trace_file {
        files::check_writable(path, files::TRACE)?;
    }
    a.drawings.check()?;
    let scenario = runner.scenario();
    let seed = a.seed.unwrap_or(scenario.seed);
    // Text goes to standard error when standard output carries a file.
    let aside = a.trace_file.is_some_and(files::is_stdout) || a.history.is_some_and(files::is_stdout);
    if !a.json {
        let config = reports::config::describe(
            scenario,
            &runner.parameters(),
            seed,
            &scenario.nemesis.for_seed(seed),
            scenario.fault_stream(seed),
        );
        crate::colour::print(&format!("{}\n", reports::text::terminal(&config)), aside);
    }
    if a.check_determinism {
        return run_twice(runner.as_ref(), seed, a.out, a.json);
    }
    let mut kept = (a.drawings.wanted() || a.trace).then(VecSink::default);
    let watch = Stopwatch::start();
    let result = run_traced(runner.as_ref(), seed, a.trace_file, kept.as_mut())?;
    let wall = watch.seconds();
    if let Some(path) = a.history {
        files::write_output(path, files::HISTORY, &history_json(&result.history))?;
    }
    if let Some(kept) = &mut kept {
        if a.drawings.wanted() {
            a.drawings.write_run(runner.as_ref(), &title(Path::new(a.path), seed), &result, &kept.0)?;
        }
        if a.trace {
            print_view(scenario, &result, std::mem::take(&mut kept.0), a.view)?;
        }
    }
    report(scenario, &result, wall, a.out, a.json, aside)
}

/// The terminal view of a finished run's trace, centred (for `--around`)
/// on its violation, or on its end.
fn print_view(
    scenario: &Scenario,
    result: &RunResult,
    lines: Vec<sim::trace::TraceLine>,
    view: &ViewArgs,
) -> Result<(), CliError> {
    let centre = result.violation.as_ref().map_or(scenario.end().nanos(), |v| v.time_ns);
    let filter = reports::trace_view::Filter::parse(
        view.node.as_deref(),
        view.kind.as_deref(),
        view.around.as_deref(),
        view.grep.as_deref(),
        centre,
    )
    .map_err(CliError::Usage)?;
    let until = result.violation.as_ref().map_or(u64::MAX, |v| v.step);
    let mut v = reports::trace_view::View::new(std::io::stdout().lock(), filter, until);
    for line in lines {
        v.record(line);
    }
    let what = if result.violation.is_some() { "before the violation" } else { "at the end" };
    let mut stdout = v.finish(what).map_err(|e| CliError::Usage(format!("cannot print the trace: {e}")))?;
    let _ = writeln!(stdout);
    Ok(())
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
    aside: bool,
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
        crate::colour::print(&reports::text::terminal(&reports::run::summary(result, &cx)), aside);
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
        return report(runner.scenario(), &first, wall, out, json, false);
    };
    if json {
        let difference = sim::explore::FirstDifference::of(&d);
        let value = serde_json::json!({
            "seed": seed,
            "outcome": "nondeterministic",
            "first_difference": { "event": difference.event, "run1": difference.run1, "run2": difference.run2 },
            "trace_hashes": d.hashes,
            "traces": difference.traces,
        });
        println!("{}", serde_json::to_string_pretty(&value).expect("JSON serializes"));
    } else {
        crate::colour::print(&reports::determinism::describe(seed, &d), false);
    }
    Ok(EXIT_NONDETERMINISTIC)
}
