//! A key-value store of strings, as Jepsen's and Porcupine's key-value
//! histories hold: `get`, `put(s)`, `append(s)` (concatenation); a key never
//! written reads as `""` or `nil`.
//!
//! Strings are checked as the integer lists of [`Kv`](super::Kv): every
//! string a `put` or `append` writes becomes an atom (a number), and a
//! string a `get` returned becomes the list of atoms it concatenates, when
//! there is exactly one such list (with written values such as `"x 3 1 y"`
//! there always is). The state is then the list of atoms written since the
//! last put, and it equals what a read returned exactly when their
//! concatenations are equal. A returned string that no list of written
//! values makes, or more than one, is kept as text and compared with the
//! concatenation of the state: still exact, only slower, and it tells the
//! search nothing about the order of appends. One that no list makes can
//! never be read: it becomes `[-1]`, a list of a value nothing wrote.

use super::kv::{KvList, KvOp};
use crate::history::{EventKind, History, Value};
use crate::lin::model::Model;
use crate::lin::prepare::HistoryError;
use std::collections::BTreeMap;
use std::sync::Arc;

/// The key-value store of strings, with the atoms of one history.
#[derive(Clone)]
pub struct KvText {
    /// Atom -> the string it stands for.
    atoms: Arc<Vec<String>>,
}

/// Whether a history's key-value operations carry strings.
pub fn holds_strings(history: &History) -> bool {
    history.events.iter().any(|e| matches!(e.op.value, Value::Str(_)))
}

impl KvText {
    /// The model for `history`, and the history with its strings turned
    /// into atoms and lists of atoms (same events, same positions).
    pub fn for_history(history: &History) -> Result<(KvText, History), HistoryError> {
        let mut ids: BTreeMap<&str, i64> = BTreeMap::new();
        let mut atoms: Vec<String> = Vec::new();
        for (i, e) in history.events.iter().enumerate() {
            if e.kind != EventKind::Invoke || !writes(&e.op.f) {
                continue;
            }
            match &e.op.value {
                Value::Str(s) => {
                    ids.entry(s).or_insert_with(|| {
                        atoms.push(s.clone());
                        atoms.len() as i64 - 1
                    });
                }
                other => {
                    return Err(HistoryError {
                        index: i,
                        message: format!(
                            "this key-value history holds strings, so `{}` takes a string, not {other}",
                            e.op.f
                        ),
                    })
                }
            }
        }
        let trie = Trie::new(&atoms);
        let mut out = history.clone();
        for e in &mut out.events {
            e.op.value = match std::mem::replace(&mut e.op.value, Value::Nil) {
                Value::Str(s) if e.kind == EventKind::Invoke || writes(&e.op.f) => {
                    ids.get(s.as_str()).map_or(Value::Str(s), |id| Value::Int(*id))
                }
                Value::Str(s) if s.is_empty() => Value::Nil,
                Value::Str(s) => match trie.split(&s) {
                    Split::One(atoms) => Value::List(atoms),
                    Split::Many => Value::Str(s),
                    // No written value is -1: the read reveals a value that
                    // nothing wrote, and the checker knows it cannot fit.
                    Split::None => Value::List(vec![-1]),
                },
                other => other,
            };
        }
        Ok((KvText { atoms: Arc::new(atoms) }, out))
    }

    /// Whether the concatenation of `list` is `text`, compared from the end.
    fn spells(&self, list: &KvList, mut text: &str) -> bool {
        let mut rest = list.clone();
        while let Some(last) = rest.last() {
            let Some(atom) = self.atoms.get(last as usize) else { return false };
            match text.strip_suffix(atom.as_str()) {
                Some(before) => text = before,
                None => return false,
            }
            rest = rest.without_last();
        }
        text.is_empty()
    }
}

fn writes(f: &str) -> bool {
    matches!(f, "put" | "write" | "w" | "append")
}

/// The atoms by their bytes, to split a string into them.
struct Trie {
    /// Per node: its children by byte (few, searched in order), and the
    /// atom that ends there.
    children: Vec<Vec<(u8, u32)>>,
    atom: Vec<Option<i64>>,
}

impl Trie {
    fn new(atoms: &[String]) -> Trie {
        let mut t = Trie { children: vec![Vec::new()], atom: vec![None] };
        for (id, a) in atoms.iter().enumerate() {
            if a.is_empty() {
                continue; // an empty append would make every split ambiguous
            }
            let mut node = 0usize;
            for &b in a.as_bytes() {
                node = match t.children[node].iter().find(|(c, _)| *c == b) {
                    Some(&(_, n)) => n as usize,
                    None => {
                        t.children.push(Vec::new());
                        t.atom.push(None);
                        let n = t.children.len() - 1;
                        t.children[node].push((b, n as u32));
                        n
                    }
                };
            }
            t.atom[node] = Some(id as i64);
        }
        t
    }

    /// The lists of atoms whose concatenation is `s`: counts the ways to
    /// split each suffix (capped at two) from the end.
    fn split(&self, s: &str) -> Split {
        let b = s.as_bytes();
        let n = b.len();
        let mut ways = vec![0u8; n + 1];
        let mut first = vec![(0i64, 0usize); n + 1];
        ways[n] = 1;
        for i in (0..n).rev() {
            let mut node = 0usize;
            let mut j = i;
            while j < n {
                let Some(&(_, next)) = self.children[node].iter().find(|(c, _)| *c == b[j]) else { break };
                node = next as usize;
                j += 1;
                if let Some(id) = self.atom[node] {
                    if ways[j] > 0 {
                        ways[i] = (ways[i] + ways[j]).min(2);
                        first[i] = (id, j);
                    }
                }
            }
        }
        match ways[0] {
            0 => return Split::None,
            1 => {}
            _ => return Split::Many,
        }
        let mut out = Vec::new();
        let mut i = 0;
        while i < n {
            let (id, j) = first[i];
            out.push(id);
            i = j;
        }
        Split::One(out)
    }
}

#[derive(Debug, PartialEq, Eq)]
enum Split {
    None,
    One(Vec<i64>),
    Many,
}

impl Model for KvText {
    type State = KvList;
    type Op = KvOp;
    fn name(&self) -> &'static str {
        "kv"
    }
    fn init(&self) -> KvList {
        KvList::default()
    }
    fn op(&self, f: &str, input: &Value) -> Result<KvOp, String> {
        match (f, input) {
            ("get" | "read" | "r", _) => Ok(KvOp::Get),
            ("put" | "write" | "w", Value::Int(v)) => Ok(KvOp::Put(*v)),
            ("append", Value::Int(v)) => Ok(KvOp::Append(*v)),
            _ => Err(format!("a key-value store of strings has get, put(s) and append(s), not `{f}`")),
        }
    }
    fn step(&self, state: &KvList, op: &KvOp, output: Option<&Value>) -> Option<KvList> {
        match *op {
            KvOp::Get => {
                let ok = match output {
                    None => true,
                    Some(Value::Nil) => state.is_empty(),
                    Some(Value::List(l)) => state.equals(l),
                    Some(Value::Str(s)) => self.spells(state, s),
                    Some(_) => false,
                };
                ok.then(|| state.clone())
            }
            KvOp::Put(v) => Some(KvList::default().push(v)),
            KvOp::Append(v) => Some(state.push(v)),
            KvOp::Cas(..) => None,
        }
    }
    fn read_only(&self, op: &KvOp) -> bool {
        *op == KvOp::Get
    }
    fn written(&self, op: &KvOp) -> Option<i64> {
        match *op {
            KvOp::Put(v) | KvOp::Append(v) => Some(v),
            _ => None,
        }
    }
    fn revealed(&self, op: &KvOp, output: Option<&Value>, out: &mut Vec<i64>) {
        self.sequence(op, output, out);
    }
    fn show_state(&self, state: &KvList) -> String {
        const SHOWN: usize = 120;
        let mut text = String::new();
        for id in state.to_vec() {
            text.push_str(&self.atoms[id as usize]);
        }
        let chars = text.chars().count();
        if chars <= SHOWN {
            return Value::Str(text).to_string();
        }
        let tail: String = text.chars().skip(chars - SHOWN).collect();
        format!("{} ({chars} characters, the last {SHOWN} shown)", Value::Str(format!("...{tail}")))
    }
    // As for the integer store: appends only add at the end, a put
    // replaces the whole value.
    fn appends(&self, op: &KvOp) -> bool {
        matches!(op, KvOp::Append(_))
    }
    fn last(&self, state: &KvList) -> Option<i64> {
        state.last()
    }
    fn sequence(&self, op: &KvOp, output: Option<&Value>, out: &mut Vec<i64>) -> bool {
        match (op, output) {
            (KvOp::Get, Some(Value::List(items))) => out.extend(items),
            (KvOp::Get, Some(Value::Nil)) => {}
            _ => return false,
        }
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::history::{Completion, Op};
    use crate::Time;

    fn text(s: &str) -> Value {
        Value::Str(s.to_string())
    }

    #[test]
    fn strings_become_atoms_and_reads_lists_of_them() {
        let mut h = History::default();
        let a = h.invoke(0, Op::keyed("append", 0, text("x 0 0 y")), Time(1));
        h.complete(a, Completion::Ok(text("x 0 0 y")), Time(2));
        let b = h.invoke(1, Op::keyed("append", 0, text("x 1 0 y")), Time(3));
        h.complete(b, Completion::Ok(text("x 1 0 y")), Time(4));
        let r = h.invoke(2, Op::keyed("get", 0, Value::Nil), Time(5));
        h.complete(r, Completion::Ok(text("x 0 0 yx 1 0 y")), Time(6));
        let e = h.invoke(2, Op::keyed("get", 0, Value::Nil), Time(7));
        h.complete(e, Completion::Ok(text("")), Time(8));
        let (m, out) = KvText::for_history(&h).unwrap();
        assert_eq!(out.events[0].op.value, Value::Int(0));
        assert_eq!(out.events[5].op.value, Value::List(vec![0, 1]));
        assert_eq!(out.events[7].op.value, Value::Nil);
        let s = KvList::default().push(0).push(1);
        assert_eq!(m.show_state(&s), "\"x 0 0 yx 1 0 y\"");
        assert!(m.step(&s, &KvOp::Get, Some(&text("x 0 0 yx 1 0 y"))).is_some());
        assert!(m.step(&s, &KvOp::Get, Some(&text("x 1 0 yx 0 0 y"))).is_none());
    }

    #[test]
    fn ambiguous_strings_are_compared_as_text() {
        let atoms: Vec<String> = ["a", "b", "ab"].iter().map(|s| s.to_string()).collect();
        let t = Trie::new(&atoms);
        assert_eq!(t.split("abab"), Split::Many, "a|b|ab, ab|a|b, ...");
        assert_eq!(t.split("ba"), Split::One(vec![1, 0]));
        assert_eq!(t.split("c"), Split::None);
        let m = KvText { atoms: Arc::new(atoms) };
        let s = KvList::default().push(2).push(0);
        assert!(m.spells(&s, "aba"));
        assert!(m.step(&s, &KvOp::Get, Some(&text("aba"))).is_some());
        assert!(!m.spells(&s, "ab"));
    }
}
