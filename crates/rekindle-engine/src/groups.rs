//! Each workspace's customer groups (docs/groups.md), kept current along the log (see
//! [`crate::follow`]).

use chrono::{DateTime, Utc};
use rekindle_core::PersonId;
use rekindle_core::groups::Groups;
use serde_json::Value;

use crate::follow::{Fold, Follower};

impl Fold for Groups {
    const NAMES: &'static [&'static str] = &Groups::NAMES;

    fn apply(&mut self, person: PersonId, at: DateTime<Utc>, name: &str, properties: &Value, _library: Option<&str>) {
        Groups::apply(self, person, at, name, properties);
    }

    fn merge(&mut self, from: PersonId, into: PersonId) {
        Groups::merge(self, from, into);
    }
}

/// Each workspace's groups.
pub type GroupBook = Follower<Groups>;
