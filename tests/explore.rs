//! `dsim explore`, `merge` and the library API: sweeps find the same seeds
//! whatever the number of workers, shards merge into the single-sweep
//! result, summaries flag what never fired, exit codes say what happened.

mod common;
use common::{dsim, stderr, stdout};
use serde_json::Value;
use std::path::Path;

const BUGS: [&str; 2] =
    ["scenarios/gossip/bugs/ack-before-sync.toml", "scenarios/gossip/bugs/range-off-by-one.toml"];

fn explore(args: &[&str], json: &Path) -> (Option<i32>, String, Value) {
    let mut all = vec!["explore"];
    all.extend_from_slice(args);
    all.extend_from_slice(&["--json", json.to_str().unwrap()]);
    let o = dsim(&all);
    let v = serde_json::from_str(&std::fs::read_to_string(json).unwrap_or_else(|_| panic!("{}", stderr(&o))))
        .unwrap();
    (o.status.code(), stdout(&o), v)
}

/// (scenario, property, signature, seeds, message, step) of every finding.
fn findings(v: &Value) -> Vec<(String, String, String, Vec<u64>, String, u64)> {
    v["sweeps"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|s| {
            s["findings"].as_array().unwrap().iter().map(move |f| {
                (
                    s["path"].as_str().unwrap().to_string(),
                    f["property"].as_str().unwrap().to_string(),
                    f["signature"].as_str().unwrap().to_string(),
                    f["seeds"].as_array().unwrap().iter().map(|x| x.as_u64().unwrap()).collect(),
                    f["message"].as_str().unwrap().to_string(),
                    f["step"].as_u64().unwrap(),
                )
            })
        })
        .collect()
}

#[test]
fn one_and_two_workers_find_the_same_seeds_and_write_the_same_repros() {
    let dir = common::temp_dir("jobs");
    let mut runs = Vec::new();
    for jobs in ["1", "2"] {
        let out = dir.join(format!("out{jobs}"));
        let json = dir.join(format!("j{jobs}.json"));
        let mut args = BUGS.to_vec();
        args.extend_from_slice(&["--seeds", "0..150", "--jobs", jobs, "--out", out.to_str().unwrap()]);
        let (code, _, v) = explore(&args, &json);
        assert_eq!(code, Some(1));
        let mut repros: Vec<(String, String)> = std::fs::read_dir(&out)
            .unwrap()
            .map(|e| {
                let p = e.unwrap().path();
                (p.file_name().unwrap().to_string_lossy().into_owned(), std::fs::read_to_string(&p).unwrap())
            })
            .collect();
        repros.sort();
        assert!(v["sweeps"][0].get("seed_costs").is_none(), "only with --seed-costs");
        runs.push((findings(&v), repros));
    }
    assert!(!runs[0].0.is_empty());
    assert_eq!(runs[0].0, runs[1].0, "same findings, same seeds");
    assert_eq!(runs[0].1, runs[1].1, "byte-identical repros");
}

#[test]
fn shards_merge_into_what_one_sweep_finds() {
    let dir = common::temp_dir("shards");
    let out = dir.join("out");
    let mut args = BUGS.to_vec();
    args.extend_from_slice(&["--seeds", "0..120", "--seed-costs", "--out", out.to_str().unwrap()]);
    let (_, _, whole) = explore(&args, &dir.join("whole.json"));
    let seeds: Vec<u64> = whole["sweeps"][0]["seed_costs"]
        .as_array()
        .expect("--seed-costs lists each seed's costs")
        .iter()
        .map(|c| c["seed"].as_u64().unwrap())
        .collect();
    assert_eq!(seeds, (0..120).collect::<Vec<_>>());
    let mut parts = Vec::new();
    for k in 1..=3 {
        let shard = format!("{k}/3");
        let mut a = args.clone();
        a.extend_from_slice(&["--shard", &shard]);
        let part = dir.join(format!("part{k}.json"));
        let (_, _, v) = explore(&a, &part);
        assert!(v["sweeps"][0]["seeds_run"].as_u64().unwrap() == 40);
        parts.push(part);
    }
    let merged = dir.join("merged.json");
    let junit = dir.join("merged.xml");
    let mut margs = vec!["merge"];
    let names: Vec<String> = parts.iter().map(|p| p.display().to_string()).collect();
    margs.extend(names.iter().map(|s| s.as_str()));
    margs.extend_from_slice(&["--json", merged.to_str().unwrap(), "--junit", junit.to_str().unwrap()]);
    let o = dsim(&margs);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    let merged: Value = serde_json::from_str(&std::fs::read_to_string(&merged).unwrap()).unwrap();
    assert_eq!(findings(&merged), findings(&whole));
    for (m, w) in merged["sweeps"].as_array().unwrap().iter().zip(whole["sweeps"].as_array().unwrap()) {
        assert_eq!(m["seeds_run"], w["seeds_run"]);
        assert_eq!(m["events"], w["events"]);
        assert_eq!(m["sometimes"], w["sometimes"]);
        assert_eq!(m["seed_costs"], w["seed_costs"], "each seed's costs, merged in seed order");
    }
    assert!(std::fs::read_to_string(&junit).unwrap().contains("<testsuites name=\"dsim\""));
}

#[test]
fn the_summary_groups_findings_and_flags_what_never_fired() {
    let dir = common::temp_dir("summary");
    let (code, text, v) = explore(
        &[
            BUGS[0],
            "scenarios/gossip/partition-heal.toml",
            "--seeds",
            "0..60",
            "--out",
            dir.to_str().unwrap(),
        ],
        &dir.join("s.json"),
    );
    assert_eq!(code, Some(1));
    assert!(text.starts_with("explore: 2 scenarios, 120 seeds in "), "{text}");
    assert!(text.contains("seeds/s") && text.contains("events/s"), "{text}");
    let f = &v["sweeps"][0]["findings"];
    assert_eq!(f.as_array().unwrap().len(), 1, "one bug, one finding: {f}");
    assert!(f[0]["seeds"].as_array().unwrap().len() > 10, "with its count");
    assert!(text.contains("FINDING convergence (eventually) on"), "{text}");
    assert!(text.contains(&format!("smallest {}", f[0]["seeds"][0])), "{text}");
    assert!(text.contains("replay: dsim replay "), "{text}");
    // partition-heal never crashes a server, so recovered-from-disk cannot
    // fire: the counts say so, but the scenario expects only what it is for
    // (`[check] expect`), so no warning names it.
    assert!(text.contains("recovered-from-disk 0/60 (never)"), "{text}");
    assert!(!text.contains("recovered-from-disk (scenarios/gossip/partition-heal.toml)"), "{text}");
}

#[test]
fn junit_has_a_testcase_per_scenario_and_a_failure_per_finding() {
    let dir = common::temp_dir("junit");
    let junit = dir.join("results.xml");
    let o = dsim(&[
        "explore",
        BUGS[0],
        "scenarios/gossip/lossy-links.toml",
        "--seeds",
        "0..40",
        "--out",
        dir.to_str().unwrap(),
        "--junit",
        junit.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(1));
    let xml = std::fs::read_to_string(&junit).unwrap();
    assert_eq!(xml.matches("<testcase ").count(), 2, "{xml}");
    assert_eq!(xml.matches("<failure ").count(), 1, "{xml}");
    assert!(xml.contains("tests=\"2\" failures=\"1\""), "{xml}");
    assert!(xml.contains("replay: dsim replay "), "{xml}");
    assert!(xml.contains("name=\"scenarios/gossip/lossy-links.toml (seeds 0..40)\""), "{xml}");
}

#[test]
fn exit_codes_of_explore() {
    let dir = common::temp_dir("explore-codes");
    let out = dir.to_str().unwrap();
    let ok = dsim(&["explore", "scenarios/gossip/lossy-links.toml", "--count", "10", "--out", out]);
    assert_eq!(ok.status.code(), Some(0), "{}", stdout(&ok));
    assert!(stdout(&ok).contains("no finding"));
    let limit = dsim(&["explore", "tests/fixtures/limit.toml", "--count", "3", "--out", out]);
    assert_eq!(limit.status.code(), Some(3), "{}", stdout(&limit));
    assert!(stdout(&limit).contains("hit a limit"));
    let nondet = dsim(&[
        "explore",
        "scenarios/relay/bugs/hashmap-order.toml",
        "--count",
        "3",
        "--check-determinism",
        "--out",
        out,
    ]);
    assert_eq!(nondet.status.code(), Some(4), "{}", stdout(&nondet));
    let detail = stdout(&nondet);
    assert!(detail.contains("NOT DETERMINISTIC on 3 seeds, smallest 0"), "{detail}");
    assert!(
        detail.contains("first difference at event #")
            && detail.contains("  run 1: #")
            && detail.contains("  run 2: #"),
        "{detail}"
    );
    let bad = dsim(&["explore", "tests/bad-input/05-bad-duration.toml"]);
    assert_eq!(bad.status.code(), Some(2));
    let bad_seeds = dsim(&["explore", "scenarios/gossip/lossy-links.toml", "--seeds", "9..3"]);
    assert_eq!(bad_seeds.status.code(), Some(2));
    let bad_shard = dsim(&["explore", "scenarios/gossip/lossy-links.toml", "--shard", "4/3"]);
    assert_eq!(bad_shard.status.code(), Some(2));
    assert!(stderr(&bad_shard).contains("not a shard"));
}

#[test]
fn stdout_holds_only_the_result_and_progress_goes_to_stderr() {
    let dir = common::temp_dir("streams");
    let o = dsim(&[
        "explore",
        "scenarios/gossip/lossy-links.toml",
        "--for",
        "2s",
        "--jobs",
        "2",
        "--out",
        dir.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(0));
    let out = stdout(&o);
    assert!(out.starts_with("explore: 1 scenario,"), "{out}");
    assert!(!out.contains("failing"), "no progress lines on stdout");
    assert!(
        stderr(&o).contains("seeds/s, 0 failing"),
        "plain progress lines when stderr is not a terminal: {}",
        stderr(&o)
    );
}

#[test]
fn fail_fast_stops_early() {
    let dir = common::temp_dir("fail-fast");
    let (code, _, v) = explore(
        &[BUGS[1], "--seeds", "0..1000", "--fail-fast", "--jobs", "1", "--out", dir.to_str().unwrap()],
        &dir.join("f.json"),
    );
    assert_eq!(code, Some(1));
    assert_eq!(v["sweeps"][0]["seeds_run"], 1, "range-off-by-one fails on seed 0");
}

#[test]
fn the_library_api_panics_with_seed_property_repro_and_replay_command() {
    let dir = common::temp_dir("library");
    let runner = protocols::load(BUGS[1]).unwrap();
    let sweep =
        sim::explore::Explorer::new(runner).seeds(0..5).jobs(2).out_dir(Some(dir.to_path_buf())).run();
    let message = std::panic::catch_unwind(|| sweep.assert_no_findings()).unwrap_err();
    let message = message.downcast_ref::<String>().unwrap();
    assert!(message.contains("validity (always) violated on seed 0"), "{message}");
    assert!(
        message.contains(&format!("repro: {}", dir.join("range-off-by-one-seed0.json").display())),
        "{message}"
    );
    assert!(message.contains("replay: dsim replay "), "{message}");
}

#[test]
fn swarm_changes_the_scenario_the_repro_records() {
    let dir = common::temp_dir("swarm");
    let (code, _, v) = explore(
        &[
            "scenarios/gossip/bugs/no-anti-entropy.toml",
            "--swarm",
            "--count",
            "20",
            "--out",
            dir.to_str().unwrap(),
        ],
        &dir.join("s.json"),
    );
    assert_eq!(code, Some(1));
    let repro = v["sweeps"][0]["findings"][0]["repro"].as_str().unwrap().to_string();
    let r: sim::repro::Repro = serde_json::from_str(&std::fs::read_to_string(&repro).unwrap()).unwrap();
    assert!(r.scenario.source.contains("swarm = true"), "{}", r.scenario.source);
    let replay = dsim(&["replay", &repro]);
    assert!(stdout(&replay).contains("reproduced:"), "{}", stdout(&replay));
}
