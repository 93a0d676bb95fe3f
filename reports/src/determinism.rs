//! A divergence between two runs of one seed, as people read it.

use sim::determinism::Divergence;
use sim::trace::{human, TraceLine};

pub fn describe(seed: u64, d: &Divergence) -> String {
    let shown = |line: &Option<String>| match line {
        Some(l) => serde_json::from_str::<TraceLine>(l).map(|t| human(&t)).unwrap_or_else(|_| l.clone()),
        None => "(the run had already ended)".to_string(),
    };
    format!(
        "NOT DETERMINISTIC: two runs of seed {seed} differ, first at event #{}:\n  run 1: {}\n  run 2: {}\n\
         trace hashes: {} and {}\nboth traces are kept: {} and {}\n\
         look for state that outlives a run (statics, globals) or order that is not fixed (HashMap, HashSet).\n",
        d.event,
        shown(&d.first),
        shown(&d.second),
        d.hashes[0],
        d.hashes[1],
        d.traces[0].display(),
        d.traces[1].display()
    )
}
