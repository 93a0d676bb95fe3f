//! The protocols dsim ships, and the registry the command line starts from.
//!
//! Each protocol is a module with its node state machines, messages,
//! properties and seeded bugs, and knows nothing of the CLI. A user's own
//! protocol implements [`sim::Protocol`] the same way and is added to
//! [`registry()`] in a `main` of a few lines (see `examples/`).

pub mod gossip;
pub mod kv;
pub mod paxos;
pub mod raft;
pub mod register;
pub mod relay;
pub mod saga;
pub mod twopc;

use sim::{Diagnostic, Registry, Runner, Scenario};

/// Every protocol and model dsim ships, in the order `dsim list` shows
/// them.
pub fn registry() -> Registry {
    Registry::new()
        .with::<gossip::Gossip>()
        .with::<paxos::MultiPaxos>()
        .with::<raft::Raft>()
        .with::<register::ReplicatedRegister>()
        .with::<relay::Relay>()
        .with::<saga::Saga>()
        .with::<paxos::synod::Synod>()
        .with::<twopc::TwoPc>()
        .with_model::<sim::lin::Register>()
        .with_model::<sim::lin::CasRegister>()
        .with_model::<sim::lin::Kv>()
}

/// Validates a scenario against its (built-in) protocol and readies it to
/// run.
pub fn prepare(scenario: Scenario) -> Result<Box<dyn Runner>, Diagnostic> {
    registry().prepare(scenario)
}

/// Reads, validates and readies a scenario file of a built-in protocol.
pub fn load(path: &str) -> Result<Box<dyn Runner>, Diagnostic> {
    prepare(Scenario::load(path)?)
}
