//! The desk follower: each workspace's tickets and conversations, kept current along the log
//! (see [`crate::follow`]).

use chrono::{DateTime, Utc};
use rekindle_core::PersonId;
use rekindle_core::events;
use rekindle_core::service::Desk;
use serde_json::Value;

use crate::follow::{Fold, Follower};

impl Fold for Desk {
    const NAMES: &'static [&'static str] = &[
        events::TICKET_OPENED,
        events::TICKET_UPDATED,
        events::TICKET_RESOLVED,
        events::MESSAGE_RECEIVED,
        events::MESSAGE_REPLIED,
    ];

    fn apply(&mut self, person: PersonId, at: DateTime<Utc>, name: &str, properties: &Value, library: Option<&str>) {
        Desk::apply(self, person, at, name, properties, library);
    }

    fn merge(&mut self, from: PersonId, into: PersonId) {
        Desk::merge(self, from, into);
    }
}

/// Each workspace's service desk.
pub type ServiceDesk = Follower<Desk>;
