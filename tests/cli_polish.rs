//! The command line as a careful user meets it: numbers and durations for
//! people, plurals, one rule for output options, help on every flag,
//! colour only on terminals, completions and a manual page, progress,
//! determinism checks of one strength, and messages that do not mislead.

mod common;

use common::{dsim, stderr, stdout, temp_dir};
use std::process::{Command, Output};

fn dsim_env(args: &[&str], env: &[(&str, &str)]) -> Output {
    let mut c = Command::new(env!("CARGO_BIN_EXE_dsim"));
    c.args(args).current_dir(common::root());
    for var in ["NO_COLOR", "CLICOLOR_FORCE", "CLICOLOR", "TERM"] {
        c.env_remove(var);
    }
    for (k, v) in env {
        c.env(k, v);
    }
    c.output().expect("dsim runs")
}

/// A number of microseconds people would not read: `6617219.845us`.
fn has_raw_microseconds(text: &str) -> bool {
    text.split(|c: char| c.is_whitespace() || c == '(' || c == ',').any(|w| {
        w.ends_with("us") && w.trim_end_matches("us").split('.').next().is_some_and(|d| d.len() >= 4)
    })
}

#[test]
fn durations_and_rates_read_as_people_write_them() {
    let dir = temp_dir("polish-durations");
    let out = dir.to_str().unwrap();
    let o = dsim(&["run", "scenarios/relay/bugs/swallow.toml", "--out", out]);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    let text = stdout(&o);
    assert!(!has_raw_microseconds(&text), "{text}");
    assert!(text.contains("received nothing after 2.744s"), "a protocol's message too: {text}");
    let o =
        dsim(&["explore", "tests/fixtures/tiny-gossip.toml", "--count", "2", "--jobs", "1", "--out", out]);
    let text = stdout(&o);
    assert!(text.starts_with("explore: 1 scenario, 2 seeds in "), "{text}");
    assert!(text.contains(", 1 job)"), "{text}");
    assert!(!text.contains("(s)"), "no hedged plurals: {text}");
    assert!(!text.contains("1000k"), "{text}");
}

#[test]
fn sweep_json_names_seeds_as_the_command_line_does() {
    let dir = temp_dir("polish-seeds");
    let json = dir.join("sweep.json");
    let o = dsim(&[
        "explore",
        "tests/fixtures/tiny-gossip.toml",
        "--seeds",
        "3..5",
        "--json",
        json.to_str().unwrap(),
        "--out",
        dir.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let v: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(&json).unwrap()).unwrap();
    assert_eq!(v["sweeps"][0]["seeds"], "3..5");
    assert_eq!(v["outcome"], "ok");
    // What merge reads back, old files included.
    let o = dsim(&["merge", json.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let old = std::fs::read_to_string(&json)
        .unwrap()
        .replace("\"3..5\"", "{\"Range\": {\"start\": 3, \"end\": 5}}");
    let old_file = dir.join("old.json");
    std::fs::write(&old_file, old).unwrap();
    let o = dsim(&["merge", old_file.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!(stdout(&o).contains("seeds 3..5"), "{}", stdout(&o));
}

#[test]
fn explore_checks_determinism_as_well_as_run_does() {
    let dir = temp_dir("polish-determinism");
    let json = dir.join("sweep.json");
    let o = dsim(&[
        "explore",
        "scenarios/relay/bugs/hashmap-order.toml",
        "--count",
        "3",
        "--check-determinism",
        "--json",
        json.to_str().unwrap(),
        "--out",
        dir.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(4), "{}", stderr(&o));
    let text = stdout(&o);
    assert!(text.contains("NOT DETERMINISTIC on 3 seeds, smallest 0"), "grouped like a finding: {text}");
    assert!(text.contains("first difference at event #"), "{text}");
    let v: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(&json).unwrap()).unwrap();
    assert_eq!(v["outcome"], "nondeterministic");
    let n = &v["sweeps"][0]["nondeterministic"];
    assert_eq!(n.as_array().unwrap().len(), 3);
    for seed in n.as_array().unwrap() {
        let d = &seed["first_difference"];
        assert!(d["run1"].is_object() && d["run2"].is_object(), "records are JSON objects: {d}");
        for t in d["traces"].as_array().unwrap() {
            assert!(std::path::Path::new(t.as_str().unwrap()).is_file(), "both traces are kept: {t}");
        }
    }
    let o = dsim(&[
        "run",
        "scenarios/relay/bugs/hashmap-order.toml",
        "--check-determinism",
        "--json",
        "--out",
        dir.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(4), "{}", stderr(&o));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v["outcome"], "nondeterministic");
    assert!(v["first_difference"]["run1"].is_object(), "{v}");
}

#[test]
fn a_trace_flag_never_swallows_the_repro() {
    let dir = temp_dir("polish-trace");
    let out = dir.to_str().unwrap();
    let o = dsim(&["run", "scenarios/relay/bugs/swallow.toml", "--out", out]);
    assert_eq!(o.status.code(), Some(1));
    let repro = dir.join("swallow-seed0.json");
    let repro = repro.to_str().unwrap();
    // `--trace` before the repro: the repro is still the repro.
    let o = dsim(&["replay", "--trace", repro]);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    assert!(stdout(&o).starts_with("step "), "{}", stdout(&o));
    assert!(std::fs::read_to_string(repro).unwrap().contains("\"seed\""), "the repro is untouched");
    // The JSON trace, to a folder that does not exist yet, and to stdout.
    let file = dir.join("new/folder/t.jsonl");
    let o = dsim(&["replay", repro, "--trace-file", file.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    assert!(std::fs::read_to_string(&file).unwrap().starts_with("{\"dsim\":\"trace\""));
    let o = dsim(&["replay", repro, "--trace-file", "-"]);
    assert!(stdout(&o).starts_with("{\"dsim\":\"trace\""), "{}", stdout(&o));
    assert!(stderr(&o).contains("reproduced"), "the verdict goes to stderr: {}", stderr(&o));
    // run has the same two flags, and refuses two claims on stdout.
    let o = dsim(&["run", "tests/fixtures/tiny-gossip.toml", "--trace", "--kind", "crash"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!(stdout(&o).contains("step "), "{}", stdout(&o));
    let o = dsim(&["run", "tests/fixtures/tiny-gossip.toml", "--trace", "--json"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("standard output"), "{}", stderr(&o));
}

#[test]
fn every_flag_and_argument_has_help() {
    fn walk(c: &clap::Command, path: &str, missing: &mut Vec<String>) {
        for a in c.get_arguments() {
            let id = a.get_id().as_str();
            if id == "help" || id == "version" {
                continue;
            }
            if a.get_help().is_none() && a.get_long_help().is_none() {
                missing.push(format!("{path} {id}"));
            }
        }
        for sub in c.get_subcommands() {
            if sub.get_about().is_none() {
                missing.push(format!("{path} {} (the command)", sub.get_name()));
            }
            walk(sub, &format!("{path} {}", sub.get_name()), missing);
        }
    }
    let mut missing = Vec::new();
    walk(&dsim::command(), "dsim", &mut missing);
    assert!(missing.is_empty(), "no help text: {missing:?}");
}

#[test]
fn bench_scale_takes_fractions() {
    let ok = dsim::command().try_get_matches_from(["dsim", "bench", "--scale", "0.1"]);
    assert!(ok.is_ok(), "{ok:?}");
    for bad in ["0", "-1", "abc", "NaN"] {
        let o = dsim(&["bench", "--scale", bad]);
        assert_eq!(o.status.code(), Some(2), "--scale {bad}: {}", stderr(&o));
    }
}

#[test]
fn colour_only_where_asked_for() {
    let args = ["run", "tests/fixtures/tiny-gossip.toml"];
    let piped = dsim_env(&args, &[]);
    assert!(!piped.stdout.contains(&0x1b), "{}", stdout(&piped));
    let forced = dsim_env(&args, &[("CLICOLOR_FORCE", "1")]);
    assert!(forced.stdout.contains(&0x1b), "{}", stdout(&forced));
    let bad = dsim_env(&["run", "no-such.toml"], &[("CLICOLOR_FORCE", "1")]);
    assert_eq!(bad.status.code(), Some(2));
    assert!(bad.stderr.contains(&0x1b), "errors are coloured: {}", stderr(&bad));
    let none = dsim_env(&args, &[("NO_COLOR", "1"), ("CLICOLOR_FORCE", "1")]);
    assert!(!none.stdout.contains(&0x1b), "{}", stdout(&none));
}

#[test]
fn completions_and_the_manual_page() {
    for shell in ["bash", "zsh", "fish", "elvish", "powershell"] {
        let o = dsim(&["completions", shell]);
        assert_eq!(o.status.code(), Some(0), "{shell}: {}", stderr(&o));
        let text = stdout(&o);
        for sub in ["explore", "replay", "shrink"] {
            assert!(text.contains(sub), "{shell} completes {sub}");
        }
    }
    let o = dsim(&["completions", "tcsh"]);
    assert_eq!(o.status.code(), Some(2));
    let o = dsim(&["man"]);
    assert_eq!(o.status.code(), Some(0));
    let page = stdout(&o);
    assert!(page.starts_with(".ie") || page.contains(".TH"), "roff: {}", &page[..100.min(page.len())]);
    for sub in ["explore", "replay", "shrink", "merge"] {
        assert!(page.contains(sub), "the page names {sub}");
    }
}

#[test]
fn gossip_says_every_server_lacks_a_value_lost_everywhere() {
    let o = dsim(&["replay", "tests/regressions/gossip-ack-before-sync.json"]);
    let text = stdout(&o);
    assert!(text.contains("every server (n0..n2) lacks the value 1"), "{text}");
    assert!(text.contains("acknowledged to c0"), "{text}");
    let o = dsim(&["replay", "tests/regressions/gossip-no-anti-entropy.json"]);
    assert!(stdout(&o).contains("n3 lacks the value 2"), "{}", stdout(&o));
}

#[test]
fn a_shrink_never_reports_more_operations() {
    let dir = temp_dir("polish-shrink");
    let out = dir.to_str().unwrap();
    let o = dsim(&["run", "scenarios/raft/bugs/duplicate-apply.toml", "--out", out]);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    let repro = dir.join("duplicate-apply-seed0.json");
    let o = dsim(&["shrink", repro.to_str().unwrap(), "--out", out, "--json"]);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    for field in ["faults", "operations"] {
        assert!(v["after"][field].as_u64() <= v["before"][field].as_u64(), "{field}: {v}");
    }
}

#[test]
fn the_fault_schedule_counts_up_in_time_order() {
    let dir = temp_dir("polish-schedule");
    let scenario = dir.join("overlap.toml");
    std::fs::write(
        &scenario,
        "name = \"overlap\"\nprotocol = \"gossip\"\nnodes = 3\nduration = \"10s\"\n\
         [workload]\nkind = \"broadcast\"\nclients = 1\nrate = \"10/s\"\n\
         [nemesis]\npartition = { every = \"1s\", for = \"3s\" }\n\
         [[fault]]\nat = \"1.5s\"\npartition = [[\"n0\"], [\"n1\", \"n2\"]]\nfor = \"2s\"\n",
    )
    .unwrap();
    let o = dsim(&["run", scenario.to_str().unwrap(), "--out", dir.to_str().unwrap()]);
    let text = stdout(&o);
    let listed: Vec<u32> = text
        .lines()
        .filter_map(|l| l.split("partition #").nth(1))
        .filter(|rest| rest.contains(':'))
        .map(|rest| rest.split(':').next().unwrap().parse().unwrap())
        .collect();
    assert!(listed.len() >= 2, "{text}");
    assert!(listed.windows(2).all(|w| w[0] < w[1]), "partitions count up as they strike: {listed:?}\n{text}");
}
