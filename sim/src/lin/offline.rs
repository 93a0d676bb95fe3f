//! The offline check: Wing and Gong's search with Lowe's just-in-time
//! linearization, memoised, one key at a time.
//!
//! The history's invocations and completions sit in one doubly linked list
//! in history order. The operations that may come next are the invocations
//! before the first completion still in the list (that completion's
//! operation must be placed before anything invoked after it). The search
//! tries them in turn: reads first, then by the middle of the window
//! between invocation and completion, which is where an operation most
//! likely took effect (measured against invocation order and earliest
//! completion on the benchmark's histories, it is never much worse than the
//! better of the two and often far better). Placing
//! one (the model accepts it and the configuration is new) lifts it and its
//! completion out of the list; when every candidate fails, it backtracks.
//! Lifted entries keep their links, so putting them back is O(1) (Knuth's
//! dancing links). The list is empty of completions when every completed
//! operation has been placed: the history is linearizable.
//!
//! A read-only operation that can be linearized where the search stands is
//! committed there for good: any linearization that places it later can
//! place it here instead (it changes nothing, and moving it earlier breaks
//! no real-time order, since everything that completed before it was
//! invoked is already placed). So when the search backtracks over such a
//! read, the configuration below it has failed too, and it backtracks
//! further. Reads, half of most workloads, then never branch.
//!
//! For models whose state is a sequence that appends extend (see the
//! sequence methods of [`Model`]), the reads also fix the order of appends
//! before the search starts: a read that returned `[.. x v ..]`, `v`
//! written once, shows that `v` was appended when the sequence ended in
//! `x`. The search then places that append only in a state that ends in
//! `x`, which cuts every other order of concurrent appends without trying
//! it. On append histories, where nearly every append is read, the search
//! then barely branches, and it proves a history not linearizable as fast
//! as it finds the order of a linearizable one.
//!
//! A configuration is the set of linearized operations and the model state.
//! The set is kept as a 128-bit Zobrist fingerprint (the XOR of a fixed
//! random key per operation), updated in O(1); two different sets share a
//! fingerprint with probability about 2^-128 per pair, far below any
//! hardware error rate. A configuration seen before is never explored
//! again, which makes the search polynomial on the histories real systems
//! produce.

use super::model::Model;
use super::prepare::{Partition, NEVER};
use super::verdict::{Budget, Counterexample};
use crate::hash::StableHasher;
use std::collections::BTreeMap;
use std::hash::BuildHasherDefault;

const NIL: usize = usize::MAX;
const HEAD: usize = 0;

/// The memo: membership only, with a fixed hasher, so nothing depends on
/// iteration order.
#[allow(clippy::disallowed_types)]
type Memo<S> = std::collections::HashSet<(u128, S), BuildHasherDefault<StableHasher>>;

/// The key of operation `i` in the set fingerprint.
pub(crate) fn zobrist(i: usize) -> u128 {
    let mix = |mut z: u64| {
        z = z.wrapping_add(0x9e37_79b9_7f4a_7c15);
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    };
    ((mix(2 * i as u64) as u128) << 64) | mix(2 * i as u64 + 1) as u128
}

pub(crate) enum Outcome {
    Linearizable,
    Not(Counterexample),
    Unknown(String),
}

struct List {
    next: Vec<usize>,
    prev: Vec<usize>,
    /// Per node: the entry, and whether it is the invocation.
    entry: Vec<usize>,
    is_call: Vec<bool>,
    /// Per entry: its invocation and completion nodes.
    call_node: Vec<usize>,
    ret_node: Vec<usize>,
}

impl List {
    fn new<O>(part: &Partition<O>) -> List {
        let mut events: Vec<(u64, usize, bool)> = Vec::with_capacity(part.entries.len() * 2);
        for (i, e) in part.entries.iter().enumerate() {
            events.push((e.call, i, true));
            if e.completed() {
                events.push((e.ret, i, false));
            }
        }
        events.sort_unstable_by_key(|(pos, _, _)| *pos);
        let n = events.len() + 1;
        let mut l = List {
            next: (1..=n).map(|i| if i == n { NIL } else { i }).collect(),
            prev: (0..n).map(|i| if i == 0 { NIL } else { i - 1 }).collect(),
            entry: vec![NIL; n],
            is_call: vec![false; n],
            call_node: vec![NIL; part.entries.len()],
            ret_node: vec![NIL; part.entries.len()],
        };
        for (k, (_, e, call)) in events.into_iter().enumerate() {
            let node = k + 1;
            l.entry[node] = e;
            l.is_call[node] = call;
            if call {
                l.call_node[e] = node;
            } else {
                l.ret_node[e] = node;
            }
        }
        l
    }

    fn unlink(&mut self, node: usize) {
        let (p, n) = (self.prev[node], self.next[node]);
        self.next[p] = n;
        if n != NIL {
            self.prev[n] = p;
        }
    }

    fn relink(&mut self, node: usize) {
        let (p, n) = (self.prev[node], self.next[node]);
        self.next[p] = node;
        if n != NIL {
            self.prev[n] = node;
        }
    }

    fn lift(&mut self, e: usize) {
        self.unlink(self.call_node[e]);
        if self.ret_node[e] != NIL {
            self.unlink(self.ret_node[e]);
        }
    }

    fn unlift(&mut self, e: usize) {
        if self.ret_node[e] != NIL {
            self.relink(self.ret_node[e]);
        }
        self.relink(self.call_node[e]);
    }
}

/// The operations that may come next in the current configuration: the
/// invocations before the first pending completion, reads first (they
/// commit for good and pin down the order of writes), then by the middle of
/// their window. Returns them and the entry whose completion bounds them,
/// if any.
fn candidates<O>(
    part: &Partition<O>,
    list: &List,
    read_only: &[bool],
    out: &mut Vec<usize>,
) -> Option<usize> {
    out.clear();
    let mut node = list.next[HEAD];
    while node != NIL && list.is_call[node] {
        out.push(list.entry[node]);
        node = list.next[node];
    }
    out.sort_by_key(|&e| {
        let x = &part.entries[e];
        // An operation takes effect somewhere between its invocation and
        // its completion; the middle of that window guesses its place best.
        // (Positions are history indices, far below u64::MAX / 2.)
        let middle = if x.completed() { x.call + x.ret } else { 2 * x.call };
        (!read_only[e], middle, x.call)
    });
    (node != NIL).then(|| list.entry[node])
}

/// What the reads say about an append: the value the sequence must end in
/// (`None`: be empty) when it takes effect, or that no state will do (two
/// reads disagree).
#[derive(Clone, Copy, PartialEq, Eq)]
enum After {
    Any,
    Last(Option<i64>),
    Never,
}

/// The order of appends that the reads show (see the module's
/// documentation).
struct Order {
    /// Per entry, the state its append must see.
    after: Vec<After>,
    /// A value written once -> the completed append that must follow it.
    /// While that value is last, nothing else may change the state: the
    /// value would stop being last for good and that append could never
    /// be placed.
    next: BTreeMap<i64, usize>,
}

fn append_order<M: Model>(model: &M, part: &Partition<M::Op>) -> Order {
    let mut order = Order { after: vec![After::Any; part.entries.len()], next: BTreeMap::new() };
    if !part.entries.iter().any(|e| model.appends(&e.op)) {
        return order;
    }
    let mut writers: BTreeMap<i64, u32> = BTreeMap::new();
    for e in &part.entries {
        if let Some(v) = model.written(&e.op) {
            *writers.entry(v).or_default() += 1;
        }
    }
    let once = |v: &i64| writers.get(v) == Some(&1);
    // Value -> what the reads say came right before it.
    let mut before: BTreeMap<i64, After> = BTreeMap::new();
    let mut seq = Vec::new();
    for e in part.entries.iter().filter(|e| e.completed()) {
        seq.clear();
        if !model.sequence(&e.op, e.output.as_ref(), &mut seq) {
            continue;
        }
        for (i, v) in seq.iter().enumerate() {
            let last = After::Last(i.checked_sub(1).map(|j| seq[j]));
            before
                .entry(*v)
                .and_modify(|a| {
                    if *a != last {
                        *a = After::Never
                    }
                })
                .or_insert(last);
        }
    }
    for (i, e) in part.entries.iter().enumerate() {
        if !model.appends(&e.op) {
            continue;
        }
        if let Some(v) = model.written(&e.op).filter(once) {
            let a = before.get(&v).copied().unwrap_or(After::Any);
            order.after[i] = a;
            if let (After::Last(Some(x)), true) = (a, e.completed()) {
                if once(&x) {
                    order.next.entry(x).or_insert(i);
                }
            }
        }
    }
    order
}

/// Checks one partition; `steps` counts across partitions.
///
/// A completed operation that reveals a value nothing in the partition
/// writes (a read of a value never written) can be placed in no state, so
/// the history is not linearizable; a search would have to try every order
/// of everything before it to find that out. Instead, only the history up
/// to that operation's completion is searched (operations still pending
/// then may or may not have taken effect), which finds the longest order
/// the explanation shows, in the time a linearizable history takes.
pub(crate) fn check_partition<M: Model>(
    model: &M,
    part: &Partition<M::Op>,
    budget: &Budget<'_>,
    steps: &mut u64,
) -> Outcome {
    let Some(bad) = impossible(model, part) else {
        return match search(model, part, budget, steps) {
            Search::Found { .. } => Outcome::Linearizable,
            Search::Failed(outcome) => outcome,
        };
    };
    let end = part.entries[bad].ret;
    let mut upto = Partition { key: part.key, entries: Vec::new() };
    let mut pending = Vec::new();
    for (i, e) in part.entries.iter().enumerate() {
        if i == bad || e.call > end {
            continue;
        }
        let mut e = e.clone();
        if e.ret > end {
            e.ret = NEVER;
            pending.push(e.call);
        }
        upto.entries.push(e);
    }
    match search(model, &upto, budget, steps) {
        Search::Found { order, state } => Outcome::Not(Counterexample {
            key: part.key,
            prefix: order.into_iter().map(|i| upto.entries[i].call).collect(),
            state,
            blocked: part.entries[bad].call,
            candidates: pending,
        }),
        Search::Failed(outcome) => outcome,
    }
}

/// The first completed operation (by completion) that reveals a value no
/// operation of the partition writes.
fn impossible<M: Model>(model: &M, part: &Partition<M::Op>) -> Option<usize> {
    let written: std::collections::BTreeSet<i64> =
        part.entries.iter().filter_map(|e| model.written(&e.op)).collect();
    let mut values = Vec::new();
    let mut first: Option<usize> = None;
    for (i, e) in part.entries.iter().enumerate().filter(|(_, e)| e.completed()) {
        values.clear();
        model.revealed(&e.op, e.output.as_ref(), &mut values);
        if values.iter().any(|v| !written.contains(v)) && first.is_none_or(|f| part.entries[f].ret > e.ret) {
            first = Some(i);
        }
    }
    first
}

enum Search {
    /// Every completed operation placed: in this order, ending in this
    /// state (as the model shows it).
    Found {
        order: Vec<usize>,
        state: String,
    },
    Failed(Outcome),
}

fn search<M: Model>(model: &M, part: &Partition<M::Op>, budget: &Budget<'_>, steps: &mut u64) -> Search {
    let mut list = List::new(part);
    let read_only: Vec<bool> = part.entries.iter().map(|e| model.read_only(&e.op)).collect();
    let order = append_order(model, part);
    let after = &order.after;
    let mut remaining = part.entries.iter().filter(|e| e.completed()).count();
    let mut memo: Memo<M::State> = Memo::default();
    // Per level: the entry placed, the state and fingerprint before it,
    // whether it is committed for good, and where the parent's candidates
    // resume if it fails.
    let mut stack: Vec<(usize, M::State, u128, bool, usize)> = Vec::new();
    let mut state = model.init();
    let mut fingerprint = 0u128;
    let mut deepest = Deepest::default();
    let mut options: Vec<usize> = Vec::new();
    let mut bound = candidates(part, &list, &read_only, &mut options);
    let mut cursor = 0;
    while remaining > 0 {
        *steps += 1;
        if *steps >= budget.max_steps {
            return Search::Failed(Outcome::Unknown(format!(
                "the search took more than {} steps",
                budget.max_steps
            )));
        }
        if steps.is_multiple_of(4096) && budget.stop.is_some_and(|stop| stop()) {
            return Search::Failed(Outcome::Unknown("the time limit was reached".to_string()));
        }
        let mut exhausted = cursor >= options.len();
        if !exhausted {
            let e = options[cursor];
            cursor += 1;
            let entry = &part.entries[e];
            let in_order = match after[e] {
                After::Any => true,
                After::Last(last) => model.last(&state) == last,
                After::Never => false,
            };
            let mut next = if in_order { model.step(&state, &entry.op, entry.output.as_ref()) } else { None };
            if let (Some(s), false) = (&next, read_only[e] || order.next.is_empty()) {
                let last = model.last(&state);
                let waiting = last.and_then(|x| order.next.get(&x)).is_some_and(|&a| a != e);
                if waiting && model.last(s) != last {
                    next = None;
                }
            }
            if let Some(next_state) = next {
                let next_fp = fingerprint ^ zobrist(e);
                if memo.insert((next_fp, next_state.clone())) {
                    if memo.len() > budget.max_memo {
                        return Search::Failed(Outcome::Unknown(format!(
                            "the search remembered more than {} configurations",
                            budget.max_memo
                        )));
                    }
                    stack.push((
                        e,
                        std::mem::replace(&mut state, next_state),
                        fingerprint,
                        read_only[e],
                        cursor,
                    ));
                    fingerprint = next_fp;
                    list.lift(e);
                    if entry.completed() {
                        remaining -= 1;
                    }
                    bound = candidates(part, &list, &read_only, &mut options);
                    cursor = 0;
                    continue;
                }
                // A read that fits was committed here before and failed:
                // by the commit rule, so does this configuration.
                exhausted = read_only[e];
            }
        }
        if !exhausted {
            continue;
        }
        if let Some(blocked) = bound {
            deepest.record(model, part, &list, &stack, &state, blocked);
        }
        loop {
            let Some((undo, previous, fp, committed, resume)) = stack.pop() else {
                return Search::Failed(Outcome::Not(deepest.counterexample(part.key)));
            };
            deepest.popped(stack.len());
            list.unlift(undo);
            if part.entries[undo].completed() {
                remaining += 1;
            }
            state = previous;
            fingerprint = fp;
            if !committed {
                bound = candidates(part, &list, &read_only, &mut options);
                cursor = resume;
                break;
            }
        }
    }
    Search::Found { order: stack.iter().map(|(e, ..)| *e).collect(), state: model.show_state(&state) }
}

/// The deepest point the search reached, kept incrementally: the prefix
/// shares its first `common` entries with the current stack, so recording a
/// new deepest point copies only what changed since the last one.
#[derive(Default)]
struct Deepest {
    prefix: Vec<u64>,
    common: usize,
    state: String,
    blocked: u64,
    candidates: Vec<u64>,
}

impl Deepest {
    /// The stack shrank to `len` entries.
    fn popped(&mut self, len: usize) {
        self.common = self.common.min(len);
    }

    /// At a backtrack: if deeper than before, this is the new deepest point.
    fn record<M: Model>(
        &mut self,
        model: &M,
        part: &Partition<M::Op>,
        list: &List,
        stack: &[(usize, M::State, u128, bool, usize)],
        state: &M::State,
        blocked: usize,
    ) {
        if stack.len() <= self.prefix.len() && !self.prefix.is_empty() {
            return;
        }
        self.prefix.truncate(self.common);
        self.prefix.extend(stack[self.common..].iter().map(|(e, ..)| part.entries[*e].call));
        self.common = stack.len();
        self.state = model.show_state(state);
        self.blocked = part.entries[blocked].call;
        self.candidates.clear();
        let mut node = list.next[HEAD];
        while node != NIL && node != list.ret_node[blocked] {
            if list.is_call[node] && list.entry[node] != blocked {
                self.candidates.push(part.entries[list.entry[node]].call);
            }
            node = list.next[node];
        }
    }

    fn counterexample(self, key: Option<u64>) -> Counterexample {
        Counterexample {
            key,
            prefix: self.prefix,
            state: self.state,
            blocked: self.blocked,
            candidates: self.candidates,
        }
    }
}
