//! Rekindle's domain core.
//!
//! Everything here is pure: no IO, no clocks, no randomness. Values are parsed at the boundary
//! into the types of this crate ("parse, don't validate"); the layers inside never re-validate.
//!
//! - [`identifier`]: the kinds of identifiers OneID links, with phone normalisation in [`phone`].
//! - [`message`]: a Segment Tracking API message, parsed and checked.
//! - [`sensors`]: Sensors Data (神策) records, translated into messages.
//! - [`identity`]: the OneID planner that turns messages into person creations, links and merges.
//! - [`ids`]: workspace and person ids.
//! - [`money`]: amounts in fen, parsed exactly from the yuan events carry.

pub mod access;
pub mod calendar;
pub mod contacts;
pub mod csv_cell;
pub mod error;
pub mod events;
pub mod groups;
pub mod held;
pub mod identifier;
pub mod identity;
pub mod ids;
pub mod journey;
pub mod lifecycle;
pub mod live;
pub mod loyalty;
pub mod masking;
pub mod message;
pub mod money;
pub mod objects;
pub mod outreach;
pub mod phone;
pub mod profile;
pub mod programme;
pub mod referral;
pub mod rfm;
pub mod scores;
pub mod secret;
pub mod sensors;
pub mod service;
pub mod subscription;
pub mod targets;
pub mod time;
pub mod ugc;

pub use error::{FieldError, FieldErrorKind};
pub use identifier::{Identifier, IdentifierKind};
pub use ids::{JourneyId, PersonId, SegmentId, UserId, WorkspaceId};
pub use message::{Message, MessageKind};
pub use money::Fen;
