//! The resolved configuration a run prints before it starts: every default
//! filled in, every random choice of this seed made, so that what ran is
//! never in doubt.

use sim::fault::TimedFault;
use sim::network::latency::ppm_to_string;
use sim::Scenario;
use std::fmt::Write;

/// Most schedule lines shown before the rest are summarised.
const SCHEDULE_LINES: usize = 40;

/// `nemesis` is the plan this seed runs (`swarm = true` draws it from the
/// seed: the caller resolves it; reports draw nothing). `schedule` is read
/// once: its first lines are shown and the rest only counted, so a schedule
/// of millions of faults is never held.
pub fn describe(
    scenario: &Scenario,
    parameters: &[(&str, String)],
    seed: u64,
    nemesis: &sim::nemesis::NemesisPlan,
    schedule: impl Iterator<Item = TimedFault>,
) -> String {
    let mut s = String::new();
    let row = |s: &mut String, key: &str, value: &str| {
        let _ = writeln!(s, "  {key:<11} {value}");
    };
    let _ = writeln!(s, "scenario {}", scenario.path);
    row(&mut s, "name", &scenario.name);
    let mut protocol = scenario.protocol.clone();
    if !parameters.is_empty() {
        let p: Vec<String> = parameters.iter().map(|(k, v)| format!("{k} {v}")).collect();
        protocol.push_str(&format!(" ({})", p.join(", ")));
    }
    row(&mut s, "protocol", &protocol);
    if let Some(bug) = &scenario.bug {
        row(&mut s, "bug", &format!("{bug} (seeded on purpose)"));
    }
    row(&mut s, "seed", &seed.to_string());
    row(
        &mut s,
        "nodes",
        &format!(
            "{}, {}",
            crate::numbers::things(scenario.nodes as u64, "server"),
            scenario.network.topology
        ),
    );
    let mut net = scenario.network.default.to_string();
    if !scenario.network.links.is_empty() {
        let n = scenario.network.links.len() as u64;
        let verb = if n == 1 { "differs" } else { "differ" };
        net.push_str(&format!("; {} {verb}", crate::numbers::things(n, "link")));
    }
    row(&mut s, "network", &net);
    match &scenario.workload {
        Some(w) => {
            let per_sec = 1e9 / w.interval.nanos() as f64;
            row(
                &mut s,
                "workload",
                &format!(
                    "{}: {} aiming at {} ops/s in all, one operation at a time each; timeout {}, retry {}",
                    w.kind,
                    crate::numbers::things(w.clients as u64, "client"),
                    crate::numbers::si(per_sec),
                    w.timeout,
                    w.retry
                ),
            );
        }
        None => row(&mut s, "workload", "none"),
    }
    row(
        &mut s,
        "duration",
        &format!(
            "{}: faults until {}, then {} to settle before eventually-properties are checked",
            scenario.duration,
            scenario.settle_start(),
            scenario.settle
        ),
    );
    let mut kinds = Vec::new();
    if let Some(c) = &nemesis.crash {
        kinds.push(format!("crash every {} for {}", c.every, c.down));
    }
    if let Some(p) = &nemesis.pause {
        kinds.push(format!("pause every {} for {}", p.every, p.duration));
    }
    if let Some(p) = &nemesis.partition {
        let shapes = p
            .kinds
            .as_ref()
            .map_or("any shape".to_string(), |k| k.iter().map(|k| k.name()).collect::<Vec<_>>().join("/"));
        kinds.push(format!("partition ({shapes}) every {} for {}", p.every, p.duration));
    }
    if let Some(c) = &nemesis.clock {
        kinds.push(format!(
            "clock skew up to ±{} drift ±{}ppm every {}",
            c.max_skew.0, c.max_drift_ppm, c.every
        ));
    }
    if let Some(d) = &nemesis.degrade {
        let drop = d.drop.map_or(String::new(), |p| format!(" drop {}", ppm_to_string(p.0)));
        let tail = d.tail.map_or(String::new(), |t| format!(" {t}"));
        kinds.push(format!("degrade links{drop}{tail} every {} for {}", d.every, d.duration));
    }
    if let Some(t) = &nemesis.trigger {
        let most = t.max_down.map_or("a minority".to_string(), |m| m.to_string());
        kinds.push(format!(
            "crash the observer of {} with probability {} within {} for {} (at most {most} down)",
            t.observe.join("/"),
            ppm_to_string(t.probability.0),
            t.within.0,
            t.down
        ));
    }
    let swarm = if scenario.nemesis.swarm { " (swarm: chosen by this seed)" } else { "" };
    if kinds.is_empty() {
        row(&mut s, "nemesis", "none");
    } else {
        row(&mut s, "nemesis", &format!("{}{swarm}", kinds.join("; ")));
    }
    for t in &scenario.triggers {
        let who = t.nodes.as_ref().map_or("any server".to_string(), |ns| {
            ns.iter().map(|p| p.to_string()).collect::<Vec<_>>().join(" ")
        });
        let undo = t.duration.map_or(" until the settle".to_string(), |d| format!(" for {d}"));
        let after = if t.after > sim::Time::ZERO { format!(", from {}", t.after) } else { String::new() };
        row(
            &mut s,
            "trigger",
            &format!(
                "{} the observer within {}{undo} when {who} observes {} (at most {} times{after})",
                t.action.name(),
                t.within,
                t.observe,
                t.times
            ),
        );
    }
    let checks = match &scenario.properties {
        Some(p) => p.join(", "),
        None => "every property of the protocol".to_string(),
    };
    row(&mut s, "checks", &checks);
    let l = &scenario.limits;
    row(
        &mut s,
        "limits",
        &format!(
            "{} events, queue {}, history {}, faults {}",
            crate::numbers::thousands(l.max_events),
            crate::numbers::thousands(l.max_queue as u64),
            crate::numbers::thousands(l.max_history as u64),
            crate::numbers::thousands(l.max_faults as u64)
        ),
    );
    let mut schedule = schedule.peekable();
    let mut shown = String::new();
    let mut entries = 0;
    while let Some(f) = schedule.next_if(|_| entries < SCHEDULE_LINES) {
        let _ = writeln!(shown, "  {f}");
        entries += 1;
    }
    // Counting is bounded too: past max_faults, the run stops anyway.
    let more = schedule.take(l.max_faults).count();
    if entries + more > l.max_faults {
        let _ = writeln!(
            s,
            "fault schedule (more than {}: more than max_faults lets strike):",
            crate::numbers::count(l.max_faults as u64, "entry", "entries")
        );
    } else {
        let _ = writeln!(
            s,
            "fault schedule ({}):",
            crate::numbers::count((entries + more) as u64, "entry", "entries")
        );
    }
    s.push_str(&shown);
    if more > 0 {
        let _ = writeln!(s, "  ... and {more} more");
    }
    s
}
