//! `dsim check`: linearizability of a recorded history.

use crate::error::{CliError, EXIT_LIMIT, EXIT_OK, EXIT_VIOLATION};
use crate::stopwatch::Stopwatch;
use serde_json::json;
use sim::lin::formats::{decode, read, Format, ParseError};
use sim::lin::{check_named, Budget, CheckError, Verdict};
use sim::time::parse_duration;
use sim::Diagnostic;
use std::path::PathBuf;

#[derive(clap::Args, Debug)]
pub struct CheckArgs {
    /// The history: dsim JSON, Jepsen EDN (maps, one per line or in one
    /// vector; history.edn) or Jepsen log lines.
    pub history: PathBuf,
    /// The model: register, cas-register, kv, mutex, set, unordered-queue
    /// or fifo-queue.
    #[arg(long, value_name = "MODEL")]
    pub model: String,
    /// auto, dsim, edn or jepsen-log.
    #[arg(long, default_value = "auto")]
    pub format: String,
    /// Refuse log lines that are not operations, instead of skipping them.
    #[arg(long)]
    pub strict: bool,
    /// Give up after this long (exit code 3).
    #[arg(long, default_value = "10s")]
    pub timeout: String,
    /// Give up after remembering this many configurations (exit code
    /// 3): the bound on the search's memory.
    #[arg(long, value_name = "N", default_value_t = 20_000_000)]
    pub max_configurations: usize,
    /// Print one JSON object instead of text.
    #[arg(long)]
    pub json: bool,
    /// Write one self-contained HTML page: the history as a timeline and,
    /// when it is not linearizable, the longest linearizable order, the
    /// operation that could not be placed and its candidates.
    #[arg(long, value_name = "FILE")]
    pub html: Option<PathBuf>,
}

pub fn check(args: &CheckArgs) -> Result<u8, CliError> {
    let shown = args.history.display().to_string();
    let model = args.model.as_str();
    let format = Format::parse(&args.format).ok_or_else(|| {
        CliError::Usage(format!(
            "unknown history format `{}`; the formats are: {}",
            args.format,
            Format::NAMES.join(", ")
        ))
    })?;
    let timeout = parse_duration(&args.timeout).map_err(|e| CliError::Usage(format!("--timeout: {e}")))?;
    if let Some(p) = &args.html {
        crate::files::check_writable(p, crate::files::HTML)?;
    }
    let bytes = sim::files::read_regular(&args.history, "history", sim::files::MAX_HISTORY_BYTES)?;
    let text = decode(&bytes).map_err(|e| {
        // Up to the bad byte the text is valid, so its line and column are.
        let lossy = String::from_utf8_lossy(bytes.strip_prefix(b"\xef\xbb\xbf").unwrap_or(&bytes));
        diagnostic(&shown, &lossy, e)
    })?;
    let format = format.or_else(|| by_extension(&args.history)).unwrap_or_else(|| Format::detect(text));
    let parsed = read(text, format, args.strict).map_err(|e| diagnostic(&shown, text, e))?;
    let history = &parsed.history;

    let watch = Stopwatch::start();
    let limit = timeout.as_secs_f64();
    let stop = || watch.seconds() >= limit;
    let budget = Budget { stop: Some(&stop), max_memo: args.max_configurations, ..Budget::default() };
    let verdict = check_named(model, history, &budget).map_err(|e| match e {
        CheckError::UnknownModel(_) => CliError::Usage(e.to_string()),
        CheckError::History(h) => {
            Diagnostic::new(&shown, text, parsed.spans.get(h.index).cloned(), h.message).into()
        }
    })?;
    let seconds = watch.seconds();
    if let Some(p) = &args.html {
        let title = format!("dsim check {shown}");
        crate::files::write_output(
            p,
            crate::files::HTML,
            &reports::html::history_page(&title, model, history, &verdict),
        )?;
    }
    let operations = history.events.iter().filter(|e| e.kind == sim::history::EventKind::Invoke).count();
    if args.json {
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
                v["counterexample"] = reports::lin::explain_json(history, ce);
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
            Verdict::NotLinearizable(ce) => {
                print!("{}", reports::text::terminal(&reports::lin::explain(history, model, ce)))
            }
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

/// The format a file's extension names, if it names one.
fn by_extension(path: &std::path::Path) -> Option<Format> {
    match path.extension()?.to_str()? {
        "edn" => Some(Format::Edn),
        "json" => Some(Format::Dsim),
        "log" => Some(Format::JepsenLog),
        _ => None,
    }
}

/// A reading error at its place (or about the whole file, when it has none).
fn diagnostic(path: &str, text: &str, e: ParseError) -> CliError {
    let place = (e.len > 0).then(|| e.offset..e.offset + e.len);
    Diagnostic::new(path, text, place, e.message).into()
}
