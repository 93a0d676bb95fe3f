//! `dsim run SCENARIO --print-config` prints the scenario with every
//! default filled in, as TOML a user can start from: for every shipped
//! scenario it loads again and prints the same configuration.

mod common;

use common::{dsim, rel, scenario_files, stdout, temp_dir};

/// The printed configuration without its first line, which names the file.
fn body(text: &str) -> String {
    text.split_once('\n').map(|(_, rest)| rest.to_string()).unwrap_or_default()
}

#[test]
fn print_config_of_every_shipped_scenario_loads_and_prints_the_same() {
    let dir = temp_dir("print-config");
    for path in scenario_files() {
        let path = rel(&path);
        let o = dsim(&["run", &path, "--print-config"]);
        assert_eq!(o.status.code(), Some(0), "{path}: {}", common::stderr(&o));
        let first = stdout(&o);
        assert!(
            first.contains("[protocol]\nname = "),
            "{path}: the protocol's parameters are filled in:\n{first}"
        );
        let copy = dir.join("printed.toml");
        std::fs::write(&copy, &first).unwrap();
        let o = dsim(&["run", copy.to_str().unwrap(), "--print-config"]);
        assert_eq!(
            o.status.code(),
            Some(0),
            "{path}: the printed configuration loads: {}",
            common::stderr(&o)
        );
        assert_eq!(body(&stdout(&o)), body(&first), "{path}: printed twice, the same");
    }
}
