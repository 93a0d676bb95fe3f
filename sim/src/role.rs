//! Roles: the kinds of node a protocol has (`server`; or `coordinator` and
//! `participant`; or `proposer`, `acceptor` and `learner`).
//!
//! A protocol declares its roles as an enum with [`roles!`](crate::roles);
//! a scenario says how many nodes of each role it runs
//! (`[nodes] coordinator = 1, participant = 4`), and servers are numbered
//! role after role in the protocol's order. Faults, the nemesis and
//! partition shapes can name a role, and quorums are counted within one.

use crate::named::NamedSet;

/// One role as `dsim list` shows it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RoleSpec {
    pub name: &'static str,
    pub description: &'static str,
}

impl crate::named::Spec for RoleSpec {
    fn name(&self) -> &'static str {
        self.name
    }
}

/// A protocol's roles: an enum made by [`roles!`](crate::roles).
pub trait RoleSet: NamedSet<Spec = RoleSpec> {}

/// Declares a protocol's roles:
///
/// ```
/// sim::roles! {
///     pub enum Role {
///         Coordinator = ("coordinator", "runs each transaction's two phases"),
///         Participant = ("participant", "holds a shard and votes"),
///     }
/// }
/// use sim::role::RoleSet;
/// use sim::named::NamedSet;
/// assert_eq!(Role::Participant.name(), "participant");
/// assert_eq!(Role::from_name("coordinator"), Some(Role::Coordinator));
/// ```
#[macro_export]
macro_rules! roles {
    ($(#[$meta:meta])* $vis:vis enum $name:ident {
        $($(#[$vmeta:meta])* $variant:ident = ($role:literal, $description:literal)),+ $(,)?
    }) => {
        $crate::named_set! {
            $(#[$meta])* $vis enum $name: $crate::role::RoleSpec {
                $($(#[$vmeta])* $variant = $crate::role::RoleSpec { name: $role, description: $description }),+
            }
        }
        impl $crate::role::RoleSet for $name {}
    };
}

crate::roles! {
    /// The role of a protocol whose nodes are all alike.
    pub enum Uniform {
        Server = ("server", "every node runs the same state machine"),
    }
}
