//! The engine: what Rekindle computes from the event log — profiles folded per person and
//! kept up to date as events arrive, their lifecycle stage, value tier, RFM scores and tags,
//! the people a segment rule selects, and segment membership recorded as it changes.

pub mod addressed;
pub mod audience;
pub mod background;
mod browse;
pub mod engine;
pub mod folded;
pub mod follow;
pub mod groups;
pub mod live;
pub mod loyalty;
pub mod measure;
pub mod personas;
mod phases;
pub mod reach;
pub mod referral;
pub mod scoring;
pub mod service;
pub mod subscription;
pub mod tracker;
pub mod transfers;
pub mod ugc;

pub use audience::{Audience, Context, Judging, Member};
pub use browse::{Browse, Page, SortBy};
pub use engine::{Borrowed, Clock, Engine, Refreshed};
