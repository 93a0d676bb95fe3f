//! A scenario written back as TOML, from its typed fields: every key, every
//! default filled in, in the shape the parser reads. The shrinker and
//! `explore --swarm` edit typed fields and write the result out (the repro
//! must carry the scenario that ran); reading the text again validates the
//! edit exactly as a file would be validated.

use super::{Scenario, Scripted, Target};
use crate::network::latency::{ppm_to_string, Latency};
use crate::network::{LinkOverride, LinkParams, Partition, Tail, Topology};
use crate::process::ProcessId;
use crate::time::{Span, Time};
use toml::{Table, Value};

fn s(text: impl Into<String>) -> Value {
    Value::String(text.into())
}

/// A duration or an instant, exactly: the text is read back.
fn time(ns: u64) -> Value {
    s(crate::time::Exact(ns).to_string())
}

fn probability(ppm: u32) -> Value {
    Value::Float(ppm_to_string(ppm).parse().unwrap_or(0.0))
}

fn process(p: ProcessId) -> Value {
    s(p.to_string())
}

fn processes(ps: &[ProcessId]) -> Value {
    Value::Array(ps.iter().map(|p| process(*p)).collect())
}

fn table<const N: usize>(entries: [(&str, Value); N]) -> Value {
    Value::Table(entries.into_iter().map(|(k, v)| (k.to_string(), v)).collect())
}

pub(crate) fn latency(l: &Latency) -> Value {
    match *l {
        Latency::Constant { value } => time(value.nanos()),
        Latency::Uniform { min, max } => {
            table([("dist", s("uniform")), ("min", time(min.nanos())), ("max", time(max.nanos()))])
        }
        Latency::Exponential { min, mean } => {
            table([("dist", s("exponential")), ("min", time(min.nanos())), ("mean", time(mean.nanos()))])
        }
    }
}

fn link_params(t: &mut Table, p: &LinkParams, base: Option<&LinkParams>) {
    if base.is_none_or(|b| b.latency != p.latency) {
        t.insert("latency".into(), latency(&p.latency));
    }
    for (key, ppm, base_ppm) in [
        ("drop", p.drop_ppm, base.map(|b| b.drop_ppm)),
        ("duplicate", p.duplicate_ppm, base.map(|b| b.duplicate_ppm)),
        ("reorder", p.reorder_ppm, base.map(|b| b.reorder_ppm)),
    ] {
        if base_ppm != Some(ppm) && (ppm > 0 || base.is_some()) {
            t.insert(key.into(), probability(ppm));
        }
    }
    // A link without a tail under a default with one says `share = 0`.
    if base.map_or(!p.tail.is_none(), |b| b.tail != p.tail) {
        t.insert("tail".into(), tail(&p.tail));
    }
}

fn tail(t: &Tail) -> Value {
    // `max` must stay positive even for `share = 0`.
    let max = if t.max == Span::ZERO { Span(1) } else { t.max };
    table([("share", probability(t.ppm)), ("max", time(max.nanos()))])
}

fn topology(t: Topology) -> Value {
    match t {
        Topology::Full => s("full"),
        Topology::Line => s("line"),
        Topology::Ring => s("ring"),
        Topology::Star => s("star"),
        Topology::Grid => s("grid"),
        Topology::RandomRegular { degree } => {
            table([("kind", s("random-regular")), ("degree", Value::Integer(degree as i64))])
        }
    }
}

fn target(t: &Target) -> Value {
    match t {
        Target::Process(p) => process(*p),
        Target::AnyOf { role, .. } => s(role.clone()),
    }
}

fn link_override(t: &mut Table, c: &LinkOverride) {
    if let Some(l) = &c.latency {
        t.insert("latency".into(), latency(l));
    }
    for (key, ppm) in [("drop", c.drop_ppm), ("duplicate", c.duplicate_ppm), ("reorder", c.reorder_ppm)] {
        if let Some(ppm) = ppm {
            t.insert(key.into(), probability(ppm));
        }
    }
    if let Some(x) = &c.tail {
        t.insert("tail".into(), tail(x));
    }
}

fn fault_action(what: &Scripted) -> (&'static str, Value) {
    match what {
        Scripted::Crash(t) | Scripted::CrashForGood(t) => ("crash", target(t)),
        Scripted::Restart(t) => ("restart", target(t)),
        Scripted::Pause(t) => ("pause", target(t)),
        Scripted::Resume(t) => ("resume", target(t)),
        Scripted::Isolate(t) => ("isolate", target(t)),
        Scripted::Partition(Partition::Isolate { node }) => ("isolate", process(*node)),
        Scripted::Partition(Partition::Groups { groups }) => {
            ("partition", Value::Array(groups.iter().map(|g| processes(g)).collect()))
        }
        Scripted::Partition(Partition::OneWay { from, to }) => {
            ("one_way", table([("from", processes(from)), ("to", processes(to))]))
        }
        Scripted::Partition(Partition::Bridge { left, right, bridge }) => (
            "bridge",
            table([("left", processes(left)), ("right", processes(right)), ("via", process(*bridge))]),
        ),
        Scripted::RandomPartition { kind, .. } => ("partition", s(kind.name())),
        Scripted::HealAll => ("heal", Value::Boolean(true)),
        Scripted::Clock { node, skew_ns, drift_ppm } => {
            let sign = if *skew_ns < 0 { "-" } else { "" };
            let skew = format!("{sign}{}", Time(skew_ns.unsigned_abs()).exact());
            (
                "clock",
                table([("node", target(node)), ("skew", s(skew)), ("drift_ppm", Value::Integer(*drift_ppm))]),
            )
        }
        Scripted::Degrade { nodes, change } => {
            let mut t = Table::new();
            if let Some(ns) = nodes {
                t.insert("nodes".into(), processes(ns));
            }
            link_override(&mut t, change);
            ("degrade", Value::Table(t))
        }
        Scripted::RestoreAll => ("restore", Value::Boolean(true)),
    }
}

impl Scenario {
    /// The scenario as a TOML table, every default filled in.
    pub fn to_table(&self) -> Table {
        let mut root = Table::new();
        root.insert("name".into(), s(self.name.clone()));
        if let Some(d) = &self.description {
            root.insert("description".into(), s(d.clone()));
        }
        if self.params.is_empty() {
            root.insert("protocol".into(), s(self.protocol.clone()));
        } else {
            let mut p = Table::new();
            p.insert("name".into(), s(self.protocol.clone()));
            p.extend(self.params.clone());
            root.insert("protocol".into(), Value::Table(p));
        }
        if let Some(bug) = &self.bug {
            root.insert("bug".into(), s(bug.clone()));
        }
        match &self.roles {
            None => {
                root.insert("nodes".into(), Value::Integer(self.nodes as i64));
            }
            Some(roles) => {
                // Servers are numbered in the file's order of roles; an
                // inline table keeps that order when it is written.
                let t: Table =
                    roles.iter().map(|r| (r.name.clone(), Value::Integer(r.count as i64))).collect();
                root.insert("nodes".into(), Value::Table(t));
            }
        }
        root.insert("duration".into(), time(self.duration.nanos()));
        root.insert("seed".into(), Value::Integer(self.seed as i64));

        let mut net = Table::new();
        net.insert("topology".into(), topology(self.network.topology));
        link_params(&mut net, &self.network.default, None);
        if !self.network.links.is_empty() {
            let links = self
                .network
                .links
                .iter()
                .map(|(a, b, p)| {
                    let mut t = Table::new();
                    t.insert("between".into(), processes(&[*a, *b]));
                    link_params(&mut t, p, Some(&self.network.default));
                    Value::Table(t)
                })
                .collect();
            net.insert("link".into(), Value::Array(links));
        }
        root.insert("network".into(), Value::Table(net));

        if let Some(w) = &self.workload {
            let mut t = Table::new();
            t.insert("kind".into(), s(w.kind.clone()));
            t.insert("clients".into(), Value::Integer(w.clients as i64));
            t.insert("rate".into(), s(format!("1/{}", w.interval.exact())));
            t.insert("timeout".into(), time(w.timeout.nanos()));
            t.insert("retry".into(), time(w.retry.nanos()));
            t.insert("keys".into(), Value::Integer(w.keys as i64));
            t.insert("stop".into(), s(if w.through_settle { "end" } else { "settle" }));
            root.insert("workload".into(), Value::Table(t));
        }

        if !self.faults.is_empty() {
            let faults = self
                .faults
                .iter()
                .map(|f| {
                    let mut t = Table::new();
                    t.insert("at".into(), time(f.at.nanos()));
                    if let Some(d) = f.duration {
                        t.insert("for".into(), time(d.nanos()));
                    }
                    let (key, value) = fault_action(&f.what);
                    t.insert(key.into(), value);
                    if let Scripted::CrashForGood(_) = &f.what {
                        t.insert("until".into(), s("end".to_string()));
                    }
                    if let Scripted::RandomPartition { role: Some((role, _)), .. } = &f.what {
                        t.insert("role".into(), s(role.clone()));
                    }
                    Value::Table(t)
                })
                .collect();
            root.insert("fault".into(), Value::Array(faults));
        }

        if !self.triggers.is_empty() {
            let triggers = self.triggers.iter().map(super::trigger::to_value).collect();
            root.insert("trigger".into(), Value::Array(triggers));
        }

        if !self.nemesis.is_empty() || self.nemesis.swarm || self.nemesis.trigger.is_some() {
            if let Ok(v) = Value::try_from(&self.nemesis) {
                root.insert("nemesis".into(), v);
            }
        }

        let mut check = Table::new();
        if let Some(ps) = &self.properties {
            check.insert("properties".into(), Value::Array(ps.iter().map(|p| s(p.clone())).collect()));
        }
        if let Some(ps) = &self.expect {
            check.insert("expect".into(), Value::Array(ps.iter().map(|p| s(p.clone())).collect()));
        }
        check.insert("linearizable".into(), Value::Boolean(self.linearizable));
        check.insert("settle".into(), time(self.settle.nanos()));
        root.insert("check".into(), Value::Table(check));

        let l = &self.limits;
        root.insert(
            "limits".into(),
            table([
                ("max_events", Value::Integer(l.max_events.min(i64::MAX as u64) as i64)),
                (
                    "max_events_per_instant",
                    Value::Integer(l.max_events_per_instant.min(i64::MAX as u64) as i64),
                ),
                ("max_queue", Value::Integer(l.max_queue as i64)),
                ("max_history", Value::Integer(l.max_history as i64)),
                ("max_faults", Value::Integer(l.max_faults as i64)),
            ]),
        );
        if let Ok(v) = Value::try_from(self.crash_mode) {
            root.insert("disk".into(), table([("on_crash", v)]));
        }
        root
    }

    /// The scenario as TOML text, after `header` (comment lines).
    pub fn to_toml(&self, header: &str) -> String {
        let body = toml::to_string(&self.to_table()).unwrap_or_default();
        format!("{header}{body}")
    }
}
