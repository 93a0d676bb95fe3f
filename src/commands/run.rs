//! `dsim run`: one scenario, one seed.

use crate::error::CliError;
use crate::files;
use crate::stopwatch::Stopwatch;
use sim::repro::Repro;
use sim::trace::JsonLines;
use sim::{Outcome, RunOptions};
use std::io::{BufWriter, Write};
use std::path::Path;

pub fn run(
    path: &str,
    seed: Option<u64>,
    trace: Option<&Path>,
    out: &Path,
    json: bool,
) -> Result<u8, CliError> {
    let runner = protocols::load(path)?;
    let scenario = runner.scenario();
    let seed = seed.unwrap_or(scenario.seed);
    let schedule = scenario.fault_schedule(seed);
    if !json {
        print!("{}", reports::config::describe(scenario, &runner.parameters(), seed, &schedule));
        println!();
    }

    let mut sink = match trace {
        Some(p) => {
            files::check_trace_path(p)?;
            let file = std::fs::File::create(p)
                .map_err(|e| CliError::Usage(format!("cannot write the trace to {}: {e}", p.display())))?;
            Some(JsonLines::new(BufWriter::new(file)))
        }
        None => None,
    };
    let watch = Stopwatch::start();
    let result = runner.run(
        seed,
        RunOptions {
            trace: sink.as_mut().map(|s| s as &mut dyn sim::trace::TraceSink),
            faults: Some(schedule),
        },
    );
    let wall = watch.seconds();
    if let (Some(sink), Some(p)) = (sink, trace) {
        sink.finish()
            .map_err(|e| CliError::Usage(format!("cannot write the trace to {}: {e}", p.display())))?;
    }

    let repro = match result.outcome {
        Outcome::Violation => {
            let repro = Repro::new(path, &scenario.source, &result);
            let text = serde_json::to_string_pretty(&repro).expect("a repro serializes");
            let name = format!("{}-seed{}", files::stem(path), seed);
            Some(files::write_new(out, &name, "json", &(text + "\n"))?)
        }
        _ => None,
    };
    let repro_path = repro.as_ref().map(|p| p.display().to_string());
    if json {
        let value = reports::json::run(&result, Some(wall), repro_path.as_deref());
        println!("{}", serde_json::to_string_pretty(&value).expect("JSON serializes"));
    } else {
        let cx = reports::run::Context {
            wall_seconds: wall,
            repro: repro_path.as_deref(),
            replay_command: repro_path.as_ref().map(|p| format!("dsim replay {p}")),
        };
        print!("{}", reports::run::summary(&result, &cx));
    }
    let _ = std::io::stdout().flush();
    Ok(crate::error::exit_code(result.outcome))
}
