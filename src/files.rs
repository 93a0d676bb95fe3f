//! Writing output files without ever clobbering the user's work.
//!
//! Repros go under `--out DIR` with a name derived from the scenario and
//! seed; if that name is taken by a different file, a numbered name is
//! used instead. A trace path the user names is overwritten only if it is
//! empty or already holds a dsim trace.

use crate::error::CliError;
use std::fs;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};

/// Writes `contents` to `dir/stem.ext` or, if that holds something else, to
/// `dir/stem-2.ext`, `dir/stem-3.ext`... Returns the path used.
pub fn write_new(dir: &Path, stem: &str, ext: &str, contents: &str) -> Result<PathBuf, CliError> {
    fs::create_dir_all(dir)
        .map_err(|e| CliError::Usage(format!("cannot create the output folder {}: {e}", dir.display())))?;
    for n in 1.. {
        let name = if n == 1 { format!("{stem}.{ext}") } else { format!("{stem}-{n}.{ext}") };
        let path = dir.join(name);
        match fs::read_to_string(&path) {
            Ok(existing) if existing == contents => return Ok(path),
            Ok(_) => continue,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                fs::write(&path, contents)
                    .map_err(|e| CliError::Usage(format!("cannot write {}: {e}", path.display())))?;
                return Ok(path);
            }
            Err(_) => continue,
        }
    }
    unreachable!("an unbounded range always yields a name")
}

/// Checks that `path` may be (over)written with a trace.
pub fn check_trace_path(path: &Path) -> Result<(), CliError> {
    let Ok(file) = fs::File::open(path) else { return Ok(()) };
    let mut first = String::new();
    let _ = BufReader::new(file).read_line(&mut first);
    let is_trace = first.trim().is_empty()
        || serde_json::from_str::<sim::trace::TraceLine>(first.trim()).is_ok()
        || first.starts_with("#1 ");
    if is_trace {
        Ok(())
    } else {
        Err(CliError::Usage(format!(
            "{} exists and is not a dsim trace; not overwriting it (choose another path)",
            path.display()
        )))
    }
}

/// A file-name-safe stem for a scenario path: `scenarios/gossip/partition-heal.toml` -> `partition-heal`.
pub fn stem(path: &str) -> String {
    let stem = Path::new(path).file_stem().map_or("scenario".into(), |s| s.to_string_lossy().into_owned());
    stem.chars().map(|c| if c.is_ascii_alphanumeric() || c == '-' || c == '_' { c } else { '_' }).collect()
}
