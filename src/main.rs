//! `dsim`: the command line. Parses arguments, wires the crates together and
//! prints; all simulation logic lives in `sim` and `protocols`.

mod cli;
mod commands;
mod error;
mod files;
mod stopwatch;

use clap::Parser;
use std::process::ExitCode;

fn main() -> ExitCode {
    let args = cli::Cli::parse();
    match commands::dispatch(args) {
        Ok(code) => ExitCode::from(code),
        Err(e) => {
            eprintln!("{e}");
            ExitCode::from(error::EXIT_INPUT)
        }
    }
}
