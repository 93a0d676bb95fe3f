//! The replicated state machine: a map from keys to lists of integers, and
//! the client sessions that make retried writes apply once.

use super::op::{KvOp, KvOutcome};
use serde::Serialize;
use sim::ProcessId;
use std::collections::BTreeMap;

#[derive(Clone, Debug, Default, Hash, PartialEq, Eq, Serialize)]
pub struct KvStore {
    data: BTreeMap<u64, Vec<i64>>,
    /// Per client: the last sequence number applied and its outcome.
    sessions: BTreeMap<ProcessId, (u64, KvOutcome)>,
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

impl KvStore {
    pub fn get(&self, key: u64) -> Vec<i64> {
        self.data.get(&key).cloned().unwrap_or_default()
    }

    fn execute(&mut self, op: KvOp) -> KvOutcome {
        match op {
            KvOp::Get { key } => KvOutcome::Ok(self.get(key)),
            KvOp::Put { key, value } => {
                self.data.insert(key, vec![value]);
                KvOutcome::Ok(Vec::new())
            }
            KvOp::Append { key, value } => {
                self.data.entry(key).or_default().push(value);
                KvOutcome::Ok(Vec::new())
            }
            KvOp::Cas { key, expected, new } => match self.data.get_mut(&key).and_then(|l| l.last_mut()) {
                Some(last) if *last == expected => {
                    *last = new;
                    KvOutcome::Ok(Vec::new())
                }
                _ => KvOutcome::Fail,
            },
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
        self.sessions.insert(client, (seq, outcome.clone()));
        Applied::Done(outcome)
    }

    /// The recorded outcome of a client's command, if it was its last.
    pub fn session(&self, client: ProcessId, seq: u64) -> Option<&KvOutcome> {
        self.sessions.get(&client).filter(|(last, _)| *last == seq).map(|(_, o)| o)
    }
}
