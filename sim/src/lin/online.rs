//! The online check: the frontier of possible linearizations, advanced as
//! each operation completes (Lowe's just-in-time linearization), so that a
//! run stops at the very step at which its history stopped being
//! linearizable.
//!
//! Per key, a configuration is a model state plus what is already decided
//! about operations that have not completed:
//!
//! - `early`: pending operations already linearized (a write placed before
//!   a concurrent operation that needed it), with the state they saw, so
//!   that their output can be checked when they complete;
//! - `reads`: for each pending read-only operation, every state it could
//!   have observed since its invocation. Reads never branch the search:
//!   when one completes, it fits if its output matches any of them;
//! - `applied`: how many unknown-outcome (`info`) operations of each kind
//!   it applied. Two such operations that are the same operation (two
//!   `write 3` whose clients timed out) are interchangeable once both were
//!   invoked, so a multiset of kinds says all there is to say.
//!
//! When an operation completes, each configuration is extended in every way
//! that places it: right away, or after some pending operations (all
//! orders). Dominated configurations are dropped: with the same state and
//! early operations, one that applied fewer `info` operations and whose
//! pending reads could have seen more states can do everything the other
//! can. No configuration left means the history is not linearizable, at
//! this completion. The frontier is bounded: past `limit` configurations
//! the check gives up (`Overflow`) and the caller falls back to the offline
//! check at the end of the run.

use super::model::Model;
use super::verdict::Counterexample;
use crate::hash::StableHasher;
use crate::history::{EventKind, Value};
use std::hash::BuildHasherDefault;

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
struct Config<S> {
    state: S,
    /// Early-linearized pending operations (sorted by invocation
    /// position), with the state before them, to check their output.
    early: Vec<(u64, S)>,
    /// Pending read-only operations and the states they could have seen.
    reads: Vec<(u64, Vec<S>)>,
    /// Kinds of unknown-outcome operations applied, as a sorted multiset.
    applied: Vec<u32>,
}

impl<S: Clone + PartialEq> Config<S> {
    /// Applies a state change, which every pending read may have seen.
    fn moved_to(&self, state: S) -> Config<S> {
        let mut next = self.clone();
        for (_, seen) in &mut next.reads {
            if !seen.contains(&state) {
                seen.push(state.clone());
            }
        }
        next.state = state;
        next
    }

    fn applied_count(&self, kind: u32) -> u32 {
        let from = self.applied.partition_point(|k| *k < kind);
        self.applied[from..].iter().take_while(|k| **k == kind).count() as u32
    }

    fn add_applied(&mut self, kind: u32) {
        let at = self.applied.partition_point(|k| *k <= kind);
        self.applied.insert(at, kind);
    }
}

/// Configurations grouped by state and early-placed operations, each group
/// an antichain of the ones no other dominates. Lookups only, with a fixed
/// hasher: results never depend on iteration order.
#[allow(clippy::disallowed_types)]
type Groups<S> =
    std::collections::HashMap<(S, Vec<(u64, S)>), Vec<Config<S>>, BuildHasherDefault<StableHasher>>;

/// Whether sorted multiset `a` is contained in sorted multiset `b`.
fn submultiset(a: &[u32], b: &[u32]) -> bool {
    let mut j = 0;
    for x in a {
        while j < b.len() && b[j] < *x {
            j += 1;
        }
        if j == b.len() || b[j] != *x {
            return false;
        }
        j += 1;
    }
    true
}

/// Whether `a` can do everything `b` can (same state and early-placed
/// operations assumed): it applied no more unknown-outcome operations, and
/// each pending read could have seen at least the states it could in `b`.
fn dominates<S: PartialEq>(a: &Config<S>, b: &Config<S>) -> bool {
    submultiset(&a.applied, &b.applied)
        && a.reads.len() == b.reads.len()
        && a.reads
            .iter()
            .zip(&b.reads)
            .all(|((ra, sa), (rb, sb))| ra == rb && sb.iter().all(|x| sa.contains(x)))
}

/// Records `c` unless a recorded configuration dominates it (dropping those
/// it dominates); returns whether it was recorded.
fn admit<S: Clone + Eq + std::hash::Hash>(groups: &mut Groups<S>, c: &Config<S>) -> bool {
    let group = groups.entry((c.state.clone(), c.early.clone())).or_default();
    if group.iter().any(|g| dominates(g, c)) {
        return false;
    }
    group.retain(|g| !dominates(c, g));
    group.push(c.clone());
    true
}

/// Drops dominated configurations, keeping the others in order.
fn prune<S: Clone + Eq + std::hash::Hash>(configs: &mut Vec<Config<S>>) {
    let mut groups: Groups<S> = Groups::default();
    for c in configs.iter() {
        admit(&mut groups, c);
    }
    configs.retain(|c| {
        let group = groups.get_mut(&(c.state.clone(), c.early.clone())).expect("admitted above");
        match group.iter().position(|g| g == c) {
            Some(i) => {
                group.swap_remove(i);
                true
            }
            None => false,
        }
    });
}

/// An invoked operation that has not completed.
struct Pending<O> {
    call: u64,
    op: O,
    read_only: bool,
}

/// The unknown-outcome operations of one kind: one of them stands for all.
struct InfoKind<O> {
    repr: String,
    op: O,
    count: u32,
}

struct KeyState<S, O> {
    key: Option<u64>,
    frontier: Vec<Config<S>>,
    pending: Vec<Pending<O>>,
    info: Vec<InfoKind<O>>,
}

impl<S, O> KeyState<S, O> {
    fn candidates(&self) -> Vec<u64> {
        self.pending.iter().map(|q| q.call).collect()
    }
}

/// What one completion did to the check.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Step {
    Consistent,
    /// No linearization explains the history any more.
    Violation(Counterexample),
    /// The frontier grew past its limit; the online check stopped.
    Overflow,
}

pub struct Online<M: Model> {
    model: M,
    keys: Vec<KeyState<M::State, M::Op>>,
    /// Which key each pending invocation belongs to.
    key_of: Vec<(u64, usize)>,
    limit: usize,
    overflowed: bool,
    /// The largest frontier seen, for reports.
    pub peak: usize,
}

impl<M: Model> Online<M> {
    pub fn new(model: M, limit: usize) -> Online<M> {
        Online { model, keys: Vec::new(), key_of: Vec::new(), limit, overflowed: false, peak: 1 }
    }

    pub fn overflowed(&self) -> bool {
        self.overflowed
    }

    fn key_index(&mut self, key: Option<u64>) -> usize {
        match self.keys.iter().position(|k| k.key == key) {
            Some(i) => i,
            None => {
                let init = Config {
                    state: self.model.init(),
                    early: Vec::new(),
                    reads: Vec::new(),
                    applied: Vec::new(),
                };
                self.keys.push(KeyState { key, frontier: vec![init], pending: Vec::new(), info: Vec::new() });
                self.keys.len() - 1
            }
        }
    }

    /// An invocation at history position `call`.
    pub fn invoke(&mut self, call: u64, key: Option<u64>, f: &str, input: &Value) -> Result<(), String> {
        if self.overflowed {
            return Ok(());
        }
        let op = self.model.op(f, input)?;
        let k = self.key_index(key);
        let read_only = self.model.read_only(&op);
        let ks = &mut self.keys[k];
        if read_only {
            for c in &mut ks.frontier {
                c.reads.push((call, vec![c.state.clone()]));
            }
        }
        ks.pending.push(Pending { call, op, read_only });
        self.key_of.push((call, k));
        Ok(())
    }

    /// The completion of the invocation at `call`.
    pub fn complete(&mut self, call: u64, kind: EventKind, output: &Value) -> Step {
        if self.overflowed {
            return Step::Consistent;
        }
        let Some(pos) = self.key_of.iter().position(|(c, _)| *c == call) else {
            return Step::Consistent; // not an operation of this check
        };
        let k = self.key_of.swap_remove(pos).1;
        let ks = &mut self.keys[k];
        let Some(p) = ks.pending.iter().position(|p| p.call == call) else { return Step::Consistent };
        match kind {
            EventKind::Ok => self.place(k, p, output),
            EventKind::Fail => {
                // It did not happen: drop configurations that placed it. If
                // none is left, an operation that completed earlier relied on
                // its effect, and only now is that known to be impossible.
                let done = ks.pending.remove(p);
                let before: Vec<String> =
                    ks.frontier.iter().map(|c| self.model.show_state(&c.state)).collect();
                ks.frontier.retain(|c| !c.early.iter().any(|(e, _)| *e == call));
                if ks.frontier.is_empty() {
                    return Step::Violation(Counterexample {
                        key: ks.key,
                        prefix: Vec::new(),
                        state: before.join(" or "),
                        blocked: call,
                        candidates: ks.candidates(),
                    });
                }
                if done.read_only {
                    for c in &mut ks.frontier {
                        c.reads.retain(|(r, _)| *r != call);
                    }
                }
                prune(&mut ks.frontier);
                Step::Consistent
            }
            EventKind::Info => {
                // It may take effect at any later time, or never: it joins the
                // interchangeable operations of its kind.
                let done = ks.pending.remove(p);
                if done.read_only {
                    for c in &mut ks.frontier {
                        c.reads.retain(|(r, _)| *r != call);
                    }
                } else {
                    let repr = format!("{:?}", done.op);
                    let kind = match ks.info.iter().position(|i| i.repr == repr) {
                        Some(i) => i,
                        None => {
                            ks.info.push(InfoKind { repr, op: done.op, count: 0 });
                            ks.info.len() - 1
                        }
                    };
                    ks.info[kind].count += 1;
                    for c in &mut ks.frontier {
                        if let Some(i) = c.early.iter().position(|(e, _)| *e == call) {
                            c.early.remove(i);
                            c.add_applied(kind as u32);
                        }
                    }
                }
                prune(&mut ks.frontier);
                Step::Consistent
            }
            EventKind::Invoke => Step::Consistent,
        }
    }

    /// Places the completed operation `p` of key `k` in every configuration.
    fn place(&mut self, k: usize, p: usize, output: &Value) -> Step {
        let model = &self.model;
        let ks = &mut self.keys[k];
        let budget = self.limit.saturating_mul(8);
        let mut out: Vec<Config<M::State>> = Vec::new();
        let mut visited: Groups<M::State> = Groups::default();
        let mut explored = 0usize;
        let target = ks.pending[p].call;
        for c in &ks.frontier {
            let mut work = vec![c.clone()];
            while let Some(c) = work.pop() {
                explored += 1;
                if explored > budget {
                    self.overflowed = true;
                    return Step::Overflow;
                }
                if let Some(done) = fits(model, &ks.pending[p], &c, output) {
                    out.push(done);
                }
                // Or first place another pending operation that changes state...
                for q in &ks.pending {
                    if q.call == target || q.read_only || c.early.iter().any(|(e, _)| *e == q.call) {
                        continue;
                    }
                    if let Some(next) = model.step(&c.state, &q.op, None) {
                        let mut moved = c.moved_to(next);
                        let at = moved.early.partition_point(|(e, _)| *e < q.call);
                        moved.early.insert(at, (q.call, c.state.clone()));
                        if admit(&mut visited, &moved) {
                            work.push(moved);
                        }
                    }
                }
                // ...or one more unknown-outcome operation of some kind.
                for (kind, info) in ks.info.iter().enumerate() {
                    if c.applied_count(kind as u32) >= info.count {
                        continue;
                    }
                    if let Some(next) = model.step(&c.state, &info.op, None) {
                        let mut moved = c.moved_to(next);
                        moved.add_applied(kind as u32);
                        if admit(&mut visited, &moved) {
                            work.push(moved);
                        }
                    }
                }
            }
        }
        prune(&mut out);
        ks.pending.remove(p);
        if out.is_empty() {
            let mut states: Vec<String> =
                ks.frontier.iter().map(|c| self.model.show_state(&c.state)).collect();
            states.sort();
            states.dedup();
            return Step::Violation(Counterexample {
                key: ks.key,
                prefix: Vec::new(),
                state: states.join(" or "),
                blocked: target,
                candidates: ks.candidates(),
            });
        }
        ks.frontier = out;
        self.peak = self.peak.max(ks.frontier.len());
        if ks.frontier.len() > self.limit {
            self.overflowed = true;
            return Step::Overflow;
        }
        Step::Consistent
    }
}

/// `c` with the completed operation `p` placed, if it fits.
fn fits<M: Model>(
    model: &M,
    p: &Pending<M::Op>,
    c: &Config<M::State>,
    output: &Value,
) -> Option<Config<M::State>> {
    if p.read_only {
        let i = c.reads.iter().position(|(r, _)| *r == p.call)?;
        let seen = &c.reads[i].1;
        seen.iter().any(|s| model.step(s, &p.op, Some(output)).is_some()).then(|| {
            let mut done = c.clone();
            done.reads.remove(i);
            done
        })
    } else if let Some(i) = c.early.iter().position(|(e, _)| *e == p.call) {
        // Already placed: its output must fit the state it saw there.
        model.step(&c.early[i].1, &p.op, Some(output)).is_some().then(|| {
            let mut done = c.clone();
            done.early.remove(i);
            done
        })
    } else {
        model.step(&c.state, &p.op, Some(output)).map(|next| c.moved_to(next))
    }
}
