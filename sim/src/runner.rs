//! A protocol and a validated scenario, ready to run any seed: the one type
//! the CLI, sweeps and tests need, whatever the protocol.
//!
//! [`prepare`] resolves what the scenario names (the seeded bug, the
//! properties, the roles, the workload) to the protocol's types, once,
//! before anything runs: a typo is an error with its place in the file and a
//! did-you-mean, never a surprise during a run.

use crate::engine::{simulate, RunOptions, RunPlan};
use crate::named::{did_you_mean, NamedSet};
use crate::property::{Kind, NO_PANIC};
use crate::protocol::Cluster;
use crate::protocol::{Description, Protocol};
use crate::result::RunResult;
use crate::scenario::{Diagnostic, Scenario};
use crate::workload::{builtin_generator, Generator};

pub trait Runner: Send + Sync {
    fn scenario(&self) -> &Scenario;
    fn description(&self) -> &Description;
    fn run(&self, seed: u64, options: RunOptions<'_>) -> RunResult;
    /// The protocol's resolved parameters.
    fn parameters(&self) -> Vec<(&'static str, String)>;
    /// The servers by role.
    fn cluster(&self) -> &Cluster;
    /// The fewest nodes of each role, in the protocol's order of roles.
    fn min_nodes(&self) -> Vec<u32>;
    /// Which of the protocol's properties the scenario checks.
    fn enabled_properties(&self) -> &[bool];
}

struct Prepared<P: Protocol> {
    scenario: Scenario,
    protocol: P,
    description: Description,
    cluster: Cluster,
    enabled: Vec<bool>,
}

impl<P: Protocol> Prepared<P> {
    fn generator(&self) -> Option<Box<dyn Generator>> {
        let plan = self.scenario.workload.as_ref()?;
        self.protocol.generator(plan).or_else(|| builtin_generator(&plan.kind, plan.keys))
    }
}

impl<P: Protocol> Runner for Prepared<P> {
    fn scenario(&self) -> &Scenario {
        &self.scenario
    }
    fn description(&self) -> &Description {
        &self.description
    }
    fn run(&self, seed: u64, options: RunOptions<'_>) -> RunResult {
        let generator = || self.generator();
        let plan = RunPlan {
            protocol: &self.protocol,
            scenario: &self.scenario,
            cluster: &self.cluster,
            enabled: &self.enabled,
            generator: &generator,
        };
        simulate(&plan, seed, options)
    }
    fn parameters(&self) -> Vec<(&'static str, String)> {
        self.protocol.parameters()
    }
    fn cluster(&self) -> &Cluster {
        &self.cluster
    }
    fn min_nodes(&self) -> Vec<u32> {
        P::Role::ALL.iter().map(|r| self.protocol.min_nodes(*r).max(1)).collect()
    }
    fn enabled_properties(&self) -> &[bool] {
        &self.enabled
    }
}

/// Checks `scenario` against protocol `P`, resolves its names and reads its
/// parameters.
pub fn prepare<P: Protocol>(scenario: Scenario) -> Result<Box<dyn Runner>, Diagnostic> {
    let description = Description::of::<P>();
    let bug = resolve_bug::<P>(&scenario)?;
    let enabled = resolve_properties::<P>(&scenario)?;
    check_expected::<P>(&scenario, &enabled)?;
    check_workload(&scenario, &description)?;
    check_observation_kinds::<P>(&scenario)?;
    let counts = resolve_roles::<P>(&scenario)?;
    crate::protocol::check_keys(&scenario, description.name, description.params)?;
    let protocol = P::configure(&scenario, bug)?;
    let enabled: Vec<bool> =
        enabled.iter().zip(P::Property::ALL).map(|(on, p)| *on && protocol.checks(*p)).collect();
    let cluster = Cluster::from_layout(&counts, P::Role::ALL.len());
    for &(index, count) in &counts {
        let (role, count) = (P::Role::ALL[index], &count);
        let min = protocol.min_nodes(role);
        if *count < min {
            let what = if P::Role::ALL.len() == 1 {
                format!("{} needs at least {min} nodes with these parameters, not {count}", description.name)
            } else {
                format!(
                    "{} needs at least {min} {} node(s) with these parameters, not {count}",
                    description.name,
                    role.name()
                )
            };
            return Err(scenario.error(scenario.spans.nodes.clone(), what));
        }
    }
    if scenario.linearizable && protocol.model().is_none() {
        return Err(scenario.error(
            scenario.spans.linearizable.clone(),
            format!(
                "{} has no linearizability model: its operations are not reads and writes of an object",
                description.name
            ),
        ));
    }
    if let Some(w) = &scenario.workload {
        let probe = crate::process::ProcessId::client(0);
        if protocol.client(probe, &cluster).is_none() {
            return Err(scenario
                .error(scenario.spans.workload_kind.clone(), format!("{} has no clients", description.name))
                .with_help("remove the [workload] table"));
        }
        if protocol.generator(w).is_none() && builtin_generator(&w.kind, w.keys).is_none() {
            return Err(scenario.error(
                scenario.spans.workload_kind.clone(),
                format!(
                    "{} declares the workload `{}` but brings no generator for it",
                    description.name, w.kind
                ),
            ));
        }
    }
    Ok(Box::new(Prepared { scenario, protocol, description, cluster, enabled }))
}

/// An error about a name the protocol does not know, with the closest
/// known name when it looks like a typo.
fn unknown(
    scenario: &Scenario,
    span: Option<std::ops::Range<usize>>,
    typed: &str,
    what: String,
    known: &[&str],
) -> Diagnostic {
    let help = match did_you_mean(typed, known) {
        Some(close) => format!("did you mean `{close}`? The choices are: {}", known.join(", ")),
        None if known.is_empty() => "there is none".to_string(),
        None => format!("the choices are: {}", known.join(", ")),
    };
    scenario.error(span, what).with_help(help)
}

fn resolve_bug<P: Protocol>(scenario: &Scenario) -> Result<Option<P::Bug>, Diagnostic> {
    let Some(name) = &scenario.bug else { return Ok(None) };
    match P::Bug::from_name(name) {
        Some(bug) => Ok(Some(bug)),
        None => Err(unknown(
            scenario,
            scenario.spans.bug.clone(),
            name,
            format!("{} has no seeded bug `{name}`", P::info().name),
            &P::Bug::names(),
        )),
    }
}

/// `enabled[i]` for each of the protocol's properties.
fn resolve_properties<P: Protocol>(scenario: &Scenario) -> Result<Vec<bool>, Diagnostic> {
    let Some(names) = &scenario.properties else { return Ok(vec![true; P::Property::ALL.len()]) };
    let mut enabled = vec![false; P::Property::ALL.len()];
    for (i, name) in names.iter().enumerate() {
        if name == NO_PANIC.name || name == crate::engine::LINEARIZABLE {
            continue;
        }
        match P::Property::from_name(name) {
            Some(p) => enabled[p.index()] = true,
            None => {
                return Err(unknown(
                    scenario,
                    scenario.spans.properties.get(i).cloned(),
                    name,
                    format!("{} has no property `{name}`", P::info().name),
                    &P::Property::names(),
                ))
            }
        }
    }
    Ok(enabled)
}

/// Every observation kind a trigger names, against the kinds the protocol
/// lists (a protocol that lists none is not checked).
fn check_observation_kinds<P: Protocol>(scenario: &Scenario) -> Result<(), Diagnostic> {
    let known = P::OBSERVATION_KINDS;
    if known.is_empty() {
        return Ok(());
    }
    let scripted =
        scenario.triggers.iter().enumerate().map(|(i, t)| (&t.observe, scenario.spans.triggers.get(i)));
    let drawn = scenario
        .nemesis
        .trigger
        .iter()
        .flat_map(|t| &t.observe)
        .map(|k| (k, scenario.spans.nemesis_trigger.as_ref()));
    for (kind, span) in scripted.chain(drawn) {
        if !known.contains(&kind.as_str()) {
            return Err(unknown(
                scenario,
                span.cloned(),
                kind,
                format!("{} has no observation `{kind}`", P::info().name),
                known,
            ));
        }
    }
    Ok(())
}

/// `[check] expect` names sometimes-properties of the protocol that the
/// scenario checks.
fn check_expected<P: Protocol>(scenario: &Scenario, enabled: &[bool]) -> Result<(), Diagnostic> {
    let Some(names) = &scenario.expect else { return Ok(()) };
    let specs = <P::Property as NamedSet>::SPECS;
    let sometimes: Vec<&str> = specs.iter().filter(|s| s.kind == Kind::Sometimes).map(|s| s.name).collect();
    for (i, name) in names.iter().enumerate() {
        let span = scenario.spans.expect.get(i).cloned();
        match P::Property::from_name(name) {
            Some(p) if specs[p.index()].kind != Kind::Sometimes => {
                return Err(scenario
                    .error(
                        span,
                        format!(
                            "`{name}` is an {} property; only sometimes-properties can be expected",
                            specs[p.index()].kind
                        ),
                    )
                    .with_help(format!(
                        "{}'s sometimes-properties: {}",
                        P::info().name,
                        sometimes.join(", ")
                    )));
            }
            Some(p) if !enabled[p.index()] => {
                return Err(scenario.error(span, format!("`{name}` is expected but not checked")).with_help(
                    "add it to [check] properties, or leave [check] properties out to check every one",
                ));
            }
            Some(_) => {}
            None => {
                return Err(unknown(
                    scenario,
                    span,
                    name,
                    format!("{} has no sometimes-property `{name}`", P::info().name),
                    &sometimes,
                ))
            }
        }
    }
    Ok(())
}

fn check_workload(scenario: &Scenario, description: &Description) -> Result<(), Diagnostic> {
    let Some(w) = &scenario.workload else { return Ok(()) };
    if description.workloads.iter().any(|k| *k == w.kind) {
        return Ok(());
    }
    if description.workloads.is_empty() {
        return Err(scenario
            .error(
                scenario.spans.workload_kind.clone(),
                format!("{} does not support the workload `{}`", description.name, w.kind),
            )
            .with_help(format!("{} has no clients: remove the [workload] table", description.name)));
    }
    Err(unknown(
        scenario,
        scenario.spans.workload_kind.clone(),
        &w.kind,
        format!("{} does not support the workload `{}`", description.name, w.kind),
        description.workloads,
    ))
}

/// How many servers of each role, as `(role index, count)` in the
/// scenario's order (which numbers the servers).
fn resolve_roles<P: Protocol>(scenario: &Scenario) -> Result<Vec<(usize, u32)>, Diagnostic> {
    let roles = P::Role::ALL;
    match &scenario.roles {
        None if roles.len() == 1 => Ok(vec![(0, scenario.nodes)]),
        None => {
            let example: Vec<String> = roles.iter().map(|r| format!("{} = 1", r.name())).collect();
            Err(scenario
                .error(
                    scenario.spans.nodes.clone(),
                    format!("{} has several roles; say how many nodes of each", P::info().name),
                )
                .with_help(format!("write [nodes] with {}", example.join(", "))))
        }
        Some(given) => {
            let mut counts = Vec::new();
            let mut seen = vec![false; roles.len()];
            for r in given {
                match P::Role::from_name(&r.name) {
                    Some(role) => {
                        counts.push((role.index(), r.count));
                        seen[role.index()] = true;
                    }
                    None => {
                        return Err(unknown(
                            scenario,
                            Some(r.span.clone()),
                            &r.name,
                            format!("{} has no role `{}`", P::info().name, r.name),
                            &P::Role::names(),
                        ))
                    }
                }
            }
            if let Some(missing) = roles.iter().find(|r| !seen[r.index()]) {
                return Err(scenario.error(
                    scenario.spans.nodes.clone(),
                    format!("[nodes] does not say how many `{}` nodes to run", missing.name()),
                ));
            }
            Ok(counts)
        }
    }
}
