//! Linearizability verdicts, explained: the longest linearizable order
//! found, the operation that could not be placed after it, and the
//! operations that could have come first, with their times.

use serde_json::{json, Value as Json};
use sim::history::{EventKind, History};
use sim::lin::Counterexample;
use sim::Time;
use std::fmt::Write;

/// Last operations of the prefix shown in text.
const PREFIX_SHOWN: usize = 8;

/// One operation of a history, found by its invocation's position.
pub fn operation(history: &History, call: u64) -> Json {
    let Some(inv) = history.events.get(call as usize) else { return Json::Null };
    let done =
        history.events.iter().skip(call as usize + 1).find(|e| e.invoke == Some(call as u32)).or_else(|| {
            history
                .events
                .iter()
                .skip(call as usize + 1)
                .find(|e| e.process == inv.process && e.kind != EventKind::Invoke)
        });
    json!({
        "index": call,
        "process": inv.process,
        "f": inv.op.f,
        "key": inv.op.key.map(|k| history.key_value(k)),
        "value": inv.op.value,
        "outcome": done.map(|d| d.kind),
        "output": done.filter(|d| d.kind == EventKind::Ok).map(|d| &d.op.value),
        "invoked_ns": inv.time_ns,
        "completed_ns": done.map(|d| d.time_ns),
    })
}

/// One operation as a line of text. Processes, keys and values are shown
/// as the history names and wrote them (see `sim::history::Names`).
pub fn operation_line(history: &History, call: u64) -> String {
    let Some(inv) = history.events.get(call as usize) else {
        return format!("event #{call} (not in the history)");
    };
    let done = history.events[call as usize + 1..]
        .iter()
        .find(|e| e.kind != EventKind::Invoke && (e.invoke == Some(call as u32) || e.process == inv.process));
    let key = inv.op.key.map_or(String::new(), |k| format!(" {}", history.key_name(k)));
    let output = match done {
        Some(d) if d.kind == EventKind::Ok => format!(" -> {}", d.op.value),
        Some(d) => format!(" ({:?})", d.kind).to_lowercase(),
        None => " (pending)".to_string(),
    };
    let invoked = inv.time_ns;
    let completed = done.map(|d| d.time_ns);
    // Histories without times (Jepsen logs) order events by position only.
    let times = if invoked == 0 && completed.unwrap_or(0) == 0 {
        String::new()
    } else {
        format!(
            "   invoked {}, completed {}",
            Time(invoked).approx(),
            completed.map_or("never".to_string(), |t| Time(t).approx())
        )
    };
    let input = if inv.op.value == sim::Value::Nil { String::new() } else { format!(" {}", inv.op.value) };
    let process = history.process_name(inv.process);
    format!("event #{call:<5} {process:<4} {}{key}{input}{output}{times}", inv.op.f)
}

pub fn explain(history: &History, model: &str, ce: &Counterexample) -> String {
    let mut s = String::new();
    let key = ce.key.map_or(String::new(), |k| format!(" on {}", history.key_name(k)));
    let _ = writeln!(s, "NOT linearizable (model {model}){key}");
    let _ = writeln!(
        s,
        "  the longest linearizable order found places {}; after them the {model} holds {}",
        crate::numbers::things(ce.prefix.len() as u64, "operation"),
        ce.state
    );
    let _ = writeln!(
        s,
        "  this operation could not be placed next:\n    {}",
        operation_line(history, ce.blocked)
    );
    if !ce.candidates.is_empty() {
        let _ = writeln!(s, "  operations that could have come before it, none of which lets it through:");
        for c in &ce.candidates {
            let _ = writeln!(s, "    {}", operation_line(history, *c));
        }
    }
    if !ce.prefix.is_empty() {
        let skip = ce.prefix.len().saturating_sub(PREFIX_SHOWN);
        let _ = writeln!(
            s,
            "  the end of that order{}:",
            if skip > 0 { format!(" (last {PREFIX_SHOWN})") } else { String::new() }
        );
        for c in &ce.prefix[skip..] {
            let _ = writeln!(s, "    {}", operation_line(history, *c));
        }
    }
    s
}

pub fn explain_json(history: &History, ce: &Counterexample) -> Json {
    json!({
        "key": ce.key.map(|k| history.key_value(k)),
        "state_after_prefix": ce.state,
        "prefix_length": ce.prefix.len(),
        "prefix": ce.prefix.iter().map(|c| operation(history, *c)).collect::<Vec<_>>(),
        "blocked": operation(history, ce.blocked),
        "candidates": ce.candidates.iter().map(|c| operation(history, *c)).collect::<Vec<_>>(),
    })
}
