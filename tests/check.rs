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
    assert!(out.contains("places 2 operations; after them the register holds 2"), "{out}");
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
fn a_fifo_or_a_device_is_refused_at_once() {
    // Reading either without a bound would never end: a FIFO waits for a
    // writer, /dev/zero never runs out.
    if std::process::Command::new("mkfifo").arg("--version").output().is_err() {
        eprintln!("skipped: no mkfifo on this system");
        return;
    }
    let dir = common::temp_dir("check-fifo");
    let fifo = dir.join("history.edn");
    common::mkfifo(&fifo);
    let mut paths = vec![fifo.to_str().unwrap().to_string()];
    if std::path::Path::new("/dev/zero").exists() {
        paths.push("/dev/zero".into());
    }
    for path in &paths {
        let o = common::dsim_within(20, &["check", path, "--model", "register"]);
        assert_eq!(o.status.code(), Some(2), "{path}: {}", stderr(&o));
        assert!(stderr(&o).contains("not a regular file"), "{path}: {}", stderr(&o));
    }
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

// What Jepsen's and Porcupine's users have: each shape read, each with a
// linearizable history and a twin that is not.

fn verdict(path: &str, model: &str) -> (Option<i32>, String) {
    let (code, out, err) = check(&[path, "--model", model]);
    (code, format!("{out}{err}"))
}

#[test]
fn old_jepsen_logs_with_timed_out_operations() {
    let (code, out) = verdict("tests/histories/jepsen/etcd-register.log", "cas-register");
    assert_eq!(code, Some(0), "{out}");
    assert!(out.starts_with("linearizable: 9 operations"), "{out}");
    let (code, out) = verdict("tests/histories/jepsen/etcd-register-stale.log", "cas-register");
    assert_eq!(code, Some(1), "{out}");
    assert!(out.contains("after them the cas-register holds 4"), "{out}");
    assert!(out.contains("process 1 read -> 1"), "{out}");
}

#[test]
fn current_jepsen_log_layout() {
    let (code, out) = verdict("tests/histories/jepsen/zookeeper-current-layout.log", "cas-register");
    assert_eq!(code, Some(0), "{out}");
    assert!(out.starts_with("linearizable: 5 operations"), "{out}");
    let (code, out) = verdict("tests/histories/jepsen/zookeeper-current-layout.log", "register");
    assert_eq!(code, Some(2), "a plain register has no cas: {out}");
    assert!(out.contains("zookeeper-current-layout.log:7:"), "{out}");
}

#[test]
fn jepsen_history_edn_with_independent_tuples() {
    let (code, out) = verdict("tests/histories/jepsen/independent-history.edn", "cas-register");
    assert_eq!(code, Some(0), "{out}");
    let (code, out, _) =
        check(&["tests/histories/jepsen/independent-history-bad.edn", "--model", "cas-register", "--json"]);
    assert_eq!(code, Some(1), "{out}");
    let v: Value = serde_json::from_str(&out).unwrap();
    let ce = &v["counterexample"];
    assert_eq!(ce["key"], 1, "key 0 is fine, key 1 reads nil after 2: {out}");
    assert_eq!(ce["state_after_prefix"], "2");
    assert_eq!(ce["blocked"]["invoked_ns"], 19_100_000);
}

#[test]
fn porcupine_kv_with_string_keys_and_appends() {
    let (code, out) = verdict("tests/histories/jepsen/porcupine-kv.edn", "kv");
    assert_eq!(code, Some(0), "{out}");
    assert!(out.starts_with("linearizable: 9 operations"), "{out}");
    let (code, out) = verdict("tests/histories/jepsen/porcupine-kv-bad.edn", "kv");
    assert_eq!(code, Some(1), "{out}");
    assert!(out.contains("NOT linearizable (model kv) on key \"3\""), "{out}");
    assert!(out.contains("after them the kv holds \"x 0 0 y\""), "{out}");
}

/// Writes `text` to a file of its own and checks it.
fn check_text(name: &str, text: &[u8], args: &[&str]) -> (Option<i32>, String, String) {
    let dir = common::temp_dir(&format!("check-{name}"));
    let path = dir.join(name);
    std::fs::write(&path, text).unwrap();
    let mut all = vec![path.to_str().unwrap()];
    all.extend_from_slice(args);
    check(&all)
}

#[test]
fn knossos_models_mutex_set_and_queues() {
    let ok_and_bad: &[(&str, &str, &str)] = &[
        (
            "mutex",
            "{:process 0 :type :invoke :f :acquire}\n{:process 0 :type :ok :f :acquire}\n\
             {:process 1 :type :invoke :f :acquire}\n{:process 0 :type :invoke :f :release}\n\
             {:process 0 :type :ok :f :release}\n{:process 1 :type :ok :f :acquire}\n",
            "{:process 0 :type :invoke :f :acquire}\n{:process 0 :type :ok :f :acquire}\n\
             {:process 1 :type :invoke :f :acquire}\n{:process 1 :type :ok :f :acquire}\n",
        ),
        (
            "set",
            "{:process 0 :type :invoke :f :add :value 1}\n{:process 1 :type :invoke :f :read}\n\
             {:process 1 :type :ok :f :read :value #{}}\n{:process 0 :type :ok :f :add :value 1}\n\
             {:process 1 :type :invoke :f :read}\n{:process 1 :type :ok :f :read :value #{1}}\n",
            "{:process 0 :type :invoke :f :add :value 1}\n{:process 0 :type :ok :f :add :value 1}\n\
             {:process 1 :type :invoke :f :read}\n{:process 1 :type :ok :f :read :value #{}}\n",
        ),
        (
            "fifo-queue",
            "{:process 0 :type :invoke :f :enqueue :value 1}\n{:process 0 :type :ok :f :enqueue :value 1}\n\
             {:process 0 :type :invoke :f :enqueue :value 2}\n{:process 0 :type :ok :f :enqueue :value 2}\n\
             {:process 1 :type :invoke :f :dequeue}\n{:process 1 :type :ok :f :dequeue :value 1}\n",
            "{:process 0 :type :invoke :f :enqueue :value 1}\n{:process 0 :type :ok :f :enqueue :value 1}\n\
             {:process 0 :type :invoke :f :enqueue :value 2}\n{:process 0 :type :ok :f :enqueue :value 2}\n\
             {:process 1 :type :invoke :f :dequeue}\n{:process 1 :type :ok :f :dequeue :value 2}\n",
        ),
        (
            "unordered-queue",
            "{:process 0 :type :invoke :f :enqueue :value 1}\n{:process 0 :type :ok :f :enqueue :value 1}\n\
             {:process 0 :type :invoke :f :enqueue :value 2}\n{:process 0 :type :ok :f :enqueue :value 2}\n\
             {:process 1 :type :invoke :f :dequeue}\n{:process 1 :type :ok :f :dequeue :value 2}\n",
            "{:process 0 :type :invoke :f :enqueue :value 1}\n{:process 0 :type :ok :f :enqueue :value 1}\n\
             {:process 1 :type :invoke :f :dequeue}\n{:process 1 :type :ok :f :dequeue :value 1}\n\
             {:process 1 :type :invoke :f :dequeue}\n{:process 1 :type :ok :f :dequeue :value 1}\n",
        ),
    ];
    for (model, ok, bad) in ok_and_bad {
        let (code, out, err) = check_text(&format!("{model}-ok.edn"), ok.as_bytes(), &["--model", model]);
        assert_eq!(code, Some(0), "{model}: {out}{err}");
        let (code, out, err) = check_text(&format!("{model}-bad.edn"), bad.as_bytes(), &["--model", model]);
        assert_eq!(code, Some(1), "{model}: {out}{err}");
    }
}

// Input that is not a history is bad input (exit 2) with its place, never
// a verdict, a skipped line or a crash.

#[test]
fn deep_nesting_is_an_error_not_a_stack_overflow() {
    let closed = format!("{}{}", "[".repeat(10_000), "]".repeat(10_000));
    for (name, text) in [("deep.edn", closed), ("maps.edn", "{:a ".repeat(10_000))] {
        let (code, _, err) = check_text(name, text.as_bytes(), &["--model", "register"]);
        assert_eq!(code, Some(2), "{name}: {err}");
        assert!(err.contains("nest more than"), "{err}");
    }
    let (code, _, err) =
        check_text("deep.json", format!("[{}", "[".repeat(10_000)).as_bytes(), &["--model", "register"]);
    assert_eq!(code, Some(2), "{err}");
}

#[test]
fn no_operation_is_bad_input() {
    let mut random = Vec::new();
    let mut x: u32 = 12345;
    for _ in 0..300 {
        x = x.wrapping_mul(1_103_515_245).wrapping_add(12345);
        random.push((x >> 16) as u8);
    }
    let cases: Vec<(&str, Vec<u8>)> = vec![
        ("empty.edn", Vec::new()),
        ("prose.txt", b"We ran the test for ten minutes and it looked fine.\n".to_vec()),
        ("scenario.toml", std::fs::read("scenarios/register/lossy-links.toml").unwrap()),
        ("random.bin", random),
        ("empty.json", b"[]".to_vec()),
    ];
    for (name, bytes) in cases {
        let (code, out, err) = check_text(name, &bytes, &["--model", "register"]);
        assert_eq!(code, Some(2), "{name}: {out}{err}");
        assert!(!out.contains("linearizable"), "{name}: {out}");
    }
}

#[test]
fn a_byte_order_mark_is_skipped() {
    let mut bytes = b"\xef\xbb\xbf".to_vec();
    bytes.extend(std::fs::read("tests/histories/register-ok.edn").unwrap());
    let (code, out, err) = check_text("bom.edn", &bytes, &["--model", "cas-register"]);
    assert_eq!(code, Some(0), "{out}{err}");
    assert!(out.starts_with("linearizable: 5 operations"), "{out}");
}

#[test]
fn invalid_utf8_is_located() {
    let (code, _, err) = check_text(
        "latin1.edn",
        b"{:process 0, :type :invoke, :f :read, :value nil}\n{:process 0, :type :ok, :f :read, :value \"caf\xe9\"}\n",
        &["--model", "register"],
    );
    assert_eq!(code, Some(2), "{err}");
    assert!(err.contains("latin1.edn:2:46"), "{err}");
    assert!(err.contains("not UTF-8") && err.contains("0xe9"), "{err}");
}

#[test]
fn log_lines_that_look_like_operations_are_never_skipped() {
    let ok = "INFO  jepsen.util - 3\t:invoke\t:read\tnil\n";
    for (name, line, place) in [
        ("okay.log", "INFO  jepsen.util - 3\t:okay\t:read\t1\n", ":2:23"),
        ("process.log", "INFO  jepsen.util - 3x\t:ok\t:read\t1\n", ":2:21"),
    ] {
        let (code, _, err) = check_text(name, format!("{ok}{line}").as_bytes(), &["--model", "register"]);
        assert_eq!(code, Some(2), "{name}: {err}");
        assert!(err.contains(&format!("{name}{place}")), "{name}: {err}");
    }
    let with_other_output =
        format!("INFO  jepsen.core - Running\n{ok}INFO  jepsen.util - 3\t:ok\t:read\tnil\n");
    let (code, out, _) = check_text("other.log", with_other_output.as_bytes(), &["--model", "register"]);
    assert_eq!(code, Some(0), "{out}");
    let (code, _, err) =
        check_text("strict.log", with_other_output.as_bytes(), &["--model", "register", "--strict"]);
    assert_eq!(code, Some(2), "{err}");
    assert!(err.contains("strict.log:1:1"), "{err}");
}

#[test]
fn a_completion_earlier_than_its_invocation_is_refused() {
    let text = "{:process 0, :type :invoke, :f :read, :value nil, :time 500}\n\
                {:process 0, :type :ok, :f :read, :value nil, :time 400}\n";
    let (code, _, err) = check_text("backwards.edn", text.as_bytes(), &["--model", "register"]);
    assert_eq!(code, Some(2), "{err}");
    assert!(err.contains("backwards.edn:2:1") && err.contains("earlier"), "{err}");
}

#[test]
fn errors_in_dsim_json_have_line_and_column() {
    let text =
        "[\n  {\"process\": 0, \"type\": \"invoke\", \"f\": \"read\", \"value\": null, \"time_ns\": 1},\n  \
                {\"process\": 0, \"type\": \"okay\", \"f\": \"read\", \"value\": 1, \"time_ns\": 2}\n]\n";
    let (code, _, err) = check_text("bad.json", text.as_bytes(), &["--model", "register"]);
    assert_eq!(code, Some(2), "{err}");
    assert!(err.contains("bad.json:3:"), "{err}");
    // An error the checker finds after reading points at the event too.
    let text =
        text.replace("okay", "ok").replace("\"f\": \"read\", \"value\": 1", "\"f\": \"write\", \"value\": 1");
    let (code, _, err) = check_text("mismatch.json", text.as_bytes(), &["--model", "register"]);
    assert_eq!(code, Some(2), "{err}");
    assert!(err.contains("mismatch.json:3:3"), "{err}");
}

/// Found by the fuzzer: a map missing a value, late in a log line, was
/// reported at an offset past the end of the file.
#[test]
fn a_map_key_without_a_value_in_a_log_line_is_reported_where_it_is() {
    let dir = common::temp_dir("check-map-key");
    let path = dir.join("odd-map.log");
    let line = "INFO  jepsen.util - 0\t:invoke\t:write\t{:a 1 :b}\n";
    std::fs::write(&path, format!("INFO  jepsen.util - 0\t:invoke\t:read\tnil\n{line}")).unwrap();
    let (code, _, err) = check(&[path.to_str().unwrap(), "--model", "register"]);
    assert_eq!(code, Some(2), "{err}");
    let col = line.find(":b").unwrap() + 1;
    assert!(err.contains(&format!("odd-map.log:2:{col}")), "{err}");
}
