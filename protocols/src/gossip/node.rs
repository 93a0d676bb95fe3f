//! A gossip server.

use super::{Bug, Gossip, Msg, Obs, RangeSet, Timer, Via, MAX_REPAIR};
use sim::{Ctx, ProcessId, Server};

#[derive(Clone)]
pub struct GossipNode {
    me: ProcessId,
    config: Gossip,
    values: RangeSet,
    /// Learnt since the last push.
    unpushed: Vec<u64>,
}

impl GossipNode {
    pub fn new(me: ProcessId, config: Gossip) -> GossipNode {
        GossipNode { me, config, values: RangeSet::new(), unpushed: Vec::new() }
    }

    pub fn values(&self) -> &RangeSet {
        &self.values
    }

    /// Records a value; returns whether it was new.
    fn learn(&mut self, ctx: &mut Ctx<'_, Gossip>, value: u64, via: Via) -> bool {
        if !self.values.insert(value) {
            return false;
        }
        if self.config.bug == Some(Bug::MergeOverGap)
            && value >= 2
            && self.values.contains(value - 2)
            && !self.values.contains(value - 1)
        {
            // The seeded bug: a range merge that swallows a one-value gap,
            // so the server claims a value it never received or stored.
            self.values.insert(value - 1);
        }
        ctx.disk().put(value, ());
        self.unpushed.push(value);
        ctx.observe(Obs::Received { value, via });
        true
    }

    fn push(&mut self, ctx: &mut Ctx<'_, Gossip>) {
        // Values learnt from peers are synced here, in batches: losing them
        // in a crash is harmless, anti-entropy brings them back.
        if ctx.disk().is_dirty() {
            ctx.disk().sync();
        }
        if self.unpushed.is_empty() {
            return;
        }
        let values = std::mem::take(&mut self.unpushed);
        let peers = ctx.neighbours().len();
        let fanout = (self.config.fanout as usize).min(peers);
        // A partial Fisher-Yates over neighbour positions: `fanout` distinct
        // peers without allocating the whole list.
        let mut chosen: Vec<usize> = Vec::with_capacity(fanout);
        while chosen.len() < fanout {
            let i = ctx.rng().index(peers);
            if !chosen.contains(&i) {
                chosen.push(i);
            }
        }
        for i in chosen {
            let peer = ctx.neighbours()[i];
            ctx.send(peer, Msg::Push { values: values.clone() });
        }
    }

    fn anti_entropy(&mut self, ctx: &mut Ctx<'_, Gossip>) {
        let peers = ctx.neighbours().len();
        if peers == 0 {
            return;
        }
        let i = ctx.rng().index(peers);
        let peer = ctx.neighbours()[i];
        ctx.send(peer, Msg::Digest { have: self.values.ranges().to_vec() });
    }

    /// The values of `want` to send: those held, or in the off-by-one bug,
    /// the ranges' arithmetic with the end included.
    fn supply(&self, want: &[(u64, u64)]) -> Vec<u64> {
        let mut out = Vec::new();
        for &(start, end) in want {
            if self.config.bug == Some(Bug::RangeOffByOne) {
                out.extend(start..=end);
            } else {
                out.extend((start..end).filter(|v| self.values.contains(*v)));
            }
            if out.len() >= MAX_REPAIR {
                out.truncate(MAX_REPAIR);
                break;
            }
        }
        out
    }
}

impl Server<Gossip> for GossipNode {
    fn on_start(&mut self, ctx: &mut Ctx<'_, Gossip>) {
        let stored: Vec<u64> = ctx.disk().durable().map(|(v, _)| *v).collect();
        for v in &stored {
            self.values.insert(*v);
        }
        ctx.observe(Obs::Recovered { values: stored });
        ctx.set_timer(Timer::Push, self.config.push_interval);
        if self.config.bug != Some(Bug::NoAntiEntropy) {
            // Spread the first round so that servers do not run in lockstep.
            let first = ctx.rng().between(1, self.config.anti_entropy.nanos());
            ctx.set_timer(Timer::AntiEntropy, sim::Span(first));
        }
    }

    fn on_message(&mut self, ctx: &mut Ctx<'_, Gossip>, from: ProcessId, msg: Msg) {
        match msg {
            Msg::Broadcast { op, value } => {
                self.learn(ctx, value, Via::Client);
                ctx.observe(Obs::Acknowledged { value });
                if self.config.bug == Some(Bug::AckBeforeSync) {
                    ctx.send(from, Msg::BroadcastOk { op });
                    return; // synced at the next push, if the node lives that long
                }
                if ctx.disk().is_dirty() {
                    ctx.disk().sync();
                }
                ctx.send(from, Msg::BroadcastOk { op });
            }
            Msg::Push { values } => {
                for v in values {
                    self.learn(ctx, v, Via::Push);
                }
            }
            Msg::Digest { have } => {
                let values = self.values.values_not_in(&have, MAX_REPAIR);
                let want = self.values.missing_from(&have);
                if !values.is_empty() || !want.is_empty() {
                    ctx.send(from, Msg::Repair { values, want });
                }
            }
            Msg::Repair { values, want } => {
                for v in values {
                    self.learn(ctx, v, Via::Repair);
                }
                if !want.is_empty() {
                    let values = self.supply(&want);
                    if !values.is_empty() {
                        ctx.send(from, Msg::Repair { values, want: Vec::new() });
                    }
                }
            }
            Msg::BroadcastOk { .. } => {
                panic!("{} got a client's acknowledgement from {from}", self.me)
            }
        }
    }

    fn on_timer(&mut self, ctx: &mut Ctx<'_, Gossip>, timer: Timer) {
        match timer {
            Timer::Push => {
                self.push(ctx);
                ctx.set_timer(Timer::Push, self.config.push_interval);
            }
            Timer::AntiEntropy => {
                self.anti_entropy(ctx);
                ctx.set_timer(Timer::AntiEntropy, self.config.anti_entropy);
            }
            Timer::Retry(_) => {}
        }
    }
}
