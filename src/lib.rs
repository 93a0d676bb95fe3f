//! `dsim`: the command line, as a library. Parses arguments, wires the
//! crates together and prints; all simulation logic lives in `sim` and
//! `protocols`.
//!
//! The `dsim` binary is [`main_with`] over the protocols dsim ships. A crate
//! with protocols of its own gets the same command line (`run`, `explore`,
//! `shrink`, `replay`, `list`, `check`) in a `main` of a few lines:
//!
//! ```no_run
//! fn main() -> std::process::ExitCode {
//!     // dsim::main_with(dsim::builtin().with::<my_crate::MyProtocol>())
//!     dsim::main_with(dsim::builtin())
//! }
//! ```

mod cli;
mod colour;
mod commands;
mod error;
mod files;
mod progress;
mod stopwatch;

use clap::Parser;
use std::process::ExitCode;
use std::sync::OnceLock;

pub use sim;
pub use sim::Registry;

static REGISTRY: OnceLock<Registry> = OnceLock::new();

/// The protocols and models dsim ships.
pub fn builtin() -> Registry {
    protocols::registry()
}

/// The command line's definition: every command, flag and argument with
/// its help (for tests, completions and the manual page).
pub fn command() -> clap::Command {
    <cli::Cli as clap::CommandFactory>::command()
}

/// The registry the running command line was started with.
pub(crate) fn registry() -> &'static Registry {
    REGISTRY.get_or_init(builtin)
}

/// Runs the dsim command line (arguments from the process) with the
/// protocols of `registry`, and returns the exit code.
pub fn main_with(registry: Registry) -> ExitCode {
    // A second call in one process keeps the first registry.
    let _ = REGISTRY.set(registry);
    // Printed commands name this binary: `dsim replay ...`, or a user's own.
    if let Some(name) = std::env::args_os()
        .next()
        .and_then(|a| std::path::Path::new(&a).file_name().map(|n| n.to_string_lossy().into_owned()))
    {
        sim::repro::set_command_name(&name);
    }
    restore_sigpipe();
    let args = cli::Cli::parse();
    match commands::dispatch(args) {
        Ok(code) => ExitCode::from(code),
        Err(e) => {
            colour::eprint(&format!("{}\n", reports::text::terminal(&e.to_string())));
            ExitCode::from(error::EXIT_INPUT)
        }
    }
}

/// Dies quietly when the reader of our output goes away (`dsim ... | head`),
/// as command-line tools do, instead of panicking on a broken pipe.
fn restore_sigpipe() {
    #[cfg(unix)]
    // SAFETY: called first thing in main, before any thread or handler
    // exists; SIG_DFL is a valid disposition for SIGPIPE.
    unsafe {
        libc::signal(libc::SIGPIPE, libc::SIG_DFL);
    }
}
