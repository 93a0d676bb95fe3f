//! Enums whose variants have names that users type: roles, properties and
//! seeded bugs. The program works with the enum; the name is resolved once,
//! when a scenario is read, with a did-you-mean for typos.

use std::fmt::Debug;

/// What a spec must say: the name users type.
pub trait Spec: Copy + Debug + 'static {
    fn name(&self) -> &'static str;
}

/// An enum of named things, made by one of the macros
/// ([`roles!`](crate::roles), [`properties!`](crate::properties),
/// [`bugs!`](crate::bugs)), each variant with a spec.
pub trait NamedSet: Copy + Eq + Ord + Debug + Send + Sync + 'static {
    type Spec: Spec;
    /// Every variant, in declaration order.
    const ALL: &'static [Self];
    /// The spec of each variant, in the same order.
    const SPECS: &'static [Self::Spec];

    fn index(self) -> usize;

    fn spec(self) -> &'static Self::Spec {
        &Self::SPECS[self.index()]
    }

    fn name(self) -> &'static str {
        self.spec().name()
    }

    fn from_name(name: &str) -> Option<Self> {
        Self::SPECS.iter().position(|s| s.name() == name).map(|i| Self::ALL[i])
    }

    fn names() -> Vec<&'static str> {
        Self::SPECS.iter().map(|s| s.name()).collect()
    }
}

/// Whether every name in `names` is distinct; used at compile time by the
/// macros, so two variants can never share a name.
pub const fn distinct(names: &[&str]) -> bool {
    let mut i = 0;
    while i < names.len() {
        let mut j = i + 1;
        while j < names.len() {
            if same(names[i], names[j]) {
                return false;
            }
            j += 1;
        }
        i += 1;
    }
    true
}

const fn same(a: &str, b: &str) -> bool {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    if a.len() != b.len() {
        return false;
    }
    let mut i = 0;
    while i < a.len() {
        if a[i] != b[i] {
            return false;
        }
        i += 1;
    }
    true
}

/// The closest of `known` to `typed`, if one is close enough to be a typo.
pub fn did_you_mean<'a>(typed: &str, known: &[&'a str]) -> Option<&'a str> {
    known
        .iter()
        .map(|k| (edit_distance(typed, k), *k))
        .filter(|(d, k)| *d <= 2.max(k.len() / 3))
        .min()
        .map(|(_, k)| k)
}

fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut prev = row[0];
        row[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let cur = row[j + 1];
            row[j + 1] = (prev + usize::from(ca != *cb)).min(row[j] + 1).min(cur + 1);
            prev = cur;
        }
    }
    row[b.len()]
}

/// The machinery behind the three macros: an enum, its variants' specs,
/// and a compile-time check that names are distinct.
#[doc(hidden)]
#[macro_export]
macro_rules! named_set {
    ($(#[$meta:meta])* $vis:vis enum $name:ident: $spec:ty {
        $($(#[$vmeta:meta])* $variant:ident = $value:expr),+ $(,)?
    }) => {
        $(#[$meta])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
        $vis enum $name { $($(#[$vmeta])* $variant),+ }

        impl $crate::named::NamedSet for $name {
            type Spec = $spec;
            const ALL: &'static [Self] = &[$($name::$variant),+];
            const SPECS: &'static [$spec] = &[$($value),+];
            fn index(self) -> usize {
                self as usize
            }
        }

        const _: () = {
            const SPECS: &[$spec] = &[$($value),+];
            const fn names() -> [&'static str; SPECS.len()] {
                let mut out = [""; SPECS.len()];
                let mut i = 0;
                while i < SPECS.len() {
                    out[i] = SPECS[i].name;
                    i += 1;
                }
                out
            }
            assert!($crate::named::distinct(&names()), "two variants share a name");
        };
    };
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn suggests_close_names() {
        assert_eq!(did_you_mean("figure8", &["figure-8", "stale-read"]), Some("figure-8"));
        assert_eq!(did_you_mean("zzzzzz", &["figure-8", "stale-read"]), None);
    }

    #[test]
    fn edit_distances() {
        assert_eq!(edit_distance("kitten", "sitting"), 3);
        assert_eq!(edit_distance("", "abc"), 3);
    }

    #[test]
    fn distinct_names() {
        assert!(distinct(&["a", "b", "ab"]));
        assert!(!distinct(&["a", "b", "a"]));
    }
}
