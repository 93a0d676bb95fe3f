//! The oracle: every order of the operations that respects real time, tried
//! one by one. Exponential, so only for small histories; it shares nothing
//! with the real checkers but the model and the split by key (not even the
//! pruning of unknown outcomes), which is why it can judge them.

use super::model::Model;
use super::prepare::{partitions_unpruned, Entry, HistoryError};
use crate::history::History;

/// Whether `history` is linearizable, by exhaustive search.
pub fn brute_force<M: Model>(model: &M, history: &History) -> Result<bool, HistoryError> {
    for part in partitions_unpruned(model, history)? {
        let mut used = vec![false; part.entries.len()];
        if !extend(model, &part.entries, &mut used, &model.init()) {
            return Ok(false);
        }
    }
    Ok(true)
}

/// Can the unused operations be ordered after `state`? Completed operations
/// must all be placed; unknown-outcome ones may be left out.
fn extend<M: Model>(model: &M, entries: &[Entry<M::Op>], used: &mut [bool], state: &M::State) -> bool {
    if entries.iter().zip(used.iter()).all(|(e, u)| *u || !e.completed()) {
        return true;
    }
    for i in 0..entries.len() {
        if used[i] {
            continue;
        }
        // Everything that completed before `i` was invoked must be placed already.
        let ready = entries.iter().zip(used.iter()).all(|(f, u)| *u || f.ret >= entries[i].call);
        if !ready {
            continue;
        }
        if let Some(next) = model.step(state, &entries[i].op, entries[i].output.as_ref()) {
            used[i] = true;
            if extend(model, entries, used, &next) {
                return true;
            }
            used[i] = false;
        }
    }
    false
}
