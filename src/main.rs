//! `dsim`: the command line. Parses arguments, wires the crates together and
//! prints; all simulation logic lives in `sim` and `protocols`.

mod cli;
mod commands;
mod error;
mod files;
mod progress;
mod stopwatch;

use clap::Parser;
use std::process::ExitCode;

fn main() -> ExitCode {
    restore_sigpipe();
    let args = cli::Cli::parse();
    match commands::dispatch(args) {
        Ok(code) => ExitCode::from(code),
        Err(e) => {
            eprintln!("{e}");
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
