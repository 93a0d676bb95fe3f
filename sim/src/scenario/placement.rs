//! Top-level keys written under a table. TOML puts every key after a
//! `[table]` header into that table, so `nodes = 5` written below
//! `[protocol]` is the protocol's, and the scenario then seems to lack it
//! ("missing field `nodes`" at 1:1). This finds such a key and says where
//! it belongs.

use std::ops::Range;
use toml::de::{DeTable, DeValue};

/// Keys that only the top of a scenario holds.
const TOP_LEVEL: &[&str] = &["name", "description", "bug", "nodes", "duration", "seed", "protocol"];

/// The first top-level key found inside a table, with its place and a
/// message, if any.
pub(super) fn misplaced_key(root: &DeTable<'_>) -> Option<(Range<usize>, String)> {
    for (table, value) in root.iter() {
        // `[nodes]` holds role names, which are the protocol's to choose.
        if table.get_ref() == "nodes" {
            continue;
        }
        let DeValue::Table(t) = value.get_ref() else { continue };
        for (key, _) in t.iter() {
            let key = key.get_ref().as_ref();
            // `[protocol] name = "raft"` names the protocol.
            if table.get_ref() == "protocol" && key == "name" {
                continue;
            }
            if TOP_LEVEL.contains(&key) && !root.contains_key(key) {
                let span = t.get_key_value(key).map(|(k, _)| k.span()).unwrap_or_default();
                return Some((
                    span,
                    format!(
                        "`{key}` belongs at the top level of the scenario, not in [{}]: every key after a \
                         [table] header goes into that table, so move `{key}` above the first one",
                        table.get_ref()
                    ),
                ));
            }
        }
    }
    None
}
