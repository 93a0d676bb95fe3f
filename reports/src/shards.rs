//! Which seeds a set of sweep results covers, before they are merged: a
//! seed counted twice would inflate the totals, and a missing shard would
//! let a merged report claim seeds that never ran.

use sim::explore::{Seeds, Shard, Sweep};

/// One sweep to be merged, with the file it came from.
pub struct Part<'a> {
    pub file: &'a str,
    pub sweep: &'a Sweep,
}

/// The seeds of one scenario (and bug) that no part covers.
#[derive(Debug, PartialEq, Eq)]
pub struct Missing {
    pub path: String,
    /// The first missing shards (up to 20).
    pub shards: Vec<Shard>,
    /// How many more are missing.
    pub more: u64,
}

impl Missing {
    pub fn describe(&self) -> String {
        let mut names: Vec<String> = self.shards.iter().map(|s| format!("{}/{}", s.index, s.count)).collect();
        if self.more > 0 {
            names.push(format!("{} more", self.more));
        }
        let list = match names.split_last() {
            Some((last, [])) => format!("shard {last} is"),
            Some((last, rest)) => format!("shards {} and {last} are", rest.join(", ")),
            None => String::new(),
        };
        format!("{}: {list} missing, so its seeds were not all run", self.path)
    }
}

fn shown(s: Option<Shard>) -> String {
    s.map_or("all seeds (no shard)".into(), |s| format!("shard {}/{}", s.index, s.count))
}

/// Whether two parts of the same scenario may share a seed. Different
/// seed ranges that intersect are refused too: shards are slices of one
/// range.
fn overlap(a: &Part, b: &Part) -> Option<String> {
    let (x, y) = (a.sweep, b.sweep);
    let clash = |why: String| {
        Some(format!("{} ({}) and {} ({}) {why}", a.file, shown(x.shard), b.file, shown(y.shard)))
    };
    if x.seeds != y.seeds {
        let disjoint = match (x.seeds, y.seeds) {
            (Seeds::Range { start: s1, end: e1 }, Seeds::Range { start: s2, end: e2 }) => {
                e1 <= s2 || e2 <= s1
            }
            (Seeds::Range { end, .. }, Seeds::From { start })
            | (Seeds::From { start }, Seeds::Range { end, .. }) => end <= start,
            (Seeds::From { .. }, Seeds::From { .. }) => false,
        };
        return if disjoint {
            None
        } else {
            clash(format!(
                "overlap: seeds {} and {} intersect; merge the shards of one range",
                x.seeds.describe(None),
                y.seeds.describe(None)
            ))
        };
    }
    match (x.shard, y.shard) {
        (Some(p), Some(q)) if p.count != q.count => clash(format!(
            "split seeds {} in different ways; merge shards K/{} of one split",
            x.seeds.describe(None),
            p.count
        )),
        (Some(p), Some(q)) if p.index != q.index => None,
        _ => clash(format!(
            "overlap: both ran seeds of {}, which would be counted twice",
            x.seeds.describe(None)
        )),
    }
}

/// Checks the parts of one merge: an error naming the first two parts that
/// overlap, or the shards that are missing (empty when every seed ran).
pub fn check(parts: &[Part]) -> Result<Vec<Missing>, String> {
    let same = |a: &Part, b: &Part| a.sweep.path == b.sweep.path && a.sweep.bug == b.sweep.bug;
    for (i, a) in parts.iter().enumerate() {
        for b in parts[i + 1..].iter().filter(|b| same(a, b)) {
            if let Some(why) = overlap(a, b) {
                return Err(format!("{}: {why}", a.sweep.path));
            }
        }
    }
    let mut missing = Vec::new();
    for (i, a) in parts.iter().enumerate() {
        if parts[..i].iter().any(|b| same(a, b) && a.sweep.seeds == b.sweep.seeds) {
            continue; // this range was looked at with its first part
        }
        let Some(split) = a.sweep.shard else { continue };
        let present: Vec<u64> = parts
            .iter()
            .filter(|b| same(a, b) && b.sweep.seeds == a.sweep.seeds)
            .filter_map(|b| b.sweep.shard.map(|s| s.index))
            .collect();
        // Large splits are named by count, not listed one by one.
        let total = split.count - present.len() as u64;
        let shards: Vec<Shard> = (1..=split.count)
            .filter(|k| !present.contains(k))
            .take(20)
            .map(|index| Shard { index, count: split.count })
            .collect();
        if total > 0 {
            let more = total - shards.len() as u64;
            missing.push(Missing { path: a.sweep.path.clone(), shards, more });
        }
    }
    Ok(missing)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sweep(seeds: Seeds, shard: Option<(u64, u64)>) -> Sweep {
        let text = serde_json::json!({
            "scenario": "s", "path": "s.toml", "protocol": "gossip", "bug": null,
            "seeds": seeds, "shard": shard.map(|(index, count)| Shard { index, count }),
            "seeds_run": 0, "events": 0, "findings": [], "limited": { "seeds": [], "first_reason": null },
            "sometimes": [], "nondeterministic": [],
        });
        serde_json::from_value(text).expect("a sweep")
    }

    fn parts(sweeps: &[Sweep]) -> Vec<Part<'_>> {
        sweeps.iter().map(|sweep| Part { file: "f.json", sweep }).collect()
    }

    #[test]
    fn disjoint_ranges_and_shards_merge_and_others_do_not() {
        let r = |start, end| Seeds::Range { start, end };
        let ok = [sweep(r(0, 10), None), sweep(r(10, 20), Some((1, 2))), sweep(r(10, 20), Some((2, 2)))];
        assert_eq!(check(&parts(&ok)), Ok(vec![]));
        for bad in [
            [sweep(r(0, 10), Some((1, 2))), sweep(r(0, 10), Some((1, 2)))],
            [sweep(r(0, 10), None), sweep(r(0, 10), Some((2, 2)))],
            [sweep(r(0, 10), Some((1, 2))), sweep(r(0, 10), Some((2, 4)))],
            [sweep(r(0, 10), None), sweep(r(5, 15), None)],
        ] {
            assert!(check(&parts(&bad)).is_err());
        }
        let missing = check(&parts(&[sweep(r(0, 10), Some((2, 3)))])).unwrap();
        assert_eq!(
            missing[0].describe(),
            "s.toml: shards 1/3 and 3/3 are missing, so its seeds were not all run"
        );
    }
}
