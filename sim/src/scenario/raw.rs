//! The scenario file as written, before validation. Serde reads it with
//! `deny_unknown_fields` everywhere, and custom readers for durations,
//! probabilities, topologies and partitions, so that most mistakes are
//! reported by the deserializer with the exact place. What needs the whole
//! file to judge (node indices, times against the duration) is checked
//! afterwards, with the spans kept here.

use crate::disk::CrashMode;
use crate::nemesis::{NemesisPlan, PartitionKind};
use crate::network::latency::LatencySpec;
use crate::network::Tail;
use crate::network::Topology;
use crate::process::ProcessId;
use crate::rng::Probability;
use crate::time::Duration;
use serde::de::{self, MapAccess, SeqAccess, Visitor};
use serde::{Deserialize, Deserializer};
use std::fmt;
use toml::Spanned;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawScenario {
    /// Read separately (it may be a table of the protocol's parameters);
    /// declared so that error messages list it among the allowed keys.
    #[allow(dead_code)]
    pub protocol: Option<serde::de::IgnoredAny>,
    pub name: Option<String>,
    pub description: Option<String>,
    pub bug: Option<Spanned<String>>,
    pub nodes: Spanned<NodesSpec>,
    pub duration: Spanned<Duration>,
    pub seed: Option<u64>,
    #[serde(default)]
    pub network: RawNetwork,
    pub workload: Option<RawWorkload>,
    #[serde(default)]
    pub fault: Vec<Spanned<RawFault>>,
    #[serde(default)]
    pub trigger: Vec<Spanned<super::trigger::RawTrigger>>,
    #[serde(default)]
    pub nemesis: NemesisPlan,
    #[serde(default)]
    pub check: RawCheck,
    #[serde(default)]
    pub limits: RawLimits,
    #[serde(default)]
    pub disk: RawDisk,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub(super) struct RawNetwork {
    pub topology: Option<Spanned<TopologySpec>>,
    pub latency: Option<LatencySpec>,
    pub drop: Option<Probability>,
    pub duplicate: Option<Probability>,
    pub reorder: Option<Probability>,
    pub tail: Option<Tail>,
    #[serde(default)]
    pub link: Vec<RawLink>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawLink {
    pub between: Spanned<Vec<Spanned<ProcessId>>>,
    pub latency: Option<LatencySpec>,
    pub drop: Option<Probability>,
    pub duplicate: Option<Probability>,
    pub reorder: Option<Probability>,
    pub tail: Option<Tail>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawWorkload {
    pub kind: Spanned<String>,
    pub clients: Option<Spanned<u32>>,
    pub rate: Spanned<Rate>,
    pub timeout: Option<Spanned<Duration>>,
    pub retry: Option<Spanned<Duration>>,
    pub keys: Option<Spanned<u32>>,
    /// `"settle"` (default): no new operations once faults stop; `"end"`:
    /// clients keep working through the settle phase.
    pub stop: Option<Spanned<String>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawFault {
    pub at: Spanned<Duration>,
    #[serde(rename = "for")]
    pub duration: Option<Spanned<Duration>>,
    pub crash: Option<Spanned<TargetSpec>>,
    pub restart: Option<Spanned<TargetSpec>>,
    pub pause: Option<Spanned<TargetSpec>>,
    pub resume: Option<Spanned<TargetSpec>>,
    pub isolate: Option<Spanned<TargetSpec>>,
    pub partition: Option<Spanned<PartitionSpec>>,
    pub one_way: Option<Spanned<RawOneWay>>,
    pub bridge: Option<Spanned<RawBridge>>,
    pub heal: Option<Spanned<bool>>,
    pub clock: Option<Spanned<RawClock>>,
    pub degrade: Option<Spanned<RawDegrade>>,
    pub restore: Option<Spanned<bool>>,
    /// With a random `partition` shape: draw it over this role's nodes.
    pub role: Option<Spanned<String>>,
    /// `"end"`: the crash outlasts the settle phase.
    pub until: Option<Spanned<String>>,
}

/// The keys of a `[[fault]]` entry that name what happens.
pub(super) const FAULT_ACTIONS: &[&str] = &[
    "crash",
    "restart",
    "pause",
    "resume",
    "isolate",
    "partition",
    "one_way",
    "bridge",
    "heal",
    "clock",
    "degrade",
    "restore",
];

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawOneWay {
    pub from: Vec<Spanned<ProcessId>>,
    pub to: Vec<Spanned<ProcessId>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawBridge {
    pub left: Spanned<Vec<Spanned<ProcessId>>>,
    pub right: Spanned<Vec<Spanned<ProcessId>>>,
    pub via: Spanned<ProcessId>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawClock {
    pub node: Spanned<TargetSpec>,
    pub skew: Option<SignedDuration>,
    pub drift_ppm: Option<Spanned<i64>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawDegrade {
    pub nodes: Option<Spanned<Vec<Spanned<ProcessId>>>>,
    pub latency: Option<LatencySpec>,
    pub drop: Option<Probability>,
    pub duplicate: Option<Probability>,
    pub reorder: Option<Probability>,
    pub tail: Option<Tail>,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub(super) struct RawCheck {
    pub properties: Option<Vec<Spanned<String>>>,
    /// Sometimes-properties the scenario is written to make fire.
    pub expect: Option<Vec<Spanned<String>>>,
    pub linearizable: Option<Spanned<bool>>,
    pub settle: Option<Spanned<Duration>>,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub(super) struct RawLimits {
    pub max_events: Option<Spanned<u64>>,
    pub max_events_per_instant: Option<Spanned<u64>>,
    pub max_queue: Option<Spanned<u64>>,
    pub max_history: Option<Spanned<u64>>,
    pub max_faults: Option<Spanned<u64>>,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub(super) struct RawDisk {
    pub on_crash: Option<CrashMode>,
}

/// `topology = "ring"` or `topology = { kind = "random-regular", degree = 4 }`.
pub(super) struct TopologySpec(pub Topology);

const TOPOLOGY_EXPECTED: &str = "a topology: \"full\", \"line\", \"ring\", \"star\", \"grid\", or { kind = \"random-regular\", degree = 4 }";

fn topology_named<E: de::Error>(kind: &str, degree: Option<u32>) -> Result<Topology, E> {
    let plain = |t: Topology| match degree {
        None => Ok(t),
        Some(_) => Err(E::custom(format!("the {kind} topology takes no degree"))),
    };
    match kind {
        "full" | "full-mesh" => plain(Topology::Full),
        "line" => plain(Topology::Line),
        "ring" => plain(Topology::Ring),
        "star" => plain(Topology::Star),
        "grid" => plain(Topology::Grid),
        "random-regular" => match degree {
            Some(degree) => Ok(Topology::RandomRegular { degree }),
            None => Err(E::custom(
                "a random-regular topology needs a degree: topology = { kind = \"random-regular\", degree = 4 }",
            )),
        },
        other => Err(E::custom(format!("unknown topology `{other}`; expected {TOPOLOGY_EXPECTED}"))),
    }
}

impl<'de> Deserialize<'de> for TopologySpec {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = TopologySpec;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str(TOPOLOGY_EXPECTED)
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<TopologySpec, E> {
                topology_named(v, None).map(TopologySpec)
            }
            fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<TopologySpec, A::Error> {
                #[derive(Deserialize)]
                #[serde(deny_unknown_fields)]
                struct Table {
                    kind: String,
                    degree: Option<u32>,
                }
                let t = Table::deserialize(de::value::MapAccessDeserializer::new(map))?;
                topology_named(&t.kind, t.degree).map(TopologySpec)
            }
        }
        d.deserialize_any(V)
    }
}

/// `partition = [[0], [1, 2]]` or `partition = "majority-minority"`.
pub(super) enum PartitionSpec {
    Groups(Vec<Vec<Spanned<ProcessId>>>),
    Random(PartitionKind),
}

const PARTITION_EXPECTED: &str = "groups of nodes such as [[0], [1, 2, 3, 4]], or a random shape: \"isolate\", \"majority-minority\", \"halves\", \"bridge\", \"one-way\"";

impl<'de> Deserialize<'de> for PartitionSpec {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = PartitionSpec;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str(PARTITION_EXPECTED)
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<PartitionSpec, E> {
                PartitionKind::ALL
                    .iter()
                    .find(|k| k.name() == v)
                    .map(|k| PartitionSpec::Random(*k))
                    .ok_or_else(|| {
                        E::custom(format!("unknown partition shape `{v}`; expected {PARTITION_EXPECTED}"))
                    })
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<PartitionSpec, A::Error> {
                let mut groups = Vec::new();
                while let Some(g) = seq.next_element::<Vec<Spanned<ProcessId>>>()? {
                    groups.push(g);
                }
                Ok(PartitionSpec::Groups(groups))
            }
        }
        d.deserialize_any(V)
    }
}

/// A duration that may be negative: `"-200ms"`.
pub(super) struct SignedDuration(pub i64);

impl<'de> Deserialize<'de> for SignedDuration {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = String::deserialize(d)?;
        let (negative, rest) = match text.strip_prefix('-') {
            Some(r) => (true, r),
            None => (false, text.strip_prefix('+').unwrap_or(&text)),
        };
        let t = crate::time::parse_duration(rest).map_err(de::Error::custom)?;
        let ns = i64::try_from(t.nanos()).map_err(|_| de::Error::custom("skew too large"))?;
        Ok(SignedDuration(if negative { -ns } else { ns }))
    }
}

/// `rate = "200/s"`: operations per unit of time, all clients together.
/// Kept as the mean interval between operations.
pub(super) struct Rate(pub crate::time::Span);

pub(super) const RATE_EXPECTED: &str = "a rate such as \"200/s\", \"5/ms\", \"0.5/s\" or \"1/5ms\"";

pub(super) fn parse_rate(text: &str) -> Result<crate::time::Span, String> {
    let bad = || format!("`{text}` is not a rate; expected {RATE_EXPECTED}");
    let (number, unit) = text.split_once('/').ok_or_else(bad)?;
    // "200/s", or per any duration: "1/5ms" (one operation every 5ms).
    let unit_ns: u128 = match unit.trim() {
        "s" => 1_000_000_000,
        "ms" => 1_000_000,
        "m" | "min" => 60_000_000_000,
        other => match crate::time::parse_duration(other) {
            Ok(t) if t.nanos() > 0 => t.nanos() as u128,
            _ => return Err(bad()),
        },
    };
    let number = number.trim();
    let (whole, frac) = number.split_once('.').unwrap_or((number, ""));
    if whole.is_empty() && frac.is_empty() || frac.len() > 9 {
        return Err(bad());
    }
    let digits = format!("{whole}{frac}");
    let mantissa: u128 = digits.parse().map_err(|_| bad())?;
    if mantissa == 0 {
        return Err(format!("the rate `{text}` is zero; leave out [workload] for no clients"));
    }
    let scale = 10u128.pow(frac.len() as u32);
    let interval = unit_ns * scale / mantissa;
    if interval == 0 {
        return Err(format!("the rate `{text}` is more than one operation per nanosecond"));
    }
    Ok(crate::time::Span(interval.min(u64::MAX as u128) as u64))
}

impl<'de> Deserialize<'de> for Rate {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl Visitor<'_> for V {
            type Value = Rate;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str(RATE_EXPECTED)
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Rate, E> {
                parse_rate(v).map(Rate).map_err(E::custom)
            }
        }
        d.deserialize_any(V)
    }
}

/// `nodes = 5`, or a table of nodes by role:
/// `[nodes] coordinator = 1, participant = 4`.
pub(super) enum NodesSpec {
    Count(u32),
    /// `(role, count)` in the order the file lists them.
    Roles(Vec<(Spanned<String>, Spanned<u32>)>),
}

impl<'de> Deserialize<'de> for NodesSpec {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = NodesSpec;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a number of nodes, or a table of nodes by role such as { coordinator = 1, participant = 4 }")
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<NodesSpec, E> {
                u32::try_from(v)
                    .map(NodesSpec::Count)
                    .map_err(|_| E::custom(format!("{v} is not a number of nodes")))
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<NodesSpec, E> {
                u32::try_from(v)
                    .map(NodesSpec::Count)
                    .map_err(|_| E::custom(format!("{v} is not a number of nodes")))
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<NodesSpec, A::Error> {
                let mut roles: Vec<(Spanned<String>, Spanned<u32>)> = Vec::new();
                while let Some(role) = map.next_key::<Spanned<String>>()? {
                    let count = map.next_value::<Spanned<u32>>()?;
                    roles.push((role, count));
                }
                // Servers are numbered role after role as the file lists them.
                roles.sort_by_key(|(r, _)| r.span().start);
                Ok(NodesSpec::Roles(roles))
            }
        }
        d.deserialize_any(V)
    }
}

/// A process a fault strikes: `3`, `"n3"`, `"c1"`, or a role (`"coordinator"`,
/// `"client"`): one of its processes, drawn from the seed.
pub(super) enum TargetSpec {
    Process(ProcessId),
    Role(String),
}

impl<'de> Deserialize<'de> for TargetSpec {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl Visitor<'_> for V {
            type Value = TargetSpec;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a node index such as 3, a process such as \"n3\" or \"c1\", or a role such as \"coordinator\"")
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<TargetSpec, E> {
                u32::try_from(v)
                    .ok()
                    .filter(|i| *i < 1 << 31)
                    .map(|i| TargetSpec::Process(ProcessId::server(i)))
                    .ok_or_else(|| E::custom(format!("node index {v} is negative or too large")))
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<TargetSpec, E> {
                self.visit_i64(i64::try_from(v).unwrap_or(-1))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<TargetSpec, E> {
                Ok(match ProcessId::parse(v) {
                    Some(p) => TargetSpec::Process(p),
                    None => TargetSpec::Role(v.to_string()),
                })
            }
        }
        d.deserialize_any(V)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::time::Span;

    #[test]
    fn rates() {
        assert_eq!(parse_rate("200/s"), Ok(Span::from_millis(5)));
        assert_eq!(parse_rate("0.5/s"), Ok(Span::from_secs(2)));
        assert_eq!(parse_rate("2/ms"), Ok(Span::from_micros(500)));
        assert!(parse_rate("200").is_err());
        assert!(parse_rate("0/s").is_err());
        assert!(parse_rate("x/s").is_err());
        assert!(parse_rate("5/fortnight").is_err());
    }
}
