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
//! A protocol declares its properties as a static table; its checker reports
//! through [`Verdicts`], which ignores properties the scenario turned off.

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
pub struct Verdict {
    pub name: String,
    pub kind: Kind,
    pub status: Status,
}

/// What the checker reports into during a run.
#[derive(Debug)]
pub struct Verdicts {
    specs: &'static [PropertySpec],
    enabled: Vec<bool>,
    fired: Vec<bool>,
    violation: Option<(usize, String)>,
}

impl Verdicts {
    pub fn new(specs: &'static [PropertySpec], enabled: &[bool]) -> Verdicts {
        assert_eq!(specs.len(), enabled.len());
        Verdicts { specs, enabled: enabled.to_vec(), fired: vec![false; specs.len()], violation: None }
    }

    fn position(&self, name: &str) -> usize {
        self.specs
            .iter()
            .position(|s| s.name == name)
            .unwrap_or_else(|| panic!("the checker reported `{name}`, which its protocol does not declare"))
    }

    /// Whether the scenario checks `name`. A checker may skip work for
    /// properties that are off.
    pub fn is_enabled(&self, name: &str) -> bool {
        self.enabled[self.position(name)]
    }

    /// Reports a violation of an always or eventually property. The first
    /// one of an enabled property stands; the run stops after this step.
    pub fn violated(&mut self, name: &str, message: impl Into<String>) {
        let i = self.position(name);
        if self.enabled[i] && self.violation.is_none() {
            self.violation = Some((i, message.into()));
        }
    }

    /// Reports that a sometimes-property's situation occurred.
    #[inline]
    pub fn fired(&mut self, name: &str) {
        let i = self.position(name);
        self.fired[i] = true;
    }

    pub fn violation(&self) -> Option<(&'static PropertySpec, &str)> {
        self.violation.as_ref().map(|(i, m)| (&self.specs[*i], m.as_str()))
    }

    pub fn has_violation(&self) -> bool {
        self.violation.is_some()
    }

    /// Final verdicts. `eventually_checked` says whether the run reached
    /// the point where eventually-properties are checked.
    pub fn finish(&self, always_checked: bool, eventually_checked: bool) -> Vec<Verdict> {
        self.specs
            .iter()
            .enumerate()
            .map(|(i, spec)| {
                let violated = self.violation.as_ref().is_some_and(|(v, _)| *v == i);
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
                Verdict { name: spec.name.to_string(), kind: spec.kind, status }
            })
            .collect()
    }
}
