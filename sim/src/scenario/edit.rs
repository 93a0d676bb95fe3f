//! Scenarios made from other scenarios: `explore --swarm` and the shrinker
//! change a scenario, and the repro they write must carry the scenario that
//! actually ran. Editing goes through the TOML table and back to text, so
//! comments are lost; a header says where the scenario came from.

use super::{Diagnostic, Scenario};

impl Scenario {
    /// A new scenario: this one's TOML, changed by `edit`, validated again.
    pub fn edited(&self, note: &str, edit: impl FnOnce(&mut toml::Table)) -> Result<Scenario, Diagnostic> {
        let mut table = self.table()?;
        edit(&mut table);
        Scenario::from_table(&self.path, &format!("{}# {note}\n", self.header()), &table)
    }

    /// The scenario's TOML as a table, to edit.
    pub fn table(&self) -> Result<toml::Table, Diagnostic> {
        toml::from_str(&self.source).map_err(|e| Diagnostic::from_toml(&self.path, &self.source, &e))
    }

    /// A scenario from a table: `header` (comment lines) then the table.
    pub fn from_table(path: &str, header: &str, table: &toml::Table) -> Result<Scenario, Diagnostic> {
        let body = toml::to_string(table)
            .map_err(|e| Diagnostic::file(path, format!("cannot write the edited scenario: {e}")))?;
        Scenario::parse(path, &format!("{header}{body}"))
    }

    /// The comment lines at the top of the file.
    pub fn header(&self) -> String {
        self.source.lines().take_while(|l| l.starts_with('#')).map(|l| format!("{l}\n")).collect()
    }

    /// This scenario with the nemesis in swarm mode.
    pub fn with_swarm(&self) -> Result<Scenario, Diagnostic> {
        self.edited("dsim: swarm = true added to [nemesis] by explore --swarm", |t| {
            let nemesis = t.entry("nemesis").or_insert_with(|| toml::Value::Table(toml::Table::new()));
            if let Some(n) = nemesis.as_table_mut() {
                n.insert("swarm".into(), toml::Value::Boolean(true));
            }
        })
    }
}

/// Mutable access to a sub-table, created if missing.
pub fn table_mut<'a>(t: &'a mut toml::Table, key: &str) -> Option<&'a mut toml::Table> {
    t.entry(key).or_insert_with(|| toml::Value::Table(toml::Table::new())).as_table_mut()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn editing_keeps_everything_else() {
        let src =
            "# a scenario\nprotocol = \"gossip\"\nnodes = 5\nduration = \"10s\"\n[network]\ndrop = 0.1\n";
        let s = Scenario::parse("x.toml", src).unwrap();
        let e = s.edited("changed nodes", |t| {
            t.insert("nodes".into(), toml::Value::Integer(3));
        });
        let e = e.unwrap();
        assert_eq!(e.nodes, 3);
        assert_eq!(e.network.default.drop_ppm, 100_000);
        assert!(e.source.starts_with("# a scenario\n# changed nodes\n"), "{}", e.source);
        assert!(s.with_swarm().unwrap().nemesis.swarm);
    }
}
