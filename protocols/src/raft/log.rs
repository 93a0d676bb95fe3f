//! The in-memory log: entries after the last snapshot, each with the
//! log-matching hash of the whole prefix it ends (so that two logs can be
//! compared at one index in O(1), which the checker relies on).

use super::types::{LogEntry, Snapshot};

#[derive(Clone, Debug, Default)]
pub struct Log {
    /// The index and term of the last entry compacted into the snapshot.
    pub base_index: u64,
    pub base_term: u64,
    pub base_hash: u64,
    /// `entries[i]` has index `base_index + 1 + i`.
    entries: Vec<(LogEntry, u64)>,
}

/// The hash of a prefix ending in `entry`, from the hash before it.
pub fn chain(before: u64, entry: &LogEntry) -> u64 {
    let mut h = sim::hash::StableHasher::default();
    std::hash::Hash::hash(&(before, entry), &mut h);
    std::hash::Hasher::finish(&h)
}

impl Log {
    pub fn last_index(&self) -> u64 {
        self.base_index + self.entries.len() as u64
    }

    pub fn last_term(&self) -> u64 {
        self.entries.last().map_or(self.base_term, |(e, _)| e.term)
    }

    fn slot(&self, index: u64) -> Option<usize> {
        (index > self.base_index && index <= self.last_index())
            .then(|| (index - self.base_index - 1) as usize)
    }

    /// The term of the entry at `index`, if the log still knows it.
    pub fn term_at(&self, index: u64) -> Option<u64> {
        if index == self.base_index {
            return Some(self.base_term);
        }
        self.slot(index).map(|i| self.entries[i].0.term)
    }

    /// The prefix hash at `index`, if the log still knows it.
    pub fn hash_at(&self, index: u64) -> Option<u64> {
        if index == self.base_index {
            return Some(self.base_hash);
        }
        self.slot(index).map(|i| self.entries[i].1)
    }

    pub fn entry(&self, index: u64) -> Option<&LogEntry> {
        self.slot(index).map(|i| &self.entries[i].0)
    }

    /// (index, term, prefix hash) of each entry from `from` on.
    pub fn entries_from(&self, from: u64) -> impl Iterator<Item = (u64, u64, u64)> + '_ {
        let start = from.saturating_sub(self.base_index + 1) as usize;
        let first = self.base_index + 1;
        self.entries.iter().enumerate().skip(start).map(move |(i, (e, h))| (first + i as u64, e.term, *h))
    }

    /// Entries from `from`, at most `max`.
    pub fn slice(&self, from: u64, max: usize) -> Vec<LogEntry> {
        let Some(start) = self.slot(from) else { return Vec::new() };
        self.entries[start..].iter().take(max).map(|(e, _)| e.clone()).collect()
    }

    /// Appends an entry; returns its index and prefix hash.
    pub fn append(&mut self, entry: LogEntry) -> (u64, u64) {
        let before = self.entries.last().map_or(self.base_hash, |(_, h)| *h);
        let hash = chain(before, &entry);
        self.entries.push((entry, hash));
        (self.last_index(), hash)
    }

    /// Drops the entries from `index` on.
    pub fn truncate_from(&mut self, index: u64) {
        if let Some(i) = self.slot(index) {
            self.entries.truncate(i);
        }
    }

    /// The first index of the term of the entry at `index` (for fast
    /// backtracking of a leader's next index).
    pub fn first_index_of_term(&self, index: u64) -> u64 {
        let Some(term) = self.term_at(index) else { return index };
        let mut i = index;
        while i > self.base_index + 1 && self.term_at(i - 1) == Some(term) {
            i -= 1;
        }
        i
    }

    /// The last index whose entry has `term`, if any.
    pub fn last_index_of_term(&self, term: u64) -> Option<u64> {
        (self.base_index + 1..=self.last_index()).rev().find(|i| self.term_at(*i) == Some(term))
    }

    /// Forgets the entries up to `index`, which a snapshot now holds.
    pub fn compact(&mut self, index: u64) {
        let Some(i) = self.slot(index) else { return };
        let (entry, hash) = &self.entries[i];
        self.base_term = entry.term;
        self.base_hash = *hash;
        self.entries.drain(..=i);
        self.base_index = index;
    }

    /// Starts over from a snapshot, keeping the entries after it if they
    /// follow from it.
    pub fn reset_to(&mut self, snapshot: &Snapshot) {
        let keep_suffix = self.term_at(snapshot.index) == Some(snapshot.term)
            && self.hash_at(snapshot.index) == Some(snapshot.prefix_hash);
        if keep_suffix {
            self.compact(snapshot.index);
        } else {
            self.entries.clear();
            self.base_index = snapshot.index;
            self.base_term = snapshot.term;
            self.base_hash = snapshot.prefix_hash;
        }
    }
}
