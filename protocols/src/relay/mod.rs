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
//! *hop-in-reach* (always): a message goes to another host, and with
//! `reach = k` to one at ring distance 1..=k; judged from the engine's
//! sender and receiver of every 64th hop (one observation per hop would
//! slow the yardstick down; a wrong pick is never rare enough to hide from
//! a sample). Sometimes: *long-chain*, some message made more than 1,000
//! hops, by the hop count the host observed (in `checker.rs`, which the
//! mutation harness leaves alone: it is the oracle).
//!
//! **Seeded bugs.**
//! - `swallow`: a host drops every message whose hop count is a multiple of
//!   500 instead of passing it on, so traffic dies out and *circulating*
//!   fails.
//! - `ring-off-by-one`: with `reach = k`, the backward ring offset is one
//!   short: one pick in 2k sends the message back to the host itself, and
//!   distance -k is never used. Traffic still circulates; *hop-in-reach*
//!   fails.
//! - `short-chains`: a host restarts the hop count when it reaches 600 (a
//!   counter guard gone wrong), so no message is ever seen past 1,000 hops:
//!   *long-chain*, expected by `any-host-5.toml`, never fires.
//! - `hashmap-order`: every 100th hop, a host picks the next host as the
//!   first entry of a `HashSet`, whose iteration order is random per set.
//!   No property fails, but two runs of one seed differ: the determinism
//!   check (`--check-determinism`) catches it.

mod checker;

pub use checker::RelayChecker;

use serde::Deserialize;
use sim::lin::NoModel;
use sim::{
    Cluster, Ctx, Diagnostic, NoClient, ProcessId, Protocol, ProtocolInfo, Scenario, Server, Time, Uniform,
};

sim::properties! {
    pub enum Prop {
        Circulating = ("circulating", Eventually, "every host received a message within the last second of the run"),
        HopInReach = ("hop-in-reach", Always, "every (sampled) hop goes to another host, within ring distance 1..=reach if reach is set"),
        LongChain = ("long-chain", Sometimes, "a message made more than 1,000 hops"),
    }
}

sim::bugs! {
    pub enum Bug {
        Swallow = ("swallow", "hosts drop every 500th hop instead of relaying it; traffic dies out (circulating)"),
        HashmapOrder = (
            "hashmap-order",
            "hosts pick some next hops by HashSet iteration order; runs differ (--check-determinism)"
        ),
        RingOffByOne = ("ring-off-by-one", "the backward ring offset is one short: some hops go back to the sender itself (hop-in-reach)"),
        ShortChains = ("short-chains", "hosts restart the hop count at 600, so no message makes 1,000 hops (long-chain never fires)"),
    }
}

static INFO: ProtocolInfo = ProtocolInfo {
    name: "relay",
    summary: "each delivery sends one u64 on to a random host: the engine-speed yardstick",
    workloads: &[],
    params: &PARAMS,
};

static PARAMS: [sim::ParamSpec; 1] = [sim::ParamSpec {
    name: "reach",
    kind: "integer",
    default: Some("0"),
    help: "0: pass a message to any other host; k: to one of the 2k hosts at ring distance 1..=k",
}];

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields, default)]
struct Params {
    /// 0: send to any other host; k: to one of the hosts at ring distance 1..=k.
    reach: u32,
}

#[derive(Clone, Debug)]
pub struct Relay {
    reach: u32,
    bug: Option<Bug>,
}

#[derive(Clone)]
pub struct Host {
    me: u32,
    relay: Relay,
    pub(crate) last_received: Time,
}

/// Every how many hops a host reports where a message came from.
pub const HOP_SAMPLE: u64 = 64;

#[derive(Debug)]
pub enum Obs {
    /// A message reached its 1,001st hop; the count it carried.
    Hops(u64),
    /// A (sampled) delivery: the host that sent it here, as the engine
    /// delivered it.
    Hop { from: ProcessId },
}

impl Host {
    fn pass_on(&mut self, ctx: &mut Ctx<'_, Relay>, hops: u64) {
        let n = ctx.servers();
        let to = if self.relay.bug == Some(Bug::HashmapOrder) && hops.is_multiple_of(100) {
            first_in_hash_order(n, self.me)
        } else if self.relay.reach == 0 || self.relay.reach * 2 >= n {
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
            let back = if self.relay.bug == Some(Bug::RingOffByOne) { step - k } else { step - k + 1 };
            let offset = if step < k { step + 1 } else { n - back };
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

    fn on_message(&mut self, ctx: &mut Ctx<'_, Relay>, from: ProcessId, hops: u64) {
        self.last_received = ctx.now();
        if self.relay.bug == Some(Bug::Swallow) && hops.is_multiple_of(500) {
            return;
        }
        if hops.is_multiple_of(HOP_SAMPLE) {
            ctx.observe(Obs::Hop { from });
        }
        if hops == 1_001 {
            ctx.observe(Obs::Hops(hops));
        }
        let hops = if self.relay.bug == Some(Bug::ShortChains) && hops == 600 { 0 } else { hops };
        self.pass_on(ctx, hops);
    }

    fn on_timer(&mut self, _ctx: &mut Ctx<'_, Relay>, _timer: ()) {}
}

/// The seeded bug: a host other than `me`, chosen by the iteration order of
/// a fresh `HashSet`, which std seeds randomly for every set.
#[allow(clippy::disallowed_types)] // the whole point of this bug
fn first_in_hash_order(hosts: u32, me: u32) -> u32 {
    let set: std::collections::HashSet<u32> = (0..hosts).filter(|h| *h != me).collect();
    set.into_iter().next().unwrap_or(me)
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
    type Role = Uniform;
    type Property = Prop;
    type Bug = Bug;
    type Model = NoModel;

    fn info() -> &'static ProtocolInfo {
        &INFO
    }

    fn configure(scenario: &Scenario, bug: Option<Bug>) -> Result<Self, Diagnostic> {
        let params: Params = scenario.protocol_params()?;
        Ok(Relay { reach: params.reach, bug })
    }

    fn min_nodes(&self, _role: Uniform) -> u32 {
        2
    }

    fn server(&self, id: ProcessId, _cluster: &Cluster) -> Host {
        Host { me: id.index(), relay: self.clone(), last_received: Time::ZERO }
    }

    fn checker(&self, setup: &sim::Setup) -> RelayChecker {
        RelayChecker::new(setup.servers(), self.reach)
    }

    fn parameters(&self) -> Vec<(&'static str, String)> {
        let reach = match self.reach {
            0 => "any other host".to_string(),
            k => format!("ring distance 1..={k}"),
        };
        vec![("reach", reach)]
    }
}
