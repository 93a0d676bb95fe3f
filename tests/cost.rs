//! What runs spend (`cost` and `seed_costs` in `dsim explore --json`) and
//! the comparison dsim-mutants makes of it: two builds over the same seeds,
//! paired seed by seed. Proven here on changes whose cost is known: Raft
//! with pipelining off (entries wait for their turn: client latency rises
//! by some 8%, paired t near 14 over 100 seeds, where comparing the two
//! means alone gives t near 5) and with snapshots four times rarer (more
//! keys left on disk) and election timeouts four times longer (a longer
//! stall before the first leader: the mean wait for an ok rises), against
//! the same scenario unchanged on other seeds
//! (noise, which must stay under the bounds).

use dsim_mutants::cost::{self, Costs};
use sim::cost::{DISK_KEYS, LATENCY, MESSAGES, TAIL_LATENCY, UNFINISHED, WAIT, WORDS};
use sim::explore::{Explorer, Sweep};
use sim::Scenario;

const LOSSY: &str = "scenarios/raft/lossy-links.toml";

/// The lossy-links scenario with extra `[protocol]` settings.
fn lossy(settings: &str) -> String {
    let text = std::fs::read_to_string(LOSSY).unwrap();
    let body: String =
        text.lines().filter(|l| !l.starts_with("protocol = ")).map(|l| format!("{l}\n")).collect();
    format!("{body}\n[protocol]\nname = \"raft\"\n{settings}\n")
}

fn sweep(source: &str, seeds: std::ops::Range<u64>) -> Sweep {
    let runner =
        protocols::prepare(Scenario::parse(LOSSY, source).unwrap_or_else(|e| panic!("{e}"))).unwrap();
    Explorer::new(runner).seeds(seeds).out_dir(None).seed_costs(true).run()
}

/// The sweep's costs as dsim-mutants reads them from the JSON.
fn costs(sweep: &Sweep) -> Costs {
    let json = serde_json::to_value(&sweep.seed_costs).unwrap();
    vec![(sweep.path.clone(), serde_json::from_value(json).unwrap())]
}

fn rises(base: &Sweep, other: &Sweep) -> Vec<cost::Rise> {
    cost::rises(&costs(base), &costs(other), cost::MIN_RISE, cost::MIN_T)
}

#[test]
fn costs_are_measured_and_the_same_on_the_same_seeds() {
    let a = sweep(&lossy(""), 0..20);
    let names: Vec<&str> = a.cost.iter().map(|c| c.name.as_str()).collect();
    let engine = [MESSAGES, WORDS, UNFINISHED, LATENCY, TAIL_LATENCY, WAIT, DISK_KEYS];
    assert_eq!(names[..7], engine, "the engine's first");
    let raft_costs = ["leaders elected", "leaders stepped down", "longest log in memory", "highest term"];
    assert_eq!(names[7..], [&raft_costs[..], &["snapshots installed"]].concat(), "then Raft's own");
    for c in &a.cost[..7] {
        assert_eq!(c.seeds, 20, "{}", c.name);
        assert!(c.sum > 0.0 && c.sum_sq >= c.sum * c.sum / 20.0 - 1e-6, "{}: {c:?}", c.name);
    }
    let mean = |name: &str| a.cost.iter().find(|c| c.name == name).map(|c| c.sum / c.seeds as f64).unwrap();
    assert!(mean(TAIL_LATENCY) > 2.0 * mean(LATENCY), "the slowest 1% are well above the mean");
    let words = a.cost.iter().find(|c| c.name == WORDS).unwrap();
    let messages = a.cost.iter().find(|c| c.name == MESSAGES).unwrap();
    assert!(words.sum > 2.0 * messages.sum, "a message is more than a word or two");
    let seeds: Vec<u64> = a.seed_costs.iter().map(|c| c.seed).collect();
    assert_eq!(seeds, (0..20).collect::<Vec<_>>(), "each seed's costs, in seed order");
    for (i, c) in a.cost.iter().enumerate() {
        let sum: f64 = a.seed_costs.iter().map(|s| s.values[i]).sum();
        assert!((sum - c.sum).abs() < 1e-6 * c.sum.abs().max(1.0), "{}: {sum} vs {}", c.name, c.sum);
    }
    let again = sweep(&lossy(""), 0..20);
    assert_eq!(a.cost, again.cost, "deterministic: the same seeds spend the same");
}

#[test]
fn other_seeds_of_the_same_build_are_within_the_bounds() {
    let (a, b) = (sweep(&lossy(""), 0..60), sweep(&lossy(""), 60..120));
    assert_eq!(rises(&a, &b), [], "noise taken for a rise");
    assert_eq!(rises(&b, &a), [], "noise taken for a rise");
}

#[test]
fn pipelining_off_slow_elections_and_rare_snapshots_raise_their_costs() {
    let base = sweep(&lossy(""), 0..100);
    let one_at_a_time = rises(&base, &sweep(&lossy("max_inflight = 1"), 0..100));
    let latency = one_at_a_time.iter().find(|r| r.cost == LATENCY).expect("latency rose");
    assert!(latency.t > 10.0, "pairing by seed takes out the seeds' spread: {latency:?}");
    let rare_snapshots = rises(&base, &sweep(&lossy("snapshot_every = 2000"), 0..100));
    let disk = rare_snapshots.iter().find(|r| r.cost == DISK_KEYS).expect("disk keys rose");
    assert!(disk.percent() > 100.0, "{disk:?}");
    // Election timeouts four times longer: every run waits longer for its
    // first leader, a stall at the start where no operation completes.
    let slow_elections = rises(&base, &sweep(&lossy(r#"election_timeout = ["600ms", "1200ms"]"#), 0..100));
    let wait = slow_elections.iter().find(|r| r.cost == WAIT).expect("the wait for an ok rose");
    assert!(wait.percent() > 10.0, "{wait:?}");
}
