//! A protocol and a validated scenario, ready to run any seed: the one type
//! the CLI, sweeps and tests need, whatever the protocol.

use crate::engine::{simulate, RunOptions};
use crate::protocol::{Protocol, ProtocolInfo};
use crate::result::RunResult;
use crate::scenario::{Diagnostic, Scenario};

pub trait Runner: Send + Sync {
    fn scenario(&self) -> &Scenario;
    fn info(&self) -> &'static ProtocolInfo;
    fn run(&self, seed: u64, options: RunOptions<'_>) -> RunResult;
    /// The protocol's resolved parameters.
    fn parameters(&self) -> Vec<(&'static str, String)>;
}

struct Prepared<P: Protocol> {
    scenario: Scenario,
    protocol: P,
}

impl<P: Protocol> Runner for Prepared<P> {
    fn scenario(&self) -> &Scenario {
        &self.scenario
    }
    fn info(&self) -> &'static ProtocolInfo {
        P::info()
    }
    fn run(&self, seed: u64, options: RunOptions<'_>) -> RunResult {
        simulate(&self.protocol, &self.scenario, seed, options)
    }
    fn parameters(&self) -> Vec<(&'static str, String)> {
        self.protocol.parameters()
    }
}

/// Checks `scenario` against protocol `P` and reads its parameters.
pub fn prepare<P: Protocol>(scenario: Scenario) -> Result<Box<dyn Runner>, Diagnostic> {
    scenario.validate_for(P::info())?;
    let protocol = P::configure(&scenario)?;
    Ok(Box::new(Prepared { scenario, protocol }))
}
