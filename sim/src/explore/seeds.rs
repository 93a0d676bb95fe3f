//! Which seeds a sweep runs, and the shard of them one machine takes.

use serde::{Deserialize, Serialize};

/// Which seeds a sweep runs. In JSON, a string as the command line spells
/// it: `"0..100"` (end excluded) or `"100.."` (until told to stop).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Seeds {
    /// `start..end`, end excluded.
    Range { start: u64, end: u64 },
    /// From `start` on, until told to stop.
    From { start: u64 },
}

impl Serialize for Seeds {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(&self.describe(None))
    }
}

impl<'de> Deserialize<'de> for Seeds {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        /// Files written before seeds were a string still read.
        #[derive(Deserialize)]
        enum Tagged {
            Range { start: u64, end: u64 },
            From { start: u64 },
        }
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum Either {
            Text(String),
            Tagged(Tagged),
        }
        match Either::deserialize(d)? {
            Either::Text(text) => Seeds::parse(&text).map_err(serde::de::Error::custom),
            Either::Tagged(Tagged::Range { start, end }) => Ok(Seeds::Range { start, end }),
            Either::Tagged(Tagged::From { start }) => Ok(Seeds::From { start }),
        }
    }
}

/// The `index`-th (1-based) of `count` disjoint slices of the seeds: seeds
/// whose position in the range is `index - 1` modulo `count`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Shard {
    pub index: u64,
    pub count: u64,
}

impl Shard {
    /// Parses `K/N` with 1 <= K <= N.
    pub fn parse(text: &str) -> Result<Shard, String> {
        let bad = || format!("`{text}` is not a shard; expected K/N with 1 <= K <= N, such as 2/4");
        let (k, n) = text.split_once('/').ok_or_else(bad)?;
        let (index, count): (u64, u64) =
            (k.trim().parse().map_err(|_| bad())?, n.trim().parse().map_err(|_| bad())?);
        if index == 0 || count == 0 || index > count {
            return Err(bad());
        }
        Ok(Shard { index, count })
    }
}

impl Seeds {
    /// Reads `A..B` (B excluded, A < B) or `A..` (no end).
    pub fn parse(text: &str) -> Result<Seeds, String> {
        let bad = || format!("`{text}` is not a range of seeds; expected A..B, such as 0..1000");
        let (a, b) = text.split_once("..").ok_or_else(bad)?;
        let start: u64 = a.trim().parse().map_err(|_| bad())?;
        if b.trim().is_empty() {
            return Ok(Seeds::From { start });
        }
        let end: u64 = b.trim().parse().map_err(|_| bad())?;
        if start >= end {
            return Err(format!("the seeds {text} are none: the end is excluded"));
        }
        Ok(Seeds::Range { start, end })
    }

    /// The `i`-th seed this sweep runs, if any.
    pub(crate) fn nth(&self, shard: Option<Shard>, i: u64) -> Option<u64> {
        let (offset, stride) = shard.map_or((0, 1), |s| (s.index - 1, s.count));
        let position = i.checked_mul(stride)?.checked_add(offset)?;
        match *self {
            Seeds::Range { start, end } => start.checked_add(position).filter(|s| *s < end),
            Seeds::From { start } => start.checked_add(position),
        }
    }

    pub fn describe(&self, shard: Option<Shard>) -> String {
        let base = match self {
            Seeds::Range { start, end } => format!("{start}..{end}"),
            Seeds::From { start } => format!("{start}.."),
        };
        match shard {
            Some(s) => format!("{base}, shard {}/{}", s.index, s.count),
            None => base,
        }
    }

    /// How many seeds the sweep will run, if bounded.
    pub fn count(&self, shard: Option<Shard>) -> Option<u64> {
        match *self {
            Seeds::Range { start, end } => {
                let n = end.saturating_sub(start);
                Some(match shard {
                    Some(s) => n / s.count + u64::from(n % s.count >= s.index),
                    None => n,
                })
            }
            Seeds::From { .. } => None,
        }
    }
}
