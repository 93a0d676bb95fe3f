//! `dsim check`: linearizability of a recorded history.

use crate::error::{CliError, EXIT_LIMIT, EXIT_OK, EXIT_VIOLATION};
use crate::stopwatch::Stopwatch;
use serde_json::json;
use sim::lin::formats::{read_history, Format};
use sim::lin::{check_named, Budget, CheckError, Verdict};
use sim::time::parse_duration;
use sim::Diagnostic;
use std::path::Path;

pub fn check(
    path: &Path,
    model: &str,
    format: &str,
    timeout: &str,
    max_configurations: usize,
    json: bool,
) -> Result<u8, CliError> {
    let shown = path.display().to_string();
    let format = Format::parse(format).ok_or_else(|| {
        CliError::Usage(format!(
            "unknown history format `{format}`; the formats are: {}",
            Format::NAMES.join(", ")
        ))
    })?;
    let timeout = parse_duration(timeout).map_err(|e| CliError::Usage(format!("--timeout: {e}")))?;
    let text = std::fs::read_to_string(path)
        .map_err(|e| Diagnostic::file(&shown, format!("cannot read the history: {e}")))?;
    let format = format.unwrap_or_else(|| Format::detect(&text));
    let history = read_history(&text, format)
        .map_err(|e| Diagnostic::new(&shown, &text, Some(e.offset..e.offset + e.len), e.message))?;

    let watch = Stopwatch::start();
    let limit = timeout.as_secs_f64();
    let stop = || watch.seconds() >= limit;
    let budget = Budget { stop: Some(&stop), max_memo: max_configurations, ..Budget::default() };
    let verdict = check_named(model, &history, &budget).map_err(|e| match e {
        CheckError::UnknownModel(_) => CliError::Usage(e.to_string()),
        CheckError::History(h) => {
            let place = event_span(&text, format, h.index);
            Diagnostic::new(&shown, &text, place, h.message).into()
        }
    })?;
    let seconds = watch.seconds();
    let operations = history.events.iter().filter(|e| e.kind == sim::history::EventKind::Invoke).count();
    if json {
        let mut v = json!({
            "history": shown,
            "model": model,
            "operations": operations,
            "seconds": seconds,
        });
        match &verdict {
            Verdict::Linearizable => v["verdict"] = json!("linearizable"),
            Verdict::NotLinearizable(ce) => {
                v["verdict"] = json!("not-linearizable");
                v["counterexample"] = reports::lin::explain_json(&history, ce);
            }
            Verdict::Unknown { reason } => {
                v["verdict"] = json!("unknown");
                v["reason"] = json!(reason);
            }
        }
        println!("{}", serde_json::to_string_pretty(&v).expect("JSON serializes"));
    } else {
        match &verdict {
            Verdict::Linearizable => println!(
                "linearizable: {operations} operations checked against the {model} model in {}",
                reports::numbers::seconds(seconds)
            ),
            Verdict::NotLinearizable(ce) => print!("{}", reports::lin::explain(&history, model, ce)),
            Verdict::Unknown { reason } => {
                println!("unknown: {reason} (after {})", reports::numbers::seconds(seconds))
            }
        }
    }
    Ok(match verdict {
        Verdict::Linearizable => EXIT_OK,
        Verdict::NotLinearizable(_) => EXIT_VIOLATION,
        Verdict::Unknown { .. } => EXIT_LIMIT,
    })
}

/// Where the `index`-th event of a history is in its text.
fn event_span(text: &str, format: Format, index: usize) -> Option<std::ops::Range<usize>> {
    let mut offset = 0;
    let mut seen = 0;
    for line in text.split_inclusive('\n') {
        let is_event = match format {
            Format::Dsim => line.trim_start().starts_with('{') || line.contains("\"process\""),
            Format::Edn => line.trim_start().starts_with('{') && !line.contains(":nemesis"),
            Format::JepsenLog => line.contains("jepsen.util - ") && !line.contains(":nemesis"),
        };
        if is_event && format != Format::Dsim {
            if seen == index {
                return Some(offset..offset + line.trim_end().len());
            }
            seen += 1;
        }
        offset += line.len();
    }
    None
}
