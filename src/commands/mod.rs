mod bench;
mod bench_checker;
pub(crate) mod check;
mod explore;
mod list;
mod merge;
mod print_config;
pub(crate) mod replay;
pub mod run;
mod shrink;
pub(crate) mod visual;

use crate::cli::{Cli, Command};
use crate::error::CliError;

/// Runs the command; returns its exit code.
pub fn dispatch(cli: Cli) -> Result<u8, CliError> {
    match cli.command {
        Command::Run { scenario, print_config: true, .. } => print_config::print_config(&scenario),
        Command::Run { scenario, seed, trace, out, json, check_determinism, history, drawings, .. } => {
            run::run(
                &scenario,
                seed,
                trace.as_deref(),
                &out,
                json,
                check_determinism,
                history.as_deref(),
                &drawings.drawings(),
            )
        }
        Command::Explore(args) => explore::explore(&args),
        Command::Shrink { repro, out, json } => shrink::shrink_command(&repro, &out, json),
        Command::Check(args) => check::check(&args),
        Command::Merge { files, json, junit } => merge::merge(&files, json.as_deref(), junit.as_deref()),
        Command::Replay { path, trace, json, view, drawings } => {
            replay::replay(&path, trace.as_deref(), json, &view, &drawings.drawings())
        }
        Command::List { json } => list::list(json),
        Command::Bench { checker: true, repeat, json, .. } => bench_checker::bench_checker(repeat, json),
        Command::Bench { scale, repeat, json, .. } => bench::bench(scale, repeat, json),
    }
}
