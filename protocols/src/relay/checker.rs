//! Relay's properties. In a file of its own so that the mutation harness,
//! which skips every `checker.rs`, changes the protocol and never the
//! oracle that judges it.

use super::{Obs, Prop, Relay};
use sim::{Checker, Observed, Verdicts, World};

pub struct RelayChecker {
    hosts: u32,
    /// 0: any other host is a valid next hop; k: only hosts at ring
    /// distance 1..=k (or any other host when 2k covers the ring).
    reach: u32,
}

impl RelayChecker {
    pub fn new(hosts: u32, reach: u32) -> RelayChecker {
        RelayChecker { hosts, reach }
    }

    /// Why a hop from `from` to `to` breaks the relay's rule, if it does.
    fn bad_hop(&self, from: u32, to: u32) -> Option<String> {
        if from == to {
            return Some(format!("n{from} passed a message to itself"));
        }
        if self.reach == 0 || self.reach * 2 >= self.hosts {
            return None;
        }
        let ahead = (to + self.hosts - from) % self.hosts;
        let distance = ahead.min(self.hosts - ahead);
        (distance > self.reach).then(|| {
            format!(
                "n{from} passed a message to n{to}, at ring distance {distance}, beyond reach {}",
                self.reach
            )
        })
    }
}

impl Checker<Relay> for RelayChecker {
    #[inline]
    fn after_step(
        &mut self,
        _world: &World<'_, Relay>,
        observations: &[Observed<Obs>],
        v: &mut Verdicts<Prop>,
    ) {
        for o in observations {
            match o.obs {
                Obs::Hops(hops) => {
                    if hops > 1_000 {
                        v.fired(Prop::LongChain);
                    }
                }
                Obs::Hop { from } => {
                    if let Some(why) = self.bad_hop(from.index(), o.from.index()) {
                        v.violated(Prop::HopInReach, why);
                    }
                }
            }
        }
    }

    fn at_end(&mut self, world: &World<'_, Relay>, v: &mut Verdicts<Prop>) {
        let cutoff = world.now().saturating_sub(sim::Span::from_secs(1));
        for i in 0..self.hosts {
            if let Some(host) = world.server(i) {
                if host.last_received < cutoff {
                    v.violated(
                        Prop::Circulating,
                        format!(
                            "n{i} received nothing after {} (the run ended at {})",
                            host.last_received,
                            world.now()
                        ),
                    );
                    return;
                }
            }
        }
    }
}
