//! The README's mutation figures are what `dsim-mutants report` makes of
//! the committed results and reviews, now: a changed checker or scenario
//! makes results stale (counted as not run), a new review moves a
//! survivor, and either shows here until the README is brought up to date.

use std::path::Path;

const PROTOCOLS: [&str; 7] = ["raft", "paxos", "twopc", "saga", "gossip", "register", "relay"];

fn repo() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().expect("the workspace root")
}

fn readme() -> String {
    std::fs::read_to_string(repo().join("README.md")).expect("README.md")
}

fn report(protocol: &str) -> String {
    dsim_mutants::report_of(repo(), protocol).unwrap_or_else(|e| panic!("{protocol}: {e}"))
}

#[test]
fn each_protocols_row_in_the_readme_is_its_report_total() {
    let readme = readme();
    for protocol in PROTOCOLS {
        let report = report(protocol);
        let total = report.lines().find(|l| l.starts_with("| **all** |")).expect("a total row");
        let row = total.replacen("**all**", protocol, 1);
        assert!(
            readme.lines().any(|l| l == row),
            "README.md lacks the row of {protocol} as `dsim-mutants --protocol {protocol} report` prints it:\n{row}"
        );
    }
}

#[test]
fn rafts_table_by_file_and_seeds_needed_in_the_readme_are_its_report() {
    let readme = readme();
    let report = report("raft");
    let lines: Vec<&str> = report
        .lines()
        .filter(|l| {
            l.starts_with("| raft/") || l.starts_with("| **all** |") || l.starts_with("Seeds the catching")
        })
        .collect();
    assert!(lines.len() > 5, "{report}");
    for line in lines {
        assert!(
            readme.lines().any(|l| l == line),
            "README.md lacks this line of `dsim-mutants report`:\n{line}"
        );
    }
}
