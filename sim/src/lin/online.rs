//! The online check: the frontier of possible linearizations, advanced as
//! each operation completes (Lowe's just-in-time linearization), so that a
//! run stops at the very step at which its history stopped being
//! linearizable.
//!
//! Per key, a configuration is a model state plus what is already decided
//! about pending operations:
//!
//! - `early`: pending operations already linearized (a write placed before
//!   a concurrent operation that needed it), with the state they saw, so
//!   that their output can be checked when they complete;
//! - `reads`: for each pending read-only operation, every state it could
//!   have observed since its invocation. Reads never branch the search:
//!   when one completes, it fits if its output matches any of them.
//!
//! When an operation completes, each configuration is extended in every way
//! that places it: right away, or after some pending operations (all
//! orders). Configurations are deduplicated. No configuration left means
//! the history is not linearizable, at this completion. The frontier is
//! bounded: past `limit` configurations the check gives up (`Overflow`) and
//! the caller falls back to the offline check at the end of the run.

use super::model::Model;
use super::verdict::Counterexample;
use crate::engine::StableHasher;
use crate::history::{EventKind, Value};
use std::hash::BuildHasherDefault;

#[allow(clippy::disallowed_types)] // membership only, fixed hasher
type Seen<T> = std::collections::HashSet<T, BuildHasherDefault<StableHasher>>;

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
struct Config<S> {
    state: S,
    /// Early-linearized pending operations: invocation position, and the
    /// state before them if their output is still to be checked.
    early: Vec<(u64, Option<S>)>,
    /// Pending read-only operations and the states they could have seen.
    reads: Vec<(u64, Vec<S>)>,
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
}

struct Pending<O> {
    call: u64,
    op: O,
    read_only: bool,
    /// The outcome is unknown (`info`): it may take effect at any time.
    info: bool,
}

struct KeyState<S, O> {
    key: Option<u64>,
    frontier: Vec<Config<S>>,
    pending: Vec<Pending<O>>,
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
                let init = Config { state: self.model.init(), early: Vec::new(), reads: Vec::new() };
                self.keys.push(KeyState { key, frontier: vec![init], pending: Vec::new() });
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
        ks.pending.push(Pending { call, op, read_only, info: false });
        self.key_of.push((call, k));
        Ok(())
    }

    /// The completion of the invocation at `call`.
    pub fn complete(&mut self, call: u64, kind: EventKind, output: &Value) -> Step {
        if self.overflowed {
            return Step::Consistent;
        }
        let Some(pos) = self.key_of.iter().position(|(c, _)| *c == call) else {
            return Step::Consistent; // not an operation of this model's history
        };
        let k = self.key_of[pos].1;
        if kind != EventKind::Info {
            self.key_of.swap_remove(pos);
        }
        let ks = &mut self.keys[k];
        let Some(p) = ks.pending.iter().position(|p| p.call == call) else { return Step::Consistent };
        match kind {
            EventKind::Fail => {
                // It did not happen: drop configurations that placed it. If
                // none is left, an operation that completed earlier relied on
                // its effect, and only now is that known to be impossible.
                let read_only = ks.pending.remove(p).read_only;
                let before: Vec<String> = ks.frontier.iter().map(|c| format!("{:?}", c.state)).collect();
                ks.frontier.retain(|c| !c.early.iter().any(|(e, _)| *e == call));
                if ks.frontier.is_empty() {
                    return Step::Violation(Counterexample {
                        key: ks.key,
                        prefix: Vec::new(),
                        state: before.join(" or "),
                        blocked: call,
                        candidates: ks.pending.iter().map(|q| q.call).collect(),
                    });
                }
                for c in &mut ks.frontier {
                    if read_only {
                        c.reads.retain(|(r, _)| *r != call);
                    }
                }
                dedup(&mut ks.frontier);
                Step::Consistent
            }
            EventKind::Info => {
                // It may take effect at any later time, or never.
                if ks.pending[p].read_only {
                    ks.pending.remove(p);
                    for c in &mut ks.frontier {
                        c.reads.retain(|(r, _)| *r != call);
                    }
                } else {
                    ks.pending[p].info = true;
                    for c in &mut ks.frontier {
                        for (e, before) in &mut c.early {
                            if *e == call {
                                *before = None;
                            }
                        }
                    }
                }
                dedup(&mut ks.frontier);
                Step::Consistent
            }
            EventKind::Ok => self.place(k, p, output),
            EventKind::Invoke => Step::Consistent,
        }
    }

    /// Places the completed operation `p` of key `k` in every configuration.
    fn place(&mut self, k: usize, p: usize, output: &Value) -> Step {
        let model = &self.model;
        let ks = &mut self.keys[k];
        let budget = self.limit.saturating_mul(16);
        let mut out: Vec<Config<M::State>> = Vec::new();
        let mut visited: Seen<Config<M::State>> = Seen::default();
        let mut explored = 0usize;
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
                // Or first place another pending operation that changes state.
                for q in &ks.pending {
                    if q.call == ks.pending[p].call
                        || q.read_only
                        || c.early.iter().any(|(e, _)| *e == q.call)
                    {
                        continue;
                    }
                    if let Some(next) = model.step(&c.state, &q.op, None) {
                        let mut moved = c.moved_to(next);
                        let before = (!q.info).then(|| c.state.clone());
                        moved.early.push((q.call, before));
                        moved.early.sort_by_key(|(e, _)| *e);
                        if visited.insert(moved.clone()) {
                            work.push(moved);
                        }
                    }
                }
            }
        }
        dedup(&mut out);
        let done = ks.pending.remove(p);
        if out.is_empty() {
            let mut states: Vec<String> = ks.frontier.iter().map(|c| format!("{:?}", c.state)).collect();
            states.dedup();
            return Step::Violation(Counterexample {
                key: ks.key,
                prefix: Vec::new(),
                state: states.join(" or "),
                blocked: done.call,
                candidates: ks.pending.iter().map(|q| q.call).collect(),
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
        let ok = match &c.early[i].1 {
            Some(before) => model.step(before, &p.op, Some(output)).is_some(),
            None => true,
        };
        ok.then(|| {
            let mut done = c.clone();
            done.early.remove(i);
            done
        })
    } else {
        model.step(&c.state, &p.op, Some(output)).map(|next| c.moved_to(next))
    }
}

fn dedup<S: Clone + Eq + std::hash::Hash>(configs: &mut Vec<Config<S>>) {
    let mut seen: Seen<Config<S>> = Seen::default();
    configs.retain(|c| seen.insert(c.clone()));
}
