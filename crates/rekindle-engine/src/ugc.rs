//! Each workspace's shared content (docs/ugc.md), kept current along the log (see
//! [`crate::follow`]).

use chrono::{DateTime, Utc};
use rekindle_core::PersonId;
use rekindle_core::ugc::Library;
use serde_json::Value;

use crate::follow::{Fold, Follower};

impl Fold for Library {
    const NAMES: &'static [&'static str] = &Library::NAMES;

    fn apply(&mut self, person: PersonId, at: DateTime<Utc>, name: &str, properties: &Value, _library: Option<&str>) {
        Library::apply(self, person, at, name, properties);
    }

    fn merge(&mut self, from: PersonId, into: PersonId) {
        Library::merge(self, from, into);
    }
}

/// Each workspace's UGC.
pub type UgcLibrary = Follower<Library>;
