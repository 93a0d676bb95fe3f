//! The relay yardstick: the correct protocol passes its scenarios, and
//! each seeded bug is caught by the property it breaks, and by no other.

use sim::explore::Explorer;

fn sweep(path: &str, seeds: u64) -> sim::explore::Sweep {
    Explorer::new(protocols::load(path).unwrap()).seeds(0..seeds).out_dir(None).run()
}

#[test]
fn the_correct_relay_passes_its_scenarios() {
    for path in ["scenarios/relay/any-host-5.toml", "scenarios/relay/ring-100.toml"] {
        let s = sweep(path, 10);
        s.assert_no_findings();
        s.assert_expected_fired();
    }
}

#[test]
fn each_seeded_bug_is_caught_by_the_property_it_breaks() {
    for (path, property) in [
        ("scenarios/relay/bugs/swallow.toml", "circulating"),
        ("scenarios/relay/bugs/ring-off-by-one.toml", "hop-in-reach"),
    ] {
        let s = sweep(path, 10);
        let caught = s.assert_finding(property);
        assert_eq!(caught.seeds.len(), 10, "{path}: every seed");
        assert_eq!(s.findings.len(), 1, "{path}: {property} alone");
    }
}

/// long-chain counts the hops a host observed, so a relay whose messages
/// never get past 600 hops never fires it: the sweep misses what the
/// scenario expects, though no property is violated.
#[test]
fn chains_cut_short_never_fire_long_chain() {
    let s = sweep("scenarios/relay/bugs/short-chains.toml", 10);
    s.assert_no_findings();
    assert_eq!(s.missed, vec!["long-chain".to_string()]);
}
