//! Figures a run reports besides its verdicts.

use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Metric {
    pub name: String,
    pub value: f64,
    /// `""` for a plain number, else `ms`, `%`, `msgs`...
    pub unit: String,
    /// A cost of the protocol's own (lower is better: elections held,
    /// memory held): compared between builds with the engine's costs (see
    /// [`crate::cost`]).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub cost: bool,
}

impl Metric {
    pub fn new(name: impl Into<String>, value: f64, unit: &str) -> Metric {
        Metric { name: name.into(), value, unit: unit.to_string(), cost: false }
    }

    /// A figure the protocol counts as a cost: lower is better.
    pub fn cost(name: impl Into<String>, value: f64, unit: &str) -> Metric {
        Metric { cost: true, ..Metric::new(name, value, unit) }
    }
}

/// The `q`-th percentile (0..=100) of sorted values, nearest rank.
pub fn percentile(sorted: &[u64], q: u64) -> Option<u64> {
    if sorted.is_empty() {
        return None;
    }
    let rank = (q * sorted.len() as u64).div_ceil(100).max(1) as usize;
    Some(sorted[rank.min(sorted.len()) - 1])
}

#[cfg(test)]
mod tests {
    #[test]
    fn percentiles() {
        let v: Vec<u64> = (1..=100).collect();
        assert_eq!(super::percentile(&v, 50), Some(50));
        assert_eq!(super::percentile(&v, 99), Some(99));
        assert_eq!(super::percentile(&v, 100), Some(100));
        assert_eq!(super::percentile(&[7], 50), Some(7));
        assert_eq!(super::percentile(&[], 50), None);
    }
}
