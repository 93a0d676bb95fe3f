//! A node's simulated disk: an ordered key-value store with a write cache.
//!
//! Writes land in a volatile cache and become durable only when the node
//! syncs. Reads see the cache, as they would through an OS page cache. A
//! crash throws the cache away (or, in `keep-prefix` mode, keeps a random
//! prefix of it, as a disk that flushed some writes on its own would); a
//! restarted node sees only what reached the platter.

use crate::rng::Rng;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// What a crash does to writes that were not synced.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum CrashMode {
    /// Every unsynced write is lost.
    #[default]
    LoseUnsynced,
    /// A random prefix of the unsynced writes survives, in order.
    KeepPrefix,
}

#[derive(Clone, Debug)]
enum Write<K, V> {
    Put(K, V),
    Remove(K),
}

#[derive(Clone, Debug)]
pub struct Disk<K, V> {
    durable: BTreeMap<K, V>,
    cache: Vec<Write<K, V>>,
    /// Writes and syncs since the node was created, for metrics.
    pub writes: u64,
    pub syncs: u64,
}

impl<K: Ord + Clone, V: Clone> Default for Disk<K, V> {
    fn default() -> Self {
        Disk { durable: BTreeMap::new(), cache: Vec::new(), writes: 0, syncs: 0 }
    }
}

impl<K: Ord + Clone, V: Clone> Disk<K, V> {
    pub fn put(&mut self, key: K, value: V) {
        self.writes += 1;
        self.cache.push(Write::Put(key, value));
    }

    pub fn remove(&mut self, key: K) {
        self.writes += 1;
        self.cache.push(Write::Remove(key));
    }

    /// Makes every cached write durable.
    pub fn sync(&mut self) {
        self.syncs += 1;
        for w in self.cache.drain(..) {
            apply(&mut self.durable, w);
        }
    }

    /// Whether some writes are not yet durable.
    pub fn is_dirty(&self) -> bool {
        !self.cache.is_empty()
    }

    /// The current value of `key`, cached writes included.
    pub fn get(&self, key: &K) -> Option<&V> {
        for w in self.cache.iter().rev() {
            match w {
                Write::Put(k, v) if k == key => return Some(v),
                Write::Remove(k) if k == key => return None,
                _ => {}
            }
        }
        self.durable.get(key)
    }

    /// The durable contents, in key order. After a restart, that is all
    /// there is; a node reads it in `on_start`.
    pub fn durable(&self) -> impl Iterator<Item = (&K, &V)> {
        self.durable.iter()
    }

    /// Durable entries with keys in `range`.
    pub fn durable_range<R: std::ops::RangeBounds<K>>(&self, range: R) -> impl Iterator<Item = (&K, &V)> {
        self.durable.range(range)
    }

    pub fn durable_len(&self) -> usize {
        self.durable.len()
    }

    /// The crash: unsynced writes are lost, or a random prefix survives.
    pub fn crash(&mut self, mode: CrashMode, rng: &mut Rng) {
        let keep = match mode {
            CrashMode::LoseUnsynced => 0,
            CrashMode::KeepPrefix => rng.below(self.cache.len() as u64 + 1) as usize,
        };
        for w in self.cache.drain(..).take(keep) {
            apply(&mut self.durable, w);
        }
    }
}

fn apply<K: Ord, V>(map: &mut BTreeMap<K, V>, w: Write<K, V>) {
    match w {
        Write::Put(k, v) => {
            map.insert(k, v);
        }
        Write::Remove(k) => {
            map.remove(&k);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rng::Stream;

    #[test]
    fn crash_loses_unsynced_writes() {
        let mut rng = Rng::new(0, Stream::Server(0));
        let mut d: Disk<u32, &str> = Disk::default();
        d.put(1, "a");
        d.sync();
        d.put(2, "b");
        d.remove(1);
        assert_eq!(d.get(&2), Some(&"b"));
        assert_eq!(d.get(&1), None);
        d.crash(CrashMode::LoseUnsynced, &mut rng);
        assert_eq!(d.get(&1), Some(&"a"));
        assert_eq!(d.get(&2), None);
    }

    #[test]
    fn keep_prefix_keeps_writes_in_order() {
        for seed in 0..20 {
            let mut rng = Rng::new(seed, Stream::Server(0));
            let mut d: Disk<u32, u32> = Disk::default();
            for k in 0..5 {
                d.put(k, k);
            }
            d.crash(CrashMode::KeepPrefix, &mut rng);
            let keys: Vec<u32> = d.durable().map(|(k, _)| *k).collect();
            assert_eq!(keys, (0..keys.len() as u32).collect::<Vec<_>>());
        }
    }
}
