//! `dsim list`: what this build can simulate.

use crate::error::CliError;
use serde_json::json;
use sim::lin::MODELS;
use sim::nemesis::{PartitionKind, NEMESIS_KINDS};
use sim::network::topology::TOPOLOGY_NAMES;
use sim::workload::WORKLOADS;

/// The keys of a `[[fault]]` entry, with what each does.
const SCRIPTED_FAULTS: &[(&str, &str)] = &[
    ("crash = P", "crash process P: 3, \"n3\", \"c1\", or a role such as \"coordinator\" (with `for`: restart it after)"),
    ("restart = P", "restart process P from its disk"),
    ("pause = P", "pause process P (with `for`: resume it after)"),
    ("resume = P", "resume process P"),
    ("isolate = P", "cut process P off from every process"),
    ("partition = [[..], [..]]", "cut the network into groups; or a random shape: \"majority-minority\"... (with role = \"...\": drawn over that role's nodes)"),
    ("one_way = { from = [..], to = [..] }", "the processes of `from` can no longer send to those of `to`"),
    ("bridge = { left, right, via }", "two halves that only `via` joins"),
    ("heal = true", "heal every partition"),
    ("clock = { node, skew, drift_ppm }", "set a process's clock skew (a jump) and drift (from now on)"),
    ("degrade = { nodes, drop, duplicate, reorder, latency, tail }", "worsen links (with `for`: restore after)"),
    ("restore = true", "restore every link"),
];

/// The keys of a `[[trigger]]` entry besides `observe`.
const TRIGGER_KEYS: &[(&str, &str)] = &[
    ("crash = true, pause = true or isolate = true", "what to do to the process that observed"),
    ("within = \"1ms\"", "strike at a time drawn in (0, within] after the observation (default 1ms)"),
    ("node = P or [P, ..]", "only these processes' observations count (default: any server's)"),
    ("for = \"500ms\"", "then restart, resume or heal it (default: at the settle)"),
    ("times = N", "fire at most N times (default 1)"),
    ("after = \"2s\"", "ignore observations before this time"),
];

pub fn list(json: bool) -> Result<u8, CliError> {
    let protocols: Vec<sim::Description> = crate::registry().protocols().collect();
    let partitions: Vec<&str> = PartitionKind::ALL.iter().map(|k| k.name()).collect();
    if json {
        let protos: Vec<_> = protocols
            .iter()
            .map(|i| {
                json!({
                    "name": i.name,
                    "summary": i.summary,
                    "workloads": i.workloads,
                    "linearizability_model": i.model,
                    "roles": i.roles.iter().map(|r| json!({"name": r.name, "description": r.description})).collect::<Vec<_>>(),
                    "bugs": i.bugs.iter().map(|b| json!({"name": b.name, "description": b.description})).collect::<Vec<_>>(),
                    "properties": i.properties.iter().map(|p| json!({"name": p.name, "kind": p.kind, "description": p.description})).collect::<Vec<_>>(),
                    "parameters": i.params,
                })
            })
            .collect();
        let value = json!({
            "protocols": protos,
            "workloads": WORKLOADS.iter().map(|(n, d)| json!({"name": n, "description": d})).collect::<Vec<_>>(),
            "faults": SCRIPTED_FAULTS.iter().map(|(n, d)| json!({"key": n, "description": d})).collect::<Vec<_>>(),
            "triggers": TRIGGER_KEYS.iter().map(|(n, d)| json!({"key": n, "description": d})).collect::<Vec<_>>(),
            "nemesis": NEMESIS_KINDS.iter().map(|(n, d)| json!({"name": n, "description": d})).collect::<Vec<_>>(),
            "partition_shapes": partitions,
            "topologies": TOPOLOGY_NAMES,
            "models": MODELS.iter().map(|(n, d)| json!({"name": n, "description": d})).collect::<Vec<_>>(),
        });
        println!("{}", serde_json::to_string_pretty(&value).expect("JSON serializes"));
        return Ok(0);
    }
    println!("protocols:");
    for i in &protocols {
        println!("\n  {}: {}", i.name, i.summary);
        if i.roles.len() > 1 {
            let roles: Vec<&str> = i.roles.iter().map(|r| r.name).collect();
            println!("    roles ([nodes] ... = N): {}", roles.join(", "));
        }
        if !i.workloads.is_empty() {
            println!("    workloads: {}", i.workloads.join(", "));
        }
        if let Some(model) = i.model {
            println!("    linearizability model: {model} ([check] linearizable = true)");
        }
        if !i.params.is_empty() {
            println!("    parameters ([protocol] name = \"{}\", then any of):", i.name);
            for p in i.params {
                let default = p.default.map_or("(none)".to_string(), |d| format!("= {d}"));
                println!("      {:<24} {:<22} {}: {}", p.name, default, p.kind, p.help);
            }
        }
        println!("    properties:");
        for p in i.properties {
            println!("      {:<24} {:<10} {}", p.name, p.kind.to_string(), p.description);
        }
        println!("    seeded bugs (bug = \"...\"):");
        for b in i.bugs {
            println!("      {:<24} {}", b.name, b.description);
        }
        if i.bugs.is_empty() {
            println!("      (none)");
        }
    }
    println!("\nworkloads:");
    for (n, d) in WORKLOADS {
        println!("  {n:<24} {d}");
    }
    println!("\nscripted faults ([[fault]] at = \"5s\", and one of):");
    for (n, d) in SCRIPTED_FAULTS {
        println!("  {n:<54} {d}");
    }
    println!("\ntriggered faults ([[trigger]] observe = \"kind\", and one of):");
    for (n, d) in TRIGGER_KEYS {
        println!("  {n:<54} {d}");
    }
    println!("\nnemesis kinds ([nemesis], or swarm = true to let the seed choose):");
    for (n, d) in NEMESIS_KINDS {
        println!("  {n:<24} {d}");
    }
    println!("\nlinearizability models (dsim check --model, [check] linearizable = true):");
    for (n, d) in MODELS {
        println!("  {n:<24} {d}");
    }
    println!("\npartition shapes: {}", partitions.join(", "));
    println!("topologies: {}", TOPOLOGY_NAMES.join(", "));
    Ok(0)
}
