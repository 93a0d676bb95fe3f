//! Chrome's trace-event JSON of a run, which the Perfetto UI
//! (ui.perfetto.dev, "Open trace file") and chrome://tracing open: a track
//! per process, each handler's step a slice on its track, each message a
//! flow from its send to its delivery, and faults, drops and verdicts as
//! instant events. Times are virtual microseconds.

use serde_json::{json, Value as Json};
use sim::trace::{Kind, TraceLine};
use sim::ProcessId;

/// The slice a step's handler gets: long enough to see and click.
const SLICE_US: f64 = 1.0;

fn us(ns: u64) -> f64 {
    ns as f64 / 1000.0
}

fn tid(p: Option<ProcessId>, servers: u32) -> u64 {
    // Track 0 holds what happens to no process (partitions, the end).
    p.map_or(0, |p| p.dense(servers) as u64 + 1)
}

/// The whole file, beginning with dsim's marker key.
pub fn trace_events(servers: u32, clients: u32, trace: &[TraceLine]) -> String {
    let mut events: Vec<Json> = Vec::with_capacity(trace.len() + 16);
    events.push(json!({ "name": "process_name", "ph": "M", "pid": 1, "args": { "name": "dsim run" } }));
    events.push(json!({ "name": "thread_name", "ph": "M", "pid": 1, "tid": 0, "args": { "name": "network and faults" } }));
    let lanes = (0..servers).map(ProcessId::server).chain((0..clients).map(ProcessId::client));
    for p in lanes {
        let t = tid(Some(p), servers);
        events.push(json!({ "name": "thread_name", "ph": "M", "pid": 1, "tid": t, "args": { "name": p.to_string() } }));
        events.push(json!({ "name": "thread_sort_index", "ph": "M", "pid": 1, "tid": t, "args": { "sort_index": t } }));
    }
    for l in trace {
        let t = tid(l.process, servers);
        let ts = us(l.time_ns);
        let args = json!({ "step": l.step, "detail": l.describe() });
        match l.kind {
            Kind::Send => {
                events.push(json!({ "name": "send", "cat": "message", "ph": "X", "ts": ts, "dur": SLICE_US / 4.0, "pid": 1, "tid": t, "args": args }));
                if let Some(id) = l.msg {
                    events.push(json!({ "name": "message", "cat": "message", "ph": "s", "id": id, "ts": ts, "pid": 1, "tid": t }));
                }
            }
            Kind::Deliver => {
                events.push(json!({ "name": "deliver", "cat": "message", "ph": "X", "ts": ts, "dur": SLICE_US, "pid": 1, "tid": t, "args": args }));
                if let Some(id) = l.msg {
                    events.push(json!({ "name": "message", "cat": "message", "ph": "f", "bp": "e", "id": id, "ts": ts, "pid": 1, "tid": t }));
                }
            }
            Kind::Start | Kind::Timer | Kind::Invoke | Kind::Timeout => {
                events.push(json!({ "name": l.kind.name(), "cat": "step", "ph": "X", "ts": ts, "dur": SLICE_US, "pid": 1, "tid": t, "args": args }));
            }
            Kind::TimerSet
            | Kind::TimerCancel
            | Kind::DiskWrite
            | Kind::DiskSync
            | Kind::Duplicate
            | Kind::Held => {
                // Small facts inside a step: in its slice's arguments would
                // hide them; as instants on the track they stay findable.
                events.push(json!({ "name": l.kind.name(), "cat": "effect", "ph": "i", "s": "t", "ts": ts, "pid": 1, "tid": t, "args": args }));
            }
            Kind::Observe | Kind::Complete => {
                events.push(json!({ "name": l.kind.name(), "cat": "observe", "ph": "i", "s": "t", "ts": ts, "pid": 1, "tid": t, "args": args }));
            }
            Kind::Drop | Kind::Verdict | Kind::End => {
                events.push(json!({ "name": l.kind.name(), "cat": "run", "ph": "i", "s": if l.kind == Kind::Drop { "t" } else { "g" }, "ts": ts, "pid": 1, "tid": t, "args": args }));
            }
            k if k.is_fault() => {
                let scope = if l.process.is_some() { "t" } else { "g" };
                events.push(json!({ "name": k.name(), "cat": "fault", "ph": "i", "s": scope, "ts": ts, "pid": 1, "tid": t, "args": args }));
            }
            _ => {}
        }
    }
    let body = serde_json::to_string(&json!({ "displayTimeUnit": "ns", "traceEvents": events }))
        .expect("JSON serializes");
    // dsim's marker key first, so that the file is recognised as dsim's.
    format!("{{\"dsim\":\"perfetto\",{}\n", &body[1..])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_are_flows_from_send_to_delivery() {
        let (a, b) = (ProcessId::server(0), ProcessId::server(1));
        let mut send = TraceLine::new(1, 1_000, Kind::Send);
        (send.process, send.from, send.to, send.msg) = (Some(a), Some(a), Some(b), Some(7));
        let mut deliver = TraceLine::new(2, 5_000, Kind::Deliver);
        (deliver.process, deliver.from, deliver.to, deliver.msg) = (Some(b), Some(a), Some(b), Some(7));
        let text = trace_events(2, 0, &[send, deliver]);
        assert!(text.starts_with("{\"dsim\":\"perfetto\","));
        let v: Json = serde_json::from_str(&text).unwrap();
        let events = v["traceEvents"].as_array().unwrap();
        let flow: Vec<&Json> = events.iter().filter(|e| e["id"] == 7).collect();
        assert_eq!(flow.len(), 2);
        assert_eq!((flow[0]["ph"].as_str(), flow[0]["tid"].as_u64()), (Some("s"), Some(1)));
        assert_eq!((flow[1]["ph"].as_str(), flow[1]["tid"].as_u64()), (Some("f"), Some(2)));
    }
}
