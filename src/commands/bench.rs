//! `dsim bench`: the engine's speed, measured the same way on any machine.
//!
//! - a bare event loop (a binary heap and a ChaCha stream, nothing else), to
//!   calibrate: it is the ceiling any engine on this machine can approach;
//! - the relay yardstick (5 hosts sending to any host; 100 hosts sending to
//!   8 fixed neighbours), with the full engine: trace hash, property hook,
//!   fault and partition checks;
//! - the 100-server gossip scenario with every property on;
//! - 5-server Raft (`leader-isolated.toml`) with every property and the
//!   online linearizability check on;
//! - 5-server Multi-Paxos (`paxos/leader-isolated.toml`), the same;
//! - sweeps of `gossip/partition-heal.toml` and `raft/leader-isolated.toml`
//!   with 1 and 2 workers: seeds per second, and the speed-up;
//! - writing the HTML report of a two-minute relay run (about 110,000
//!   events): seconds and size.
//!
//! Each figure is the best of `--repeat` runs; peak memory is the process's
//! high-water mark (VmHWM), reset before each benchmark where Linux allows.

use crate::error::CliError;
use crate::stopwatch::Stopwatch;
use reports::numbers::si;
use serde_json::json;
use sim::{Outcome, RunOptions, Scenario};

const GOSSIP_100: &str = include_str!("../../scenarios/gossip/large-cluster.toml");
const GOSSIP_SWEEP: &str = include_str!("../../scenarios/gossip/partition-heal.toml");
const RAFT_5: &str = include_str!("../../scenarios/raft/leader-isolated.toml");
const RAFT_5_PATH: &str = "scenarios/raft/leader-isolated.toml";
const PAXOS_5: &str = include_str!("../../scenarios/paxos/leader-isolated.toml");
const PAXOS_5_PATH: &str = "scenarios/paxos/leader-isolated.toml";

/// A scenario swept over `seeds` to measure seeds per second.
struct SweepBench {
    path: &'static str,
    source: &'static str,
    seeds: u64,
}

const SWEEPS: [SweepBench; 2] = [
    SweepBench { path: "scenarios/gossip/partition-heal.toml", source: GOSSIP_SWEEP, seeds: 400 },
    SweepBench { path: RAFT_5_PATH, source: RAFT_5, seeds: 100 },
];

fn relay_scenario(hosts: u32, reach: u32, duration: &str) -> String {
    format!(
        "name = \"relay: {hosts} hosts\"\nnodes = {hosts}\nduration = \"{duration}\"\n\
         [protocol]\nname = \"relay\"\nreach = {reach}\n\
         [network]\nlatency = {{ dist = \"uniform\", min = \"1ms\", max = \"10ms\" }}\n"
    )
}

struct Figure {
    name: String,
    events: u64,
    seconds: f64,
    peak_bytes: Option<u64>,
}

impl Figure {
    fn rate(&self) -> f64 {
        self.events as f64 / self.seconds
    }
}

/// The process's peak resident memory, in bytes (Linux only).
fn peak_memory() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kb: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb * 1024)
}

/// Resets the peak so that the next reading belongs to the next benchmark.
fn reset_peak_memory() {
    let _ = std::fs::write("/proc/self/clear_refs", "5");
}

fn measure(
    name: &str,
    repeat: u32,
    mut once: impl FnMut() -> Result<u64, CliError>,
) -> Result<Figure, CliError> {
    reset_peak_memory();
    let mut best: Option<(u64, f64)> = None;
    for _ in 0..repeat.max(1) {
        let watch = Stopwatch::start();
        let events = once()?;
        let seconds = watch.seconds();
        if best.is_none_or(|(e, s)| events as f64 / seconds > e as f64 / s) {
            best = Some((events, seconds));
        }
    }
    let (events, seconds) = best.expect("at least one run");
    Ok(Figure { name: name.to_string(), events, seconds, peak_bytes: peak_memory() })
}

fn run_scenario(source: &str, path: &str, seeds: std::ops::Range<u64>) -> Result<u64, CliError> {
    let runner = crate::registry().prepare(Scenario::parse(path, source)?)?;
    let mut events = 0;
    for seed in seeds {
        let r = runner.run(seed, RunOptions::default());
        if r.outcome != Outcome::Ok {
            return Err(CliError::Usage(format!(
                "the benchmark scenario {path} failed on seed {seed}: {:?}",
                r.violation
            )));
        }
        events += r.events;
    }
    Ok(events)
}

pub fn bench(scale: f64, repeat: u32, json: bool) -> Result<u8, CliError> {
    if cfg!(debug_assertions) && !json {
        eprintln!(
            "warning: this is a debug build; its figures mean little. Use `cargo run --release -- bench`."
        );
    }
    // About 3.3 million deliveries each (times `scale`): 5 messages in
    // flight for an hour, or 100 for three minutes, at 5.5ms a hop.
    // Whole milliseconds, so that any fraction makes a valid duration.
    let ms = |seconds: f64| format!("{}ms", ((seconds * scale * 1000.0).round() as u64).max(1));
    let five = relay_scenario(5, 0, &ms(3600.0));
    let hundred = relay_scenario(100, 4, &ms(180.0));
    let mut figures = Vec::new();
    let bare_events = run_scenario(&hundred, "relay-100", 0..1)?;
    figures.push(measure("bare event loop: heap + ChaCha, no engine (100 hosts)", repeat, || {
        Ok(sim::yardstick::bare_event_loop(100, bare_events))
    })?);
    figures.push(measure("relay, 5 hosts, any other host", repeat, || run_scenario(&five, "relay-5", 0..1))?);
    figures.push(measure("relay, 100 hosts, 8 fixed neighbours", repeat, || {
        run_scenario(&hundred, "relay-100", 0..1)
    })?);
    figures.push(measure(
        "gossip, 100 servers, every property (large-cluster.toml, 5 seeds)",
        repeat,
        || run_scenario(GOSSIP_100, "scenarios/gossip/large-cluster.toml", 0..5),
    )?);
    figures.push(measure(
        "raft, 5 servers, every property + linearizability (leader-isolated.toml, 5 seeds)",
        repeat,
        || run_scenario(RAFT_5, RAFT_5_PATH, 0..5),
    )?);
    figures.push(measure(
        "multi-paxos, 5 servers, every property + linearizability (paxos/leader-isolated.toml, 5 seeds)",
        repeat,
        || run_scenario(PAXOS_5, PAXOS_5_PATH, 0..5),
    )?);

    let mut sweeps = Vec::new();
    for bench in &SWEEPS {
        for jobs in [1, 2] {
            sweeps.push((bench, jobs, measure_sweep(bench, jobs, repeat)?));
        }
    }
    let (report_events, report_records, report_seconds, report_bytes) = measure_report(repeat)?;
    if json {
        let sweep_list: Vec<_> = sweeps
            .iter()
            .map(|(bench, jobs, s)| {
                json!({
                    "scenario": bench.path,
                    "jobs": jobs,
                    "seeds": bench.seeds,
                    "seconds": s,
                    "seeds_per_s": bench.seeds as f64 / s,
                })
            })
            .collect();
        let list: Vec<_> = figures
            .iter()
            .map(|f| {
                json!({
                    "name": f.name,
                    "events": f.events,
                    "seconds": f.seconds,
                    "events_per_s": f.rate(),
                    "peak_memory_bytes": f.peak_bytes,
                })
            })
            .collect();
        println!(
            "{}",
            serde_json::to_string_pretty(&json!({
                "benchmarks": list,
                "sweeps": sweep_list,
                "html_report": {
                    "events": report_events,
                    "records": report_records,
                    "seconds": report_seconds,
                    "bytes": report_bytes,
                },
            }))
            .expect("JSON serializes")
        );
        return Ok(0);
    }
    println!("dsim bench: one core, best of {repeat}; relay latency uniform 1-10ms, no loss\n");
    println!("  {:<92} {:>12} {:>12} {:>10}", "benchmark", "events", "events/s", "peak mem");
    for f in &figures {
        let mem = f.peak_bytes.map_or("-".to_string(), |b| format!("{:.1} MB", b as f64 / 1e6));
        println!(
            "  {:<92} {:>12} {:>12} {:>10}",
            f.name,
            reports::numbers::thousands(f.events),
            si(f.rate()),
            mem
        );
    }
    for pair in sweeps.chunks(2) {
        let bench = pair[0].0;
        println!("\n  sweep of {}, seeds 0..{}:", bench.path, bench.seeds);
        for (_, jobs, s) in pair {
            println!(
                "    --jobs {jobs}: {} seeds/s ({} seeds in {})",
                si(bench.seeds as f64 / s),
                bench.seeds,
                reports::numbers::seconds(*s)
            );
        }
        println!("    speed-up with 2 workers: {:.2}x", pair[0].2 / pair[1].2);
    }
    println!(
        "\n  HTML report of a {}-event relay run ({} trace records): written in {}, {:.1} MB",
        reports::numbers::thousands(report_events),
        reports::numbers::thousands(report_records as u64),
        reports::numbers::seconds(report_seconds),
        report_bytes as f64 / 1e6
    );
    Ok(0)
}

/// The HTML report of a two-minute 5-host relay run: (events, trace
/// records, seconds to write the page (best of `repeat`), bytes).
fn measure_report(repeat: u32) -> Result<(u64, usize, f64, usize), CliError> {
    let source = relay_scenario(5, 0, "120s");
    let runner = crate::registry().prepare(Scenario::parse("relay-5", &source)?)?;
    let mut trace = sim::trace::VecSink::default();
    let result = runner.run(0, RunOptions { trace: Some(&mut trace), faults: None });
    let mut best = (f64::INFINITY, 0);
    for _ in 0..repeat.max(1) {
        let watch = Stopwatch::start();
        let page = reports::html::run_page("relay", None, &result, 5, 0, &trace.0);
        best = (best.0.min(watch.seconds()), page.len());
    }
    Ok((result.events, trace.0.len(), best.0, best.1))
}

/// Seconds a sweep of `bench` takes with `jobs` workers (best of `repeat`).
fn measure_sweep(bench: &SweepBench, jobs: usize, repeat: u32) -> Result<f64, CliError> {
    let scenario = Scenario::parse(bench.path, bench.source)?;
    let mut best = f64::INFINITY;
    for _ in 0..repeat.max(1) {
        let explorer = sim::explore::Explorer::new(crate::registry().prepare(scenario.clone())?)
            .seeds(0..bench.seeds)
            .jobs(jobs)
            .out_dir(None);
        let watch = Stopwatch::start();
        let sweep = explorer.run();
        best = best.min(watch.seconds());
        if !sweep.findings.is_empty() {
            return Err(CliError::Usage(format!("the benchmark sweep of {} found a failure", bench.path)));
        }
    }
    Ok(best)
}
