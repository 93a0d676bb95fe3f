//! The key-value service that Raft and Multi-Paxos both replicate: the
//! client operations (get, put, append, cas), the state machine with its
//! client sessions, and the client that drives it.
//!
//! A replicated log is only as good as the state machine it feeds. Both
//! protocols apply the same commands to the same [`KvStore`]: a map from
//! keys to lists of integers plus, per client, the last sequence number
//! applied and its outcome, so a command retried after a lost reply is
//! answered from its session instead of being applied twice. The
//! [`KvClient`] sends each operation to the server it believes leads,
//! follows redirects, and resends with the same sequence number after its
//! retry interval; a protocol plugs it in by saying how its messages carry
//! requests and replies ([`KvService`]).

mod client;
mod liveness;
mod op;
mod store;

pub use client::{KvClient, KvService, Reply};
pub use liveness::Liveness;
pub use op::{completion, parse, Command, KvOp, KvOutcome};
pub use store::{Applied, KvStore};
