//! The register's own properties (linearizability is the engine's).

use super::Prop;
use super::{Obs, ReplicatedRegister};
use crate::kv::Liveness;
use sim::{Checker, HistoryEvent, Observed, Time, Verdicts, World};

pub struct RegisterChecker {
    servers: u32,
    /// The highest version the primary acknowledged: its disk holds it.
    acknowledged: u64,
    liveness: Liveness,
}

impl RegisterChecker {
    /// `heal`: operations invoked from then on must complete.
    pub fn new(servers: u32, heal: Time) -> RegisterChecker {
        RegisterChecker { servers, acknowledged: 0, liveness: Liveness::new(heal) }
    }
}

impl Checker<ReplicatedRegister> for RegisterChecker {
    fn on_complete(&mut self, invoke: &HistoryEvent, completion: &HistoryEvent, _v: &mut Verdicts<Prop>) {
        self.liveness.on_complete(invoke, completion);
    }

    fn after_step(
        &mut self,
        _world: &World<'_, ReplicatedRegister>,
        observations: &[Observed<Obs>],
        v: &mut Verdicts<Prop>,
    ) {
        for o in observations {
            match o.obs {
                Obs::Deduplicated => v.fired(Prop::RetryDeduplicated),
                Obs::Recovered => v.fired(Prop::PrimaryRecovered),
                Obs::Acknowledged { version } => self.acknowledged = self.acknowledged.max(version),
                Obs::Reloaded { version } if version < self.acknowledged => v.violated(
                    Prop::ReloadSafety,
                    format!(
                        "the primary reloaded version {version}, older than version {} it acknowledged",
                        self.acknowledged
                    ),
                ),
                Obs::Reloaded { .. } => {}
            }
        }
    }

    fn at_end(&mut self, world: &World<'_, ReplicatedRegister>, v: &mut Verdicts<Prop>) {
        if let Some(why) = self.liveness.requests_complete() {
            v.violated(Prop::RequestsComplete, why);
        }
        let Some(primary) = world.server(0) else {
            v.violated(Prop::BackupsConverge, "the primary is down at the end of the run");
            return;
        };
        for i in 1..self.servers {
            match world.server(i) {
                Some(b) if b.version() == primary.version() && b.value() == primary.value() => {}
                Some(b) => {
                    v.violated(
                        Prop::BackupsConverge,
                        format!(
                            "n{i} holds {:?} (version {}) but the primary holds {:?} (version {})",
                            b.value(),
                            b.version(),
                            primary.value(),
                            primary.version()
                        ),
                    );
                    return;
                }
                None => {
                    v.violated(Prop::BackupsConverge, format!("n{i} is down at the end of the run"));
                    return;
                }
            }
        }
    }
}
