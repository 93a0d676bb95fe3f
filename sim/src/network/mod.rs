//! The virtual network: who is linked to whom, how each link behaves, and
//! which links a partition has cut.
//!
//! Nothing here is sized by the square of the process count: a full mesh is
//! a rule (`links.rs`), a partition a label per process (`cuts.rs`), and a
//! link's quality the default unless the scenario or a degradation changed
//! it. Routing a message checks the links, the partitions in force and the
//! degradations in force (usually none of either), then draws what its
//! link asks for; a link with no loss, duplication, reordering or tail
//! draws only its latency. The draws, from the network's stream, in order:
//! loss, latency, reordering (chance, then extra), tail (chance, then
//! extra), duplication (chance, then the copy's latency); a probability of
//! zero draws nothing.

mod cuts;
pub mod latency;
mod links;
pub mod partition;
pub mod topology;

pub use latency::{Latency, LinkOverride, LinkParams, Tail};
pub use links::Neighbours;
pub use partition::Partition;
pub use topology::Topology;

use crate::process::ProcessId;
use crate::rng::Rng;
use crate::time::Span;
use cuts::Cut;
use links::Links;
use serde::Serialize;
use std::collections::BTreeMap;

/// The network's shape and link qualities, as the scenario resolved them.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct NetworkPlan {
    pub topology: Topology,
    pub default: LinkParams,
    /// Links whose quality differs from the default, both directions.
    pub links: Vec<(ProcessId, ProcessId, LinkParams)>,
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
    /// The size, in 64-bit words (see [`crate::hash::stable_hash_sized`]),
    /// of the messages delivered from one server to another.
    #[serde(default)]
    pub server_words_delivered: u64,
}

pub struct Network {
    servers: u32,
    procs: usize,
    /// Every server, in order: what a full mesh's neighbours are read from.
    all_servers: Vec<ProcessId>,
    links: Links,
    default: LinkParams,
    /// Links whose quality differs from the default, by (from, to) place.
    overrides: BTreeMap<(usize, usize), LinkParams>,
    cuts: Vec<(u32, Cut)>,
    /// Degradation layers in the order they struck: later ones win.
    degradations: Vec<(u32, Option<Vec<ProcessId>>, LinkOverride)>,
    pub stats: NetStats,
}

impl Network {
    pub fn new(plan: &NetworkPlan, servers: u32, clients: u32, rng: &mut Rng) -> Network {
        let procs = (servers + clients) as usize;
        let mut overrides = BTreeMap::new();
        for &(a, b, params) in &plan.links {
            let (a, b) = (a.dense(servers), b.dense(servers));
            overrides.insert((a, b), params);
            overrides.insert((b, a), params);
        }
        Network {
            servers,
            procs,
            all_servers: (0..servers).map(ProcessId::server).collect(),
            links: Links::new(&plan.topology, servers, rng),
            default: plan.default,
            overrides,
            cuts: Vec::new(),
            degradations: Vec::new(),
            stats: NetStats::default(),
        }
    }

    /// The place of `p` among the processes, servers first.
    #[inline]
    fn place(&self, p: ProcessId) -> usize {
        let i = p.dense(self.servers);
        assert!(
            i < self.procs,
            "{p} is not a process here: there are {} servers and {} clients",
            self.servers,
            self.procs - self.servers as usize
        );
        i
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
    #[inline]
    pub fn neighbours(&self, p: ProcessId) -> Neighbours<'_> {
        self.links.neighbours(p, &self.all_servers)
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
        let (f, t) = (self.place(from), self.place(to));
        if !self.links.linked(from, to) {
            self.stats.dropped_no_link += 1;
            return Route::Drop(DropReason::NoLink);
        }
        if self.is_cut(f, t) {
            self.stats.dropped_partition += 1;
            return Route::Drop(DropReason::Partition);
        }
        let changed;
        let p = if self.overrides.is_empty() && self.degradations.is_empty() {
            &self.default
        } else {
            changed = self.params(from, to, f, t);
            &changed
        };
        if rng.chance(p.drop_ppm) {
            self.stats.dropped_loss += 1;
            return Route::Drop(DropReason::Loss);
        }
        let mut delay = p.latency.sample(rng);
        if rng.chance(p.reorder_ppm) {
            delay = delay + Span(rng.between(0, p.latency.max().nanos() * 10));
        }
        // Without a tail this is `chance(0)`: one branch, no draw.
        if rng.chance(p.tail.ppm) {
            delay = delay + Span(rng.between(1, p.tail.max.nanos()));
        }
        let duplicate = if rng.chance(p.duplicate_ppm) {
            self.stats.duplicated += 1;
            Some(p.latency.sample(rng))
        } else {
            None
        };
        Route::Deliver { delay, duplicate }
    }

    #[inline]
    fn is_cut(&self, from: usize, to: usize) -> bool {
        self.cuts.iter().any(|(_, cut)| cut.cuts(from, to))
    }

    /// The link's quality now: its own (or the default), changed by every
    /// degradation layer that touches it, in the order they struck.
    #[inline]
    fn params(&self, from: ProcessId, to: ProcessId, f: usize, t: usize) -> LinkParams {
        let mut params = self.overrides.get(&(f, t)).copied().unwrap_or(self.default);
        for (_, procs, change) in &self.degradations {
            if procs.as_ref().is_none_or(|ps| ps.contains(&from) || ps.contains(&to)) {
                params = change.apply(params);
            }
        }
        params
    }

    /// Whether `from` can currently send to `to` at all.
    pub fn reachable(&self, from: ProcessId, to: ProcessId) -> bool {
        let (f, t) = (self.place(from), self.place(to));
        from == to || (self.links.linked(from, to) && !self.is_cut(f, t))
    }

    /// The longest a message sent now from `from` to `to` can take, if
    /// delivered: what a checker waits before it may assume that nothing
    /// sent before a partition is still on its way.
    pub fn max_delay(&self, from: ProcessId, to: ProcessId) -> Span {
        let (f, t) = (self.place(from), self.place(to));
        self.params(from, to, f, t).max_delay()
    }

    /// Applies a partition as cut layer `id`.
    pub fn cut(&mut self, id: u32, partition: &Partition) {
        let servers = self.servers;
        let cut = Cut::new(partition, self.procs, |p| p.dense(servers));
        self.cuts.push((id, cut));
    }

    /// Heals cut layer `id`; returns whether it existed.
    pub fn heal(&mut self, id: u32) -> bool {
        let Some(pos) = self.cuts.iter().position(|(i, _)| *i == id) else {
            return false;
        };
        self.cuts.remove(pos);
        true
    }

    /// Heals every partition.
    pub fn heal_all(&mut self) {
        self.cuts.clear();
    }

    pub fn partitioned(&self) -> bool {
        !self.cuts.is_empty()
    }

    /// Changes the quality of every link touching `procs` (all links if
    /// `None`), as degradation layer `id`. Later layers win.
    pub fn degrade(&mut self, id: u32, procs: Option<Vec<ProcessId>>, change: LinkOverride) {
        self.degradations.push((id, procs, change));
    }

    pub fn restore(&mut self, id: u32) {
        self.degradations.retain(|(i, _, _)| *i != id);
    }

    pub fn restore_all(&mut self) {
        self.degradations.clear();
    }

    /// The number of groups the servers fall into when only links that work
    /// both ways count: more than one means a partition really cut them.
    pub fn server_components(&self) -> usize {
        let mut uf = petgraph::unionfind::UnionFind::<u32>::new(self.servers as usize);
        let both_ways = |a: ProcessId, b: ProcessId| self.reachable(a, b) && self.reachable(b, a);
        match self.links {
            Links::Sparse(_) => {
                for (a, b) in self.links.sparse_edges() {
                    if both_ways(a, b) {
                        uf.union(a.index(), b.index());
                    }
                }
            }
            Links::Full => {
                // Servers with the same label in every cut are cut from
                // others alike: compare one pair per pair of classes, not
                // every pair of servers.
                let mut classes: BTreeMap<Vec<u32>, Vec<ProcessId>> = BTreeMap::new();
                for s in &self.all_servers {
                    let label = self.cuts.iter().map(|(_, c)| c.label(s.index() as usize)).collect();
                    classes.entry(label).or_default().push(*s);
                }
                let classes: Vec<Vec<ProcessId>> = classes.into_values().collect();
                for (i, a) in classes.iter().enumerate() {
                    if a.len() > 1 && both_ways(a[0], a[1]) {
                        a.windows(2).for_each(|w| {
                            uf.union(w[0].index(), w[1].index());
                        });
                    }
                    for b in &classes[i + 1..] {
                        if both_ways(a[0], b[0]) {
                            for x in a {
                                uf.union(x.index(), b[0].index());
                            }
                            for y in b {
                                uf.union(y.index(), a[0].index());
                            }
                        }
                    }
                }
            }
        }
        let mut roots: Vec<u32> = (0..self.servers).map(|i| uf.find(i)).collect();
        roots.sort_unstable();
        roots.dedup();
        roots.len()
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
    fn components_of_a_full_mesh_match_counting_every_pair() {
        let mut rng = Rng::new(3, Stream::Nemesis(2));
        for round in 0..200 {
            let mut n = net(Topology::Full, 7);
            for id in 0..(round % 4) {
                let kind = partition::RANDOM_PARTITIONS[rng.index(partition::RANDOM_PARTITIONS.len())];
                n.cut(id, &Partition::random(kind, 7, 1, &mut rng));
            }
            let mut uf = petgraph::unionfind::UnionFind::<u32>::new(7);
            for a in 0..7 {
                for b in 0..7 {
                    let (x, y) = (ProcessId::server(a), ProcessId::server(b));
                    if n.reachable(x, y) && n.reachable(y, x) {
                        uf.union(a, b);
                    }
                }
            }
            let mut roots: Vec<u32> = (0..7).map(|i| uf.find(i)).collect();
            roots.sort_unstable();
            roots.dedup();
            assert_eq!(n.server_components(), roots.len(), "round {round}");
        }
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
    fn a_tail_delays_its_share_by_up_to_its_max() {
        let latency = Latency::Constant { value: Span::from_millis(5) };
        let tail = Tail { ppm: 100_000, max: Span::from_secs(2) };
        let params = LinkParams { latency, tail, ..LinkParams::default() };
        let plan = NetworkPlan { topology: Topology::Full, default: params, links: vec![] };
        let mut n = Network::new(&plan, 2, 0, &mut Rng::new(0, Stream::Topology));
        let mut rng = Rng::new(1, Stream::Network);
        let (a, b) = (ProcessId::server(0), ProcessId::server(1));
        let mut tailed = 0;
        let mut longest = Span::ZERO;
        for _ in 0..100_000 {
            let Route::Deliver { delay, .. } = n.route(&mut rng, a, b) else { panic!("delivered") };
            if delay > Span::from_millis(5) {
                tailed += 1;
            }
            longest = longest.max(delay);
        }
        assert!((9_000..11_000).contains(&tailed), "about 10%: {tailed}");
        assert!(longest <= Span::from_millis(2_005) && longest > Span::from_millis(1_900), "{longest}");
        assert_eq!(params.max_delay(), Span::from_millis(2_005));
        // Without a tail nothing is drawn for it: the stream is where a
        // tail-less link leaves it.
        let plain = NetworkPlan { topology: Topology::Full, default: LinkParams::default(), links: vec![] };
        let mut n = Network::new(&plain, 2, 0, &mut Rng::new(0, Stream::Topology));
        let (mut r1, mut r2) = (Rng::new(1, Stream::Network), Rng::new(1, Stream::Network));
        n.route(&mut r1, a, b);
        LinkParams::default().latency.sample(&mut r2);
        assert_eq!(r1.next_u64(), r2.next_u64());
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
