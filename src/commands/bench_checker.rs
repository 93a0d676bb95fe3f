//! `dsim bench --checker`: the offline linearizability checker on generated
//! histories, from 1,000 to 100,000 operations and 2 to 50 clients, with and
//! without unknown outcomes, linearizable and not, with integer values and
//! with the string appends of Porcupine's key-value histories. Time is the best of
//! `--repeat` checks; memory is the process's peak during the check (reset
//! before it, after the history was built) and how much it grew.

use crate::error::CliError;
use crate::stopwatch::Stopwatch;
use serde_json::json;
use sim::lin::generate::{generate, Spec};
use sim::lin::{check_named, Budget, Verdict};

struct Row {
    spec: Spec,
    seconds: f64,
    peak_bytes: Option<u64>,
    grew_bytes: Option<u64>,
    verdict: &'static str,
}

/// The histories of the table: length, then concurrency, then the harder
/// cases, for both models.
fn specs() -> Vec<Spec> {
    let base = Spec {
        kv: false,
        operations: 10_000,
        clients: 10,
        info_per_mille: 0,
        keys: 1,
        corrupt: false,
        strings: false,
        seed: 1,
    };
    let mut out = Vec::new();
    for operations in [1_000, 10_000, 100_000] {
        out.push(Spec { operations, ..base });
    }
    for clients in [2, 20, 50] {
        out.push(Spec { clients, ..base });
    }
    out.push(Spec { info_per_mille: 50, ..base });
    out.push(Spec { corrupt: true, ..base });
    out.push(Spec { operations: 100_000, corrupt: true, ..base });
    let kv = Spec { kv: true, operations: 100_000, clients: 50, keys: 10, ..base };
    out.push(Spec { operations: 10_000, clients: 10, ..kv });
    out.push(kv);
    out.push(Spec { info_per_mille: 50, ..kv });
    out.push(Spec { corrupt: true, ..kv });
    // String appends, each linearizable history next to its corrupted twin.
    let text = Spec { strings: true, operations: 2_000, ..kv };
    out.push(text);
    out.push(Spec { corrupt: true, ..text });
    let text = Spec { operations: 100_000, ..text };
    out.push(text);
    out.push(Spec { info_per_mille: 50, ..text });
    out.push(Spec { corrupt: true, ..text });
    out
}

fn model(spec: &Spec) -> &'static str {
    match (spec.kv, spec.strings) {
        (true, true) => "kv (strings)",
        (true, false) => "kv",
        _ => "cas-register",
    }
}

fn memory(field: &str) -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with(field))?;
    Some(line.split_whitespace().nth(1)?.parse::<u64>().ok()? * 1024)
}

pub fn bench_checker(repeat: u32, json: bool) -> Result<u8, CliError> {
    let mut rows = Vec::new();
    for spec in specs() {
        let history = generate(&spec);
        let before = memory("VmRSS:");
        let _ = std::fs::write("/proc/self/clear_refs", "5");
        let mut best = f64::INFINITY;
        let mut verdict = "";
        for _ in 0..repeat.max(1) {
            let watch = Stopwatch::start();
            let stop = || watch.seconds() > 60.0;
            let budget = Budget { stop: Some(&stop), ..Budget::default() };
            let name = if spec.kv { "kv" } else { "cas-register" };
            let v = check_named(name, &history, &budget)
                .map_err(|e| CliError::Usage(format!("a generated history did not parse: {e}")))?;
            best = best.min(watch.seconds());
            verdict = match v {
                Verdict::Linearizable => "linearizable",
                Verdict::NotLinearizable(_) => "not linearizable",
                Verdict::Unknown { .. } => "unknown (limit)",
            };
        }
        let peak = memory("VmHWM:");
        rows.push(Row {
            spec,
            seconds: best,
            peak_bytes: peak,
            grew_bytes: peak.zip(before).map(|(p, b)| p.saturating_sub(b)),
            verdict,
        });
    }
    if json {
        let list: Vec<_> = rows
            .iter()
            .map(|r| {
                json!({
                    "model": if r.spec.kv { "kv" } else { "cas-register" },
                    "values": if r.spec.strings { "strings" } else { "integers" },
                    "operations": r.spec.operations,
                    "clients": r.spec.clients,
                    "keys": r.spec.keys,
                    "info_per_mille": r.spec.info_per_mille,
                    "corrupted": r.spec.corrupt,
                    "verdict": r.verdict,
                    "seconds": r.seconds,
                    "peak_memory_bytes": r.peak_bytes,
                    "memory_growth_bytes": r.grew_bytes,
                })
            })
            .collect();
        println!("{}", serde_json::to_string_pretty(&json!({ "checker": list })).expect("JSON serializes"));
        return Ok(0);
    }
    println!("dsim bench --checker: offline linearizability check, one core, best of {repeat}\n");
    println!(
        "  {:<13} {:>8} {:>8} {:>5} {:>6} {:<17} {:>10} {:>10} {:>9}",
        "model", "ops", "clients", "keys", "info", "verdict", "time", "peak mem", "growth"
    );
    for r in &rows {
        let mb = |b: Option<u64>| b.map_or("-".to_string(), |b| format!("{:.1} MB", b as f64 / 1e6));
        println!(
            "  {:<13} {:>8} {:>8} {:>5} {:>5}% {:<17} {:>10} {:>10} {:>9}",
            model(&r.spec),
            reports::numbers::thousands(r.spec.operations as u64),
            r.spec.clients,
            r.spec.keys,
            r.spec.info_per_mille / 10,
            r.verdict,
            format_time(r.seconds),
            mb(r.peak_bytes),
            mb(r.grew_bytes),
        );
    }
    Ok(0)
}

fn format_time(s: f64) -> String {
    if s < 1.0 {
        format!("{:.1} ms", s * 1e3)
    } else {
        format!("{s:.2} s")
    }
}
