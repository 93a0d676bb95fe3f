//! The built-in models: the registers, the key-value store (of integer
//! lists or of strings), and Knossos's mutex, set and queues.

mod kv;
mod kv_text;
mod mutex;
mod queue;
mod register;
mod set;

pub use kv::{Kv, KvList, KvOp};
pub use kv_text::{holds_strings, KvText};
pub use mutex::{Mutex, MutexOp};
pub use queue::{FifoQueue, QueueOp, UnorderedQueue};
pub use register::{CasRegister, Register, RegisterOp};
pub use set::{Set, SetOp};

/// The built-in models, for `--model` and `dsim list`.
pub const MODELS: &[(&str, &str)] = &[
    ("register", "read and write(v) of one integer register"),
    ("cas-register", "read, write(v) and cas([old new]) of one register"),
    (
        "kv",
        "get, put(v), append(v) and cas per key, of integer lists or of strings (append concatenates); keys are checked independently",
    ),
    ("mutex", "acquire and release of one lock"),
    ("set", "add(v), and read returning the whole set"),
    ("unordered-queue", "enqueue(v), and dequeue returning any enqueued value"),
    ("fifo-queue", "enqueue(v), and dequeue returning the oldest value (nil when empty)"),
];
