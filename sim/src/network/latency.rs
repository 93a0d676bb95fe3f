//! Per-link quality: a latency distribution, loss, duplication, reordering.
//! All arithmetic is on integers so that every machine draws the same delays.

use crate::rng::{Rng, PPM};
use crate::time::Span;
use serde::{Deserialize, Serialize};
use std::fmt;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(tag = "dist", rename_all = "lowercase")]
pub enum Latency {
    Constant {
        value: Span,
    },
    Uniform {
        min: Span,
        max: Span,
    },
    /// `min` plus an exponentially distributed extra with the given mean,
    /// capped at 20 means: a long but bounded tail.
    Exponential {
        min: Span,
        mean: Span,
    },
}

impl Latency {
    #[inline]
    pub fn sample(&self, rng: &mut Rng) -> Span {
        match *self {
            Latency::Constant { value } => value,
            Latency::Uniform { min, max } => Span(rng.between(min.nanos(), max.nanos())),
            Latency::Exponential { min, mean } => Span(min.nanos() + rng.exponential(mean.nanos())),
        }
    }

    /// The largest delay this distribution can produce.
    pub fn max(&self) -> Span {
        match *self {
            Latency::Constant { value } => value,
            Latency::Uniform { max, .. } => max,
            Latency::Exponential { min, mean } => Span(min.nanos() + mean.nanos() * 20),
        }
    }
}

impl fmt::Display for Latency {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Latency::Constant { value } => write!(f, "{value}"),
            Latency::Uniform { min, max } => write!(f, "uniform {min}..{max}"),
            Latency::Exponential { min, mean } => write!(f, "{min} + exponential(mean {mean})"),
        }
    }
}

/// A long tail of latency: a `share` of messages (parts per million) wait
/// an extra delay drawn uniformly in `(0, max]`, on top of their latency
/// and any reordering. Meant for delays far beyond the latency (seconds), so
/// that a reply can arrive after the election or lease it answered ended.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct Tail {
    pub ppm: u32,
    pub max: Span,
}

pub const TAIL_EXPECTED: &str = "a table such as { share = 0.01, max = \"2s\" }";

impl Tail {
    /// No tail: nothing is drawn for it.
    pub const NONE: Tail = Tail { ppm: 0, max: Span::ZERO };

    pub fn is_none(&self) -> bool {
        self.ppm == 0
    }
}

impl fmt::Display for Tail {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "tail {} up to +{}", ppm_to_string(self.ppm), self.max)
    }
}

/// Written the way it is read: `{ share = 0.01, max = "2s" }`.
impl Serialize for Tail {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        let mut map = s.serialize_map(Some(2))?;
        map.serialize_entry("share", &crate::rng::Probability(self.ppm))?;
        map.serialize_entry("max", &self.max.to_string())?;
        map.end()
    }
}

impl<'de> Deserialize<'de> for Tail {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        use serde::de::Error;
        #[derive(Deserialize)]
        #[serde(deny_unknown_fields, expecting = "a table such as { share = 0.01, max = \"2s\" }")]
        struct Table {
            share: crate::rng::Probability,
            max: crate::time::Duration,
        }
        let t = Table::deserialize(d)?;
        if t.max.0 == Span::ZERO {
            return Err(D::Error::custom(format!(
                "a latency tail needs a max longer than zero; expected {TAIL_EXPECTED}"
            )));
        }
        // `share = 0` is no tail at all, whatever its max.
        Ok(if t.share.0 == 0 { Tail::NONE } else { Tail { ppm: t.share.0, max: t.max.0 } })
    }
}

/// How one direction of a link behaves.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct LinkParams {
    pub latency: Latency,
    pub drop_ppm: u32,
    pub duplicate_ppm: u32,
    /// A reordered message waits an extra delay of up to ten times the
    /// latency's maximum, so it overtakes later ones.
    pub reorder_ppm: u32,
    #[serde(default, skip_serializing_if = "Tail::is_none")]
    pub tail: Tail,
}

impl Default for LinkParams {
    fn default() -> Self {
        LinkParams {
            latency: Latency::Uniform { min: Span::from_millis(1), max: Span::from_millis(10) },
            drop_ppm: 0,
            duplicate_ppm: 0,
            reorder_ppm: 0,
            tail: Tail::NONE,
        }
    }
}

impl LinkParams {
    /// The longest a delivered message can take on this link: its
    /// latency's maximum, plus the reordering extra, plus the tail.
    pub fn max_delay(&self) -> Span {
        let mut worst = self.latency.max();
        if self.reorder_ppm > 0 {
            worst = worst + self.latency.max() * 10;
        }
        if !self.tail.is_none() {
            worst = worst + self.tail.max;
        }
        worst
    }
}

/// A change to some of a link's parameters; the others stay.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct LinkOverride {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub latency: Option<Latency>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub drop_ppm: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub duplicate_ppm: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reorder_ppm: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tail: Option<Tail>,
}

impl LinkOverride {
    pub fn apply(&self, base: LinkParams) -> LinkParams {
        LinkParams {
            latency: self.latency.unwrap_or(base.latency),
            drop_ppm: self.drop_ppm.unwrap_or(base.drop_ppm),
            duplicate_ppm: self.duplicate_ppm.unwrap_or(base.duplicate_ppm),
            reorder_ppm: self.reorder_ppm.unwrap_or(base.reorder_ppm),
            tail: self.tail.unwrap_or(base.tail),
        }
    }
}

/// Formats parts per million as a probability: `0.01`.
pub fn ppm_to_string(ppm: u32) -> String {
    let whole = ppm / PPM;
    let frac = ppm % PPM;
    if frac == 0 {
        return whole.to_string();
    }
    let s = format!("{whole}.{frac:06}");
    s.trim_end_matches('0').to_string()
}

impl fmt::Display for LinkParams {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "latency {}", self.latency)?;
        for (name, ppm) in
            [("drop", self.drop_ppm), ("duplicate", self.duplicate_ppm), ("reorder", self.reorder_ppm)]
        {
            if ppm > 0 {
                write!(f, ", {name} {}", ppm_to_string(ppm))?;
            }
        }
        if !self.tail.is_none() {
            write!(f, ", {}", self.tail)?;
        }
        Ok(())
    }
}

/// A latency distribution as written in a scenario: `"5ms"` (constant), or
/// a table such as `{ dist = "uniform", min = "1ms", max = "8ms" }`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LatencySpec(pub Latency);

pub const LATENCY_EXPECTED: &str = "a duration such as \"5ms\", or a table such as { dist = \"uniform\", min = \"1ms\", max = \"8ms\" } (dist: constant, uniform, exponential)";

#[derive(Deserialize)]
#[serde(tag = "dist", rename_all = "lowercase", deny_unknown_fields)]
enum LatencyTable {
    Constant { value: crate::time::Duration },
    Uniform { min: crate::time::Duration, max: crate::time::Duration },
    Exponential { mean: crate::time::Duration, min: Option<crate::time::Duration> },
}

/// Written the way it is read: `"5ms"`, or a table with its `dist`.
impl Serialize for LatencySpec {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        let entries: Vec<(&str, String)> = match self.0 {
            Latency::Constant { value } => return s.collect_str(&value.exact()),
            Latency::Uniform { min, max } => {
                vec![
                    ("dist", "uniform".into()),
                    ("min", min.exact().to_string()),
                    ("max", max.exact().to_string()),
                ]
            }
            Latency::Exponential { min, mean } => {
                vec![
                    ("dist", "exponential".into()),
                    ("min", min.exact().to_string()),
                    ("mean", mean.exact().to_string()),
                ]
            }
        };
        let mut map = s.serialize_map(Some(entries.len()))?;
        for (k, v) in entries {
            map.serialize_entry(k, &v)?;
        }
        map.end()
    }
}

impl<'de> Deserialize<'de> for LatencySpec {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> serde::de::Visitor<'de> for V {
            type Value = LatencySpec;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str(LATENCY_EXPECTED)
            }
            fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<LatencySpec, E> {
                let value = crate::time::parse_duration(v).map_err(E::custom)?;
                Ok(LatencySpec(Latency::Constant { value }))
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(self, map: A) -> Result<LatencySpec, A::Error> {
                use serde::de::Error;
                let table = LatencyTable::deserialize(serde::de::value::MapAccessDeserializer::new(map))?;
                let latency = match table {
                    LatencyTable::Constant { value } => Latency::Constant { value: value.0 },
                    LatencyTable::Uniform { min, max } => {
                        if min.0 > max.0 {
                            return Err(A::Error::custom(format!(
                                "uniform latency with min {} above max {}",
                                min.0, max.0
                            )));
                        }
                        Latency::Uniform { min: min.0, max: max.0 }
                    }
                    LatencyTable::Exponential { mean, min } => {
                        Latency::Exponential { min: min.map(|m| m.0).unwrap_or(Span::ZERO), mean: mean.0 }
                    }
                };
                Ok(LatencySpec(latency))
            }
        }
        d.deserialize_any(V)
    }
}
