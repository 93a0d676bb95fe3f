//! Properties, of three kinds (after stateright and Antithesis):
//!
//! - **always** (safety): checked after every step; the first violation ends
//!   the run and is written as a repro;
//! - **sometimes**: evidence that the run exercised what it claims (a
//!   partition really cut the graph, a repair really happened). A sweep in
//!   which one never fired proved nothing about it;
//! - **eventually** (liveness): checked once, after the last heal plus the
//!   scenario's `settle` time.
//!
//! A protocol declares its properties as an enum with [`properties!`]
//! (crate::properties); its checker reports through [`Verdicts`], which
//! ignores properties the scenario turned off.

use serde::{Deserialize, Serialize};
use std::fmt;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Kind {
    Always,
    Sometimes,
    Eventually,
}

impl fmt::Display for Kind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Kind::Always => "always",
            Kind::Sometimes => "sometimes",
            Kind::Eventually => "eventually",
        })
    }
}

/// One property a protocol can check.
#[derive(Clone, Copy, Debug)]
pub struct PropertySpec {
    pub name: &'static str,
    pub kind: Kind,
    pub description: &'static str,
}

/// The property that a handler's panic violates.
pub const NO_PANIC: PropertySpec =
    PropertySpec { name: "no-panic", kind: Kind::Always, description: "no handler panics" };

/// The verdict on one property at the end of a run.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Status {
    /// An always/eventually property that was checked and held.
    Held,
    Violated,
    /// A sometimes-property whose situation occurred.
    Fired,
    /// A sometimes-property whose situation never occurred.
    NotFired,
    /// Not checked: turned off, or the run ended before it could be.
    NotChecked,
}

impl fmt::Display for Status {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Status::Held => "held",
            Status::Violated => "VIOLATED",
            Status::Fired => "fired",
            Status::NotFired => "never fired",
            Status::NotChecked => "not checked",
        })
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PropertyVerdict {
    pub name: String,
    pub kind: Kind,
    pub status: Status,
}

impl crate::named::Spec for PropertySpec {
    fn name(&self) -> &'static str {
        self.name
    }
}

/// A protocol's properties: an enum made by [`properties!`](crate::properties).
pub trait PropertySet: crate::named::NamedSet<Spec = PropertySpec> {}

/// Declares a protocol's properties, each with its name, kind and what it
/// says:
///
/// ```
/// sim::properties! {
///     pub enum Prop {
///         Agreement = ("agreement", Always, "no two values are chosen for one slot"),
///         LeaderElected = ("leader-elected", Eventually, "a leader exists after the heal"),
///     }
/// }
/// use sim::named::NamedSet;
/// assert_eq!(Prop::Agreement.name(), "agreement");
/// ```
#[macro_export]
macro_rules! properties {
    ($(#[$meta:meta])* $vis:vis enum $name:ident {
        $($(#[$vmeta:meta])* $variant:ident = ($prop:literal, $kind:ident, $description:literal)),+ $(,)?
    }) => {
        $crate::named_set! {
            $(#[$meta])* $vis enum $name: $crate::property::PropertySpec {
                $($(#[$vmeta])* $variant = $crate::property::PropertySpec {
                    name: $prop,
                    kind: $crate::property::Kind::$kind,
                    description: $description,
                }),+
            }
        }
        impl $crate::property::PropertySet for $name {}
    };
}

/// What the checker reports into during a run.
#[derive(Debug)]
pub struct Verdicts<Q: PropertySet> {
    enabled: Vec<bool>,
    fired: Vec<bool>,
    violation: Option<(Q, String)>,
}

impl<Q: PropertySet> Verdicts<Q> {
    /// `enabled[i]` says whether `Q::ALL[i]` is checked.
    pub fn new(enabled: &[bool]) -> Verdicts<Q> {
        assert_eq!(Q::ALL.len(), enabled.len());
        Verdicts { enabled: enabled.to_vec(), fired: vec![false; Q::ALL.len()], violation: None }
    }

    /// Every property checked.
    pub fn all() -> Verdicts<Q> {
        Verdicts::new(&vec![true; Q::ALL.len()])
    }

    /// Whether the scenario checks `property`. A checker may skip work for
    /// properties that are off.
    pub fn is_enabled(&self, property: Q) -> bool {
        self.enabled[property.index()]
    }

    /// Reports a violation of an always or eventually property. The first
    /// one of an enabled property stands; the run stops after this step.
    pub fn violated(&mut self, property: Q, message: impl Into<String>) {
        if self.enabled[property.index()] && self.violation.is_none() {
            self.violation = Some((property, message.into()));
        }
    }

    /// Reports that a sometimes-property's situation occurred.
    #[inline]
    pub fn fired(&mut self, property: Q) {
        self.fired[property.index()] = true;
    }

    /// Whether a sometimes-property has fired so far.
    pub fn has_fired(&self, property: Q) -> bool {
        self.fired[property.index()]
    }

    pub fn violation(&self) -> Option<(Q, &str)> {
        self.violation.as_ref().map(|(q, m)| (*q, m.as_str()))
    }

    pub fn has_violation(&self) -> bool {
        self.violation.is_some()
    }

    /// Final verdicts. `eventually_checked` says whether the run reached
    /// the point where eventually-properties are checked.
    pub fn finish(&self, always_checked: bool, eventually_checked: bool) -> Vec<PropertyVerdict> {
        Q::ALL
            .iter()
            .enumerate()
            .map(|(i, q)| {
                let spec = q.spec();
                let violated = self.violation.as_ref().is_some_and(|(v, _)| v == q);
                let status = if !self.enabled[i] {
                    Status::NotChecked
                } else if violated {
                    Status::Violated
                } else {
                    match spec.kind {
                        Kind::Always if always_checked => Status::Held,
                        Kind::Eventually if eventually_checked => Status::Held,
                        Kind::Sometimes if self.fired[i] => Status::Fired,
                        Kind::Sometimes => Status::NotFired,
                        _ => Status::NotChecked,
                    }
                };
                PropertyVerdict { name: spec.name.to_string(), kind: spec.kind, status }
            })
            .collect()
    }
}
