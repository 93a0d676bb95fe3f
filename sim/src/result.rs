//! What a run produces.

use crate::fault::TimedFault;
use crate::history::{History, Tally};
use crate::metrics::Metric;
use crate::network::NetStats;
use crate::property::{Kind, PropertyVerdict};
use serde::{Deserialize, Serialize};

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Outcome {
    /// Every checked property held.
    Ok,
    /// A property was violated.
    Violation,
    /// A limit ended the run before a verdict.
    Limit,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Violation {
    pub property: String,
    pub kind: Kind,
    pub message: String,
    /// The step (1-based count of processed events) at which it was found.
    pub step: u64,
    pub time_ns: u64,
    /// What makes two violations the same finding in a sweep; when absent,
    /// the message with its numbers blanked.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub group: Option<String>,
}

/// How the linearizability of a run's history was judged.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Linearizability {
    pub model: String,
    /// `online` when the frontier check followed the run to its end;
    /// `offline` when it overflowed and the end-of-run check decided.
    pub mode: String,
    /// The largest frontier of the online check.
    pub peak_frontier: usize,
    pub verdict: crate::lin::Verdict,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RunResult {
    pub scenario: String,
    pub protocol: String,
    #[serde(default)]
    pub bug: Option<String>,
    pub seed: u64,
    pub outcome: Outcome,
    pub events: u64,
    pub virtual_time_ns: u64,
    pub trace_hash: String,
    /// The running trace hash after every CHECKPOINT_EVERY-th step, to find
    /// where two runs diverged.
    pub checkpoints: Vec<String>,
    pub violation: Option<Violation>,
    pub limit: Option<String>,
    pub properties: Vec<PropertyVerdict>,
    pub metrics: Vec<Metric>,
    /// What the run spent, measured by the engine (see [`crate::cost`]).
    #[serde(default)]
    pub cost: Vec<Metric>,
    pub network: NetStats,
    pub operations: Tally,
    /// Set when the scenario checks linearizability.
    #[serde(default)]
    pub linearizability: Option<Linearizability>,
    /// The fault schedule that ran.
    pub faults: Vec<TimedFault>,
    pub history: History,
}
