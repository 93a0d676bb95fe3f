//! A lease lock with fencing tokens, as a user of dsim would write it:
//! only against the public API of `sim` and `dsim`.
//!
//! **Algorithm.** Three roles. The `lock` server grants a lease to one
//! worker at a time, for `lease` on its own monotonic clock, with a fencing
//! token that grows with every grant (kept on disk, so a restarted lock
//! never hands out a token twice). A `worker` asks for the lease, and while
//! it believes it holds it (measured on *its* monotonic clock, from when it
//! asked, minus nothing) writes to the `storage` server with its token,
//! then releases. The storage server remembers the highest token it has
//! accepted and refuses writes with a lower one: that is what keeps a
//! worker that was paused past its lease from overwriting a newer holder's
//! work.
//!
//! **Properties.** Always: *fenced-writes*, the tokens of the writes the
//! storage accepts never go down. Sometimes: *stale-write-refused*, the
//! storage refused a write from an expired holder.
//!
//! **Seeded bug.** `no-fencing`: the storage accepts every write; a worker
//! paused past its lease writes after a newer holder (*fenced-writes*).

use serde::{Deserialize, Serialize};
use sim::{
    Checker, Cluster, Ctx, Diagnostic, NoClient, Observed, ProcessId, Protocol, ProtocolInfo, Scenario,
    Server, Setup, Span, Time, Verdicts, World,
};

sim::roles! {
    pub enum Role {
        Lock = ("lock", "grants leases with fencing tokens"),
        Storage = ("storage", "accepts writes with a token no lower than any it accepted"),
        Worker = ("worker", "takes the lease, writes, releases"),
    }
}

sim::properties! {
    pub enum Prop {
        FencedWrites = ("fenced-writes", Always, "the tokens of accepted writes never go down"),
        StaleWriteRefused = ("stale-write-refused", Sometimes, "the storage refused a write from an expired holder"),
    }
}

sim::bugs! {
    pub enum Bug {
        NoFencing = ("no-fencing", "the storage accepts writes without checking tokens (fenced-writes)"),
    }
}

static INFO: ProtocolInfo = ProtocolInfo {
    name: "lease-lock",
    summary: "a lease lock with fencing tokens (an example protocol written outside dsim)",
    workloads: &[],
    params: &PARAMS,
};

static PARAMS: [sim::ParamSpec; 2] = [
    sim::ParamSpec {
        name: "lease",
        kind: "duration",
        default: Some(r#""100ms""#),
        help: "how long the lock grants a worker the lease",
    },
    sim::ParamSpec {
        name: "work",
        kind: "duration",
        default: Some(r#""30ms""#),
        help: "how long a worker works under the lease before it writes",
    },
];

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields, default)]
struct Params {
    lease: sim::time::Duration,
    /// How long a worker works under the lease before it writes.
    work: sim::time::Duration,
}

impl Default for Params {
    fn default() -> Self {
        Params {
            lease: sim::time::Duration(Span::from_millis(100)),
            work: sim::time::Duration(Span::from_millis(30)),
        }
    }
}

#[derive(Clone, Copy, Debug)]
pub struct LeaseLock {
    lease: Span,
    work: Span,
    bug: Option<Bug>,
}

#[derive(Clone, Debug, Hash, Serialize)]
pub enum Msg {
    Acquire,
    Granted { token: u64 },
    Busy,
    Release { token: u64 },
    Write { token: u64 },
    Written { ok: bool },
}

#[derive(Clone, Debug, Hash, PartialEq, Serialize)]
pub enum Timer {
    /// A worker tries to take the lease.
    Try,
    /// A worker's work is done: it writes.
    Write,
}

#[derive(Debug)]
pub enum Obs {
    Accepted { token: u64 },
    Refused { token: u64 },
}

/// A node: its parameters and the state of its role.
#[derive(Clone)]
pub struct Node {
    config: LeaseLock,
    state: State,
}

#[derive(Clone)]
enum State {
    Lock { next_token: u64, holder: Option<(ProcessId, Time)> },
    Storage { highest: u64 },
    Worker { token: Option<u64> },
}

impl Server<LeaseLock> for Node {
    fn on_start(&mut self, ctx: &mut Ctx<'_, LeaseLock>) {
        match &mut self.state {
            State::Lock { next_token, .. } => {
                *next_token = ctx.disk().get(&"token").copied().unwrap_or(0);
            }
            State::Storage { highest } => *highest = ctx.disk().get(&"highest").copied().unwrap_or(0),
            State::Worker { .. } => {
                let wait = Span::from_millis(10 + ctx.rng().below(40));
                ctx.set_timer(Timer::Try, wait);
            }
        }
    }

    fn on_message(&mut self, ctx: &mut Ctx<'_, LeaseLock>, from: ProcessId, msg: Msg) {
        let config = self.config;
        match (&mut self.state, msg) {
            (State::Lock { next_token, holder }, Msg::Acquire) => {
                let now = ctx.monotonic();
                let free = holder.is_none_or(|(_, until)| now >= until);
                if free {
                    *next_token += 1;
                    // The token is durable before anyone sees it.
                    ctx.disk().put("token", *next_token);
                    ctx.disk().sync();
                    *holder = Some((from, now + config.lease));
                    ctx.send(from, Msg::Granted { token: *next_token });
                } else {
                    ctx.send(from, Msg::Busy);
                }
            }
            (State::Lock { holder, next_token }, Msg::Release { token })
                if token == *next_token && holder.is_some_and(|(h, _)| h == from) =>
            {
                *holder = None;
            }
            (State::Storage { highest }, Msg::Write { token }) => {
                let fenced = config.bug != Some(Bug::NoFencing);
                if fenced && token < *highest {
                    ctx.observe(Obs::Refused { token });
                    ctx.send(from, Msg::Written { ok: false });
                } else {
                    *highest = (*highest).max(token);
                    ctx.disk().put("highest", *highest);
                    ctx.disk().sync();
                    ctx.observe(Obs::Accepted { token });
                    ctx.send(from, Msg::Written { ok: true });
                }
            }
            (State::Worker { token }, Msg::Granted { token: t }) => {
                *token = Some(t);
                ctx.set_timer(Timer::Write, config.work);
            }
            (State::Worker { .. }, Msg::Busy) => {
                let wait = Span::from_millis(10 + ctx.rng().below(40));
                ctx.set_timer(Timer::Try, wait);
            }
            (State::Worker { token }, Msg::Written { .. }) => {
                if let Some(t) = token.take() {
                    if let Some(lock) = ctx.members(Role::Lock).next() {
                        ctx.send(lock, Msg::Release { token: t });
                    }
                }
                let wait = Span::from_millis(10 + ctx.rng().below(40));
                ctx.set_timer(Timer::Try, wait);
            }
            _ => {}
        }
    }

    fn on_timer(&mut self, ctx: &mut Ctx<'_, LeaseLock>, timer: Timer) {
        let lock = ctx.members(Role::Lock).next();
        let storage = ctx.members(Role::Storage).next();
        match (&self.state, timer) {
            (State::Worker { token: None }, Timer::Try) => {
                if let Some(lock) = lock {
                    ctx.send(lock, Msg::Acquire);
                }
                // Ask again if nothing comes back.
                ctx.set_timer(Timer::Try, Span::from_millis(200));
            }
            (State::Worker { token: Some(t) }, Timer::Write) => {
                if let Some(storage) = storage {
                    ctx.send(storage, Msg::Write { token: *t });
                }
            }
            _ => {}
        }
    }
}

pub struct FenceChecker {
    highest: u64,
}

impl Checker<LeaseLock> for FenceChecker {
    fn after_step(
        &mut self,
        _world: &World<'_, LeaseLock>,
        observations: &[Observed<Obs>],
        v: &mut Verdicts<Prop>,
    ) {
        for o in observations {
            match o.obs {
                Obs::Accepted { token } if token < self.highest => v.violated(
                    Prop::FencedWrites,
                    format!(
                        "the storage accepted a write with token {token} after one with token {}",
                        self.highest
                    ),
                ),
                Obs::Accepted { token } => self.highest = token,
                Obs::Refused { .. } => v.fired(Prop::StaleWriteRefused),
            }
        }
    }
}

impl Protocol for LeaseLock {
    type Message = Msg;
    type Timer = Timer;
    type DiskKey = &'static str;
    type DiskValue = u64;
    type Observation = Obs;
    type Server = Node;
    type Client = NoClient;
    type Checker = FenceChecker;
    type Role = Role;
    type Property = Prop;
    type Bug = Bug;
    type Model = sim::lin::NoModel;

    fn info() -> &'static ProtocolInfo {
        &INFO
    }

    fn configure(scenario: &Scenario, bug: Option<Bug>) -> Result<Self, Diagnostic> {
        let p: Params = scenario.protocol_params()?;
        if p.work.0 >= p.lease.0 {
            return Err(scenario
                .param_error("work", "the work must fit in the lease: make `work` shorter than `lease`"));
        }
        Ok(LeaseLock { lease: p.lease.0, work: p.work.0, bug })
    }

    fn min_nodes(&self, role: Role) -> u32 {
        match role {
            Role::Worker => 2,
            Role::Lock | Role::Storage => 1,
        }
    }

    fn server(&self, id: ProcessId, cluster: &Cluster) -> Node {
        let state = match cluster.role::<Role>(id) {
            Some(Role::Lock) => State::Lock { next_token: 0, holder: None },
            Some(Role::Storage) => State::Storage { highest: 0 },
            Some(Role::Worker) | None => State::Worker { token: None },
        };
        Node { config: *self, state }
    }

    fn checker(&self, _setup: &Setup) -> FenceChecker {
        FenceChecker { highest: 0 }
    }

    fn parameters(&self) -> Vec<(&'static str, String)> {
        vec![("lease", self.lease.to_string()), ("work", self.work.to_string())]
    }
}
