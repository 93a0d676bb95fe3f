//! `dsim merge` counts every seed once and says when seeds are missing.

mod common;
use common::{dsim, stderr, stdout};

const TINY: &str = "tests/fixtures/tiny-gossip.toml";

/// Runs shard `k/n` of seeds 0..12 and returns the JSON file's path.
fn shard(dir: &std::path::Path, k: u64, n: u64) -> String {
    let file = dir.join(format!("shard-{k}-of-{n}.json")).display().to_string();
    let o = dsim(&["explore", TINY, "--seeds", "0..12", "--shard", &format!("{k}/{n}"), "--json", &file]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    file
}

#[test]
fn the_same_shard_twice_is_refused_with_its_name() {
    let dir = common::temp_dir("merge-twice");
    let (a, b) = (shard(&dir, 1, 2), shard(&dir, 2, 2));
    let o = dsim(&["merge", &a, &b, &a]);
    assert_eq!(o.status.code(), Some(2), "{}", stdout(&o));
    let err = stderr(&o);
    assert!(err.contains(&a) && err.contains("shard 1/2") && err.contains("overlap"), "{err}");
    let copy = dir.join("copy.json").display().to_string();
    std::fs::copy(&a, &copy).unwrap();
    let o = dsim(&["merge", &a, &b, &copy]);
    assert_eq!(o.status.code(), Some(2), "a copy under another name: {}", stderr(&o));
    assert!(stderr(&o).contains(&copy), "{}", stderr(&o));
    // A whole sweep overlaps any of its shards.
    let whole = dir.join("whole.json").display().to_string();
    let o = dsim(&["explore", TINY, "--seeds", "0..12", "--json", &whole]);
    assert_eq!(o.status.code(), Some(0));
    let o = dsim(&["merge", &whole, &b]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
}

#[test]
fn missing_shards_are_named_and_the_merge_gives_no_clean_verdict() {
    let dir = common::temp_dir("merge-missing");
    let (one, three) = (shard(&dir, 1, 4), shard(&dir, 3, 4));
    let o = dsim(&["merge", &one, &three]);
    assert_eq!(o.status.code(), Some(3), "not every seed ran: {}", stderr(&o));
    let err = stderr(&o);
    assert!(err.contains("shards 2/4 and 4/4") && err.contains(TINY), "{err}");
    assert!(stdout(&o).contains("incomplete"), "the summary says so too: {}", stdout(&o));
    let (two, four) = (shard(&dir, 2, 4), shard(&dir, 4, 4));
    let o = dsim(&["merge", &one, &two, &three, &four]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!(!stderr(&o).contains("missing"), "{}", stderr(&o));
}
