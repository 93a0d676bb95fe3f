//! The context a handler runs in: everything a node may do, and nothing more.
//!
//! A handler does not act on the world: it records what it wants done
//! (sends, timers, observations, a completion) in an outbox, and the engine
//! applies the outbox in order when the handler returns (after raft-rs's
//! `Ready` and stateright's `Out`). So a handler can be called alone in a
//! unit test ([`crate::testing`]), its effects inspected, and the same node
//! code could be driven by a real transport.
//!
//! The disk is the node's own: writes and syncs take effect at once (a
//! handler must read what it just wrote, and no crash can strike in the
//! middle of a handler, so applying them later would change nothing) and are
//! recorded in the outbox as well, for tests and traces.

use super::Protocol;
use crate::clock::Clock;
use crate::disk::Disk;
use crate::history::Completion;
use crate::network::Neighbours;
use crate::process::ProcessId;
use crate::rng::Rng;
use crate::time::{Span, Time};
use std::fmt;

/// One thing a handler asked for.
pub enum Effect<P: Protocol> {
    Send {
        to: ProcessId,
        msg: P::Message,
    },
    /// Fire `timer` once this process's monotonic clock has advanced by
    /// `after`; replaces a pending timer equal to it.
    SetTimer {
        timer: P::Timer,
        after: Span,
    },
    CancelTimer {
        timer: P::Timer,
    },
    /// A write (or removal) of `key` on the node's disk, not yet durable.
    DiskWrite {
        key: P::DiskKey,
    },
    /// Every earlier write is durable.
    DiskSync,
    Observe(P::Observation),
    /// The client's current operation ended.
    Complete(Completion),
}

impl<P: Protocol> fmt::Debug for Effect<P> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Effect::Send { to, msg } => write!(f, "send to {to}: {msg:?}"),
            Effect::SetTimer { timer, after } => write!(f, "set timer {timer:?} in {after}"),
            Effect::CancelTimer { timer } => write!(f, "cancel timer {timer:?}"),
            Effect::DiskWrite { key } => write!(f, "disk write {key:?}"),
            Effect::DiskSync => write!(f, "disk sync"),
            Effect::Observe(o) => write!(f, "observe {o:?}"),
            Effect::Complete(c) => write!(f, "complete {c:?}"),
        }
    }
}

impl<P: Protocol> Clone for Effect<P>
where
    P::Observation: Clone,
{
    fn clone(&self) -> Self {
        match self {
            Effect::Send { to, msg } => Effect::Send { to: *to, msg: msg.clone() },
            Effect::SetTimer { timer, after } => Effect::SetTimer { timer: timer.clone(), after: *after },
            Effect::CancelTimer { timer } => Effect::CancelTimer { timer: timer.clone() },
            Effect::DiskWrite { key } => Effect::DiskWrite { key: key.clone() },
            Effect::DiskSync => Effect::DiskSync,
            Effect::Observe(o) => Effect::Observe(o.clone()),
            Effect::Complete(c) => Effect::Complete(c.clone()),
        }
    }
}

/// A pending timer: its value, the id of its scheduled event, and when it
/// is due on the owner's monotonic clock.
#[derive(Clone, Debug)]
pub struct PendingTimer<T> {
    pub timer: T,
    pub(crate) id: u64,
    pub due: Time,
}

/// A process's pending timers: at most one per distinct timer value.
/// Setting a timer again replaces it; the old event finds its id gone and
/// is skipped.
#[derive(Clone, Debug)]
pub struct Timers<T> {
    entries: Vec<PendingTimer<T>>,
}

impl<T> Default for Timers<T> {
    fn default() -> Self {
        Timers { entries: Vec::new() }
    }
}

impl<T: PartialEq> Timers<T> {
    pub(crate) fn set(&mut self, timer: T, id: u64, due: Time) {
        match self.entries.iter_mut().find(|e| e.timer == timer) {
            Some(entry) => {
                entry.id = id;
                entry.due = due;
            }
            None => self.entries.push(PendingTimer { timer, id, due }),
        }
    }
    pub(crate) fn cancel(&mut self, timer: &T) {
        self.entries.retain(|e| e.timer != *timer);
    }
    pub fn contains(&self, timer: &T) -> bool {
        self.entries.iter().any(|e| e.timer == *timer)
    }
    /// Takes the timer whose event carries `id`, if it is still current.
    pub(crate) fn fire(&mut self, id: u64) -> Option<T> {
        let pos = self.entries.iter().position(|e| e.id == id)?;
        Some(self.entries.swap_remove(pos).timer)
    }
    pub(crate) fn clear(&mut self) {
        self.entries.clear();
    }
    pub fn iter(&self) -> impl Iterator<Item = &PendingTimer<T>> {
        self.entries.iter()
    }
    pub(crate) fn iter_mut(&mut self) -> impl Iterator<Item = &mut PendingTimer<T>> {
        self.entries.iter_mut()
    }
    pub fn len(&self) -> usize {
        self.entries.len()
    }
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }
}

/// What a process knows of the cluster it runs in.
#[derive(Clone, Debug)]
pub struct Cluster {
    pub(crate) servers: u32,
    /// The role of each server, as an index into the protocol's roles.
    pub(crate) roles: Vec<u8>,
    /// The first server of each role, and one past the last.
    pub(crate) role_ranges: Vec<std::ops::Range<u32>>,
}

impl Cluster {
    /// A cluster whose servers all have the protocol's first role.
    pub fn uniform(servers: u32) -> Cluster {
        Cluster::from_layout(&[(0, servers)], 1)
    }

    /// Servers by role, numbered in the order the layout gives:
    /// `(role, count)` pairs, `role` an index into the protocol's roles.
    /// Each role appears once.
    pub fn from_layout(layout: &[(usize, u32)], role_count: usize) -> Cluster {
        let mut roles = Vec::new();
        let mut role_ranges = vec![0..0; role_count];
        let mut next = 0;
        for &(role, count) in layout {
            role_ranges[role] = next..next + count;
            roles.extend(std::iter::repeat_n(role as u8, count as usize));
            next += count;
        }
        Cluster { servers: next, roles, role_ranges }
    }

    pub fn servers(&self) -> u32 {
        self.servers
    }

    /// The index of a server's role among the protocol's roles.
    pub fn role_index(&self, server: u32) -> usize {
        self.roles.get(server as usize).map_or(0, |r| *r as usize)
    }

    /// The role of `id` among the protocol's roles `R` (`None` for a
    /// client or a server the cluster does not have).
    pub fn role<R: crate::role::RoleSet>(&self, id: ProcessId) -> Option<R> {
        let role = *self.roles.get(id.index() as usize).filter(|_| id.is_server())?;
        R::ALL.get(role as usize).copied()
    }

    /// The servers of role `index`.
    pub fn members_of(&self, index: usize) -> impl Iterator<Item = ProcessId> + '_ {
        self.role_ranges.get(index).cloned().unwrap_or(0..0).map(ProcessId::server)
    }

    pub fn count_of(&self, index: usize) -> u32 {
        self.role_ranges.get(index).map_or(0, |r| r.end - r.start)
    }
}

/// Where a handler runs: one process, at one instant.
pub struct Ctx<'a, P: Protocol> {
    pub(crate) me: ProcessId,
    pub(crate) now: Time,
    pub(crate) clock: &'a Clock,
    pub(crate) cluster: &'a Cluster,
    pub(crate) neighbours: Neighbours<'a>,
    pub(crate) rng: &'a mut Rng,
    pub(crate) timers: &'a Timers<P::Timer>,
    pub(crate) disk: Option<&'a mut Disk<P::DiskKey, P::DiskValue>>,
    pub(crate) out: &'a mut Vec<Effect<P>>,
}

impl<'a, P: Protocol> Ctx<'a, P> {
    /// This process.
    pub fn me(&self) -> ProcessId {
        self.me
    }

    /// This process's wall clock: the true time plus its skew and drift. It
    /// may jump (by at most the scenario's skew bound) when a clock fault
    /// strikes.
    pub fn now(&self) -> Time {
        self.clock.wall(self.now)
    }

    /// This process's monotonic clock: it drifts with the wall clock but
    /// never jumps. Measure leases and timeouts with it.
    pub fn monotonic(&self) -> Time {
        self.clock.monotonic(self.now)
    }

    /// How many servers the cluster has (`n0` .. `n{servers-1}`).
    pub fn servers(&self) -> u32 {
        self.cluster.servers
    }

    /// The cluster: servers and their roles.
    pub fn cluster(&self) -> &Cluster {
        self.cluster
    }

    /// The role of `id` (`None` for a client: clients have none of the
    /// protocol's roles).
    pub fn role_of(&self, id: ProcessId) -> Option<P::Role> {
        self.cluster.role(id)
    }

    /// The servers of `role`, in order.
    pub fn members(&self, role: P::Role) -> impl Iterator<Item = ProcessId> + 'a {
        let cluster: &'a Cluster = self.cluster;
        cluster.members_of(crate::named::NamedSet::index(role))
    }

    /// The servers this process has a direct link to, in order.
    pub fn neighbours(&self) -> Neighbours<'a> {
        self.neighbours
    }

    /// This process's own random stream.
    pub fn rng(&mut self) -> &mut Rng {
        self.rng
    }

    /// Sends a message; the network decides whether, when and how often it
    /// arrives.
    pub fn send(&mut self, to: ProcessId, msg: P::Message) {
        self.out.push(Effect::Send { to, msg });
    }

    /// Sends a copy of `msg` to each of the given processes.
    pub fn send_all(&mut self, to: &[ProcessId], msg: &P::Message) {
        for &p in to {
            self.send(p, msg.clone());
        }
    }

    /// Fires `timer` after `after` has passed on this process's monotonic
    /// clock. A timer equal to one already pending replaces it.
    pub fn set_timer(&mut self, timer: P::Timer, after: Span) {
        self.out.push(Effect::SetTimer { timer, after });
    }

    pub fn cancel_timer(&mut self, timer: &P::Timer) {
        self.out.push(Effect::CancelTimer { timer: timer.clone() });
    }

    /// Whether `timer` is pending, counting what this handler set and
    /// cancelled so far.
    pub fn timer_pending(&self, timer: &P::Timer) -> bool {
        for effect in self.out.iter().rev() {
            match effect {
                Effect::SetTimer { timer: t, .. } if t == timer => return true,
                Effect::CancelTimer { timer: t } if t == timer => return false,
                _ => {}
            }
        }
        self.timers.contains(timer)
    }

    /// The node's disk. Clients have none.
    pub fn disk(&mut self) -> DiskHandle<'_, P> {
        match self.disk.as_deref_mut() {
            Some(disk) => DiskHandle { disk, out: self.out },
            None => panic!("{} is a client and has no disk", self.me),
        }
    }

    /// Emits an observation for the protocol's checker.
    pub fn observe(&mut self, obs: P::Observation) {
        self.out.push(Effect::Observe(obs));
    }

    /// Ends the client's current operation.
    pub fn complete(&mut self, outcome: Completion) {
        if self.me.is_server() {
            panic!("{} is a server and has no operation to complete", self.me);
        }
        self.out.push(Effect::Complete(outcome));
    }
}

/// A node's disk as a handler sees it: reads go straight to the disk;
/// writes and syncs also go to the outbox.
pub struct DiskHandle<'c, P: Protocol> {
    disk: &'c mut Disk<P::DiskKey, P::DiskValue>,
    out: &'c mut Vec<Effect<P>>,
}

impl<P: Protocol> DiskHandle<'_, P> {
    pub fn put(&mut self, key: P::DiskKey, value: P::DiskValue) {
        self.out.push(Effect::DiskWrite { key: key.clone() });
        self.disk.put(key, value);
    }

    pub fn remove(&mut self, key: P::DiskKey) {
        self.out.push(Effect::DiskWrite { key: key.clone() });
        self.disk.remove(key);
    }

    /// Makes every earlier write durable.
    pub fn sync(&mut self) {
        self.out.push(Effect::DiskSync);
        self.disk.sync();
    }
}

impl<P: Protocol> std::ops::Deref for DiskHandle<'_, P> {
    type Target = Disk<P::DiskKey, P::DiskValue>;
    fn deref(&self) -> &Self::Target {
        self.disk
    }
}
