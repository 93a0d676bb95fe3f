//! The workload: clients invoke operations, complete them or time out, and
//! the history records it all.

use super::{json, stable_hash, tag, Event, Flow, Simulation, TraceKind};
use crate::history::Completion;
use crate::process::ProcessId;
use crate::protocol::{Checker, Client, Protocol};
use crate::time::Span;

impl<P: Protocol> Simulation<'_, '_, P> {
    pub(super) fn invoke(&mut self, client: u32) -> Flow {
        let Some(w) = &mut self.workload else { return Flow::Skip };
        let id = ProcessId::client(client);
        let up = self.clients[client as usize].is_up();
        if self.now >= w.end || self.client_ops[client as usize].pending.is_some() || !up {
            return Flow::Skip;
        }
        if self.history.len() >= self.max_history {
            return Flow::Limit(format!("the history reached its limit of {} events", self.max_history));
        }
        let op = w.generator.next_op(client, &mut w.rng);
        let deadline = self.now + w.timeout;
        let invoke = self.history.invoke(client, op.clone(), self.now);
        if let Some(l) = &mut self.lin {
            l.invoke(invoke, &op);
        }
        self.client_ops[client as usize].pending = Some(invoke);
        self.queue.push(deadline, Event::Deadline { client, invoke });
        self.hash.add([self.now.nanos(), tag::INVOKE, client as u64, stable_hash(&op)]);
        self.trace(TraceKind::Invoke, |l| {
            l.process = Some(id);
            l.detail = op.to_string();
            l.data = json(&op);
        });
        self.checker.on_invoke(&self.history.events[invoke as usize], &mut self.verdicts);
        self.on_client(id, |c, ctx| c.on_invoke(ctx, &op));
        Flow::Step
    }

    pub(super) fn finish_op(&mut self, client: u32, invoke: u32, outcome: Completion) {
        let done = self.history.complete(invoke, outcome, self.now);
        let event = &self.history.events[done as usize];
        self.hash.add([self.now.nanos(), tag::COMPLETE, client as u64, stable_hash(event)]);
        if self.trace.is_some() {
            let (detail, data) =
                (format!("{} {}", format!("{:?}", event.kind).to_lowercase(), event.op), json(event));
            self.trace(TraceKind::Complete, |l| {
                l.process = Some(ProcessId::client(client));
                l.detail = detail;
                l.data = data;
            });
        }
        let (inv, done_event) = (&self.history.events[invoke as usize], &self.history.events[done as usize]);
        if let Some(l) = &mut self.lin {
            l.complete(invoke, done_event);
        }
        self.checker.on_complete(inv, done_event, &mut self.verdicts);
        self.schedule_next_invoke(client);
    }

    /// The client's next operation, after it thinks for a while (none
    /// while it is down: its restart schedules one).
    pub(super) fn schedule_next_invoke(&mut self, client: u32) {
        if !self.clients[client as usize].is_up() {
            return;
        }
        if let Some(w) = &mut self.workload {
            let next = self.now + Span(w.rng.exponential(w.think.nanos()));
            self.queue.push(next, Event::Invoke { client });
        }
    }

    pub(super) fn deadline(&mut self, client: u32, invoke: u32) -> Flow {
        let ops = &mut self.client_ops[client as usize];
        if ops.pending != Some(invoke) {
            return Flow::Skip;
        }
        ops.pending = None;
        self.hash.add([self.now.nanos(), tag::TIMEOUT, client as u64, invoke as u64]);
        let id = ProcessId::client(client);
        self.trace(TraceKind::Timeout, |l| {
            l.process = Some(id);
            l.detail = "the operation timed out: outcome unknown".into();
        });
        self.finish_op(client, invoke, Completion::Info);
        // A completion the client reports now is for an operation that is
        // already over: it is dropped.
        let _late_completion = self.run_client(id, |c, ctx| c.on_timeout(ctx));
        Flow::Step
    }
}
