//! Gossip broadcast, after Maelstrom's broadcast workload.
//!
//! **Algorithm.** Clients submit unique values to random servers. A server
//! that learns a value writes it to disk; when the value came from a client
//! it syncs the disk and only then acknowledges. New values are batched and
//! pushed, every `push_interval`, to `fanout` random neighbours in the
//! topology, which forward them the same way the first time they see them
//! (epidemic push). Push alone loses values to partitions and lossy links, so
//! every `anti_entropy` interval each server also sends a neighbour a digest
//! of what it holds (its values as ranges); the neighbour answers with the
//! values the sender lacks and the ranges it lacks itself, which the sender
//! then supplies (push-pull anti-entropy).
//!
//! **Properties.** *validity* (always): a server holds only values some
//! client submitted. *reload-safety* (always): a restarted server reloads
//! from its disk every value it acknowledged to a client. *convergence*
//! (eventually): once the network has healed and settled, every server holds
//! every acknowledged value. *requests-complete* (eventually): a broadcast
//! invoked once the cluster healed (plus one retry interval) is acknowledged
//! rather than timing out; it needs a scenario whose clients keep working
//! through the settle phase (`stop = "end"`). What a server holds is judged
//! by the checker's own record of its observations (the values it received,
//! and those it reloaded at a restart), never by the protocol's `RangeSet`,
//! so a mistake in that structure cannot hide a lost value. Sometimes:
//! *partition-cut-graph* (a partition really split the servers),
//! *anti-entropy-repaired* (a server got a value it lacked through
//! anti-entropy), *recovered-from-disk* (a restarted server reloaded values).
//!
//! **Seeded bugs.**
//! - `no-anti-entropy`: push only. Values pushed into a partition are never
//!   repaired; *convergence* fails.
//! - `ack-before-sync`: acknowledges a client before syncing, and syncs only
//!   at the next push. A crash in between loses a value the client was told
//!   is safe, before anyone else heard of it; *reload-safety* fails as the
//!   server restarts, and *convergence* at the end.
//! - `range-off-by-one`: when answering a digest, sends the values of the
//!   missing ranges computed with an inclusive end, without checking it holds
//!   them, so it can invent the next value before any client submitted it;
//!   *validity* fails.
//! - `merge-over-gap`: a server that learns v while holding v-2 but not v-1
//!   claims v-1 too, without receiving or storing it, then refuses v-1 as
//!   known and never asks for it. Its own range set says it holds every
//!   value; *convergence*, judged by what it received, fails.
//! - `no-retry`: a client sends its broadcast once; a lost request or
//!   acknowledgement leaves it to time out. Convergence covers only
//!   acknowledged values; *requests-complete* fails.

mod checker;
mod client;
mod node;
mod range_set;

pub use checker::GossipChecker;
pub use client::GossipClient;
pub use node::GossipNode;
pub use range_set::RangeSet;

use serde::{Deserialize, Serialize};
use sim::time::Duration;
use sim::{Diagnostic, ProcessId, Protocol, ProtocolInfo, Scenario, Span};

sim::bugs! {
    pub enum Bug {
        NoAntiEntropy = ("no-anti-entropy", "push gossip only: values pushed into a partition are lost (convergence)"),
        AckBeforeSync = ("ack-before-sync", "acknowledges a client before syncing the value to disk; a crash loses it (convergence)"),
        RangeOffByOne = ("range-off-by-one", "anti-entropy sends a range end it does not hold, inventing a value (validity)"),
        MergeOverGap = ("merge-over-gap", "a server's range merge swallows a one-value gap: it claims a value it never received (convergence)"),
        NoRetry = ("no-retry", "clients never resend a broadcast: one whose request or acknowledgement is lost times out (requests-complete)"),
    }
}

sim::properties! {
    pub enum Prop {
        Validity = ("validity", Always, "a server holds only values that some client submitted"),
        ReloadSafety = ("reload-safety", Always, "a restarted server reloads every value it acknowledged to a client"),
        Convergence = ("convergence", Eventually, "after the settle phase, every server holds every acknowledged value"),
        RequestsComplete = ("requests-complete", Eventually, "broadcasts invoked once the cluster healed are acknowledged instead of timing out"),
        PartitionCutGraph = ("partition-cut-graph", Sometimes, "a partition split the servers into groups that could not talk"),
        AntiEntropyRepaired = ("anti-entropy-repaired", Sometimes, "a server received a value it lacked through anti-entropy"),
        RecoveredFromDisk = ("recovered-from-disk", Sometimes, "a restarted server reloaded values from its disk"),
    }
}

static INFO: ProtocolInfo = ProtocolInfo {
    name: "gossip",
    summary: "broadcast by epidemic push plus push-pull anti-entropy (Maelstrom's broadcast)",
    workloads: &["broadcast"],
    params: &PARAMS,
};

static PARAMS: [sim::ParamSpec; 3] = [
    sim::ParamSpec {
        name: "fanout",
        kind: "integer",
        default: Some("3"),
        help: "neighbours each batch of new values is pushed to",
    },
    sim::ParamSpec {
        name: "push_interval",
        kind: "duration",
        default: Some(r#""20ms""#),
        help: "how often a server pushes the values it learnt since its last push",
    },
    sim::ParamSpec {
        name: "anti_entropy",
        kind: "duration",
        default: Some(r#""250ms""#),
        help: "how often a server runs a push-pull exchange of range digests with a random neighbour",
    },
];

/// The `[protocol]` table of a gossip scenario.
#[derive(Deserialize)]
#[serde(deny_unknown_fields, default)]
struct Params {
    fanout: u32,
    push_interval: Duration,
    anti_entropy: Duration,
}

impl Default for Params {
    fn default() -> Self {
        Params {
            fanout: 3,
            push_interval: Duration(Span::from_millis(20)),
            anti_entropy: Duration(Span::from_millis(250)),
        }
    }
}

/// Gossip's parameters, resolved.
#[derive(Clone, Debug)]
pub struct Gossip {
    pub fanout: u32,
    pub push_interval: Span,
    pub anti_entropy: Span,
    /// How long a client waits for an acknowledgement before trying another
    /// server.
    pub retry: Span,
    pub bug: Option<Bug>,
}

/// Most values one repair message carries; the rest wait for the next round.
pub const MAX_REPAIR: usize = 512;

#[derive(Clone, Debug, Hash, Serialize)]
pub enum Msg {
    /// Client to server: please broadcast `value`.
    Broadcast { op: u64, value: u64 },
    /// Server to client: `value` of operation `op` is durable here.
    BroadcastOk { op: u64 },
    /// Epidemic push of newly learnt values.
    Push { values: Vec<u64> },
    /// Anti-entropy: what the sender holds.
    Digest { have: Vec<(u64, u64)> },
    /// Anti-entropy answer: values the receiver lacked, and ranges the
    /// sender lacks (empty in the last leg of the exchange).
    Repair { values: Vec<u64>, want: Vec<(u64, u64)> },
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, Serialize)]
pub enum Timer {
    Push,
    AntiEntropy,
    /// A client's resend of operation `op`.
    Retry(u64),
}

/// How a server learnt a value.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Via {
    Client,
    Push,
    Repair,
}

pub enum Obs {
    Received {
        value: u64,
        via: Via,
    },
    /// A server started with these values on its disk, which it reloaded.
    Recovered {
        values: Vec<u64>,
    },
    /// A server told a client its value is safe: on its disk by now.
    Acknowledged {
        value: u64,
    },
}

// By hand: a trace shows how many values a server reloaded, not the list,
// which can run to thousands.
impl std::fmt::Debug for Obs {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Obs::Received { value, via } => {
                f.debug_struct("Received").field("value", value).field("via", via).finish()
            }
            Obs::Recovered { values } => f.debug_struct("Recovered").field("values", &values.len()).finish(),
            Obs::Acknowledged { value } => f.debug_struct("Acknowledged").field("value", value).finish(),
        }
    }
}

impl Protocol for Gossip {
    type Message = Msg;
    type Timer = Timer;
    type DiskKey = u64;
    type DiskValue = ();
    type Observation = Obs;
    type Server = GossipNode;
    type Client = GossipClient;
    type Checker = GossipChecker;
    type Role = sim::Uniform;
    type Property = Prop;
    type Bug = Bug;
    type Model = sim::lin::NoModel;

    fn info() -> &'static ProtocolInfo {
        &INFO
    }

    fn configure(scenario: &Scenario, bug: Option<Bug>) -> Result<Self, Diagnostic> {
        let params: Params = scenario.protocol_params()?;
        if params.fanout == 0 {
            return Err(scenario.param_error("fanout", "gossip needs a fanout of at least 1"));
        }
        for (name, t) in [("push_interval", params.push_interval.0), ("anti_entropy", params.anti_entropy.0)]
        {
            if t < Span::from_millis(1) {
                return Err(scenario.param_error(name, format!("gossip's {name} must be at least 1ms")));
            }
        }
        Ok(Gossip {
            fanout: params.fanout,
            push_interval: params.push_interval.0,
            anti_entropy: params.anti_entropy.0,
            retry: scenario.workload.as_ref().map_or(Span::from_millis(250), |w| w.retry),
            bug,
        })
    }

    fn min_nodes(&self, _role: sim::Uniform) -> u32 {
        2
    }

    fn server(&self, id: ProcessId, _cluster: &sim::Cluster) -> GossipNode {
        GossipNode::new(id, self.clone())
    }

    fn client(&self, _id: ProcessId, _cluster: &sim::Cluster) -> Option<GossipClient> {
        Some(GossipClient::new(self.retry, self.bug))
    }

    fn checker(&self, setup: &sim::Setup) -> GossipChecker {
        // Broadcasts invoked this long after the heal must be acknowledged:
        // every server is up again at the heal and acknowledges at once, so
        // one retry interval covers a request sent to a server that was
        // still restarting.
        GossipChecker::new(setup.servers(), setup.settle_start + self.retry)
    }

    fn parameters(&self) -> Vec<(&'static str, String)> {
        vec![
            ("fanout", self.fanout.to_string()),
            ("push_interval", self.push_interval.to_string()),
            (
                "anti_entropy",
                match self.bug {
                    Some(Bug::NoAntiEntropy) => "off (seeded bug)".to_string(),
                    _ => self.anti_entropy.to_string(),
                },
            ),
        ]
    }
}
