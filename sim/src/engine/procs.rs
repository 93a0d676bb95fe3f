//! Processes as the engine holds them: a server or a client, its state
//! while it is up, its disk, timers, random stream, clocks, and what waits
//! for it while it is paused.

use super::ctx::Timers;
use super::Event;
use crate::clock::Clock;
use crate::disk::Disk;
use crate::protocol::Protocol;
use crate::rng::Rng;
use crate::time::Time;

pub(crate) struct Proc<P: Protocol, S> {
    /// `None` while the process is down.
    pub state: Option<S>,
    /// Servers keep their durable state here; clients have an empty one.
    pub disk: Disk<P::DiskKey, P::DiskValue>,
    pub timers: Timers<P::Timer>,
    pub rng: Rng,
    pub clock: Clock,
    /// Since when the process is paused, if it is.
    pub paused_since: Option<Time>,
    /// Events that arrived while paused, in arrival order.
    pub deferred: Vec<Event<P>>,
}

impl<P: Protocol, S> Proc<P, S> {
    pub fn new(rng: Rng) -> Self {
        Proc {
            state: None,
            disk: Disk::default(),
            timers: Timers::default(),
            rng,
            clock: Clock::exact(),
            paused_since: None,
            deferred: Vec::new(),
        }
    }

    pub fn is_up(&self) -> bool {
        self.state.is_some()
    }

    pub fn is_paused(&self) -> bool {
        self.paused_since.is_some()
    }
}

/// A client's place in the workload: the operation in progress.
#[derive(Clone, Copy, Default)]
pub(crate) struct ClientOps {
    /// The history position of the operation in progress.
    pub pending: Option<u32>,
}
