//! A register client: one operation at a time, with a session sequence
//! number so that retries are recognised.

use super::{Bug, Msg, RegOp, ReplicatedRegister, Reply, Timer};
use sim::{Client, Completion, Ctx, Op, ProcessId, Span, Value};

#[derive(Clone)]
pub struct RegisterClient {
    retry: Span,
    bug: Option<Bug>,
    seq: u64,
    current: Option<RegOp>,
}

impl RegisterClient {
    pub fn new(retry: Span, bug: Option<Bug>) -> RegisterClient {
        RegisterClient { retry, bug, seq: 0, current: None }
    }

    fn send(&mut self, ctx: &mut Ctx<'_, ReplicatedRegister>, to: ProcessId) {
        if let Some(op) = self.current {
            ctx.send(to, Msg::Request { seq: self.seq, op });
            if self.bug == Some(Bug::NoRetry) {
                return; // the seeded bug: no resend, wait for the timeout
            }
            ctx.set_timer(Timer::Retry(self.seq), self.retry);
        }
    }
}

impl Client<ReplicatedRegister> for RegisterClient {
    fn on_invoke(&mut self, ctx: &mut Ctx<'_, ReplicatedRegister>, op: &Op) {
        let parsed = match (op.f.as_ref(), &op.value) {
            ("read", _) => RegOp::Read,
            ("write", Value::Int(v)) => RegOp::Write(*v),
            ("cas", Value::Pair(a, b)) => RegOp::Cas(*a, *b),
            _ => panic!("a register client cannot run {op}"),
        };
        self.seq += 1;
        self.current = Some(parsed);
        let servers = ctx.servers() as u64;
        let first = ProcessId::server(ctx.rng().below(servers) as u32);
        self.send(ctx, first);
    }

    fn on_message(&mut self, ctx: &mut Ctx<'_, ReplicatedRegister>, _from: ProcessId, msg: Msg) {
        let Msg::Response { seq, reply } = msg else { return };
        let Some(op) = self.current.filter(|_| seq == self.seq) else { return };
        match reply {
            Reply::NotPrimary => self.send(ctx, ProcessId::server(0)),
            Reply::Ok(value) => {
                self.current = None;
                ctx.cancel_timer(&Timer::Retry(seq));
                let result = match op {
                    RegOp::Read => value.map_or(Value::Nil, Value::Int),
                    RegOp::Write(v) => Value::Int(v),
                    RegOp::Cas(a, b) => Value::Pair(a, b),
                };
                ctx.complete(Completion::Ok(result));
            }
            Reply::Fail => {
                self.current = None;
                ctx.cancel_timer(&Timer::Retry(seq));
                ctx.complete(Completion::Fail);
            }
        }
    }

    fn on_timer(&mut self, ctx: &mut Ctx<'_, ReplicatedRegister>, timer: Timer) {
        if timer == Timer::Retry(self.seq) && self.current.is_some() {
            self.send(ctx, ProcessId::server(0));
        }
    }

    fn on_timeout(&mut self, ctx: &mut Ctx<'_, ReplicatedRegister>) {
        ctx.cancel_timer(&Timer::Retry(self.seq));
        self.current = None;
    }
}
