//! One key of a key-value store of integer lists.

use crate::history::Value;
use crate::lin::model::Model;
use std::fmt;
use std::hash::{Hash, Hasher};
use std::sync::Arc;

/// One key of a key-value store (the checker splits histories by key):
/// `get`, `put(v)` (the value becomes `[v]`), `append(v)` (adds `v` to the
/// list), `cas([expected, new])` on the last element. A key never written
/// reads as `nil` or `[]`.
#[derive(Clone, Copy, Debug, Default)]
pub struct Kv;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum KvOp {
    Get,
    Put(i64),
    Append(i64),
    Cas(i64, i64),
}

/// A key's value in the kv model: a list of integers, persistent (appends
/// share the list before them) with its length and a 128-bit hash cached,
/// so that copying, hashing and most comparisons cost O(1) however long
/// the list grows. Equality is exact: equal hashes are confirmed element
/// by element.
#[derive(Clone, Default)]
pub struct KvList(Option<Arc<KvNode>>);

pub struct KvNode {
    last: i64,
    len: u32,
    hash: u128,
    rest: KvList,
}

impl KvList {
    pub fn len(&self) -> u32 {
        self.0.as_ref().map_or(0, |n| n.len)
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_none()
    }

    fn hash128(&self) -> u128 {
        self.0.as_ref().map_or(0, |n| n.hash)
    }

    pub fn last(&self) -> Option<i64> {
        self.0.as_ref().map(|n| n.last)
    }

    /// This list with `v` appended.
    pub fn push(&self, v: i64) -> KvList {
        let h = self.hash128();
        let mixed =
            (h ^ (v as u64 as u128)).wrapping_mul(0x2d35_8dcc_aa6c_78a5_8bb8_4b93_962e_acc9) ^ (h >> 61);
        KvList(Some(Arc::new(KvNode {
            last: v,
            len: self.len() + 1,
            hash: mixed.rotate_left(17),
            rest: self.clone(),
        })))
    }

    /// The list without its last element.
    pub fn without_last(&self) -> KvList {
        self.0.as_ref().map_or_else(KvList::default, |n| n.rest.clone())
    }

    /// The list with its last element replaced.
    pub fn with_last(&self, v: i64) -> KvList {
        match &self.0 {
            Some(n) => n.rest.push(v),
            None => self.clone(),
        }
    }

    /// Whether the list holds exactly `items`, compared from the end.
    pub fn equals(&self, items: &[i64]) -> bool {
        if self.len() as usize != items.len() {
            return false;
        }
        let mut node = &self.0;
        for v in items.iter().rev() {
            match node {
                Some(n) if n.last == *v => node = &n.rest.0,
                _ => return false,
            }
        }
        true
    }

    pub fn to_vec(&self) -> Vec<i64> {
        let mut out = Vec::with_capacity(self.len() as usize);
        let mut node = &self.0;
        while let Some(n) = node {
            out.push(n.last);
            node = &n.rest.0;
        }
        out.reverse();
        out
    }
}

impl PartialEq for KvList {
    fn eq(&self, other: &KvList) -> bool {
        match (&self.0, &other.0) {
            (None, None) => true,
            (Some(a), Some(b)) => {
                Arc::ptr_eq(a, b)
                    || (a.len == b.len && a.hash == b.hash && a.last == b.last && a.rest == b.rest)
            }
            _ => false,
        }
    }
}

impl Eq for KvList {}

impl Hash for KvList {
    fn hash<H: Hasher>(&self, h: &mut H) {
        self.len().hash(h);
        self.hash128().hash(h);
    }
}

impl fmt::Debug for KvList {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        const SHOWN: usize = 8;
        let all = self.to_vec();
        let skip = all.len().saturating_sub(SHOWN);
        let items: Vec<String> = all[skip..].iter().map(|v| v.to_string()).collect();
        if skip > 0 {
            write!(f, "[... {} ({} elements)]", items.join(" "), all.len())
        } else {
            write!(f, "[{}]", items.join(" "))
        }
    }
}

impl Model for Kv {
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
            ("cas", Value::Pair(a, b)) => Ok(KvOp::Cas(*a, *b)),
            ("cas", Value::List(l)) if l.len() == 2 => Ok(KvOp::Cas(l[0], l[1])),
            _ => Err(format!(
                "a kv store has get, put(v), append(v) and cas([old new]), not `{f}` with value {input}"
            )),
        }
    }
    fn step(&self, state: &KvList, op: &KvOp, output: Option<&Value>) -> Option<KvList> {
        match *op {
            KvOp::Get => {
                let ok = match output {
                    None => true,
                    Some(Value::Nil) => state.is_empty(),
                    Some(Value::List(l)) => state.equals(l),
                    Some(Value::Int(v)) => state.equals(&[*v]),
                    // JSON cannot tell a two-element list from a pair.
                    Some(Value::Pair(a, b)) => state.equals(&[*a, *b]),
                    Some(Value::Str(_) | Value::Keyword(_)) => false,
                };
                ok.then(|| state.clone())
            }
            KvOp::Put(v) => Some(KvList::default().push(v)),
            KvOp::Append(v) => Some(state.push(v)),
            KvOp::Cas(expected, new) => (state.last() == Some(expected)).then(|| state.with_last(new)),
        }
    }
    fn read_only(&self, op: &KvOp) -> bool {
        *op == KvOp::Get
    }
    fn written(&self, op: &KvOp) -> Option<i64> {
        match *op {
            KvOp::Put(v) | KvOp::Append(v) | KvOp::Cas(_, v) => Some(v),
            KvOp::Get => None,
        }
    }
    fn revealed(&self, op: &KvOp, output: Option<&Value>, out: &mut Vec<i64>) {
        if let KvOp::Cas(expected, _) = op {
            out.push(*expected);
        } else {
            self.sequence(op, output, out);
        }
    }
    fn show_state(&self, state: &KvList) -> String {
        if state.is_empty() {
            "nil".to_string()
        } else {
            format!("{state:?}")
        }
    }
    // Appends only add at the end, a put replaces the whole list and a cas
    // its last element: the values before an appended one never change
    // while it is there, as the sequence hooks require.
    fn appends(&self, op: &KvOp) -> bool {
        matches!(op, KvOp::Append(_))
    }
    fn last(&self, state: &KvList) -> Option<i64> {
        state.last()
    }
    fn sequence(&self, op: &KvOp, output: Option<&Value>, out: &mut Vec<i64>) -> bool {
        match (op, output) {
            (KvOp::Get, Some(Value::List(items))) => out.extend(items),
            (KvOp::Get, Some(Value::Int(v))) => out.push(*v),
            (KvOp::Get, Some(Value::Pair(a, b))) => out.extend([*a, *b]),
            (KvOp::Get, Some(Value::Nil)) => {}
            _ => return false,
        }
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kv_lists() {
        let m = Kv;
        let s = m.step(&m.init(), &KvOp::Append(1), None).unwrap();
        let s = m.step(&s, &KvOp::Append(2), None).unwrap();
        assert!(m.step(&s, &KvOp::Get, Some(&Value::List(vec![1, 2]))).is_some());
        assert!(m.step(&s, &KvOp::Get, Some(&Value::List(vec![2, 1]))).is_none());
        assert!(m.step(&s, &KvOp::Get, Some(&Value::Pair(1, 2))).is_some(), "as JSON gives it back");
        assert_eq!(m.step(&s, &KvOp::Put(7), None).unwrap().to_vec(), vec![7]);
        assert!(m.step(&m.init(), &KvOp::Get, Some(&Value::Nil)).is_some());
        // Equal contents reached by different paths are equal states.
        let a = KvList::default().push(1).push(2);
        let b = KvList::default().push(1).push(9).with_last(2);
        assert_eq!(a, b);
        assert_ne!(a, KvList::default().push(2).push(1));
        assert_eq!(m.step(&a, &KvOp::Cas(2, 5), None).unwrap().to_vec(), vec![1, 5]);
    }
}
