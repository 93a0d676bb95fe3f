//! `dsim shrink`: the smallest run that still fails the same way.

use crate::error::{CliError, EXIT_VIOLATION};
use sim::repro::Repro;
use sim::shrink::{shrink_with_progress, Shrunk, Size};
use std::path::{Path, PathBuf};

/// Most candidate runs a shrink may try.
pub const MAX_RUNS: u32 = 2_000;

/// Shrinks `repro` and writes the result as `<stem>-seed<N>-shrunk.json`.
pub fn shrink_and_write(repro: &Repro, out: &Path) -> Result<(PathBuf, Shrunk), CliError> {
    let reporter = crate::progress::ShrinkReporter::new(&format!("seed {}", repro.seed));
    let shrunk = shrink_with_progress(repro, &|s| crate::registry().prepare(s), MAX_RUNS, &|runs, size| {
        reporter.update(runs, size)
    });
    reporter.finish();
    let shrunk = shrunk?;
    let name = format!("{}-seed{}-shrunk", sim::repro::file_stem(&repro.scenario.path), repro.seed);
    let path = shrunk.repro.write_new_as(out, &name).map_err(|e| {
        CliError::Usage(format!("cannot write the shrunk repro under {}: {e}", out.display()))
    })?;
    Ok((path, shrunk))
}

pub fn before_after_line(before: &Size, after: &Size) -> String {
    format!(
        "faults {} -> {}, operations {} -> {}, events {} -> {}, duration {} -> {}",
        before.faults,
        after.faults,
        before.operations,
        after.operations,
        before.events,
        after.events,
        before.duration,
        after.duration
    )
}

pub fn shrink_command(path: &Path, out: &Path, json: bool) -> Result<u8, CliError> {
    let repro = super::replay::read_repro(path)?;
    let (written, shrunk) = shrink_and_write(&repro, out)?;
    let (b, a) = (&shrunk.before, &shrunk.after);
    let violation = shrunk.repro.violation.as_ref().expect("a shrunk repro still fails");
    if json {
        let value = serde_json::json!({
            "repro": written.display().to_string(),
            "runs": shrunk.runs,
            "before": b,
            "after": a,
            "violation": violation,
        });
        println!("{}", serde_json::to_string_pretty(&value).expect("JSON serializes"));
        return Ok(EXIT_VIOLATION);
    }
    println!("shrunk {} in {} runs; it still violates {}:", path.display(), shrunk.runs, violation.property);
    println!("  {}\n", reports::text::terminal(&violation.message));
    println!("  {:<22} {:>12} {:>12}", "", "before", "after");
    let rows: [(&str, String, String); 7] = [
        ("faults (disruptive)", b.faults.to_string(), a.faults.to_string()),
        ("schedule entries", b.schedule.to_string(), a.schedule.to_string()),
        ("operations", b.operations.to_string(), a.operations.to_string()),
        ("events", b.events.to_string(), a.events.to_string()),
        ("duration", b.duration.to_string(), a.duration.to_string()),
        ("nodes", b.nodes.to_string(), a.nodes.to_string()),
        ("clients", b.clients.to_string(), a.clients.to_string()),
    ];
    for (name, x, y) in rows {
        println!("  {name:<22} {x:>12} {y:>12}");
    }
    println!("\nfault schedule:");
    for f in &shrunk.repro.faults {
        println!("  {f}");
    }
    println!("\nshrunk repro written to {}", written.display());
    println!("replay it with:  {}", Repro::replay_command(&written));
    Ok(EXIT_VIOLATION)
}
