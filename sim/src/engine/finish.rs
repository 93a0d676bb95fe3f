//! The end of a run: the verdicts, the linearizability judgement, and the
//! [`RunResult`].

use super::{hex, world_view, Flow, Simulation, World, LINEARIZABLE};
use crate::history::{History, HistoryEvent, Op};
use crate::lin::{Model, Online, Verdict as Lin};
use crate::named::NamedSet;
use crate::panic;
use crate::property::{Kind, PropertyVerdict, Status, NO_PANIC};
use crate::protocol::{Checker, Protocol};
use crate::result::{Linearizability, Outcome, RunResult, Violation};
use crate::scenario::Scenario;

/// The budget of a run's offline linearizability check: a history too hard
/// to decide within it ends the run as a limit (exit code 3), in seconds
/// rather than minutes. `dsim check` on the history can search longer.
const RUN_CHECK_BUDGET: crate::lin::Budget<'static> =
    crate::lin::Budget { max_steps: 20_000_000, max_memo: 4_000_000, stop: None };

/// The linearizability check that follows a run's history, online, with
/// the protocol's own model.
pub(super) struct LinCheck<M: Model> {
    model: M,
    online: Online<M>,
    /// The completion at which the history stopped being linearizable.
    violation: Option<crate::lin::Counterexample>,
    /// An operation the model could not read.
    unreadable: Option<String>,
}

impl<M: Model + Clone> LinCheck<M> {
    pub fn new(model: M) -> Self {
        LinCheck {
            online: Online::new(model.clone(), super::ONLINE_FRONTIER_LIMIT),
            model,
            violation: None,
            unreadable: None,
        }
    }
}

impl<M: Model> LinCheck<M> {
    pub fn failed(&self) -> bool {
        self.violation.is_some() || self.unreadable.is_some()
    }

    pub fn invoke(&mut self, invoke: u32, op: &Op) {
        if let Err(e) = self.online.invoke(invoke as u64, op.key, &op.f, &op.value) {
            self.unreadable.get_or_insert(e);
        }
    }

    pub fn complete(&mut self, invoke: u32, done: &HistoryEvent) {
        if let crate::lin::Step::Violation(ce) =
            self.online.complete(invoke as u64, done.kind, &done.op.value)
        {
            self.violation.get_or_insert(ce);
        }
    }

    /// The verdict on the history, and the violation it makes, if any. The
    /// online check decided already unless it overflowed; an online
    /// violation is explained by an offline search of the history up to
    /// that point (the longest linearizable order).
    fn judge(&self, history: &History, step: u64, time_ns: u64) -> (Linearizability, Option<Violation>) {
        let name = self.model.name();
        let violation = |message: String, group: String| Violation {
            property: LINEARIZABLE.to_string(),
            kind: Kind::Always,
            message,
            step,
            time_ns,
            group: Some(group),
        };
        let offline = || crate::lin::check(&self.model, history, &RUN_CHECK_BUDGET);
        let report = |mode: &str, verdict| Linearizability {
            model: name.to_string(),
            mode: mode.to_string(),
            peak_frontier: self.online.peak,
            verdict,
        };
        if let Some(e) = &self.unreadable {
            let v = violation(
                format!("the {name} model cannot read an operation of this history: {e}"),
                "an operation the model cannot read".to_string(),
            );
            return (report("online", Lin::Unknown { reason: e.clone() }), Some(v));
        }
        let (mode, verdict) = match &self.violation {
            Some(online) => match offline() {
                Ok(Lin::NotLinearizable(explained)) => ("online", Lin::NotLinearizable(explained)),
                _ => ("online", Lin::NotLinearizable(online.clone())),
            },
            None if self.online.overflowed() => match offline() {
                Ok(v) => ("offline", v),
                Err(e) => ("offline", Lin::Unknown { reason: format!("event {}: {}", e.index, e.message) }),
            },
            None => ("online", Lin::Linearizable),
        };
        let v = match &verdict {
            Lin::NotLinearizable(ce) => Some(violation(
                format!(
                    "{} cannot be linearized{}: the longest linearizable order found places {} operation{}, after which the {name} holds {}",
                    crate::lin::describe(history, ce.blocked),
                    ce.key.map_or(String::new(), |k| format!(" (key {k})")),
                    ce.prefix.len(),
                    if ce.prefix.len() == 1 { "" } else { "s" },
                    ce.state
                ),
                format!(
                    "a {} cannot be linearized",
                    history.events.get(ce.blocked as usize).map_or("operation", |e| e.op.f.as_ref())
                ),
            )),
            _ => None,
        };
        (report(mode, verdict), v)
    }
}

impl<P: Protocol> Simulation<'_, '_, P> {
    pub(super) fn finish(
        mut self,
        scenario: &Scenario,
        seed: u64,
        stop: Result<Flow, panic::Caught>,
    ) -> RunResult {
        // A violation found in the run's last step, and the linearizability
        // verdict, are settled below.
        let mut limit = None;
        let mut violation = None;
        let mut panicked = false;
        match stop {
            Ok(Flow::Limit(why)) => limit = Some(why),
            Ok(_) => {}
            Err(caught) => {
                panicked = true;
                let who = match self.current {
                    Some(p) => format!("{p} panicked"),
                    None => "the checker panicked".to_string(),
                };
                violation = Some(Violation {
                    property: NO_PANIC.name.to_string(),
                    kind: Kind::Always,
                    message: format!("{who}: {caught}"),
                    step: self.step + 1,
                    time_ns: self.now.nanos(),
                    group: None,
                });
            }
        }
        if let Some((property, message)) = self.verdicts.violation() {
            violation = Some(Violation {
                property: property.name().to_string(),
                kind: property.spec().kind,
                message: message.to_string(),
                step: self.step,
                time_ns: self.now.nanos(),
                group: None,
            });
        }
        let (linearizability, lin_violation) = match &self.lin {
            Some(l) => {
                let (report, v) = l.judge(&self.history, self.step, self.now.nanos());
                (Some(report), v)
            }
            None => (None, None),
        };
        if violation.is_none() {
            violation = lin_violation;
        }
        if let Some(Linearizability { verdict: Lin::Unknown { reason }, .. }) = &linearizability {
            if violation.is_none() && limit.is_none() {
                limit = Some(format!("the linearizability check could not decide: {reason}"));
            }
        }
        let outcome = match (&violation, &limit) {
            (Some(_), _) => Outcome::Violation,
            (None, Some(_)) => Outcome::Limit,
            (None, None) => Outcome::Ok,
        };
        let mut properties = self.verdicts.finish(!panicked, self.end_reached && violation.is_none());
        if let Some(l) = &linearizability {
            let status = match l.verdict {
                Lin::Linearizable => Status::Held,
                Lin::NotLinearizable(_) => Status::Violated,
                Lin::Unknown { .. } => Status::NotChecked,
            };
            properties.push(PropertyVerdict { name: LINEARIZABLE.to_string(), kind: Kind::Always, status });
        }
        properties.push(PropertyVerdict {
            name: NO_PANIC.name.to_string(),
            kind: Kind::Always,
            status: if panicked { Status::Violated } else { Status::Held },
        });
        let faults = self.faults_struck();
        self.trace_final_verdicts(&properties, violation.as_ref());
        let metrics = if panicked { Vec::new() } else { self.checker.metrics(&world_view!(self)) };
        let disk_keys = self.servers.iter().map(|s| s.disk.durable_len() as u64).sum();
        let mut cost = crate::cost::of(&self.net.stats, &self.history, disk_keys);
        cost.extend(metrics.iter().filter(|m| m.cost).cloned());
        RunResult {
            scenario: scenario.name.clone(),
            protocol: scenario.protocol.clone(),
            bug: scenario.bug.clone(),
            seed,
            outcome,
            events: self.step,
            virtual_time_ns: self.now.nanos(),
            trace_hash: hex(self.hash.value()),
            checkpoints: self.checkpoints,
            violation,
            limit,
            properties,
            metrics,
            cost,
            network: self.net.stats,
            operations: self.history.tally(),
            linearizability,
            faults,
            history: self.history,
        }
    }
}
