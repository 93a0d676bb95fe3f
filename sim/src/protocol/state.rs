//! A process as the engine holds it and a checker sees it: a server or a
//! client, its state while it is up, its disk, timers, random stream,
//! clocks, and whether it is paused.

use super::ctx::Timers;
use super::Protocol;
use crate::clock::Clock;
use crate::disk::Disk;
use crate::rng::Rng;
use crate::time::Time;

pub struct ProcessState<P: Protocol, S> {
    /// `None` while the process is down.
    pub(crate) state: Option<S>,
    /// Servers keep their durable state here; clients have an empty one.
    pub(crate) disk: Disk<P::DiskKey, P::DiskValue>,
    pub(crate) timers: Timers<P::Timer>,
    pub(crate) rng: Rng,
    pub(crate) clock: Clock,
    /// Since when the process is paused, if it is.
    pub(crate) paused_since: Option<Time>,
}

impl<P: Protocol, S> ProcessState<P, S> {
    pub(crate) fn new(rng: Rng) -> Self {
        ProcessState {
            state: None,
            disk: Disk::default(),
            timers: Timers::default(),
            rng,
            clock: Clock::exact(),
            paused_since: None,
        }
    }

    pub fn is_up(&self) -> bool {
        self.state.is_some()
    }

    pub fn is_paused(&self) -> bool {
        self.paused_since.is_some()
    }
}
