//! OneID: which identifiers belong to one person.
//!
//! The planner is pure. A storage backend loads the people that a batch of messages touches
//! into an [`IdentityGraph`], lets [`plan_batch`] decide, and writes the resulting
//! [`Change`]s inside one transaction. The rules live here once, for every backend.
//!
//! # Rules
//! 1. A message's identifiers are looked up (an `alias.previousId` matches a userId or an
//!    anonymousId of the same value, and they match it).
//! 2. None known: a new person is created holding them all.
//! 3. Several people matched: they merge into the oldest, one at a time, unless the merged person
//!    would hold more identifiers of one kind than the [`IdentityPolicy`] allows (by default one
//!    userId and one unionid: two different unionids are two WeChat users and never merge).
//!    A refused merge is recorded as a [`Conflict`] for review and both people stay apart.
//! 4. Identifiers not yet known are linked to the person of the message's highest-precedence
//!    identifier ([`crate::IdentifierKind`] order), again within the limits; one refused is
//!    recorded as a conflict and left unlinked.
//!    But when the strongest identifier is itself new and that person cannot take it, it names
//!    someone else: the refusal is recorded and a new person holds the message's new identifiers.
//! 5. The event belongs to the person of the highest-precedence identifier, and traits naming an
//!    identifier that person does not hold are not copied onto them.
//!
//! When the final groups of identifiers respect the limits, every arrival order of the same
//! messages gives the same partition (merges only union groups, and a group within the limits
//! has every part within them). When they do not, the outcome depends on order and each refusal
//! is visible as a conflict.

mod batch;
mod graph;
mod policy;

pub use batch::{BatchPlan, KnownPerson, PlannedEvent, lookup_keys, people_needing_detail, plan_batch};
pub use graph::{Change, Conflict, ConflictKind, IdentityGraph, Resolution};
pub use policy::IdentityPolicy;

#[cfg(test)]
mod tests;
