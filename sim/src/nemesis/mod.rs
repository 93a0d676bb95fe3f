//! The random nemesis: faults drawn from the seed.
//!
//! Each kind of fault draws from its own stream, so turning on pauses does
//! not move the crashes. The schedule depends on the seed, never on what the
//! protocol does, which makes the faults that struck an explicit list that a
//! repro can store and a shrinker can cut. It is drawn lazily, as the run
//! reaches it (`draw.rs`): a six-hour run with a fault every millisecond
//! holds only the faults still to be undone, never the whole schedule.
//!
//! With `swarm = true` the seed also picks which kinds are on and how often
//! they strike (swarm testing, after FoundationDB and TigerBeetle), so a
//! sweep covers fault mixes nobody wrote by hand.

mod draw;

use crate::network::latency::LatencySpec;
use crate::rng::{Probability, Rng, Stream};
use crate::time::{Duration, DurationRange, Span};
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NemesisPlan {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub crash: Option<CrashNemesis>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pause: Option<PauseNemesis>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub partition: Option<PartitionNemesis>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub clock: Option<ClockNemesis>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub degrade: Option<DegradeNemesis>,
    /// Crashes drawn in answer to observations, not to the clock.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub trigger: Option<TriggerNemesis>,
    #[serde(default)]
    pub swarm: bool,
}

/// `[nemesis.trigger]`: each observation of one of the `observe` kinds,
/// with `probability`, crashes the server that made it at a time drawn in
/// `(0, within]` after it, for a time drawn in `down`. Like the crash
/// nemesis, it leaves a majority up: no more than `max_down` servers
/// (default: a minority) are down at once, whatever crashed the others.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TriggerNemesis {
    pub observe: Vec<String>,
    pub probability: Probability,
    #[serde(default = "default_within")]
    pub within: Duration,
    pub down: DurationRange,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_down: Option<u32>,
}

/// A trigger's default `within` (`[[trigger]]` and `[nemesis.trigger]`):
/// the shortest wait that still lands "right after".
pub const DEFAULT_WITHIN: Span = Span::from_millis(1);

fn default_within() -> Duration {
    Duration(DEFAULT_WITHIN)
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CrashNemesis {
    pub every: DurationRange,
    pub down: DurationRange,
    /// At most this many down at once (default: a minority of the role).
    pub max_down: Option<u32>,
    /// Crash only processes of this role (default: every server).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub role: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PauseNemesis {
    pub every: DurationRange,
    #[serde(rename = "for")]
    pub duration: DurationRange,
    pub max_paused: Option<u32>,
    /// Pause only processes of this role (default: every server).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub role: Option<String>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum PartitionKind {
    Isolate,
    MajorityMinority,
    Halves,
    Bridge,
    OneWay,
}

impl PartitionKind {
    pub const ALL: [PartitionKind; 5] = [
        PartitionKind::Isolate,
        PartitionKind::MajorityMinority,
        PartitionKind::Halves,
        PartitionKind::Bridge,
        PartitionKind::OneWay,
    ];
    pub fn name(self) -> &'static str {
        match self {
            PartitionKind::Isolate => "isolate",
            PartitionKind::MajorityMinority => "majority-minority",
            PartitionKind::Halves => "halves",
            PartitionKind::Bridge => "bridge",
            PartitionKind::OneWay => "one-way",
        }
    }
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PartitionNemesis {
    pub every: DurationRange,
    #[serde(rename = "for")]
    pub duration: DurationRange,
    /// Which shapes to draw from (default: all).
    pub kinds: Option<Vec<PartitionKind>>,
    /// Draw shapes over this role's nodes ("a majority of the acceptors");
    /// every other process joins a random side. Default: every server.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub role: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ClockNemesis {
    pub every: DurationRange,
    /// Offsets from the true time stay within -max_skew..=max_skew, and
    /// no change moves a clock by more than max_skew.
    pub max_skew: Duration,
    #[serde(default)]
    pub max_drift_ppm: u32,
    /// Change only the clocks of this role (`client` included; default:
    /// every server).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub role: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DegradeNemesis {
    pub every: DurationRange,
    #[serde(rename = "for")]
    pub duration: DurationRange,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub drop: Option<Probability>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub duplicate: Option<Probability>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reorder: Option<Probability>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub latency: Option<LatencySpec>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tail: Option<crate::network::Tail>,
}

/// The fault kinds the nemesis knows, for `dsim list`.
pub const NEMESIS_KINDS: &[(&str, &str)] = &[
    ("crash", "crash a random server, restart it from its disk after `down`"),
    ("pause", "stop a random server for `for`; its messages and timers wait"),
    ("partition", "cut the network into a random shape for `for`, then heal"),
    ("clock", "set a random server's clock skew and drift"),
    ("degrade", "worsen links (loss, duplication, reordering, latency, tail) for `for`"),
    (
        "trigger",
        "crash the server that observed one of `observe`, with `probability`, within `within`, for `down`",
    ),
];

fn ms(a: u64, b: u64) -> DurationRange {
    DurationRange { min: Span::from_millis(a), max: Span::from_millis(b) }
}

impl NemesisPlan {
    pub fn is_empty(&self) -> bool {
        self.crash.is_none()
            && self.pause.is_none()
            && self.partition.is_none()
            && self.clock.is_none()
            && self.degrade.is_none()
    }

    /// With `swarm`, the plan this seed actually runs: a random non-empty
    /// subset of the kinds (all five if none are configured), each striking
    /// between half and twice as often as configured.
    pub fn for_seed(&self, seed: u64) -> NemesisPlan {
        if !self.swarm {
            return self.clone();
        }
        let mut rng = Rng::new(seed, Stream::Swarm);
        let base = if self.is_empty() { NemesisPlan::defaults() } else { self.clone() };
        let scale = |rng: &mut Rng, r: DurationRange| {
            let factor = rng.between(500, 2_000); // per mille
            DurationRange {
                min: Span(r.min.nanos() / 1000 * factor),
                max: Span(r.max.nanos() / 1000 * factor),
            }
        };
        loop {
            // Triggers answer the protocol, not the clock: swarm keeps them.
            let mut plan =
                NemesisPlan { swarm: false, trigger: self.trigger.clone(), ..NemesisPlan::default() };
            if let Some(c) = &base.crash {
                if rng.chance(500_000) {
                    plan.crash = Some(CrashNemesis { every: scale(&mut rng, c.every), ..c.clone() });
                }
            }
            if let Some(p) = &base.pause {
                if rng.chance(500_000) {
                    plan.pause = Some(PauseNemesis { every: scale(&mut rng, p.every), ..p.clone() });
                }
            }
            if let Some(p) = &base.partition {
                if rng.chance(500_000) {
                    let all = p.kinds.clone().unwrap_or(PartitionKind::ALL.to_vec());
                    let mut kinds: Vec<_> = all.iter().copied().filter(|_| rng.chance(600_000)).collect();
                    if kinds.is_empty() {
                        kinds.push(all[rng.index(all.len())]);
                    }
                    plan.partition = Some(PartitionNemesis {
                        every: scale(&mut rng, p.every),
                        duration: p.duration,
                        kinds: Some(kinds),
                        role: p.role.clone(),
                    });
                }
            }
            if let Some(c) = &base.clock {
                if rng.chance(500_000) {
                    plan.clock = Some(ClockNemesis { every: scale(&mut rng, c.every), ..c.clone() });
                }
            }
            if let Some(d) = &base.degrade {
                if rng.chance(500_000) {
                    plan.degrade = Some(DegradeNemesis { every: scale(&mut rng, d.every), ..d.clone() });
                }
            }
            if !plan.is_empty() {
                return plan;
            }
        }
    }

    /// Every kind at moderate rates: what `swarm = true` draws from when the
    /// scenario configures no kind itself.
    pub fn defaults() -> NemesisPlan {
        NemesisPlan {
            crash: Some(CrashNemesis {
                every: ms(2_000, 6_000),
                down: ms(500, 3_000),
                max_down: None,
                role: None,
            }),
            pause: Some(PauseNemesis {
                every: ms(3_000, 8_000),
                duration: ms(200, 2_000),
                max_paused: None,
                role: None,
            }),
            partition: Some(PartitionNemesis {
                every: ms(3_000, 8_000),
                duration: ms(1_000, 4_000),
                kinds: None,
                role: None,
            }),
            clock: Some(ClockNemesis {
                every: ms(3_000, 8_000),
                max_skew: Duration(Span::from_millis(500)),
                max_drift_ppm: 1_000,
                role: None,
            }),
            degrade: Some(DegradeNemesis {
                every: ms(3_000, 8_000),
                duration: ms(1_000, 3_000),
                drop: Some(Probability(200_000)),
                duplicate: Some(Probability(50_000)),
                reorder: Some(Probability(50_000)),
                latency: None,
                tail: None,
            }),
            trigger: None,
            swarm: false,
        }
    }

    /// The role names the plan uses, with where (`crash`, `pause`...).
    pub fn roles(&self) -> Vec<(&'static str, &str)> {
        let mut out = Vec::new();
        let named = [
            ("crash", self.crash.as_ref().and_then(|c| c.role.as_deref())),
            ("pause", self.pause.as_ref().and_then(|p| p.role.as_deref())),
            ("partition", self.partition.as_ref().and_then(|p| p.role.as_deref())),
            ("clock", self.clock.as_ref().and_then(|c| c.role.as_deref())),
        ];
        for (kind, role) in named {
            if let Some(r) = role {
                out.push((kind, r));
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fault::{FaultAction, TimedFault};
    use crate::fault_stream::FaultStream;
    use crate::process::ProcessId;
    use crate::time::Time;

    impl NemesisPlan {
        /// The whole schedule for one seed, drawn at once.
        fn schedule(
            &self,
            members: &dyn Fn(Option<&str>) -> Vec<ProcessId>,
            everyone: &[ProcessId],
            end: Time,
            seed: u64,
            first_id: &mut u32,
        ) -> Vec<TimedFault> {
            FaultStream::merge(self.draws(members, everyone, end, seed, *first_id)).collect()
        }
    }

    fn plan() -> NemesisPlan {
        NemesisPlan::defaults()
    }

    fn servers(n: u32) -> impl Fn(Option<&str>) -> Vec<ProcessId> {
        move |_| (0..n).map(ProcessId::server).collect()
    }

    fn everyone(n: u32, c: u32) -> Vec<ProcessId> {
        (0..n).map(ProcessId::server).chain((0..c).map(ProcessId::client)).collect()
    }

    #[test]
    fn clock_changes_never_jump_past_the_skew_bound() {
        let p = NemesisPlan {
            clock: Some(ClockNemesis {
                every: ms(10, 200),
                max_skew: Duration(Span::from_millis(500)),
                max_drift_ppm: 100_000,
                role: None,
            }),
            ..NemesisPlan::default()
        };
        for seed in 0..50 {
            let sched = p.schedule(&servers(3), &everyone(3, 0), Time::from_secs(60), seed, &mut 1);
            let mut clocks = [crate::clock::Clock::exact(); 3];
            for f in &sched {
                if let FaultAction::Clock { node, skew_ns, drift_ppm } = f.action {
                    let c = &mut clocks[node.index() as usize];
                    let before = c.wall(f.at).nanos() as i64;
                    c.set(f.at, skew_ns, drift_ppm);
                    let jump = (c.wall(f.at).nanos() as i64 - before).abs();
                    assert!(jump <= 500_000_000, "seed {seed}: a jump of {jump}ns at {}", f.at);
                    assert!(skew_ns.abs() <= 500_000_000);
                }
            }
        }
    }

    #[test]
    fn schedule_is_a_function_of_the_seed() {
        let mut a = 1;
        let mut b = 1;
        let x = plan().schedule(&servers(5), &everyone(5, 2), Time::from_secs(30), 7, &mut a);
        let y = plan().schedule(&servers(5), &everyone(5, 2), Time::from_secs(30), 7, &mut b);
        assert_eq!(x, y);
        assert!(!x.is_empty());
        let z = plan().schedule(&servers(5), &everyone(5, 2), Time::from_secs(30), 8, &mut 1);
        assert_ne!(x, z);
    }

    #[test]
    fn kinds_draw_from_their_own_streams() {
        let crashes = |p: &NemesisPlan| -> Vec<TimedFault> {
            p.schedule(&servers(5), &everyone(5, 0), Time::from_secs(30), 3, &mut 1)
                .into_iter()
                .filter(|f| matches!(f.action, FaultAction::Crash { .. }))
                .collect()
        };
        let only_crash = NemesisPlan { crash: plan().crash, ..NemesisPlan::default() };
        assert_eq!(crashes(&only_crash), crashes(&plan()));
    }

    #[test]
    fn crashes_keep_a_majority_up() {
        let p = NemesisPlan {
            crash: Some(CrashNemesis {
                every: ms(10, 50),
                down: ms(1_000, 3_000),
                max_down: None,
                role: None,
            }),
            ..NemesisPlan::default()
        };
        let sched = p.schedule(&servers(5), &everyone(5, 0), Time::from_secs(60), 1, &mut 1);
        let mut down = 0i32;
        for f in &sched {
            match f.action {
                FaultAction::Crash { .. } => down += 1,
                FaultAction::Restart { .. } => down -= 1,
                _ => {}
            }
            assert!(down <= 2, "{down} down at {}", f.at);
        }
    }

    #[test]
    fn faults_are_drawn_as_they_are_read_in_time_order() {
        // A thousand hours of every kind: drawing it whole would not end.
        let end = Time::from_secs(3_600_000);
        let draws = plan().draws(&servers(5), &everyone(5, 2), end, 11, 1);
        let faults: Vec<TimedFault> = FaultStream::merge(draws).take(5_000).collect();
        assert_eq!(faults.len(), 5_000);
        assert!(faults.windows(2).all(|w| w[0].at <= w[1].at), "in time order");
        let mut down = std::collections::BTreeSet::new();
        let mut kinds = std::collections::BTreeSet::new();
        for f in &faults {
            kinds.insert(f.action.kind());
            match f.action {
                FaultAction::Crash { node } => assert!(down.insert(node), "{node} crashed twice"),
                FaultAction::Restart { node } => assert!(down.remove(&node), "{node} restarted while up"),
                _ => {}
            }
        }
        assert!(kinds.len() >= 8, "every kind and its undoing: {kinds:?}");
    }

    #[test]
    fn swarm_picks_a_nonempty_subset() {
        let p = NemesisPlan { swarm: true, ..NemesisPlan::default() };
        let mut seen = std::collections::BTreeSet::new();
        for seed in 0..40 {
            let s = p.for_seed(seed);
            assert!(!s.is_empty() && !s.swarm);
            seen.insert((s.crash.is_some(), s.pause.is_some(), s.partition.is_some()));
        }
        assert!(seen.len() > 4, "swarm should vary the mix: {seen:?}");
    }
}
