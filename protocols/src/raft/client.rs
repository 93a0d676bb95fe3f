//! Raft's clients are the shared key-value client ([`crate::kv::KvClient`]):
//! requests go to the leader they believe in, redirects are followed, and a
//! retry keeps its sequence number so the leader's sessions recognise it.

use super::types::{Msg, Timer};
use super::Raft;
use crate::kv::{KvOp, KvService, Reply};

pub use crate::kv::KvClient as RaftClient;

impl KvService for Raft {
    fn request(seq: u64, op: KvOp) -> Msg {
        Msg::Request { seq, op }
    }

    fn reply(msg: Msg) -> Reply {
        match msg {
            Msg::Response { seq, outcome } => Reply::Response { seq, outcome },
            Msg::Redirect { seq, leader } => Reply::Redirect { seq, leader },
            _ => Reply::Other,
        }
    }

    fn retry_timer(seq: u64) -> Timer {
        Timer::Retry(seq)
    }
}
