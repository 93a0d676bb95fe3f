//! A fault schedule read in time order, merged from sources that are each
//! in time order: a scenario's scripted faults, each kind of the nemesis
//! (drawn as they are read), the settle; or a repro's explicit list.

use crate::fault::{FaultAction, TimedFault};
use std::collections::BTreeMap;

/// Faults in time order, from one source.
pub type FaultSource = Box<dyn Iterator<Item = TimedFault>>;

/// Faults in time order, merged from sources that are each in time order;
/// at one instant, the earlier source first.
pub struct FaultStream {
    sources: Vec<std::iter::Peekable<FaultSource>>,
    /// The settle the stream holds, if any: known without drawing up to it.
    settle: Option<TimedFault>,
    /// Partition and degradation ids renumbered in time order, if asked.
    renumber: Option<Renumber>,
}

/// Scripted faults take their ids in the file's order and each nemesis
/// kind counts on from there, so a schedule read in time order could say
/// `partition #2` before `partition #1`. Renumbered, partitions (and,
/// apart, degradations) count up as they strike, and each heal (restore)
/// names the number its partition (degradation) was given.
#[derive(Default)]
struct Renumber {
    /// Original id -> number given, and the last number given.
    partitions: (BTreeMap<u32, u32>, u32),
    degradations: (BTreeMap<u32, u32>, u32),
}

impl Renumber {
    fn apply(&mut self, action: &mut FaultAction) {
        let open = |(ids, last): &mut (BTreeMap<u32, u32>, u32), id: &mut u32| {
            *last += 1;
            ids.insert(*id, *last);
            *id = *last;
        };
        let close = |(ids, _): &mut (BTreeMap<u32, u32>, u32), id: &mut u32| {
            if let Some(n) = ids.remove(id) {
                *id = n;
            }
        };
        match action {
            FaultAction::Partition { id, .. } => open(&mut self.partitions, id),
            FaultAction::Degrade { id, .. } => open(&mut self.degradations, id),
            FaultAction::Heal { id } => close(&mut self.partitions, id),
            FaultAction::Restore { id } => close(&mut self.degradations, id),
            _ => {}
        }
    }
}

impl FaultStream {
    pub fn merge(sources: Vec<FaultSource>) -> FaultStream {
        FaultStream {
            sources: sources.into_iter().map(Iterator::peekable).collect(),
            settle: None,
            renumber: None,
        }
    }

    /// The stream with partitions and degradations numbered in the order
    /// they strike (see [`Renumber`]).
    pub fn renumbered(mut self) -> FaultStream {
        self.renumber = Some(Renumber::default());
        self
    }

    /// An explicit schedule (a repro's), in time order; faults at one
    /// instant keep their order in the list.
    pub fn explicit(mut faults: Vec<TimedFault>) -> FaultStream {
        faults.sort_by_key(|f| f.at);
        let settle = faults.iter().find(|f| f.action == FaultAction::Settle).cloned();
        FaultStream { settle, ..FaultStream::merge(vec![Box::new(faults.into_iter())]) }
    }

    /// The stream with `settle` after every other source's faults of its
    /// instant.
    pub fn with_settle(mut self, settle: TimedFault) -> FaultStream {
        let source: FaultSource = Box::new(std::iter::once(settle.clone()));
        self.sources.push(source.peekable());
        self.settle = Some(settle);
        self
    }

    /// The stream's settle, if it has one.
    pub fn settle(&self) -> Option<&TimedFault> {
        self.settle.as_ref()
    }
}

impl Iterator for FaultStream {
    type Item = TimedFault;

    fn next(&mut self) -> Option<TimedFault> {
        let mut first: Option<(usize, crate::time::Time)> = None;
        for (i, source) in self.sources.iter_mut().enumerate() {
            if let Some(f) = source.peek() {
                if first.is_none_or(|(_, at)| f.at < at) {
                    first = Some((i, f.at));
                }
            }
        }
        let mut fault = self.sources[first?.0].next()?;
        if let Some(r) = &mut self.renumber {
            r.apply(&mut fault.action);
        }
        Some(fault)
    }
}
