//! The trace points of the engine: what each step did, recorded only when
//! a trace was asked for. Every method here costs one test of `self.trace`
//! when the run is not traced, and none of them touches the trace hash, so
//! tracing a run leaves its hash unchanged.

use super::{json, Event, Simulation};
use crate::named::NamedSet;
use crate::network::Route;
use crate::process::ProcessId;
use crate::protocol::Protocol;
use crate::trace::{DropReason, Kind, TraceLine, TraceSink};
use std::collections::BTreeMap;

/// The state of a traced run besides its sink.
pub(crate) struct Tracer<'t> {
    sink: &'t mut dyn TraceSink,
    /// The message id of each delivery waiting in the queue, by its queue
    /// sequence number, and whether it is the network's second copy.
    /// Only traced runs keep it, so untraced events stay as small as they
    /// were.
    in_flight: BTreeMap<u64, (u64, bool)>,
    /// Which sometimes-properties were reported as fired.
    fired: Vec<bool>,
    violation_reported: bool,
}

impl<'t> Tracer<'t> {
    pub fn new(sink: &'t mut dyn TraceSink, properties: usize) -> Self {
        Tracer { sink, in_flight: BTreeMap::new(), fired: vec![false; properties], violation_reported: false }
    }
}

impl<P: Protocol> Simulation<'_, '_, P> {
    /// Records one line of kind `kind` in the current step, filled in by `f`.
    /// The test is inlined; the record's making is not, so that the
    /// handlers' hot paths stay as small as in an untraced build.
    #[inline(always)]
    pub(super) fn trace(&mut self, kind: Kind, f: impl FnOnce(&mut TraceLine)) {
        if self.trace.is_some() {
            self.record(self.step + 1, kind, f);
        }
    }

    #[cold]
    #[inline(never)]
    fn record(&mut self, step: u64, kind: Kind, f: impl FnOnce(&mut TraceLine)) {
        if let Some(t) = &mut self.trace {
            let mut line = TraceLine::new(step, self.now.nanos(), kind);
            f(&mut line);
            t.sink.record(line);
        }
    }

    /// The message id of the delivery popped with queue sequence `seq`,
    /// and whether it is a second copy.
    pub(super) fn message_id(&mut self, seq: u64, keep: bool) -> (Option<u64>, bool) {
        let Some(t) = &mut self.trace else { return (None, false) };
        let found = if keep { t.in_flight.get(&seq).copied() } else { t.in_flight.remove(&seq) };
        found.map_or((None, false), |(id, copy)| (Some(id), copy))
    }

    /// A deferred delivery went back into the queue under a new sequence.
    pub(super) fn message_requeued(&mut self, old: u64, new: u64) {
        if let Some(t) = &mut self.trace {
            if let Some(v) = t.in_flight.remove(&old) {
                t.in_flight.insert(new, v);
            }
        }
    }

    /// `send` of a traced run: the same route and queue pushes, and the
    /// records of the send, its duplicate or its drop.
    #[cold]
    #[inline(never)]
    pub(super) fn send_traced(&mut self, from: ProcessId, to: ProcessId, msg: P::Message) {
        let route = self.net.route(&mut self.net_rng, from, to);
        let payload = (format!("{msg:?}"), json(&msg));
        match route {
            Route::Deliver { delay, duplicate } => {
                let sent_at = self.now;
                let copy = duplicate.map(|extra| {
                    let copy = Event::Deliver { to, from, sent_at, msg: msg.clone() };
                    (self.now + extra, self.queue.push(self.now + extra, copy))
                });
                let seq = self.queue.push(self.now + delay, Event::Deliver { to, from, sent_at, msg });
                self.trace_send(payload, from, to, self.now + delay, seq, copy);
            }
            Route::Drop(reason) => self.trace_dropped_send(payload, from, to, reason),
        }
    }

    /// A delivery, or a drop when the receiver is down.
    #[cold]
    #[inline(never)]
    pub(super) fn trace_delivery(
        &mut self,
        to: ProcessId,
        from: ProcessId,
        sent_at: crate::time::Time,
        msg: &P::Message,
        up: bool,
    ) {
        let (id, copy) = self.message_id(self.queue.popped(), false);
        let kind = if up { Kind::Deliver } else { Kind::Drop };
        self.trace(kind, |l| {
            l.process = Some(to);
            l.from = Some(from);
            l.to = Some(to);
            l.msg = id;
            l.copy = copy;
            l.sent_ns = Some(sent_at.nanos());
            l.reason = (!up).then_some(DropReason::ReceiverDown);
            l.detail = format!("{msg:?}");
            l.data = json(msg);
        });
    }

    /// A send the network accepted: its delivery (and a copy's) are queued.
    fn trace_send(
        &mut self,
        (detail, data): (String, serde_json::Value),
        from: ProcessId,
        to: ProcessId,
        due: crate::time::Time,
        seq: u64,
        copy: Option<(crate::time::Time, u64)>,
    ) {
        let id = self.net.stats.sent;
        if let Some(t) = &mut self.trace {
            t.in_flight.insert(seq, (id, false));
            if let Some((_, copy_seq)) = copy {
                t.in_flight.insert(copy_seq, (id, true));
            }
        }
        self.trace(Kind::Send, |l| {
            l.process = Some(from);
            l.from = Some(from);
            l.to = Some(to);
            l.msg = Some(id);
            l.due_ns = Some(due.nanos());
            l.detail = detail.clone();
            l.data = data;
        });
        if let Some((at, _)) = copy {
            self.trace(Kind::Duplicate, |l| {
                l.process = Some(from);
                l.from = Some(from);
                l.to = Some(to);
                l.msg = Some(id);
                l.due_ns = Some(at.nanos());
                l.detail = detail;
            });
        }
    }

    /// A timer set (the timer is already among the owner's pending ones).
    #[cold]
    #[inline(never)]
    pub(super) fn trace_timer_set(&mut self, me: ProcessId, id: u64, due: crate::time::Time, replaces: bool) {
        let timers = if me.is_server() {
            &self.servers[me.index() as usize].timers
        } else {
            &self.clients[me.index() as usize].timers
        };
        let Some(timer) = timers.iter().find(|t| t.id == id).map(|t| &t.timer) else { return };
        let (detail, data) = (format!("{timer:?}"), json(timer));
        self.trace(Kind::TimerSet, |l| {
            l.process = Some(me);
            l.timer = Some(id);
            l.due_ns = Some(due.nanos());
            l.detail = if replaces { format!("{detail} (replaces the pending one)") } else { detail };
            l.data = data;
        });
    }

    /// The observation just emitted (the last of the step's).
    #[cold]
    #[inline(never)]
    pub(super) fn trace_observation(&mut self) {
        let Some(o) = self.obs.last() else { return };
        let (from, detail) = (o.from, format!("{:?}", o.obs));
        self.trace(Kind::Observe, |l| {
            l.process = Some(from);
            l.detail = detail;
        });
    }

    /// A send the network dropped at once.
    fn trace_dropped_send(
        &mut self,
        (detail, data): (String, serde_json::Value),
        from: ProcessId,
        to: ProcessId,
        reason: crate::network::DropReason,
    ) {
        let id = self.net.stats.sent;
        self.trace(Kind::Drop, |l| {
            l.process = Some(from);
            l.from = Some(from);
            l.to = Some(to);
            l.msg = Some(id);
            l.reason = Some(reason.into());
            l.detail = detail;
            l.data = data;
        });
    }

    /// An event that arrived for a paused process, waiting for its resume.
    pub(super) fn trace_held(&mut self, p: ProcessId, event: &Event<P>, seq: u64) {
        if self.trace.is_none() {
            return;
        }
        let (msg, _) = self.message_id(seq, true);
        let from = match event {
            Event::Deliver { from, .. } => Some(*from),
            _ => None,
        };
        let what = match event {
            Event::Deliver { msg, .. } => format!("{msg:?}"),
            Event::Timer { .. } => "a timer".to_string(),
            Event::Invoke { .. } => "the next operation".to_string(),
            Event::Deadline { .. } => "the operation's timeout".to_string(),
            _ => String::new(),
        };
        self.trace(Kind::Held, |l| {
            l.process = Some(p);
            l.from = from;
            l.to = from.map(|_| p);
            l.msg = msg;
            l.detail = what;
        });
    }

    /// Deliveries that waited for a process that crashed: they are lost.
    pub(super) fn trace_lost_with_crash(&mut self, p: ProcessId, deferred: &[(u64, Event<P>)]) {
        if self.trace.is_none() {
            return;
        }
        for (seq, event) in deferred {
            if let Event::Deliver { from, sent_at, msg, .. } = event {
                let (id, copy) = self.message_id(*seq, false);
                self.trace(Kind::Drop, |l| {
                    l.process = Some(p);
                    l.from = Some(*from);
                    l.to = Some(p);
                    l.msg = id;
                    l.copy = copy;
                    l.sent_ns = Some(sent_at.nanos());
                    l.reason = Some(DropReason::ReceiverCrashed);
                    l.detail = format!("{msg:?}");
                    l.data = json(msg);
                });
            }
        }
    }

    /// Properties whose verdict changed in this step: a sometimes-property
    /// that fired for the first time, the violation that ends the run.
    #[cold]
    #[inline(never)]
    pub(super) fn trace_verdicts(&mut self) {
        let Some(t) = &mut self.trace else { return };
        let mut changed = Vec::new();
        for (i, q) in P::Property::ALL.iter().enumerate() {
            if !t.fired[i] && self.verdicts.is_enabled(*q) && self.verdicts.has_fired(*q) {
                t.fired[i] = true;
                changed.push((q.spec(), "fired".to_string(), String::new()));
            }
        }
        if !t.violation_reported {
            if let Some((q, message)) = self.verdicts.violation() {
                t.violation_reported = true;
                changed.push((q.spec(), "violated".to_string(), message.to_string()));
            }
        }
        let lin_failed = self.lin.as_ref().is_some_and(|l| l.failed());
        if lin_failed && !t.violation_reported {
            t.violation_reported = true;
            changed.push((
                &super::LINEARIZABLE_SPEC,
                "violated".to_string(),
                "the history stopped being linearizable at this completion".to_string(),
            ));
        }
        for (spec, status, message) in changed {
            self.trace_verdict(spec.name, spec.kind, &status, &message);
        }
    }

    /// A verdict that changed in the step just counted (`self.step`).
    fn trace_verdict(&mut self, name: &str, kind: crate::property::Kind, status: &str, message: &str) {
        self.record(self.step, Kind::Verdict, |l| {
            Self::fill_verdict(l, name, kind, status, message);
        });
    }

    /// The final verdict of every property, after the last step (with the
    /// violation's message on the one violated).
    pub(super) fn trace_final_verdicts(
        &mut self,
        properties: &[crate::property::PropertyVerdict],
        violation: Option<&crate::result::Violation>,
    ) {
        let Some(t) = &mut self.trace else { return };
        let step = match violation {
            Some(v) => v.step,
            None => self.step,
        };
        for p in properties {
            let status = serde_json::to_value(p.status).ok();
            let status = status.as_ref().and_then(|s| s.as_str()).unwrap_or("?");
            let message = violation.filter(|v| v.property == p.name).map_or("", |v| v.message.as_str());
            let mut line = TraceLine::new(step, self.now.nanos(), Kind::Verdict);
            Self::fill_verdict(&mut line, &p.name, p.kind, status, message);
            line.data["final"] = serde_json::Value::Bool(true);
            t.sink.record(line);
        }
    }

    fn fill_verdict(l: &mut TraceLine, name: &str, kind: crate::property::Kind, status: &str, message: &str) {
        l.detail = if message.is_empty() {
            format!("{name} ({kind}) {status}")
        } else {
            format!("{name} ({kind}) {status}: {message}")
        };
        l.data = serde_json::json!({ "property": name, "kind": kind, "status": status, "message": message });
    }
}
