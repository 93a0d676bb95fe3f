//! `dsim-mutants`: mutation testing of a dsim protocol, judged by sweeps.
//! See docs/mutants.md.

use clap::{Parser, Subcommand};
use dsim_mutants::cost::{self, Costs};
use dsim_mutants::mutate::Mutant;
use dsim_mutants::results::{Equivalents, Record, Results};
use dsim_mutants::sweep::{self, Round, Stopwatch, Verdict};
use dsim_mutants::{apply, enumerate, oracle, report, scenario_files, schemata};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Duration;

#[derive(Parser)]
#[command(name = "dsim-mutants", about = "Mutation testing of dsim's protocols, judged by dsim sweeps")]
struct Cli {
    /// The workspace root.
    #[arg(long, default_value = ".", global = true)]
    repo: PathBuf,
    /// The protocol: its source is protocols/src/NAME, its scenarios every .toml under scenarios/NAME/ but bugs/.
    #[arg(long, short, default_value = "raft", global = true)]
    protocol: String,
    #[command(subcommand)]
    command: Cmd,
}

#[derive(Subcommand)]
enum Cmd {
    /// List the mutants: number, place, id.
    List,
    /// Show mutants as diffs (by id, list number, or FILE:LINE).
    Show { pattern: String },
    /// Apply one mutant to the worktree, to look at it by hand; undo with `revert`.
    Apply { pattern: String },
    /// Undo `apply`.
    Revert,
    /// Build the schemata binary and sweep every mutant, resuming from the results file.
    Run(RunArgs),
    /// Summarise the results file (Markdown).
    Report,
}

#[derive(clap::Args)]
struct RunArgs {
    /// Cumulative seeds per scenario of each round: survivors of one round go on to the next.
    #[arg(long, default_value = "50,300,2000", value_delimiter = ',')]
    rounds: Vec<u64>,
    /// Stop starting sweeps after this much wall time (such as 30m, 2h, 90s).
    #[arg(long)]
    budget: Option<String>,
    /// Only the K-th of N disjoint slices of the mutants.
    #[arg(long)]
    shard: Option<String>,
    /// Only these mutants (id, list number, or FILE:LINE); repeatable. Runs them even if they have a result.
    #[arg(long)]
    only: Vec<String>,
    /// A round that takes longer than this many times the unmutated program's is a timeout (caught).
    #[arg(long, default_value_t = 10.0)]
    timeout_factor: f64,
    /// Jobs for the schemata build (default: cargo's).
    #[arg(long)]
    build_jobs: Option<u32>,
    /// Seeds per scenario of the cost comparison that survivors of every round get (twice: a second,
    /// disjoint set confirms a rise); 0 skips it.
    #[arg(long, default_value_t = 100)]
    cost_seeds: u64,
    /// The least rise of a cost, in percent of the unmutated program's, that makes a mutant slower
    /// (default: any rise the paired test confirms).
    #[arg(long, default_value_t = 100.0 * cost::MIN_RISE)]
    min_rise: f64,
    /// Skip the rounds and compare every chosen survivor's costs again, even those compared before,
    /// keeping the rounds' results: for when the costs measured changed.
    #[arg(long)]
    costs_only: bool,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match run(&cli) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::from(2)
        }
    }
}

fn results_path(cli: &Cli) -> PathBuf {
    dsim_mutants::results_path(&cli.repo, &cli.protocol)
}

fn equivalents_path(cli: &Cli) -> PathBuf {
    dsim_mutants::equivalents_path(&cli.repo, &cli.protocol)
}

fn applied_path(cli: &Cli) -> PathBuf {
    cli.repo.join("target/mutants/applied.json")
}

fn select<'a>(mutants: &'a [Mutant], pattern: &str) -> Vec<(usize, &'a Mutant)> {
    let numbered = mutants.iter().enumerate().map(|(i, m)| (i + 1, m));
    if let Ok(n) = pattern.parse::<usize>() {
        return numbered.filter(|(i, _)| *i == n).collect();
    }
    if let Some(m) = mutants.iter().position(|m| m.id == pattern) {
        return vec![(m + 1, &mutants[m])];
    }
    numbered.filter(|(_, m)| format!("{}:{}", m.file, m.line).ends_with(pattern)).collect()
}

fn parse_duration(text: &str) -> Result<Duration, String> {
    let bad = || format!("`{text}` is not a duration: expected a number and s, m or h, such as 30m");
    let (num, unit) = text.split_at(text.find(|c: char| !c.is_ascii_digit()).ok_or_else(bad)?);
    let n: u64 = num.parse().map_err(|_| bad())?;
    match unit {
        "s" => Ok(Duration::from_secs(n)),
        "m" => Ok(Duration::from_secs(n * 60)),
        "h" => Ok(Duration::from_secs(n * 3600)),
        _ => Err(bad()),
    }
}

fn parse_shard(text: &str) -> Result<(usize, usize), String> {
    let bad = || format!("--shard `{text}`: expected K/N with 1 <= K <= N");
    let (k, n) = text.split_once('/').ok_or_else(bad)?;
    let (k, n): (usize, usize) = (k.parse().map_err(|_| bad())?, n.parse().map_err(|_| bad())?);
    if k == 0 || k > n {
        return Err(bad());
    }
    Ok((k, n))
}

fn run(cli: &Cli) -> Result<ExitCode, String> {
    let repo = &cli.repo;
    match &cli.command {
        Cmd::List => {
            let e = enumerate(repo, &cli.protocol)?;
            for (i, m) in e.mutants.iter().enumerate() {
                println!("{:>4} {}:{}:{} {}", i + 1, m.file, m.line, m.column, m.id);
            }
            println!("{} mutants", e.mutants.len());
        }
        Cmd::Show { pattern } => {
            let e = enumerate(repo, &cli.protocol)?;
            let chosen = select(&e.mutants, pattern);
            if chosen.is_empty() {
                return Err(format!("no mutant matches `{pattern}`"));
            }
            for (i, m) in chosen {
                let source = std::fs::read_to_string(repo.join(&m.file)).map_err(|e| e.to_string())?;
                println!("#{i} {}\n{}", m.id, apply::diff(&source, m));
            }
        }
        Cmd::Apply { pattern } => {
            if applied_path(cli).exists() {
                return Err("a mutant is applied already: `dsim-mutants revert` first".into());
            }
            let e = enumerate(repo, &cli.protocol)?;
            let [(_, m)] = select(&e.mutants, pattern)[..] else {
                return Err(format!("`{pattern}` must match exactly one mutant"));
            };
            let applied = apply::apply(&repo.join(&m.file), m).map_err(|e| e.to_string())?;
            std::fs::create_dir_all(repo.join("target/mutants")).map_err(|e| e.to_string())?;
            let json = serde_json::to_string(&applied).map_err(|e| e.to_string())?;
            std::fs::write(applied_path(cli), json).map_err(|e| e.to_string())?;
            println!("applied {} to {}; `dsim-mutants revert` puts it back", m.id, m.file);
        }
        Cmd::Revert => {
            let path = applied_path(cli);
            let text = std::fs::read_to_string(&path).map_err(|_| "no mutant is applied".to_string())?;
            let applied: apply::Applied = serde_json::from_str(&text).map_err(|e| e.to_string())?;
            apply::revert(&applied).map_err(|e| e.to_string())?;
            std::fs::remove_file(&path).map_err(|e| e.to_string())?;
            println!("reverted {}", applied.id);
        }
        Cmd::Report => print!("{}", dsim_mutants::report_of(repo, &cli.protocol)?),
        Cmd::Run(args) => return run_sweeps(cli, args),
    }
    Ok(ExitCode::SUCCESS)
}

fn run_sweeps(cli: &Cli, args: &RunArgs) -> Result<ExitCode, String> {
    let repo = &cli.repo;
    let budget = args.budget.as_deref().map(parse_duration).transpose()?;
    let shard = args.shard.as_deref().map(parse_shard).transpose()?;
    if args.rounds.is_empty() || args.rounds.windows(2).any(|w| w[0] >= w[1]) || args.rounds[0] == 0 {
        return Err("--rounds must be increasing seed counts, such as 50,300,2000".into());
    }
    let watch = Stopwatch::start();
    let e = enumerate(repo, &cli.protocol)?;
    let scenarios = scenario_files(repo, &cli.protocol)?;
    let oracle = oracle(repo, &cli.protocol)?;
    let results_file = results_path(cli);
    let mut results = Results::load(&results_file)?;
    let mut chosen: Vec<(usize, &Mutant)> = if args.only.is_empty() {
        e.mutants.iter().enumerate().map(|(i, m)| (i + 1, m)).collect()
    } else {
        args.only.iter().flat_map(|p| select(&e.mutants, p)).collect()
    };
    if let Some((k, n)) = shard {
        chosen.retain(|(i, _)| (i - 1) % n == k - 1);
    }
    eprintln!(
        "{} mutants of {} ({} chosen), {} scenarios",
        e.mutants.len(),
        cli.protocol,
        chosen.len(),
        scenarios.len()
    );

    eprintln!("building the schemata binary in {}", schemata::work_dir(repo).display());
    // Each protocol and shard its own binary and scratch folder: runs go
    // side by side.
    let label = match shard {
        Some((k, n)) => format!("{}-{k}-of-{n}", cli.protocol),
        None => cli.protocol.clone(),
    };
    let dsim = schemata::build(repo, &e, args.build_jobs, &label)?;
    let scratch = repo.join(format!("target/mutants/scratch-{label}"));

    // The unmutated program must pass the first round; its time sets the
    // time limit of every round.
    let first = args.rounds[0];
    let base = Stopwatch::start();
    let baseline = sweep::run(&Round {
        dsim: &dsim,
        repo,
        scenarios: &scenarios,
        seeds: (0, first),
        mutant: 0,
        timeout: Duration::from_secs(3600),
        scratch: &scratch,
    });
    let per_seed = base.seconds() / first as f64;
    let Verdict::Survived { fired: base_fired, .. } = baseline else {
        return Err(format!("the unmutated program does not pass {first} seeds: {baseline:?}"));
    };
    eprintln!("baseline: {first} seeds per scenario in {:.1}s", base.seconds());

    let mut out_of_budget = false;
    let rounds: &[u64] = if args.costs_only { &[] } else { &args.rounds };
    'rounds: for &end in rounds {
        for &(n, m) in &chosen {
            // Reviewers may add equivalents while a run goes on.
            let eq = Equivalents::load(&equivalents_path(cli))?;
            let fn_hash = format!("{:016x}", m.fn_hash);
            let fresh = results.get(&m.id).filter(|r| r.fn_hash == fn_hash && r.oracle == oracle).cloned();
            let forced = !args.only.is_empty() && end == first;
            let start = match &fresh {
                _ if forced => 0,
                Some(r) if r.is_caught() => continue,
                // Reviewed survivors (equivalent, performance only) need no
                // more seeds; gaps do, since more seeds may still catch them.
                Some(r)
                    if r.status == "survived"
                        && (r.seeds >= end || (eq.reason(&m.id).is_some() && !eq.gap(&m.id))) =>
                {
                    continue
                }
                Some(r) if r.status == "survived" => r.seeds,
                _ if end != first => continue, // a mutant starts with the first round
                _ => 0,
            };
            if budget.is_some_and(|b| watch.seconds() > b.as_secs_f64()) {
                out_of_budget = true;
                break 'rounds;
            }
            let timeout =
                Duration::from_secs_f64((args.timeout_factor * per_seed * (end - start) as f64).max(30.0));
            let t = Stopwatch::start();
            let verdict = sweep::run(&Round {
                dsim: &dsim,
                repo,
                scenarios: &scenarios,
                seeds: (start, end),
                mutant: n,
                timeout,
                scratch: &scratch,
            });
            let verdict =
                if (start, end) == (0, first) { vacuous(verdict, &base_fired, first) } else { verdict };
            let spent = t.seconds() + if start > 0 { fresh.as_ref().map_or(0.0, |r| r.seconds) } else { 0.0 };
            let record = record_of(m, &verdict, end, spent, fn_hash, &oracle);
            eprintln!(
                "[{:>6.0}s] #{n:<4} {:<9} seeds {start}..{end} {:>5.1}s  {}",
                watch.seconds(),
                record.status,
                t.seconds(),
                m.id
            );
            results.save(&results_file, record)?;
        }
    }
    if !out_of_budget && args.cost_seeds > 0 {
        let costs = CostPhase {
            dsim: &dsim,
            repo,
            scratch: &scratch,
            scenarios: &scenarios,
            per_seed,
            oracle: &oracle,
        };
        out_of_budget = costs.run(cli, args, &chosen, &mut results, &watch, budget)?;
    }
    if out_of_budget {
        eprintln!("budget spent: run again to resume");
    }
    let eq = Equivalents::load(&equivalents_path(cli))?;
    print!("{}", report::render(&cli.protocol, &e.mutants, &results, &oracle, &eq));
    Ok(ExitCode::SUCCESS)
}

/// The cost comparison of the survivors of every round (see
/// `dsim_mutants::cost`).
struct CostPhase<'a> {
    dsim: &'a Path,
    repo: &'a Path,
    scratch: &'a Path,
    scenarios: &'a [PathBuf],
    per_seed: f64,
    oracle: &'a str,
}

impl CostPhase<'_> {
    /// Returns whether the budget ran out.
    fn run(
        &self,
        cli: &Cli,
        args: &RunArgs,
        chosen: &[(usize, &Mutant)],
        results: &mut Results,
        watch: &Stopwatch,
        budget: Option<Duration>,
    ) -> Result<bool, String> {
        let p = args.cost_seeds;
        let sets = [(0, p), (p, 2 * p)];
        let min_rise = args.min_rise / 100.0;
        let mut base: Option<Vec<Costs>> = None;
        for &(n, m) in chosen {
            let fn_hash = format!("{:016x}", m.fn_hash);
            let Some(prior) =
                results.get(&m.id).filter(|r| r.fn_hash == fn_hash && r.oracle == self.oracle).cloned()
            else {
                continue;
            };
            let forced = !args.only.is_empty() || args.costs_only;
            if prior.status != "survived" || (prior.cost_seeds == Some(p) && !forced) {
                continue;
            }
            if budget.is_some_and(|b| watch.seconds() > b.as_secs_f64()) {
                return Ok(true);
            }
            let base = match &mut base {
                Some(b) => b,
                None => {
                    eprintln!("cost baseline: seeds 0..{} of the unmutated program", 2 * p);
                    let mut costs = Vec::new();
                    for seeds in sets {
                        match self.sweep(0, seeds, args) {
                            Verdict::Survived { costs: c, .. } => costs.push(c),
                            other => {
                                return Err(format!("the unmutated program fails seeds {seeds:?}: {other:?}"))
                            }
                        }
                    }
                    // The unmutated program against itself: its two sets
                    // paired with each other (runs that share no faults:
                    // the largest spread a pairing can leave), either way
                    // round, must not pass the first bound.
                    let noise = [(0, 1), (1, 0)].map(|(a, b)| cost::rises(&costs[a], &costs[b], 0.0, 0.0));
                    let largest = noise.iter().flatten().map(|r| r.t).fold(0.0, f64::max);
                    eprintln!("cost baseline: largest t between its two sets of seeds {largest:.1}");
                    if let Some(r) =
                        noise.iter().flatten().find(|r| r.t >= cost::MIN_T && r.percent() >= args.min_rise)
                    {
                        return Err(format!("costs too noisy for the comparison: the unmutated program against itself: {} in {}", r.describe(), r.scenario));
                    }
                    base.insert(costs)
                }
            };
            let t = Stopwatch::start();
            let mut end = p;
            let verdict = match self.sweep(n, sets[0], args) {
                Verdict::Survived { costs, .. } => {
                    let first = cost::rises(&base[0], &costs, min_rise, cost::MIN_T);
                    if first.is_empty() {
                        Verdict::Survived { fired: Vec::new(), costs }
                    } else {
                        // A rise must show again on other seeds.
                        end = 2 * p;
                        match self.sweep(n, sets[1], args) {
                            Verdict::Survived { costs, .. } => {
                                let second = cost::rises(&base[1], &costs, min_rise, cost::CONFIRM_T);
                                match cost::confirmed(&first, &second) {
                                    Some((first, second)) => Verdict::Slower { first, second, seeds: p },
                                    None => Verdict::Survived { fired: Vec::new(), costs },
                                }
                            }
                            other => other,
                        }
                    }
                }
                other => other,
            };
            let mut record = record_of(
                m,
                &verdict,
                prior.seeds.max(end),
                prior.seconds + t.seconds(),
                fn_hash,
                self.oracle,
            );
            if record.status == "survived" {
                record.cost_seeds = Some(p);
            }
            eprintln!(
                "[{:>6.0}s] #{n:<4} {:<9} cost seeds 0..{end} {:>5.1}s  {}",
                watch.seconds(),
                record.status,
                t.seconds(),
                m.id
            );
            results.save(&results_path(cli), record)?;
        }
        Ok(false)
    }

    fn sweep(&self, n: usize, seeds: (u64, u64), args: &RunArgs) -> Verdict {
        let count = (seeds.1 - seeds.0) as f64;
        sweep::run(&Round {
            dsim: self.dsim,
            repo: self.repo,
            scenarios: self.scenarios,
            seeds,
            mutant: n,
            timeout: Duration::from_secs_f64((args.timeout_factor * self.per_seed * count).max(30.0)),
            scratch: self.scratch,
        })
    }
}

/// A survivor of the first round whose sweep never once did what the
/// unmutated program did in at least a quarter of the same seeds (a leader
/// change, a snapshot installed): the mutant removed behaviour the
/// scenario exists to exercise, which dsim reports as a sweep that proved
/// nothing. It counts as caught, as `vacuous`.
fn vacuous(verdict: Verdict, base: &[(String, String, u64)], seeds: u64) -> Verdict {
    let Verdict::Survived { fired, .. } = &verdict else { return verdict };
    for (scenario, property, n) in base {
        let now = fired.iter().find(|(s, p, _)| s == scenario && p == property).map_or(0, |f| f.2);
        if *n * 4 >= seeds && now == 0 {
            return Verdict::Vacuous { scenario: scenario.clone(), property: property.clone(), baseline: *n };
        }
    }
    verdict
}

fn record_of(m: &Mutant, verdict: &Verdict, end: u64, seconds: f64, fn_hash: String, oracle: &str) -> Record {
    let mut r = Record {
        id: m.id.clone(),
        file: m.file.clone(),
        line: m.line,
        column: m.column,
        operator: m.operator.to_string(),
        before: m.before.clone(),
        after: m.after.clone(),
        seeds: end,
        seconds: (seconds * 10.0).round() / 10.0,
        fn_hash,
        oracle: oracle.to_string(),
        ..Record::default()
    };
    match verdict {
        Verdict::Caught { scenario, property, seed, message } => {
            r.status = "caught".into();
            r.scenario = Some(scenario.clone());
            r.property = Some(property.clone());
            r.seeds_needed = Some(seed + 1);
            r.message = Some(message.clone());
        }
        Verdict::Limit { scenario, seed, message } => {
            r.status = "limit".into();
            r.scenario = Some(scenario.clone());
            r.seeds_needed = Some(seed + 1);
            r.message = Some(message.clone());
        }
        Verdict::Timeout { seconds } => {
            r.status = "timeout".into();
            r.message = Some(format!("the round ran past its limit ({seconds:.0}s)"));
        }
        Verdict::Vacuous { scenario, property, baseline } => {
            r.status = "vacuous".into();
            r.scenario = Some(scenario.clone());
            r.property = Some(property.clone());
            r.message = Some(format!(
                "sometimes-property {property} never fired; unmutated it fired in {baseline} of these {end} seeds"
            ));
        }
        Verdict::Slower { first, second, seeds } => {
            r.status = "slower".into();
            r.scenario = Some(first.scenario.clone());
            r.property = Some(first.cost.clone());
            r.message = Some(format!(
                "costs more than the unmutated program: {} on seeds 0..{seeds}; {} on seeds {seeds}..{}",
                first.describe(),
                second.describe(),
                2 * seeds
            ));
        }
        Verdict::Survived { .. } => r.status = "survived".into(),
        Verdict::Error { message } => {
            r.status = "error".into();
            r.message = Some(message.clone());
        }
    }
    r
}
