//! A Raft client: sends each operation to the leader it believes in,
//! follows redirects, and after `retry` without an answer tries another
//! server with the same sequence number, which the leader's session table
//! recognises.

use super::types::{KvOp, KvOutcome, Msg, Timer};
use super::Raft;
use sim::{Client, Completion, Ctx, Op, ProcessId, Span, Value};

/// Redirects followed at once per attempt; beyond, wait for the retry.
const MAX_HOPS: u32 = 3;

#[derive(Clone)]
pub struct RaftClient {
    retry: Span,
    servers: u32,
    seq: u64,
    current: Option<KvOp>,
    leader: Option<u32>,
    hops: u32,
}

impl RaftClient {
    pub fn new(retry: Span, servers: u32) -> RaftClient {
        RaftClient { retry, servers, seq: 0, current: None, leader: None, hops: 0 }
    }

    fn send(&mut self, ctx: &mut Ctx<'_, Raft>) {
        let Some(op) = self.current else { return };
        let to = match self.leader {
            Some(l) => l,
            None => ctx.rng().below(self.servers as u64) as u32,
        };
        ctx.send(ProcessId::server(to), Msg::Request { seq: self.seq, op });
        ctx.set_timer(Timer::Retry(self.seq), self.retry);
    }
}

fn parse(op: &Op) -> KvOp {
    let key = op.key.unwrap_or(0);
    match (op.f.as_ref(), &op.value) {
        ("get", _) => KvOp::Get { key },
        ("put", Value::Int(v)) => KvOp::Put { key, value: *v },
        ("append", Value::Int(v)) => KvOp::Append { key, value: *v },
        ("cas", Value::Pair(a, b)) => KvOp::Cas { key, expected: *a, new: *b },
        _ => panic!("a raft client cannot run {op}"),
    }
}

impl Client<Raft> for RaftClient {
    fn on_invoke(&mut self, ctx: &mut Ctx<'_, Raft>, op: &Op) {
        self.seq += 1;
        self.current = Some(parse(op));
        self.hops = 0;
        self.send(ctx);
    }

    fn on_message(&mut self, ctx: &mut Ctx<'_, Raft>, from: ProcessId, msg: Msg) {
        match msg {
            Msg::Response { seq, outcome } if seq == self.seq => {
                let Some(op) = self.current.take() else { return };
                ctx.cancel_timer(&Timer::Retry(seq));
                self.leader = Some(from.index());
                ctx.complete(match (outcome, op) {
                    (KvOutcome::Fail, _) => Completion::Fail,
                    (KvOutcome::Ok(list), KvOp::Get { .. }) => {
                        Completion::Ok(if list.is_empty() { Value::Nil } else { Value::List(list) })
                    }
                    (KvOutcome::Ok(_), KvOp::Put { value, .. } | KvOp::Append { value, .. }) => {
                        Completion::Ok(Value::Int(value))
                    }
                    (KvOutcome::Ok(_), KvOp::Cas { expected, new, .. }) => {
                        Completion::Ok(Value::Pair(expected, new))
                    }
                });
            }
            Msg::Redirect { seq, leader } if seq == self.seq && self.current.is_some() => {
                self.leader = leader;
                if leader.is_some() && self.hops < MAX_HOPS {
                    self.hops += 1;
                    self.send(ctx);
                }
            }
            _ => {}
        }
    }

    fn on_timer(&mut self, ctx: &mut Ctx<'_, Raft>, timer: Timer) {
        if timer == Timer::Retry(self.seq) && self.current.is_some() {
            self.leader = None;
            self.hops = 0;
            self.send(ctx);
        }
    }

    fn on_timeout(&mut self, ctx: &mut Ctx<'_, Raft>) {
        ctx.cancel_timer(&Timer::Retry(self.seq));
        self.current = None;
    }
}
