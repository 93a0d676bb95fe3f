//! The performance oracle: a mutant that passes every property but costs
//! more than the unmutated program on the same seeds.
//!
//! Some mutants break no property: a leader that resends what a follower
//! holds, entries that wait for the next heartbeat, compacted entries left
//! on disk. They are real regressions of the kind a team catches with a
//! benchmark, not with an invariant. dsim measures what every run spends
//! (server messages and their size, client operations not finished and the
//! latency of those that were, keys left on disk: see `dsim_sim::cost`),
//! and `dsim explore --json` reports per scenario the sum and the sum of
//! squares of each over the seeds.
//!
//! A mutant's run diverges from the unmutated one at its first different
//! step and is a fresh sample from then on, so the comparison is a test
//! between two samples, not an equality: Welch's t on the per-seed means.
//! A cost counts as risen when its mean is at least [`MIN_RISE`] above the
//! baseline's with t at least [`MIN_T`], and the same rise (same scenario,
//! same cost, t at least [`CONFIRM_T`]) shows again on a second, disjoint
//! set of seeds. Two unmutated sweeps over disjoint seeds stay far below
//! these bounds (t under 3 in every scenario and cost, see
//! docs/mutants.md), so a rise is not noise.

use serde::Deserialize;

/// The least relative rise of a mean that counts.
pub const MIN_RISE: f64 = 0.05;
/// The least t of the first set of seeds.
pub const MIN_T: f64 = 4.0;
/// The least t of the confirming set.
pub const CONFIRM_T: f64 = 3.0;

/// One cost over a sweep's seeds, as `dsim explore --json` writes it.
#[derive(Clone, Debug, Deserialize, PartialEq)]
pub struct Summary {
    pub name: String,
    pub seeds: u64,
    pub sum: f64,
    #[serde(default)]
    pub sum_sq: f64,
}

impl Summary {
    fn mean(&self) -> f64 {
        self.sum / self.seeds.max(1) as f64
    }

    /// The variance of the mean.
    fn variance_of_mean(&self) -> f64 {
        let n = self.seeds as f64;
        if self.seeds < 2 {
            return 0.0;
        }
        let var = ((self.sum_sq - self.sum * self.sum / n) / (n - 1.0)).max(0.0);
        var / n
    }
}

/// Every scenario's costs: (scenario path, its summaries).
pub type Costs = Vec<(String, Vec<Summary>)>;

/// A cost that rose in one scenario.
#[derive(Clone, Debug, PartialEq)]
pub struct Rise {
    pub scenario: String,
    pub cost: String,
    pub base: f64,
    pub mutant: f64,
    pub t: f64,
}

impl Rise {
    pub fn percent(&self) -> f64 {
        if self.base == 0.0 {
            f64::INFINITY
        } else {
            100.0 * (self.mutant - self.base) / self.base
        }
    }

    pub fn describe(&self) -> String {
        let t = if self.t.is_finite() { format!("t = {:.1}", self.t) } else { "every seed".to_string() };
        format!("{} {:.4} -> {:.4} (+{:.1}%, {t})", self.cost, self.base, self.mutant, self.percent())
    }
}

/// Every cost that rose by at least `min_rise` with t at least `min_t`,
/// largest t first.
pub fn rises(base: &Costs, mutant: &Costs, min_rise: f64, min_t: f64) -> Vec<Rise> {
    let mut found = Vec::new();
    for (scenario, costs) in mutant {
        let Some((_, base_costs)) = base.iter().find(|(s, _)| s == scenario) else { continue };
        for m in costs {
            let Some(b) = base_costs.iter().find(|b| b.name == m.name) else { continue };
            let (bm, mm) = (b.mean(), m.mean());
            if mm <= bm || mm < bm * (1.0 + min_rise) {
                continue;
            }
            let se = (b.variance_of_mean() + m.variance_of_mean()).sqrt();
            let t = if se == 0.0 { f64::INFINITY } else { (mm - bm) / se };
            if t >= min_t {
                found.push(Rise {
                    scenario: scenario.clone(),
                    cost: m.name.clone(),
                    base: bm,
                    mutant: mm,
                    t,
                });
            }
        }
    }
    found.sort_by(|a, b| b.t.total_cmp(&a.t));
    found
}

/// The rises of `first` that `second` (other seeds) confirms, as pairs.
pub fn confirmed(first: &[Rise], second: &[Rise]) -> Option<(Rise, Rise)> {
    first.iter().find_map(|a| {
        let b = second.iter().find(|b| b.scenario == a.scenario && b.cost == a.cost)?;
        Some((a.clone(), b.clone()))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn summary(name: &str, values: &[f64]) -> Summary {
        Summary {
            name: name.into(),
            seeds: values.len() as u64,
            sum: values.iter().sum(),
            sum_sq: values.iter().map(|v| v * v).sum(),
        }
    }

    fn costs(values: &[f64]) -> Costs {
        vec![("s.toml".into(), vec![summary("server messages", values)])]
    }

    #[test]
    fn a_clear_rise_counts_and_noise_does_not() {
        let base = costs(&[100.0, 104.0, 96.0, 101.0, 99.0, 100.0, 103.0, 97.0]);
        let noisy = costs(&[102.0, 98.0, 105.0, 95.0, 100.0, 101.0, 99.0, 100.0]);
        assert!(rises(&base, &noisy, MIN_RISE, MIN_T).is_empty());
        let slower = costs(&[120.0, 118.0, 123.0, 119.0, 121.0, 122.0, 117.0, 120.0]);
        let found = rises(&base, &slower, MIN_RISE, MIN_T);
        assert_eq!(found.len(), 1);
        assert!(found[0].t > 10.0 && (found[0].percent() - 20.0).abs() < 0.5, "{found:?}");
        // Lower is better: a fall is never a rise.
        let faster = costs(&[80.0, 82.0, 79.0, 81.0, 80.0, 78.0, 83.0, 80.0]);
        assert!(rises(&base, &faster, MIN_RISE, MIN_T).is_empty());
    }

    #[test]
    fn a_small_but_certain_rise_is_below_the_bound() {
        let base = costs(&[100.0; 8]);
        assert!(rises(&base, &costs(&[103.0; 8]), MIN_RISE, MIN_T).is_empty(), "3% is under MIN_RISE");
        let found = rises(&base, &costs(&[110.0; 8]), MIN_RISE, MIN_T);
        assert_eq!(found[0].t, f64::INFINITY, "no variance: every seed rose");
    }

    #[test]
    fn confirmation_needs_the_same_scenario_and_cost() {
        let rise =
            |cost: &str| Rise { scenario: "s".into(), cost: cost.into(), base: 1.0, mutant: 2.0, t: 5.0 };
        assert!(confirmed(&[rise("a")], &[rise("b")]).is_none());
        assert!(confirmed(&[rise("a"), rise("b")], &[rise("b")]).is_some());
    }
}
