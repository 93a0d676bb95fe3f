//! `dsim explore`: many seeds of one or more scenarios, in parallel.

use crate::cli::ExploreArgs;
use crate::error::{CliError, EXIT_LIMIT, EXIT_NONDETERMINISTIC, EXIT_OK, EXIT_VIOLATION};
use crate::files;
use crate::progress::Reporter;
use crate::stopwatch::Stopwatch;
use reports::sweep::Document;
use sim::explore::{Explorer, Seeds, Shard, Sweep};
use sim::time::parse_duration;
use std::path::Path;

fn parse_seeds(text: &str) -> Result<Seeds, CliError> {
    match Seeds::parse(text) {
        Ok(s @ Seeds::Range { .. }) => Ok(s),
        Ok(Seeds::From { .. }) => Err(CliError::Usage(format!(
            "--seeds {text} has no end; give A..B, or --for DURATION to run seeds for a while"
        ))),
        Err(e) => Err(CliError::Usage(format!("--seeds: {e}"))),
    }
}

/// The exit code of a set of sweeps.
pub fn exit_code(sweeps: &[Sweep]) -> u8 {
    if sweeps.iter().any(|s| !s.nondeterministic.is_empty()) {
        EXIT_NONDETERMINISTIC
    } else if sweeps.iter().any(|s| !s.findings.is_empty() || !s.missed.is_empty()) {
        EXIT_VIOLATION
    } else if sweeps.iter().any(|s| !s.limited.seeds.is_empty()) {
        EXIT_LIMIT
    } else {
        EXIT_OK
    }
}

/// Checks, before any work, that the JSON and JUnit files may be written.
pub fn check_outputs(json: Option<&Path>, junit: Option<&Path>) -> Result<(), CliError> {
    if json.is_some_and(files::is_stdout) && junit.is_some_and(files::is_stdout) {
        return Err(CliError::Usage("--json and --junit cannot both go to standard output (-)".into()));
    }
    json.map(|p| files::check_writable(p, files::SWEEP)).transpose()?;
    junit.map(|p| files::check_writable(p, files::JUNIT)).transpose()?;
    Ok(())
}

/// Prints the summary, on stderr when stdout carries a file (`-`), then
/// writes the JSON and JUnit files asked for.
pub fn write_outputs(doc: &Document, json: Option<&Path>, junit: Option<&Path>) -> Result<(), CliError> {
    let summary = reports::sweep::summary(doc);
    crate::colour::print(&reports::text::terminal(&summary), json.or(junit).is_some_and(files::is_stdout));
    if let Some(path) = json {
        let text = serde_json::to_string_pretty(doc).expect("JSON serializes") + "\n";
        files::write_output(path, files::SWEEP, &text)?;
    }
    if let Some(path) = junit {
        files::write_output(path, files::JUNIT, &reports::junit::junit(doc))?;
    }
    Ok(())
}

pub fn explore(args: &ExploreArgs) -> Result<u8, CliError> {
    let seeds = match (&args.seeds, args.count, &args.for_) {
        (Some(s), None, None) => parse_seeds(s)?,
        (None, Some(n), None) if n > 0 => Seeds::Range { start: 0, end: n },
        (None, Some(_), None) => return Err(CliError::Usage("--count must be at least 1".into())),
        (None, None, Some(_)) => Seeds::From { start: 0 },
        (None, None, None) => Seeds::Range { start: 0, end: 100 },
        _ => return Err(CliError::Usage("give at most one of --seeds, --count and --for".into())),
    };
    let budget = match &args.for_ {
        Some(text) => {
            Some(parse_duration(text).map_err(|e| CliError::Usage(format!("--for: {e}")))?.as_secs_f64())
        }
        None => None,
    };
    let shard = args.shard.as_deref().map(Shard::parse).transpose().map_err(CliError::Usage)?;
    let jobs = match args.jobs {
        Some(0) => return Err(CliError::Usage("--jobs 0 runs nothing; give at least 1".into())),
        Some(n) => n,
        None => std::thread::available_parallelism().map_or(1, |n| n.get()),
    };
    check_outputs(args.json.as_deref(), args.junit.as_deref())?;
    if let Some(p) = &args.html {
        files::check_writable(p, files::HTML)?;
    }
    // Load everything first: a typo in the last file fails before any work.
    let mut runners = Vec::new();
    for path in &args.scenarios {
        let mut scenario = sim::Scenario::load(path)?;
        if args.swarm {
            scenario = scenario.with_swarm()?;
        }
        runners.push(crate::registry().prepare(scenario)?);
    }

    let total_watch = Stopwatch::start();
    let per_scenario = budget.map(|b| b / runners.len() as f64);
    let mut sweeps = Vec::new();
    for runner in runners {
        let path = runner.scenario().path.clone();
        let reporter = Reporter::new(&path, seeds.count(shard), false);
        let watch = Stopwatch::start();
        let mut sweep = Explorer::new(runner)
            .seeds_from(0)
            .jobs(jobs)
            .shard(shard)
            .fail_fast(args.fail_fast)
            .out_dir(Some(args.out.clone()))
            .traces(args.traces)
            .check_determinism(args.check_determinism)
            .seed_costs(args.seed_costs)
            .on_progress(|p| reporter.update(p))
            .stop_when(|| per_scenario.is_some_and(|limit| watch.seconds() >= limit))
            .with_seeds(seeds)
            .run();
        reporter.finish();
        sweep.wall_time_s = Some(watch.seconds());
        if args.shrink {
            shrink_findings(&mut sweep, &args.out)?;
        }
        if !sweep.nondeterministic.is_empty() {
            find_first_differences(&mut sweep, args.swarm, &args.out)?;
        }
        sweeps.push(sweep);
    }
    let doc = Document::new(sweeps, Some(jobs), Some(total_watch.seconds()));
    write_outputs(&doc, args.json.as_deref(), args.junit.as_deref())?;
    if let Some(page) = &args.html {
        write_sweep_page(page, &doc)?;
    }
    Ok(exit_code(&doc.sweeps))
}

/// The sweep's summary page, and each finding's own report next to its
/// repro (the shrunk one when there is one), linked relatively.
fn write_sweep_page(page: &Path, doc: &Document) -> Result<(), CliError> {
    let base = match page.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => std::path::PathBuf::from("."),
    };
    let mut links = Vec::new();
    for sweep in &doc.sweeps {
        let mut row = Vec::new();
        for finding in &sweep.findings {
            let Some(repro_path) = finding.shrunk.as_ref().or(finding.repro.as_ref()) else {
                row.push(None);
                continue;
            };
            let repro_path = Path::new(repro_path);
            let report = repro_path.with_extension("html");
            let repro = super::replay::read_repro(repro_path)?;
            let mut kept = sim::trace::VecSink::default();
            let result = super::replay::rerun(&repro, Some(&mut kept))?;
            let runner = crate::registry().prepare(repro.scenario_in(&repro_path.display().to_string())?)?;
            let drawings = super::visual::Drawings { html: Some(report.clone()), perfetto: None };
            let title = format!("dsim replay {} (seed {})", repro_path.display(), repro.seed);
            drawings.write_run(runner.as_ref(), &title, &result, &kept.0)?;
            row.push(relative(&base, &report));
        }
        links.push(row);
    }
    let title = format!("dsim explore: {}", reports::numbers::things(doc.sweeps.len() as u64, "scenario"));
    files::write_output(page, files::HTML, &reports::html::sweep_page(&title, doc, &links))
}

/// `target` as a link from a page in `base` (both as given, or made
/// absolute when one of them is).
fn relative(base: &Path, target: &Path) -> Option<String> {
    let abs = |p: &Path| std::path::absolute(p).ok();
    let (base, target) = (abs(base)?, abs(target)?);
    let b: Vec<_> = base.components().collect();
    let t: Vec<_> = target.components().collect();
    let common = b.iter().zip(&t).take_while(|(x, y)| x == y).count();
    let mut parts: Vec<String> = std::iter::repeat_n("..".to_string(), b.len() - common).collect();
    parts.extend(t[common..].iter().map(|c| percent_encoded(&c.as_os_str().to_string_lossy())));
    Some(parts.join("/"))
}

/// A path segment as a URL holds it: anything but letters, digits and
/// `-._~` percent-encoded, so that `#`, `?` or a space in a name still link.
fn percent_encoded(segment: &str) -> String {
    let mut s = String::with_capacity(segment.len());
    for b in segment.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
            s.push(b as char);
        } else {
            s.push_str(&format!("%{b:02X}"));
        }
    }
    s
}

/// The runner of a sweep's scenario, as the sweep ran it.
fn runner_for(sweep: &Sweep, swarm: bool) -> Result<Box<dyn sim::Runner>, CliError> {
    let mut scenario = sim::Scenario::load(&sweep.path)?;
    if swarm {
        scenario = scenario.with_swarm()?;
    }
    Ok(crate::registry().prepare(scenario)?)
}

/// Most seeds that were not deterministic rerun with full traces: the
/// smallest ones, whose first difference the summary shows.
const TRACED_NONDETERMINISTIC: usize = 20;

/// Reruns the seeds that were not deterministic twice with full traces
/// (kept under `out`), as `run --check-determinism` does, and records
/// where each pair of runs first differs.
fn find_first_differences(sweep: &mut Sweep, swarm: bool, out: &Path) -> Result<(), CliError> {
    let runner = runner_for(sweep, swarm)?;
    sweep.nondeterministic.sort_by_key(|n| n.seed);
    for n in sweep.nondeterministic.iter_mut().take(TRACED_NONDETERMINISTIC) {
        let (_, _, divergence) = super::run::compare_two_runs(runner.as_ref(), n.seed, out)?;
        match divergence {
            Some(d) => n.first_difference = Some(Box::new(sim::explore::FirstDifference::of(&d))),
            None => crate::colour::eprint(&format!(
                "warning: seed {} differed in the sweep but two traced reruns agreed; it may depend on other runs\n",
                n.seed
            )),
        }
    }
    Ok(())
}

/// Shrinks the repro of every finding and records where the result went.
fn shrink_findings(sweep: &mut Sweep, out: &Path) -> Result<(), CliError> {
    for f in &mut sweep.findings {
        let Some(path) = &f.repro else { continue };
        let repro = crate::commands::replay::read_repro(Path::new(path))?;
        match super::shrink::shrink_and_write(&repro, out) {
            Ok((written, shrunk)) => {
                eprintln!(
                    "shrunk seed {}: {}",
                    repro.seed,
                    super::shrink::before_after_line(&shrunk.before, &shrunk.after)
                );
                f.shrunk = Some(written.display().to_string());
            }
            Err(e) => eprintln!("could not shrink {path}: {e}"),
        }
    }
    Ok(())
}
