//! Any bytes as a repro file, read the way `dsim replay` and `dsim shrink`
//! read one: UTF-8, JSON, the embedded scenario, the protocol's
//! validation and the fault schedule. Errors, never panics.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = sim::files::utf8("fuzz.json", "repro", data.to_vec()) else { return };
    let Ok(repro) = sim::repro::Repro::from_text("fuzz.json", &text) else { return };
    let Ok(scenario) = repro.scenario_in("fuzz.json") else { return };
    if let Ok(runner) = protocols::prepare(scenario) {
        let _ = runner.scenario().check_schedule(&repro.faults);
    }
});
