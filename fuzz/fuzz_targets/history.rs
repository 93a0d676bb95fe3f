//! Any text as a history in each format dsim reads: a history or an error
//! at an offset inside the text, never a panic.
#![no_main]

use libfuzzer_sys::fuzz_target;
use sim::lin::formats::{read_history, Format};

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let _ = Format::detect(text);
    for format in [Format::Dsim, Format::Edn, Format::JepsenLog] {
        if let Err(e) = read_history(text, format) {
            assert!(
                e.offset <= text.len(),
                "{format:?}: error offset {} past the end {}",
                e.offset,
                text.len()
            );
        }
    }
});
