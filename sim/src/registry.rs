//! The protocols (and linearizability models) a command line knows.
//!
//! `dsim` itself is a thin `main` over a registry of the protocols dsim
//! ships; a user's crate makes its own registry, adds its protocols to the
//! built-in ones, and gets the whole command line for them:
//!
//! ```ignore
//! fn main() -> std::process::ExitCode {
//!     dsim::main_with(protocols::registry().with::<my_lock::LeaseLock>())
//! }
//! ```

use crate::history::History;
use crate::lin::{Budget, Model, Verdict};
use crate::protocol::{Description, Protocol};
use crate::runner::{prepare, Runner};
use crate::scenario::{Diagnostic, Scenario};

/// A protocol the command line can run.
#[derive(Clone, Copy)]
pub struct ProtocolEntry {
    pub describe: fn() -> Description,
    pub prepare: fn(Scenario) -> Result<Box<dyn Runner>, Diagnostic>,
}

/// A model `dsim check --model NAME` can check a history against.
#[derive(Clone, Copy)]
pub struct ModelEntry {
    pub name: &'static str,
    pub check: fn(&History, &Budget<'_>) -> Result<Verdict, String>,
}

#[derive(Clone, Default)]
pub struct Registry {
    protocols: Vec<ProtocolEntry>,
    models: Vec<ModelEntry>,
}

impl Registry {
    /// No protocol at all.
    pub fn new() -> Registry {
        Registry::default()
    }

    /// Adds protocol `P`. A protocol of the same name added before is
    /// replaced, so a user's crate can stand in for a built-in one.
    pub fn with<P: Protocol>(mut self) -> Registry {
        let entry = ProtocolEntry { describe: Description::of::<P>, prepare: prepare::<P> };
        let name = (entry.describe)().name;
        self.protocols.retain(|e| (e.describe)().name != name);
        self.protocols.push(entry);
        self
    }

    /// Adds a linearizability model for `dsim check`, under its own name.
    pub fn with_model<M: Model + Default + 'static>(mut self) -> Registry {
        fn check<M: Model + Default>(history: &History, budget: &Budget<'_>) -> Result<Verdict, String> {
            crate::lin::check(&M::default(), history, budget)
                .map_err(|e| format!("event {}: {}", e.index, e.message))
        }
        let name = M::default().name();
        self.models.retain(|m| m.name != name);
        self.models.push(ModelEntry { name, check: check::<M> });
        self
    }

    /// Every protocol, in the order they were added.
    pub fn protocols(&self) -> impl Iterator<Item = Description> + '_ {
        self.protocols.iter().map(|e| (e.describe)())
    }

    /// The models added with [`Registry::with_model`].
    pub fn models(&self) -> &[ModelEntry] {
        &self.models
    }

    pub fn model(&self, name: &str) -> Option<&ModelEntry> {
        self.models.iter().find(|m| m.name == name)
    }

    /// Validates a scenario against its protocol and readies it to run.
    pub fn prepare(&self, scenario: Scenario) -> Result<Box<dyn Runner>, Diagnostic> {
        match self.protocols.iter().find(|e| (e.describe)().name == scenario.protocol) {
            Some(entry) => (entry.prepare)(scenario),
            None => {
                let names: Vec<&str> = self.protocols.iter().map(|e| (e.describe)().name).collect();
                Err(scenario.unknown_protocol(&names))
            }
        }
    }

    /// Reads, validates and readies a scenario file.
    pub fn load(&self, path: &str) -> Result<Box<dyn Runner>, Diagnostic> {
        self.prepare(Scenario::load(path)?)
    }
}
