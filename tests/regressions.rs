//! The regression corpus: repros kept in `tests/regressions/`, replayed as a
//! folder the way a user's CI would (`dsim replay tests/regressions`).
//!
//! These are shrunk repros of the gossip seeded bugs, so each must still
//! fail, at the same step with the same trace hash: if a checker stops
//! catching one, or the engine's event order changes by accident, this
//! fails. After an intentional change to event order, regenerate them with
//! `dsim explore ... --shrink` and review the new files.

mod common;
use common::{dsim, stdout};

#[test]
fn every_repro_in_the_corpus_still_fails_exactly_as_recorded() {
    let files = std::fs::read_dir(common::root().join("tests/regressions")).unwrap().count();
    assert!(files >= 3);
    let o = dsim(&["replay", "tests/regressions", "--json"]);
    assert_eq!(o.status.code(), Some(1), "a folder with a failing repro exits 1");
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let reports = v.as_array().expect("one report per repro");
    assert_eq!(reports.len(), files);
    for r in reports {
        assert_eq!(r["reproduced"], true, "{}: {}", r["repro"], r["diverged"]);
    }
    let text = stdout(&dsim(&["replay", "tests/regressions"]));
    assert_eq!(text.matches("reproduced:").count(), files, "{text}");
}
