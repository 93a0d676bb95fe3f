//! The lease lock through its own binary, as its authors would use it:
//! the correct protocol survives a sweep; the seeded bug is found, shrunk
//! and replayed.

use std::path::PathBuf;
use std::process::Command;

fn bin() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_lease-lock"));
    c.current_dir(env!("CARGO_MANIFEST_DIR"));
    c
}

fn out_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("lease-lock-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    dir
}

#[test]
fn the_correct_lock_survives_a_sweep() {
    let out = out_dir("sweep");
    let o = bin()
        .args(["explore", "scenarios/paused-worker.toml", "--seeds", "0..200", "--out"])
        .arg(&out)
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&o.stdout);
    assert_eq!(o.status.code(), Some(0), "{text}{}", String::from_utf8_lossy(&o.stderr));
    assert!(text.contains("no finding") || text.contains("0 finding"), "{text}");
    let _ = std::fs::remove_dir_all(&out);
}

#[test]
fn the_seeded_bug_is_found_shrunk_and_replayed() {
    let out = out_dir("bug");
    let o = bin()
        .args(["explore", "scenarios/no-fencing.toml", "--seeds", "0..20", "--out"])
        .arg(&out)
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&o.stdout);
    assert_eq!(o.status.code(), Some(1), "{text}");
    assert!(text.contains("FINDING fenced-writes"), "{text}");
    assert!(text.contains("replay: lease-lock replay "), "the command names this binary: {text}");
    let repro = out.join("no-fencing-seed0.json");
    assert!(repro.exists(), "{text}");

    let shrunk_dir = out.join("shrunk");
    let o = bin().arg("shrink").arg(&repro).arg("--out").arg(&shrunk_dir).output().unwrap();
    let text = String::from_utf8_lossy(&o.stdout);
    assert_eq!(
        o.status.code(),
        Some(1),
        "shrink keeps the failure: {text}{}",
        String::from_utf8_lossy(&o.stderr)
    );
    let shrunk = std::fs::read_dir(&shrunk_dir).unwrap().next().unwrap().unwrap().path();
    // Whatever the shrinker removes, it keeps the two workers the protocol
    // needs, the lock and the storage.
    let written: sim::Repro = serde_json::from_str(&std::fs::read_to_string(&shrunk).unwrap()).unwrap();
    let scenario = sim::Scenario::parse("shrunk.toml", &written.scenario.source).unwrap();
    let counts: Vec<(String, u32)> = scenario.roles.unwrap().into_iter().map(|r| (r.name, r.count)).collect();
    assert_eq!(counts[..2], [("lock".into(), 1), ("storage".into(), 1)], "{text}");
    assert!(counts[2].0 == "worker" && counts[2].1 >= 2, "{counts:?}");

    for file in [&repro, &shrunk] {
        let o = bin().arg("replay").arg(file).output().unwrap();
        let text = String::from_utf8_lossy(&o.stdout);
        assert_eq!(o.status.code(), Some(1), "{text}");
        assert!(text.contains("reproduced"), "{text}");
    }
    let _ = std::fs::remove_dir_all(&out);
}

#[test]
fn the_binary_lists_its_protocol_with_its_roles() {
    let o = bin().arg("list").output().unwrap();
    let text = String::from_utf8_lossy(&o.stdout);
    assert!(text.contains("lease-lock: a lease lock"), "{text}");
    assert!(text.contains("roles ([nodes] ... = N): lock, storage, worker"), "{text}");
    assert!(text.contains("raft:"), "the built-in protocols are still there");
}
