//! The read-only view of a run that checkers get after each step.

use super::ServerSlot;
use crate::disk::Disk;
use crate::history::History;
use crate::network::Network;
use crate::process::ProcessId;
use crate::protocol::Protocol;
use crate::time::Time;

/// An observation a process emitted during the step.
#[derive(Debug)]
pub struct Observed<O> {
    pub from: ProcessId,
    pub obs: O,
}

pub struct World<'a, P: Protocol> {
    pub(crate) now: Time,
    pub(crate) step: u64,
    pub(crate) servers: &'a [ServerSlot<P>],
    pub(crate) net: &'a Network,
    pub(crate) history: &'a History,
}

impl<'a, P: Protocol> World<'a, P> {
    /// The true virtual time.
    pub fn now(&self) -> Time {
        self.now
    }

    pub fn step(&self) -> u64 {
        self.step
    }

    pub fn server_count(&self) -> u32 {
        self.servers.len() as u32
    }

    /// The server's state, or `None` while it is down.
    pub fn server(&self, index: u32) -> Option<&'a P::Server> {
        self.servers[index as usize].state.as_ref()
    }

    /// Every server that is up, with its index.
    pub fn live_servers(&self) -> impl Iterator<Item = (u32, &'a P::Server)> + 'a {
        self.servers.iter().enumerate().filter_map(|(i, s)| s.state.as_ref().map(|st| (i as u32, st)))
    }

    pub fn is_up(&self, index: u32) -> bool {
        self.servers[index as usize].state.is_some()
    }

    pub fn is_paused(&self, index: u32) -> bool {
        self.servers[index as usize].paused
    }

    pub fn disk(&self, index: u32) -> &'a Disk<P::DiskKey, P::DiskValue> {
        &self.servers[index as usize].disk
    }

    pub fn network(&self) -> &'a Network {
        self.net
    }

    pub fn history(&self) -> &'a History {
        self.history
    }
}
