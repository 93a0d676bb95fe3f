//! The terminal view of a trace (`dsim replay REPRO --trace`): one line per
//! record in fixed columns (step, time, process, kind, detail), the
//! filters that narrow it, and at the end the state each process reported
//! last (its last observation) before the violation.
//!
//! Nothing a protocol or a scenario wrote reaches the terminal raw: the
//! detail column spells out control characters ([`sim::trace::printable`]).

use sim::trace::{human, printable, Kind, TraceLine, TraceSink};
use sim::ProcessId;
use std::collections::BTreeMap;
use std::io::Write;

/// Which records the view shows. Empty lists keep everything.
#[derive(Clone, Debug, Default)]
pub struct Filter {
    /// Records that touch one of these processes (where they happened, or
    /// a message's sender or receiver).
    pub nodes: Vec<ProcessId>,
    pub kinds: Vec<Kind>,
    /// Records within this window of virtual time (ns, both ends included).
    pub window: Option<(u64, u64)>,
    /// Records whose line contains this text.
    pub grep: Option<String>,
}

impl Filter {
    /// Reads the command line's filters: `n1,c0`, `deliver,drop` (`fault`
    /// stands for every fault kind), `50ms` around `centre_ns`, a text.
    pub fn parse(
        nodes: Option<&str>,
        kinds: Option<&str>,
        around: Option<&str>,
        grep: Option<&str>,
        centre_ns: u64,
    ) -> Result<Filter, String> {
        let mut f = Filter { grep: grep.map(str::to_string), ..Filter::default() };
        for name in nodes.into_iter().flat_map(|s| s.split(',')).map(str::trim).filter(|s| !s.is_empty()) {
            let p = ProcessId::parse(name).ok_or_else(|| {
                format!("--node: `{}` is not a process; expected names such as n0, n3 or c1", printable(name))
            })?;
            f.nodes.push(p);
        }
        for name in kinds.into_iter().flat_map(|s| s.split(',')).map(str::trim).filter(|s| !s.is_empty()) {
            if name == "fault" {
                f.kinds.extend(Kind::ALL.iter().copied().filter(|k| k.is_fault()));
                continue;
            }
            let k = Kind::parse(name).ok_or_else(|| {
                let all: Vec<&str> = Kind::ALL.iter().map(|k| k.name()).collect();
                format!(
                    "--kind: unknown kind `{}`; the kinds are: fault, {}",
                    printable(name),
                    all.join(", ")
                )
            })?;
            f.kinds.push(k);
        }
        if let Some(text) = around {
            let span = sim::time::parse_duration(text).map_err(|e| format!("--around: {e}"))?;
            let d = span.nanos();
            f.window = Some((centre_ns.saturating_sub(d), centre_ns.saturating_add(d)));
        }
        Ok(f)
    }

    pub fn is_empty(&self) -> bool {
        self.nodes.is_empty() && self.kinds.is_empty() && self.window.is_none() && self.grep.is_none()
    }

    pub fn keeps(&self, line: &TraceLine, text: &str) -> bool {
        (self.nodes.is_empty() || self.nodes.iter().any(|p| line.touches(*p)))
            && (self.kinds.is_empty() || self.kinds.contains(&line.kind))
            && self.window.is_none_or(|(lo, hi)| (lo..=hi).contains(&line.time_ns))
            && self.grep.as_deref().is_none_or(|g| text.contains(g))
    }
}

/// The longest line the view prints; the rest of a long payload is in
/// the JSON trace (`--trace FILE`).
pub const MAX_LINE: usize = 320;

fn shorten(text: &str) -> std::borrow::Cow<'_, str> {
    let Some((cut, _)) = text.char_indices().nth(MAX_LINE) else { return text.into() };
    let rest = text[cut..].chars().count();
    format!("{} … ({rest} more characters)", &text[..cut]).into()
}

/// A trace sink that prints the view as the run goes.
pub struct View<W: Write> {
    out: W,
    filter: Filter,
    /// Observations up to this step count as "before the violation".
    until_step: u64,
    last_reported: BTreeMap<ProcessId, (u64, u64, String)>,
    shown: u64,
    seen: u64,
    pub error: Option<std::io::Error>,
}

impl<W: Write> View<W> {
    /// `until_step`: the violation's step (observations after it are not
    /// "before the violation"); `u64::MAX` when there is none.
    pub fn new(mut out: W, filter: Filter, until_step: u64) -> View<W> {
        let error = writeln!(out, "{:<7} {:>10}  {:<5} {:<12} detail", "step", "time", "proc", "kind").err();
        View { out, filter, until_step, last_reported: BTreeMap::new(), shown: 0, seen: 0, error }
    }

    /// Prints how many records were shown, and what each process reported
    /// last before the violation.
    pub fn finish(mut self, what: &str) -> std::io::Result<W> {
        if let Some(e) = self.error.take() {
            return Err(e);
        }
        if !self.filter.is_empty() {
            writeln!(self.out, "({} of {} records shown)", self.shown, self.seen)?;
        }
        writeln!(self.out, "\nlast reported state of each process {what}:")?;
        if self.last_reported.is_empty() {
            writeln!(self.out, "  (no process emitted an observation)")?;
        }
        for (p, (step, time, detail)) in &self.last_reported {
            let t = sim::Time(*time).approx();
            writeln!(self.out, "  {:<5} step {step:<6} {t:>10}  {}", p.to_string(), printable(detail))?;
        }
        self.out.flush()?;
        Ok(self.out)
    }
}

impl<W: Write> TraceSink for View<W> {
    fn record(&mut self, line: TraceLine) {
        self.seen += 1;
        if line.kind == Kind::Observe && line.step <= self.until_step {
            if let Some(p) = line.process {
                self.last_reported.insert(p, (line.step, line.time_ns, line.detail.clone()));
            }
        }
        if self.error.is_some() {
            return;
        }
        let text = human(&line);
        if self.filter.keeps(&line, &text) {
            self.shown += 1;
            if let Err(e) = writeln!(self.out, "{}", shorten(&text)) {
                self.error = Some(e);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn line(step: u64, time_ns: u64, kind: Kind, process: u32) -> TraceLine {
        let mut l = TraceLine::new(step, time_ns, kind);
        l.process = Some(ProcessId::server(process));
        l
    }

    #[test]
    fn filters_combine() {
        let f = Filter::parse(Some("n1,n3"), Some("deliver,fault"), Some("10ms"), None, 50_000_000).unwrap();
        assert!(f.keeps(&line(1, 45_000_000, Kind::Deliver, 1), ""));
        assert!(f.keeps(&line(1, 60_000_000, Kind::Crash, 3), ""), "fault stands for every fault kind");
        assert!(!f.keeps(&line(1, 45_000_000, Kind::Deliver, 2), ""), "another node");
        assert!(!f.keeps(&line(1, 45_000_000, Kind::Send, 1), ""), "another kind");
        assert!(!f.keeps(&line(1, 30_000_000, Kind::Deliver, 1), ""), "outside the window");
        let mut from = line(1, 50_000_000, Kind::Deliver, 0);
        from.from = Some(ProcessId::server(3));
        assert!(f.keeps(&from, ""), "a message from n3 touches n3");
        let g = Filter::parse(None, None, None, Some("Vote"), 0).unwrap();
        assert!(g.keeps(&line(1, 0, Kind::Send, 0), "send RequestVote"));
        assert!(!g.keeps(&line(1, 0, Kind::Send, 0), "send Append"));
    }

    #[test]
    fn long_lines_are_cut() {
        let long = "x".repeat(MAX_LINE + 10);
        assert_eq!(shorten(&long), format!("{} … (10 more characters)", "x".repeat(MAX_LINE)));
        assert_eq!(shorten("short"), "short");
    }

    #[test]
    fn bad_filters_are_refused_with_what_is_allowed() {
        let e = Filter::parse(Some("x9"), None, None, None, 0).unwrap_err();
        assert!(e.contains("--node") && e.contains("n3"), "{e}");
        let e = Filter::parse(None, Some("delivr"), None, None, 0).unwrap_err();
        assert!(e.contains("deliver") && e.contains("fault"), "{e}");
        let e = Filter::parse(None, None, Some("5 parsecs"), None, 0).unwrap_err();
        assert!(e.starts_with("--around"), "{e}");
        let e = Filter::parse(Some("\u{1b}[31m"), None, None, None, 0).unwrap_err();
        assert!(!e.chars().any(char::is_control), "{e:?}");
    }

    #[test]
    fn the_last_state_before_the_violation_is_shown() {
        let mut view = View::new(Vec::new(), Filter::default(), 5);
        for (step, detail) in [(2, "Role(Follower)"), (4, "Role(Leader)"), (6, "Role(Gone)")] {
            let mut l = line(step, step * 1_000_000, Kind::Observe, 1);
            l.detail = detail.into();
            view.record(l);
        }
        let text = String::from_utf8(view.finish("before the violation").unwrap()).unwrap();
        let tail = text.split("last reported state").nth(1).unwrap();
        assert!(tail.contains("n1") && tail.contains("Role(Leader)") && !tail.contains("Gone"), "{text}");
    }
}
