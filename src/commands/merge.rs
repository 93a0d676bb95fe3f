//! `dsim merge`: one report from the JSON results of several shards.

use crate::error::CliError;
use reports::sweep::Document;
use sim::Diagnostic;
use std::path::{Path, PathBuf};

fn read_document(path: &Path) -> Result<Document, CliError> {
    let shown = path.display().to_string();
    let text = std::fs::read_to_string(path)
        .map_err(|e| Diagnostic::file(&shown, format!("cannot read it: {e}")))?;
    serde_json::from_str(&text).map_err(|e| {
        let offset = crate::commands::replay::offset_of(&text, e.line(), e.column());
        Diagnostic::new(
            &shown,
            &text,
            Some(offset..offset + 1),
            format!("this is not the JSON of dsim explore: {e}"),
        )
        .into()
    })
}

pub fn merge(files: &[PathBuf], json: Option<&Path>, junit: Option<&Path>) -> Result<u8, CliError> {
    let docs = files.iter().map(|f| read_document(f)).collect::<Result<Vec<_>, _>>()?;
    let merged = Document::merge(&docs);
    super::explore::write_outputs(&merged, json, junit)?;
    Ok(super::explore::exit_code(&merged.sweeps))
}
