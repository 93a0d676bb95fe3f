//! Two-phase commit: a bank whose accounts are sharded over participants.
//!
//! **Algorithm.** Clients submit transfers (between accounts on different
//! participants, and some on the same one) and audits (a read of every
//! account) to a coordinator, which runs each as a transaction. *Execute*:
//! each participant involved takes the transaction's locks (exclusive for a
//! transfer's accounts, shared for an audit's), without waiting: a conflict
//! refuses the transaction. *Prepare*: each participant checks the transfer
//! leaves no account negative, logs its vote and the writes on its disk,
//! syncs, and votes yes (an audit's yes carries the sum it read), or votes
//! no. *Decide*: with every vote yes the coordinator logs the commit, syncs,
//! and only then sends it; otherwise it aborts without logging anything
//! (presumed abort: a transaction the coordinator has no record of was
//! aborted). Participants apply a commit (its after-images logged and
//! synced with the balances), release the locks, and acknowledge; the
//! coordinator resends a commit until every participant acknowledged. A
//! participant that executed but is never asked to prepare aborts on its
//! own after `prepare_timeout`; one that voted yes may not: it is *in
//! doubt*, holding its locks, and asks the coordinator every `inquiry`
//! (and after a restart, at once); with `cooperative_termination` it also
//! asks the other participants, any of which that knows the outcome, or
//! has not voted yes and so can still abort, answers. A restarted
//! coordinator takes a new incarnation (so it never reuses a transaction's
//! name), reads its commits back from its log and sends them again. With
//! `decision_log = "replicated"` every coordinator node is also a replica
//! of the decision log: a commit is decided once a majority of replicas
//! logged it (one Paxos instance per transaction, ballot 0 the running
//! coordinator's), and a replica asked about a transaction it does not
//! know takes it over with a higher ballot, adopting any commit a majority
//! may have logged and deciding abort otherwise (see `coordinator/`).
//!
//! **The blocking window.** From its yes vote to the decision a participant
//! can neither commit nor abort. If the coordinator crashes after the
//! votes, classic two-phase commit leaves it there, locks held, until the
//! coordinator is back; cooperative termination helps only if some peer
//! knows the outcome or has not voted. The replicated decision log closes
//! the window to a takeover's round trips. The run's metrics report it:
//! transactions in doubt, for how long (p50, p99, max), and the locks they
//! held.
//!
//! **Properties.** Always, after every step: *atomicity* (no transaction
//! commits at one participant and aborts at another), *commit-needs-all-yes*
//! (a commit is decided only with a yes vote from every participant),
//! *decision-stable* (a decision, once made, never changes: not across a
//! coordinator's restart, not between decision-log replicas),
//! *money-conserved* (the sum of all balances, read from the participants'
//! state, plus the parts of committed transfers not yet applied, is the
//! bank's opening total), *no-negative-balance*, *audits-serializable*
//! (every committed audit read the opening total). From the history (a
//! client's n-th operation is its request n, and a coordinator names the
//! request of each transaction it begins): *outcome-told* (a client told ok
//! had its request committed, one told fail had it aborted or never run)
//! and *exactly-once* (a request commits in one transaction at most, and is
//! not run again once it committed). Eventually, after the settle phase:
//! *requests-complete* (operations invoked after the heal complete, and
//! every transaction begun before the last half of the settle phase was
//! decided, unless its coordinator crashed before deciding it);
//! *no-in-doubt* and *locks-released* at every participant;
//! *no-blocking* (no participant was in doubt longer than
//! `max_in_doubt`), checked only when `max_in_doubt` is set. Sometimes:
//! *voted-no*, *coordinator-recovered* (a coordinator finished a commit it
//! read back from its log, or a replica one a majority had logged),
//! *learnt-from-peer*, *presumed-abort*.
//!
//! **Seeded bugs.**
//! - `heuristic-decision`: a participant in doubt for three inquiries
//!   decides alone, commit or abort at random: it commits what others
//!   abort, or aborts what others commit (*atomicity*; money appears or
//!   vanishes: *money-conserved*).
//! - `decision-before-log`: the coordinator sends its commit before the
//!   record is durable (a background flush syncs it later); a crash in
//!   between, and the restarted coordinator presumes abort for a
//!   transaction it committed (*decision-stable*, then *atomicity*).
//! - `vote-not-logged`: a participant votes yes without syncing the vote; a
//!   crash loses it, and the commit finds nothing to apply (*atomicity*).
//! - `early-release`: locks are released at the yes vote instead of at the
//!   decision; an audit reads a transfer applied at one participant and not
//!   yet at the other (*audits-serializable*), or two transfers overdraw
//!   one account (*no-negative-balance*).
//! - `timeout-counts-as-yes`: a coordinator whose vote timer fires takes
//!   the silent participants' votes for yes (*commit-needs-all-yes*).
//! - `retry-answers-commit`: a retried request whose transaction is still
//!   under way is answered committed; the transaction may then abort
//!   (*outcome-told*).
//! - `forgets-requests`: a restarted coordinator reads its commits back
//!   but not which requests they ran; a client whose outcome was lost
//!   retries, and the transfer runs again (*exactly-once*).
//! - `no-execute-timeout`: no timer while the participants execute; a lost
//!   Execute or reply leaves the transaction undecided for ever and its
//!   client without an answer (*requests-complete*).

mod checker;
mod client;
mod coordinator;
mod node;
mod participant;
mod types;

pub use checker::TwoPcChecker;
pub use client::{BankClient, BankWorkload};
pub use coordinator::Coordinator;
pub use node::{RoleState, TwoPcNode};
pub use participant::Participant;
pub use types::{Key, Msg, Obs, Record, Request, Timer, TxnId, TxnOp};

use serde::Deserialize;
use sim::time::Duration;
use sim::workload::Generator;
use sim::{Diagnostic, ProcessId, Protocol, ProtocolInfo, Scenario, Setup, Span, WorkloadPlan};

sim::roles! {
    pub enum Role {
        Coordinator = ("coordinator", "runs transactions and keeps (a replica of) the decision log"),
        Participant = ("participant", "holds a shard of the accounts, locks, votes and applies"),
    }
}

sim::properties! {
    pub enum Prop {
        Atomicity = ("atomicity", Always, "no transaction commits at one participant and aborts at another"),
        CommitNeedsAllYes = ("commit-needs-all-yes", Always, "a commit is decided only with every participant's yes vote"),
        DecisionStable = ("decision-stable", Always, "a decision once made never changes (across restarts and replicas)"),
        MoneyConserved = ("money-conserved", Always, "all balances plus committed transfers not yet applied add up to the opening total"),
        NoNegativeBalance = ("no-negative-balance", Always, "no account goes below zero"),
        AuditsSerializable = ("audits-serializable", Always, "every committed audit reads the opening total"),
        OutcomeTold = ("outcome-told", Always, "a client told ok had its request committed; one told fail, aborted or never run"),
        ExactlyOnce = ("exactly-once", Always, "no client request commits in two transactions"),
        RequestsComplete = ("requests-complete", Eventually, "operations invoked after the heal complete, and every transaction begun is decided"),
        NoInDoubt = ("no-in-doubt", Eventually, "after the settle phase no participant is in doubt"),
        LocksReleased = ("locks-released", Eventually, "after the settle phase every lock is released"),
        NoBlocking = ("no-blocking", Eventually, "no participant was in doubt longer than max_in_doubt (only when it is set)"),
        VotedNo = ("voted-no", Sometimes, "a participant voted no"),
        CoordinatorRecovered = ("coordinator-recovered", Sometimes, "a coordinator finished a commit it recovered from the decision log"),
        LearntFromPeer = ("learnt-from-peer", Sometimes, "an in-doubt participant learnt the outcome from a peer"),
        PresumedAbort = ("presumed-abort", Sometimes, "a coordinator answered abort for a transaction it had no record of"),
    }
}

sim::bugs! {
    pub enum Bug {
        HeuristicDecision = ("heuristic-decision", "an in-doubt participant decides alone (atomicity)"),
        DecisionBeforeLog = ("decision-before-log", "the coordinator sends a commit before logging it durably (decision-stable)"),
        VoteNotLogged = ("vote-not-logged", "a participant votes yes without syncing its vote (atomicity)"),
        EarlyRelease = ("early-release", "locks are released at the vote, not the decision (audits-serializable)"),
        TimeoutCountsAsYes = ("timeout-counts-as-yes", "a coordinator takes a missing vote for yes (commit-needs-all-yes)"),
        RetryAnswersCommit = ("retry-answers-commit", "a retried request still under way is answered committed (outcome-told)"),
        ForgetsRequests = ("forgets-requests", "a restarted coordinator forgets which requests it committed and runs their retries again (exactly-once)"),
        NoExecuteTimeout = ("no-execute-timeout", "no timeout while participants execute: a lost reply leaves the transaction undecided (requests-complete)"),
    }
}

static INFO: ProtocolInfo = ProtocolInfo {
    name: "twopc",
    summary: "two-phase commit over a sharded bank: presumed abort, cooperative termination, a replicated decision log",
    workloads: &["bank"],
    params: &PARAMS,
};

static PARAMS: [sim::ParamSpec; 12] = [
    sim::ParamSpec {
        name: "decision_log",
        kind: r#""coordinator" or "replicated""#,
        default: Some(r#""coordinator""#),
        help: "where commit decisions are logged: the coordinator's disk, or a majority of coordinator nodes",
    },
    sim::ParamSpec {
        name: "cooperative_termination",
        kind: "bool",
        default: Some("false"),
        help: "an in-doubt participant also asks its peers for the outcome",
    },
    sim::ParamSpec {
        name: "accounts",
        kind: "integer",
        default: Some("10"),
        help: "accounts per participant",
    },
    sim::ParamSpec {
        name: "balance",
        kind: "integer",
        default: Some("100"),
        help: "each account's opening balance",
    },
    sim::ParamSpec {
        name: "max_amount",
        kind: "integer",
        default: Some("50"),
        help: "transfers move 1..=max_amount",
    },
    sim::ParamSpec {
        name: "audits",
        kind: "number in [0, 1]",
        default: Some("0.1"),
        help: "share of operations that are audits reading every account",
    },
    sim::ParamSpec {
        name: "local",
        kind: "number in [0, 1]",
        default: Some("0.2"),
        help: "share of transfers within one participant",
    },
    sim::ParamSpec {
        name: "vote_timeout",
        kind: "duration",
        default: Some(r#""200ms""#),
        help: "the coordinator waits this long per phase, then aborts",
    },
    sim::ParamSpec {
        name: "prepare_timeout",
        kind: "duration",
        default: Some(r#""500ms""#),
        help: "an executed participant never asked to vote aborts after this long",
    },
    sim::ParamSpec {
        name: "inquiry",
        kind: "duration",
        default: Some(r#""100ms""#),
        help: "an in-doubt participant asks for the outcome again after this long",
    },
    sim::ParamSpec {
        name: "resend",
        kind: "duration",
        default: Some(r#""100ms""#),
        help: "the coordinator resends an unacknowledged commit after this long",
    },
    sim::ParamSpec {
        name: "max_in_doubt",
        kind: "duration",
        default: None,
        help: "turns no-blocking on: no participant may stay in doubt longer (off when absent)",
    },
];

/// Where the decision log lives.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum DecisionLog {
    /// On the one coordinator's disk (classic two-phase commit).
    Coordinator,
    /// On a majority of the coordinator nodes.
    Replicated,
}

impl DecisionLog {
    pub fn name(self) -> &'static str {
        match self {
            DecisionLog::Coordinator => "coordinator",
            DecisionLog::Replicated => "replicated",
        }
    }
}

/// The `[protocol]` table of a two-phase commit scenario.
#[derive(Deserialize)]
#[serde(deny_unknown_fields, default)]
struct Params {
    decision_log: DecisionLog,
    cooperative_termination: bool,
    accounts: u32,
    balance: i64,
    max_amount: i64,
    audits: f64,
    local: f64,
    vote_timeout: Duration,
    prepare_timeout: Duration,
    inquiry: Duration,
    resend: Duration,
    max_in_doubt: Option<Duration>,
}

impl Default for Params {
    fn default() -> Self {
        Params {
            decision_log: DecisionLog::Coordinator,
            cooperative_termination: false,
            accounts: 10,
            balance: 100,
            max_amount: 50,
            audits: 0.1,
            local: 0.2,
            vote_timeout: Duration(Span::from_millis(200)),
            prepare_timeout: Duration(Span::from_millis(500)),
            inquiry: Duration(Span::from_millis(100)),
            resend: Duration(Span::from_millis(100)),
            max_in_doubt: None,
        }
    }
}

#[derive(Clone, Debug)]
pub struct TwoPc {
    pub decision_log: DecisionLog,
    pub cooperative: bool,
    /// Accounts per participant, and each one's opening balance.
    pub accounts: u32,
    pub balance: i64,
    pub max_amount: i64,
    pub audit_ppm: u32,
    pub local_ppm: u32,
    pub vote_timeout: Span,
    pub prepare_timeout: Span,
    pub inquiry: Span,
    pub resend: Span,
    pub max_in_doubt: Option<Span>,
    pub retry: Span,
    /// The participants' server indices.
    pub participants: Vec<u32>,
    pub bug: Option<Bug>,
}

impl Default for TwoPc {
    fn default() -> Self {
        let p = Params::default();
        TwoPc {
            decision_log: p.decision_log,
            cooperative: p.cooperative_termination,
            accounts: p.accounts,
            balance: p.balance,
            max_amount: p.max_amount,
            audit_ppm: 100_000,
            local_ppm: 200_000,
            vote_timeout: p.vote_timeout.0,
            prepare_timeout: p.prepare_timeout.0,
            inquiry: p.inquiry.0,
            resend: p.resend.0,
            max_in_doubt: None,
            retry: Span::from_millis(100),
            participants: Vec::new(),
            bug: None,
        }
    }
}

impl TwoPc {
    pub fn replicated(&self) -> bool {
        self.decision_log == DecisionLog::Replicated
    }

    /// The participant holding `account`.
    pub fn holder(&self, account: u32) -> Option<u32> {
        self.participants.get((account / self.accounts.max(1)) as usize).copied()
    }

    /// The participants a transaction involves, in order.
    pub fn participants_of(&self, op: &TxnOp) -> Vec<u32> {
        match op {
            TxnOp::Audit => self.participants.clone(),
            TxnOp::Transfer { from, to, .. } => {
                let mut v: Vec<u32> = [*from, *to].iter().filter_map(|a| self.holder(*a)).collect();
                v.sort_unstable();
                v.dedup();
                v
            }
        }
    }

    /// The bank's opening total.
    pub fn total(&self) -> i64 {
        self.participants.len() as i64 * self.accounts as i64 * self.balance
    }
}

fn share(scenario: &Scenario, key: &str, value: f64) -> Result<u32, Diagnostic> {
    if !(0.0..=1.0).contains(&value) {
        return Err(
            scenario.param_error(key, format!("twopc's {key} is a share of the operations, in [0, 1]"))
        );
    }
    Ok((value * 1_000_000.0).round() as u32)
}

impl Protocol for TwoPc {
    type Message = Msg;
    type Timer = Timer;
    type DiskKey = Key;
    type DiskValue = Record;
    type Observation = Obs;
    type Server = TwoPcNode;
    type Client = BankClient;
    type Checker = TwoPcChecker;
    type Role = Role;
    type Property = Prop;
    type Bug = Bug;
    type Model = sim::lin::NoModel;

    fn info() -> &'static ProtocolInfo {
        &INFO
    }

    fn configure(scenario: &Scenario, bug: Option<Bug>) -> Result<Self, Diagnostic> {
        let p: Params = scenario.protocol_params()?;
        if p.accounts == 0 || p.accounts > 1000 {
            return Err(
                scenario.param_error("accounts", "twopc's accounts (per participant) must be in 1..=1000")
            );
        }
        if p.balance < 0 || p.balance > 1_000_000_000 {
            return Err(scenario.param_error("balance", "twopc's balance must be in 0..=1000000000"));
        }
        if p.max_amount < 1 || p.max_amount > 1_000_000_000 {
            return Err(scenario.param_error("max_amount", "twopc's max_amount must be in 1..=1000000000"));
        }
        for (key, span) in [
            ("vote_timeout", p.vote_timeout.0),
            ("prepare_timeout", p.prepare_timeout.0),
            ("inquiry", p.inquiry.0),
            ("resend", p.resend.0),
        ] {
            if span == Span::ZERO {
                return Err(scenario.param_error(key, format!("twopc's {key} must be longer than 0s")));
            }
        }
        let audit_ppm = share(scenario, "audits", p.audits)?;
        let local_ppm = share(scenario, "local", p.local)?;
        // Servers are numbered role after role in the file's order.
        let mut participants = Vec::new();
        let mut next = 0;
        for r in scenario.roles.iter().flatten() {
            if r.name == "participant" {
                participants.extend(next..next + r.count);
            }
            next += r.count;
        }
        Ok(TwoPc {
            decision_log: p.decision_log,
            cooperative: p.cooperative_termination,
            accounts: p.accounts,
            balance: p.balance,
            max_amount: p.max_amount,
            audit_ppm,
            local_ppm,
            vote_timeout: p.vote_timeout.0,
            prepare_timeout: p.prepare_timeout.0,
            inquiry: p.inquiry.0,
            resend: p.resend.0,
            max_in_doubt: p.max_in_doubt.map(|d| d.0),
            retry: scenario.workload.as_ref().map_or(Span::from_millis(100), |w| w.retry),
            participants,
            bug,
        })
    }

    fn min_nodes(&self, role: Role) -> u32 {
        match role {
            Role::Coordinator => 1,
            Role::Participant => 2,
        }
    }

    fn server(&self, id: ProcessId, cluster: &sim::Cluster) -> TwoPcNode {
        let state = match cluster.role::<Role>(id) {
            Some(Role::Coordinator) => RoleState::Coordinator(Coordinator::new(id.index())),
            Some(Role::Participant) | None => {
                let shard = self.participants.iter().position(|p| *p == id.index()).unwrap_or(0) as u32;
                RoleState::Participant(Participant::new(
                    id.index(),
                    shard * self.accounts,
                    self.accounts,
                    self.balance,
                ))
            }
        };
        TwoPcNode::new(self.clone(), state)
    }

    fn client(&self, id: ProcessId, _cluster: &sim::Cluster) -> Option<BankClient> {
        Some(BankClient::new(id.index(), self.retry))
    }

    fn generator(&self, plan: &WorkloadPlan) -> Option<Box<dyn Generator>> {
        (plan.kind == "bank").then(|| {
            Box::new(BankWorkload {
                participants: self.participants.len() as u32,
                accounts: self.accounts,
                max_amount: self.max_amount,
                audit_ppm: self.audit_ppm,
                local_ppm: self.local_ppm,
            }) as Box<dyn Generator>
        })
    }

    fn checker(&self, setup: &Setup) -> TwoPcChecker {
        TwoPcChecker::new(self.clone(), setup)
    }

    /// `no-blocking` needs `max_in_doubt`: without it, "not checked".
    fn checks(&self, property: Prop) -> bool {
        property != Prop::NoBlocking || self.max_in_doubt.is_some()
    }

    fn parameters(&self) -> Vec<(&'static str, String)> {
        vec![
            ("decision_log", self.decision_log.name().to_string()),
            ("cooperative_termination", self.cooperative.to_string()),
            ("accounts", self.accounts.to_string()),
            ("balance", self.balance.to_string()),
            ("max_amount", self.max_amount.to_string()),
            ("audits", format!("{}", self.audit_ppm as f64 / 1e6)),
            ("local", format!("{}", self.local_ppm as f64 / 1e6)),
            ("vote_timeout", self.vote_timeout.to_string()),
            ("prepare_timeout", self.prepare_timeout.to_string()),
            ("inquiry", self.inquiry.to_string()),
            ("resend", self.resend.to_string()),
            (
                "max_in_doubt",
                self.max_in_doubt.map_or("off (no-blocking not checked)".to_string(), |s| s.to_string()),
            ),
        ]
    }
}
