//! A server of either role: the protocol's parameters and the state of its
//! role, dispatching each event to the coordinator or participant code.

use super::coordinator::Coordinator;
use super::participant::Participant;
use super::types::{Msg, Timer};
use super::TwoPc;
use sim::{Ctx, ProcessId, Server};

#[derive(Clone)]
pub enum RoleState {
    Coordinator(Coordinator),
    Participant(Participant),
}

#[derive(Clone)]
pub struct TwoPcNode {
    config: TwoPc,
    state: RoleState,
}

impl TwoPcNode {
    pub fn new(config: TwoPc, state: RoleState) -> TwoPcNode {
        TwoPcNode { config, state }
    }

    pub fn participant(&self) -> Option<&Participant> {
        match &self.state {
            RoleState::Participant(p) => Some(p),
            RoleState::Coordinator(_) => None,
        }
    }

    pub fn coordinator(&self) -> Option<&Coordinator> {
        match &self.state {
            RoleState::Coordinator(c) => Some(c),
            RoleState::Participant(_) => None,
        }
    }
}

impl Server<TwoPc> for TwoPcNode {
    fn on_start(&mut self, ctx: &mut Ctx<'_, TwoPc>) {
        match &mut self.state {
            RoleState::Coordinator(c) => c.on_start(ctx, &self.config),
            RoleState::Participant(p) => p.on_start(ctx),
        }
    }

    fn on_message(&mut self, ctx: &mut Ctx<'_, TwoPc>, from: ProcessId, msg: Msg) {
        match &mut self.state {
            RoleState::Coordinator(c) => c.on_message(ctx, from, msg, &self.config),
            RoleState::Participant(p) => p.on_message(ctx, from, msg, &self.config),
        }
    }

    fn on_timer(&mut self, ctx: &mut Ctx<'_, TwoPc>, timer: Timer) {
        match &mut self.state {
            RoleState::Coordinator(c) => c.on_timer(ctx, timer, &self.config),
            RoleState::Participant(p) => p.on_timer(ctx, timer, &self.config),
        }
    }
}
