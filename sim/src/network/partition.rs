//! Partitions: which directed pairs of processes can no longer talk.
//!
//! A partition is resolved to explicit groups before it is applied (random
//! kinds draw their groups from the nemesis stream), so a repro file records
//! exactly who was cut from whom.

use crate::process::ProcessId;
use crate::rng::Rng;
use serde::{Deserialize, Serialize};
use std::fmt;

#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(tag = "shape", rename_all = "kebab-case")]
pub enum Partition {
    /// Processes in different groups cannot talk; processes in no group are
    /// unaffected.
    Groups { groups: Vec<Vec<ProcessId>> },
    /// `from` cannot send to `to`; the other direction still works.
    OneWay { from: Vec<ProcessId>, to: Vec<ProcessId> },
    /// One node cut off from every other process, clients included.
    Isolate { node: ProcessId },
    /// Two halves that cannot talk, except through the bridge node, which
    /// reaches both.
    Bridge { left: Vec<ProcessId>, right: Vec<ProcessId>, bridge: ProcessId },
}

/// The kinds of random partition the nemesis and `partition = "..."` draw.
pub const RANDOM_PARTITIONS: &[&str] = &["isolate", "majority-minority", "halves", "bridge", "one-way"];

impl Partition {
    /// Every directed pair `(from, to)` this partition cuts.
    pub fn cut_pairs(&self, everyone: &[ProcessId]) -> Vec<(ProcessId, ProcessId)> {
        let mut pairs = Vec::new();
        let groups_cut = |groups: &[&[ProcessId]], pairs: &mut Vec<_>| {
            for (i, a) in groups.iter().enumerate() {
                for (j, b) in groups.iter().enumerate() {
                    if i != j {
                        for &x in a.iter() {
                            for &y in b.iter() {
                                pairs.push((x, y));
                            }
                        }
                    }
                }
            }
        };
        match self {
            Partition::Groups { groups } => {
                let refs: Vec<&[ProcessId]> = groups.iter().map(|g| g.as_slice()).collect();
                groups_cut(&refs, &mut pairs);
            }
            Partition::Bridge { left, right, .. } => groups_cut(&[left, right], &mut pairs),
            Partition::OneWay { from, to } => {
                for &x in from {
                    for &y in to {
                        pairs.push((x, y));
                    }
                }
            }
            Partition::Isolate { node } => {
                for &other in everyone {
                    if other != *node {
                        pairs.push((*node, other));
                        pairs.push((other, *node));
                    }
                }
            }
        }
        pairs.retain(|(a, b)| a != b);
        pairs
    }

    /// Whether the partition is well formed: no empty group or side, at
    /// least two groups, no process named twice (the bridge on no side). A
    /// partition read from a file is checked before it runs.
    pub fn check(&self) -> Result<(), String> {
        let sides: Vec<(&str, &[ProcessId])> = match self {
            Partition::Groups { groups } if groups.len() < 2 => {
                return Err(format!("a partition needs at least two groups, not {}", groups.len()))
            }
            Partition::Groups { groups } => groups.iter().map(|g| ("a group", g.as_slice())).collect(),
            Partition::OneWay { from, to } => vec![("the `from` side", from), ("the `to` side", to)],
            Partition::Bridge { left, right, bridge } => {
                vec![
                    ("the left side", left),
                    ("the right side", right),
                    ("the bridge", std::slice::from_ref(bridge)),
                ]
            }
            Partition::Isolate { .. } => return Ok(()),
        };
        let mut seen = std::collections::BTreeSet::new();
        for (name, side) in sides {
            if side.is_empty() {
                return Err(format!("{name} of this partition is empty"));
            }
            if let Some(p) = side.iter().find(|p| !seen.insert(**p)) {
                return Err(match self {
                    Partition::OneWay { .. } => format!("{p} is both in `from` and in `to`"),
                    Partition::Bridge { .. } => format!("{p} is named twice in this bridge"),
                    _ => format!("{p} is in two groups of this partition"),
                });
            }
        }
        Ok(())
    }

    /// Every process named, for validation.
    pub fn processes(&self) -> Vec<ProcessId> {
        match self {
            Partition::Groups { groups } => groups.iter().flatten().copied().collect(),
            Partition::OneWay { from, to } => from.iter().chain(to).copied().collect(),
            Partition::Isolate { node } => vec![*node],
            Partition::Bridge { left, right, bridge } => {
                left.iter().chain(right).chain(std::iter::once(bridge)).copied().collect()
            }
        }
    }

    /// Draws a partition of the given kind over `servers` servers; clients
    /// join a random side where the shape has sides.
    pub fn random(kind: &str, servers: u32, clients: u32, rng: &mut Rng) -> Partition {
        let members: Vec<ProcessId> = (0..servers).map(ProcessId::server).collect();
        let others: Vec<ProcessId> = (0..clients).map(ProcessId::client).collect();
        Partition::random_among(kind, &members, &others, rng)
    }

    /// A shape drawn over `members` (the nodes of one role: "a majority of
    /// the acceptors"); each of `others` joins a random side.
    pub fn random_among(kind: &str, members: &[ProcessId], others: &[ProcessId], rng: &mut Rng) -> Partition {
        let mut p = Partition::draw(kind, members.to_vec(), others, rng);
        p.sort_groups();
        p
    }

    /// The same partition with every process renamed by `f`.
    pub fn renamed(self, f: &dyn Fn(ProcessId) -> ProcessId) -> Partition {
        let all = |ps: Vec<ProcessId>| ps.into_iter().map(f).collect::<Vec<_>>();
        match self {
            Partition::Groups { groups } => {
                Partition::Groups { groups: groups.into_iter().map(all).collect() }
            }
            Partition::OneWay { from, to } => Partition::OneWay { from: all(from), to: all(to) },
            Partition::Bridge { left, right, bridge } => {
                Partition::Bridge { left: all(left), right: all(right), bridge: f(bridge) }
            }
            Partition::Isolate { node } => Partition::Isolate { node: f(node) },
        }
    }

    fn sort_groups(&mut self) {
        match self {
            Partition::Groups { groups } => groups.iter_mut().for_each(|g| g.sort()),
            Partition::OneWay { from, to } => {
                from.sort();
                to.sort();
            }
            Partition::Bridge { left, right, .. } => {
                left.sort();
                right.sort();
            }
            Partition::Isolate { .. } => {}
        }
    }

    fn draw(kind: &str, mut nodes: Vec<ProcessId>, others: &[ProcessId], rng: &mut Rng) -> Partition {
        let servers = nodes.len() as u32;
        rng.shuffle(&mut nodes);
        let place_clients = |groups: &mut [Vec<ProcessId>], rng: &mut Rng| {
            for &p in others {
                let g = rng.index(groups.len());
                groups[g].push(p);
            }
        };
        match kind {
            "isolate" => Partition::Isolate { node: nodes[0] },
            "halves" | "majority-minority" => {
                let minority = if kind == "halves" {
                    (servers / 2).max(1)
                } else {
                    rng.between(1, ((servers - 1) / 2).max(1) as u64) as u32
                };
                let rest = nodes.split_off(minority as usize);
                let mut groups = vec![nodes, rest];
                place_clients(&mut groups, rng);
                Partition::Groups { groups }
            }
            "bridge" => {
                let bridge = nodes.remove(0);
                let half = nodes.len() / 2;
                let right = nodes.split_off(half);
                let mut groups = vec![nodes, right];
                place_clients(&mut groups, rng);
                let right = groups.pop().unwrap_or_default();
                let left = groups.pop().unwrap_or_default();
                Partition::Bridge { left, right, bridge }
            }
            "one-way" => {
                let minority = rng.between(1, ((servers - 1) / 2).max(1) as u64) as usize;
                let to = nodes.split_off(minority);
                let mut groups = vec![nodes, to];
                if others.iter().any(|p| p.is_server()) {
                    place_clients(&mut groups, rng);
                }
                let to = groups.pop().unwrap_or_default();
                let from = groups.pop().unwrap_or_default();
                Partition::OneWay { from, to }
            }
            other => panic!("unknown random partition kind `{other}`"),
        }
    }
}

fn list(f: &mut fmt::Formatter<'_>, ps: &[ProcessId]) -> fmt::Result {
    write!(f, "{{")?;
    for (i, p) in ps.iter().enumerate() {
        if i > 0 {
            write!(f, " ")?;
        }
        write!(f, "{p}")?;
    }
    write!(f, "}}")
}

impl fmt::Display for Partition {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Partition::Groups { groups } => {
                for (i, g) in groups.iter().enumerate() {
                    if i > 0 {
                        write!(f, " | ")?;
                    }
                    list(f, g)?;
                }
                Ok(())
            }
            Partition::OneWay { from, to } => {
                list(f, from)?;
                write!(f, " -/-> ")?;
                list(f, to)
            }
            Partition::Isolate { node } => write!(f, "isolate {node}"),
            Partition::Bridge { left, right, bridge } => {
                list(f, left)?;
                write!(f, " | ")?;
                list(f, right)?;
                write!(f, " bridged by {bridge}")
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rng::Stream;

    fn s(i: u32) -> ProcessId {
        ProcessId::server(i)
    }

    #[test]
    fn groups_cut_both_ways() {
        let p = Partition::Groups { groups: vec![vec![s(0)], vec![s(1), s(2)]] };
        let pairs = p.cut_pairs(&[]);
        assert_eq!(pairs.len(), 4);
        assert!(pairs.contains(&(s(0), s(2))) && pairs.contains(&(s(2), s(0))));
    }

    #[test]
    fn one_way_cuts_one_direction() {
        let p = Partition::OneWay { from: vec![s(0)], to: vec![s(1)] };
        assert_eq!(p.cut_pairs(&[]), vec![(s(0), s(1))]);
    }

    #[test]
    fn random_kinds_cover_all_servers() {
        let mut rng = Rng::new(1, Stream::Nemesis(0));
        for kind in RANDOM_PARTITIONS {
            for _ in 0..20 {
                let p = Partition::random(kind, 5, 2, &mut rng);
                let mut servers: Vec<_> = p.processes().into_iter().filter(|p| p.is_server()).collect();
                servers.sort();
                servers.dedup();
                if *kind == "isolate" {
                    assert_eq!(servers.len(), 1);
                } else {
                    assert_eq!(servers.len(), 5, "{kind}: {p}");
                }
            }
        }
    }
}
