//! Relay: the yardstick workload for comparing simulators' raw speed.
//!
//! **Algorithm.** Each host starts with one message. Whenever a host
//! receives a message it sends one u64 on to a host its own seeded stream
//! picks: any other host, or with `reach = k`, one of the 2k hosts at
//! distance 1..k around a ring (k = 4 gives the 8 fixed neighbours of the
//! 100-host benchmark). Nothing else happens, so the run measures the
//! engine: queue, network draws, trace hash and checks.
//!
//! **Properties.** *circulating* (eventually): at the end of the run every
//! host received a message within the last second: no message died.
//! Sometimes: *long-chain*, some message made more than 1,000 hops.
//!
//! **Seeded bug.** `swallow`: a host drops every message whose hop count is
//! a multiple of 500 instead of passing it on, so traffic dies out and
//! *circulating* fails.

use serde::Deserialize;
use sim::{
    BugSpec, Checker, Ctx, Diagnostic, Kind, NoClient, Observed, ProcessId, PropertySpec, Protocol,
    ProtocolInfo, Scenario, Server, Time, Verdicts, World,
};

const PROPERTIES: &[PropertySpec] = &[
    PropertySpec {
        name: "circulating",
        kind: Kind::Eventually,
        description: "every host received a message within the last second of the run",
    },
    PropertySpec {
        name: "long-chain",
        kind: Kind::Sometimes,
        description: "a message made more than 1,000 hops",
    },
];

const BUGS: &[BugSpec] = &[BugSpec {
    name: "swallow",
    description: "hosts drop every 500th hop instead of relaying it; traffic dies out (circulating)",
}];

static INFO: ProtocolInfo = ProtocolInfo {
    name: "relay",
    summary: "each delivery sends one u64 on to a random host: the engine-speed yardstick",
    properties: PROPERTIES,
    bugs: BUGS,
    workloads: &[],
    model: None,
};

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields, default)]
struct Params {
    /// 0: send to any other host; k: to one of the hosts at ring distance 1..=k.
    reach: u32,
}

#[derive(Clone, Debug)]
pub struct Relay {
    reach: u32,
    swallow: bool,
}

pub struct Host {
    me: u32,
    relay: Relay,
    last_received: Time,
}

#[derive(Debug)]
pub enum Obs {
    Hops(u64),
}

impl Host {
    fn pass_on(&mut self, ctx: &mut Ctx<'_, Relay>, hops: u64) {
        let n = ctx.servers();
        let to = if self.relay.reach == 0 || self.relay.reach * 2 >= n {
            // Any host but me.
            let pick = ctx.rng().below(n as u64 - 1) as u32;
            if pick >= self.me {
                pick + 1
            } else {
                pick
            }
        } else {
            let k = self.relay.reach;
            let step = ctx.rng().below(2 * k as u64) as u32;
            let offset = if step < k { step + 1 } else { n - (step - k + 1) };
            (self.me + offset) % n
        };
        ctx.send(ProcessId::server(to), hops + 1);
    }
}

impl Server<Relay> for Host {
    fn on_start(&mut self, ctx: &mut Ctx<'_, Relay>) {
        if ctx.servers() > 1 {
            self.pass_on(ctx, 0);
        }
    }

    fn on_message(&mut self, ctx: &mut Ctx<'_, Relay>, _from: ProcessId, hops: u64) {
        self.last_received = ctx.now();
        if self.relay.swallow && hops.is_multiple_of(500) {
            return;
        }
        if hops == 1_001 {
            ctx.observe(Obs::Hops(hops));
        }
        self.pass_on(ctx, hops);
    }

    fn on_timer(&mut self, _ctx: &mut Ctx<'_, Relay>, _timer: ()) {}
}

pub struct RelayChecker {
    hosts: u32,
}

impl Checker<Relay> for RelayChecker {
    #[inline]
    fn after_step(&mut self, _world: &World<'_, Relay>, observations: &[Observed<Obs>], v: &mut Verdicts) {
        if !observations.is_empty() {
            v.fired("long-chain");
        }
    }

    fn at_end(&mut self, world: &World<'_, Relay>, v: &mut Verdicts) {
        let cutoff = world.now().saturating_sub(Time::from_secs(1));
        for i in 0..self.hosts {
            if let Some(host) = world.server(i) {
                if host.last_received < cutoff {
                    v.violated(
                        "circulating",
                        format!(
                            "n{i} received nothing after {} (the run ended at {})",
                            host.last_received,
                            world.now()
                        ),
                    );
                    return;
                }
            }
        }
    }
}

impl Protocol for Relay {
    type Message = u64;
    type Timer = ();
    type DiskKey = ();
    type DiskValue = ();
    type Observation = Obs;
    type Server = Host;
    type Client = NoClient;
    type Checker = RelayChecker;

    fn info() -> &'static ProtocolInfo {
        &INFO
    }

    fn configure(scenario: &Scenario) -> Result<Self, Diagnostic> {
        let params: Params = scenario.protocol_params()?;
        Ok(Relay { reach: params.reach, swallow: scenario.bug.is_some() })
    }

    fn server(&self, id: ProcessId, _servers: u32) -> Host {
        Host { me: id.index(), relay: self.clone(), last_received: Time::ZERO }
    }

    fn client(&self, _id: ProcessId, _servers: u32) -> NoClient {
        unreachable!("relay has no workload, so no clients are ever built")
    }

    fn checker(&self, servers: u32, _clients: u32) -> RelayChecker {
        RelayChecker { hosts: servers }
    }

    fn parameters(&self) -> Vec<(&'static str, String)> {
        let reach = match self.reach {
            0 => "any other host".to_string(),
            k => format!("ring distance 1..={k}"),
        };
        vec![("reach", reach)]
    }
}
