//! Traces: every event of a run, one record per line, written only when
//! asked (`docs/trace.md` describes the format field by field).
//!
//! Sweeps never trace (a failing seed is re-run with tracing on, which the
//! determinism makes free). A step of the engine (a delivery, a timer, a
//! fault...) is one record; what its handler did (sends, drops, timers set
//! and cancelled, disk writes and syncs, observations, a completion) and
//! what the checkers concluded (a property's verdict changed) follow it as
//! records of their own with the same `step`. So a trace holds what the
//! network dropped as well as what it delivered, and a delivery names the
//! send it came from by its message id.
//!
//! A record carries a readable `detail` (the Debug form of the message,
//! timer or observation) and structured `data` (its JSON form) where it
//! has one.

use crate::process::ProcessId;
use serde::{Deserialize, Serialize};
use std::fmt::Write as _;
use std::io::Write;

/// What a record is. The first record of each step is one of `start`,
/// `deliver`, `drop` (with reason `receiver-down`), `timer`, a fault
/// (`crash` ... `settle`), `invoke`, `timeout` or `end`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Kind {
    /// A server's first `on_start`.
    Start,
    /// A message handed to its receiver.
    Deliver,
    /// A message that will never arrive (see `reason`).
    Drop,
    /// An event that waits for a paused process until it resumes.
    Held,
    /// A message handed to the network.
    Send,
    /// The network will deliver a second copy of a message.
    Duplicate,
    /// A timer fired.
    Timer,
    TimerSet,
    TimerCancel,
    DiskWrite,
    DiskSync,
    Crash,
    Restart,
    Pause,
    Resume,
    Partition,
    Heal,
    HealAll,
    Clock,
    Degrade,
    Restore,
    RestoreAll,
    Settle,
    /// A client invoked an operation.
    Invoke,
    /// A client's operation ended (ok, fail, or info: unknown).
    Complete,
    /// A client's operation timed out (its completion, info, follows).
    Timeout,
    /// A process emitted an observation for the checkers.
    Observe,
    /// A property's verdict changed (it fired, or it was violated), or its
    /// final verdict at the end of the run.
    Verdict,
    /// The end of the run's time.
    End,
}

impl Kind {
    pub const ALL: &'static [Kind] = &[
        Kind::Start,
        Kind::Deliver,
        Kind::Drop,
        Kind::Held,
        Kind::Send,
        Kind::Duplicate,
        Kind::Timer,
        Kind::TimerSet,
        Kind::TimerCancel,
        Kind::DiskWrite,
        Kind::DiskSync,
        Kind::Crash,
        Kind::Restart,
        Kind::Pause,
        Kind::Resume,
        Kind::Partition,
        Kind::Heal,
        Kind::HealAll,
        Kind::Clock,
        Kind::Degrade,
        Kind::Restore,
        Kind::RestoreAll,
        Kind::Settle,
        Kind::Invoke,
        Kind::Complete,
        Kind::Timeout,
        Kind::Observe,
        Kind::Verdict,
        Kind::End,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Kind::Start => "start",
            Kind::Deliver => "deliver",
            Kind::Drop => "drop",
            Kind::Held => "held",
            Kind::Send => "send",
            Kind::Duplicate => "duplicate",
            Kind::Timer => "timer",
            Kind::TimerSet => "timer-set",
            Kind::TimerCancel => "timer-cancel",
            Kind::DiskWrite => "disk-write",
            Kind::DiskSync => "disk-sync",
            Kind::Crash => "crash",
            Kind::Restart => "restart",
            Kind::Pause => "pause",
            Kind::Resume => "resume",
            Kind::Partition => "partition",
            Kind::Heal => "heal",
            Kind::HealAll => "heal-all",
            Kind::Clock => "clock",
            Kind::Degrade => "degrade",
            Kind::Restore => "restore",
            Kind::RestoreAll => "restore-all",
            Kind::Settle => "settle",
            Kind::Invoke => "invoke",
            Kind::Complete => "complete",
            Kind::Timeout => "timeout",
            Kind::Observe => "observe",
            Kind::Verdict => "verdict",
            Kind::End => "end",
        }
    }

    pub fn parse(name: &str) -> Option<Kind> {
        Kind::ALL.iter().copied().find(|k| k.name() == name)
    }

    /// Whether this is a fault from the schedule (or a restart or resume
    /// that the settle phase made).
    pub fn is_fault(self) -> bool {
        matches!(
            self,
            Kind::Crash
                | Kind::Restart
                | Kind::Pause
                | Kind::Resume
                | Kind::Partition
                | Kind::Heal
                | Kind::HealAll
                | Kind::Clock
                | Kind::Degrade
                | Kind::Restore
                | Kind::RestoreAll
                | Kind::Settle
        )
    }

    /// The record kind of a fault.
    pub fn of_fault(action: &crate::fault::FaultAction) -> Kind {
        use crate::fault::FaultAction as F;
        match action {
            F::Crash { .. } | F::CrashForGood { .. } => Kind::Crash,
            F::Restart { .. } => Kind::Restart,
            F::Pause { .. } => Kind::Pause,
            F::Resume { .. } => Kind::Resume,
            F::Partition { .. } => Kind::Partition,
            F::Heal { .. } => Kind::Heal,
            F::HealAll => Kind::HealAll,
            F::Clock { .. } => Kind::Clock,
            F::Degrade { .. } => Kind::Degrade,
            F::Restore { .. } => Kind::Restore,
            F::RestoreAll => Kind::RestoreAll,
            F::Settle => Kind::Settle,
        }
    }
}

impl std::fmt::Display for Kind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// Why a message was not delivered.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum DropReason {
    /// A partition cuts the link.
    Partition,
    /// The link lost it (the link's `drop` odds).
    Loss,
    /// The topology has no link between the two.
    NoLink,
    /// The receiver was down when it arrived.
    ReceiverDown,
    /// It waited for a paused receiver, which crashed before it resumed.
    ReceiverCrashed,
}

impl DropReason {
    pub fn name(self) -> &'static str {
        match self {
            DropReason::Partition => "partition",
            DropReason::Loss => "loss",
            DropReason::NoLink => "no-link",
            DropReason::ReceiverDown => "receiver-down",
            DropReason::ReceiverCrashed => "receiver-crashed",
        }
    }
}

impl From<crate::network::DropReason> for DropReason {
    fn from(r: crate::network::DropReason) -> Self {
        match r {
            crate::network::DropReason::Partition => DropReason::Partition,
            crate::network::DropReason::Loss => DropReason::Loss,
            crate::network::DropReason::NoLink => DropReason::NoLink,
        }
    }
}

/// One record of a trace.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TraceLine {
    /// The step it belongs to (1-based, as in a violation's `step`). A
    /// `held` record, which happens between steps, carries the next one.
    pub step: u64,
    /// Virtual time, in nanoseconds since the start of the run.
    pub time_ns: u64,
    pub kind: Kind,
    /// The process it happened at: the receiver of a delivery, the sender
    /// of a send, the owner of a timer, the process a fault strikes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub process: Option<ProcessId>,
    /// The sender of a message.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub from: Option<ProcessId>,
    /// The receiver of a message.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub to: Option<ProcessId>,
    /// The message's id: the send's 1-based number in the run. Its
    /// delivery, drop, duplicate or hold carry the same id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub msg: Option<u64>,
    /// Set on the delivery of the network's second copy of a message.
    #[serde(default, skip_serializing_if = "is_false")]
    pub copy: bool,
    /// When the message was sent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sent_ns: Option<u64>,
    /// When it is due: a send's delivery, a duplicate's second delivery, a
    /// timer's firing (in true time).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub due_ns: Option<u64>,
    /// The timer's id (set and fired records share it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timer: Option<u64>,
    /// Why a message was dropped.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<DropReason>,
    /// The fault's position in the run's fault schedule.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fault: Option<u32>,
    /// The payload as Rust's Debug prints it (a message, a timer, a disk
    /// key, an observation, an operation, a fault, a verdict).
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub detail: String,
    /// The payload as JSON, where it has one.
    #[serde(default, skip_serializing_if = "serde_json::Value::is_null")]
    pub data: serde_json::Value,
}

fn is_false(b: &bool) -> bool {
    !*b
}

impl TraceLine {
    /// A record with only its step, time and kind set.
    pub fn new(step: u64, time_ns: u64, kind: Kind) -> TraceLine {
        TraceLine {
            step,
            time_ns,
            kind,
            process: None,
            from: None,
            to: None,
            msg: None,
            copy: false,
            sent_ns: None,
            due_ns: None,
            timer: None,
            reason: None,
            fault: None,
            detail: String::new(),
            data: serde_json::Value::Null,
        }
    }

    /// Whether this record begins its step (the event the engine popped).
    pub fn begins_step(&self) -> bool {
        match self.kind {
            Kind::Start | Kind::Deliver | Kind::Timer | Kind::Invoke | Kind::Timeout | Kind::End => true,
            Kind::Drop => self.reason == Some(DropReason::ReceiverDown),
            Kind::Restart | Kind::Resume => self.fault.is_some(),
            k => k.is_fault(),
        }
    }

    /// Every process the record touches: where it happened, and a
    /// message's two ends.
    pub fn touches(&self, p: ProcessId) -> bool {
        self.process == Some(p) || self.from == Some(p) || self.to == Some(p)
    }

    /// The detail column of the terminal view: what happened, with the
    /// message id, its other end and the payload.
    pub fn describe(&self) -> String {
        let mut s = String::new();
        let id = self.msg.map(|m| format!("#{m}")).unwrap_or_default();
        let time = |ns: u64| crate::time::Time(ns).approx();
        match self.kind {
            Kind::Send => {
                let _ = write!(s, "{id} -> {}", opt(self.to));
                if let Some(d) = self.due_ns {
                    let _ = write!(s, " (due {})", time(d));
                }
            }
            Kind::Deliver => {
                let _ = write!(s, "{id} <- {}", opt(self.from));
                if let Some(t) = self.sent_ns {
                    let _ = write!(s, " (sent {})", time(t));
                }
                if self.copy {
                    s.push_str(" second copy");
                }
            }
            Kind::Drop => {
                let _ = write!(s, "{id} {} -> {}", opt(self.from), opt(self.to));
                if let Some(r) = self.reason {
                    let _ = write!(s, " [{}]", r.name());
                }
            }
            Kind::Duplicate => {
                let _ = write!(s, "{id} -> {}", opt(self.to));
                if let Some(d) = self.due_ns {
                    let _ = write!(s, " (second copy due {})", time(d));
                }
            }
            Kind::Held => {
                if self.msg.is_some() {
                    let _ = write!(s, "{id} <- {} waits for the resume", opt(self.from));
                } else {
                    s.push_str("waits for the resume");
                }
            }
            Kind::TimerSet => {
                if let Some(d) = self.due_ns {
                    let _ = write!(s, "due {}", time(d));
                }
            }
            _ => {}
        }
        if !self.detail.is_empty() {
            if !s.is_empty() {
                s.push_str(": ");
            }
            s.push_str(&self.detail);
        }
        printable(&s)
    }
}

fn opt(p: Option<ProcessId>) -> String {
    p.map_or_else(|| "?".to_string(), |p| p.to_string())
}

/// `text` with every control character spelt out (`\n`, `\u{1b}`), so that
/// nothing a protocol or a scenario wrote can move a terminal's cursor or
/// change its colours.
pub fn printable(text: &str) -> String {
    if !text.chars().any(char::is_control) {
        return text.to_string();
    }
    let mut s = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        match c {
            '\n' => s.push_str("\\n"),
            '\t' => s.push_str("\\t"),
            '\r' => s.push_str("\\r"),
            c if c.is_control() => {
                let _ = write!(s, "\\u{{{:x}}}", c as u32);
            }
            c => s.push(c),
        }
    }
    s
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

/// Passes every record to each of several sinks.
#[derive(Default)]
pub struct Fanout<'a>(pub Vec<&'a mut dyn TraceSink>);

impl TraceSink for Fanout<'_> {
    fn record(&mut self, line: TraceLine) {
        if let Some((last, rest)) = self.0.split_last_mut() {
            for sink in rest {
                sink.record(line.clone());
            }
            last.record(line);
        }
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

/// Formats a record for people, in fixed columns: step, time, process,
/// kind, detail (`#12  1.234ms  n1  deliver  #5 <- n0 (sent 1ms): Push`).
pub fn human(line: &TraceLine) -> String {
    let time = crate::time::Time(line.time_ns).approx();
    let process = line.process.map_or_else(|| "-".to_string(), |p| p.to_string());
    format!("#{:<6} {:>10}  {:<5} {:<12} {}", line.step, time, process, line.kind.name(), line.describe())
        .trim_end()
        .to_string()
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
    use super::*;

    #[test]
    fn finds_the_first_differing_line() {
        let d = super::first_difference("a\nb\nc\n".as_bytes(), "a\nx\nc\n".as_bytes()).unwrap();
        assert_eq!(d, Some((2, Some("b".into()), Some("x".into()))));
        assert_eq!(super::first_difference("a\n".as_bytes(), "a\n".as_bytes()).unwrap(), None);
        let d = super::first_difference("a\n".as_bytes(), "a\nb\n".as_bytes()).unwrap();
        assert_eq!(d, Some((2, None, Some("b".into()))));
    }

    #[test]
    fn kinds_round_trip_by_name() {
        for (i, &k) in Kind::ALL.iter().enumerate() {
            assert_eq!(k as usize, i, "ALL is in declaration order: reports index it by `as u8`");
            assert_eq!(Kind::parse(k.name()), Some(k));
            assert_eq!(serde_json::to_value(k).unwrap(), serde_json::Value::String(k.name().into()));
        }
    }

    #[test]
    fn control_characters_never_reach_the_terminal() {
        let mut line = TraceLine::new(3, 1_000_000, Kind::Observe);
        line.process = Some(ProcessId::server(1));
        line.detail = "evil \u{1b}[31mred\u{7} and\nnewline".into();
        let text = human(&line);
        assert!(!text.chars().any(char::is_control), "{text:?}");
        assert!(text.contains("\\u{1b}[31mred\\u{7} and\\nnewline"), "{text}");
    }
}
