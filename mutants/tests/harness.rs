//! The harness itself: mutants of a small fixture are found in a fixed
//! order with stable ids, skip what they must, apply and revert exactly,
//! and the schemata parse and name every mutant.

use dsim_mutants::apply;
use dsim_mutants::mutate::{mutate, Mutant};
use std::path::PathBuf;

const FIXTURE: &str = include_str!("fixtures/sample.rs");

fn mutants() -> Vec<Mutant> {
    mutate("tests/fixtures/sample.rs", FIXTURE, 1).expect("the fixture parses").mutants
}

#[test]
fn enumerates_the_fixture_deterministically() {
    let listed: Vec<String> =
        mutants().iter().map(|m| format!("{}:{} {} {}", m.line, m.column, m.operator, m.id)).collect();
    let expected = [
        "14:40 bool-body tests/fixtures/sample.rs:Node::quorum:bool-body:`{ self.votes.len() >= n / 2 + 1 }` -> `{ true }`#0",
        "14:40 bool-body tests/fixtures/sample.rs:Node::quorum:bool-body:`{ self.votes.len() >= n / 2 + 1 }` -> `{ false }`#0",
        "15:29 off-by-one tests/fixtures/sample.rs:Node::quorum:off-by-one:`n / 2 + 1` -> `n / 2`#0",
        "15:26 relational tests/fixtures/sample.rs:Node::quorum:relational:`self.votes.len() >= n / 2 + 1` -> `self.votes.len() > n / 2 + 1`#0",
        "19:17 relational tests/fixtures/sample.rs:Node::step:relational:`term > self.term` -> `term >= self.term`#0",
        "19:29 logical tests/fixtures/sample.rs:Node::step:logical:`term > self.term && !LIMIT` -> `term > self.term || !LIMIT`#0",
        "20:30 max-min tests/fixtures/sample.rs:Node::step:max-min:`term.max(self.term)` -> `term.min(self.term)`#0",
        "21:13 delete-call tests/fixtures/sample.rs:Node::step:delete-call:`ctx.sync();` -> `(deleted)`#0",
        "27:13 delete-increment tests/fixtures/sample.rs:Node::step:delete-increment:`self.term += 1;` -> `(deleted)`#0",
    ];
    assert_eq!(listed, expected, "{listed:#?}");
    // Twice the same: nothing depends on the run.
    assert_eq!(mutants(), mutants());
}

#[test]
fn skips_bug_branches_observations_debug_tests_and_constants() {
    let all = mutants();
    for m in &all {
        assert!(m.line < 32, "a Debug impl or a test was mutated: {}", m.id);
        assert!(!m.before.contains("ctx.send(1, true)") && m.before != "true", "a bug branch: {}", m.id);
        assert!(!m.before.contains("observe"), "an observation: {}", m.id);
    }
}

#[test]
fn applies_and_reverts_one_mutant_exactly() {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("harness-apply");
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("sample.rs");
    std::fs::write(&path, FIXTURE).unwrap();
    let all = mutants();
    let m = all.iter().find(|m| m.operator == "relational" && m.line == 19).unwrap();

    let applied = apply::apply(&path, m).unwrap();
    let mutated = std::fs::read_to_string(&path).unwrap();
    assert_eq!(mutated.lines().nth(18).unwrap(), "        if term >= self.term && !LIMIT {");
    assert_eq!(mutated.len(), FIXTURE.len() + 1, "only the operator changed");

    apply::revert(&applied).unwrap();
    assert_eq!(std::fs::read(&path).unwrap(), FIXTURE.as_bytes(), "the file is back byte for byte");

    // Every mutant applies to text that still parses (no broken syntax).
    for m in &all {
        let text = apply::mutated_text(FIXTURE, m);
        assert!(syn::parse_file(&text).is_ok(), "{} does not parse:\n{text}", m.id);
    }
}

#[test]
fn the_schemata_name_every_mutant_once_and_parse() {
    let out = mutate("tests/fixtures/sample.rs", FIXTURE, 7).unwrap();
    syn::parse_file(&out.schemata).expect("the schemata parse");
    for n in 7..7 + out.mutants.len() {
        let calls = out.schemata.matches(&format!("__mutant ({n}usize)")).count()
            + out.schemata.matches(&format!("__mutant ({n})")).count();
        assert!(calls >= 1, "mutant {n} is not in the schemata:\n{}", out.schemata);
    }
    assert!(!out.schemata.contains(&format!("__mutant ({}", 7 + out.mutants.len())));
}
