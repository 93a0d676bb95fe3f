//! The virtual network: who is linked to whom, how each link behaves, and
//! which links a partition has cut.
//!
//! Link state lives in a dense table indexed by (sender, receiver), so that
//! routing a message costs one lookup and the draws its link asks for. A link
//! with no loss, duplication or reordering draws only its latency.

pub mod latency;
pub mod partition;
pub mod topology;

pub use latency::{Latency, LinkOverride, LinkParams};
pub use partition::Partition;
pub use topology::Topology;

use crate::process::ProcessId;
use crate::rng::Rng;
use crate::time::Span;
use petgraph::graph::UnGraph;
use serde::Serialize;

/// The network's shape and link qualities, as the scenario resolved them.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct NetworkPlan {
    pub topology: Topology,
    pub default: LinkParams,
    /// Links whose quality differs from the default, both directions.
    pub links: Vec<(ProcessId, ProcessId, LinkParams)>,
}

#[derive(Clone, Copy, Debug, Default)]
struct LinkState {
    params: u16,
    cut: u16,
    edge: bool,
}

/// Why a message was not delivered.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DropReason {
    NoLink,
    Partition,
    Loss,
}

/// What the network does with one message.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Route {
    Drop(DropReason),
    Deliver { delay: Span, duplicate: Option<Span> },
}

/// Counters a run reports.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, serde::Deserialize)]
pub struct NetStats {
    pub sent: u64,
    pub dropped_no_link: u64,
    pub dropped_partition: u64,
    pub dropped_loss: u64,
    pub duplicated: u64,
    /// Messages sent between two servers (the protocol's own traffic).
    pub server_to_server: u64,
}

pub struct Network {
    servers: u32,
    procs: usize,
    links: Vec<LinkState>,
    params: Vec<LinkParams>,
    base: Vec<u16>,
    neighbours: Vec<Vec<ProcessId>>,
    graph: UnGraph<u32, ()>,
    cuts: Vec<(u32, Vec<u32>)>,
    degradations: Vec<(u32, Option<Vec<ProcessId>>, LinkOverride)>,
    pub stats: NetStats,
}

impl Network {
    pub fn new(plan: &NetworkPlan, servers: u32, clients: u32, rng: &mut Rng) -> Network {
        let procs = (servers + clients) as usize;
        let graph = plan.topology.build(servers, rng);
        let mut net = Network {
            servers,
            procs,
            links: vec![LinkState::default(); procs * procs],
            params: vec![plan.default],
            base: vec![0; procs * procs],
            neighbours: vec![Vec::new(); procs],
            graph,
            cuts: Vec::new(),
            degradations: Vec::new(),
            stats: NetStats::default(),
        };
        let edges: Vec<(u32, u32)> = net
            .graph
            .edge_indices()
            .filter_map(|e| net.graph.edge_endpoints(e))
            .map(|(a, b)| (a.index() as u32, b.index() as u32))
            .collect();
        for (a, b) in edges {
            net.link(ProcessId::server(a), ProcessId::server(b));
        }
        for c in 0..clients {
            for s in 0..servers {
                net.link(ProcessId::client(c), ProcessId::server(s));
            }
        }
        for n in &mut net.neighbours {
            n.sort();
        }
        for &(a, b, params) in &plan.links {
            let p = net.intern(params);
            for (x, y) in [(a, b), (b, a)] {
                let i = net.index(x, y);
                net.base[i] = p;
                net.links[i].params = p;
            }
        }
        net
    }

    fn link(&mut self, a: ProcessId, b: ProcessId) {
        for (x, y) in [(a, b), (b, a)] {
            let i = self.index(x, y);
            self.links[i].edge = true;
            if y.is_server() {
                self.neighbours[x.dense(self.servers)].push(y);
            }
        }
    }

    fn intern(&mut self, params: LinkParams) -> u16 {
        match self.params.iter().position(|p| *p == params) {
            Some(i) => i as u16,
            None => {
                self.params.push(params);
                (self.params.len() - 1) as u16
            }
        }
    }

    #[inline]
    fn index(&self, from: ProcessId, to: ProcessId) -> usize {
        let (f, t) = (from.dense(self.servers), to.dense(self.servers));
        assert!(
            f < self.procs && t < self.procs,
            "{from} sent to {to}, but there are {} servers and {} clients",
            self.servers,
            self.procs - self.servers as usize
        );
        f * self.procs + t
    }

    pub fn servers(&self) -> u32 {
        self.servers
    }

    pub fn clients(&self) -> u32 {
        (self.procs - self.servers as usize) as u32
    }

    /// Every process, servers first.
    pub fn everyone(&self) -> Vec<ProcessId> {
        (0..self.servers).map(ProcessId::server).chain((0..self.clients()).map(ProcessId::client)).collect()
    }

    /// The servers `p` has a direct link to: a server's neighbours in the
    /// topology, or every server for a client.
    pub fn neighbours(&self, p: ProcessId) -> &[ProcessId] {
        &self.neighbours[p.dense(self.servers)]
    }

    /// Decides the fate of one message from `from` to `to`.
    #[inline]
    pub fn route(&mut self, rng: &mut Rng, from: ProcessId, to: ProcessId) -> Route {
        self.stats.sent += 1;
        if from.is_server() && to.is_server() {
            self.stats.server_to_server += 1;
        }
        if from == to {
            return Route::Deliver { delay: Span::ZERO, duplicate: None };
        }
        let link = self.links[self.index(from, to)];
        if !link.edge {
            self.stats.dropped_no_link += 1;
            return Route::Drop(DropReason::NoLink);
        }
        if link.cut > 0 {
            self.stats.dropped_partition += 1;
            return Route::Drop(DropReason::Partition);
        }
        let p = &self.params[link.params as usize];
        if rng.chance(p.drop_ppm) {
            self.stats.dropped_loss += 1;
            return Route::Drop(DropReason::Loss);
        }
        let mut delay = p.latency.sample(rng);
        if rng.chance(p.reorder_ppm) {
            delay = delay + Span(rng.between(0, p.latency.max().nanos() * 10));
        }
        let duplicate = if rng.chance(p.duplicate_ppm) {
            self.stats.duplicated += 1;
            Some(p.latency.sample(rng))
        } else {
            None
        };
        Route::Deliver { delay, duplicate }
    }

    /// Whether `from` can currently send to `to` at all.
    pub fn reachable(&self, from: ProcessId, to: ProcessId) -> bool {
        let l = self.links[self.index(from, to)];
        from == to || (l.edge && l.cut == 0)
    }

    /// Applies a partition as cut layer `id`.
    pub fn cut(&mut self, id: u32, partition: &Partition) {
        let everyone = self.everyone();
        let pairs: Vec<u32> =
            partition.cut_pairs(&everyone).into_iter().map(|(a, b)| self.index(a, b) as u32).collect();
        for &i in &pairs {
            self.links[i as usize].cut += 1;
        }
        self.cuts.push((id, pairs));
    }

    /// Heals cut layer `id`; returns whether it existed.
    pub fn heal(&mut self, id: u32) -> bool {
        let Some(pos) = self.cuts.iter().position(|(i, _)| *i == id) else {
            return false;
        };
        let (_, pairs) = self.cuts.remove(pos);
        for i in pairs {
            self.links[i as usize].cut -= 1;
        }
        true
    }

    /// Heals every partition.
    pub fn heal_all(&mut self) {
        while let Some((id, _)) = self.cuts.first() {
            let id = *id;
            self.heal(id);
        }
    }

    pub fn partitioned(&self) -> bool {
        !self.cuts.is_empty()
    }

    /// Changes the quality of every link touching `procs` (all links if
    /// `None`), as degradation layer `id`. Later layers win.
    pub fn degrade(&mut self, id: u32, procs: Option<Vec<ProcessId>>, change: LinkOverride) {
        self.degradations.push((id, procs, change));
        self.recompute_params();
    }

    pub fn restore(&mut self, id: u32) {
        self.degradations.retain(|(i, _, _)| *i != id);
        self.recompute_params();
    }

    pub fn restore_all(&mut self) {
        self.degradations.clear();
        self.recompute_params();
    }

    fn recompute_params(&mut self) {
        let servers = self.servers;
        let layers = std::mem::take(&mut self.degradations);
        for f in 0..self.procs {
            for t in 0..self.procs {
                let i = f * self.procs + t;
                if !self.links[i].edge {
                    continue;
                }
                let mut params = self.params[self.base[i] as usize];
                for (_, procs, change) in &layers {
                    let touches = procs
                        .as_ref()
                        .is_none_or(|ps| ps.iter().any(|p| p.dense(servers) == f || p.dense(servers) == t));
                    if touches {
                        params = change.apply(params);
                    }
                }
                let p = self.intern(params);
                self.links[i].params = p;
            }
        }
        self.degradations = layers;
    }

    /// The number of groups the servers fall into when only links that work
    /// both ways count: more than one means a partition really cut them.
    pub fn server_components(&self) -> usize {
        let mut uf = petgraph::unionfind::UnionFind::<u32>::new(self.servers as usize);
        for e in self.graph.edge_indices() {
            if let Some((a, b)) = self.graph.edge_endpoints(e) {
                let (a, b) = (ProcessId::server(a.index() as u32), ProcessId::server(b.index() as u32));
                if self.reachable(a, b) && self.reachable(b, a) {
                    uf.union(a.index(), b.index());
                }
            }
        }
        let mut roots: Vec<u32> = (0..self.servers).map(|i| uf.find(i)).collect();
        roots.sort_unstable();
        roots.dedup();
        roots.len()
    }

    /// The server graph, for reports.
    pub fn graph(&self) -> &UnGraph<u32, ()> {
        &self.graph
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rng::Stream;

    fn net(topology: Topology, n: u32) -> Network {
        let plan = NetworkPlan { topology, default: LinkParams::default(), links: vec![] };
        Network::new(&plan, n, 1, &mut Rng::new(0, Stream::Topology))
    }

    #[test]
    fn partitions_cut_and_heal() {
        let mut n = net(Topology::Full, 5);
        let (a, b) = (ProcessId::server(0), ProcessId::server(1));
        assert!(n.reachable(a, b));
        n.cut(1, &Partition::Isolate { node: a });
        n.cut(2, &Partition::Groups { groups: vec![vec![a], vec![b]] });
        assert!(!n.reachable(a, b) && !n.reachable(ProcessId::client(0), a));
        assert_eq!(n.server_components(), 2);
        n.heal(1);
        assert!(!n.reachable(a, b), "layer 2 still cuts");
        n.heal_all();
        assert!(n.reachable(a, b));
        assert_eq!(n.server_components(), 1);
    }

    #[test]
    fn degradation_layers_stack_and_restore() {
        let mut n = net(Topology::Ring, 4);
        let mut rng = Rng::new(0, Stream::Network);
        let (a, b) = (ProcessId::server(0), ProcessId::server(1));
        n.degrade(7, Some(vec![a]), LinkOverride { drop_ppm: Some(1_000_000), ..Default::default() });
        assert_eq!(n.route(&mut rng, a, b), Route::Drop(DropReason::Loss));
        assert!(matches!(
            n.route(&mut rng, ProcessId::server(2), ProcessId::server(3)),
            Route::Deliver { .. }
        ));
        n.restore(7);
        assert!(matches!(n.route(&mut rng, a, b), Route::Deliver { .. }));
    }

    #[test]
    fn topology_limits_who_can_talk() {
        let mut n = net(Topology::Line, 3);
        let mut rng = Rng::new(0, Stream::Network);
        assert_eq!(
            n.route(&mut rng, ProcessId::server(0), ProcessId::server(2)),
            Route::Drop(DropReason::NoLink)
        );
        assert_eq!(n.neighbours(ProcessId::server(1)).len(), 2);
        assert_eq!(n.neighbours(ProcessId::client(0)).len(), 3);
    }
}
