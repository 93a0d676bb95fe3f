//! Mutation testing of dsim's protocols, where the test is a dsim sweep.
//!
//! Seeded bugs show that the checkers catch the mistakes their authors
//! thought of. Mutants measure the rest: small changes to a protocol's
//! code (a `<` for a `<=`, a forgotten sync) that a sweep over the
//! protocol's scenarios should notice. The mutation score says how much of
//! the protocol the scenarios and checkers really pin down, and each
//! surviving mutant is either equivalent (reviewed by hand) or a gap.
//!
//! - [`mutate`] finds the mutants of a file and writes its schemata;
//! - [`apply`] applies one mutant to a file in place, and reverts it;
//! - [`schemata`] builds the one dsim binary that holds every mutant;
//! - [`sweep`] runs `dsim explore` on one mutant, in rounds of seeds;
//! - [`cost`] judges a survivor by what its runs spent against the
//!   unmutated program's, on the same seeds;
//! - [`results`] keeps the committed results file and the reviewed
//!   equivalents, and [`report`] summarises them.

pub mod apply;
pub mod cost;
pub mod mutate;
pub mod report;
pub mod results;
pub mod schemata;
pub mod sweep;

use std::path::{Path, PathBuf};

/// A protocol's mutable source: every `.rs` file under
/// `protocols/src/NAME` (or `protocols/src/NAME.rs`) except its checker,
/// which is the oracle, in a stable order.
pub fn source_files(repo: &Path, protocol: &str) -> Result<Vec<PathBuf>, String> {
    let dir = repo.join("protocols/src").join(protocol);
    let single = repo.join("protocols/src").join(format!("{protocol}.rs"));
    let mut files = Vec::new();
    if dir.is_dir() {
        collect_rs(&dir, &mut files).map_err(|e| format!("{}: {e}", dir.display()))?;
    } else if single.is_file() {
        files.push(single);
    } else {
        return Err(format!(
            "no protocol `{protocol}`: neither {} nor {} exists",
            dir.display(),
            single.display()
        ));
    }
    files.retain(|f| f.file_name().is_some_and(|n| n != "checker.rs"));
    files.sort();
    Ok(files)
}

fn collect_rs(dir: &Path, out: &mut Vec<PathBuf>) -> std::io::Result<()> {
    for entry in std::fs::read_dir(dir)? {
        let path = entry?.path();
        if path.is_dir() {
            collect_rs(&path, out)?;
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
    Ok(())
}

/// The scenarios a protocol's sweep runs: every `.toml` under
/// `scenarios/NAME/` and its subfolders (the correct twins of the bug
/// scenarios among them), except the seeded bugs' folder `bugs/`, sorted.
pub fn scenario_files(repo: &Path, protocol: &str) -> Result<Vec<PathBuf>, String> {
    let mut files = Vec::new();
    collect_scenarios(&repo.join("scenarios").join(protocol), &mut files)?;
    files.sort();
    Ok(files)
}

fn collect_scenarios(dir: &Path, out: &mut Vec<PathBuf>) -> Result<(), String> {
    let entries = std::fs::read_dir(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    for path in entries.filter_map(|e| e.ok().map(|e| e.path())) {
        if path.is_dir() && !path.ends_with("bugs") {
            collect_scenarios(&path, out)?;
        } else if path.is_file() && path.extension().is_some_and(|e| e == "toml") {
            out.push(path);
        }
    }
    Ok(())
}

/// The path of `file` relative to `repo`, with `/` separators.
pub fn relative(repo: &Path, file: &Path) -> String {
    let rel = file.strip_prefix(repo).unwrap_or(file);
    rel.components().map(|c| c.as_os_str().to_string_lossy()).collect::<Vec<_>>().join("/")
}

/// Every mutant of a protocol, numbered from 1 in file order, with each
/// file's schemata.
pub struct Enumeration {
    pub mutants: Vec<mutate::Mutant>,
    /// (file, schemata source) for every mutated file.
    pub schemata: Vec<(PathBuf, String)>,
}

pub fn enumerate(repo: &Path, protocol: &str) -> Result<Enumeration, String> {
    let mut mutants = Vec::new();
    let mut schemata = Vec::new();
    for file in source_files(repo, protocol)? {
        let source = std::fs::read_to_string(&file).map_err(|e| format!("{}: {e}", file.display()))?;
        let name = relative(repo, &file);
        let m = mutate::mutate(&name, &source, mutants.len() + 1).map_err(|e| {
            let at = e.span().start();
            format!("{name}:{}:{}: cannot parse: {e}", at.line, at.column + 1)
        })?;
        mutants.extend(m.mutants);
        schemata.push((file, m.schemata));
    }
    Ok(Enumeration { mutants, schemata })
}

/// The checker and the scenarios: what judges the mutants. A result
/// recorded under another oracle is stale.
pub fn oracle(repo: &Path, protocol: &str) -> Result<String, String> {
    let mut parts: Vec<Vec<u8>> = Vec::new();
    let checker = repo.join("protocols/src").join(protocol).join("checker.rs");
    parts.push(std::fs::read(&checker).unwrap_or_default());
    for s in scenario_files(repo, protocol)? {
        parts.push(relative(repo, &s).into_bytes());
        parts.push(std::fs::read(&s).map_err(|e| format!("{}: {e}", s.display()))?);
    }
    Ok(fingerprint(&parts.iter().map(Vec::as_slice).collect::<Vec<_>>()))
}

/// The committed results of a protocol's mutants.
pub fn results_path(repo: &Path, protocol: &str) -> PathBuf {
    repo.join("mutants").join(format!("{protocol}.toml"))
}

/// The hand reviews of a protocol's survivors.
pub fn equivalents_path(repo: &Path, protocol: &str) -> PathBuf {
    repo.join("mutants").join(format!("{protocol}-equivalent.toml"))
}

/// `dsim-mutants report`: the Markdown summary of a protocol's committed
/// results and reviews.
pub fn report_of(repo: &Path, protocol: &str) -> Result<String, String> {
    let e = enumerate(repo, protocol)?;
    let results = results::Results::load(&results_path(repo, protocol))?;
    let eq = results::Equivalents::load(&equivalents_path(repo, protocol))?;
    Ok(report::render(protocol, &e.mutants, &results, &oracle(repo, protocol)?, &eq))
}

/// A 64-bit FNV-1a hash, printed in hex: fingerprints in the results file.
pub fn fingerprint(parts: &[&[u8]]) -> String {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for part in parts {
        for b in part.iter().chain(&[0xff]) {
            h = (h ^ u64::from(*b)).wrapping_mul(0x0100_0000_01b3);
        }
    }
    format!("{h:016x}")
}
