//! `dsim check`: the linearizability of recorded histories, in dsim's JSON
//! and Jepsen's EDN and log forms, with verdicts that explain themselves.

mod common;
use common::{dsim, stderr, stdout};
use serde_json::Value;

fn check(args: &[&str]) -> (Option<i32>, String, String) {
    let mut all = vec!["check"];
    all.extend_from_slice(args);
    let o = dsim(&all);
    (o.status.code(), stdout(&o), stderr(&o))
}

#[test]
fn jepsen_edn_with_nemesis_info_and_fail_is_read_and_judged() {
    let (code, out, err) = check(&["tests/histories/register-ok.edn", "--model", "cas-register"]);
    assert_eq!(code, Some(0), "{out}{err}");
    assert!(out.starts_with("linearizable: 5 operations"), "{out}");
}

#[test]
fn a_stale_read_is_explained_with_the_longest_prefix_and_times() {
    let (code, out, _) = check(&["tests/histories/register-stale.edn", "--model", "register"]);
    assert_eq!(code, Some(1));
    assert!(out.contains("NOT linearizable (model register)"), "{out}");
    assert!(out.contains("places 2 operation(s); after them the register holds 2"), "{out}");
    assert!(out.contains("event #4     process 2 read -> 1   invoked 500ns, completed 600ns"), "{out}");

    let (code, out, _) = check(&["tests/histories/register-stale.edn", "--model", "register", "--json"]);
    assert_eq!(code, Some(1));
    let v: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["verdict"], "not-linearizable");
    let ce = &v["counterexample"];
    assert_eq!(ce["prefix_length"], 2);
    assert_eq!(ce["blocked"]["f"], "read");
    assert_eq!(ce["blocked"]["output"], 1);
    assert_eq!(ce["blocked"]["invoked_ns"], 500);
    assert_eq!(ce["blocked"]["completed_ns"], 600);
    assert_eq!(ce["state_after_prefix"], "2");
}

#[test]
fn jepsen_log_lines_among_other_output() {
    let (code, out, err) = check(&["tests/histories/cas.log", "--model", "cas-register"]);
    assert_eq!(code, Some(0), "{out}{err}");
    assert!(out.contains("linearizable: 4 operations"), "{out}");
}

#[test]
fn kv_histories_are_checked_per_key() {
    let (code, out, _) = check(&["tests/histories/kv-keys.edn", "--model", "kv", "--json"]);
    assert_eq!(code, Some(1));
    let v: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["counterexample"]["key"], 2, "key 1 is fine; key 2 reads a value never appended");
}

#[test]
fn bad_histories_exit_2_with_their_place() {
    let (code, _, err) = check(&["tests/histories/bad-value.edn", "--model", "register"]);
    assert_eq!(code, Some(2));
    assert!(err.contains("tests/histories/bad-value.edn:3:1"), "{err}");
    assert!(err.contains("never closed"), "{err}");
    let (code, _, err) = check(&["tests/histories/register-ok.edn", "--model", "queue"]);
    assert_eq!(code, Some(2));
    assert!(err.contains("unknown model `queue`"), "{err}");
    let (code, _, err) = check(&["tests/histories/register-ok.edn", "--model", "register"]);
    assert_eq!(code, Some(2), "cas is not an operation of a plain register");
    assert!(err.contains("register-ok.edn:6:"), "{err}");
    let (code, _, _) = check(&["tests/histories/register-ok.edn", "--model", "register", "--format", "yaml"]);
    assert_eq!(code, Some(2));
}

#[test]
fn a_time_limit_gives_unknown_and_exit_3() {
    let dir = common::temp_dir("check-timeout");
    let spec = sim::lin::generate::Spec {
        kv: false,
        operations: 10_000,
        clients: 50,
        info_per_mille: 0,
        keys: 1,
        corrupt: false,
        strings: false,
        seed: 1,
    };
    let history = sim::lin::generate::generate(&spec);
    let path = dir.join("hard.json");
    std::fs::write(&path, serde_json::to_string(&history).unwrap()).unwrap();
    let (code, out, _) = check(&[path.to_str().unwrap(), "--model", "cas-register", "--timeout", "1ms"]);
    assert_eq!(code, Some(3), "{out}");
    assert!(out.starts_with("unknown: the time limit was reached"), "{out}");
    let (code, out, _) =
        check(&[path.to_str().unwrap(), "--model", "cas-register", "--max-configurations", "1000"]);
    assert_eq!(code, Some(3), "{out}");
    assert!(out.starts_with("unknown: the search remembered more than 1000 configurations"), "{out}");
}

#[test]
fn the_history_a_run_writes_is_what_check_reads() {
    let dir = common::temp_dir("run-history");
    let ok = dir.join("ok.json");
    let o = dsim(&["run", "scenarios/register/lossy-links.toml", "--history", ok.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(0), "{}", stdout(&o));
    let (code, out, _) = check(&[ok.to_str().unwrap(), "--model", "cas-register"]);
    assert_eq!(code, Some(0), "{out}");

    let bad = dir.join("bad.json");
    let o = dsim(&[
        "run",
        "scenarios/register/bugs/stale-read.toml",
        "--seed",
        "1",
        "--history",
        bad.to_str().unwrap(),
        "--out",
        dir.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(1));
    let (code, out, _) = check(&[bad.to_str().unwrap(), "--model", "cas-register"]);
    assert_eq!(code, Some(1), "offline agrees with the run's online verdict: {out}");
}
