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
    /// The process loses its volatile state and unsynced writes (a client
    /// also its operation in progress, which ends as unknown).
    Crash {
        node: ProcessId,
    },
    /// The node is rebuilt from its disk.
    Restart {
        node: ProcessId,
    },
    /// The node stops; messages and timers wait for it.
    Pause {
        node: ProcessId,
    },
    Resume {
        node: ProcessId,
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
    /// The wall clock jumps to `true time + skew_ns`; both clocks run
    /// `drift_ppm` fast (or slow) from now on.
    Clock {
        node: ProcessId,
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
    // Last, so that the variants before it keep their place in trace
    // hashes.
    /// A crash the settle phase does not undo: the process stays down to
    /// the end, and eventually-properties are judged without it.
    CrashForGood {
        node: ProcessId,
    },
}

/// Where a fault came from.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Source {
    /// The `[[fault]]` entry at this index.
    Scenario(u32),
    Nemesis,
    Settle,
    /// A trigger (the `[[trigger]]` entry at index `rule`, or the
    /// nemesis's when `None`) fired when `by` observed `observed` at `seen`.
    Trigger {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        rule: Option<u32>,
        by: crate::process::ProcessId,
        observed: String,
        seen: Time,
    },
}

impl Source {
    /// Why a triggered fault struck, for traces and schedules.
    pub fn cause(&self) -> Option<String> {
        match self {
            Source::Trigger { by, observed, seen, .. } => {
                Some(format!("triggered by {by}'s {observed} at {}", seen.approx()))
            }
            _ => None,
        }
    }
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
                | FaultAction::CrashForGood { .. }
                | FaultAction::Pause { .. }
                | FaultAction::Partition { .. }
                | FaultAction::Clock { .. }
                | FaultAction::Degrade { .. }
        )
    }

    /// The fault that repairs this one: a restart for a crash, a resume for
    /// a pause, a heal for a partition, a restore for a degradation.
    pub fn undo(&self) -> Option<FaultAction> {
        match self {
            FaultAction::Crash { node } => Some(FaultAction::Restart { node: *node }),
            FaultAction::Pause { node } => Some(FaultAction::Resume { node: *node }),
            FaultAction::Partition { id, .. } => Some(FaultAction::Heal { id: *id }),
            FaultAction::Degrade { id, .. } => Some(FaultAction::Restore { id: *id }),
            _ => None,
        }
    }

    /// Whether `other` is what repairs this fault.
    pub fn is_undone_by(&self, other: &FaultAction) -> bool {
        self.undo().as_ref() == Some(other)
    }

    /// The processes this fault names.
    pub fn processes(&self) -> Vec<ProcessId> {
        match self {
            FaultAction::Crash { node }
            | FaultAction::CrashForGood { node }
            | FaultAction::Restart { node }
            | FaultAction::Pause { node }
            | FaultAction::Resume { node }
            | FaultAction::Clock { node, .. } => vec![*node],
            FaultAction::Partition { partition, .. } => partition.processes(),
            FaultAction::Degrade { nodes, .. } => nodes.clone().unwrap_or_default(),
            _ => Vec::new(),
        }
    }

    /// The same fault with every process renamed by `f` (the shrinker
    /// renumbers servers when it removes one).
    pub fn renamed(self, f: &dyn Fn(ProcessId) -> ProcessId) -> FaultAction {
        match self {
            FaultAction::Crash { node } => FaultAction::Crash { node: f(node) },
            FaultAction::CrashForGood { node } => FaultAction::CrashForGood { node: f(node) },
            FaultAction::Restart { node } => FaultAction::Restart { node: f(node) },
            FaultAction::Pause { node } => FaultAction::Pause { node: f(node) },
            FaultAction::Resume { node } => FaultAction::Resume { node: f(node) },
            FaultAction::Clock { node, skew_ns, drift_ppm } => {
                FaultAction::Clock { node: f(node), skew_ns, drift_ppm }
            }
            FaultAction::Partition { id, partition } => {
                FaultAction::Partition { id, partition: partition.renamed(f) }
            }
            FaultAction::Degrade { id, nodes, change } => {
                FaultAction::Degrade { id, nodes: nodes.map(|ns| ns.into_iter().map(f).collect()), change }
            }
            other => other,
        }
    }

    /// A short name for grouping and listing.
    pub fn kind(&self) -> &'static str {
        match self {
            FaultAction::Crash { .. } => "crash",
            FaultAction::CrashForGood { .. } => "crash-for-good",
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
            FaultAction::Crash { node } => write!(f, "crash {node}"),
            FaultAction::CrashForGood { node } => write!(f, "crash {node} for good"),
            FaultAction::Restart { node } => write!(f, "restart {node}"),
            FaultAction::Pause { node } => write!(f, "pause {node}"),
            FaultAction::Resume { node } => write!(f, "resume {node}"),
            FaultAction::Partition { id, partition } => write!(f, "partition #{id}: {partition}"),
            FaultAction::Heal { id } => write!(f, "heal partition #{id}"),
            FaultAction::HealAll => write!(f, "heal all partitions"),
            FaultAction::Clock { node, skew_ns, drift_ppm } => {
                let sign = if *skew_ns < 0 { "-" } else { "+" };
                write!(f, "clock {node}: skew {sign}{}, drift {drift_ppm:+}ppm", Time(skew_ns.unsigned_abs()))
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
                if let Some(t) = change.tail {
                    write!(f, ", {t}")?;
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
        if let Some(cause) = self.source.cause() {
            write!(f, "  ({cause})")?;
        }
        Ok(())
    }
}
