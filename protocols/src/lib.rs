//! The protocols dsim ships, and the registry the CLI looks them up in.
//!
//! Each protocol is a module with its node state machines, messages,
//! properties and seeded bugs, and knows nothing of the CLI. A user's own
//! protocol implements [`sim::Protocol`] the same way and calls
//! [`sim::prepare`] directly.

pub mod gossip;
pub mod raft;
pub mod register;
pub mod relay;

use sim::{Diagnostic, ProtocolInfo, Runner, Scenario};

/// A protocol the CLI can run.
pub struct Entry {
    pub info: fn() -> &'static ProtocolInfo,
    pub prepare: fn(Scenario) -> Result<Box<dyn Runner>, Diagnostic>,
}

/// Every protocol, in the order `dsim list` shows them.
pub fn all() -> Vec<Entry> {
    use sim::Protocol;
    vec![
        Entry { info: gossip::Gossip::info, prepare: sim::prepare::<gossip::Gossip> },
        Entry { info: raft::Raft::info, prepare: sim::prepare::<raft::Raft> },
        Entry { info: register::Register::info, prepare: sim::prepare::<register::Register> },
        Entry { info: relay::Relay::info, prepare: sim::prepare::<relay::Relay> },
    ]
}

/// Validates a scenario against its protocol and readies it to run.
pub fn prepare(scenario: Scenario) -> Result<Box<dyn Runner>, Diagnostic> {
    let entries = all();
    match entries.iter().find(|e| (e.info)().name == scenario.protocol) {
        Some(entry) => (entry.prepare)(scenario),
        None => {
            let names: Vec<&str> = entries.iter().map(|e| (e.info)().name).collect();
            Err(scenario.unknown_protocol(&names))
        }
    }
}

/// Reads, validates and readies a scenario file.
pub fn load(path: &str) -> Result<Box<dyn Runner>, Diagnostic> {
    prepare(Scenario::load(path)?)
}
