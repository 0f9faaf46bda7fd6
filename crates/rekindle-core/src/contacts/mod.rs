//! WeCom relationships (docs/relationships.md): which staff members a customer is a friend of,
//! since when, through which channel code, and who ended each friendship.
//!
//! A customer is usually the friend of several staff members (a 导购, a 团长, a host); each
//! friendship is a channel of its own. [`Relationships`] folds `Contact Added` and
//! `Contact Removed` per staff member in any arrival order; [`SenderRule`] picks which
//! friendship a WeCom message goes through.

pub mod code;
mod figures;
pub mod reach;
pub mod reconcile;
mod relationship;
pub mod scripts;
mod sender;
pub mod tag_sync;
pub mod transfer;

pub use code::{ChannelCode, CodeInput, CodeKind, Pick};
pub use figures::{ContactFigures, RECENT_DAYS, SourceValue, StaffReach};
pub use reach::{BatchProgress, ReachTasks, StaffProgress};
pub use relationship::{Link, Relationships, RemovedBy};
pub use sender::SenderRule;
pub use transfer::{Transfer, TransferKind, TransferStatus, Transfers};
