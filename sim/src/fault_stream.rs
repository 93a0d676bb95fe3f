//! A fault schedule read in time order, merged from sources that are each
//! in time order: a scenario's scripted faults, each kind of the nemesis
//! (drawn as they are read), the settle; or a repro's explicit list.

use crate::fault::{FaultAction, TimedFault};

/// Faults in time order, from one source.
pub type FaultSource = Box<dyn Iterator<Item = TimedFault>>;

/// Faults in time order, merged from sources that are each in time order;
/// at one instant, the earlier source first.
pub struct FaultStream {
    sources: Vec<std::iter::Peekable<FaultSource>>,
    /// The settle the stream holds, if any: known without drawing up to it.
    settle: Option<TimedFault>,
}

impl FaultStream {
    pub fn merge(sources: Vec<FaultSource>) -> FaultStream {
        FaultStream { sources: sources.into_iter().map(Iterator::peekable).collect(), settle: None }
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
        self.sources[first?.0].next()
    }
}
