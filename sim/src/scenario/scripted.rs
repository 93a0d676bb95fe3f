//! One `[[fault]]` entry, validated against the scenario: exactly one
//! action, its processes or role, its time before the settle phase.

use super::raw::{PartitionSpec, RawFault, TargetSpec, FAULT_ACTIONS};
use super::{Diagnostic, Scripted, ScriptedFault, Target};
use crate::network::{LinkOverride, Partition};
use crate::process::ProcessId;
use crate::time::{Span, Time};
use std::ops::Range;
use toml::Spanned;

#[allow(clippy::too_many_arguments)]
pub(super) fn scripted_fault(
    f: &Spanned<RawFault>,
    nodes: u32,
    duration: Span,
    settle_start: Time,
    err: &dyn Fn(Option<Range<usize>>, String) -> Diagnostic,
    check_target: &dyn Fn(&Spanned<TargetSpec>) -> Result<Target, Diagnostic>,
    check_process: &dyn Fn(&Spanned<ProcessId>) -> Result<ProcessId, Diagnostic>,
) -> Result<ScriptedFault, Diagnostic> {
    let raw = f.get_ref();
    // `at` is written as an offset from the start of the run.
    let at = raw.at.get_ref().0.after_start();
    if at >= duration.after_start() {
        return Err(err(
            Some(raw.at.span()),
            format!("this fault at {at} comes after the end of the run ({duration})"),
        ));
    }
    if at >= settle_start {
        return Err(err(
            Some(raw.at.span()),
            format!("this fault at {at} falls in the settle phase, which starts at {settle_start} (duration {duration} minus settle {})", duration.after_start() - settle_start),
        )
        .with_help("faults must come before the settle phase; move it earlier, or shorten [check] settle"));
    }
    let present: Vec<&str> = [
        raw.crash.is_some(),
        raw.restart.is_some(),
        raw.pause.is_some(),
        raw.resume.is_some(),
        raw.isolate.is_some(),
        raw.partition.is_some(),
        raw.one_way.is_some(),
        raw.bridge.is_some(),
        raw.heal.is_some(),
        raw.clock.is_some(),
        raw.degrade.is_some(),
        raw.restore.is_some(),
    ]
    .iter()
    .zip(FAULT_ACTIONS)
    .filter(|(on, _)| **on)
    .map(|(_, name)| *name)
    .collect();
    if present.len() != 1 {
        let msg = if present.is_empty() {
            "this fault says when but not what".to_string()
        } else {
            format!(
                "this fault does {} things at once ({}); write one [[fault]] each",
                present.len(),
                present.join(", ")
            )
        };
        return Err(err(Some(f.span()), msg)
            .with_help(format!("a fault has `at` and one of: {}", FAULT_ACTIONS.join(", "))));
    }
    if let Some(r) = &raw.role {
        let random_shape =
            matches!(raw.partition.as_ref().map(|p| p.get_ref()), Some(PartitionSpec::Random(_)));
        if !random_shape {
            return Err(err(
                Some(r.span()),
                "`role` goes with a random partition shape, such as partition = \"majority-minority\"".into(),
            ));
        }
    }
    let ids = |ps: &[Spanned<ProcessId>]| -> Result<Vec<ProcessId>, Diagnostic> {
        ps.iter().map(check_process).collect()
    };
    let (what, undoable) = if let Some(n) = &raw.crash {
        (Scripted::Crash(check_target(n)?), true)
    } else if let Some(n) = &raw.restart {
        (Scripted::Restart(check_target(n)?), false)
    } else if let Some(n) = &raw.pause {
        (Scripted::Pause(check_target(n)?), true)
    } else if let Some(n) = &raw.resume {
        (Scripted::Resume(check_target(n)?), false)
    } else if let Some(n) = &raw.isolate {
        (Scripted::Isolate(check_target(n)?), true)
    } else if let Some(p) = &raw.partition {
        match p.get_ref() {
            PartitionSpec::Random(kind) => {
                let role = match &raw.role {
                    None => None,
                    Some(r) => {
                        let members = match check_target(&Spanned::new(
                            r.span(),
                            TargetSpec::Role(r.get_ref().clone()),
                        ))? {
                            Target::Process(p) => vec![p],
                            Target::AnyOf { members, .. } => members,
                        };
                        Some((r.get_ref().clone(), members))
                    }
                };
                (Scripted::RandomPartition { kind: *kind, role }, true)
            }
            PartitionSpec::Groups(groups) => {
                if groups.len() < 2 {
                    return Err(err(
                        Some(p.span()),
                        "a partition needs at least two groups, such as [[0], [1, 2]]".into(),
                    ));
                }
                let mut seen = Vec::new();
                let mut resolved = Vec::new();
                for g in groups {
                    if g.is_empty() {
                        return Err(err(Some(p.span()), "a group of this partition is empty".into()));
                    }
                    let ids = ids(g)?;
                    for (id, spanned) in ids.iter().zip(g) {
                        if seen.contains(id) {
                            return Err(err(
                                Some(spanned.span()),
                                format!("{id} is in two groups of this partition"),
                            ));
                        }
                        seen.push(*id);
                    }
                    resolved.push(ids);
                }
                (Scripted::Partition(Partition::Groups { groups: resolved }), true)
            }
        }
    } else if let Some(spanned) = &raw.one_way {
        let o = spanned.get_ref();
        let partition = Partition::OneWay { from: ids(&o.from)?, to: ids(&o.to)? };
        partition.check().map_err(|m| err(Some(spanned.span()), m))?;
        (Scripted::Partition(partition), true)
    } else if let Some(b) = &raw.bridge {
        let b = b.get_ref();
        let bridge = check_process(&b.via)?;
        let mut seen = Vec::new();
        let mut sides = Vec::new();
        for (side, name) in [(&b.left, "left"), (&b.right, "right")] {
            if side.get_ref().is_empty() {
                return Err(err(
                    Some(side.span()),
                    format!("the {name} side of this bridge is empty; name at least one node"),
                ));
            }
            let resolved = ids(side.get_ref())?;
            for (id, spanned) in resolved.iter().zip(side.get_ref()) {
                if *id == bridge {
                    return Err(err(
                        Some(spanned.span()),
                        format!("{id} is the bridge (`via`), so it cannot be on the {name} side too"),
                    ));
                }
                if let Some((_, first)) = seen.iter().find(|(s, _)| s == id) {
                    let msg = if *first == name {
                        format!("{id} is listed twice on the {name} side of this bridge")
                    } else {
                        format!("{id} is on both sides of this bridge")
                    };
                    return Err(err(Some(spanned.span()), msg));
                }
                seen.push((*id, name));
            }
            sides.push(resolved);
        }
        let right = sides.pop().unwrap_or_default();
        let left = sides.pop().unwrap_or_default();
        (Scripted::Partition(Partition::Bridge { left, right, bridge }), true)
    } else if let Some(h) = &raw.heal {
        if !*h.get_ref() {
            return Err(err(Some(h.span()), "`heal = false` does nothing; leave the fault out".into()));
        }
        (Scripted::HealAll, false)
    } else if let Some(c) = &raw.clock {
        let c = c.get_ref();
        let node = check_target(&c.node)?;
        let drift_ppm = c.drift_ppm.as_ref().map_or(Ok(0), |d| {
            if d.get_ref().abs() > crate::clock::MAX_DRIFT_PPM {
                Err(err(
                    Some(d.span()),
                    format!("drift beyond ±{} ppm is not a clock", crate::clock::MAX_DRIFT_PPM),
                ))
            } else {
                Ok(*d.get_ref())
            }
        })?;
        (Scripted::Clock { node, skew_ns: c.skew.as_ref().map_or(0, |s| s.0), drift_ppm }, false)
    } else if let Some(d) = &raw.degrade {
        let d = d.get_ref();
        if let Some(ns) = d.nodes.as_ref().filter(|ns| ns.get_ref().is_empty()) {
            return Err(err(
                Some(ns.span()),
                "`nodes = []` degrades no link; name at least one node, or leave `nodes` out for every link"
                    .into(),
            ));
        }
        let nodes = d.nodes.as_ref().map(|ns| ids(ns.get_ref())).transpose()?;
        let change = LinkOverride {
            latency: d.latency.map(|l| l.0),
            drop_ppm: d.drop.map(|p| p.0),
            duplicate_ppm: d.duplicate.map(|p| p.0),
            reorder_ppm: d.reorder.map(|p| p.0),
            tail: d.tail,
        };
        (Scripted::Degrade { nodes, change }, true)
    } else if let Some(r) = &raw.restore {
        if !*r.get_ref() {
            return Err(err(Some(r.span()), "`restore = false` does nothing; leave the fault out".into()));
        }
        (Scripted::RestoreAll, false)
    } else {
        unreachable!("exactly one action is present")
    };
    let _ = nodes;
    let what = match (&raw.until, what) {
        (None, what) => what,
        (Some(u), _) if u.get_ref() != "end" => {
            return Err(err(Some(u.span()), format!("`until` takes \"end\", not {:?}", u.get_ref())))
        }
        (Some(u), _) if raw.duration.is_some() => {
            return Err(err(Some(u.span()), "a fault has `for` or `until = \"end\"`, not both".into()))
        }
        (Some(_), Scripted::Crash(t)) => Scripted::CrashForGood(t),
        (Some(u), _) => {
            return Err(err(
                Some(u.span()),
                format!("`until = \"end\"` applies to `crash`, not to `{}`", present[0]),
            )
            .with_help("only a crash can outlast the settle phase; every other fault heals there"))
        }
    };
    let duration_of = match &raw.duration {
        Some(d) if !undoable => {
            return Err(err(Some(d.span()), format!("`for` does not apply to `{}`", present[0])));
        }
        Some(d) if d.get_ref().0 == Span::ZERO => {
            return Err(err(Some(d.span()), "`for` must be longer than zero".into()));
        }
        Some(d) => Some(d.get_ref().0),
        None => None,
    };
    Ok(ScriptedFault { at, duration: duration_of, what })
}
