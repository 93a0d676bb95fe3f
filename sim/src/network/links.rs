//! Who has a direct link to whom.
//!
//! A full mesh is a rule, not a table: every server reaches every other,
//! and a process's neighbours are "every server but itself", read off one
//! list of the servers. Only sparse topologies (line, ring, star, grid,
//! random-regular) keep adjacency lists, whose size is their edge count.
//! Clients reach every server and no other client, whatever the topology.
//! So a 100,000-server full mesh costs one list of 100,000 ids.

use super::topology::Topology;
use crate::process::ProcessId;
use crate::rng::Rng;
use std::ops::Index;

pub(super) enum Links {
    Full,
    /// Each server's neighbours among the servers, sorted.
    Sparse(Vec<Vec<ProcessId>>),
}

impl Links {
    pub fn new(topology: &Topology, servers: u32, rng: &mut Rng) -> Links {
        if *topology == Topology::Full {
            return Links::Full;
        }
        let graph = topology.build(servers, rng);
        let mut adjacency = vec![Vec::new(); servers as usize];
        for e in graph.edge_indices() {
            if let Some((a, b)) = graph.edge_endpoints(e) {
                adjacency[a.index()].push(ProcessId::server(b.index() as u32));
                adjacency[b.index()].push(ProcessId::server(a.index() as u32));
            }
        }
        for list in &mut adjacency {
            list.sort();
        }
        Links::Sparse(adjacency)
    }

    /// Whether `from` and `to` (distinct) have a direct link.
    #[inline]
    pub fn linked(&self, from: ProcessId, to: ProcessId) -> bool {
        match (from.is_server(), to.is_server()) {
            (false, false) => false,
            (true, false) | (false, true) => true,
            (true, true) => match self {
                Links::Full => true,
                Links::Sparse(adjacency) => adjacency[from.index() as usize].binary_search(&to).is_ok(),
            },
        }
    }

    /// The links between servers, each once as `(a, b)` with `a < b`; a
    /// full mesh has none listed (every pair is linked).
    pub fn sparse_edges(&self) -> impl Iterator<Item = (ProcessId, ProcessId)> + '_ {
        let lists = match self {
            Links::Full => &[][..],
            Links::Sparse(adjacency) => &adjacency[..],
        };
        lists.iter().enumerate().flat_map(|(a, list)| {
            let a = ProcessId::server(a as u32);
            list.iter().filter(move |b| a < **b).map(move |b| (a, *b))
        })
    }

    /// The servers `p` has a direct link to, in order.
    #[inline]
    pub fn neighbours<'a>(&'a self, p: ProcessId, servers: &'a [ProcessId]) -> Neighbours<'a> {
        match (p.is_server(), self) {
            (false, _) => Neighbours::AllBut { all: servers, except: None },
            (true, Links::Full) => Neighbours::AllBut { all: servers, except: Some(p.index() as usize) },
            (true, Links::Sparse(adjacency)) => Neighbours::List(&adjacency[p.index() as usize]),
        }
    }
}

/// The servers a process has a direct link to, in order, read as a slice
/// would be (`len`, `[i]`, `iter`) without a list per process.
#[derive(Clone, Copy, Debug)]
pub enum Neighbours<'a> {
    List(&'a [ProcessId]),
    /// Every server in `all` but the one at `except`.
    AllBut {
        all: &'a [ProcessId],
        except: Option<usize>,
    },
}

impl<'a> Neighbours<'a> {
    pub fn len(&self) -> usize {
        match self {
            Neighbours::List(list) => list.len(),
            Neighbours::AllBut { all, except } => {
                all.len() - usize::from(except.is_some_and(|e| e < all.len()))
            }
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    pub fn get(&self, i: usize) -> Option<ProcessId> {
        (i < self.len()).then(|| self[i])
    }

    pub fn iter(&self) -> impl Iterator<Item = ProcessId> + 'a {
        let this = *self;
        (0..this.len()).map(move |i| this[i])
    }

    pub fn contains(&self, p: ProcessId) -> bool {
        match self {
            Neighbours::List(list) => list.contains(&p),
            Neighbours::AllBut { all, except } => {
                p.is_server() && (p.index() as usize) < all.len() && Some(p.index() as usize) != *except
            }
        }
    }

    pub fn to_vec(&self) -> Vec<ProcessId> {
        self.iter().collect()
    }
}

impl Index<usize> for Neighbours<'_> {
    type Output = ProcessId;

    fn index(&self, i: usize) -> &ProcessId {
        match self {
            Neighbours::List(list) => &list[i],
            Neighbours::AllBut { all, except } => {
                assert!(i < self.len(), "neighbour {i} of {}", self.len());
                &all[i + usize::from(except.is_some_and(|e| i >= e))]
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(i: u32) -> ProcessId {
        ProcessId::server(i)
    }

    #[test]
    fn every_server_but_one_reads_as_a_list() {
        let all: Vec<ProcessId> = (0..5).map(s).collect();
        let n = Neighbours::AllBut { all: &all, except: Some(2) };
        assert_eq!(n.len(), 4);
        assert_eq!(n.to_vec(), vec![s(0), s(1), s(3), s(4)]);
        assert_eq!(n[2], s(3));
        assert!(n.contains(s(4)) && !n.contains(s(2)) && !n.contains(ProcessId::client(0)));
        assert_eq!(n.get(4), None);
        let clients = Neighbours::AllBut { all: &all, except: None };
        assert_eq!(clients.to_vec(), all);
    }

    #[test]
    fn sparse_links_are_symmetric_and_sorted() {
        let mut rng = Rng::new(0, crate::rng::Stream::Topology);
        let links = Links::new(&Topology::Ring, 5, &mut rng);
        assert!(links.linked(s(0), s(4)) && links.linked(s(4), s(0)) && !links.linked(s(0), s(2)));
        assert_eq!(links.neighbours(s(0), &[]).to_vec(), vec![s(1), s(4)]);
        assert_eq!(links.sparse_edges().count(), 5);
        assert!(links.linked(ProcessId::client(0), s(3)));
        assert!(!links.linked(ProcessId::client(0), ProcessId::client(1)));
    }
}
