//! A set of u64 kept as sorted, disjoint, half-open ranges.
//!
//! Broadcast values are dense (1, 2, 3...), so a node's set is a handful of
//! ranges however many values it holds: cheap to store, and a digest of it
//! is small enough to send in every anti-entropy round.

use serde::Serialize;

#[derive(Clone, Debug, Default, PartialEq, Eq, Hash, Serialize)]
pub struct RangeSet {
    /// Sorted by start; never touching or overlapping; `start < end`.
    ranges: Vec<(u64, u64)>,
    len: u64,
}

impl RangeSet {
    pub fn new() -> RangeSet {
        RangeSet::default()
    }

    pub fn len(&self) -> u64 {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    pub fn ranges(&self) -> &[(u64, u64)] {
        &self.ranges
    }

    pub fn contains(&self, v: u64) -> bool {
        // The last range starting at or before v.
        let i = self.ranges.partition_point(|&(s, _)| s <= v);
        i > 0 && v < self.ranges[i - 1].1
    }

    /// Adds `v`; returns whether it was new.
    pub fn insert(&mut self, v: u64) -> bool {
        let i = self.ranges.partition_point(|&(s, _)| s <= v);
        if i > 0 && v < self.ranges[i - 1].1 {
            return false;
        }
        let joins_left = i > 0 && self.ranges[i - 1].1 == v;
        let joins_right = i < self.ranges.len() && self.ranges[i].0 == v + 1;
        match (joins_left, joins_right) {
            (true, true) => {
                self.ranges[i - 1].1 = self.ranges[i].1;
                self.ranges.remove(i);
            }
            (true, false) => self.ranges[i - 1].1 = v + 1,
            (false, true) => self.ranges[i].0 = v,
            (false, false) => self.ranges.insert(i, (v, v + 1)),
        }
        self.len += 1;
        true
    }

    /// The parts of `other` (ranges) that are not in this set.
    pub fn missing_from(&self, other: &[(u64, u64)]) -> Vec<(u64, u64)> {
        let mut out = Vec::new();
        for &(start, end) in other {
            let mut cursor = start;
            let first = self.ranges.partition_point(|&(_, e)| e <= start);
            for &(s, e) in &self.ranges[first..] {
                if s >= end {
                    break;
                }
                if s > cursor {
                    out.push((cursor, s));
                }
                cursor = cursor.max(e);
                if cursor >= end {
                    break;
                }
            }
            if cursor < end {
                out.push((cursor, end));
            }
        }
        out
    }

    /// Values of this set that are not in `other`, at most `limit`.
    pub fn values_not_in(&self, other: &[(u64, u64)], limit: usize) -> Vec<u64> {
        let other = RangeSet::from_ranges(other);
        let mut out = Vec::new();
        for (s, e) in other.missing_from(&self.ranges) {
            for v in s..e {
                if out.len() >= limit {
                    return out;
                }
                out.push(v);
            }
        }
        out
    }

    /// Builds a set from ranges that may be unsorted or overlapping.
    pub fn from_ranges(ranges: &[(u64, u64)]) -> RangeSet {
        let mut sorted: Vec<(u64, u64)> = ranges.iter().copied().filter(|(s, e)| s < e).collect();
        sorted.sort_unstable();
        let mut merged: Vec<(u64, u64)> = Vec::with_capacity(sorted.len());
        for (s, e) in sorted {
            match merged.last_mut() {
                Some(last) if s <= last.1 => last.1 = last.1.max(e),
                _ => merged.push((s, e)),
            }
        }
        let len = merged.iter().map(|(s, e)| e - s).sum();
        RangeSet { ranges: merged, len }
    }

    pub fn iter(&self) -> impl Iterator<Item = u64> + '_ {
        self.ranges.iter().flat_map(|&(s, e)| s..e)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn insert_merges_neighbours() {
        let mut s = RangeSet::new();
        for v in [5, 3, 4, 10, 1] {
            assert!(s.insert(v));
        }
        assert!(!s.insert(4));
        assert_eq!(s.ranges(), &[(1, 2), (3, 6), (10, 11)]);
        s.insert(2);
        assert_eq!(s.ranges(), &[(1, 6), (10, 11)]);
        assert_eq!(s.len(), 6);
        assert!(s.contains(5) && !s.contains(6) && s.contains(10) && !s.contains(0));
    }

    #[test]
    fn differences() {
        let s = RangeSet::from_ranges(&[(1, 5), (8, 10)]);
        assert_eq!(s.missing_from(&[(0, 12)]), vec![(0, 1), (5, 8), (10, 12)]);
        assert_eq!(s.missing_from(&[(2, 4)]), vec![]);
        assert_eq!(s.values_not_in(&[(1, 3)], 100), vec![3, 4, 8, 9]);
        assert_eq!(s.values_not_in(&[], 3), vec![1, 2, 3]);
    }

    #[test]
    fn agrees_with_a_btreeset() {
        let mut rng = sim::Rng::new(1, sim::rng::Stream::Workload);
        for _ in 0..200 {
            let mut s = RangeSet::new();
            let mut model = std::collections::BTreeSet::new();
            for _ in 0..40 {
                let v = rng.below(60);
                assert_eq!(s.insert(v), model.insert(v));
            }
            assert_eq!(s.iter().collect::<Vec<_>>(), model.iter().copied().collect::<Vec<_>>());
            let other = RangeSet::from_ranges(&[(rng.below(30), 30 + rng.below(30))]);
            let expect: Vec<u64> = model.iter().copied().filter(|v| !other.contains(*v)).collect();
            assert_eq!(s.values_not_in(other.ranges(), usize::MAX), expect);
        }
    }
}
