//! Machine-readable summaries. Field names are a stable interface: add
//! fields, never rename them.

use serde_json::{json, Value};
use sim::RunResult;

/// One run as a JSON object.
pub fn run(r: &RunResult, wall_seconds: Option<f64>, repro: Option<&str>) -> Value {
    let metrics: serde_json::Map<String, Value> =
        r.metrics.iter().map(|m| (m.name.clone(), json!({ "value": m.value, "unit": m.unit }))).collect();
    let properties: Vec<Value> =
        r.properties.iter().map(|p| json!({ "name": p.name, "kind": p.kind, "status": p.status })).collect();
    let mut out = json!({
        "scenario": r.scenario,
        "protocol": r.protocol,
        "bug": r.bug,
        "seed": r.seed,
        "outcome": r.outcome,
        "events": r.events,
        "virtual_time_ns": r.virtual_time_ns,
        "trace_hash": r.trace_hash,
        "violation": r.violation,
        "limit": r.limit,
        "repro": repro,
        "properties": properties,
        "metrics": metrics,
        "operations": r.operations,
        "network": r.network,
        "linearizability": r.linearizability.as_ref().map(|l| json!({
            "model": l.model,
            "mode": l.mode,
            "peak_frontier": l.peak_frontier,
            "verdict": match &l.verdict {
                sim::lin::Verdict::Linearizable => "linearizable",
                sim::lin::Verdict::NotLinearizable(_) => "not-linearizable",
                sim::lin::Verdict::Unknown { .. } => "unknown",
            },
        })),
    });
    if let Some(w) = wall_seconds {
        out["wall_time_s"] = json!(w);
        out["events_per_s"] = json!(if w > 0.0 { r.events as f64 / w } else { 0.0 });
    }
    out
}
