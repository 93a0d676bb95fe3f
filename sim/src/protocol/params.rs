//! A protocol's parameters, declared once: what `dsim list` shows, what
//! `docs/scenario.md` documents, and which keys a `[protocol]` table may
//! hold (any other is refused before the protocol reads the table, with a
//! did-you-mean). `sim::testing::check_params` proves that the
//! declaration and the protocol's own reader agree: every declared key is
//! read, and every declared default is the one the reader uses.

use crate::scenario::{Diagnostic, Scenario};
use serde::Serialize;

/// One parameter of a protocol's `[protocol]` table.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct ParamSpec {
    pub name: &'static str,
    /// What it takes, in words: `"duration"`, `"[duration, duration]"`,
    /// `"integer"`, `"bool"`, `"\"read-index\" or \"log\""`...
    #[serde(rename = "type")]
    pub kind: &'static str,
    /// Its default, written as TOML (`"50ms"`, `true`, `64`); `None` when
    /// leaving it out means something of its own (switched off, never).
    pub default: Option<&'static str>,
    pub help: &'static str,
}

/// Refuses a `[protocol]` key that `params` does not declare.
pub fn check_keys(scenario: &Scenario, protocol: &str, params: &[ParamSpec]) -> Result<(), Diagnostic> {
    let names: Vec<&str> = params.iter().map(|p| p.name).collect();
    for key in scenario.params.keys() {
        if names.contains(&key.as_str()) {
            continue;
        }
        let hint = match crate::named::did_you_mean(key, &names) {
            Some(close) => format!(" (did you mean `{close}`?)"),
            None => String::new(),
        };
        let allowed = if names.is_empty() {
            format!("{protocol} takes no parameters")
        } else {
            format!(
                "expected `name` or one of {}",
                names.iter().map(|n| format!("`{n}`")).collect::<Vec<_>>().join(", ")
            )
        };
        return Err(
            scenario.param_error(key, format!("unknown {protocol} parameter `{key}`{hint}; {allowed}"))
        );
    }
    Ok(())
}
