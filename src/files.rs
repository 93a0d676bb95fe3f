//! Output files without clobbering the user's work: a path the user names
//! is overwritten only if it is empty or already holds what dsim writes
//! there. (Repros are written by `sim::repro::Repro::write_new`, which
//! never replaces a different file.)

use crate::error::CliError;
use std::io::{BufRead, BufReader};
use std::path::Path;

/// What a file must look like for dsim to write over it.
#[derive(Clone, Copy)]
pub enum Kind {
    Trace,
    History,
    SweepJson,
    Junit,
}

fn looks_like(kind: Kind, path: &Path) -> bool {
    match kind {
        Kind::Trace => {
            let Ok(file) = std::fs::File::open(path) else { return true };
            let mut first = String::new();
            let _ = BufReader::new(file).read_line(&mut first);
            first.trim().is_empty()
                || serde_json::from_str::<sim::trace::TraceLine>(first.trim()).is_ok()
                || first.starts_with("#1 ")
        }
        Kind::History => std::fs::read_to_string(path)
            .is_ok_and(|t| t.trim().is_empty() || serde_json::from_str::<sim::History>(&t).is_ok()),
        Kind::SweepJson => std::fs::read_to_string(path).is_ok_and(|t| {
            t.trim().is_empty() || serde_json::from_str::<reports::sweep::Document>(&t).is_ok()
        }),
        Kind::Junit => std::fs::read_to_string(path)
            .is_ok_and(|t| t.trim().is_empty() || t.contains("<testsuites name=\"dsim\"")),
    }
}

/// Checks that `path` may be (over)written with a file of `kind`.
pub fn check_overwritable(path: &Path, kind: Kind) -> Result<(), CliError> {
    if !path.exists() || looks_like(kind, path) {
        Ok(())
    } else {
        Err(CliError::Usage(format!(
            "{} exists and was not written by dsim; not overwriting it (choose another path)",
            path.display()
        )))
    }
}

/// Writes a file the user named, after checking it may be overwritten.
pub fn write_output(path: &Path, kind: Kind, contents: &str) -> Result<(), CliError> {
    check_overwritable(path, kind)?;
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir)
            .map_err(|e| CliError::Usage(format!("cannot create the folder {}: {e}", dir.display())))?;
    }
    std::fs::write(path, contents)
        .map_err(|e| CliError::Usage(format!("cannot write {}: {e}", path.display())))
}

/// Opens a trace file for writing.
pub fn create_trace(path: &Path) -> Result<std::io::BufWriter<std::fs::File>, CliError> {
    check_overwritable(path, Kind::Trace)?;
    let file = std::fs::File::create(path)
        .map_err(|e| CliError::Usage(format!("cannot write the trace to {}: {e}", path.display())))?;
    Ok(std::io::BufWriter::new(file))
}
