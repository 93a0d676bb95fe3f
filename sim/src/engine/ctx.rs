//! The context a handler runs in: everything a node may do, and nothing more.

use super::{Event, Io, Observed};
use crate::clock::Clock;
use crate::disk::Disk;
use crate::history::Completion;
use crate::network::Route;
use crate::process::ProcessId;
use crate::protocol::Protocol;
use crate::rng::Rng;
use crate::time::Time;

/// A process's pending timers: at most one per distinct timer value, each
/// with the id of its scheduled event. Setting a timer again replaces it;
/// the old event finds its id gone and is skipped.
pub(crate) struct Timers<T> {
    entries: Vec<(T, u64)>,
}

impl<T: PartialEq> Timers<T> {
    pub fn new() -> Self {
        Timers { entries: Vec::new() }
    }
    fn set(&mut self, timer: T, id: u64) {
        match self.entries.iter_mut().find(|(t, _)| *t == timer) {
            Some(entry) => entry.1 = id,
            None => self.entries.push((timer, id)),
        }
    }
    fn cancel(&mut self, timer: &T) {
        self.entries.retain(|(t, _)| t != timer);
    }
    fn contains(&self, timer: &T) -> bool {
        self.entries.iter().any(|(t, _)| t == timer)
    }
    /// Takes the timer whose event carries `id`, if it is still current.
    pub fn fire(&mut self, id: u64) -> Option<T> {
        let pos = self.entries.iter().position(|(_, i)| *i == id)?;
        Some(self.entries.swap_remove(pos).0)
    }
    pub fn clear(&mut self) {
        self.entries.clear();
    }
}

pub struct Ctx<'a, P: Protocol> {
    pub(crate) me: ProcessId,
    pub(crate) now: Time,
    pub(crate) clock: Clock,
    pub(crate) rng: &'a mut Rng,
    pub(crate) timers: &'a mut Timers<P::Timer>,
    pub(crate) disk: Option<&'a mut Disk<P::DiskKey, P::DiskValue>>,
    pub(crate) obs: &'a mut Vec<Observed<P::Observation>>,
    pub(crate) completion: Option<&'a mut Option<Completion>>,
    pub(crate) io: &'a mut Io<P>,
}

impl<'a, P: Protocol> Ctx<'a, P> {
    /// This process.
    pub fn me(&self) -> ProcessId {
        self.me
    }

    /// This process's clock: the true time plus its skew and drift.
    pub fn now(&self) -> Time {
        self.clock.local(self.now)
    }

    /// How many servers the cluster has (`n0` .. `n{servers-1}`).
    pub fn servers(&self) -> u32 {
        self.io.net.servers()
    }

    /// The servers this process has a direct link to.
    pub fn neighbours(&self) -> &[ProcessId] {
        self.io.net.neighbours(self.me)
    }

    /// This process's own random stream.
    pub fn rng(&mut self) -> &mut Rng {
        self.rng
    }

    /// Sends a message; the network decides whether, when and how often it
    /// arrives.
    pub fn send(&mut self, to: ProcessId, msg: P::Message) {
        let io = &mut *self.io;
        if let Route::Deliver { delay, duplicate } = io.net.route(&mut io.net_rng, self.me, to) {
            let (from, sent_at) = (self.me, self.now);
            if let Some(extra) = duplicate {
                let copy = Event::Deliver { to, from, sent_at, msg: msg.clone() };
                io.queue.push(self.now + extra, copy);
            }
            io.queue.push(self.now + delay, Event::Deliver { to, from, sent_at, msg });
        }
    }

    /// Sends a copy of `msg` to each of the given processes.
    pub fn send_all(&mut self, to: &[ProcessId], msg: &P::Message) {
        for &p in to {
            self.send(p, msg.clone());
        }
    }

    /// Fires `timer` after `after` has passed on this process's clock. A
    /// timer equal to one already pending replaces it.
    pub fn set_timer(&mut self, timer: P::Timer, after: Time) {
        let id = self.io.next_timer;
        self.io.next_timer += 1;
        self.timers.set(timer, id);
        let at = self.now + self.clock.real_delay(after);
        self.io.queue.push(at, Event::Timer { owner: self.me, id });
    }

    pub fn cancel_timer(&mut self, timer: &P::Timer) {
        self.timers.cancel(timer);
    }

    pub fn timer_pending(&self, timer: &P::Timer) -> bool {
        self.timers.contains(timer)
    }

    /// The server's disk. Clients have none.
    pub fn disk(&mut self) -> &mut Disk<P::DiskKey, P::DiskValue> {
        match self.disk.as_deref_mut() {
            Some(d) => d,
            None => panic!("{} is a client and has no disk", self.me),
        }
    }

    /// Emits an observation for the protocol's checker.
    pub fn observe(&mut self, obs: P::Observation) {
        self.obs.push(Observed { from: self.me, obs });
    }

    /// Ends the client's current operation.
    pub fn complete(&mut self, outcome: Completion) {
        match self.completion.as_deref_mut() {
            Some(slot) => *slot = Some(outcome),
            None => panic!("{} is a server and has no operation to complete", self.me),
        }
    }
}
