//! What a check concludes, and why.

use serde::{Deserialize, Serialize};

/// Why the search can go no further: the longest linearizable order found,
/// and the operation that had to come next but could not.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Counterexample {
    /// The key, for keyed histories.
    pub key: Option<u64>,
    /// History positions of the invocations of the operations in the
    /// longest linearizable order found, in that order.
    pub prefix: Vec<u64>,
    /// The model's state after that order.
    pub state: String,
    /// The invocation position of an operation that had completed by then
    /// but could not be placed after the prefix.
    pub blocked: u64,
    /// Invocation positions of the other operations that could have come
    /// next (pending at that point); none of them unblocked it.
    pub candidates: Vec<u64>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "verdict", rename_all = "kebab-case")]
pub enum Verdict {
    Linearizable,
    NotLinearizable(Counterexample),
    /// A limit ended the search without an answer.
    Unknown {
        reason: String,
    },
}

impl Verdict {
    pub fn is_linearizable(&self) -> bool {
        matches!(self, Verdict::Linearizable)
    }
}

/// Limits on a search. Running out of any gives `Unknown`, never a hang.
pub struct Budget<'a> {
    /// Search steps (an operation tried at a point of the search).
    pub max_steps: u64,
    /// Configurations remembered.
    pub max_memo: usize,
    /// Asked every few thousand steps; `true` stops the search (for a
    /// wall-clock timeout kept outside the simulator).
    pub stop: Option<&'a (dyn Fn() -> bool + Sync)>,
}

impl Default for Budget<'_> {
    fn default() -> Self {
        Budget { max_steps: 200_000_000, max_memo: 20_000_000, stop: None }
    }
}
