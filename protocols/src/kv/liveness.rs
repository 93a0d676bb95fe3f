//! What both replicated stores are judged by once the settle phase is
//! over: exactly one server leads, and the operations invoked after the
//! cluster healed completed instead of timing out.

use sim::history::EventKind;
use sim::{HistoryEvent, Time};

pub struct Liveness {
    heal: Time,
    /// Operations invoked after the heal that timed out: client, operation,
    /// invocation time.
    stalled: Vec<(u32, String, Time)>,
}

impl Liveness {
    /// `heal`: when the cluster healed (the settle phase began).
    pub fn new(heal: Time) -> Liveness {
        Liveness { heal, stalled: Vec::new() }
    }

    /// Notes an operation that ended unknown although it was invoked after
    /// the heal.
    pub fn on_complete(&mut self, invoke: &HistoryEvent, completion: &HistoryEvent) {
        if completion.kind == EventKind::Info && Time(invoke.time_ns) >= self.heal {
            self.stalled.push((invoke.process, invoke.op.to_string(), Time(invoke.time_ns)));
        }
    }

    /// Why the servers leading at the end are not exactly one, if they are
    /// not.
    pub fn one_leader(leaders: &[u32]) -> Option<String> {
        (leaders.len() != 1).then(|| {
            let names: Vec<String> = leaders.iter().map(|l| format!("n{l}")).collect();
            format!("{} servers lead at the end of the settle phase ({})", leaders.len(), names.join(", "))
        })
    }

    /// Which operation invoked after the heal timed out first, if any did.
    pub fn requests_complete(&self) -> Option<String> {
        self.stalled.first().map(|(client, op, at)| {
            format!(
                "c{client}'s {op}, invoked at {} after the cluster healed, timed out ({} such operations)",
                at.approx(),
                self.stalled.len()
            )
        })
    }
}
