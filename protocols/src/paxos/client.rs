//! Multi-Paxos's clients are the shared key-value client
//! ([`crate::kv::KvClient`]), the same as Raft's.

use super::types::{Msg, Timer};
use super::MultiPaxos;
use crate::kv::{KvOp, KvService, Reply};

pub use crate::kv::KvClient as PaxosClient;

impl KvService for MultiPaxos {
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
