//! Each workspace's add-contact tasks (bulk reach, docs/relationships.md), kept current along
//! the log (see [`crate::follow`]).

use chrono::{DateTime, Utc};
use rekindle_core::PersonId;
use rekindle_core::contacts::ReachTasks;
use serde_json::Value;

use crate::follow::{Fold, Follower};

impl Fold for ReachTasks {
    const NAMES: &'static [&'static str] = &ReachTasks::NAMES;

    fn apply(&mut self, person: PersonId, at: DateTime<Utc>, name: &str, properties: &Value, _library: Option<&str>) {
        ReachTasks::apply(self, person, at, name, properties);
    }

    fn merge(&mut self, from: PersonId, into: PersonId) {
        ReachTasks::merge(self, from, into);
    }
}

/// Each workspace's add-contact tasks.
pub type ReachBook = Follower<ReachTasks>;
