//! A register server: the primary (`n0`) or a backup.

use super::{Bug, Key, Msg, Obs, RegOp, ReplicatedRegister, Reply, Stored, Timer};
use sim::{Ctx, ProcessId, Server};
use std::collections::BTreeMap;

#[derive(Clone)]
pub struct RegisterNode {
    me: ProcessId,
    config: ReplicatedRegister,
    version: u64,
    value: Option<i64>,
    /// Per client: the last sequence number applied and its reply.
    sessions: BTreeMap<ProcessId, (u64, Reply)>,
}

impl RegisterNode {
    pub fn new(me: ProcessId, config: ReplicatedRegister) -> RegisterNode {
        RegisterNode { me, config, version: 0, value: None, sessions: BTreeMap::new() }
    }

    fn is_primary(&self) -> bool {
        self.me.index() == 0
    }

    pub fn value(&self) -> Option<i64> {
        self.value
    }

    pub fn version(&self) -> u64 {
        self.version
    }

    fn replicate(&self, ctx: &mut Ctx<'_, ReplicatedRegister>) {
        let msg = Msg::Replicate { version: self.version, value: self.value };
        for backup in 1..ctx.servers() {
            ctx.send(ProcessId::server(backup), msg.clone());
        }
    }

    /// The primary applies an operation; returns the reply, or `None` for
    /// a request older than the client's last one (a delayed duplicate: the
    /// client has moved on, and running it again would undo later writes).
    fn apply(
        &mut self,
        ctx: &mut Ctx<'_, ReplicatedRegister>,
        client: ProcessId,
        seq: u64,
        op: RegOp,
    ) -> Option<Reply> {
        if self.config.bug != Some(Bug::NoDedup) {
            if let Some((done, reply)) = self.sessions.get(&client) {
                if seq == *done {
                    ctx.observe(Obs::Deduplicated);
                    return Some(*reply);
                }
                if seq < *done {
                    return None;
                }
            }
        }
        let reply = match op {
            RegOp::Read => Reply::Ok(self.value),
            RegOp::Write(v) => {
                self.value = Some(v);
                Reply::Ok(None)
            }
            RegOp::Cas(expected, new) if self.value == Some(expected) => {
                self.value = Some(new);
                Reply::Ok(None)
            }
            RegOp::Cas(..) => Reply::Fail,
        };
        if reply != Reply::Fail {
            self.version += 1;
        }
        self.sessions.insert(client, (seq, reply));
        let mut disk = ctx.disk();
        disk.put(Key::Value, Stored::Value { version: self.version, value: self.value });
        disk.put(Key::Session(client), Stored::Session { seq, reply });
        Some(reply)
    }
}

impl Server<ReplicatedRegister> for RegisterNode {
    fn on_start(&mut self, ctx: &mut Ctx<'_, ReplicatedRegister>) {
        let stored: Vec<(Key, Stored)> = ctx.disk().durable().map(|(k, v)| (k.clone(), v.clone())).collect();
        for (key, value) in stored {
            match (key, value) {
                (Key::Value, Stored::Value { version, value }) => {
                    self.version = version;
                    self.value = value;
                }
                (Key::Session(c), Stored::Session { seq, reply }) => {
                    self.sessions.insert(c, (seq, reply));
                }
                _ => {}
            }
        }
        if self.is_primary() {
            ctx.observe(Obs::Reloaded { version: self.version });
            if self.version > 0 {
                ctx.observe(Obs::Recovered);
            }
            ctx.set_timer(Timer::Heartbeat, self.config.heartbeat);
        }
    }

    fn on_message(&mut self, ctx: &mut Ctx<'_, ReplicatedRegister>, from: ProcessId, msg: Msg) {
        match msg {
            Msg::Request { seq, op } if self.is_primary() => {
                let Some(reply) = self.apply(ctx, from, seq, op) else { return };
                ctx.observe(Obs::Acknowledged { version: self.version });
                if self.config.bug == Some(Bug::AckBeforeSync) {
                    ctx.send(from, Msg::Response { seq, reply });
                    ctx.set_timer(Timer::Sync, sim::Span::from_millis(50));
                } else {
                    ctx.disk().sync();
                    ctx.send(from, Msg::Response { seq, reply });
                }
                if reply == Reply::Ok(None) {
                    self.replicate(ctx);
                }
            }
            Msg::Request { seq, op: RegOp::Read } if self.config.bug == Some(Bug::StaleRead) => {
                ctx.send(from, Msg::Response { seq, reply: Reply::Ok(self.value) });
            }
            Msg::Request { seq, .. } => ctx.send(from, Msg::Response { seq, reply: Reply::NotPrimary }),
            Msg::Replicate { version, value } => {
                if !self.is_primary() && version > self.version {
                    self.version = version;
                    self.value = value;
                }
            }
            Msg::Response { .. } => panic!("{} got a client's response from {from}", self.me),
        }
    }

    fn on_timer(&mut self, ctx: &mut Ctx<'_, ReplicatedRegister>, timer: Timer) {
        match timer {
            Timer::Heartbeat => {
                self.replicate(ctx);
                ctx.set_timer(Timer::Heartbeat, self.config.heartbeat);
            }
            Timer::Sync => ctx.disk().sync(),
            Timer::Retry(_) => {}
        }
    }
}
