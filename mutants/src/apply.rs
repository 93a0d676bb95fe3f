//! One mutant applied to its file in place, and reverted: for looking at a
//! survivor by hand (`dsim-mutants apply ID`, run dsim, `dsim-mutants
//! revert`). Sweeps never use this: they run the schemata build.

use crate::mutate::Mutant;
use std::path::{Path, PathBuf};

/// What `apply` changed, enough to put the file back byte for byte.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Applied {
    pub path: PathBuf,
    pub original: String,
    pub id: String,
}

/// The text of `source` with the mutant applied.
pub fn mutated_text(source: &str, m: &Mutant) -> String {
    format!("{}{}{}", &source[..m.start], m.replacement, &source[m.end..])
}

/// Applies the mutant to `path` (the file it was found in).
pub fn apply(path: &Path, m: &Mutant) -> std::io::Result<Applied> {
    let original = std::fs::read_to_string(path)?;
    std::fs::write(path, mutated_text(&original, m))?;
    Ok(Applied { path: path.to_path_buf(), original, id: m.id.clone() })
}

/// Puts the file back as it was before `apply`.
pub fn revert(applied: &Applied) -> std::io::Result<()> {
    std::fs::write(&applied.path, &applied.original)
}

/// The mutant as a small diff: the line before and after.
pub fn diff(source: &str, m: &Mutant) -> String {
    let line_start = source[..m.start].rfind('\n').map_or(0, |i| i + 1);
    let line_end = source[m.end..].find('\n').map_or(source.len(), |i| m.end + i);
    let before = &source[line_start..line_end];
    let after = format!("{}{}{}", &source[line_start..m.start], m.replacement, &source[m.end..line_end]);
    let mut out = format!("--- {}:{}:{} ({})\n", m.file, m.line, m.column, m.operator);
    for l in before.lines() {
        out += &format!("-{l}\n");
    }
    for l in after.lines() {
        out += &format!("+{l}\n");
    }
    out
}
