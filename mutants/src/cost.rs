//! The performance oracle: a mutant that passes every property but costs
//! more than the unmutated program on the same seeds.
//!
//! Some mutants break no property: a leader that resends what a follower
//! holds, entries that wait for the next heartbeat, compacted entries left
//! on disk. They are real regressions of the kind a team catches with a
//! benchmark, not with an invariant. dsim measures what every run spends
//! (server messages and their size, client operations not finished, the
//! latency of those that were and of their slowest 1%, the mean wait for
//! the next completion, keys left on disk: see `dsim_sim::cost`),
//! and `dsim explore --json` reports per scenario the sum and the sum of
//! squares of each over the seeds.
//!
//! A mutant's run diverges from the unmutated one at its first different
//! step, so the comparison is a test, not an equality. But the faults a
//! seed brings (crashes, partitions, pauses) are drawn from the nemesis's
//! own stream of the seed's randomness, which no protocol step shifts: the
//! mutant meets the same storms on the same seed, and most of what makes
//! one seed cost more than another is shared. So the test pairs the runs
//! seed by seed (`dsim explore --seed-costs`): a paired t on the per-seed
//! differences, mutant minus unmutated. A cost counts as risen when its
//! mean is above the baseline's (by at least a given share, [`MIN_RISE`]
//! by default) with t at least [`MIN_T`], and the same rise (same scenario, same cost, t at least
//! [`CONFIRM_T`]) shows again on a second, disjoint set of seeds. A mutant
//! that changes runs without a direction gives differences that cancel: a
//! handful of seeds that diverge upward give t near the square root of
//! their number, far from the bound. Before judging mutants the harness
//! pairs the unmutated program's two sets of seeds with each other, runs
//! that share no faults: no cost may pass the bounds there (see
//! docs/mutants.md).

use serde::Deserialize;

/// The least relative rise of a mean that counts, by default: none. The
/// pairing and the confirmation decide whether a rise is real; its size
/// is reported, and `--min-rise` asks for a practical one.
pub const MIN_RISE: f64 = 0.0;
/// The least t of the first set of seeds.
pub const MIN_T: f64 = 4.0;
/// The least t of the confirming set.
pub const CONFIRM_T: f64 = 3.0;

/// What one seed's run spent, as `dsim explore --seed-costs --json`
/// writes it.
#[derive(Clone, Debug, Deserialize, PartialEq)]
pub struct SeedCosts {
    pub seed: u64,
    pub names: Vec<String>,
    pub values: Vec<f64>,
}

impl SeedCosts {
    fn get(&self, name: &str) -> Option<f64> {
        self.names.iter().position(|n| n == name).map(|i| self.values[i])
    }
}

/// Every scenario's costs: (scenario path, each seed's, in seed order).
pub type Costs = Vec<(String, Vec<SeedCosts>)>;

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
        // A rise under 1% is shown to two places: the pairing sees rises
        // of a few hundredths of a percent.
        let percent = self.percent();
        let places = if percent < 1.0 { 2 } else { 1 };
        format!("{} {:.4} -> {:.4} (+{percent:.places$}%, {t})", self.cost, self.base, self.mutant)
    }
}

/// Every cost that rose by at least `min_rise` with t at least `min_t`,
/// largest t first. The runs pair up in seed order: the same seeds for a
/// mutant against the unmutated program, other seeds for the noise check.
pub fn rises(base: &Costs, mutant: &Costs, min_rise: f64, min_t: f64) -> Vec<Rise> {
    let mut found = Vec::new();
    for (scenario, runs) in mutant {
        let Some((_, base_runs)) = base.iter().find(|(s, _)| s == scenario) else { continue };
        let names = runs.first().map(|r| r.names.as_slice()).unwrap_or_default();
        for name in names {
            let pairs: Vec<(f64, f64)> =
                base_runs.iter().zip(runs).filter_map(|(b, m)| Some((b.get(name)?, m.get(name)?))).collect();
            let Some(test) = Paired::of(&pairs) else { continue };
            if test.mutant <= test.base || test.mutant < test.base * (1.0 + min_rise) || test.t < min_t {
                continue;
            }
            found.push(Rise {
                scenario: scenario.clone(),
                cost: name.clone(),
                base: test.base,
                mutant: test.mutant,
                t: test.t,
            });
        }
    }
    found.sort_by(|a, b| b.t.total_cmp(&a.t));
    found
}

/// A paired t-test: the means of both sides and t of the differences.
struct Paired {
    base: f64,
    mutant: f64,
    t: f64,
}

impl Paired {
    fn of(pairs: &[(f64, f64)]) -> Option<Paired> {
        if pairs.len() < 2 {
            return None;
        }
        let n = pairs.len() as f64;
        let base = pairs.iter().map(|p| p.0).sum::<f64>() / n;
        let mutant = pairs.iter().map(|p| p.1).sum::<f64>() / n;
        let diff = mutant - base;
        let var = pairs.iter().map(|(b, m)| (m - b - diff).powi(2)).sum::<f64>() / (n - 1.0);
        let t = match (var > 0.0, diff > 0.0) {
            (true, _) => diff / (var / n).sqrt(),
            // Every seed moved by the same amount.
            (false, true) => f64::INFINITY,
            (false, false) => 0.0,
        };
        Some(Paired { base, mutant, t })
    }
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

    fn costs(values: &[f64]) -> Costs {
        let runs = values
            .iter()
            .enumerate()
            .map(|(seed, v)| SeedCosts {
                seed: seed as u64,
                names: vec!["server messages".into()],
                values: vec![*v],
            })
            .collect();
        vec![("s.toml".into(), runs)]
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
    fn a_small_but_certain_rise_counts_unless_a_share_is_asked() {
        let base = costs(&[100.0; 8]);
        assert!(rises(&base, &costs(&[103.0; 8]), 0.05, MIN_T).is_empty(), "3% is under a 5% bound");
        assert_eq!(rises(&base, &costs(&[103.0; 8]), MIN_RISE, MIN_T).len(), 1, "certain, however small");
        let found = rises(&base, &costs(&[110.0; 8]), 0.05, MIN_T);
        assert_eq!(found[0].t, f64::INFINITY, "no variance: every seed rose");
    }

    #[test]
    fn pairing_by_seed_sees_a_rise_smaller_than_the_spread_between_seeds() {
        // Seeds differ by a factor of ten; on each the mutant spends 6% more.
        let spread: Vec<f64> = (1..=30).map(|i| 100.0 * i as f64).collect();
        let wobble = |i: usize| if i.is_multiple_of(2) { 1.0 } else { -1.0 };
        let slower: Vec<f64> = spread.iter().enumerate().map(|(i, v)| v * 1.06 + wobble(i)).collect();
        let found = rises(&costs(&spread), &costs(&slower), MIN_RISE, MIN_T);
        assert!(found.len() == 1 && found[0].t > MIN_T, "{found:?}");
    }

    #[test]
    fn a_few_seeds_that_diverge_upward_are_not_a_rise() {
        let base = costs(&[100.0; 100]);
        let mut values = vec![100.0; 100];
        for v in &mut values[..5] {
            *v = 400.0;
        }
        // +15% on average, but carried by five seeds: t near sqrt(5).
        let few = rises(&base, &costs(&values), MIN_RISE, 0.0);
        assert!(few[0].t < 2.5, "{few:?}");
        assert!(rises(&base, &costs(&values), MIN_RISE, MIN_T).is_empty());
    }

    #[test]
    fn confirmation_needs_the_same_scenario_and_cost() {
        let rise =
            |cost: &str| Rise { scenario: "s".into(), cost: cost.into(), base: 1.0, mutant: 2.0, t: 5.0 };
        assert!(confirmed(&[rise("a")], &[rise("b")]).is_none());
        assert!(confirmed(&[rise("a"), rise("b")], &[rise("b")]).is_some());
    }
}
