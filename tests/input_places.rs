//! Inputs that used to hang, pass silently or be reported without a place:
//! each now ends promptly with exit code 2 and says where the problem is.

mod common;
use common::{dsim, dsim_within, stderr, stdout};

const FAILING: &str = "scenarios/gossip/bugs/no-anti-entropy.toml";

/// A repro of a failing run, written under `dir`.
fn a_repro(dir: &std::path::Path) -> std::path::PathBuf {
    let o = dsim(&["run", FAILING, "--out", dir.to_str().unwrap(), "--json"]);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    std::path::PathBuf::from(v["repro"].as_str().unwrap())
}

#[test]
fn a_repro_name_that_cannot_be_created_stops_at_once() {
    // The scenario's name is allowed, but the repro's name built from it
    // is longer than a file name may be: an error, not an endless search
    // for a free name.
    let dir = common::temp_dir("long-name");
    let scenario = dir.join(format!("{}.toml", "n".repeat(250)));
    std::fs::copy(common::root().join(FAILING), &scenario).unwrap();
    let out = dir.join("out");
    let o = dsim_within(60, &["run", scenario.to_str().unwrap(), "--out", out.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(stderr(&o).contains("cannot write the repro"), "{}", stderr(&o));
    assert!(stderr(&o).to_lowercase().contains("name too long"), "{}", stderr(&o));
}

#[test]
fn a_fifo_where_a_repro_would_go_is_passed_over_not_read() {
    let dir = common::temp_dir("repro-fifo");
    common::mkfifo(&dir.join("no-anti-entropy-seed0.json"));
    let o = dsim_within(60, &["run", FAILING, "--out", dir.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    assert!(dir.join("no-anti-entropy-seed0-2.json").is_file(), "{}", stdout(&o));
}

#[test]
fn errors_in_a_repros_scenario_point_into_the_repro() {
    let dir = common::temp_dir("repro-scenario-error");
    let repro = a_repro(&dir);
    let mut v: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(&repro).unwrap()).unwrap();
    let source =
        v["scenario"]["source"].as_str().unwrap().replace("duration = \"12s\"", "duration = \"12parsecs\"");
    v["scenario"]["source"] = source.into();
    std::fs::write(&repro, serde_json::to_string_pretty(&v).unwrap()).unwrap();
    for command in ["replay", "shrink"] {
        let o = dsim(
            &[command, repro.to_str().unwrap(), "--out", dir.to_str().unwrap()]
                [..if command == "replay" { 2 } else { 4 }],
        );
        let err = stderr(&o);
        assert_eq!(o.status.code(), Some(2), "{command}: {err}");
        assert!(err.contains("unknown unit `parsecs`"), "{command}: {err}");
        let place = format!("--> the scenario embedded in {}:8:12", repro.display());
        assert!(err.contains(&place), "{command}: expected `{place}` in\n{err}");
        assert!(
            !err.contains(&format!("--> {FAILING}")),
            "{command}: not the original file, never read: {err}"
        );
    }
}

#[test]
fn invalid_utf8_is_refused_at_its_place() {
    let dir = common::temp_dir("utf8");
    let scenario = dir.join("latin1.toml");
    let mut bytes = std::fs::read(common::root().join(FAILING)).unwrap();
    let at = bytes.windows(6).position(|w| w == b"gossip").unwrap();
    bytes[at + 2] = 0xe9; // "goéip" in Latin-1: not UTF-8
    std::fs::write(&scenario, &bytes).unwrap();
    let line = bytes[..at].iter().filter(|b| **b == b'\n').count() + 1;
    let column = at - bytes[..at].iter().rposition(|b| *b == b'\n').map_or(0, |i| i + 1) + 3;
    let o = dsim(&["run", scenario.to_str().unwrap()]);
    let err = stderr(&o);
    assert_eq!(o.status.code(), Some(2), "{err}");
    assert!(err.contains(&format!("{}:{line}:{column}", scenario.display())), "{line}:{column} in {err}");
    assert!(err.contains("not valid UTF-8") && err.contains("0xe9"), "{err}");

    let repro = a_repro(&dir);
    let mut bytes = std::fs::read(&repro).unwrap();
    bytes.splice(1..1, [0xff, 0xfe]);
    std::fs::write(&repro, &bytes).unwrap();
    let o = dsim(&["replay", repro.to_str().unwrap()]);
    let err = stderr(&o);
    assert_eq!(o.status.code(), Some(2), "{err}");
    assert!(err.contains(&format!("{}:1:2", repro.display())) && err.contains("0xff"), "{err}");
}

#[test]
fn durations_with_spaces_are_refused() {
    let dir = common::temp_dir("spaced-durations");
    let source = std::fs::read_to_string(common::root().join("tests/fixtures/tiny-gossip.toml")).unwrap();
    for spaced in ["5 s", " 5s", "5ms ", "5\ts"] {
        let scenario = dir.join("spaced.toml");
        std::fs::write(&scenario, source.replace("\"300ms\"", &format!("\"{spaced}\""))).unwrap();
        let o = dsim(&["run", scenario.to_str().unwrap()]);
        assert_eq!(o.status.code(), Some(2), "`{spaced}`: {}", stderr(&o));
        assert!(stderr(&o).contains("space"), "`{spaced}`: {}", stderr(&o));
        assert!(stderr(&o).contains(&format!("{}:5:", scenario.display())), "{}", stderr(&o));
    }
    let o = dsim(&["explore", "tests/fixtures/tiny-gossip.toml", "--for", " 1s"]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
}

#[test]
fn zero_jobs_is_refused() {
    let o = dsim(&["explore", "tests/fixtures/tiny-gossip.toml", "--count", "1", "--jobs", "0"]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(stderr(&o).contains("--jobs"), "{}", stderr(&o));
}

#[test]
fn the_replay_command_is_quoted_for_a_shell() {
    let dir = common::temp_dir("quoting");
    let out = dir.join("my out's $HOME");
    let o = dsim(&["run", FAILING, "--out", out.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    let text = stdout(&o);
    let line = text.lines().find(|l| l.contains("dsim replay")).expect("a replay line");
    let command = line.split_once("dsim replay ").unwrap().1;
    // What a POSIX shell makes of it is the path of the repro.
    let echoed =
        std::process::Command::new("sh").arg("-c").arg(format!("printf %s {command}")).output().unwrap();
    let path = String::from_utf8(echoed.stdout).unwrap();
    assert!(std::path::Path::new(&path).is_file(), "`{command}` is `{path}` for sh, not the repro");

    let o = dsim(&["explore", FAILING, "--count", "1", "--out", out.to_str().unwrap()]);
    let text = stdout(&o);
    let line = text.lines().find(|l| l.contains("replay: dsim replay")).expect("a replay line");
    assert!(line.contains('\''), "quoted: {line}");
}

#[test]
fn a_fifo_in_a_folder_of_repros_is_passed_over_not_opened() {
    let dir = common::temp_dir("replay-fifo");
    a_repro(&dir);
    common::mkfifo(&dir.join("zz-not-a-repro.json"));
    let o = dsim_within(60, &["replay", dir.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    assert_eq!(stdout(&o).matches("reproduced:").count(), 1, "{}", stdout(&o));
}
