//! Each protocol declares its `[protocol]` parameters once (`ParamSpec`):
//! `dsim list` and docs/scenario.md show them, and the scenario reader
//! refuses any other key. These tests keep the declaration true to the
//! protocol's own reader: every declared key is accepted, and a table
//! holding every declared default configures the protocol exactly as an
//! empty one does.

mod common;

use sim::Scenario;

/// A shipped scenario of each protocol, without a seeded bug.
fn scenario_of(protocol: &str) -> (String, toml::Table) {
    for path in common::scenario_files() {
        let path = path.display().to_string();
        let s = Scenario::load(&path).unwrap_or_else(|e| panic!("{e}"));
        if s.protocol == protocol && s.bug.is_none() {
            return (path, s.source.parse().expect("TOML"));
        }
    }
    panic!("no shipped scenario runs {protocol}");
}

fn with_protocol(mut table: toml::Table, protocol: toml::Table) -> String {
    table.insert("protocol".into(), toml::Value::Table(protocol));
    toml::to_string(&table).expect("TOML")
}

fn parameters(path: &str, text: &str) -> Vec<(&'static str, String)> {
    let s = Scenario::parse(path, text).unwrap_or_else(|e| panic!("{e}"));
    protocols::prepare(s).unwrap_or_else(|e| panic!("{path}: {e}")).parameters()
}

#[test]
fn declared_defaults_are_the_defaults_the_protocols_use() {
    for d in protocols::registry().protocols() {
        let (path, mut table) = scenario_of(d.name);
        table.remove("protocol");
        let mut bare = toml::Table::new();
        bare.insert("name".into(), d.name.into());
        let mut full = bare.clone();
        for p in d.params {
            let Some(default) = p.default else { continue };
            let v: toml::Table =
                format!("v = {default}").parse().unwrap_or_else(|e| panic!("{}: {e}", p.name));
            full.insert(p.name.into(), v["v"].clone());
        }
        let bare_params = parameters(&path, &with_protocol(table.clone(), bare));
        let full_params = parameters(&path, &with_protocol(table.clone(), full));
        assert_eq!(bare_params, full_params, "{}: the declared defaults differ from those it uses", d.name);
    }
}

#[test]
fn an_undeclared_parameter_is_refused_with_a_suggestion() {
    let (path, mut table) = scenario_of("raft");
    let mut protocol = toml::Table::new();
    protocol.insert("name".into(), "raft".into());
    protocol.insert("hearbeat".into(), "50ms".into());
    table.insert("protocol".into(), toml::Value::Table(protocol));
    let s = Scenario::parse(&path, &toml::to_string(&table).unwrap()).unwrap();
    let e = protocols::prepare(s).err().expect("refused").to_string();
    assert!(e.contains("unknown raft parameter `hearbeat` (did you mean `heartbeat`?)"), "{e}");
    assert!(e.contains("`election_timeout`"), "the allowed keys are listed: {e}");
}
