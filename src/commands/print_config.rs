//! `dsim run SCENARIO --print-config`: the scenario with every default
//! filled in (the protocol's parameters included), as TOML that loads
//! again, for a user to start a scenario of their own from.

use crate::error::CliError;

pub fn print_config(path: &str) -> Result<u8, CliError> {
    let runner = crate::registry().load(path)?;
    let mut scenario = runner.scenario().clone();
    let registry = crate::registry();
    if let Some(d) = registry.protocols().find(|d| d.name == scenario.protocol) {
        for p in d.params {
            let Some(default) = p.default else { continue };
            if scenario.params.contains_key(p.name) {
                continue;
            }
            // Declared defaults are TOML; `tests/protocol_params.rs` reads each.
            if let Ok(t) = format!("v = {default}").parse::<toml::Table>() {
                scenario.params.insert(p.name.to_string(), t["v"].clone());
            }
        }
    }
    let header = format!("# {path}, with every default filled in (dsim run --print-config)\n");
    print!("{}", scenario.to_toml(&header));
    Ok(0)
}
