//! Output files as the command line names them: `-` is standard output,
//! anything else a file written by `sim::files`' rules (never a user's
//! file, never through a link, never a special file, always renamed into
//! place).

use crate::error::CliError;
use sim::files::{AtomicFile, Format};
use std::io::Write;
use std::path::Path;

pub use sim::files::{HISTORY, HTML, JUNIT, PERFETTO, SWEEP, TRACE};

/// Whether a FILE argument means standard output.
pub fn is_stdout(path: &Path) -> bool {
    path == Path::new("-")
}

/// Checks, before any work, that `path` may be written with `format`.
pub fn check_writable(path: &Path, format: Format) -> Result<(), CliError> {
    if is_stdout(path) {
        return Ok(());
    }
    sim::files::check_writable(path, format).map_err(CliError::Usage)
}

/// Writes a whole output file, or prints it for `-`.
pub fn write_output(path: &Path, format: Format, contents: &str) -> Result<(), CliError> {
    if is_stdout(path) {
        let mut out = std::io::stdout().lock();
        return out
            .write_all(contents.as_bytes())
            .and_then(|_| out.flush())
            .map_err(|e| CliError::Usage(format!("cannot write to standard output: {e}")));
    }
    sim::files::write_file(path, format, contents.as_bytes()).map_err(CliError::Usage)
}

/// Where a trace goes: a file put in place when finished, or stdout.
pub enum TraceOut {
    File(AtomicFile),
    Stdout(std::io::Stdout),
}

/// Starts a trace file (or standard output for `-`) with its header line.
pub fn create_trace(path: &Path) -> Result<TraceOut, CliError> {
    let mut out = if is_stdout(path) {
        TraceOut::Stdout(std::io::stdout())
    } else {
        TraceOut::File(AtomicFile::create(path, TRACE).map_err(CliError::Usage)?)
    };
    out.write_all(sim::files::TRACE_HEADER.as_bytes())
        .map_err(|e| CliError::Usage(format!("cannot write the trace to {}: {e}", path.display())))?;
    Ok(out)
}

impl TraceOut {
    /// Puts a finished trace file in place.
    pub fn commit(self) -> Result<(), CliError> {
        match self {
            TraceOut::File(f) => f.commit().map_err(CliError::Usage),
            TraceOut::Stdout(mut s) => {
                s.flush().map_err(|e| CliError::Usage(format!("cannot write to standard output: {e}")))
            }
        }
    }
}

impl Write for TraceOut {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        match self {
            TraceOut::File(f) => f.write(buf),
            TraceOut::Stdout(s) => s.write(buf),
        }
    }
    fn flush(&mut self) -> std::io::Result<()> {
        match self {
            TraceOut::File(f) => f.flush(),
            TraceOut::Stdout(s) => s.flush(),
        }
    }
}
