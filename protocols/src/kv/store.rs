//! The replicated state machine: a map from keys to lists of integers, and
//! the client sessions that make retried writes apply once.
//!
//! It keeps a digest of its whole state (store and sessions), updated in
//! O(1) per command: the wrapping sum of one mixed hash per list element
//! (key, position, value) and one per session. Two stores with the same
//! contents have the same digest whatever the order of the commands that
//! built them, so servers can compare their states at each applied index
//! for the cost of a word; a store rebuilt from parts (a snapshot) gets its
//! digest recomputed, never copied from elsewhere.

use super::op::{KvOp, KvOutcome};
use serde::Serialize;
use sim::ProcessId;
use std::collections::BTreeMap;
use std::hash::{Hash, Hasher};

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct KvStore {
    data: BTreeMap<u64, Vec<i64>>,
    /// Per client: the last sequence number applied and its outcome.
    sessions: BTreeMap<ProcessId, (u64, KvOutcome)>,
    /// The digest of `data` and `sessions` (derived: not hashed nor shown).
    #[serde(skip)]
    digest: u64,
}

/// The digest is derived from the contents: hashing it too would change
/// nothing but the trace hashes of runs recorded before it existed.
impl Hash for KvStore {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.data.hash(state);
        self.sessions.hash(state);
    }
}

/// What applying a client command did.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Applied {
    Done(KvOutcome),
    /// A retry of the last command: its recorded outcome.
    Duplicate(KvOutcome),
    /// Older than the client's last command: nothing to answer.
    Stale,
}

/// One well-mixed word for a part of the state (the sum of these is the
/// digest, so each must look random on its own).
fn mix(part: impl Hash) -> u64 {
    let mut h = sim::hash::StableHasher::default();
    part.hash(&mut h);
    let mut x = h.finish();
    // splitmix64's finalizer.
    x = (x ^ (x >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    x = (x ^ (x >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    x ^ (x >> 31)
}

fn element(key: u64, position: usize, value: i64) -> u64 {
    mix((0u8, key, position as u64, value))
}

fn session(client: ProcessId, record: &(u64, KvOutcome)) -> u64 {
    mix((1u8, client, record))
}

impl KvStore {
    /// A store with these contents, its digest computed from them.
    pub fn from_parts(
        data: BTreeMap<u64, Vec<i64>>,
        sessions: BTreeMap<ProcessId, (u64, KvOutcome)>,
    ) -> KvStore {
        let mut digest = 0u64;
        for (key, list) in &data {
            for (i, v) in list.iter().enumerate() {
                digest = digest.wrapping_add(element(*key, i, *v));
            }
        }
        for (client, record) in &sessions {
            digest = digest.wrapping_add(session(*client, record));
        }
        KvStore { data, sessions, digest }
    }

    /// The same store without its client sessions (what a snapshot taken
    /// by the `snapshot-without-sessions` seeded bug holds).
    pub fn without_sessions(&self) -> KvStore {
        KvStore::from_parts(self.data.clone(), BTreeMap::new())
    }

    /// A digest of the whole state, store and sessions.
    pub fn digest(&self) -> u64 {
        self.digest
    }

    pub fn get(&self, key: u64) -> Vec<i64> {
        self.data.get(&key).cloned().unwrap_or_default()
    }

    fn execute(&mut self, op: KvOp) -> KvOutcome {
        match op {
            KvOp::Get { key } => KvOutcome::Ok(self.get(key)),
            KvOp::Put { key, value } => {
                let old = self.data.insert(key, vec![value]).unwrap_or_default();
                for (i, v) in old.iter().enumerate() {
                    self.digest = self.digest.wrapping_sub(element(key, i, *v));
                }
                self.digest = self.digest.wrapping_add(element(key, 0, value));
                KvOutcome::Ok(Vec::new())
            }
            KvOp::Append { key, value } => {
                let list = self.data.entry(key).or_default();
                self.digest = self.digest.wrapping_add(element(key, list.len(), value));
                list.push(value);
                KvOutcome::Ok(Vec::new())
            }
            KvOp::Cas { key, expected, new } => {
                let Some(list) = self.data.get_mut(&key) else { return KvOutcome::Fail };
                let at = list.len().wrapping_sub(1);
                match list.last_mut() {
                    Some(last) if *last == expected => {
                        *last = new;
                        let changed = element(key, at, new).wrapping_sub(element(key, at, expected));
                        self.digest = self.digest.wrapping_add(changed);
                        KvOutcome::Ok(Vec::new())
                    }
                    _ => KvOutcome::Fail,
                }
            }
        }
    }

    /// Applies a client command once: a retry gets the recorded outcome,
    /// unless `dedup` is off (a seeded bug).
    pub fn apply(&mut self, client: ProcessId, seq: u64, op: KvOp, dedup: bool) -> Applied {
        if dedup {
            if let Some((last, outcome)) = self.sessions.get(&client) {
                if seq == *last {
                    return Applied::Duplicate(outcome.clone());
                }
                if seq < *last {
                    return Applied::Stale;
                }
            }
        }
        let outcome = self.execute(op);
        let record = (seq, outcome.clone());
        self.digest = self.digest.wrapping_add(session(client, &record));
        if let Some(old) = self.sessions.insert(client, record) {
            self.digest = self.digest.wrapping_sub(session(client, &old));
        }
        Applied::Done(outcome)
    }

    /// The recorded outcome of a client's command, if it was its last.
    pub fn session(&self, client: ProcessId, seq: u64) -> Option<&KvOutcome> {
        self.sessions.get(&client).filter(|(last, _)| *last == seq).map(|(_, o)| o)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_running_digest_is_the_digest_of_the_contents() {
        let mut kv = KvStore::default();
        let (a, b) = (ProcessId::client(0), ProcessId::client(1));
        let ops = [
            (a, 1, KvOp::Append { key: 1, value: 5 }),
            (b, 1, KvOp::Append { key: 1, value: 6 }),
            (a, 2, KvOp::Cas { key: 1, expected: 6, new: 7 }),
            (b, 2, KvOp::Put { key: 2, value: 3 }),
            (a, 3, KvOp::Put { key: 1, value: 9 }),
            (b, 3, KvOp::Get { key: 1 }),
            (a, 4, KvOp::Cas { key: 3, expected: 0, new: 1 }),
        ];
        for (client, seq, op) in ops {
            kv.apply(client, seq, op, true);
            let rebuilt = KvStore::from_parts(kv.data.clone(), kv.sessions.clone());
            assert_eq!(kv.digest(), rebuilt.digest(), "after {op:?}");
        }
        assert_ne!(kv.digest(), kv.without_sessions().digest(), "sessions count");
        assert_ne!(kv.without_sessions().digest(), KvStore::default().digest(), "the store counts");
    }
}
