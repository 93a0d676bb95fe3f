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
        Command::Run {
            scenario,
            seed,
            trace,
            trace_file,
            out,
            json,
            check_determinism,
            history,
            view,
            drawings,
            ..
        } => run::run(&run::RunArgs {
            path: &scenario,
            seed,
            trace: trace || view.any(),
            trace_file: trace_file.as_deref(),
            out: &out,
            json,
            check_determinism,
            history: history.as_deref(),
            view: &view,
            drawings: &drawings.drawings(),
        }),
        Command::Explore(args) => explore::explore(&args),
        Command::Shrink { repro, out, json } => shrink::shrink_command(&repro, &out, json),
        Command::Check(args) => check::check(&args),
        Command::Merge { files, json, junit } => merge::merge(&files, json.as_deref(), junit.as_deref()),
        Command::Replay { path, trace, trace_file, json, view, drawings } => replay::replay(
            &path,
            trace || view.any(),
            trace_file.as_deref(),
            json,
            &view,
            &drawings.drawings(),
        ),
        Command::List { json } => list::list(json),
        Command::Bench { checker: true, repeat, json, .. } => bench_checker::bench_checker(repeat, json),
        Command::Bench { scale, repeat, json, .. } => bench::bench(scale, repeat, json),
        Command::Completions { shell } => {
            let mut command = <Cli as clap::CommandFactory>::command();
            clap_complete::generate(shell, &mut command, "dsim", &mut std::io::stdout());
            Ok(crate::error::EXIT_OK)
        }
        Command::Man => {
            let command = <Cli as clap::CommandFactory>::command();
            let mut page = Vec::new();
            clap_mangen::Man::new(command)
                .render(&mut page)
                .and_then(|_| std::io::Write::write_all(&mut std::io::stdout(), &page))
                .map_err(|e| CliError::Usage(format!("cannot print the manual page: {e}")))?;
            Ok(crate::error::EXIT_OK)
        }
    }
}
