//! The nemesis's faults for one seed, drawn as the run reaches them.
//!
//! Each kind is an iterator over its faults in time order. A kind draws one
//! fault ahead; a fault that is undone later (a crash's restart, a
//! partition's heal) waits in a small ordered set until its time. Memory is
//! what is still to be undone, never the whole schedule, so a six-hour run
//! with a fault every millisecond starts at once.
//!
//! The draws are exactly those of drawing the whole schedule up front: same
//! streams, same order of draws, same ties (a kind's faults at one instant
//! in the order they were drawn). Partitions and degradations draw their
//! episode times first and their shapes after, from one stream; to keep
//! that, the shapes come from a copy of the stream advanced past every
//! episode time (at most ten million of them), which costs time once per
//! run but no memory.

use super::{DegradeNemesis, NemesisPlan, PartitionKind};
use crate::fault::{FaultAction, Source, TimedFault};
use crate::fault_stream::FaultSource;
use crate::network::{LinkOverride, Partition};
use crate::process::ProcessId;
use crate::rng::{Rng, Stream};
use crate::time::{DurationRange, Span, Time};
use std::collections::BTreeMap;

fn span(rng: &mut Rng, r: DurationRange) -> Span {
    Span(rng.between(r.min.nanos(), r.max.nanos()))
}

impl NemesisPlan {
    /// The plan's kinds for one seed, each drawing its faults in `[0, end)`
    /// lazily, in the order ties between kinds are broken: crash, pause,
    /// partition, clock, degrade. `members` gives the processes of a role
    /// (`None`: every server); `everyone` is every process. Partition and
    /// degradation ids count from `first_id`, each kind on its own (the
    /// network keeps partitions and degradations apart).
    pub fn draws(
        &self,
        members: &dyn Fn(Option<&str>) -> Vec<ProcessId>,
        everyone: &[ProcessId],
        end: Time,
        seed: u64,
        first_id: u32,
    ) -> Vec<FaultSource> {
        let minority = |n: usize| ((n.saturating_sub(1)) / 2).max(1) as u32;
        let mut kinds: Vec<FaultSource> = Vec::new();
        if let Some(c) = &self.crash {
            let targets = members(c.role.as_deref());
            let at_most = c.max_down.unwrap_or(minority(targets.len()));
            let outages =
                Outages::new(Rng::new(seed, Stream::Nemesis(0)), c.every, c.down, at_most, targets, end);
            let crash = |node| FaultAction::Crash { node };
            let restart = |node| FaultAction::Restart { node };
            kinds.push(Box::new(InOrder::new(OutageFaults { outages, take: crash, give: restart }, end)));
        }
        if let Some(p) = &self.pause {
            let targets = members(p.role.as_deref());
            let at_most = p.max_paused.unwrap_or(minority(targets.len()));
            let outages =
                Outages::new(Rng::new(seed, Stream::Nemesis(1)), p.every, p.duration, at_most, targets, end);
            let pause = |node| FaultAction::Pause { node };
            let resume = |node| FaultAction::Resume { node };
            kinds.push(Box::new(InOrder::new(OutageFaults { outages, take: pause, give: resume }, end)));
        }
        if let Some(p) = &self.partition {
            let (episodes, shapes) =
                Episodes::with_shapes(Rng::new(seed, Stream::Nemesis(2)), p.every, p.duration, end);
            let targets = members(p.role.as_deref());
            let others = everyone.iter().copied().filter(|x| !targets.contains(x)).collect();
            let kinds_drawn = p.kinds.clone().unwrap_or(PartitionKind::ALL.to_vec());
            let draw =
                Partitions { episodes, shapes, kinds: kinds_drawn, targets, others, next_id: first_id };
            kinds.push(Box::new(InOrder::new(draw, end)));
        }
        if let Some(c) = &self.clock {
            let targets = members(c.role.as_deref());
            let state = vec![(0, 0, Time::ZERO); targets.len()];
            let draw = Clocks {
                rng: Rng::new(seed, Stream::Nemesis(3)),
                every: c.every,
                max: c.max_skew.0.nanos() as i64,
                max_drift_ppm: c.max_drift_ppm as i64,
                targets,
                state,
                t: Time::ZERO,
                end,
            };
            kinds.push(Box::new(InOrder::new(draw, end)));
        }
        if let Some(d) = &self.degrade {
            let (episodes, shapes) =
                Episodes::with_shapes(Rng::new(seed, Stream::Nemesis(4)), d.every, d.duration, end);
            let draw = Degradations {
                episodes,
                shapes,
                servers: members(None),
                change: d.change(),
                next_id: first_id,
            };
            kinds.push(Box::new(InOrder::new(draw, end)));
        }
        kinds
    }
}

impl DegradeNemesis {
    fn change(&self) -> LinkOverride {
        LinkOverride {
            latency: self.latency.map(|l| l.0),
            drop_ppm: self.drop.map(|p| p.0),
            duplicate_ppm: self.duplicate.map(|p| p.0),
            reorder_ppm: self.reorder.map(|p| p.0),
            tail: self.tail,
        }
    }
}

/// A fault a kind drew, and its undoing if the kind undoes it.
struct Drawn {
    at: Time,
    action: FaultAction,
    undo: Option<(Time, FaultAction)>,
}

/// A kind's source of faults, in the order of their start times.
trait Draw {
    /// The next fault, or `None` once the next would start at or after the
    /// end.
    fn draw(&mut self) -> Option<Drawn>;
}

/// A kind's faults and their undoings merged in time order.
struct InOrder<D> {
    draw: D,
    end: Time,
    /// The next fault drawn, not yet given out, with its draw number.
    ahead: Option<(Time, u64, FaultAction)>,
    /// Undoings waiting for their time, by (time, draw number).
    waiting: BTreeMap<(Time, u64), FaultAction>,
    drawn: u64,
    exhausted: bool,
}

impl<D: Draw> InOrder<D> {
    fn new(draw: D, end: Time) -> Self {
        InOrder { draw, end, ahead: None, waiting: BTreeMap::new(), drawn: 0, exhausted: false }
    }
}

impl<D: Draw> Iterator for InOrder<D> {
    type Item = TimedFault;

    fn next(&mut self) -> Option<TimedFault> {
        if self.ahead.is_none() && !self.exhausted {
            match self.draw.draw() {
                Some(d) => {
                    let n = self.drawn;
                    self.drawn += 2;
                    if let Some((at, undo)) = d.undo.filter(|(at, _)| *at < self.end) {
                        self.waiting.insert((at, n + 1), undo);
                    }
                    self.ahead = Some((d.at, n, d.action));
                }
                None => self.exhausted = true,
            }
        }
        // Everything drawn later starts after `ahead`: a waiting undoing
        // that comes first can go now.
        let undo_first = match (self.waiting.first_key_value(), &self.ahead) {
            (Some((key, _)), Some((at, n, _))) => *key < (*at, *n),
            (waiting, _) => waiting.is_some(),
        };
        let (at, action) = if undo_first {
            let ((at, _), action) = self.waiting.pop_first()?;
            (at, action)
        } else {
            let (at, _, action) = self.ahead.take()?;
            (at, action)
        };
        Some(TimedFault { at, action, source: Source::Nemesis })
    }
}

/// Processes taken out (crashed or paused) for a while, at most `at_most`
/// at a time: one every `every`, for `length`.
struct Outages {
    rng: Rng,
    every: DurationRange,
    length: DurationRange,
    at_most: u32,
    targets: Vec<ProcessId>,
    back_at: Vec<Time>,
    t: Time,
    end: Time,
}

impl Outages {
    fn new(
        rng: Rng,
        every: DurationRange,
        length: DurationRange,
        at_most: u32,
        targets: Vec<ProcessId>,
        end: Time,
    ) -> Self {
        let back_at = vec![Time::ZERO; targets.len()];
        Outages { rng, every, length, at_most, targets, back_at, t: Time::ZERO, end }
    }

    /// `(start, process, back)` of the next outage that starts before the
    /// end.
    fn next(&mut self) -> Option<(Time, ProcessId, Time)> {
        loop {
            self.t = self.t + span(&mut self.rng, self.every).max(Span(1));
            if self.t >= self.end {
                return None;
            }
            let t = self.t;
            let is_available = |i: &usize| self.back_at[*i] <= t;
            let available = (0..self.targets.len()).filter(is_available).count();
            if available == 0 || (self.targets.len() - available) as u32 >= self.at_most {
                continue;
            }
            let nth = self.rng.index(available);
            let i = (0..self.targets.len()).filter(is_available).nth(nth).expect("counted");
            let back = t + span(&mut self.rng, self.length);
            self.back_at[i] = back;
            return Some((t, self.targets[i], back));
        }
    }
}

struct OutageFaults<T, G> {
    outages: Outages,
    take: T,
    give: G,
}

impl<T: Fn(ProcessId) -> FaultAction, G: Fn(ProcessId) -> FaultAction> Draw for OutageFaults<T, G> {
    fn draw(&mut self) -> Option<Drawn> {
        let (at, node, back) = self.outages.next()?;
        Some(Drawn { at, action: (self.take)(node), undo: Some((back, (self.give)(node))) })
    }
}

/// Episode times skipped before shapes are drawn, at most: far more than a
/// run can strike (`[limits] max_faults`, a million by default), and a
/// bound on the time a run takes to start, whatever its duration.
const SKIPPED_AT_MOST: u32 = 10_000_000;

/// Episodes that never overlap, as `(start, end)`: each starts `every`
/// after the previous one ended and lasts `length`. Only episodes that start
/// before `end` are drawn.
struct Episodes {
    rng: Rng,
    every: DurationRange,
    length: DurationRange,
    t: Time,
    end: Time,
}

impl Episodes {
    /// The episodes, and the stream their shapes are drawn from: the same
    /// stream, advanced past every episode time, or past the first
    /// [`SKIPPED_AT_MOST`] of them.
    fn with_shapes(rng: Rng, every: DurationRange, length: DurationRange, end: Time) -> (Episodes, Rng) {
        let mut skipped = Episodes { rng: rng.clone(), every, length, t: Time::ZERO, end };
        for _ in 0..SKIPPED_AT_MOST {
            if skipped.next().is_none() {
                break;
            }
        }
        (Episodes { rng, every, length, t: Time::ZERO, end }, skipped.rng)
    }
}

impl Iterator for Episodes {
    type Item = (Time, Time);

    fn next(&mut self) -> Option<(Time, Time)> {
        self.t = self.t + span(&mut self.rng, self.every).max(Span(1));
        if self.t >= self.end {
            return None;
        }
        let start = self.t;
        self.t = start + span(&mut self.rng, self.length);
        Some((start, self.t))
    }
}

struct Partitions {
    episodes: Episodes,
    shapes: Rng,
    kinds: Vec<PartitionKind>,
    targets: Vec<ProcessId>,
    others: Vec<ProcessId>,
    next_id: u32,
}

impl Draw for Partitions {
    fn draw(&mut self) -> Option<Drawn> {
        let (at, until) = self.episodes.next()?;
        let kind = self.kinds[self.shapes.index(self.kinds.len())];
        let partition = Partition::random_among(kind.name(), &self.targets, &self.others, &mut self.shapes);
        let id = self.next_id;
        self.next_id += 1;
        Some(Drawn {
            at,
            action: FaultAction::Partition { id, partition },
            undo: Some((until, FaultAction::Heal { id })),
        })
    }
}

struct Degradations {
    episodes: Episodes,
    shapes: Rng,
    servers: Vec<ProcessId>,
    change: LinkOverride,
    next_id: u32,
}

impl Draw for Degradations {
    fn draw(&mut self) -> Option<Drawn> {
        let (at, until) = self.episodes.next()?;
        // Half the time one node's links, half the time all links.
        let nodes =
            self.shapes.chance(500_000).then(|| vec![self.servers[self.shapes.index(self.servers.len())]]);
        let id = self.next_id;
        self.next_id += 1;
        let action = FaultAction::Degrade { id, nodes, change: self.change };
        Some(Drawn { at, action, undo: Some((until, FaultAction::Restore { id })) })
    }
}

/// Clock changes: each target's clock as the nemesis left it is (offset at
/// the last change, drift since, when). The next offset is drawn within
/// `max` of the current one (no jump beyond the skew bound) and within `max`
/// of the true time.
struct Clocks {
    rng: Rng,
    every: DurationRange,
    max: i64,
    max_drift_ppm: i64,
    targets: Vec<ProcessId>,
    state: Vec<(i64, i64, Time)>,
    t: Time,
    end: Time,
}

impl Draw for Clocks {
    fn draw(&mut self) -> Option<Drawn> {
        let max = self.max;
        self.t = self.t + span(&mut self.rng, self.every).max(Span(1));
        if self.t >= self.end || self.targets.is_empty() {
            return None;
        }
        let t = self.t;
        let i = self.rng.index(self.targets.len());
        let (offset, drift, since) = self.state[i];
        let elapsed = (t - since).nanos() as i128;
        let current = (offset as i128 + elapsed * drift as i128 / 1_000_000)
            .clamp(i64::MIN as i128 / 4, i64::MAX as i128 / 4) as i64;
        let (lo, hi) = ((current - max).max(-max), (current + max).min(max));
        // A clock that drifted far out comes back by at most max.
        let (lo, hi) = match (lo <= hi, current > 0) {
            (true, _) => (lo, hi),
            (false, true) => (current - max, current - max),
            (false, false) => (current + max, current + max),
        };
        let skew_ns = lo + self.rng.between(0, (hi - lo) as u64) as i64;
        let d = self.max_drift_ppm;
        let drift_ppm = self.rng.between(0, 2 * d as u64) as i64 - d;
        self.state[i] = (skew_ns, drift_ppm, t);
        Some(Drawn {
            at: t,
            action: FaultAction::Clock { node: self.targets[i], skew_ns, drift_ppm },
            undo: None,
        })
    }
}
