//! Faults as they run: an explicit, timed schedule.
//!
//! Scripted faults (`[[fault]]`) and the random nemesis are both resolved to
//! this schedule before the run starts, so the schedule alone, with the seed,
//! reproduces a run. That is what a repro file stores and what shrinking
//! edits.

use crate::network::{LinkOverride, Partition};
use crate::process::ProcessId;
use crate::time::Time;
use serde::{Deserialize, Serialize};
use std::fmt;

#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(tag = "action", rename_all = "kebab-case")]
pub enum FaultAction {
    /// The node loses its volatile state and unsynced writes.
    Crash {
        node: u32,
    },
    /// The node is rebuilt from its disk.
    Restart {
        node: u32,
    },
    /// The node stops; messages and timers wait for it.
    Pause {
        node: u32,
    },
    Resume {
        node: u32,
    },
    Partition {
        id: u32,
        partition: Partition,
    },
    /// Heals the partition `id`.
    Heal {
        id: u32,
    },
    /// Heals every partition.
    HealAll,
    Clock {
        node: u32,
        skew_ns: i64,
        drift_ppm: i64,
    },
    /// Changes link quality; `nodes` limits it to links touching them.
    Degrade {
        id: u32,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        nodes: Option<Vec<ProcessId>>,
        change: LinkOverride,
    },
    /// Ends the degradation `id`.
    Restore {
        id: u32,
    },
    RestoreAll,
    /// The start of the settle phase: every partition heals, links are
    /// restored, crashed nodes restart, paused nodes resume.
    Settle,
}

/// Where a fault came from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Source {
    /// The `[[fault]]` entry at this index.
    Scenario(u32),
    Nemesis,
    Settle,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TimedFault {
    pub at: Time,
    #[serde(flatten)]
    pub action: FaultAction,
    pub source: Source,
}

impl FaultAction {
    /// Whether this fault breaks something (as opposed to repairing it).
    pub fn is_disruptive(&self) -> bool {
        matches!(
            self,
            FaultAction::Crash { .. }
                | FaultAction::Pause { .. }
                | FaultAction::Partition { .. }
                | FaultAction::Clock { .. }
                | FaultAction::Degrade { .. }
        )
    }

    /// A short name for grouping and listing.
    pub fn kind(&self) -> &'static str {
        match self {
            FaultAction::Crash { .. } => "crash",
            FaultAction::Restart { .. } => "restart",
            FaultAction::Pause { .. } => "pause",
            FaultAction::Resume { .. } => "resume",
            FaultAction::Partition { .. } => "partition",
            FaultAction::Heal { .. } => "heal",
            FaultAction::HealAll => "heal-all",
            FaultAction::Clock { .. } => "clock",
            FaultAction::Degrade { .. } => "degrade",
            FaultAction::Restore { .. } => "restore",
            FaultAction::RestoreAll => "restore-all",
            FaultAction::Settle => "settle",
        }
    }
}

impl fmt::Display for FaultAction {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            FaultAction::Crash { node } => write!(f, "crash n{node}"),
            FaultAction::Restart { node } => write!(f, "restart n{node}"),
            FaultAction::Pause { node } => write!(f, "pause n{node}"),
            FaultAction::Resume { node } => write!(f, "resume n{node}"),
            FaultAction::Partition { id, partition } => write!(f, "partition #{id}: {partition}"),
            FaultAction::Heal { id } => write!(f, "heal partition #{id}"),
            FaultAction::HealAll => write!(f, "heal all partitions"),
            FaultAction::Clock { node, skew_ns, drift_ppm } => {
                let sign = if *skew_ns < 0 { "-" } else { "+" };
                write!(
                    f,
                    "clock n{node}: skew {sign}{}, drift {drift_ppm:+}ppm",
                    Time(skew_ns.unsigned_abs())
                )
            }
            FaultAction::Degrade { id, nodes, change } => {
                write!(f, "degrade #{id} ")?;
                match nodes {
                    Some(ns) => {
                        let names: Vec<String> = ns.iter().map(|p| p.to_string()).collect();
                        write!(f, "links of {}", names.join(" "))?;
                    }
                    None => write!(f, "all links")?,
                }
                if let Some(l) = change.latency {
                    write!(f, ", latency {l}")?;
                }
                for (name, v) in [
                    ("drop", change.drop_ppm),
                    ("duplicate", change.duplicate_ppm),
                    ("reorder", change.reorder_ppm),
                ] {
                    if let Some(ppm) = v {
                        write!(f, ", {name} {}", crate::network::latency::ppm_to_string(ppm))?;
                    }
                }
                Ok(())
            }
            FaultAction::Restore { id } => write!(f, "restore links #{id}"),
            FaultAction::RestoreAll => write!(f, "restore all links"),
            FaultAction::Settle => write!(f, "settle: heal, restore, restart and resume everything"),
        }
    }
}

impl fmt::Display for TimedFault {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:>9}  {}", self.at.approx(), self.action)?;
        if self.source == Source::Nemesis {
            write!(f, "  (nemesis)")?;
        }
        Ok(())
    }
}
