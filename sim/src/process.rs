//! Process identities: servers run the protocol, clients drive the workload.
//! Both sit on the same virtual network.

use serde::{Deserialize, Serialize};
use std::fmt;

const CLIENT_BIT: u32 = 1 << 31;

/// A server (`n3`) or a client (`c1`). Servers are numbered from 0 as in the
/// scenario file; clients have their own numbering.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ProcessId(u32);

impl ProcessId {
    pub const fn server(index: u32) -> ProcessId {
        ProcessId(index)
    }
    pub const fn client(index: u32) -> ProcessId {
        ProcessId(index | CLIENT_BIT)
    }
    pub const fn is_server(self) -> bool {
        self.0 & CLIENT_BIT == 0
    }
    pub const fn is_client(self) -> bool {
        !self.is_server()
    }
    /// The index among servers, or among clients.
    pub const fn index(self) -> u32 {
        self.0 & !CLIENT_BIT
    }
    /// Position in a dense table of `servers` servers followed by clients.
    #[inline]
    pub const fn dense(self, servers: u32) -> usize {
        if self.is_server() {
            self.0 as usize
        } else {
            (servers + self.index()) as usize
        }
    }
    pub const fn raw(self) -> u32 {
        self.0
    }

    /// Parses `3`, `"n3"` or `"c1"`.
    pub fn parse(text: &str) -> Option<ProcessId> {
        let (client, digits) = match text.as_bytes().first()? {
            b'n' => (false, &text[1..]),
            b'c' => (true, &text[1..]),
            _ => (false, text),
        };
        let index: u32 = digits.parse().ok().filter(|i| *i < CLIENT_BIT)?;
        Some(if client { ProcessId::client(index) } else { ProcessId::server(index) })
    }
}

impl fmt::Display for ProcessId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let prefix = if self.is_server() { 'n' } else { 'c' };
        write!(f, "{prefix}{}", self.index())
    }
}

impl fmt::Debug for ProcessId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

impl Serialize for ProcessId {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

/// A process as written in scenario and repro files: a bare number for a
/// server (`3`), or `"n3"` / `"c1"`.
impl<'de> Deserialize<'de> for ProcessId {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl serde::de::Visitor<'_> for V {
            type Value = ProcessId;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a node index such as 3, or a process name such as \"n3\" or \"c1\"")
            }
            fn visit_i64<E: serde::de::Error>(self, v: i64) -> Result<ProcessId, E> {
                u32::try_from(v)
                    .ok()
                    .filter(|i| *i < CLIENT_BIT)
                    .map(ProcessId::server)
                    .ok_or_else(|| E::custom(format!("node index {v} is negative or too large")))
            }
            fn visit_u64<E: serde::de::Error>(self, v: u64) -> Result<ProcessId, E> {
                self.visit_i64(i64::try_from(v).unwrap_or(-1))
            }
            fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<ProcessId, E> {
                ProcessId::parse(v).ok_or_else(|| {
                    E::custom(format!(
                        "`{v}` is not a process; expected a node index such as 3, or \"n3\" or \"c1\""
                    ))
                })
            }
        }
        d.deserialize_any(V)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        for p in [ProcessId::server(0), ProcessId::server(42), ProcessId::client(3)] {
            assert_eq!(ProcessId::parse(&p.to_string()), Some(p));
        }
        assert_eq!(ProcessId::parse("7"), Some(ProcessId::server(7)));
        assert_eq!(ProcessId::parse("x7"), None);
        assert_eq!(ProcessId::client(2).dense(5), 7);
    }
}
