//! Which servers are directly linked. Clients link to every server.
//!
//! Shapes are built as petgraph graphs; a random-regular graph is drawn from
//! the run's topology stream (pairing model, redrawn until it is simple and
//! connected), so each seed may get a different graph of the same kind.

use crate::rng::Rng;
use petgraph::graph::{NodeIndex, UnGraph};
use serde::{Deserialize, Serialize};
use std::collections::BTreeSet;
use std::fmt;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum Topology {
    Full,
    Line,
    Ring,
    /// Node 0 is the hub.
    Star,
    /// Nodes fill rows of `ceil(sqrt(n))` columns; each links to its
    /// horizontal and vertical neighbours.
    Grid,
    RandomRegular {
        degree: u32,
    },
}

pub const TOPOLOGY_NAMES: &[&str] = &["full", "line", "ring", "star", "grid", "random-regular"];

impl fmt::Display for Topology {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Topology::Full => write!(f, "full mesh"),
            Topology::Line => write!(f, "line"),
            Topology::Ring => write!(f, "ring"),
            Topology::Star => write!(f, "star (hub n0)"),
            Topology::Grid => write!(f, "grid"),
            Topology::RandomRegular { degree } => write!(f, "random {degree}-regular"),
        }
    }
}

impl Topology {
    /// Checks that the shape can be built on `n` nodes.
    pub fn validate(&self, n: u32) -> Result<(), String> {
        if let Topology::RandomRegular { degree } = *self {
            if degree == 0 || degree >= n {
                return Err(format!(
                    "a random-regular topology needs 0 < degree < nodes (degree {degree}, {n} nodes)"
                ));
            }
            if (degree as u64 * n as u64) % 2 == 1 {
                return Err(format!(
                    "a random {degree}-regular graph on {n} nodes does not exist: degree × nodes must be even"
                ));
            }
            if degree == 1 && n > 2 {
                return Err("a random 1-regular graph on more than 2 nodes is not connected".into());
            }
        }
        Ok(())
    }

    /// The server graph.
    pub fn build(&self, n: u32, rng: &mut Rng) -> UnGraph<u32, ()> {
        let edges: Vec<(u32, u32)> = match *self {
            Topology::Full => (0..n).flat_map(|a| (a + 1..n).map(move |b| (a, b))).collect(),
            Topology::Line => (1..n).map(|b| (b - 1, b)).collect(),
            Topology::Ring => {
                let mut e: Vec<_> = (1..n).map(|b| (b - 1, b)).collect();
                if n > 2 {
                    e.push((n - 1, 0));
                }
                e
            }
            Topology::Star => (1..n).map(|b| (0, b)).collect(),
            Topology::Grid => {
                let cols = (1..=n).find(|c| c * c >= n).unwrap_or(1);
                let mut e = Vec::new();
                for i in 0..n {
                    if (i + 1) % cols != 0 && i + 1 < n {
                        e.push((i, i + 1));
                    }
                    if i + cols < n {
                        e.push((i, i + cols));
                    }
                }
                e
            }
            Topology::RandomRegular { degree } => random_regular(n, degree, rng),
        };
        let mut g = UnGraph::with_capacity(n as usize, edges.len());
        for i in 0..n {
            g.add_node(i);
        }
        for (a, b) in edges {
            g.add_edge(NodeIndex::new(a as usize), NodeIndex::new(b as usize), ());
        }
        g
    }
}

/// The pairing (configuration) model: `degree` stubs per node, matched at
/// random; redrawn until the graph has no loops, no parallel edges and is
/// connected. For the sizes a simulation uses this takes a few tries.
fn random_regular(n: u32, degree: u32, rng: &mut Rng) -> Vec<(u32, u32)> {
    loop {
        let mut stubs: Vec<u32> = (0..n).flat_map(|i| std::iter::repeat_n(i, degree as usize)).collect();
        let mut edges = BTreeSet::new();
        let mut ok = true;
        while stubs.len() >= 2 {
            // Pick two stubs at random; retry a bounded number of times
            // before starting over, so a dead end cannot loop forever.
            let mut placed = false;
            for _ in 0..100 {
                let i = rng.index(stubs.len());
                let j = rng.index(stubs.len());
                let (a, b) = (stubs[i], stubs[j]);
                if i == j || a == b || edges.contains(&(a.min(b), a.max(b))) {
                    continue;
                }
                edges.insert((a.min(b), a.max(b)));
                let (hi, lo) = (i.max(j), i.min(j));
                stubs.swap_remove(hi);
                stubs.swap_remove(lo);
                placed = true;
                break;
            }
            if !placed {
                ok = false;
                break;
            }
        }
        let edges: Vec<(u32, u32)> = edges.into_iter().collect();
        if ok && connected(n, &edges) {
            return edges;
        }
    }
}

fn connected(n: u32, edges: &[(u32, u32)]) -> bool {
    let mut uf = petgraph::unionfind::UnionFind::<u32>::new(n as usize);
    for &(a, b) in edges {
        uf.union(a, b);
    }
    (1..n).all(|i| uf.equiv(0, i))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rng::Stream;

    fn degrees(g: &UnGraph<u32, ()>) -> Vec<usize> {
        g.node_indices().map(|i| g.neighbors(i).count()).collect()
    }

    #[test]
    fn shapes_have_their_degrees() {
        let mut rng = Rng::new(0, Stream::Topology);
        assert_eq!(Topology::Full.build(5, &mut rng).edge_count(), 10);
        assert_eq!(Topology::Ring.build(5, &mut rng).edge_count(), 5);
        assert_eq!(Topology::Line.build(5, &mut rng).edge_count(), 4);
        assert_eq!(degrees(&Topology::Star.build(5, &mut rng))[0], 4);
        // 3x3 grid: 12 edges; corners have degree 2, the centre 4.
        let grid = Topology::Grid.build(9, &mut rng);
        assert_eq!(grid.edge_count(), 12);
        assert_eq!(degrees(&grid)[4], 4);
        assert_eq!(degrees(&grid)[0], 2);
    }

    #[test]
    fn random_regular_is_regular_and_connected() {
        for seed in 0..10 {
            let mut rng = Rng::new(seed, Stream::Topology);
            let g = Topology::RandomRegular { degree: 4 }.build(100, &mut rng);
            assert!(degrees(&g).iter().all(|&d| d == 4));
            let edges: Vec<_> = g
                .edge_indices()
                .map(|e| {
                    let (a, b) = g.edge_endpoints(e).unwrap();
                    (a.index() as u32, b.index() as u32)
                })
                .collect();
            assert!(connected(100, &edges));
        }
    }

    #[test]
    fn impossible_shapes_are_refused() {
        assert!(Topology::RandomRegular { degree: 3 }.validate(5).is_err());
        assert!(Topology::RandomRegular { degree: 5 }.validate(5).is_err());
        assert!(Topology::RandomRegular { degree: 4 }.validate(5).is_ok());
    }
}
