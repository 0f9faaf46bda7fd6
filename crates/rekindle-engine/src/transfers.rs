//! Each workspace's customer transfers (docs/relationships.md), kept current along the log
//! (see [`crate::follow`]).

use chrono::{DateTime, Utc};
use rekindle_core::PersonId;
use rekindle_core::contacts::Transfers;
use serde_json::Value;

use crate::follow::{Fold, Follower};

impl Fold for Transfers {
    const NAMES: &'static [&'static str] = &Transfers::NAMES;

    fn apply(&mut self, person: PersonId, at: DateTime<Utc>, name: &str, properties: &Value, _library: Option<&str>) {
        Transfers::apply(self, person, at, name, properties);
    }

    fn merge(&mut self, from: PersonId, into: PersonId) {
        Transfers::merge(self, from, into);
    }
}

/// Each workspace's transfers.
pub type TransferBook = Follower<Transfers>;
