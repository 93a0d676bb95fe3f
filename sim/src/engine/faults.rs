//! Faults as they strike: crashes, restarts, pauses and clock changes of
//! any process (servers and clients alike), partitions and degraded links.

use super::{json, stable_hash, tag, world_view, Event, Simulation, TraceKind, World};
use crate::fault::{FaultAction, TimedFault};
use crate::history::Completion;
use crate::process::ProcessId;
use crate::protocol::{Checker, Protocol};

impl<P: Protocol> Simulation<'_, '_, P> {
    /// Draws the schedule's next fault and queues it.
    pub(super) fn schedule_next_fault(&mut self) {
        if let Some(fault) = self.upcoming.next() {
            self.queue_fault(fault, true);
        }
    }

    /// Queues a fault. Faults rank after the starts (one per server) and
    /// among themselves in the order they were queued, so they strike
    /// before anything else of their instant. A replay queues the faults
    /// of its schedule one by one in the order they struck, so ranks keep
    /// that order whether a fault came from the schedule or a trigger.
    fn queue_fault(&mut self, fault: TimedFault, scheduled: bool) {
        let rank = self.next_fault_rank;
        self.next_fault_rank += 1;
        self.queue.push_early(fault.at, rank, Event::Fault { rank });
        self.pending_faults.insert(rank, (fault, scheduled));
    }

    /// Strikes the fault queued under `rank`.
    pub(super) fn strike(&mut self, rank: u64) -> super::Flow {
        let Some((fault, scheduled)) = self.pending_faults.remove(&rank) else {
            return super::Flow::Skip;
        };
        self.faults.push(fault);
        self.apply_fault(self.faults.len() - 1);
        if scheduled {
            self.schedule_next_fault();
        }
        super::Flow::Step
    }

    /// Hands an observation to the triggers; queues what they fire.
    pub(super) fn observed(&mut self, me: ProcessId, obs: &P::Observation) {
        let Some(mut triggers) = self.triggers.take() else { return };
        let debug = crate::trigger::leading_identifier(obs);
        let down = || {
            let crashed = self.servers.iter().filter(|s| !s.is_up()).count();
            let coming = self
                .pending_faults
                .values()
                .filter(|(f, _)| {
                    matches!(f.action, FaultAction::Crash { node } | FaultAction::CrashForGood { node } if node.is_server())
                })
                .count();
            (crashed + coming) as u32
        };
        let mut fired = Vec::new();
        triggers.observed(self.now, me, &debug, &down, &mut fired);
        self.triggers = Some(triggers);
        for fault in fired {
            self.queue_fault(fault, false);
        }
    }

    /// The faults that struck, and the settle if the run stopped before it
    /// (so a repro or a shrunk schedule still heals and settles).
    pub(super) fn faults_struck(&mut self) -> Vec<TimedFault> {
        let mut faults = std::mem::take(&mut self.faults);
        if !faults.iter().any(|f| f.action == FaultAction::Settle) {
            faults.extend(self.upcoming.settle().cloned());
        }
        faults
    }

    pub(super) fn apply_fault(&mut self, index: usize) {
        let action = self.faults[index].action.clone();
        let cause = self.faults[index].source.cause();
        self.hash.add([self.now.nanos(), tag::FAULT, index as u64, stable_hash(&action)]);
        self.trace(TraceKind::of_fault(&action), |l| {
            l.process = match &action {
                FaultAction::Crash { node }
                | FaultAction::CrashForGood { node }
                | FaultAction::Restart { node }
                | FaultAction::Pause { node }
                | FaultAction::Resume { node }
                | FaultAction::Clock { node, .. } => Some(*node),
                _ => None,
            };
            l.fault = Some(index as u32);
            l.detail = match cause {
                Some(why) => format!("{action} ({why})"),
                None => action.to_string(),
            };
            l.data = json(&action);
        });
        match &action {
            FaultAction::Crash { node } => self.crash(*node),
            FaultAction::CrashForGood { node } => {
                self.crash(*node);
                self.down_for_good.push(*node);
            }
            // A nemesis's restart does not undo a crash for good.
            FaultAction::Restart { node } if self.down_for_good.contains(node) => {}
            FaultAction::Restart { node } => self.restart(*node),
            FaultAction::Pause { node } => self.pause(*node),
            FaultAction::Resume { node } => self.resume(*node),
            FaultAction::Partition { id, partition } => self.net.cut(*id, partition),
            FaultAction::Heal { id } => {
                self.net.heal(*id);
            }
            FaultAction::HealAll => self.net.heal_all(),
            FaultAction::Clock { node, skew_ns, drift_ppm } => self.set_clock(*node, *skew_ns, *drift_ppm),
            FaultAction::Degrade { id, nodes, change } => self.net.degrade(*id, nodes.clone(), *change),
            FaultAction::Restore { id } => self.net.restore(*id),
            FaultAction::RestoreAll => self.net.restore_all(),
            FaultAction::Settle => {
                self.net.heal_all();
                self.net.restore_all();
                let everyone = (0..self.servers.len() as u32)
                    .map(ProcessId::server)
                    .chain((0..self.clients.len() as u32).map(ProcessId::client));
                let stay_down = self.down_for_good.clone();
                for p in everyone.filter(|p| !stay_down.contains(p)).collect::<Vec<_>>() {
                    let (paused, down) = (self.is_paused(p), !self.is_up(p));
                    if paused {
                        self.trace(TraceKind::Resume, |l| l.process = Some(p));
                    }
                    self.resume(p);
                    if down {
                        self.trace(TraceKind::Restart, |l| l.process = Some(p));
                    }
                    self.restart(p);
                }
            }
        }
        self.checker.on_fault(&action, &world_view!(self), &mut self.verdicts);
    }

    fn exists(&self, p: ProcessId) -> bool {
        if p.is_server() {
            (p.index() as usize) < self.servers.len()
        } else {
            (p.index() as usize) < self.clients.len()
        }
    }

    fn crash(&mut self, p: ProcessId) {
        if !self.exists(p) {
            return;
        }
        if p.is_server() {
            let proc = &mut self.servers[p.index() as usize];
            if proc.state.take().is_some() {
                proc.disk.crash(self.crash_mode, &mut self.crash_rng);
                proc.timers.clear();
                proc.paused_since = None;
                let lost = std::mem::take(&mut self.deferred[p.index() as usize]);
                self.trace_lost_with_crash(p, &lost);
            }
        } else {
            let proc = &mut self.clients[p.index() as usize];
            if proc.state.take().is_some() {
                proc.timers.clear();
                proc.paused_since = None;
                let lost = std::mem::take(&mut self.deferred[p.dense(self.servers.len() as u32)]);
                self.trace_lost_with_crash(p, &lost);
                // The operation in progress ends with the process: its
                // outcome is unknown, as Jepsen records a crashed client.
                if let Some(invoke) = self.client_ops[p.index() as usize].pending.take() {
                    self.finish_op(p.index(), invoke, Completion::Info);
                }
            }
        }
    }

    fn is_paused(&self, p: ProcessId) -> bool {
        self.exists(p)
            && if p.is_server() {
                self.servers[p.index() as usize].is_paused()
            } else {
                self.clients[p.index() as usize].is_paused()
            }
    }

    fn restart(&mut self, p: ProcessId) {
        if self.exists(p) && !self.is_up(p) {
            self.start(p);
            if p.is_client() {
                self.schedule_next_invoke(p.index());
            }
        }
    }

    fn pause(&mut self, p: ProcessId) {
        if !self.exists(p) || !self.is_up(p) {
            return;
        }
        let now = self.now;
        let proc_paused = if p.is_server() {
            &mut self.servers[p.index() as usize].paused_since
        } else {
            &mut self.clients[p.index() as usize].paused_since
        };
        proc_paused.get_or_insert(now);
    }

    /// Resumes a paused process: what waited for it is delivered now, in
    /// the order it arrived.
    pub(super) fn resume(&mut self, p: ProcessId) {
        if !self.exists(p) {
            return;
        }
        let paused = if p.is_server() {
            self.servers[p.index() as usize].paused_since.take()
        } else {
            self.clients[p.index() as usize].paused_since.take()
        };
        let deferred = std::mem::take(&mut self.deferred[p.dense(self.servers.len() as u32)]);
        if paused.is_some() {
            for (old, event) in deferred {
                let new = self.queue.push(self.now, event);
                self.message_requeued(old, new);
            }
        }
    }

    /// Sets a process's clock. Its pending timers keep the monotonic
    /// deadline they were set for; the part still to run runs at the new
    /// rate, so each is rescheduled when the drift changes.
    fn set_clock(&mut self, p: ProcessId, skew_ns: i64, drift_ppm: i64) {
        if !self.exists(p) {
            return;
        }
        let now = self.now;
        let (clock, timers) = if p.is_server() {
            let proc = &mut self.servers[p.index() as usize];
            (&mut proc.clock, &mut proc.timers)
        } else {
            let proc = &mut self.clients[p.index() as usize];
            (&mut proc.clock, &mut proc.timers)
        };
        let old_drift = clock.drift_ppm();
        clock.set(now, skew_ns, drift_ppm);
        if old_drift == drift_ppm {
            return;
        }
        let mono = clock.monotonic(now);
        for pending in timers.iter_mut() {
            let id = self.next_timer;
            self.next_timer += 1;
            pending.id = id;
            let at = now + clock.real_delay(pending.due.saturating_since(mono));
            self.queue.push(at, Event::Timer { owner: p, id });
        }
    }
}
