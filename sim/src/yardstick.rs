//! The ceiling dsim's engine is measured against: the relay workload with
//! nothing but a binary heap and a seeded random stream, no engine at all.
//! `dsim bench` reports the relay's speed as a share of this loop's.

use crate::rng::{Rng, Stream};
use std::cmp::Reverse;
use std::collections::BinaryHeap;

/// Delivers `deliveries` messages among `hosts` hosts (each delivery sends
/// one message on to a random other host, 1-10ms later); returns the
/// deliveries made.
pub fn bare_event_loop(hosts: u64, deliveries: u64) -> u64 {
    let mut rng = Rng::new(0, Stream::Network);
    let mut heap = BinaryHeap::new();
    for h in 0..hosts {
        heap.push(Reverse((rng.between(1_000_000, 10_000_000), h)));
    }
    let mut checksum = 0u64;
    for _ in 0..deliveries {
        let Some(Reverse((t, h))) = heap.pop() else { break };
        checksum = checksum.wrapping_add(h);
        let to = (h + 1 + rng.below(hosts - 1)) % hosts;
        heap.push(Reverse((t + rng.between(1_000_000, 10_000_000), to)));
    }
    std::hint::black_box(checksum);
    deliveries
}
