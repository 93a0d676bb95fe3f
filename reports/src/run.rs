//! The human summary of one run.

use crate::numbers::{metric, seconds, si, thousands};
use sim::{Outcome, RunResult, Status, Time};
use std::fmt::Write;

/// What the caller measured and wrote around the run.
pub struct Context<'a> {
    pub wall_seconds: f64,
    pub repro: Option<&'a str>,
    pub replay_command: Option<String>,
    /// The scenario's `[check] expect`: only these are worth a note when
    /// they do not fire (`None`: every sometimes-property).
    pub expected: Option<&'a [String]>,
}

pub fn summary(r: &RunResult, cx: &Context<'_>) -> String {
    let mut s = String::new();
    let verdict = match r.outcome {
        Outcome::Ok => "ok: every checked property held".to_string(),
        Outcome::Violation => "VIOLATION".to_string(),
        Outcome::Limit => format!("LIMIT: {}", r.limit.as_deref().unwrap_or("a limit was hit")),
    };
    let _ = writeln!(s, "result: {verdict}");
    let row = |s: &mut String, key: &str, value: &str| {
        let _ = writeln!(s, "  {key:<13} {value}");
    };
    row(&mut s, "seed", &r.seed.to_string());
    row(&mut s, "events", &thousands(r.events));
    row(&mut s, "virtual time", &Time(r.virtual_time_ns).to_string());
    row(&mut s, "wall time", &seconds(cx.wall_seconds));
    let rate = if cx.wall_seconds > 0.0 { r.events as f64 / cx.wall_seconds } else { f64::NAN };
    row(&mut s, "events/s", &si(rate));
    row(&mut s, "trace hash", &r.trace_hash);
    let ops = r.operations;
    if ops.invoked > 0 {
        row(
            &mut s,
            "operations",
            &format!(
                "{} invoked: {} ok, {} fail, {} info, {} pending",
                ops.invoked,
                ops.ok,
                ops.fail,
                ops.info,
                ops.pending()
            ),
        );
    }
    let n = r.network;
    row(
        &mut s,
        "messages",
        &format!(
            "{} sent; dropped {} by partitions, {} by loss, {} with no link; {} duplicated",
            thousands(n.sent),
            thousands(n.dropped_partition),
            thousands(n.dropped_loss),
            thousands(n.dropped_no_link),
            thousands(n.duplicated)
        ),
    );
    if let Some(l) = &r.linearizability {
        let how = if l.mode == "online" {
            format!(
                "checked online at every completion (largest frontier: {} configurations)",
                l.peak_frontier
            )
        } else {
            format!(
                "the online check's frontier grew past its bound ({} configurations); checked offline at the end",
                l.peak_frontier
            )
        };
        row(&mut s, "linearizable", &format!("{} model, {how}", l.model));
    }
    let _ = writeln!(s, "properties:");
    let width = r.properties.iter().map(|p| p.name.len()).max().unwrap_or(0);
    for p in &r.properties {
        let _ = writeln!(s, "  {:<width$}  {:<10}  {}", p.name, p.kind.to_string(), p.status);
    }
    if !r.metrics.is_empty() {
        let _ = writeln!(s, "metrics:");
        let width = r.metrics.iter().map(|m| m.name.len()).max().unwrap_or(0);
        for m in &r.metrics {
            let _ = writeln!(s, "  {:<width$}  {}", m.name, metric(m.value, &m.unit));
        }
    }
    if let Some(v) = &r.violation {
        let _ = writeln!(
            s,
            "\n{} ({}) violated at step {}, time {}:\n  {}",
            v.property,
            v.kind,
            thousands(v.step),
            Time(v.time_ns).approx(),
            v.message
        );
    }
    let unfired: Vec<&str> = r
        .properties
        .iter()
        .filter(|p| p.status == Status::NotFired)
        .filter(|p| match cx.expected {
            None => true,
            Some(e) => e.contains(&p.name),
        })
        .map(|p| p.name.as_str())
        .collect();
    if !unfired.is_empty() && r.outcome == Outcome::Ok {
        let _ = writeln!(
            s,
            "\nnote: never fired in this run: {} (the run did not exercise them)",
            unfired.join(", ")
        );
    }
    if let Some(path) = cx.repro {
        let _ = writeln!(s, "\nrepro written to {path}");
    }
    if let Some(cmd) = &cx.replay_command {
        let _ = writeln!(s, "replay it with:  {cmd}");
    }
    s
}
