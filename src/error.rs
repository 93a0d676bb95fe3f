//! The CLI's errors. Every one of them is the user's input or environment
//! (exit code 2); findings about the protocol are results, not errors.

use sim::Diagnostic;
use std::fmt;

/// Exit codes, the same for every command.
pub const EXIT_OK: u8 = 0;
pub const EXIT_VIOLATION: u8 = 1;
pub const EXIT_INPUT: u8 = 2;
pub const EXIT_LIMIT: u8 = 3;
pub const EXIT_NONDETERMINISTIC: u8 = 4;

/// The exit code of work made of several runs: a violation anywhere wins,
/// then a limit, then success.
pub fn worst(a: u8, b: u8) -> u8 {
    if a == EXIT_VIOLATION || b == EXIT_VIOLATION {
        EXIT_VIOLATION
    } else {
        a.max(b)
    }
}

/// The exit code for a run's outcome.
pub fn exit_code(outcome: sim::Outcome) -> u8 {
    match outcome {
        sim::Outcome::Ok => EXIT_OK,
        sim::Outcome::Violation => EXIT_VIOLATION,
        sim::Outcome::Limit => EXIT_LIMIT,
    }
}

#[derive(Debug)]
pub enum CliError {
    /// A mistake in a file the user wrote, with its place.
    Input(Box<Diagnostic>),
    /// A mistake on the command line or in the environment.
    Usage(String),
}

impl fmt::Display for CliError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CliError::Input(d) => write!(f, "{d}"),
            CliError::Usage(m) => write!(f, "error: {m}"),
        }
    }
}

impl From<Diagnostic> for CliError {
    fn from(d: Diagnostic) -> Self {
        CliError::Input(Box::new(d))
    }
}
