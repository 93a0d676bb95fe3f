//! Looking at a failing run from the command line: the terminal trace view
//! and its filters, the HTML report and the Perfetto trace of `run`,
//! `replay` and `check`, and terminal output that never passes a control
//! character through.

mod common;
use common::{dsim, stderr, stdout};
use std::path::{Path, PathBuf};

/// A repro of `raft/bugs/stale-read.toml` seed 3, written under `dir`.
fn stale_read_repro(dir: &Path) -> PathBuf {
    let o =
        dsim(&["run", "scenarios/raft/bugs/stale-read.toml", "--seed", "3", "--out", dir.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    dir.join("stale-read-seed3.json")
}

/// The record lines of a view: `(step, time, process, kind, detail)`.
fn records(text: &str) -> Vec<(String, String, String, String, String)> {
    text.lines()
        .filter(|l| l.starts_with('#'))
        .map(|l| {
            let mut it = l.split_whitespace();
            let (step, time, proc_, kind) =
                (it.next().unwrap(), it.next().unwrap(), it.next().unwrap(), it.next().unwrap());
            let detail = l.split_once(&format!(" {kind} ")).map_or("", |(_, d)| d.trim());
            (step.into(), time.into(), proc_.into(), kind.into(), detail.into())
        })
        .collect()
}

fn seconds(t: &str) -> f64 {
    let (n, unit) = t.split_at(t.find(|c: char| c.is_alphabetic() || c == 'µ').unwrap());
    let n: f64 = n.parse().unwrap();
    n * match unit {
        "s" => 1.0,
        "ms" => 1e-3,
        "µs" => 1e-6,
        "ns" => 1e-9,
        u => panic!("unit {u}"),
    }
}

#[test]
fn the_terminal_view_filters_by_node_kind_window_and_text() {
    let dir = common::temp_dir("view");
    let repro = stale_read_repro(&dir);
    let r = repro.to_str().unwrap();

    let all = dsim(&["replay", r, "--trace"]);
    assert_eq!(all.status.code(), Some(1), "the repro still fails");
    let text = stdout(&all);
    assert!(text.starts_with("step          time  proc  kind"), "a header names the columns");
    let every = records(&text);
    assert!(every.len() > 10_000, "every record: {}", every.len());
    assert!(every.iter().any(|r| r.3 == "drop") && every.iter().any(|r| r.3 == "send"));

    let o = dsim(&["replay", r, "--node", "c1", "--kind", "deliver,drop", "--around", "20ms"]);
    let text = stdout(&o);
    let some = records(&text);
    assert!(!some.is_empty() && some.len() < every.len());
    for (_, time, p, kind, detail) in &some {
        assert!(kind == "deliver" || kind == "drop", "{kind}");
        assert!(p == "c1" || detail.contains("c1 ") || detail.contains(" c1"), "{p} {detail}");
        assert!((seconds(time) - 8.53).abs() <= 0.0201, "{time} is within 20ms of the violation at 8.53s");
    }
    assert!(text.contains(&format!("({} of ", some.len())), "the view says how much it showed");
    let tail =
        text.split("last reported state of each process before the violation:").nth(1).expect("the states");
    for n in ["n0", "n1", "n2", "n3", "n4"] {
        assert!(tail.lines().any(|l| l.trim_start().starts_with(n)), "{n} in {tail}");
    }

    let o = dsim(&["replay", r, "--grep", "ReadServed", "--kind", "observe"]);
    let found = records(&stdout(&o));
    assert!(!found.is_empty() && found.iter().all(|r| r.4.contains("ReadServed")));

    let faults = records(&stdout(&dsim(&["replay", r, "--kind", "fault"])));
    assert!(
        !faults.is_empty()
            && faults.iter().all(|r| [
                "partition",
                "heal",
                "crash",
                "restart",
                "settle",
                "pause",
                "resume",
                "clock",
                "heal-all",
                "degrade",
                "restore",
                "restore-all"
            ]
            .contains(&r.3.as_str()))
    );

    let bad = dsim(&["replay", r, "--kind", "delivr"]);
    assert_eq!(bad.status.code(), Some(2));
    assert!(
        stderr(&bad).contains("unknown kind `delivr`") && stderr(&bad).contains("deliver"),
        "{}",
        stderr(&bad)
    );
    let bad = dsim(&["replay", r, "--trace-file", "-", "--node", "n1"]);
    assert_eq!(bad.status.code(), Some(2), "the view and the JSON trace cannot share standard output");
}

#[test]
fn run_replay_and_check_write_html_and_perfetto() {
    let dir = common::temp_dir("html-cli");
    let repro = stale_read_repro(&dir);
    let html = dir.join("replay.html");
    let perfetto = dir.join("replay.perfetto.json");
    let o = dsim(&[
        "replay",
        repro.to_str().unwrap(),
        "--html",
        html.to_str().unwrap(),
        "--perfetto",
        perfetto.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    let page = std::fs::read_to_string(&html).unwrap();
    assert!(page.starts_with("<!DOCTYPE html>\n<!-- dsim report"));
    assert!(page.contains("linearizable (always) violated at step"));
    let events: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&perfetto).unwrap()).unwrap();
    let events = events["traceEvents"].as_array().unwrap();
    assert!(events.iter().any(|e| e["ph"] == "s") && events.iter().any(|e| e["ph"] == "f"), "message flows");
    assert!(events.iter().any(|e| e["cat"] == "fault"), "faults as instant events");

    let run_html = dir.join("run.html");
    let o = dsim(&["run", "tests/fixtures/tiny-gossip.toml", "--html", run_html.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!(std::fs::read_to_string(&run_html).unwrap().contains("ok: every checked property held"));

    // A user's file is never replaced.
    let mine = dir.join("mine.html");
    std::fs::write(&mine, "<html>my page</html>").unwrap();
    let o = dsim(&["run", "tests/fixtures/tiny-gossip.toml", "--html", mine.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(2));
    assert_eq!(std::fs::read_to_string(&mine).unwrap(), "<html>my page</html>");

    let history = dir.join("h.json");
    std::fs::write(
        &history,
        r#"[{"process":0,"type":"invoke","f":"write","value":1,"time_ns":0},
            {"process":0,"type":"ok","f":"write","value":1,"time_ns":10},
            {"process":1,"type":"invoke","f":"read","value":null,"time_ns":20},
            {"process":1,"type":"ok","f":"read","value":2,"time_ns":30}]"#,
    )
    .unwrap();
    let check_html = dir.join("check.html");
    let o = dsim(&[
        "check",
        history.to_str().unwrap(),
        "--model",
        "register",
        "--html",
        check_html.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    let page = std::fs::read_to_string(&check_html).unwrap();
    assert!(page.contains("not linearizable against the register model") && page.contains("\"blocked\":2"));
}

#[test]
fn terminal_output_never_passes_control_characters() {
    let dir = common::temp_dir("control");
    let scenario = dir.join("evil.toml");
    std::fs::write(
        &scenario,
        "name = \"evil \\u001b[2J\\u001b]0;pwned\\u0007\"\nprotocol = \"gossip\"\nnodes = 3\nduration = \"100ms\"\n",
    )
    .unwrap();
    let o = dsim(&["run", scenario.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let text = stdout(&o);
    assert!(text.contains("evil \\u{1b}[2J"), "the name is shown, spelt out: {text}");
    assert!(!text.contains('\u{1b}') && !text.contains('\u{7}'));

    let history = dir.join("h.json");
    std::fs::write(
        &history,
        "[{\"process\":0,\"type\":\"invoke\",\"f\":\"put\",\"key\":0,\"value\":\"a\\u001b[31m\",\"time_ns\":0},\
          {\"process\":0,\"type\":\"ok\",\"f\":\"put\",\"key\":0,\"value\":\"a\\u001b[31m\",\"time_ns\":10},\
          {\"process\":1,\"type\":\"invoke\",\"f\":\"get\",\"key\":0,\"value\":null,\"time_ns\":20},\
          {\"process\":1,\"type\":\"ok\",\"f\":\"get\",\"key\":0,\"value\":\"b\\u001b[31m\",\"time_ns\":30}]",
    )
    .unwrap();
    let o = dsim(&["check", history.to_str().unwrap(), "--model", "kv"]);
    assert_eq!(o.status.code(), Some(1), "{}{}", stdout(&o), stderr(&o));
    assert!(!stdout(&o).contains('\u{1b}') && !stderr(&o).contains('\u{1b}'), "{}", stdout(&o));
}

/// The code blocks of the README's section `title`, in order.
fn readme_blocks(title: &str) -> Vec<String> {
    let readme = std::fs::read_to_string(common::root().join("README.md")).unwrap();
    let section = readme.split(&format!("\n## {title}\n")).nth(1).expect("the section");
    let section = section.split("\n## ").next().unwrap();
    section
        .split("```")
        .skip(1)
        .step_by(2)
        .map(|b| b.split_once('\n').map_or("", |(_, rest)| rest).to_string())
        .collect()
}

#[test]
fn the_readme_commands_for_a_failing_run_do_what_it_shows() {
    let blocks = readme_blocks("Looking at a failing run");
    let commands: Vec<&str> = blocks[0].lines().filter(|l| l.starts_with("dsim ")).collect();
    assert_eq!(commands.len(), 3, "{commands:?}");
    let dir = common::temp_dir("readme-failing-run");
    std::os::unix::fs::symlink(common::root().join("scenarios"), dir.join("scenarios")).unwrap();
    let mut outputs = Vec::new();
    for command in &commands {
        let args: Vec<&str> = command.split_whitespace().skip(1).collect();
        let o = std::process::Command::new(env!("CARGO_BIN_EXE_dsim"))
            .args(&args)
            .current_dir(&*dir)
            .output()
            .unwrap();
        assert_eq!(o.status.code(), Some(1), "`{command}` finds the bug: {}", stderr(&o));
        outputs.push(stdout(&o));
    }
    // The trace view the README shows is what the last command prints.
    let shown = blocks[1].trim_end();
    let printed = outputs.last().unwrap();
    assert!(printed.starts_with(shown), "README:\n{shown}\n\nprinted:\n{printed}");
    for file in ["dsim-out/stale-read.html", "dsim-out/stale-read.perfetto.json"] {
        assert!(dir.join(file).is_file(), "{file} written");
    }
    // The screenshot command names the page the third command wrote.
    assert!(blocks[2].contains("--screenshot=docs/report.png dsim-out/stale-read.html"));
    assert!(common::root().join("docs/report.png").is_file());
}

#[test]
fn a_sweep_summary_page_links_each_findings_report() {
    let dir = common::temp_dir("explore-html");
    let out = dir.join("out dir#1");
    let page = dir.join("sweep.html");
    let o = dsim(&[
        "explore",
        "scenarios/gossip/bugs/range-off-by-one.toml",
        "--seeds",
        "0..4",
        "--jobs",
        "2",
        "--out",
        out.to_str().unwrap(),
        "--html",
        page.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    let text = std::fs::read_to_string(&page).unwrap();
    assert!(text.starts_with("<!DOCTYPE html>\n<!-- dsim report"));
    assert!(text.contains("validity (always)"), "the finding");
    let href =
        text.split("<a href=\"").nth(1).expect("a link to the finding's report").split('"').next().unwrap();
    assert_eq!(href, "out%20dir%231/range-off-by-one-seed0.html", "relative, and encoded");
    let report = std::fs::read_to_string(out.join("range-off-by-one-seed0.html")).unwrap();
    assert!(report.contains("id=\"dsim-data\"") && report.contains("validity (always) violated"));
}
