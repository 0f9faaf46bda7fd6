//! The engine: what Rekindle computes from the event log — profiles folded per person, their
//! lifecycle stage and value tier, and the people a segment rule selects.

pub mod audience;
pub mod cache;

pub use audience::{Audience, Member};
pub use cache::AudienceCache;
