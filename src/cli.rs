//! Command-line arguments.

use clap::{Parser, Subcommand};
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
        /// Write every event to FILE as JSON lines.
        #[arg(long, value_name = "FILE")]
        trace: Option<PathBuf>,
        /// Where repro files go.
        #[arg(long, value_name = "DIR", default_value = "dsim-out")]
        out: PathBuf,
        /// Print one JSON object instead of text.
        #[arg(long)]
        json: bool,
    },
    /// Run a repro file again and say whether it ends the same way.
    Replay {
        /// A repro file, or a folder of them.
        path: PathBuf,
        /// Print the trace (or, with FILE, write it as JSON lines).
        #[arg(long, value_name = "FILE", num_args = 0..=1, default_missing_value = "-")]
        trace: Option<PathBuf>,
        /// Print JSON instead of text.
        #[arg(long)]
        json: bool,
    },
    /// List protocols, their bugs and properties, workloads, faults and topologies.
    List {
        #[arg(long)]
        json: bool,
    },
    /// Measure the engine: the relay yardstick and the 100-node gossip scenario.
    Bench {
        /// Run the relays this many times longer (1: about 3.3 million
        /// deliveries each).
        #[arg(long, default_value_t = 1)]
        scale: u64,
        /// How many times to repeat each measurement (the best is kept).
        #[arg(long, default_value_t = 3)]
        repeat: u32,
        #[arg(long)]
        json: bool,
    },
}
