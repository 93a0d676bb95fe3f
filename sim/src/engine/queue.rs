//! The event queue: a binary heap ordered by (time, insertion sequence).
//! Ties are broken by the order events were scheduled, never by addresses,
//! except for the events pushed "early" (starts and faults), which come
//! before every other event of their instant, in the order of their rank.

use crate::time::Time;
use std::cmp::Ordering;
use std::collections::BinaryHeap;

struct Entry<E> {
    /// Time in the high 64 bits, sequence in the low: one comparison.
    key: u128,
    event: E,
}

impl<E> PartialEq for Entry<E> {
    fn eq(&self, other: &Self) -> bool {
        self.key == other.key
    }
}
impl<E> Eq for Entry<E> {}
impl<E> PartialOrd for Entry<E> {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}
impl<E> Ord for Entry<E> {
    fn cmp(&self, other: &Self) -> Ordering {
        // BinaryHeap is a max-heap; the earliest key must come out first.
        other.key.cmp(&self.key)
    }
}

pub(crate) struct Queue<E> {
    heap: BinaryHeap<Entry<E>>,
    seq: u64,
    /// The sequence number of the event `pop` returned last (traces use
    /// it to follow a message from its send to its delivery).
    popped: u64,
}

/// Sequence numbers of ordinary events start here; ranks of early events
/// stay below.
const ORDINARY: u64 = 1 << 63;

impl<E> Queue<E> {
    pub fn new() -> Self {
        Queue { heap: BinaryHeap::with_capacity(1024), seq: ORDINARY, popped: 0 }
    }

    /// Schedules `event` before every ordinary event at `at`; early events
    /// of one instant come out by `rank`.
    pub fn push_early(&mut self, at: Time, rank: u64, event: E) {
        debug_assert!(rank < ORDINARY);
        let key = ((at.nanos() as u128) << 64) | rank.min(ORDINARY - 1) as u128;
        self.heap.push(Entry { key, event });
    }

    /// Queues `event` at `at`; returns its sequence number.
    #[inline]
    pub fn push(&mut self, at: Time, event: E) -> u64 {
        let seq = self.seq;
        let key = ((at.nanos() as u128) << 64) | seq as u128;
        self.seq += 1;
        self.heap.push(Entry { key, event });
        seq
    }

    /// The earliest event, with its time.
    #[inline]
    pub fn pop(&mut self) -> Option<(Time, E)> {
        let e = self.heap.pop()?;
        self.popped = e.key as u64;
        Some((Time((e.key >> 64) as u64), e.event))
    }

    /// The sequence number of the event popped last.
    pub fn popped(&self) -> u64 {
        self.popped
    }

    pub fn len(&self) -> usize {
        self.heap.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn orders_by_time_then_insertion() {
        let mut q = Queue::new();
        q.push(Time(5), "b");
        q.push(Time(1), "a");
        q.push(Time(5), "c");
        q.push(Time(0), "first");
        let order: Vec<_> = std::iter::from_fn(|| q.pop().map(|(_, e)| e)).collect();
        assert_eq!(order, vec!["first", "a", "b", "c"]);
    }

    #[test]
    fn early_events_come_first_in_their_instant() {
        let mut q = Queue::new();
        q.push(Time(5), "ordinary");
        q.push_early(Time(5), 2, "early 2");
        q.push_early(Time(5), 1, "early 1");
        q.push_early(Time(6), 0, "later");
        let order: Vec<_> = std::iter::from_fn(|| q.pop().map(|(_, e)| e)).collect();
        assert_eq!(order, vec!["early 1", "early 2", "ordinary", "later"]);
    }
}
