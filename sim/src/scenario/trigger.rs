//! `[[trigger]]` entries: faults that strike in answer to what a process
//! observes, after FoundationDB's BUGGIFY. "Crash n2 within 1 ms after it
//! truncates its log" reaches states a clock-driven schedule almost never
//! lands in. Read and validated here; the engine fires them
//! (`crate::trigger`).
//!
//! ```toml
//! [[trigger]]
//! observe = "truncated"   # the observation's kind, kebab-case
//! node = "n2"             # or a list; default: any server
//! within = "1ms"          # strike at a time drawn in (0, within] after it
//! crash = true            # or pause = true, isolate = true
//! for = "500ms"           # then restart / resume / heal (default: at the settle)
//! times = 1               # how often it may fire (default 1)
//! after = "2s"            # ignore observations before this time (default 0)
//! ```

use super::Diagnostic;
use crate::process::ProcessId;
use crate::time::{Duration, Span, Time};
use serde::de::{self, SeqAccess, Visitor};
use serde::{Deserialize, Deserializer};
use std::fmt;
use std::ops::Range;
use toml::{Spanned, Table, Value};

/// What a trigger does to the process that observed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TriggerAction {
    Crash,
    Pause,
    /// Cut it off from everyone.
    Isolate,
}

impl TriggerAction {
    pub const ALL: [TriggerAction; 3] = [TriggerAction::Crash, TriggerAction::Pause, TriggerAction::Isolate];

    pub fn name(self) -> &'static str {
        match self {
            TriggerAction::Crash => "crash",
            TriggerAction::Pause => "pause",
            TriggerAction::Isolate => "isolate",
        }
    }
}

/// A `[[trigger]]` entry, validated.
#[derive(Clone, Debug, PartialEq)]
pub struct Trigger {
    /// The observation kind, kebab-case (`"snapshot-installed"`).
    pub observe: String,
    /// Whose observations count (`None`: any server's).
    pub nodes: Option<Vec<ProcessId>>,
    /// The fault strikes at a time drawn uniformly in `(0, within]` after
    /// the observation: strictly after, so that a replay, which has it in
    /// its schedule from the start, strikes it after the same event.
    pub within: Span,
    pub action: TriggerAction,
    /// When the fault is undone; `None`: at the settle.
    pub duration: Option<Span>,
    /// How many times it may fire.
    pub times: u32,
    /// Observations before this time are ignored.
    pub after: Time,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawTrigger {
    pub observe: Spanned<String>,
    pub node: Option<Spanned<NodeList>>,
    pub within: Option<Spanned<Duration>>,
    pub crash: Option<Spanned<bool>>,
    pub pause: Option<Spanned<bool>>,
    pub isolate: Option<Spanned<bool>>,
    #[serde(rename = "for")]
    pub duration: Option<Spanned<Duration>>,
    pub times: Option<Spanned<u32>>,
    pub after: Option<Spanned<Duration>>,
}

/// `node = "n2"`, `node = 2` or `node = ["n1", "n2"]`.
pub(super) struct NodeList(pub Vec<ProcessId>);

impl<'de> Deserialize<'de> for NodeList {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = NodeList;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a process such as \"n2\" or 2, or a list of them")
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<NodeList, E> {
                ProcessId::deserialize(de::value::I64Deserializer::new(v)).map(|p| NodeList(vec![p]))
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<NodeList, E> {
                self.visit_i64(i64::try_from(v).unwrap_or(-1))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<NodeList, E> {
                ProcessId::deserialize(de::value::StrDeserializer::new(v)).map(|p| NodeList(vec![p]))
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<NodeList, A::Error> {
                let mut out = Vec::new();
                while let Some(p) = seq.next_element::<ProcessId>()? {
                    out.push(p);
                }
                Ok(NodeList(out))
            }
        }
        d.deserialize_any(V)
    }
}

pub use crate::nemesis::DEFAULT_WITHIN;

pub(super) fn trigger(
    t: &Spanned<RawTrigger>,
    settle_start: Time,
    err: &dyn Fn(Option<Range<usize>>, String) -> Diagnostic,
    exists: &dyn Fn(ProcessId) -> Result<(), String>,
) -> Result<Trigger, Diagnostic> {
    let raw = t.get_ref();
    let observe = raw.observe.get_ref().clone();
    if !is_kind_name(&observe) {
        return Err(err(
            Some(raw.observe.span()),
            format!("`{observe}` is not an observation kind; write its variant name in kebab-case, such as \"snapshot-installed\""),
        ));
    }
    let chosen: Vec<(TriggerAction, &Spanned<bool>)> = TriggerAction::ALL
        .iter()
        .zip([&raw.crash, &raw.pause, &raw.isolate])
        .filter_map(|(a, v)| v.as_ref().map(|v| (*a, v)))
        .collect();
    let action = match chosen.as_slice() {
        [(a, v)] if *v.get_ref() => *a,
        [(a, v)] => {
            return Err(err(
                Some(v.span()),
                format!(
                    "`{} = false` does nothing; a trigger needs crash, pause or isolate = true",
                    a.name()
                ),
            ))
        }
        [] => {
            return Err(err(Some(t.span()), "this trigger says when but not what".into())
                .with_help("add one of crash = true, pause = true, isolate = true"))
        }
        [_, (_, second), ..] => {
            return Err(err(Some(second.span()), "a trigger does one thing: crash, pause or isolate".into())
                .with_help("write one [[trigger]] per action"))
        }
    };
    let within = match &raw.within {
        Some(w) if w.get_ref().0 == Span::ZERO => {
            return Err(err(
                Some(w.span()),
                "within must be longer than zero: a triggered fault strikes after the observation".into(),
            ))
        }
        Some(w) => w.get_ref().0,
        None => DEFAULT_WITHIN,
    };
    let duration = match &raw.duration {
        Some(d) if d.get_ref().0 == Span::ZERO => {
            return Err(err(
                Some(d.span()),
                "for must be longer than zero (leave it out: until the settle)".into(),
            ))
        }
        Some(d) => Some(d.get_ref().0),
        None => None,
    };
    let times = match &raw.times {
        Some(n) if *n.get_ref() == 0 => {
            return Err(err(
                Some(n.span()),
                "times must be at least 1 (remove the trigger to turn it off)".into(),
            ))
        }
        Some(n) => *n.get_ref(),
        None => 1,
    };
    let after = raw.after.as_ref().map_or(Time::ZERO, |a| a.get_ref().0.after_start());
    if let Some(a) = &raw.after {
        if after >= settle_start {
            return Err(err(
                Some(a.span()),
                format!(
                    "after {after} falls in the settle phase (from {settle_start}), when no fault strikes"
                ),
            ));
        }
    }
    let nodes = match &raw.node {
        None => None,
        Some(list) => {
            if list.get_ref().0.is_empty() {
                return Err(err(
                    Some(list.span()),
                    "node lists no process; leave it out for any server".into(),
                ));
            }
            for p in &list.get_ref().0 {
                exists(*p).map_err(|m| err(Some(list.span()), m))?;
            }
            Some(list.get_ref().0.clone())
        }
    };
    Ok(Trigger { observe, nodes, within, action, duration, times, after })
}

/// Whether `name` reads as a kebab-case kind: lowercase words of letters
/// and digits joined by single dashes.
fn is_kind_name(name: &str) -> bool {
    !name.is_empty()
        && name
            .split('-')
            .all(|w| !w.is_empty() && w.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit()))
}

/// A trigger as the parser reads it.
pub(super) fn to_value(t: &Trigger) -> Value {
    let mut out = Table::new();
    out.insert("observe".into(), Value::String(t.observe.clone()));
    if let Some(ns) = &t.nodes {
        out.insert("node".into(), Value::Array(ns.iter().map(|p| Value::String(p.to_string())).collect()));
    }
    out.insert("within".into(), Value::String(t.within.to_string()));
    out.insert(t.action.name().into(), Value::Boolean(true));
    if let Some(d) = t.duration {
        out.insert("for".into(), Value::String(d.to_string()));
    }
    out.insert("times".into(), Value::Integer(t.times as i64));
    out.insert("after".into(), Value::String((t.after - Time::ZERO).to_string()));
    Value::Table(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kind_names_are_kebab_case() {
        assert!(is_kind_name("truncated"));
        assert!(is_kind_name("snapshot-installed"));
        assert!(!is_kind_name("SnapshotInstalled"));
        assert!(!is_kind_name("snapshot--installed"));
        assert!(!is_kind_name(""));
    }
}
