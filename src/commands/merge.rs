//! `dsim merge`: one report from the JSON results of several shards.
//!
//! Shards that overlap are refused (exit 2), since their seeds would be
//! counted twice. Missing shards are named on stderr and in the summary,
//! and the exit code is then at least 3: the merged report covers fewer
//! seeds than the sweep it stands for, so "every property held" would be
//! a verdict on seeds that never ran.

use crate::error::{CliError, EXIT_LIMIT};
use reports::shards::{check, Part};
use reports::sweep::Document;
use sim::Diagnostic;
use std::path::{Path, PathBuf};

fn read_document(path: &Path) -> Result<Document, CliError> {
    let shown = path.display().to_string();
    let text = sim::files::read_text(&shown, "sweep result")?;
    let doc: Document = serde_json::from_str(&text).map_err(|e| {
        let offset = crate::commands::replay::offset_of(&text, e.line(), e.column());
        Diagnostic::new(
            &shown,
            &text,
            Some(offset..offset + 1),
            format!("this is not the JSON of dsim explore: {e}"),
        )
    })?;
    if doc.dsim != "sweep" {
        return Err(
            Diagnostic::file(&shown, format!("this is a dsim {}, not a sweep result", doc.dsim)).into()
        );
    }
    Ok(doc)
}

pub fn merge(files: &[PathBuf], json: Option<&Path>, junit: Option<&Path>) -> Result<u8, CliError> {
    super::explore::check_outputs(json, junit)?;
    let docs = files.iter().map(|f| read_document(f)).collect::<Result<Vec<_>, _>>()?;
    let names: Vec<String> = files.iter().map(|f| f.display().to_string()).collect();
    let parts: Vec<Part> = docs
        .iter()
        .zip(&names)
        .flat_map(|(d, file)| d.sweeps.iter().map(move |sweep| Part { file, sweep }))
        .collect();
    let missing = check(&parts).map_err(|e| CliError::Usage(format!("cannot merge: {e}")))?;
    let merged = Document::merge(&docs);
    super::explore::write_outputs(&merged, json, junit)?;
    let mut code = super::explore::exit_code(&merged.sweeps);
    for m in &missing {
        crate::colour::eprint(&format!("warning: incomplete: {}\n", m.describe()));
    }
    if !missing.is_empty() {
        let verb = if missing.len() == 1 { "lacks" } else { "lack" };
        let line = format!(
            "incomplete: {} {verb} shards; see the warnings\n",
            reports::numbers::things(missing.len() as u64, "scenario")
        );
        crate::colour::print(&line, json.or(junit).is_some_and(crate::files::is_stdout));
        code = crate::error::worst(code, EXIT_LIMIT);
    }
    Ok(code)
}
