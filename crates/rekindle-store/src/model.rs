//! What the store hands back. Plain data, no driver types.

use chrono::{DateTime, Utc};
use rekindle_core::identity::ConflictKind;
use rekindle_core::{Identifier, IdentifierKind, MessageKind, PersonId, WorkspaceId};
use serde::Serialize;
use serde_json::{Map, Value};

/// The slug of the workspace every deployment starts with.
pub const DEFAULT_WORKSPACE: &str = "default";

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Workspace {
    pub id: WorkspaceId,
    pub slug: String,
    pub name: String,
    /// IANA zone for calendars, quiet hours and reports.
    pub time_zone: String,
    pub created_at: DateTime<Utc>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct WriteKey {
    pub id: i64,
    pub workspace: WorkspaceId,
    pub name: String,
    /// The first characters of the key, to tell keys apart; the key itself is never stored.
    pub prefix: String,
    pub created_at: DateTime<Utc>,
    pub revoked_at: Option<DateTime<Utc>>,
}

/// A person with every identifier they hold.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Person {
    pub id: PersonId,
    pub workspace: WorkspaceId,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub traits: Map<String, Value>,
    pub identities: Vec<Identity>,
}

impl Person {
    /// The name the person goes by, when they gave one (the `nickname` trait).
    pub fn nickname(&self) -> Option<String> {
        self.traits.get("nickname").and_then(Value::as_str).map(str::to_owned)
    }

    /// Their phone, if they gave one (E.164, as stored).
    pub fn phone(&self) -> Option<String> {
        self.identities.iter().find(|i| i.identifier.kind == IdentifierKind::Phone).map(|i| i.identifier.value.clone())
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Identity {
    #[serde(flatten)]
    pub identifier: Identifier,
    pub linked_at: DateTime<Utc>,
    /// The message that first brought this identifier.
    pub message_id: String,
}

/// How a caller names a person: by id, or by any identifier they hold.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PersonRef {
    Id(PersonId),
    Identifier(Identifier),
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct StoredEvent {
    /// Insertion order within the store; a cursor for paging.
    pub id: i64,
    pub person: PersonId,
    pub message_id: String,
    pub kind: MessageKind,
    pub name: Option<String>,
    pub timestamp: DateTime<Utc>,
    pub received_at: DateTime<Utc>,
    /// The message as sent (without the write key).
    pub payload: Value,
}

/// What one append added to a workspace's log, for the followers' shared tail (`tail.rs`):
/// every event of the workspace with `after < id <= last`, `last` the id of the last one, as
/// [`crate::EventLog::events_between`] would read them back.
#[derive(Debug, Clone, PartialEq)]
pub struct Appended {
    pub after: i64,
    pub events: Vec<StoredEvent>,
}

/// Which events to read, newest first.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct EventQuery {
    pub person: Option<PersonId>,
    pub name: Option<String>,
    pub kind: Option<MessageKind>,
    /// Inclusive lower bound on the event time.
    pub from: Option<DateTime<Utc>>,
    /// Exclusive upper bound on the event time.
    pub to: Option<DateTime<Utc>>,
    /// Only events after this one in newest-first order: the previous page's last event.
    pub before: Option<EventCursor>,
    pub limit: u32,
}

/// A position in the newest-first order of events: time, then insertion order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EventCursor {
    pub timestamp: DateTime<Utc>,
    pub id: i64,
}

impl StoredEvent {
    pub fn cursor(&self) -> EventCursor {
        EventCursor { timestamp: self.timestamp, id: self.id }
    }

    /// The event's `properties` object as sent (`Null` when it has none).
    pub fn properties(&self) -> &Value {
        self.payload.get("properties").unwrap_or(&Value::Null)
    }

    pub fn property(&self, key: &str) -> Option<&Value> {
        self.properties().get(key)
    }

    /// An amount among its properties, in fen: as parsed at ingestion, or as an event stored
    /// before that held it (see `rekindle_core::money::Amounts`).
    pub fn amount_fen(&self, key: &str) -> i64 {
        rekindle_core::money::Amounts::of(&self.payload).get(key, self.property(key)).get()
    }
}

/// Two people became one.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct MergeRecord {
    pub id: i64,
    pub into: PersonId,
    pub from: PersonId,
    /// The identifier that matched `from`.
    pub via: Identifier,
    pub message_id: String,
    /// Who sent the message: `write_key:<name>` or `import:<file>`.
    pub source: String,
    pub at: DateTime<Utc>,
}

/// A merge or link refused by the identity limits, for an operator to review.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ConflictRecord {
    pub id: i64,
    pub kind: ConflictKind,
    pub person: PersonId,
    pub other: Option<PersonId>,
    pub identifier: Identifier,
    pub limited_kind: IdentifierKind,
    pub limit: u64,
    pub message_id: String,
    pub source: String,
    pub at: DateTime<Utc>,
}

/// What one [`crate::EventLog::append`] did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct AppendReport {
    pub stored: u64,
    pub duplicates: u64,
    pub people_created: u64,
    pub merges: u64,
    pub conflicts: u64,
}

impl AppendReport {
    pub fn add(&mut self, other: AppendReport) {
        self.stored += other.stored;
        self.duplicates += other.duplicates;
        self.people_created += other.people_created;
        self.merges += other.merges;
        self.conflicts += other.conflicts;
    }

    /// Count what a plan is about to write.
    pub fn of_plan(plan: &rekindle_core::identity::BatchPlan) -> Self {
        use rekindle_core::identity::Change;
        let mut r = AppendReport {
            stored: plan.events.len() as u64,
            duplicates: plan.duplicates.len() as u64,
            ..Default::default()
        };
        for (_, change) in &plan.changes {
            match change {
                Change::Created { .. } => r.people_created += 1,
                Change::Merged { .. } => r.merges += 1,
                Change::Conflict(_) => r.conflicts += 1,
                Change::Linked { .. } => {}
            }
        }
        r
    }
}

/// Counts for `/metrics` and the CLI.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Totals {
    pub people: u64,
    pub events: u64,
    pub identities: u64,
}

/// Where an appended batch came from, recorded on merges and conflicts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Source(pub String);

impl Source {
    pub fn write_key(name: &str) -> Self {
        Self(format!("write_key:{name}"))
    }
    pub fn import(file: &str) -> Self {
        Self(format!("import:{file}"))
    }
}
