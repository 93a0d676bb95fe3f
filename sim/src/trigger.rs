//! Triggered faults as a run fires them: "crash this node right after it
//! observes X" (FoundationDB's BUGGIFY, aimed by the protocol's own
//! observations).
//!
//! An observation's kind is its variant name, the leading identifier of its
//! `Debug` form, in kebab-case (`SnapshotInstalled { .. }` is
//! "snapshot-installed"): `sim` knows no protocol, and needs none to name
//! its observations. Names are computed only when the scenario has
//! triggers; without, the engine pays one branch per observation.
//!
//! Each observation is matched against the `[[trigger]]` entries in file
//! order, then `[nemesis.trigger]`. The draws, all from a stream of their
//! own (so adding a trigger moves no other draw): for a scripted trigger
//! that fires, its delay in `(0, within]`; for the nemesis, its chance
//! (nothing is drawn at probability 0 or 1), then if it fires the delay,
//! then the time down. A fault that would strike in the settle phase is not
//! drawn at all (the trigger does not fire); an undoing that would, is left
//! to the settle.
//!
//! A fired trigger becomes ordinary timed faults (a crash and its restart,
//! say) that the engine schedules, records when they strike, and a repro
//! replays as it replays any other: a replay runs with triggers off and its
//! explicit schedule on, so it strikes the same faults at the same times.

use crate::fault::{FaultAction, Source, TimedFault};
use crate::nemesis::TriggerNemesis;
use crate::network::Partition;
use crate::process::ProcessId;
use crate::rng::{Rng, Stream};
use crate::scenario::{Scenario, Trigger, TriggerAction};
use crate::time::{Span, Time};

/// The stream triggers draw from.
pub const TRIGGER_STREAM: Stream = Stream::Nemesis(6);

/// Partitions a trigger isolates with are numbered from here, far above
/// those of the scripted faults and the nemesis.
const FIRST_PARTITION_ID: u32 = 1 << 30;

/// The leading identifier of `value`'s `Debug` form. Formatting stops at
/// the first character past it, so a large observation costs no more than
/// a small one.
pub fn leading_identifier(value: &dyn std::fmt::Debug) -> String {
    struct Head(String);
    impl std::fmt::Write for Head {
        fn write_str(&mut self, s: &str) -> std::fmt::Result {
            for c in s.chars() {
                if !(c.is_alphanumeric() || c == '_') {
                    return Err(std::fmt::Error);
                }
                self.0.push(c);
            }
            Ok(())
        }
    }
    let mut head = Head(String::new());
    // The error only says where the identifier ended.
    let _ = std::fmt::write(&mut head, format_args!("{value:?}"));
    head.0
}

/// The kind of an observation from its `Debug` form: the leading
/// identifier, in kebab-case.
pub fn kind_of(debug: &str) -> String {
    let ident = debug.split(|c: char| !(c.is_alphanumeric() || c == '_')).next().unwrap_or("");
    let mut out = String::with_capacity(ident.len() + 4);
    let mut prev_lower = false;
    for c in ident.chars() {
        if c == '_' {
            out.push('-');
            prev_lower = false;
        } else if c.is_uppercase() {
            if prev_lower {
                out.push('-');
            }
            out.extend(c.to_lowercase());
            prev_lower = false;
        } else {
            out.push(c);
            prev_lower = true;
        }
    }
    out
}

struct Rule {
    trigger: Trigger,
    index: u32,
    fired: u32,
}

/// The triggers of one run.
pub(crate) struct Triggers {
    rules: Vec<Rule>,
    nemesis: Option<(TriggerNemesis, u32)>,
    rng: Rng,
    settle_start: Time,
    next_partition: u32,
}

impl Triggers {
    /// `None` when the scenario has no trigger.
    pub fn new(scenario: &Scenario, seed: u64) -> Option<Box<Triggers>> {
        let nemesis = scenario.nemesis.for_seed(seed).trigger;
        if scenario.triggers.is_empty() && nemesis.is_none() {
            return None;
        }
        let minority = ((scenario.nodes.saturating_sub(1)) / 2).max(1);
        Some(Box::new(Triggers {
            rules: scenario
                .triggers
                .iter()
                .enumerate()
                .map(|(i, t)| Rule { trigger: t.clone(), index: i as u32, fired: 0 })
                .collect(),
            nemesis: nemesis.map(|n| {
                let at_most = n.max_down.unwrap_or(minority);
                (n, at_most)
            }),
            rng: Rng::new(seed, TRIGGER_STREAM),
            settle_start: scenario.settle_start(),
            next_partition: FIRST_PARTITION_ID,
        }))
    }

    /// The faults `from`'s observation (its `Debug` form, or its head) sets off at
    /// `now`, pushed to `out`. `down` counts the servers down or about to
    /// be (by a crash already drawn): the nemesis keeps a majority up.
    pub fn observed(
        &mut self,
        now: Time,
        from: ProcessId,
        debug: &str,
        down: &dyn Fn() -> u32,
        out: &mut Vec<TimedFault>,
    ) {
        let kind = kind_of(debug);
        for rule in &mut self.rules {
            let t = &rule.trigger;
            let whose = t.nodes.as_ref().map_or(from.is_server(), |ns| ns.contains(&from));
            if t.observe != kind || !whose || rule.fired >= t.times || now < t.after {
                continue;
            }
            let at = now + Span(self.rng.between(1, t.within.nanos()));
            if at >= self.settle_start {
                continue;
            }
            rule.fired += 1;
            let source =
                Source::Trigger { rule: Some(rule.index), by: from, observed: kind.clone(), seen: now };
            let (fault, undo) = match t.action {
                TriggerAction::Crash => {
                    (FaultAction::Crash { node: from }, FaultAction::Restart { node: from })
                }
                TriggerAction::Pause => {
                    (FaultAction::Pause { node: from }, FaultAction::Resume { node: from })
                }
                TriggerAction::Isolate => {
                    let id = self.next_partition;
                    self.next_partition += 1;
                    let partition = Partition::Isolate { node: from };
                    (FaultAction::Partition { id, partition }, FaultAction::Heal { id })
                }
            };
            push(out, self.settle_start, at, fault, t.duration.map(|d| (at + d, undo)), source);
        }
        if let Some((n, at_most)) = &self.nemesis {
            if !from.is_server() || !n.observe.contains(&kind) || !self.rng.chance(n.probability.0) {
                return;
            }
            let at = now + Span(self.rng.between(1, n.within.0.nanos()));
            let long = Span(self.rng.between(n.down.min.nanos(), n.down.max.nanos()));
            if at >= self.settle_start || down() >= *at_most {
                return;
            }
            let source = Source::Trigger { rule: None, by: from, observed: kind, seen: now };
            let restart = (at + long, FaultAction::Restart { node: from });
            push(out, self.settle_start, at, FaultAction::Crash { node: from }, Some(restart), source);
        }
    }
}

fn push(
    out: &mut Vec<TimedFault>,
    settle_start: Time,
    at: Time,
    action: FaultAction,
    undo: Option<(Time, FaultAction)>,
    source: Source,
) {
    out.push(TimedFault { at, action, source: source.clone() });
    if let Some((when, undo)) = undo.filter(|(when, _)| *when < settle_start) {
        out.push(TimedFault { at: when, action: undo, source });
    }
}

#[cfg(test)]
mod tests {
    use super::kind_of;

    #[test]
    fn kinds_are_variant_names_in_kebab_case() {
        assert_eq!(kind_of("SnapshotInstalled"), "snapshot-installed");
        assert_eq!(kind_of("Truncated { from: 3, leader: false }"), "truncated");
        assert_eq!(kind_of("BecameLeader(4)"), "became-leader");
        assert_eq!(kind_of("ReadServed"), "read-served");
        assert_eq!(kind_of("Step2Done"), "step2-done");
    }

    #[derive(Debug)]
    #[allow(dead_code)]
    enum Obs {
        Truncated { from: u64, leader: bool },
        SnapshotInstalled,
        Pair(u64, u64),
    }

    #[test]
    fn the_head_of_a_debug_form_is_its_variant() {
        use super::leading_identifier as head;
        assert_eq!(head(&Obs::Truncated { from: 3, leader: false }), "Truncated");
        assert_eq!(head(&Obs::SnapshotInstalled), "SnapshotInstalled");
        assert_eq!(head(&Obs::Pair(1, 2)), "Pair");
        assert_eq!(kind_of(&head(&Obs::SnapshotInstalled)), "snapshot-installed");
    }
}
