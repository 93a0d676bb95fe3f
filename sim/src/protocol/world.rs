//! The read-only view of a run that checkers get after each step: every
//! process's state, disk, clocks, pause and pending timers, the network and
//! the history.

use super::ctx::{Cluster, Timers};
use super::state::ProcessState;
use super::Protocol;
use crate::clock::ClockReading;
use crate::disk::Disk;
use crate::history::History;
use crate::network::Network;
use crate::process::ProcessId;
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
    pub(crate) cluster: &'a Cluster,
    pub(crate) servers: &'a [ProcessState<P, P::Server>],
    pub(crate) clients: &'a [ProcessState<P, P::Client>],
    pub(crate) net: &'a Network,
    pub(crate) history: &'a History,
}

/// What a checker can read of any process, server or client.
pub struct ProcessView<'a, P: Protocol> {
    pub up: bool,
    /// Since when the process is paused, if it is.
    pub paused_since: Option<Time>,
    pub clock: ClockReading,
    pub timers: &'a Timers<P::Timer>,
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

    pub fn client_count(&self) -> u32 {
        self.clients.len() as u32
    }

    pub fn cluster(&self) -> &'a Cluster {
        self.cluster
    }

    /// The role of server `index`.
    pub fn role_of(&self, index: u32) -> Option<P::Role> {
        self.cluster.role(ProcessId::server(index))
    }

    /// The server's state, or `None` while it is down.
    pub fn server(&self, index: u32) -> Option<&'a P::Server> {
        self.servers[index as usize].state.as_ref()
    }

    /// The client's state, or `None` while it is down.
    pub fn client(&self, index: u32) -> Option<&'a P::Client> {
        self.clients[index as usize].state.as_ref()
    }

    /// Every server that is up, with its index.
    pub fn live_servers(&self) -> impl Iterator<Item = (u32, &'a P::Server)> + 'a {
        self.servers.iter().enumerate().filter_map(|(i, s)| s.state.as_ref().map(|st| (i as u32, st)))
    }

    pub fn is_up(&self, index: u32) -> bool {
        self.servers[index as usize].is_up()
    }

    pub fn is_paused(&self, index: u32) -> bool {
        self.servers[index as usize].is_paused()
    }

    pub fn disk(&self, index: u32) -> &'a Disk<P::DiskKey, P::DiskValue> {
        &self.servers[index as usize].disk
    }

    /// Any process: up or down, paused, its clocks and pending timers.
    pub fn process(&self, id: ProcessId) -> ProcessView<'a, P> {
        let (up, paused_since, clock, timers) = if id.is_server() {
            let p = &self.servers[id.index() as usize];
            (p.is_up(), p.paused_since, p.clock, &p.timers)
        } else {
            let p = &self.clients[id.index() as usize];
            (p.is_up(), p.paused_since, p.clock, &p.timers)
        };
        ProcessView { up, paused_since, clock: clock.read(self.now), timers }
    }

    /// A process's wall clock now.
    pub fn wall_clock(&self, id: ProcessId) -> Time {
        self.process(id).clock.wall
    }

    /// A process's monotonic clock now.
    pub fn monotonic_clock(&self, id: ProcessId) -> Time {
        self.process(id).clock.monotonic
    }

    pub fn network(&self) -> &'a Network {
        self.net
    }

    pub fn history(&self) -> &'a History {
        self.history
    }
}
