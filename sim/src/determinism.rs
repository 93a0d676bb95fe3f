//! Is a run deterministic? Two runs of one seed must process the same
//! events in the same order; when they do not, the first event where their
//! traces differ is what a person needs to see.

use crate::trace::first_difference;
use std::io::BufRead;
use std::path::PathBuf;

/// Where two runs of one seed first differ.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Divergence {
    /// The 1-based position of the first differing trace line.
    pub event: u64,
    /// That line in each run (`None` where a run had already ended).
    pub first: Option<String>,
    pub second: Option<String>,
    pub hashes: [String; 2],
    /// Where both traces are kept, for the user to compare.
    pub traces: [PathBuf; 2],
}

/// Compares the traces of two runs of one seed; `None` when they agree
/// line for line.
pub fn diagnose(
    traces: [(impl BufRead, PathBuf); 2],
    hashes: [String; 2],
) -> std::io::Result<Option<Divergence>> {
    let [(a, path_a), (b, path_b)] = traces;
    Ok(first_difference(a, b)?.map(|(event, first, second)| Divergence {
        event,
        first,
        second,
        hashes,
        traces: [path_a, path_b],
    }))
}
