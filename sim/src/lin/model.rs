//! What a linearizability check checks against: a sequential model.

use crate::history::Value;
use std::fmt::Debug;
use std::hash::Hash;

/// A sequential specification. A history is linearizable with respect to a
/// model when its operations can be put in one order, consistent with
/// real time, in which each takes effect in turn from `init` and returns
/// what it recorded.
///
/// A model for a set (add, contains) might look like this:
///
/// ```
/// use sim::lin::Model;
/// use sim::Value;
///
/// struct IntSet;
///
/// #[derive(Clone, Debug)]
/// enum SetOp { Add(i64), Contains(i64) }
///
/// impl Model for IntSet {
///     type State = std::collections::BTreeSet<i64>;
///     type Op = SetOp;
///     fn name(&self) -> &'static str { "set" }
///     fn init(&self) -> Self::State { Default::default() }
///     fn op(&self, f: &str, input: &Value) -> Result<SetOp, String> {
///         match (f, input) {
///             ("add", Value::Int(v)) => Ok(SetOp::Add(*v)),
///             ("contains", Value::Int(v)) => Ok(SetOp::Contains(*v)),
///             _ => Err(format!("a set has add(v) and contains(v), not {f} {input}")),
///         }
///     }
///     fn step(&self, s: &Self::State, op: &SetOp, output: Option<&Value>) -> Option<Self::State> {
///         match op {
///             SetOp::Add(v) => { let mut s = s.clone(); s.insert(*v); Some(s) }
///             SetOp::Contains(v) => {
///                 let found = Value::Int(s.contains(v) as i64);
///                 output.is_none_or(|o| *o == found).then(|| s.clone())
///             }
///         }
///     }
///     fn read_only(&self, op: &SetOp) -> bool { matches!(op, SetOp::Contains(_)) }
/// }
/// ```
pub trait Model: Sync {
    type State: Clone + Eq + Hash + Debug;
    type Op: Clone + Debug;

    fn name(&self) -> &'static str;

    fn init(&self) -> Self::State;

    /// The operation a history line describes, from its function name and
    /// its invocation's value.
    fn op(&self, f: &str, input: &Value) -> Result<Self::Op, String>;

    /// Can `op` take effect in `state` and return `output` (`None`: the
    /// output is not known, the operation's outcome is `info`)? If so, the
    /// state after it. The online checker (not the offline one) also needs
    /// the state after `op` not to depend on `output`.
    fn step(&self, state: &Self::State, op: &Self::Op, output: Option<&Value>) -> Option<Self::State>;

    /// Whether `op` never changes the state. An unknown-outcome read-only
    /// operation constrains nothing and is left out of the search.
    fn read_only(&self, _op: &Self::Op) -> bool {
        false
    }

    /// The value `op` writes, if it writes one that later operations can
    /// reveal (a write, an append).
    fn written(&self, _op: &Self::Op) -> Option<i64> {
        None
    }

    /// Adds to `out` the values that `op` with `output` shows were written
    /// (what a read returned, what a compare-and-set expected).
    fn revealed(&self, _op: &Self::Op, _output: Option<&Value>, _out: &mut Vec<i64>) {}

    /// The state as the user would write it, for explanations: `nil`, `3`,
    /// `[1 2]`, `"x 1 y"`, never Rust's `Some(3)`.
    fn show_state(&self, state: &Self::State) -> String {
        format!("{state:?}")
    }

    // Sequences. A model whose state is a sequence of written values that
    // some operations extend at its end (a list that `append` grows) can
    // say so through the three methods below, and the offline search then
    // knows the order of appends before it tries any: a read that returned
    // `[.. x v ..]` shows that `v` was appended when the sequence ended in
    // `x`. That holds when the model guarantees that the values before an
    // appended value never change while it is in the sequence, and that a
    // value that left it does not come back unless written again; the
    // search uses it only for values written once.

    /// Whether `op` adds the value it writes (see [`Model::written`]) at the
    /// end of the sequence.
    fn appends(&self, _op: &Self::Op) -> bool {
        false
    }

    /// The last value of the sequence in `state`, `None` when it is empty.
    fn last(&self, _state: &Self::State) -> Option<i64> {
        None
    }

    /// If `op` with `output` returned the whole sequence, pushes it to `out`
    /// in order and returns true.
    fn sequence(&self, _op: &Self::Op, _output: Option<&Value>, _out: &mut Vec<i64>) -> bool {
        false
    }
}
