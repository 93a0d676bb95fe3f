//! The Synod algorithm: single-decree Paxos, with its three roles apart.
//!
//! **Algorithm.** Each proposer wants its own value (`100 + its index`)
//! chosen. It picks a ballot (round, proposer) higher than any it has seen,
//! so ballots are unique per proposer, and sends prepare to every acceptor
//! (phase 1a). An acceptor promises a ballot no lower than the one it
//! promised, and answers with the highest-ballot value it accepted, if any
//! (1b). With promises from a majority the proposer asks the acceptors to
//! accept (2a) the value of the highest accepted ballot they reported, or
//! its own value if none reported one: it *adopts* the value. An acceptor
//! accepts a value in a ballot no lower than its promise and tells the
//! proposer and every learner (2b). A value accepted by a majority in one ballot
//! is chosen; a learner learns it when it counts that majority. A proposer
//! refused by a higher ballot, or that hears nothing for `retry`, backs off
//! for a random time in `backoff` and tries a higher ballot. Two proposers
//! can outbid each other forever (livelock); randomized backoff makes that
//! rare, and a run that is still undecided after the settle phase is a
//! liveness finding. Acceptors sync their promise and accepted value to
//! disk before answering; learners that heard nothing ask the acceptors
//! again.
//!
//! **Properties.** Always: *agreement* (at most one value is chosen,
//! computed from the acceptors' states: accepted by a majority in one
//! ballot; and every value a learner learned is that one), *validity* (the
//! value accepted in a ballot is the one its proposer proposed in it, and
//! that is a proposer's own value or one adopted), *promise-kept* (no
//! acceptor promises or accepts below a ballot it promised). Eventually:
//! *decided* (every learner learned a value by the end of the settle
//! phase). Sometimes: *proposers-competed* (a proposer was refused for a
//! higher ballot), *value-adopted* (a proposer adopted a value accepted in
//! an earlier ballot).
//!
//! **Seeded bugs.**
//! - `ignore-promised-values`: a proposer always proposes its own value,
//!   whatever the promises report (*agreement*).
//! - `acceptor-amnesia`: acceptors keep their promise and value in memory
//!   only; a restarted one forgets them (*promise-kept*, *agreement*).
//! - `promise-lower-ballot`: an acceptor promises any ballot, lowering its
//!   promise (*promise-kept*).

mod checker;
mod node;

pub use checker::SynodChecker;
pub use node::{SynodNode, SynodState};

use crate::paxos::Ballot;
use serde::{Deserialize, Serialize};
use sim::time::Duration;
use sim::{Diagnostic, NoClient, ProcessId, Protocol, ProtocolInfo, Scenario, Setup, Span};

sim::roles! {
    pub enum Role {
        Proposer = ("proposer", "proposes its own value, or adopts one already accepted"),
        Acceptor = ("acceptor", "promises ballots and accepts values; its state is on disk"),
        Learner = ("learner", "learns the value a majority of acceptors accepted in one ballot"),
    }
}

sim::bugs! {
    pub enum Bug {
        IgnorePromisedValues = ("ignore-promised-values", "a proposer proposes its own value whatever the promises report (agreement)"),
        AcceptorAmnesia = ("acceptor-amnesia", "acceptor state is never persisted: a restart forgets promises (promise-kept)"),
        PromiseLowerBallot = ("promise-lower-ballot", "an acceptor promises a ballot below its promise (promise-kept)"),
    }
}

sim::properties! {
    pub enum Prop {
        Agreement = ("agreement", Always, "at most one value is chosen (accepted by a majority in one ballot), and learners learn only it"),
        Validity = ("validity", Always, "the value accepted in a ballot is the one its proposer proposed"),
        PromiseKept = ("promise-kept", Always, "no acceptor promises or accepts below a ballot it promised"),
        Decided = ("decided", Eventually, "after the settle phase, every learner learned a value"),
        ProposersCompeted = ("proposers-competed", Sometimes, "a proposer was refused for a higher ballot"),
        ValueAdopted = ("value-adopted", Sometimes, "a proposer adopted a value accepted in an earlier ballot"),
    }
}

static INFO: ProtocolInfo = ProtocolInfo {
    name: "synod",
    summary: "single-decree Paxos (the Synod algorithm) with proposers, acceptors and learners apart",
    workloads: &[],
    params: &PARAMS,
};

static PARAMS: [sim::ParamSpec; 2] = [
    sim::ParamSpec {
        name: "backoff",
        kind: "[duration, duration]",
        default: Some(r#"["10ms", "100ms"]"#),
        help: "a proposer waits a random time in this range before each attempt",
    },
    sim::ParamSpec {
        name: "retry",
        kind: "duration",
        default: Some(r#""200ms""#),
        help: "an attempt that has not chosen a value by then is abandoned",
    },
];

#[derive(Deserialize)]
#[serde(deny_unknown_fields, default)]
struct Params {
    /// A proposer waits a random time in this range before each attempt.
    backoff: [Duration; 2],
    /// An attempt that has not chosen a value by then is abandoned.
    retry: Duration,
}

impl Default for Params {
    fn default() -> Self {
        Params {
            backoff: [Duration(Span::from_millis(10)), Duration(Span::from_millis(100))],
            retry: Duration(Span::from_millis(200)),
        }
    }
}

#[derive(Clone, Debug)]
pub struct Synod {
    pub backoff: (Span, Span),
    pub retry: Span,
    pub bug: Option<Bug>,
}

#[derive(Clone, Debug, Hash, Serialize)]
pub enum Msg {
    Prepare {
        ballot: Ballot,
    },
    Promise {
        ballot: Ballot,
        ok: bool,
        promised: Ballot,
        accepted: Option<(Ballot, i64)>,
    },
    Accept {
        ballot: Ballot,
        value: i64,
    },
    /// To the proposer and every learner.
    Accepted {
        ballot: Ballot,
        ok: bool,
        promised: Ballot,
        value: i64,
    },
    /// A learner that has not learned asks an acceptor what it accepted.
    Query,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, Serialize)]
pub enum Timer {
    /// A proposer starts an attempt.
    Attempt,
    /// A proposer's attempt took too long.
    GiveUp(u64),
    /// A learner asks again.
    Ask,
}

#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Key {
    /// A proposer's highest round, so a restart never reuses a ballot.
    Round,
    Promised,
    Accepted,
}

#[derive(Clone, Debug)]
pub enum Stored {
    Round(u64),
    Promised(Ballot),
    Accepted(Ballot, i64),
}

#[derive(Debug)]
pub enum Obs {
    Promised {
        ballot: Ballot,
    },
    /// An acceptor accepted: the checker reads what from its state.
    Accepted,
    Proposed {
        ballot: Ballot,
        value: i64,
        adopted: bool,
    },
    Outbid,
    Learned {
        value: i64,
    },
}

impl Protocol for Synod {
    type Message = Msg;
    type Timer = Timer;
    type DiskKey = Key;
    type DiskValue = Stored;
    type Observation = Obs;
    type Server = SynodNode;
    type Client = NoClient;
    type Checker = SynodChecker;
    type Role = Role;
    type Property = Prop;
    type Bug = Bug;
    type Model = sim::lin::NoModel;

    fn info() -> &'static ProtocolInfo {
        &INFO
    }

    fn configure(scenario: &Scenario, bug: Option<Bug>) -> Result<Self, Diagnostic> {
        let p: Params = scenario.protocol_params()?;
        let (min, max) = (p.backoff[0].0, p.backoff[1].0);
        if min > max {
            return Err(scenario.param_error("backoff", "synod's backoff is [min, max] with min <= max"));
        }
        if p.retry.0 == Span::ZERO {
            return Err(scenario.param_error("retry", "synod's retry must be longer than zero"));
        }
        Ok(Synod { backoff: (min, max), retry: p.retry.0, bug })
    }

    fn min_nodes(&self, role: Role) -> u32 {
        match role {
            Role::Proposer | Role::Acceptor | Role::Learner => 1,
        }
    }

    fn server(&self, id: ProcessId, cluster: &sim::Cluster) -> SynodNode {
        SynodNode::new(id, cluster, self.clone())
    }

    fn checker(&self, setup: &Setup) -> SynodChecker {
        SynodChecker::new(setup)
    }

    fn parameters(&self) -> Vec<(&'static str, String)> {
        vec![
            ("backoff", format!("{}..{}", self.backoff.0, self.backoff.1)),
            ("retry", self.retry.to_string()),
        ]
    }
}
