//! The summary page of a sweep: what `dsim explore --html` writes.

use super::{escape, table, HEADER, STYLE};
use std::fmt::Write;

/// The summary page of a sweep (`dsim explore --html`): each scenario's
/// seeds and sometimes-properties, and each finding with its count, its
/// smallest seed, its repro (and shrunk repro), and a link to its own
/// report. `links[i][j]` is the relative link to the report of finding `j`
/// of sweep `i`, if one was written.
pub fn sweep_page(title: &str, doc: &crate::sweep::Document, links: &[Vec<Option<String>>]) -> String {
    let mut s = String::with_capacity(16 * 1024);
    s.push_str(HEADER);
    let findings: usize = doc.sweeps.iter().map(|w| w.findings.len()).sum();
    let _ = write!(
        s,
        "<html lang=\"en\"><head><meta charset=\"utf-8\">\n\
         <meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'\">\n\
         <title>{}</title>\n<style>{STYLE}</style></head>\n<body>\n<header><h1>{}</h1><p class=\"verdict {}\">{}</p></header>\n",
        escape(title),
        escape(title),
        if findings > 0 { "bad" } else { "good" },
        escape(&format!(
            "{} in {}",
            crate::numbers::things(findings as u64, "finding"),
            crate::numbers::things(doc.sweeps.len() as u64, "scenario")
        ))
    );
    for (i, sweep) in doc.sweeps.iter().enumerate() {
        let bug = sweep.bug.as_ref().map_or(String::new(), |b| format!(" [bug {b}]"));
        let _ = write!(s, "<section><h2>{}</h2>", escape(&format!("{}{bug}", sweep.path)));
        let _ = write!(
            s,
            "<p>{}</p>",
            escape(&format!(
                "{} run, {}{}",
                crate::numbers::things(sweep.seeds_run, "seed"),
                crate::numbers::things(sweep.events, "event"),
                sweep.wall_time_s.map_or(String::new(), |t| format!(", {}", crate::numbers::seconds(t)))
            ))
        );
        if sweep.findings.is_empty() {
            s.push_str("<p class=\"verdict good\">no finding</p>");
        } else {
            s.push_str("<table><tr><th>property</th><th>seeds</th><th>smallest</th><th>at</th><th>message</th><th>repro</th><th>report</th></tr>\n");
            for (j, f) in sweep.findings.iter().enumerate() {
                let repro = match (&f.repro, &f.shrunk) {
                    (Some(r), Some(sh)) => format!("{r} (shrunk: {sh})"),
                    (Some(r), None) => r.clone(),
                    (None, _) => "not written".to_string(),
                };
                let link = match links.get(i).and_then(|l| l.get(j)).cloned().flatten() {
                    Some(href) => format!("<a href=\"{}\">report</a>", escape(&href)),
                    None => "none".to_string(),
                };
                let _ = writeln!(
                    s,
                    "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{link}</td></tr>",
                    escape(&format!("{} ({})", f.property, f.kind)),
                    f.seeds.len(),
                    f.smallest_seed(),
                    escape(&format!("step {}, {}", f.step, sim::Time(f.time_ns).approx())),
                    escape(&f.message),
                    escape(&repro),
                );
            }
            s.push_str("</table>");
        }
        if !sweep.sometimes.is_empty() {
            table(
                &mut s,
                &["sometimes-property", "fired in"],
                sweep.sometimes.iter().map(|c| {
                    let never =
                        if c.fired_in == 0 { " (never: the sweep proved nothing about it)" } else { "" };
                    vec![c.name.clone(), format!("{}/{}{never}", c.fired_in, sweep.seeds_run)]
                }),
            );
        }
        s.push_str("</section>\n");
    }
    s.push_str("</body></html>\n");
    s
}
