//! A key-value client: sends each operation to the leader it believes in,
//! follows redirects, and after `retry` without an answer tries another
//! server with the same sequence number, which the leader's session table
//! recognises.

use super::op::{completion, parse, KvOp, KvOutcome};
use sim::{Client, Ctx, Op, ProcessId, Protocol, Span};

/// Redirects followed at once per attempt; beyond, wait for the retry.
const MAX_HOPS: u32 = 3;

/// What a server's message means to a client.
pub enum Reply {
    Response {
        seq: u64,
        outcome: KvOutcome,
    },
    /// Not the leader; here is who might be.
    Redirect {
        seq: u64,
        leader: Option<u32>,
    },
    /// Not for clients.
    Other,
}

/// A protocol whose servers serve the key-value store: how its messages
/// carry a client's requests and the servers' replies, and its timer for a
/// client's resend.
pub trait KvService: Protocol {
    fn request(seq: u64, op: KvOp) -> Self::Message;
    fn reply(msg: Self::Message) -> Reply;
    fn retry_timer(seq: u64) -> Self::Timer;
}

#[derive(Clone)]
pub struct KvClient {
    retry: Span,
    servers: u32,
    seq: u64,
    current: Option<KvOp>,
    leader: Option<u32>,
    hops: u32,
}

impl KvClient {
    /// A client of `servers` servers (`n0` ..), all of which may lead.
    pub fn new(retry: Span, servers: u32) -> KvClient {
        KvClient { retry, servers, seq: 0, current: None, leader: None, hops: 0 }
    }

    fn send<P: KvService>(&mut self, ctx: &mut Ctx<'_, P>) {
        let Some(op) = self.current else { return };
        let to = match self.leader {
            Some(l) => l,
            None => ctx.rng().below(self.servers as u64) as u32,
        };
        ctx.send(ProcessId::server(to), P::request(self.seq, op));
        ctx.set_timer(P::retry_timer(self.seq), self.retry);
    }
}

impl<P: KvService> Client<P> for KvClient {
    fn on_invoke(&mut self, ctx: &mut Ctx<'_, P>, op: &Op) {
        self.seq += 1;
        self.current = Some(parse(op));
        self.hops = 0;
        self.send(ctx);
    }

    fn on_message(&mut self, ctx: &mut Ctx<'_, P>, from: ProcessId, msg: P::Message) {
        match P::reply(msg) {
            Reply::Response { seq, outcome } if seq == self.seq => {
                let Some(op) = self.current.take() else { return };
                ctx.cancel_timer(&P::retry_timer(seq));
                self.leader = Some(from.index());
                ctx.complete(completion(outcome, op));
            }
            Reply::Redirect { seq, leader } if seq == self.seq && self.current.is_some() => {
                self.leader = leader;
                if leader.is_some() && self.hops < MAX_HOPS {
                    self.hops += 1;
                    self.send(ctx);
                }
            }
            _ => {}
        }
    }

    fn on_timer(&mut self, ctx: &mut Ctx<'_, P>, timer: P::Timer) {
        if timer == P::retry_timer(self.seq) && self.current.is_some() {
            self.leader = None;
            self.hops = 0;
            self.send(ctx);
        }
    }

    fn on_timeout(&mut self, ctx: &mut Ctx<'_, P>) {
        ctx.cancel_timer(&P::retry_timer(self.seq));
        self.current = None;
    }
}
