//! Command-line arguments.

use clap::{Args, Parser, Subcommand};
use std::path::PathBuf;

#[derive(Parser)]
#[command(name = "dsim", version, about = "A deterministic simulator for distributed protocols")]
#[command(
    after_help = "Exit codes: 0 every property held; 1 a property was violated; 2 bad input or usage; \
3 a limit ended the work without a verdict; 4 a run was not deterministic."
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Subcommand)]
pub enum Command {
    /// Run one scenario with one seed.
    Run {
        /// The scenario file (TOML).
        scenario: String,
        /// The seed (default: the scenario's `seed`, or 0).
        #[arg(long)]
        seed: Option<u64>,
        /// Print every event of the run on the terminal, one line each in
        /// columns (the filters below narrow it).
        #[arg(long)]
        trace: bool,
        /// Write every event to FILE as JSON lines (`-`: standard output).
        #[arg(long, value_name = "FILE")]
        trace_file: Option<PathBuf>,
        /// Where repro files go.
        #[arg(long, value_name = "DIR", default_value = "dsim-out")]
        out: PathBuf,
        /// Print one JSON object instead of text.
        #[arg(long)]
        json: bool,
        /// Run twice and compare every event; on a difference, show the
        /// first event where the runs differ (exit code 4).
        #[arg(long)]
        check_determinism: bool,
        /// Write the clients' history as JSON (what `dsim check` reads;
        /// `-`: standard output).
        #[arg(long, value_name = "FILE")]
        history: Option<PathBuf>,
        /// Print the scenario with every default filled in, as TOML that
        /// loads again, and run nothing.
        #[arg(long)]
        print_config: bool,
        #[command(flatten)]
        view: ViewArgs,
        #[command(flatten)]
        drawings: DrawArgs,
    },
    /// Run many seeds of one or more scenarios, in parallel.
    Explore(ExploreArgs),
    /// Make a failing repro as small as it can be while it still fails.
    Shrink {
        /// The repro file.
        repro: PathBuf,
        /// Where the shrunk repro goes.
        #[arg(long, value_name = "DIR", default_value = "dsim-out")]
        out: PathBuf,
        /// Print one JSON object instead of text.
        #[arg(long)]
        json: bool,
    },
    /// Check that a recorded history is linearizable.
    Check(crate::commands::check::CheckArgs),
    /// Combine the JSON results of several `explore --shard` runs.
    Merge {
        /// Files written by `explore --json`.
        #[arg(required = true)]
        files: Vec<PathBuf>,
        /// Write the merged results as JSON (`-`: standard output).
        #[arg(long, value_name = "FILE")]
        json: Option<PathBuf>,
        /// Write JUnit XML: a testcase per scenario, a failure per finding
        /// (`-`: standard output).
        #[arg(long, value_name = "FILE")]
        junit: Option<PathBuf>,
    },
    /// Run a repro file again and say whether it ends the same way.
    Replay {
        /// A repro file, or a folder of them.
        path: PathBuf,
        /// Print every event of the run on the terminal, one line each in
        /// columns, and each process's last reported state.
        #[arg(long)]
        trace: bool,
        /// Write every event to FILE as JSON lines (`-`: standard output).
        #[arg(long, value_name = "FILE")]
        trace_file: Option<PathBuf>,
        /// Print JSON instead of text.
        #[arg(long)]
        json: bool,
        #[command(flatten)]
        view: ViewArgs,
        #[command(flatten)]
        drawings: DrawArgs,
    },
    /// List protocols, their bugs and properties, workloads, faults and topologies.
    List {
        /// Print one JSON object instead of text.
        #[arg(long)]
        json: bool,
    },
    /// Measure the engine (the relay yardstick, 100-node gossip, sweeps), or
    /// with --checker the linearizability checker.
    Bench {
        /// Measure the linearizability checker instead.
        #[arg(long)]
        checker: bool,
        /// Run the relays this many times longer (1: about 3.3 million
        /// deliveries each; fractions such as 0.1 for a quick look).
        #[arg(long, default_value_t = 1.0, value_parser = parse_scale)]
        scale: f64,
        /// How many times to repeat each measurement (the best is kept).
        #[arg(long, default_value_t = 3)]
        repeat: u32,
        /// Print one JSON object instead of text.
        #[arg(long)]
        json: bool,
    },
    /// Print a shell completion script (bash, zsh, fish, elvish, powershell).
    Completions {
        /// The shell to complete for.
        shell: clap_complete::Shell,
    },
    /// Print dsim's manual page (roff, for `man -l -`).
    Man,
}

/// `--scale`: a positive number, fractions allowed.
fn parse_scale(text: &str) -> Result<f64, String> {
    match text.parse::<f64>() {
        Ok(x) if x.is_finite() && x > 0.0 && x <= 1000.0 => Ok(x),
        _ => Err(format!(
            "`{text}` is not a scale; expected a number above 0 and at most 1000, such as 0.1 or 2"
        )),
    }
}

#[derive(Args)]
pub struct ExploreArgs {
    /// Scenario files (TOML).
    #[arg(required = true)]
    pub scenarios: Vec<String>,
    /// Seeds A..B (B excluded). Default: 0..100.
    #[arg(long, value_name = "A..B")]
    pub seeds: Option<String>,
    /// Seeds 0..N.
    #[arg(long, value_name = "N")]
    pub count: Option<u64>,
    /// Keep taking seeds for this long (wall time, such as 60s), shared
    /// between the scenarios.
    #[arg(long = "for", value_name = "DURATION")]
    pub for_: Option<String>,
    /// Worker threads (default: every core). Each simulation stays
    /// single-threaded.
    #[arg(long, value_name = "N")]
    pub jobs: Option<usize>,
    /// Run only the K-th of N disjoint slices of the seeds (1 <= K <= N).
    #[arg(long, value_name = "K/N")]
    pub shard: Option<String>,
    /// Stop taking seeds after the first failure.
    #[arg(long)]
    pub fail_fast: bool,
    /// Let each seed pick the nemesis's fault kinds and rates.
    #[arg(long)]
    pub swarm: bool,
    /// Where repros go.
    #[arg(long, value_name = "DIR", default_value = "dsim-out")]
    pub out: PathBuf,
    /// Write the results as JSON (what `dsim merge` reads; `-`: standard
    /// output, the summary then goes to standard error).
    #[arg(long, value_name = "FILE")]
    pub json: Option<PathBuf>,
    /// Write JUnit XML: a testcase per scenario, a failure per finding
    /// (`-`: standard output).
    #[arg(long, value_name = "FILE")]
    pub junit: Option<PathBuf>,
    /// Shrink each finding's repro.
    #[arg(long)]
    pub shrink: bool,
    /// Run every seed twice and compare trace hashes (exit code 4 on a
    /// difference).
    #[arg(long)]
    pub check_determinism: bool,
    /// Also write each finding's trace next to its repro.
    #[arg(long)]
    pub traces: bool,
    /// List each seed's costs in the `--json` document (`seed_costs`), so
    /// two builds swept over the same seeds compare seed by seed.
    #[arg(long)]
    pub seed_costs: bool,
    /// Write a summary page of the sweep, linking each finding's own HTML
    /// report (written next to its repro).
    #[arg(long, value_name = "FILE")]
    pub html: Option<PathBuf>,
}

/// What a run can be drawn as.
#[derive(Args, Clone, Debug, Default)]
pub struct DrawArgs {
    /// Write one self-contained HTML report: the space-time diagram, the
    /// history timeline, the configuration, faults, verdicts and metrics.
    #[arg(long, value_name = "FILE")]
    pub html: Option<PathBuf>,
    /// Write Chrome's trace-event JSON, which the Perfetto UI opens.
    #[arg(long, value_name = "FILE")]
    pub perfetto: Option<PathBuf>,
}

impl DrawArgs {
    pub fn drawings(&self) -> crate::commands::visual::Drawings {
        crate::commands::visual::Drawings { html: self.html.clone(), perfetto: self.perfetto.clone() }
    }
}

/// Filters of the terminal trace view (each implies `--trace`).
#[derive(Args, Clone, Debug, Default)]
#[command(next_help_heading = "Trace view filters")]
pub struct ViewArgs {
    /// Only records that touch these processes (n1,n3,c0): where they
    /// happened, or a message's sender or receiver.
    #[arg(long, value_name = "LIST")]
    pub node: Option<String>,
    /// Only records of these kinds (deliver,drop; `fault` for every fault).
    #[arg(long, value_name = "LIST")]
    pub kind: Option<String>,
    /// Only records within this much virtual time of the violation (50ms).
    #[arg(long, value_name = "DURATION")]
    pub around: Option<String>,
    /// Only records whose line contains TEXT.
    #[arg(long, value_name = "TEXT")]
    pub grep: Option<String>,
}

impl ViewArgs {
    pub fn any(&self) -> bool {
        self.node.is_some() || self.kind.is_some() || self.around.is_some() || self.grep.is_some()
    }
}
