mod bench;
mod list;
mod replay;
mod run;

use crate::cli::{Cli, Command};
use crate::error::CliError;

/// Runs the command; returns its exit code.
pub fn dispatch(cli: Cli) -> Result<u8, CliError> {
    match cli.command {
        Command::Run { scenario, seed, trace, out, json } => {
            run::run(&scenario, seed, trace.as_deref(), &out, json)
        }
        Command::Replay { path, trace, json } => replay::replay(&path, trace.as_deref(), json),
        Command::List { json } => list::list(json),
        Command::Bench { scale, repeat, json } => bench::bench(scale, repeat, json),
    }
}
