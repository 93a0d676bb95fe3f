//! The schemata build: a copy of the workspace under
//! `target/mutants/work` in which the protocol's files hold every mutant,
//! built once with the `mutants` profile. The worktree itself is never
//! written to, and since the copy keeps its paths and its unchanged files
//! keep their times, cargo rebuilds only what changed since the last run.

use crate::mutate::SELECTOR;
use crate::Enumeration;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

/// What is not copied: build output, git's data, sweep output.
const SKIP: &[&str] = &["target", ".git", "dsim-out"];

pub fn work_dir(repo: &Path) -> PathBuf {
    repo.join("target/mutants/work")
}

/// Copies the workspace, writes the schemata over the protocol's files and
/// the selector into the protocols crate, and builds dsim. Returns a copy of
/// the binary named for the protocol and shard (`label`): the next build,
/// of another protocol's schemata, replaces the work copy's binary, and a
/// run still sweeping must keep the one it was built with.
pub fn build(
    repo: &Path,
    enumeration: &Enumeration,
    jobs: Option<u32>,
    label: &str,
) -> Result<PathBuf, String> {
    let work = work_dir(repo);
    // Runs side by side share the work copy: one builds at a time, from
    // its copy of the files to its copy of the binary. The lock is freed
    // when the file closes, at the end of this function.
    std::fs::create_dir_all(repo.join("target/mutants")).map_err(|e| format!("target/mutants: {e}"))?;
    let lock_path = repo.join("target/mutants/build.lock");
    let lock = std::fs::File::create(&lock_path).map_err(|e| format!("{}: {e}", lock_path.display()))?;
    lock.lock().map_err(|e| format!("locking {}: {e}", lock_path.display()))?;
    // The files whose copy differs: the schemata, and the crate root with
    // the selector. Everything else is copied as it is.
    let mut overrides: BTreeMap<PathBuf, String> = enumeration.schemata.iter().cloned().collect();
    let lib = repo.join("protocols/src/lib.rs");
    let text = std::fs::read_to_string(&lib).map_err(|e| format!("{}: {e}", lib.display()))?;
    overrides.insert(lib, text + SELECTOR);
    copy_tree(repo, &work, &overrides, true)
        .map_err(|e| format!("copying the workspace to {}: {e}", work.display()))?;

    let mut cargo = Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()));
    cargo.current_dir(&work).args(["build", "--profile", "mutants", "--bin", "dsim", "--quiet"]);
    if let Some(j) = jobs {
        cargo.args(["-j", &j.to_string()]);
    }
    let log = repo.join("target/mutants/build.log");
    let log_file = std::fs::File::create(&log).map_err(|e| format!("{}: {e}", log.display()))?;
    let status = cargo.stderr(log_file).status().map_err(|e| format!("running cargo: {e}"))?;
    if !status.success() {
        return Err(format!("the schemata build failed in {}: see {}", work.display(), log.display()));
    }
    let built = work.join("target/mutants/dsim");
    let bin = repo.join("target/mutants/bin");
    std::fs::create_dir_all(&bin).map_err(|e| format!("{}: {e}", bin.display()))?;
    // Copied aside, then renamed over: a run may still be executing the
    // previous copy, which a write in place would fail on ("text file busy").
    let own = bin.join(format!("dsim-{label}"));
    let partial = bin.join(format!(".dsim-{label}.partial"));
    std::fs::copy(&built, &partial).map_err(|e| format!("{}: {e}", partial.display()))?;
    std::fs::rename(&partial, &own).map_err(|e| format!("{}: {e}", own.display()))?;
    Ok(own)
}

/// Copies `from` to `to`, writing only the files whose content differs so
/// that cargo sees the others unchanged, and removing below the top what
/// the workspace no longer has (a module moved from `relay.rs` to
/// `relay/mod.rs` must not leave both behind).
fn copy_tree(
    from: &Path,
    to: &Path,
    overrides: &BTreeMap<PathBuf, String>,
    top: bool,
) -> std::io::Result<()> {
    std::fs::create_dir_all(to)?;
    if !top {
        for entry in std::fs::read_dir(to)? {
            let entry = entry?;
            if !from.join(entry.file_name()).exists() {
                if entry.file_type()?.is_dir() {
                    std::fs::remove_dir_all(entry.path())?;
                } else {
                    std::fs::remove_file(entry.path())?;
                }
            }
        }
    }
    for entry in std::fs::read_dir(from)? {
        let entry = entry?;
        let name = entry.file_name();
        if top && SKIP.iter().any(|s| name == *s) {
            continue;
        }
        let kind = entry.file_type()?;
        if kind.is_dir() {
            copy_tree(&entry.path(), &to.join(&name), overrides, false)?;
        } else if kind.is_file() {
            let data = match overrides.get(&entry.path()) {
                Some(text) => text.clone().into_bytes(),
                None => std::fs::read(entry.path())?,
            };
            let dest = to.join(&name);
            if std::fs::read(&dest).ok().as_deref() != Some(&data[..]) {
                std::fs::write(&dest, &data)?;
            }
        }
    }
    Ok(())
}
