//! Runs sized by their input stay within bounds: the nemesis is drawn as
//! the run reaches it, and nothing grows with the square of the node count.
//! Memory is asserted by running dsim under an address-space limit
//! (`ulimit -v`), so an input that used to need gigabytes fails here.

mod common;
use common::{stderr, stdout};
use std::process::Output;

/// Runs `dsim` under `ulimit -v` of `megabytes`, failing after `seconds`.
fn dsim_in_megabytes(megabytes: u64, seconds: u64, args: &[&str]) -> Output {
    let dsim = env!("CARGO_BIN_EXE_dsim");
    let script = format!("ulimit -v {} && exec timeout {seconds} \"$0\" \"$@\"", megabytes * 1024);
    std::process::Command::new("sh")
        .arg("-c")
        .arg(script)
        .arg(dsim)
        .args(args)
        .current_dir(common::root())
        .output()
        .expect("sh runs")
}

#[test]
fn a_nemesis_striking_every_millisecond_for_hours_is_drawn_as_the_run_goes() {
    let o = dsim_in_megabytes(1024, 60, &["run", "tests/fixtures/frequent-nemesis.toml"]);
    let text = stdout(&o);
    assert_eq!(o.status.code(), Some(3), "{text}\n{}", stderr(&o));
    assert!(text.contains("LIMIT: the run reached its limit of 1000000 faults"), "{text}");
    assert!(text.contains("fault schedule (more than 1,000,000 entries"), "{text}");
}

#[test]
fn ten_thousand_servers_set_up_in_little_memory() {
    let o = dsim_in_megabytes(500, 30, &["run", "tests/fixtures/gossip-10k-start.toml"]);
    assert_eq!(o.status.code(), Some(0), "{}\n{}", stdout(&o), stderr(&o));
}

#[test]
fn a_hundred_thousand_hosts_run() {
    // The first millisecond of the README's 100,000-host relay.
    let scenario = std::fs::read_to_string(common::root().join("tests/fixtures/relay-100k.toml")).unwrap();
    let short = scenario.replace("duration = \"500ms\"", "duration = \"1ms\"");
    assert_ne!(short, scenario, "the fixture sets its duration");
    let dir = common::temp_dir("relay-100k");
    let path = dir.join("relay-100k-1ms.toml");
    std::fs::write(&path, short).unwrap();
    let o = dsim_in_megabytes(500, 60, &["run", path.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(0), "{}\n{}", stdout(&o), stderr(&o));
    assert!(stdout(&o).contains("relay, 100,000 hosts"));
}

#[test]
fn a_thousand_hours_of_partitions_every_millisecond_start_at_once() {
    let dir = common::temp_dir("long-partitions");
    let path = dir.join("long-partitions.toml");
    let scenario = "protocol = \"gossip\"\nnodes = 5\nduration = \"1000h\"\n\n\
                    [nemesis]\npartition = { every = \"1ms\", for = \"1ms\" }\n";
    std::fs::write(&path, scenario).unwrap();
    let o = dsim_in_megabytes(1024, 30, &["run", path.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(3), "{}\n{}", stdout(&o), stderr(&o));
    assert!(stdout(&o).contains("limit of 1000000 faults"), "{}", stdout(&o));
}
