//! Any bytes as a scenario file: parsing and the protocol's validation
//! either accept it or return a diagnostic, and never panic.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = sim::files::utf8("fuzz.toml", "scenario", data.to_vec()) else { return };
    if let Ok(scenario) = sim::Scenario::parse("fuzz.toml", &text) {
        let _ = protocols::prepare(scenario);
    }
});
