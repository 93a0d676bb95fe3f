//! A partition as the network applies it: a label per process, from which
//! whether a directed pair is cut follows without listing the pairs. A
//! partition into halves of 100,000 processes costs 100,000 labels, not
//! five billion pairs.

use super::Partition;
use crate::process::ProcessId;

pub(super) enum Cut {
    /// Processes with different non-zero labels cannot talk; label 0 is in
    /// no group (groups, and the halves of a bridge).
    Sides(Vec<u32>),
    /// Bit 1: in `from`; bit 2: in `to`. A process in `from` cannot send to
    /// one in `to`.
    OneWay(Vec<u8>),
    /// This process cannot talk to anyone.
    Isolate(usize),
}

impl Cut {
    /// `dense` gives a process's place among the `procs` processes. Every
    /// process a partition names exists (scenarios and repros are checked
    /// before they run), and groups do not overlap.
    pub fn new(partition: &Partition, procs: usize, dense: impl Fn(ProcessId) -> usize) -> Cut {
        let sides = |groups: &[&[ProcessId]]| {
            let mut label = vec![0u32; procs];
            for (g, group) in groups.iter().enumerate() {
                for p in group.iter() {
                    label[dense(*p)] = g as u32 + 1;
                }
            }
            Cut::Sides(label)
        };
        match partition {
            Partition::Groups { groups } => {
                let groups: Vec<&[ProcessId]> = groups.iter().map(Vec::as_slice).collect();
                sides(&groups)
            }
            Partition::Bridge { left, right, .. } => sides(&[left, right]),
            Partition::OneWay { from, to } => {
                let mut bits = vec![0u8; procs];
                for p in from {
                    bits[dense(*p)] |= 1;
                }
                for p in to {
                    bits[dense(*p)] |= 2;
                }
                Cut::OneWay(bits)
            }
            Partition::Isolate { node } => Cut::Isolate(dense(*node)),
        }
    }

    /// Whether the pair `from -> to` (distinct places) is cut.
    #[inline]
    pub fn cuts(&self, from: usize, to: usize) -> bool {
        match self {
            Cut::Sides(label) => label[from] != 0 && label[to] != 0 && label[from] != label[to],
            Cut::OneWay(bits) => bits[from] & 1 != 0 && bits[to] & 2 != 0,
            Cut::Isolate(node) => (from == *node) != (to == *node),
        }
    }

    /// What this cut knows of a process: two processes with the same label
    /// in every cut are cut from a third alike.
    pub fn label(&self, p: usize) -> u32 {
        match self {
            Cut::Sides(label) => label[p],
            Cut::OneWay(bits) => bits[p] as u32,
            Cut::Isolate(node) => u32::from(p == *node),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(i: u32) -> ProcessId {
        ProcessId::server(i)
    }

    /// The pairs a cut cuts, as the partition lists them.
    fn pairs(cut: &Cut, procs: usize) -> Vec<(usize, usize)> {
        (0..procs)
            .flat_map(|a| (0..procs).map(move |b| (a, b)))
            .filter(|&(a, b)| a != b && cut.cuts(a, b))
            .collect()
    }

    #[test]
    fn a_cut_cuts_exactly_the_pairs_its_partition_lists() {
        let everyone: Vec<ProcessId> = (0..6).map(s).collect();
        let dense = |p: ProcessId| p.index() as usize;
        for partition in [
            Partition::Groups { groups: vec![vec![s(0)], vec![s(1), s(2)], vec![s(4)]] },
            Partition::OneWay { from: vec![s(0), s(1)], to: vec![s(1), s(3)] },
            Partition::Isolate { node: s(2) },
            Partition::Bridge { left: vec![s(0), s(1)], right: vec![s(3), s(4)], bridge: s(2) },
        ] {
            let cut = Cut::new(&partition, 6, dense);
            let mut listed: Vec<(usize, usize)> =
                partition.cut_pairs(&everyone).into_iter().map(|(a, b)| (dense(a), dense(b))).collect();
            listed.sort();
            listed.dedup();
            assert_eq!(pairs(&cut, 6), listed, "{partition}");
        }
    }
}
