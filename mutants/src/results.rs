//! The committed results file (`mutants/PROTOCOL.toml`) and the reviewed
//! equivalents (`mutants/PROTOCOL-equivalent.toml`).
//!
//! The results file holds one table per mutant, sorted by place, rewritten
//! after every round of every mutant: a run stopped at any moment resumes
//! where it was. Each record carries two fingerprints, the enclosing
//! function's and the oracle's (the checker and the scenarios); when either
//! changes the record is stale and is run again.

use serde::{Deserialize, Serialize};
use std::path::Path;

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Record {
    pub id: String,
    pub file: String,
    pub line: usize,
    pub column: usize,
    pub operator: String,
    pub before: String,
    pub after: String,
    /// `caught`, `limit`, `timeout`, `vacuous`, `slower` (all caught),
    /// `survived` or `error`.
    pub status: String,
    /// Seeds run per scenario so far (for a survivor, all of them passed).
    pub seeds: u64,
    /// For a caught mutant: where, which property, and the seeds that
    /// scenario needed (its first failing seed + 1).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scenario: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub property: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub seeds_needed: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
    /// For a survivor: the seeds per scenario of the cost comparison it
    /// passed (see `dsim_mutants::cost`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cost_seeds: Option<u64>,
    /// Wall seconds spent on this mutant's sweeps.
    pub seconds: f64,
    pub fn_hash: String,
    pub oracle: String,
}

impl Record {
    pub fn is_caught(&self) -> bool {
        matches!(self.status.as_str(), "caught" | "limit" | "timeout" | "vacuous" | "slower")
    }
}

#[derive(Debug, Default, Serialize, Deserialize)]
pub struct Results {
    #[serde(default)]
    pub mutant: Vec<Record>,
}

impl Results {
    pub fn load(path: &Path) -> Result<Results, String> {
        match std::fs::read_to_string(path) {
            Ok(text) => toml::from_str(&text).map_err(|e| format!("{}: {e}", path.display())),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Results::default()),
            Err(e) => Err(format!("{}: {e}", path.display())),
        }
    }

    pub fn get(&self, id: &str) -> Option<&Record> {
        self.mutant.iter().find(|r| r.id == id)
    }

    /// Stores `record` into what is on disk now (another shard may have
    /// written since) and writes the file atomically; `self` becomes the
    /// file's new contents.
    pub fn save(&mut self, path: &Path, record: Record) -> Result<(), String> {
        // Only this record goes over what is on disk: a shard running
        // beside this one may have saved others since this one read them.
        let mut on_disk = Results::load(path)?;
        on_disk.upsert(record);
        *self = on_disk;
        self.mutant
            .sort_by(|a, b| (&a.file, a.line, a.column, &a.id).cmp(&(&b.file, b.line, b.column, &b.id)));
        let header = "# Mutation results, written by `dsim-mutants run` (see docs/mutants.md).\n\
                      # One table per mutant; `seeds` is per scenario.\n\n";
        let text = header.to_string() + &toml::to_string(self).map_err(|e| e.to_string())?;
        let tmp = path.with_extension("toml.tmp");
        std::fs::write(&tmp, text).map_err(|e| format!("{}: {e}", tmp.display()))?;
        std::fs::rename(&tmp, path).map_err(|e| format!("{}: {e}", path.display()))
    }

    fn upsert(&mut self, record: Record) {
        match self.mutant.iter_mut().find(|r| r.id == record.id) {
            Some(r) => *r = record,
            None => self.mutant.push(record),
        }
    }
}

/// A survivor reviewed by hand and found equivalent to the original.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Equivalent {
    pub id: String,
    pub reason: String,
    /// `performance` for a mutant that only makes the protocol slower or
    /// noisier (more messages, a later snapshot, a disruptive election):
    /// not equivalent, but beyond what a correctness property can see; `gap`
    /// for a real bug the sweep misses, the reason naming the check or
    /// fault that would catch it. Both stay in the score's denominator.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kind: Option<String>,
}

#[derive(Debug, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Equivalents {
    #[serde(default)]
    pub equivalent: Vec<Equivalent>,
}

impl Equivalents {
    pub fn load(path: &Path) -> Result<Equivalents, String> {
        match std::fs::read_to_string(path) {
            Ok(text) => toml::from_str(&text).map_err(|e| format!("{}: {e}", path.display())),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Equivalents::default()),
            Err(e) => Err(format!("{}: {e}", path.display())),
        }
    }

    pub fn reason(&self, id: &str) -> Option<&str> {
        self.equivalent.iter().find(|e| e.id == id).map(|e| e.reason.as_str())
    }

    /// Reviewed as only slower, not wrong (see [`Equivalent::kind`]).
    pub fn performance_only(&self, id: &str) -> bool {
        self.kind(id) == Some("performance")
    }

    /// Reviewed as a real bug the sweep misses (`kind = "gap"`): the
    /// reason says what would catch it. Counted as a survivor.
    pub fn gap(&self, id: &str) -> bool {
        self.kind(id) == Some("gap")
    }

    fn kind(&self, id: &str) -> Option<&str> {
        self.equivalent.iter().find(|e| e.id == id).and_then(|e| e.kind.as_deref())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(id: &str, status: &str) -> Record {
        Record { id: id.into(), status: status.into(), ..Record::default() }
    }

    #[test]
    fn shards_saving_in_turn_keep_each_others_records() {
        let dir = std::env::temp_dir().join(format!("dsim-mutants-results-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("raft.toml");
        let mut a = Results::load(&path).unwrap();
        let mut b = Results::load(&path).unwrap();
        a.save(&path, record("one", "caught")).unwrap();
        b.save(&path, record("two", "survived")).unwrap();
        a.save(&path, record("three", "caught")).unwrap();
        b.save(&path, record("four", "survived")).unwrap();
        let on_disk = Results::load(&path).unwrap();
        for id in ["one", "two", "three", "four"] {
            assert!(on_disk.get(id).is_some(), "{id} kept");
        }
        // A newer record of a mutant replaces the older one.
        a.save(&path, record("two", "caught")).unwrap();
        assert_eq!(Results::load(&path).unwrap().get("two").unwrap().status, "caught");
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
