//! The WeCom relationship layer's work against WeCom (docs/relationships.md): channel codes
//! made and turned, the friendships list reconciled with the log, customers handed from one
//! staff member to another. What it learns becomes events through the ingestor, addressed by
//! the customer's WeCom id as WeCom's callbacks are.

pub mod codes;
mod event;
pub mod reconcile;
pub mod tags;
pub mod transfers;

pub use event::{contact_event, person_of};

/// Why a round of WeCom work stopped; it is tried again on the next one.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("WeCom: {0}")]
    Wecom(#[from] rekindle_delivery::SendError),
    #[error(transparent)]
    Store(#[from] rekindle_store::StoreError),
    #[error("recording what WeCom said: {0}")]
    Ingest(#[from] rekindle_ingest::IngestError),
}
