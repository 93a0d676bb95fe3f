//! The data a report page draws, as compact JSON: the lanes, the records
//! of the trace in a window around the violation (arrays, not objects),
//! the intervals during which a partition cut a lane or a process was down
//! or paused, and the clients' history with the linearizability
//! counterexample.

use serde_json::{json, Value as Json};
use sim::fault::{FaultAction, TimedFault};
use sim::history::{EventKind, History};
use sim::lin::Counterexample;
use sim::network::Partition;
use sim::trace::{Kind, TraceLine};
use sim::ProcessId;

/// The most records a page holds; beyond it, the records nearest the
/// violation are kept (the JSON trace has them all).
pub const MAX_RECORDS: usize = 40_000;
/// Records a payload's text is cut to in the page.
pub const MAX_DETAIL: usize = 240;
/// Records the diagram shows at first, around the violation.
pub const DEFAULT_VIEW: usize = 600;

/// What a page is drawn from.
pub struct Input<'a> {
    pub servers: u32,
    pub clients: u32,
    pub trace: &'a [TraceLine],
    pub faults: &'a [TimedFault],
    pub history: &'a History,
    pub counterexample: Option<&'a Counterexample>,
    /// The violation's step and time, if any.
    pub violation: Option<(u64, u64)>,
    /// The end of the run (virtual ns).
    pub end_ns: u64,
}

/// The lanes: servers, then clients.
pub fn lanes(servers: u32, clients: u32) -> Vec<ProcessId> {
    (0..servers).map(ProcessId::server).chain((0..clients).map(ProcessId::client)).collect()
}

fn lane(p: Option<ProcessId>, servers: u32, count: usize) -> i64 {
    match p {
        Some(p) if p.dense(servers) < count => p.dense(servers) as i64,
        _ => -1,
    }
}

fn cut(text: &str) -> String {
    if text.len() <= MAX_DETAIL {
        return text.to_string();
    }
    let mut end = MAX_DETAIL;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}…", &text[..end])
}

/// The records kept: at most [`MAX_RECORDS`], nearest the violation (or
/// the end). Returns the range of indices into `trace`.
pub fn kept(trace: &[TraceLine], violation_step: Option<u64>) -> std::ops::Range<usize> {
    if trace.len() <= MAX_RECORDS {
        return 0..trace.len();
    }
    let centre = match violation_step {
        Some(step) => trace.partition_point(|l| l.step < step),
        None => trace.len(),
    };
    // Most of what explains a violation comes before it.
    let after = (MAX_RECORDS / 10).min(trace.len() - centre.min(trace.len()));
    let end = (centre + after).min(trace.len());
    let start = end.saturating_sub(MAX_RECORDS);
    start..end
}

/// The time span the diagram shows first: about [`DEFAULT_VIEW`] records
/// up to and a little past the violation, or everything in a short run.
pub fn default_view(trace: &[TraceLine], violation: Option<(u64, u64)>, end_ns: u64) -> (u64, u64) {
    if trace.len() <= DEFAULT_VIEW {
        return (0, end_ns.max(1));
    }
    let centre = match violation {
        Some((step, _)) => trace.partition_point(|l| l.step < step).min(trace.len() - 1),
        None => trace.len() - 1,
    };
    let first = centre.saturating_sub(DEFAULT_VIEW * 9 / 10);
    let last = (centre + DEFAULT_VIEW / 10).min(trace.len() - 1);
    let (lo, hi) = (trace[first].time_ns, trace[last].time_ns);
    (lo, hi.max(lo + 1))
}

/// Intervals of the run during which something held: `(start, end, lane,
/// label)`, from the fault schedule.
fn intervals(faults: &[TimedFault], everyone: &[ProcessId], servers: u32, end_ns: u64) -> Json {
    let count = everyone.len();
    let mut down: Vec<Json> = Vec::new();
    let mut paused: Vec<Json> = Vec::new();
    let mut cuts: Vec<Json> = Vec::new();
    let mut clocks: Vec<Json> = Vec::new();
    let close =
        |open: &mut Vec<(ProcessId, u64)>, p: Option<ProcessId>, at: u64, out: &mut Vec<Json>, what: &str| {
            open.retain(|(q, since)| {
                if p.is_none() || p == Some(*q) {
                    out.push(json!([since, at, lane(Some(*q), servers, count), what]));
                    false
                } else {
                    true
                }
            });
        };
    let mut open_down: Vec<(ProcessId, u64)> = Vec::new();
    let mut open_paused: Vec<(ProcessId, u64)> = Vec::new();
    let mut open_cuts: Vec<(u32, u64, Vec<Json>, String)> = Vec::new();
    for f in faults {
        let at = f.at.nanos();
        match &f.action {
            FaultAction::Crash { node } | FaultAction::CrashForGood { node } => {
                close(&mut open_paused, Some(*node), at, &mut paused, "paused");
                if !open_down.iter().any(|(q, _)| q == node) {
                    open_down.push((*node, at));
                }
            }
            FaultAction::Restart { node } => close(&mut open_down, Some(*node), at, &mut down, "down"),
            FaultAction::Pause { node }
                if !open_paused.iter().any(|(q, _)| q == node)
                    && !open_down.iter().any(|(q, _)| q == node) =>
            {
                open_paused.push((*node, at));
            }
            FaultAction::Resume { node } => close(&mut open_paused, Some(*node), at, &mut paused, "paused"),
            FaultAction::Partition { id, partition } => {
                // Each side of the cut gets its own shade; a process on no
                // side (the bridge, one left out of every group) none.
                let sides: Vec<&[ProcessId]> = match partition {
                    Partition::Groups { groups } => groups.iter().map(|g| g.as_slice()).collect(),
                    Partition::Isolate { node } => vec![std::slice::from_ref(node)],
                    Partition::Bridge { left, right, .. } => vec![left, right],
                    Partition::OneWay { from, to } => vec![from, to],
                };
                let lanes: Vec<Json> = sides
                    .iter()
                    .enumerate()
                    .flat_map(|(side, ps)| ps.iter().map(move |p| (side, *p)))
                    .map(|(side, p)| json!([lane(Some(p), servers, count), side % 4]))
                    .filter(|l| l[0].as_i64().unwrap_or(-1) >= 0)
                    .collect();
                open_cuts.push((*id, at, lanes, format!("partition #{id}: {partition}")));
            }
            FaultAction::Heal { id } => {
                open_cuts.retain(|(i, since, lanes, label)| {
                    if i == id {
                        cuts.push(json!([since, at, lanes, label]));
                    }
                    i != id
                });
            }
            FaultAction::HealAll | FaultAction::Settle => {
                for (_, since, lanes, label) in open_cuts.drain(..) {
                    cuts.push(json!([since, at, lanes, label]));
                }
                if matches!(f.action, FaultAction::Settle) {
                    close(&mut open_down, None, at, &mut down, "down");
                    close(&mut open_paused, None, at, &mut paused, "paused");
                }
            }
            FaultAction::Clock { node, .. } => {
                clocks.push(json!([at, lane(Some(*node), servers, count), f.action.to_string()]))
            }
            _ => {}
        }
    }
    close(&mut open_down, None, end_ns, &mut down, "down");
    close(&mut open_paused, None, end_ns, &mut paused, "paused");
    for (_, since, lanes, label) in open_cuts {
        cuts.push(json!([since, end_ns, lanes, label]));
    }
    json!({ "down": down, "paused": paused, "cuts": cuts, "clocks": clocks })
}

/// The history as operations: `[lane, invoked_ns, completed_ns|null,
/// outcome, text, index]`, outcome one of ok, fail, info, pending.
fn operations(history: &History, servers: u32) -> Json {
    let mut ops = Vec::new();
    let mut done: Vec<Option<usize>> = vec![None; history.events.len()];
    for (i, e) in history.events.iter().enumerate() {
        if let Some(inv) = e.invoke {
            if let Some(slot) = done.get_mut(inv as usize) {
                *slot = Some(i);
            }
        }
    }
    for (i, e) in history.events.iter().enumerate() {
        if e.kind != EventKind::Invoke {
            continue;
        }
        let end = done[i].map(|d| &history.events[d]);
        let outcome = match end.map(|d| d.kind) {
            Some(EventKind::Ok) => "ok",
            Some(EventKind::Fail) => "fail",
            Some(EventKind::Info) => "info",
            _ => "pending",
        };
        let key = e.op.key.map_or(String::new(), |k| format!(" {}", history.key_name(k)));
        let input = match e.op.value {
            sim::Value::Nil => String::new(),
            ref v => format!(" {v}"),
        };
        let output = match end {
            Some(d) if d.kind == EventKind::Ok => format!(" -> {}", d.op.value),
            _ => String::new(),
        };
        let text = cut(&format!("{}{key}{input}{output}", e.op.f));
        let lane = servers as u64 + e.process as u64;
        ops.push(json!([lane, e.time_ns, end.map(|d| d.time_ns), outcome, text, i]));
    }
    Json::Array(ops)
}

/// Everything the page's script draws.
pub fn build(input: &Input<'_>) -> Json {
    let everyone = lanes(input.servers, input.clients);
    let count = everyone.len();
    let range = kept(input.trace, input.violation.map(|v| v.0));
    let trace = &input.trace[range.clone()];
    let records: Vec<Json> = trace
        .iter()
        .map(|l| {
            let mut row = vec![
                json!(l.step),
                json!(l.time_ns),
                json!(l.kind as u8),
                json!(lane(l.process, input.servers, count)),
                json!(lane(l.from, input.servers, count)),
                json!(lane(l.to, input.servers, count)),
                json!(l.msg),
                json!(l.sent_ns.or(l.due_ns)),
                json!(cut(&l.describe())),
            ];
            if l.kind == Kind::Drop {
                row.push(json!(l.reason.map(|r| r.name())));
            }
            Json::Array(row)
        })
        .collect();
    let (view_lo, view_hi) = default_view(trace, input.violation, input.end_ns);
    let counterexample = input.counterexample.map(|ce| {
        json!({
            "prefix": ce.prefix,
            "blocked": ce.blocked,
            "candidates": ce.candidates,
            "state": ce.state,
            "key": ce.key.map(|k| input.history.key_name(k)),
        })
    });
    json!({
        "lanes": everyone.iter().map(|p| p.to_string()).collect::<Vec<_>>(),
        "servers": input.servers,
        "kinds": Kind::ALL.iter().map(|k| k.name()).collect::<Vec<_>>(),
        "records": records,
        "omitted": { "before": range.start, "after": input.trace.len() - range.end },
        "end_ns": input.end_ns,
        "violation": input.violation.map(|(step, t)| json!({ "step": step, "time_ns": t })),
        "view": [view_lo, view_hi],
        "spans": intervals(input.faults, &everyone, input.servers, input.end_ns),
        "operations": operations(input.history, input.servers),
        "counterexample": counterexample,
    })
}
