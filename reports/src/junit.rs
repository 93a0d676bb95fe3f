//! JUnit XML for CI systems: one testsuite per command, one testcase per
//! scenario, one failure per finding with the command that replays it.

use crate::sweep::Document;
use std::fmt::Write;

fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            c if (c as u32) < 0x20 && c != '\n' && c != '\t' => {}
            c => out.push(c),
        }
    }
    out
}

pub fn junit(doc: &Document) -> String {
    let tests = doc.sweeps.len();
    let failures = doc
        .sweeps
        .iter()
        .filter(|s| !s.findings.is_empty() || !s.nondeterministic.is_empty() || !s.missed.is_empty())
        .count();
    let time = doc.wall_time_s.unwrap_or(0.0);
    // The comment marks the file as dsim's, which dsim may replace.
    let mut x =
        format!("{} report: written by dsim; dsim replaces it when asked to -->\n", sim::files::JUNIT.marker);
    let _ = writeln!(
        x,
        "<testsuites name=\"dsim\" tests=\"{tests}\" failures=\"{failures}\" time=\"{time:.3}\">"
    );
    let _ = writeln!(
        x,
        "  <testsuite name=\"dsim explore\" tests=\"{tests}\" failures=\"{failures}\" time=\"{time:.3}\">"
    );
    for w in &doc.sweeps {
        let name = format!("{} (seeds {})", w.path, w.seeds.describe(w.shard));
        let _ = write!(
            x,
            "    <testcase classname=\"{}\" name=\"{}\" time=\"{:.3}\"",
            escape(&w.protocol),
            escape(&name),
            w.wall_time_s.unwrap_or(0.0)
        );
        if w.findings.is_empty() && w.nondeterministic.is_empty() && w.missed.is_empty() {
            x.push_str("/>\n");
            continue;
        }
        x.push_str(">\n");
        for f in &w.findings {
            let mut body = format!(
                "{} ({}) violated on {}, smallest {}: {}\n",
                f.property,
                f.kind,
                crate::numbers::things(f.seeds.len() as u64, "seed"),
                f.smallest_seed(),
                f.message
            );
            if let Some(r) = &f.repro {
                body.push_str(&format!("replay: {}\n", sim::repro::replay_command(r)));
            }
            let _ = writeln!(
                x,
                "      <failure type=\"{}\" message=\"{}\">{}</failure>",
                escape(&f.property),
                escape(&format!("{}: seed {}: {}", f.property, f.smallest_seed(), f.message)),
                escape(&body)
            );
        }
        for name in &w.missed {
            let _ = writeln!(
                x,
                "      <failure type=\"expected-sometimes\" message=\"{}\">expected sometimes-property {} never fired on any of {} seed(s)</failure>",
                escape(&format!("{name} (sometimes) never fired")),
                escape(name),
                w.seeds_run
            );
        }
        for n in &w.nondeterministic {
            let _ = writeln!(
                x,
                "      <failure type=\"nondeterminism\" message=\"seed {} is not deterministic\">trace hashes {} and {}</failure>",
                n.seed, n.first_hash, n.second_hash
            );
        }
        x.push_str("    </testcase>\n");
    }
    x.push_str("  </testsuite>\n</testsuites>\n");
    x
}

#[cfg(test)]
mod tests {
    #[test]
    fn begins_with_the_marker_dsim_recognises() {
        let doc = crate::sweep::Document::new(Vec::new(), None, None);
        assert!(super::junit(&doc).starts_with(sim::files::JUNIT.marker));
        let json = serde_json::to_string_pretty(&doc).unwrap();
        assert!(json.starts_with(sim::files::SWEEP.marker), "{json}");
    }

    #[test]
    fn escapes_markup() {
        assert_eq!(super::escape("a<b & \"c\""), "a&lt;b &amp; &quot;c&quot;");
    }
}
