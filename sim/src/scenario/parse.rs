//! Reading a scenario: TOML text to a validated [`Scenario`], every
//! mistake a [`Diagnostic`] at its place in the file.

use super::raw::{NodesSpec, RawScenario, TargetSpec};
use super::scripted::scripted_fault;
use super::{
    placement, role_members, trigger, Diagnostic, Limits, RoleCount, Scenario, Spans, Target, WorkloadPlan,
};
use crate::network::{LinkParams, NetworkPlan, Tail, Topology};
use crate::process::ProcessId;
use crate::time::Span;
use std::ops::Range;
use toml::de::{DeTable, DeValue};
use toml::Spanned;

/// Nothing in a run grows with the square of the node count (see
/// `network/`), so this bounds only what a machine can hold.
const MAX_NODES: u32 = 1_000_000;
const MIN_NEMESIS_INTERVAL: Span = Span::from_millis(1);

impl Scenario {
    /// Reads and validates a scenario file.
    pub fn load(path: &str) -> Result<Scenario, Diagnostic> {
        let source = crate::files::read_text(path, "scenario")?;
        Scenario::parse(path, &source)
    }

    /// Validates scenario text; `path` is only used in messages.
    pub fn parse(path: &str, source: &str) -> Result<Scenario, Diagnostic> {
        let err = |span: Option<Range<usize>>, msg: String| Diagnostic::new(path, source, span, msg);
        let toml_err = |e: toml::de::Error| Diagnostic::from_toml(path, source, &e);

        let mut root = DeTable::parse(source).map_err(toml_err)?;
        let whole = root.span();
        if let Some((span, message)) = placement::misplaced_key(root.get_ref()) {
            return Err(err(Some(span), message));
        }
        let protocol_entry = root.get_mut().remove("protocol");
        let (protocol, protocol_span) = match protocol_entry {
            None => {
                return Err(err(Some(0..0), "the scenario names no protocol".into())
                    .with_help("add `protocol = \"gossip\"` at the top (`dsim list` shows the protocols)"))
            }
            Some(v) => protocol_name(&v).map_err(|(span, msg)| err(Some(span), msg))?,
        };
        let lookup = root.clone();
        let raw = RawScenario::deserialize_from(root).map_err(toml_err)?;
        let params = toml::from_str::<toml::Table>(source)
            .ok()
            .and_then(|mut t| t.remove("protocol"))
            .and_then(|p| match p {
                toml::Value::Table(mut t) => {
                    t.remove("name");
                    Some(t)
                }
                _ => None,
            })
            .unwrap_or_default();
        let span_at = |keys: &[&str]| span_of(lookup.get_ref(), keys).or(Some(whole.clone()));

        let (nodes, roles) = match raw.nodes.get_ref() {
            NodesSpec::Count(n) => (*n, None),
            NodesSpec::Roles(rs) => {
                if rs.is_empty() {
                    return Err(err(
                        Some(raw.nodes.span()),
                        "[nodes] lists no role; say how many nodes of each, such as participant = 3".into(),
                    ));
                }
                let mut roles: Vec<RoleCount> = Vec::new();
                for (name, count) in rs {
                    if *count.get_ref() == 0 {
                        return Err(err(
                            Some(count.span()),
                            "a role needs at least one node, not 0".to_string(),
                        ));
                    }
                    if name.get_ref() == "client" {
                        return Err(err(
                            Some(name.span()),
                            "clients are set by [workload] clients, not [nodes]".into(),
                        ));
                    }
                    roles.push(RoleCount {
                        name: name.get_ref().clone(),
                        count: *count.get_ref(),
                        span: name.span(),
                    });
                }
                let total = roles.iter().map(|r| r.count as u64).sum::<u64>();
                (u32::try_from(total).unwrap_or(u32::MAX), Some(roles))
            }
        };
        if nodes == 0 || nodes > MAX_NODES {
            return Err(err(
                Some(raw.nodes.span()),
                format!("a scenario needs between 1 and {MAX_NODES} nodes, not {nodes}"),
            ));
        }
        let duration = raw.duration.get_ref().0;
        if duration == Span::ZERO {
            return Err(err(Some(raw.duration.span()), "the duration must be longer than zero".into()));
        }
        let settle = match &raw.check.settle {
            Some(s) => {
                if s.get_ref().0 > duration {
                    return Err(err(
                        Some(s.span()),
                        format!("settle ({}) is longer than the whole run ({duration})", s.get_ref().0),
                    ));
                }
                s.get_ref().0
            }
            None => Span::from_secs(5).min(Span(duration.nanos() / 2)),
        };
        let settle_start = (duration - settle).after_start();

        // Network.
        let topology = match &raw.network.topology {
            Some(t) => {
                t.get_ref().0.validate(nodes).map_err(|m| err(Some(t.span()), m))?;
                t.get_ref().0
            }
            None => Topology::Full,
        };
        let base = LinkParams::default();
        let default = LinkParams {
            latency: raw.network.latency.map_or(base.latency, |l| l.0),
            drop_ppm: raw.network.drop.map_or(0, |p| p.0),
            duplicate_ppm: raw.network.duplicate.map_or(0, |p| p.0),
            reorder_ppm: raw.network.reorder.map_or(0, |p| p.0),
            tail: raw.network.tail.unwrap_or(Tail::NONE),
        };
        let clients = raw.workload.as_ref().map_or(Ok(0), |w| match &w.clients {
            Some(c) if *c.get_ref() == 0 || *c.get_ref() > MAX_NODES => {
                Err(err(Some(c.span()), format!("a workload needs between 1 and {MAX_NODES} clients")))
            }
            Some(c) => Ok(*c.get_ref()),
            None => Ok(1),
        })?;
        let check_process = |p: &Spanned<ProcessId>| -> Result<ProcessId, Diagnostic> {
            let id = *p.get_ref();
            let ok = if id.is_server() { id.index() < nodes } else { id.index() < clients };
            if ok {
                Ok(id)
            } else if id.is_server() {
                Err(err(
                    Some(p.span()),
                    format!(
                        "node index {} is out of range: this scenario has {nodes} nodes (0..={})",
                        id.index(),
                        nodes - 1
                    ),
                ))
            } else {
                Err(err(
                    Some(p.span()),
                    format!("client {id} does not exist: this scenario has {clients} clients"),
                ))
            }
        };
        let check_target = |t: &Spanned<TargetSpec>| -> Result<Target, Diagnostic> {
            match t.get_ref() {
                TargetSpec::Process(p) => check_process(&Spanned::new(t.span(), *p)).map(Target::Process),
                TargetSpec::Role(name) => {
                    let members = role_members(roles.as_deref(), nodes, clients, name);
                    match members {
                        Some(m) if !m.is_empty() => Ok(if m.len() == 1 {
                            Target::Process(m[0])
                        } else {
                            Target::AnyOf { role: name.clone(), members: m }
                        }),
                        Some(_) => Err(err(
                            Some(t.span()),
                            format!("the role `{name}` has no process in this scenario"),
                        )),
                        None => {
                            let mut known: Vec<String> = match &roles {
                                Some(rs) => rs.iter().map(|r| r.name.clone()).collect(),
                                None => vec!["server".to_string()],
                            };
                            known.push("client".into());
                            Err(err(Some(t.span()), format!("`{name}` is neither a process nor a role of this scenario"))
                                .with_help(format!("name a node index such as 3, a process such as \"n3\" or \"c1\", or a role: {}", known.join(", "))))
                        }
                    }
                }
            }
        };
        let mut links = Vec::new();
        for link in &raw.network.link {
            let ends = link.between.get_ref();
            if ends.len() != 2 {
                return Err(err(
                    Some(link.between.span()),
                    "a link is `between` exactly two processes, such as [0, 1]".into(),
                ));
            }
            let (a, b) = (check_process(&ends[0])?, check_process(&ends[1])?);
            let params = LinkParams {
                latency: link.latency.map_or(default.latency, |l| l.0),
                drop_ppm: link.drop.map_or(default.drop_ppm, |p| p.0),
                duplicate_ppm: link.duplicate.map_or(default.duplicate_ppm, |p| p.0),
                reorder_ppm: link.reorder.map_or(default.reorder_ppm, |p| p.0),
                tail: link.tail.unwrap_or(default.tail),
            };
            links.push((a, b, params));
        }

        // Workload.
        let workload = match &raw.workload {
            None => None,
            Some(w) => {
                let timeout = w.timeout.as_ref().map_or(Span::from_secs(1), |t| t.get_ref().0);
                if timeout == Span::ZERO {
                    return Err(err(
                        w.timeout.as_ref().map(|t| t.span()),
                        "the timeout must be longer than zero".into(),
                    ));
                }
                let retry = w
                    .retry
                    .as_ref()
                    .map_or(Span(timeout.nanos() / 4).max(Span::from_millis(1)), |t| t.get_ref().0);
                if retry == Span::ZERO {
                    return Err(err(
                        w.retry.as_ref().map(|t| t.span()),
                        "the retry interval must be longer than zero".into(),
                    ));
                }
                let keys = match &w.keys {
                    Some(k) if *k.get_ref() == 0 => {
                        return Err(err(Some(k.span()), "a keyed workload needs at least one key".into()))
                    }
                    Some(k) => *k.get_ref(),
                    None => 5,
                };
                let through_settle = match &w.stop {
                    None => false,
                    Some(s) if s.get_ref() == "settle" => false,
                    Some(s) if s.get_ref() == "end" => true,
                    Some(s) => {
                        return Err(err(
                            Some(s.span()),
                            format!(
                                "unknown stop `{}`; expected \"settle\" (the default) or \"end\"",
                                s.get_ref()
                            ),
                        ))
                    }
                };
                Some(WorkloadPlan {
                    kind: w.kind.get_ref().clone(),
                    clients,
                    interval: w.rate.get_ref().0,
                    timeout,
                    retry,
                    keys,
                    through_settle,
                })
            }
        };

        // Scripted faults.
        let mut faults = Vec::new();
        for f in &raw.fault {
            faults.push(scripted_fault(
                f,
                nodes,
                duration,
                settle_start,
                &err,
                &check_target,
                &check_process,
            )?);
        }

        // Triggers.
        let exists = |p: ProcessId| -> Result<(), String> {
            match check_process(&Spanned::new(0..0, p)) {
                Ok(_) => Ok(()),
                Err(d) => Err(d.message),
            }
        };
        let mut triggers = Vec::new();
        for t in &raw.trigger {
            triggers.push(trigger::trigger(t, settle_start, &err, &exists)?);
        }

        // Nemesis.
        let nemesis = raw.nemesis;
        let too_fast = |every: &crate::time::DurationRange, kind: &str| -> Result<(), Diagnostic> {
            if every.min < MIN_NEMESIS_INTERVAL {
                return Err(err(
                    span_at(&["nemesis", kind, "every"]),
                    format!("the nemesis cannot strike more often than every {MIN_NEMESIS_INTERVAL}"),
                ));
            }
            Ok(())
        };
        if let Some(c) = &nemesis.crash {
            too_fast(&c.every, "crash")?;
            if c.max_down.is_some_and(|m| m == 0 || m > nodes) {
                return Err(err(
                    span_at(&["nemesis", "crash", "max_down"]),
                    format!("max_down must be between 1 and the number of nodes ({nodes})"),
                ));
            }
        }
        if let Some(p) = &nemesis.pause {
            too_fast(&p.every, "pause")?;
            if p.max_paused.is_some_and(|m| m == 0 || m > nodes) {
                return Err(err(
                    span_at(&["nemesis", "pause", "max_paused"]),
                    format!("max_paused must be between 1 and the number of nodes ({nodes})"),
                ));
            }
        }
        if let Some(p) = &nemesis.partition {
            too_fast(&p.every, "partition")?;
            if p.kinds.as_ref().is_some_and(|k| k.is_empty()) {
                return Err(err(
                    span_at(&["nemesis", "partition", "kinds"]),
                    "kinds is empty: leave it out to draw from every shape".into(),
                ));
            }
        }
        if let Some(c) = &nemesis.clock {
            too_fast(&c.every, "clock")?;
            if c.max_drift_ppm as i64 > crate::clock::MAX_DRIFT_PPM {
                return Err(err(
                    span_at(&["nemesis", "clock", "max_drift_ppm"]),
                    format!("drift beyond {} ppm is not a clock", crate::clock::MAX_DRIFT_PPM),
                ));
            }
        }
        if let Some(d) = &nemesis.degrade {
            too_fast(&d.every, "degrade")?;
        }
        if let Some(t) = &nemesis.trigger {
            let at = |key: &str| span_at(&["nemesis", "trigger", key]);
            if t.observe.is_empty() {
                return Err(err(at("observe"), "observe lists no observation kind".into()));
            }
            if t.within.0 == Span::ZERO {
                return Err(err(
                    at("within"),
                    "within must be longer than zero: a triggered fault strikes after the observation".into(),
                ));
            }
            if t.down.min == Span::ZERO {
                return Err(err(at("down"), "down must be longer than zero".into()));
            }
            if t.max_down.is_some_and(|m| m == 0 || m > nodes) {
                return Err(err(
                    at("max_down"),
                    format!("max_down must be between 1 and the number of nodes ({nodes})"),
                ));
            }
        }
        for (kind, role) in nemesis.roles() {
            match role_members(roles.as_deref(), nodes, clients, role) {
                Some(m) if !m.is_empty() => {}
                Some(_) => {
                    return Err(err(
                        span_at(&["nemesis", kind, "role"]),
                        format!("the role `{role}` has no process in this scenario"),
                    ))
                }
                None => {
                    let mut known: Vec<String> = match &roles {
                        Some(rs) => rs.iter().map(|r| r.name.clone()).collect(),
                        None => vec!["server".to_string()],
                    };
                    known.push("client".into());
                    return Err(err(
                        span_at(&["nemesis", kind, "role"]),
                        format!("this scenario has no role `{role}`"),
                    )
                    .with_help(format!("its roles are: {}", known.join(", "))));
                }
            }
        }

        // Checks and limits.
        let properties =
            raw.check.properties.as_ref().map(|ps| ps.iter().map(|p| p.get_ref().clone()).collect());
        let mut limits = Limits::default();
        for (value, slot, key) in [
            (&raw.limits.max_events, &mut limits.max_events, "max_events"),
            (
                &raw.limits.max_events_per_instant,
                &mut limits.max_events_per_instant,
                "max_events_per_instant",
            ),
        ] {
            if let Some(v) = value {
                if *v.get_ref() == 0 {
                    return Err(err(Some(v.span()), format!("{key} must be at least 1")));
                }
                *slot = *v.get_ref();
            }
        }
        for (value, slot, key) in [
            (&raw.limits.max_queue, &mut limits.max_queue, "max_queue"),
            (&raw.limits.max_history, &mut limits.max_history, "max_history"),
            (&raw.limits.max_faults, &mut limits.max_faults, "max_faults"),
        ] {
            if let Some(v) = value {
                if *v.get_ref() == 0 {
                    return Err(err(Some(v.span()), format!("{key} must be at least 1")));
                }
                *slot = *v.get_ref() as usize;
            }
        }

        let spans = Spans {
            protocol: Some(protocol_span),
            nodes: Some(raw.nodes.span()),
            bug: raw.bug.as_ref().map(|b| b.span()),
            properties: raw
                .check
                .properties
                .as_ref()
                .map_or(Vec::new(), |ps| ps.iter().map(|p| p.span()).collect()),
            expect: raw.check.expect.as_ref().map_or(Vec::new(), |ps| ps.iter().map(|p| p.span()).collect()),
            workload_kind: raw.workload.as_ref().map(|w| w.kind.span()),
            linearizable: raw.check.linearizable.as_ref().map(|l| l.span()),
            triggers: raw.trigger.iter().map(|t| t.get_ref().observe.span()).collect(),
            nemesis_trigger: span_of(lookup.get_ref(), &["nemesis", "trigger", "observe"]),
        };
        let expect = raw.check.expect.map(|ps| ps.into_iter().map(|p| p.into_inner()).collect());
        let name = raw.name.unwrap_or_else(|| {
            std::path::Path::new(path)
                .file_stem()
                .map_or(path.to_string(), |s| s.to_string_lossy().into_owned())
        });
        Ok(Scenario {
            path: path.to_string(),
            source: source.to_string(),
            name,
            description: raw.description,
            protocol,
            params,
            bug: raw.bug.map(|b| b.into_inner()),
            nodes,
            roles,
            duration,
            settle,
            seed: raw.seed.unwrap_or(0),
            network: NetworkPlan { topology, default, links },
            workload,
            faults,
            triggers,
            nemesis,
            properties,
            expect,
            linearizable: raw.check.linearizable.is_some_and(|l| *l.get_ref()),
            limits,
            crash_mode: raw.disk.on_crash.unwrap_or_default(),
            spans,
        })
    }
}

impl RawScenario {
    fn deserialize_from(root: Spanned<DeTable<'_>>) -> Result<RawScenario, toml::de::Error> {
        serde::Deserialize::deserialize(toml::de::Deserializer::from(root))
    }
}

/// The protocol's name from `protocol = "x"` or `[protocol] name = "x"`.
fn protocol_name(value: &Spanned<DeValue<'_>>) -> Result<(String, Range<usize>), (Range<usize>, String)> {
    match value.get_ref() {
        DeValue::String(s) => Ok((s.to_string(), value.span())),
        DeValue::Table(t) => match t.get("name") {
            Some(v) => match v.get_ref() {
                DeValue::String(s) => Ok((s.to_string(), v.span())),
                other => {
                    Err((v.span(), format!("the protocol's name must be a string, not {}", other.type_str())))
                }
            },
            None => {
                Err((value.span(), "the [protocol] table needs a `name`, such as name = \"gossip\"".into()))
            }
        },
        other => Err((
            value.span(),
            format!("`protocol` must be a name such as \"gossip\" or a table, not {}", other.type_str()),
        )),
    }
}

/// The span of the value at `keys` in a parsed document.
fn span_of(table: &DeTable<'_>, keys: &[&str]) -> Option<Range<usize>> {
    let (first, rest) = keys.split_first()?;
    let value = table.get(*first)?;
    if rest.is_empty() {
        return Some(value.span());
    }
    match value.get_ref() {
        DeValue::Table(t) => span_of(t, rest).or(Some(value.span())),
        _ => Some(value.span()),
    }
}
