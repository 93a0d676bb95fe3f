//! docs/scenario.md cannot drift from the parser: the keys documented for
//! each table are exactly those the parser accepts (asked of the parser
//! itself, whose unknown-key errors list the allowed keys), the protocol
//! parameters are generated from each protocol's declaration, and the
//! example loads. `DSIM_DOCS_BLESS=1` writes `docs/scenario.md.new` with
//! the parameter tables regenerated, for review with `diff`.

mod common;

use std::collections::BTreeSet;

const BASE: &str = "protocol = \"gossip\"\nnodes = 3\nduration = \"10s\"\n";

/// Each documented table, and the TOML that opens it for the probe.
const TABLES: &[(&str, &str)] = &[
    ("Top level", ""),
    ("`[network]`", "[network]"),
    ("`[[network.link]]`", "[[network.link]]\nbetween = [0, 1]"),
    ("`[workload]`", "[workload]\nkind = \"broadcast\"\nrate = \"1/s\""),
    ("`[[fault]]`", "[[fault]]\nat = \"1s\""),
    ("`[nemesis]`", "[nemesis]"),
    ("`[nemesis.crash]`", "[nemesis.crash]"),
    ("`[nemesis.pause]`", "[nemesis.pause]"),
    ("`[nemesis.partition]`", "[nemesis.partition]"),
    ("`[nemesis.clock]`", "[nemesis.clock]"),
    ("`[nemesis.degrade]`", "[nemesis.degrade]"),
    ("`[nemesis.trigger]`", "[nemesis.trigger]"),
    ("`[[trigger]]`", "[[trigger]]\nobserve = \"x\""),
    ("`[check]`", "[check]"),
    ("`[limits]`", "[limits]"),
    ("`[disk]`", "[disk]"),
];

fn page() -> String {
    std::fs::read_to_string(common::root().join("docs/scenario.md")).expect("docs/scenario.md")
}

/// The keys in the first column of the table under `## heading`.
fn documented(page: &str, heading: &str) -> BTreeSet<String> {
    let start = page.find(&format!("\n## {heading}\n")).unwrap_or_else(|| panic!("no section {heading}"));
    page[start + 1..]
        .lines()
        .skip(1)
        .take_while(|l| !l.starts_with("## "))
        .filter_map(|l| l.strip_prefix("| `")?.split_once('`').map(|(k, _)| k.to_string()))
        .collect()
}

/// The keys the parser allows in a table: an unknown key's error lists them.
fn accepted(opening: &str) -> BTreeSet<String> {
    let text = format!("{BASE}{opening}\nzzz_unknown = 1\n");
    let e = sim::Scenario::parse("probe.toml", &text).expect_err("an unknown key is refused").to_string();
    let list = e.split("expected ").nth(1).unwrap_or_else(|| panic!("the error lists the keys: {e}"));
    let list = list.lines().next().unwrap_or_default();
    list.split('`').skip(1).step_by(2).map(str::to_string).collect()
}

#[test]
fn every_table_documents_exactly_the_keys_the_parser_accepts() {
    let page = page();
    for (heading, opening) in TABLES {
        assert_eq!(documented(&page, heading), accepted(opening), "docs/scenario.md, {heading}");
    }
}

fn parameter_tables() -> String {
    let mut out = String::new();
    for d in protocols::registry().protocols() {
        out.push_str(&format!("### {}\n\n| key | type | default | meaning |\n|---|---|---|---|\n", d.name));
        for p in d.params {
            let default = p.default.map_or("none".to_string(), |d| format!("`{d}`"));
            let kind = p.kind.replace('|', "\\|");
            out.push_str(&format!("| `{}` | {kind} | {default} | {} |\n", p.name, p.help));
        }
        out.push('\n');
    }
    out
}

#[test]
fn the_protocol_parameters_are_those_the_protocols_declare() {
    let page = page();
    let (before, rest) = page.split_once("tests/scenario_doc.rs checks it -->\n").expect("the start marker");
    let (current, after) = rest.split_once("<!-- end of protocol parameters -->").expect("the end marker");
    let generated = parameter_tables();
    if current != generated && std::env::var_os("DSIM_DOCS_BLESS").is_some() {
        let new = format!("{before}tests/scenario_doc.rs checks it -->\n{generated}<!-- end of protocol parameters -->{after}");
        std::fs::write(common::root().join("docs/scenario.md.new"), new).unwrap();
    }
    assert_eq!(
        current, generated,
        "docs/scenario.md's protocol parameters; DSIM_DOCS_BLESS=1 writes the page with them"
    );
}

#[test]
fn the_example_loads_and_runs() {
    let page = page();
    let example = page.split("```toml\n").nth(1).and_then(|b| b.split("```").next()).expect("an example");
    let scenario = sim::Scenario::parse("docs/scenario.md", example).unwrap_or_else(|e| panic!("{e}"));
    assert!(scenario.expect.is_some());
    let r = protocols::prepare(scenario).unwrap_or_else(|e| panic!("{e}")).run(0, sim::RunOptions::default());
    assert!(r.events > 1000, "it runs: {} events", r.events);
}
