//! Traces: one line per processed event, written only when asked.
//!
//! Sweeps never trace (a failing seed is re-run with tracing on, which the
//! determinism makes free). A line carries both a readable `detail` (the
//! Debug form of the message) and structured `data` (its JSON form).

use crate::process::ProcessId;
use serde::{Deserialize, Serialize};
use std::io::Write;

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TraceLine {
    pub step: u64,
    pub time_ns: u64,
    /// `start`, `deliver`, `lost`, `timer`, `fault`, `invoke`, `timeout`, `end`.
    pub event: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub process: Option<ProcessId>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub from: Option<ProcessId>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sent_ns: Option<u64>,
    pub detail: String,
    #[serde(default, skip_serializing_if = "serde_json::Value::is_null")]
    pub data: serde_json::Value,
    /// Observations emitted and operations completed during the step.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub notes: Vec<String>,
}

pub trait TraceSink {
    fn record(&mut self, line: TraceLine);
}

/// Collects lines in memory (tests, reports).
#[derive(Default)]
pub struct VecSink(pub Vec<TraceLine>);

impl TraceSink for VecSink {
    fn record(&mut self, line: TraceLine) {
        self.0.push(line);
    }
}

/// Writes JSON lines. The first write error is kept and later writes are
/// skipped; the caller reports it.
pub struct JsonLines<W: Write> {
    out: W,
    pub error: Option<std::io::Error>,
}

impl<W: Write> JsonLines<W> {
    pub fn new(out: W) -> Self {
        JsonLines { out, error: None }
    }
    pub fn finish(mut self) -> std::io::Result<W> {
        if let Some(e) = self.error.take() {
            return Err(e);
        }
        self.out.flush()?;
        Ok(self.out)
    }
}

impl<W: Write> TraceSink for JsonLines<W> {
    fn record(&mut self, line: TraceLine) {
        if self.error.is_some() {
            return;
        }
        let r = serde_json::to_writer(&mut self.out, &line)
            .map_err(std::io::Error::other)
            .and_then(|_| self.out.write_all(b"\n"));
        if let Err(e) = r {
            self.error = Some(e);
        }
    }
}

/// Formats a line for people: `#12 1.234ms deliver n1 <- n0: Push { .. }`.
pub fn human(line: &TraceLine) -> String {
    let time = crate::time::Time(line.time_ns).approx();
    let mut s = format!("#{:<6} {:>10}  {:<8}", line.step, time, line.event);
    match (line.process, line.from) {
        (Some(p), Some(f)) => s.push_str(&format!(" {p} <- {f}")),
        (Some(p), None) => s.push_str(&format!(" {p}")),
        _ => {}
    }
    if !line.detail.is_empty() {
        s.push_str(if line.process.is_some() { ": " } else { " " });
        s.push_str(&line.detail);
    }
    for note in &line.notes {
        s.push('\n');
        s.push_str(&" ".repeat(29));
        s.push_str("· ");
        s.push_str(note);
    }
    s
}

/// Writes human-readable lines.
pub struct HumanLines<W: Write> {
    out: W,
    pub error: Option<std::io::Error>,
}

impl<W: Write> HumanLines<W> {
    pub fn new(out: W) -> Self {
        HumanLines { out, error: None }
    }
}

impl<W: Write> TraceSink for HumanLines<W> {
    fn record(&mut self, line: TraceLine) {
        if self.error.is_none() {
            if let Err(e) = writeln!(self.out, "{}", human(&line)) {
                self.error = Some(e);
            }
        }
    }
}

/// Where two traces first differ: the 1-based line number and both
/// versions of the line (`None` where one trace had already ended).
pub type Difference = (u64, Option<String>, Option<String>);

/// The first line where two traces differ.
pub fn first_difference(
    a: impl std::io::BufRead,
    b: impl std::io::BufRead,
) -> std::io::Result<Option<Difference>> {
    let mut a = a.lines();
    let mut b = b.lines();
    let mut n = 0;
    loop {
        n += 1;
        match (a.next().transpose()?, b.next().transpose()?) {
            (None, None) => return Ok(None),
            (x, y) if x == y => continue,
            (x, y) => return Ok(Some((n, x, y))),
        }
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn finds_the_first_differing_line() {
        let d = super::first_difference("a\nb\nc\n".as_bytes(), "a\nx\nc\n".as_bytes()).unwrap();
        assert_eq!(d, Some((2, Some("b".into()), Some("x".into()))));
        assert_eq!(super::first_difference("a\n".as_bytes(), "a\n".as_bytes()).unwrap(), None);
        let d = super::first_difference("a\n".as_bytes(), "a\nb\n".as_bytes()).unwrap();
        assert_eq!(d, Some((2, None, Some("b".into()))));
    }
}
