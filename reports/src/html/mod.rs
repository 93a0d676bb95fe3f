//! One self-contained HTML page for a run, a replay or a checked history:
//! a space-time diagram of the trace (SVG, drawn by the page's own script),
//! the clients' history as a timeline with the linearizability
//! counterexample, the configuration, the fault schedule, every property's
//! verdict and the metrics. Nothing is fetched: styles, script and data are
//! in the file.
//!
//! Everything a protocol or a user wrote is escaped: in the HTML by
//! [`escape`], in the embedded JSON by [`script_json`] (no `<` survives, so
//! no `</script>` can end the data early), and the script puts text into
//! the page with `textContent`, never as markup.

pub mod data;
mod sweep;

pub use sweep::sweep_page;

use serde_json::Value as Json;
use sim::fault::TimedFault;
use sim::{PropertyVerdict, RunResult};
use std::fmt::Write;

const STYLE: &str = include_str!("report.css");
const SCRIPT: &str = include_str!("report.js");

/// The first bytes of every report (`sim::files::HTML`'s marker).
pub const HEADER: &str = "<!DOCTYPE html>\n<!-- dsim report -->\n";

/// `text` safe inside HTML text and attribute values.
pub fn escape(text: &str) -> String {
    let mut s = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => s.push_str("&amp;"),
            '<' => s.push_str("&lt;"),
            '>' => s.push_str("&gt;"),
            '"' => s.push_str("&quot;"),
            '\'' => s.push_str("&#39;"),
            c if c.is_control() && c != '\n' && c != '\t' => {
                let _ = write!(s, "\\u{{{:x}}}", c as u32);
            }
            c => s.push(c),
        }
    }
    s
}

/// JSON safe inside a `<script type="application/json">` element: `<`,
/// `>` and `&` only occur inside strings, where `\u003c` means the same.
pub fn script_json(value: &Json) -> String {
    let text = serde_json::to_string(value).expect("JSON serializes");
    let mut s = String::with_capacity(text.len() + 64);
    for c in text.chars() {
        match c {
            '<' => s.push_str("\\u003c"),
            '>' => s.push_str("\\u003e"),
            '&' => s.push_str("\\u0026"),
            '\u{2028}' => s.push_str("\\u2028"),
            '\u{2029}' => s.push_str("\\u2029"),
            c => s.push(c),
        }
    }
    s
}

/// What a page shows besides the drawing's data.
pub struct Page<'a> {
    pub title: String,
    /// One line under the title: the verdict.
    pub verdict: String,
    /// Whether the verdict is bad (drawn in red).
    pub failed: bool,
    /// The resolved configuration, as `dsim run` prints it.
    pub configuration: Option<String>,
    pub faults: &'a [TimedFault],
    pub properties: &'a [PropertyVerdict],
    /// `(name, value)` rows: the run's summary and metrics.
    pub figures: Vec<(String, String)>,
    /// Lines under the linearizability section (the counterexample in
    /// words), if any.
    pub explanation: Option<String>,
    pub data: Json,
}

/// The page of one run.
pub fn run_page(
    title: &str,
    configuration: Option<String>,
    result: &RunResult,
    servers: u32,
    clients: u32,
    trace: &[sim::trace::TraceLine],
) -> String {
    let counterexample = match &result.linearizability {
        Some(sim::result::Linearizability { verdict: sim::lin::Verdict::NotLinearizable(ce), .. }) => {
            Some(ce)
        }
        _ => None,
    };
    let input = data::Input {
        servers,
        clients,
        trace,
        faults: &result.faults,
        history: &result.history,
        counterexample,
        violation: result.violation.as_ref().map(|v| (v.step, v.time_ns)),
        end_ns: result.virtual_time_ns,
    };
    let verdict = match (&result.violation, &result.limit) {
        (Some(v), _) => format!(
            "{} ({}) violated at step {}, {}: {}",
            v.property,
            v.kind,
            v.step,
            sim::Time(v.time_ns).approx(),
            v.message
        ),
        (None, Some(limit)) => format!("limit: {limit}"),
        (None, None) => "ok: every checked property held".to_string(),
    };
    let mut figures = vec![
        ("scenario".to_string(), result.scenario.clone()),
        ("protocol".to_string(), result.protocol.clone()),
        ("seed".to_string(), result.seed.to_string()),
        ("events".to_string(), crate::numbers::thousands(result.events)),
        ("virtual time".to_string(), sim::Time(result.virtual_time_ns).approx()),
        ("trace hash".to_string(), result.trace_hash.clone()),
        (
            "messages".to_string(),
            format!(
                "{} sent; dropped {} by partitions, {} by loss, {} with no link; {} duplicated",
                result.network.sent,
                result.network.dropped_partition,
                result.network.dropped_loss,
                result.network.dropped_no_link,
                result.network.duplicated
            ),
        ),
    ];
    if let Some(bug) = &result.bug {
        figures.insert(2, ("seeded bug".to_string(), bug.clone()));
    }
    let t = result.operations;
    if t.invoked > 0 {
        figures.push((
            "operations".to_string(),
            format!(
                "{} invoked: {} ok, {} fail, {} info, {} pending",
                t.invoked,
                t.ok,
                t.fail,
                t.info,
                t.pending()
            ),
        ));
    }
    for m in &result.metrics {
        figures.push((m.name.clone(), crate::numbers::metric(m.value, &m.unit)));
    }
    let explanation = counterexample.map(|ce| {
        let model = result.linearizability.as_ref().map_or("model", |l| l.model.as_str());
        crate::lin::explain(&result.history, model, ce)
    });
    page(&Page {
        title: title.to_string(),
        failed: result.violation.is_some(),
        verdict,
        configuration,
        faults: &result.faults,
        properties: &result.properties,
        figures,
        explanation,
        data: data::build(&input),
    })
}

/// The page of a history checked alone (`dsim check --html`).
pub fn history_page(title: &str, model: &str, history: &sim::History, verdict: &sim::lin::Verdict) -> String {
    let clients = history.events.iter().map(|e| e.process + 1).max().unwrap_or(0);
    let counterexample = match verdict {
        sim::lin::Verdict::NotLinearizable(ce) => Some(ce),
        _ => None,
    };
    let end_ns = history.events.iter().map(|e| e.time_ns).max().unwrap_or(0);
    let input = data::Input {
        servers: 0,
        clients,
        trace: &[],
        faults: &[],
        history,
        counterexample,
        violation: None,
        end_ns,
    };
    let (text, failed) = match verdict {
        sim::lin::Verdict::Linearizable => (format!("linearizable against the {model} model"), false),
        sim::lin::Verdict::NotLinearizable(_) => {
            (format!("not linearizable against the {model} model"), true)
        }
        sim::lin::Verdict::Unknown { reason } => (format!("unknown: {reason}"), false),
    };
    let invoked = history.events.iter().filter(|e| e.kind == sim::history::EventKind::Invoke).count();
    page(&Page {
        title: title.to_string(),
        verdict: text,
        failed,
        configuration: None,
        faults: &[],
        properties: &[],
        figures: vec![
            ("model".to_string(), model.to_string()),
            ("operations".to_string(), invoked.to_string()),
        ],
        explanation: counterexample.map(|ce| crate::lin::explain(history, model, ce)),
        data: data::build(&input),
    })
}

fn table(out: &mut String, head: &[&str], rows: impl Iterator<Item = Vec<String>>) {
    out.push_str("<table><tr>");
    for h in head {
        let _ = write!(out, "<th>{}</th>", escape(h));
    }
    out.push_str("</tr>\n");
    for row in rows {
        out.push_str("<tr>");
        for cell in row {
            let _ = write!(out, "<td>{}</td>", escape(&cell));
        }
        out.push_str("</tr>\n");
    }
    out.push_str("</table>\n");
}

/// The whole page.
pub fn page(p: &Page<'_>) -> String {
    let mut s = String::with_capacity(64 * 1024);
    s.push_str(HEADER);
    let _ = write!(
        s,
        "<html lang=\"en\"><head><meta charset=\"utf-8\">\n\
         <meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; img-src data:\">\n\
         <title>{}</title>\n<style>{STYLE}</style></head>\n<body>\n",
        escape(&p.title)
    );
    let _ = writeln!(
        s,
        "<header><h1>{}</h1><p class=\"verdict {}\">{}</p></header>",
        escape(&p.title),
        if p.failed { "bad" } else { "good" },
        escape(&p.verdict)
    );
    s.push_str(
        "<section id=\"diagram-section\"><h2>Space-time diagram</h2>\
         <div class=\"controls\"><button id=\"zoom-in\">zoom in</button><button id=\"zoom-out\">zoom out</button>\
         <button id=\"widen\">widen the window</button><button id=\"whole\">the whole run</button>\
         <button id=\"to-violation\">back to the violation</button><span id=\"window-note\"></span></div>\
         <div id=\"diagram\"><noscript>The diagram needs JavaScript; the tables below do not.</noscript></div>\
         <div id=\"legend\"></div><div id=\"details\"><p>Click an event or an arrow to see it here, with what its process observed around it.</p></div></section>\n",
    );
    s.push_str("<section id=\"history-section\"><h2>History</h2><div id=\"timeline\"></div>");
    if let Some(e) = &p.explanation {
        let _ = write!(s, "<h3>Linearizability</h3><pre class=\"explanation\">{}</pre>", escape(e));
    }
    s.push_str("</section>\n");
    s.push_str("<section><h2>Properties</h2>");
    if p.properties.is_empty() {
        s.push_str("<p>none checked</p>");
    } else {
        table(
            &mut s,
            &["property", "kind", "verdict"],
            p.properties.iter().map(|v| vec![v.name.clone(), v.kind.to_string(), v.status.to_string()]),
        );
    }
    s.push_str("</section>\n<section><h2>Summary and metrics</h2>");
    table(&mut s, &["", ""], p.figures.iter().map(|(a, b)| vec![a.clone(), b.clone()]));
    s.push_str("</section>\n<section><h2>Fault schedule</h2>");
    if p.faults.is_empty() {
        s.push_str("<p>no faults</p>");
    } else {
        table(
            &mut s,
            &["time", "fault", "from"],
            p.faults.iter().map(|f| {
                let source = match f.source {
                    sim::fault::Source::Scenario(i) => format!("[[fault]] #{}", i + 1),
                    sim::fault::Source::Nemesis => "nemesis".to_string(),
                    sim::fault::Source::Settle => "settle".to_string(),
                    sim::fault::Source::Trigger { rule: Some(i), .. } => format!("[[trigger]] #{}", i + 1),
                    sim::fault::Source::Trigger { rule: None, .. } => "nemesis trigger".to_string(),
                };
                vec![f.at.approx(), f.action.to_string(), source]
            }),
        );
    }
    s.push_str("</section>\n");
    if let Some(c) = &p.configuration {
        let _ = writeln!(s, "<section><h2>Configuration</h2><pre>{}</pre></section>", escape(c));
    }
    let _ = write!(
        s,
        "<script type=\"application/json\" id=\"dsim-data\">{}</script>\n<script>{SCRIPT}</script>\n</body></html>\n",
        script_json(&p.data)
    );
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nothing_a_user_wrote_becomes_markup() {
        assert_eq!(
            escape("<script>alert('x')</script> & \"q\""),
            "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &amp; &quot;q&quot;"
        );
        let j = script_json(&serde_json::json!({ "m": "</script><script>alert(1)</script>" }));
        assert!(!j.contains('<') && !j.contains('>'), "{j}");
        let back: Json = serde_json::from_str(&j).unwrap();
        assert_eq!(back["m"], "</script><script>alert(1)</script>", "the same text, once parsed");
    }
}
