//! Files dsim writes: only ones it created or that begin with its own
//! header, never through a symbolic link, never a FIFO or device, always
//! through a temporary name renamed into place; `-` is standard output.

mod common;
use common::{dsim, dsim_in, dsim_within, stderr, stdout};
use std::path::Path;

const TINY: &str = "tests/fixtures/tiny-gossip.toml";

/// Contents that older dsim mistook for its own files.
const LOOKALIKES: &[(&str, &[u8])] = &[
    ("blank first line", b"\nmy notes, after a blank line\n"),
    ("starts like a human trace", b"#1 my numbered notes\n"),
    ("binary", &[0x00, 0x9f, 0x92, 0x96, 0xff, 0x0a, 0x01, 0x02]),
    (
        "one JSON line shaped like a trace event",
        b"{\"step\":1,\"time_ns\":0,\"event\":\"x\",\"detail\":\"\"}\n",
    ),
];

fn assert_refused(o: &std::process::Output, file: &Path, before: &[u8], what: &str) {
    assert_eq!(o.status.code(), Some(2), "{what}: exit code; stderr:\n{}", stderr(o));
    assert!(stderr(o).contains(&file.display().to_string()), "{what}: names the file:\n{}", stderr(o));
    assert!(!stderr(o).contains("panicked"), "{what}: no panic:\n{}", stderr(o));
    assert!(std::fs::read(file).unwrap() == before, "{what}: the file is untouched");
}

#[test]
fn trace_refuses_files_that_only_look_like_traces() {
    let dir = common::temp_dir("trace-lookalikes");
    for (what, contents) in LOOKALIKES {
        let file = dir.join("mine.jsonl");
        std::fs::write(&file, contents).unwrap();
        let o = dsim(&["run", TINY, "--trace-file", file.to_str().unwrap()]);
        assert_refused(&o, &file, contents, what);
    }
}

#[test]
fn history_refuses_a_file_holding_an_empty_json_array() {
    let dir = common::temp_dir("history-brackets");
    let file = dir.join("history.json");
    std::fs::write(&file, "[]").unwrap();
    let o = dsim(&["run", TINY, "--history", file.to_str().unwrap()]);
    assert_refused(&o, &file, b"[]", "[]");
}

#[test]
fn junit_refuses_a_file_that_merely_mentions_dsim() {
    let dir = common::temp_dir("junit-mention");
    let file = dir.join("report.xml");
    let mine = b"<report>copied from <testsuites name=\"dsim\" ...> for my slides</report>\n";
    std::fs::write(&file, mine).unwrap();
    let o = dsim(&["explore", TINY, "--count", "2", "--junit", file.to_str().unwrap()]);
    assert_refused(&o, &file, mine, "junit");
}

#[test]
fn never_writes_through_a_symbolic_link() {
    let dir = common::temp_dir("symlinks");
    let target = dir.join("precious.txt");
    std::fs::write(&target, "precious\n").unwrap();
    let link = dir.join("trace.jsonl");
    std::os::unix::fs::symlink(&target, &link).unwrap();
    let o = dsim(&["run", TINY, "--trace-file", link.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(stderr(&o).contains("symbolic link"), "{}", stderr(&o));
    assert_eq!(std::fs::read_to_string(&target).unwrap(), "precious\n");

    // Not even to a file dsim wrote itself, nor to create a missing one.
    let ours = dir.join("ours.jsonl");
    let o = dsim(&["run", TINY, "--trace-file", ours.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let to_ours = dir.join("to-ours.jsonl");
    std::os::unix::fs::symlink(&ours, &to_ours).unwrap();
    let dangling = dir.join("dangling.json");
    std::os::unix::fs::symlink(dir.join("nowhere.json"), &dangling).unwrap();
    for (flag, link) in [("--trace-file", &to_ours), ("--history", &dangling)] {
        let o = dsim(&["run", TINY, flag, link.to_str().unwrap()]);
        assert_eq!(o.status.code(), Some(2), "{flag}: {}", stderr(&o));
        assert!(stderr(&o).contains("symbolic link"), "{}", stderr(&o));
    }
    assert!(!dir.join("nowhere.json").exists(), "nothing was created through the dangling link");
    assert!(std::fs::symlink_metadata(&to_ours).unwrap().file_type().is_symlink());
}

#[test]
fn refuses_fifos_and_devices_without_blocking_on_them() {
    let dir = common::temp_dir("fifo");
    let fifo = dir.join("trace.fifo");
    common::mkfifo(&fifo);
    for target in [fifo.to_str().unwrap(), "/dev/zero", "/dev/null"] {
        let o = dsim_within(60, &["run", TINY, "--trace-file", target]);
        assert_eq!(o.status.code(), Some(2), "{target}: {}", stderr(&o));
        assert!(stderr(&o).contains("not a regular file"), "{target}: {}", stderr(&o));
    }
    let o = dsim_within(60, &["run", TINY, "--history", fifo.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    // Inputs too: a scenario, a repro or a sweep result that is a FIFO.
    for command in ["run", "replay", "shrink", "merge"] {
        let o = dsim_within(60, &[command, fifo.to_str().unwrap()]);
        assert_eq!(o.status.code(), Some(2), "{command}: {}", stderr(&o));
        assert!(stderr(&o).contains("not a regular file"), "{command}: {}", stderr(&o));
    }
}

#[test]
fn dsim_rewrites_its_own_files_and_reads_them_back() {
    let dir = common::temp_dir("own-files");
    let p = |name: &str| dir.join(name).display().to_string();
    let (trace, history, json, junit) = (p("t.jsonl"), p("h.json"), p("s.json"), p("s.xml"));
    for _ in 0..2 {
        let o = dsim(&[
            "run",
            "scenarios/register/lossy-links.toml",
            "--trace-file",
            &trace,
            "--history",
            &history,
        ]);
        assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
        let o = dsim(&["explore", TINY, "--count", "3", "--json", &json, "--junit", &junit]);
        assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    }
    let first_line = |f: &str| std::fs::read_to_string(f).unwrap().lines().next().unwrap().to_string();
    assert_eq!(first_line(&trace), r#"{"dsim":"trace","version":2}"#);
    assert!(first_line(&history).starts_with(r#"{"dsim":"history","#), "{}", first_line(&history));
    assert!(std::fs::read_to_string(&json).unwrap().starts_with("{\n  \"dsim\": \"sweep\""));
    assert!(std::fs::read_to_string(&junit).unwrap().lines().nth(1).unwrap().starts_with("<!-- dsim junit"));
    // What dsim writes, dsim reads.
    let o = dsim(&["check", &history, "--model", "cas-register"]);
    assert_eq!(o.status.code(), Some(0), "check reads the history: {}", stderr(&o));
    let o = dsim(&["merge", &json]);
    assert_eq!(o.status.code(), Some(0), "merge reads the JSON: {}", stderr(&o));
    // An empty file holds nothing to lose (mktemp makes those).
    let empty = p("empty.json");
    std::fs::write(&empty, "").unwrap();
    let o = dsim(&["run", TINY, "--history", &empty]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    // Nothing is left behind under a temporary name.
    let mut names: Vec<String> =
        std::fs::read_dir(&*dir).unwrap().map(|e| e.unwrap().file_name().to_string_lossy().into()).collect();
    names.sort();
    assert_eq!(names, ["empty.json", "h.json", "s.json", "s.xml", "t.jsonl"]);
}

#[test]
fn a_file_is_replaced_by_rename_not_rewritten_in_place() {
    // A hard link to the old trace keeps the old contents: the new trace
    // went to a temporary name that was renamed over the old one, so a
    // reader never sees half a file.
    let dir = common::temp_dir("rename");
    let trace = dir.join("t.jsonl");
    let o = dsim(&["run", TINY, "--trace-file", trace.to_str().unwrap(), "--seed", "1"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let old = std::fs::read(&trace).unwrap();
    let keep = dir.join("old.jsonl");
    std::fs::hard_link(&trace, &keep).unwrap();
    let o = dsim(&["run", TINY, "--trace-file", trace.to_str().unwrap(), "--seed", "2"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!(std::fs::read(&keep).unwrap() == old, "the old file was not written through");
    assert!(std::fs::read(&trace).unwrap() != old, "the new trace is in place");
}

#[test]
fn a_dash_means_standard_output() {
    let dir = common::temp_dir("dash");
    let tiny = common::root().join(TINY).display().to_string();
    let o = dsim_in(&dir, &["run", &tiny, "--trace-file", "-"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!(stdout(&o).starts_with("{\"dsim\":\"trace\",\"version\":2}\n{\"step\":1,"), "{}", stdout(&o));
    assert!(stderr(&o).contains("result: ok"), "the summary moves to stderr: {}", stderr(&o));
    let o = dsim_in(&dir, &["run", &tiny, "--history", "-"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!(stdout(&o).contains("{\"dsim\":\"history\""), "{}", stdout(&o));
    let o = dsim_in(&dir, &["explore", &tiny, "--count", "2", "--json", "-"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).expect("stdout is the JSON alone");
    assert_eq!(v["dsim"], "sweep");
    assert!(stderr(&o).contains("explore: 1 scenario,"), "the summary moves to stderr");
    let o = dsim_in(&dir, &["explore", &tiny, "--count", "2", "--junit", "-"]);
    assert!(stdout(&o).starts_with("<?xml"), "{}", stdout(&o));
    assert!(!dir.join("-").exists(), "no file named -");
}
