//! The storage trait. The engine and the server speak domain types to a [`Store`]; each backend
//! (`rekindle-store-sqlite`, `rekindle-store-postgres`) owns its SQL and migrations and passes
//! the same [`conformance`] suite.

mod accounts;
pub mod background;
mod capability;
pub mod durability;
mod erasure;
mod error;
mod inbox;
mod journeys;
pub mod lookup;
mod model;
mod segments;
mod store;
pub mod tail;
pub mod urgency;

#[cfg(feature = "conformance")]
pub mod conformance;

pub use accounts::*;
pub use capability::*;
pub use erasure::*;
pub use error::StoreError;
pub use inbox::{Inbox, InboxBatch, InboxSeq};
pub use journeys::*;
pub use model::*;
pub use segments::*;
pub use store::Store;

/// Every capability trait, for calling them on a `dyn Store`.
pub mod prelude {
    pub use crate::Erasure;
    pub use crate::Store;
    pub use crate::capability::*;
}

pub type Result<T, E = StoreError> = std::result::Result<T, E>;
