//! A broadcast client: sends its value to a random server, and to another
//! one each time `retry` passes without an acknowledgement.

use super::{Bug, Gossip, Msg, Timer};
use sim::{Client, Completion, Ctx, Op, ProcessId, Span, Value};

#[derive(Clone)]
pub struct GossipClient {
    retry: Span,
    bug: Option<Bug>,
    next_op: u64,
    /// The operation in flight and its value.
    current: Option<(u64, u64)>,
}

impl GossipClient {
    pub fn new(retry: Span, bug: Option<Bug>) -> GossipClient {
        GossipClient { retry, bug, next_op: 0, current: None }
    }

    fn send(&mut self, ctx: &mut Ctx<'_, Gossip>) {
        if let Some((op, value)) = self.current {
            let servers = ctx.servers() as u64;
            let server = ProcessId::server(ctx.rng().below(servers) as u32);
            ctx.send(server, Msg::Broadcast { op, value });
            if self.bug == Some(Bug::NoRetry) {
                return; // the seeded bug: one try, then wait for the timeout
            }
            ctx.set_timer(Timer::Retry(op), self.retry);
        }
    }
}

impl Client<Gossip> for GossipClient {
    fn on_invoke(&mut self, ctx: &mut Ctx<'_, Gossip>, op: &Op) {
        let Value::Int(value) = op.value else {
            panic!("a broadcast carries an integer, not {}", op.value);
        };
        self.next_op += 1;
        self.current = Some((self.next_op, value as u64));
        self.send(ctx);
    }

    fn on_message(&mut self, ctx: &mut Ctx<'_, Gossip>, _from: ProcessId, msg: Msg) {
        if let Msg::BroadcastOk { op } = msg {
            if let Some((current, value)) = self.current {
                if current == op {
                    self.current = None;
                    ctx.cancel_timer(&Timer::Retry(op));
                    ctx.complete(Completion::Ok(Value::Int(value as i64)));
                }
            }
        }
    }

    fn on_timer(&mut self, ctx: &mut Ctx<'_, Gossip>, timer: Timer) {
        if let Timer::Retry(op) = timer {
            if self.current.is_some_and(|(current, _)| current == op) {
                self.send(ctx);
            }
        }
    }

    fn on_timeout(&mut self, ctx: &mut Ctx<'_, Gossip>) {
        if let Some((op, _)) = self.current.take() {
            ctx.cancel_timer(&Timer::Retry(op));
        }
    }
}
