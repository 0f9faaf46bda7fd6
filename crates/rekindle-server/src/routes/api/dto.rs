//! The API's JSON shapes: the public contract, kept apart from the storage model.

use chrono::{DateTime, Utc};
use rekindle_store::{ConflictRecord, EventCursor, Identity, MergeRecord, Person, StoredEvent, Workspace, WriteKey};
use serde::Serialize;
use serde_json::{Map, Value};
use utoipa::ToSchema;

#[derive(Serialize, ToSchema)]
pub struct IdentityView {
    /// user_id, anonymous_id, previous_id, phone, wechat_openid, wechat_unionid, wecom_external_userid
    pub kind: String,
    pub value: String,
    pub linked_at: DateTime<Utc>,
    pub message_id: String,
}

impl From<Identity> for IdentityView {
    fn from(i: Identity) -> Self {
        Self {
            kind: i.identifier.kind.as_str().into(),
            value: i.identifier.value,
            linked_at: i.linked_at,
            message_id: i.message_id,
        }
    }
}

/// A person in a list: enough to recognise them.
#[derive(Serialize, ToSchema)]
pub struct PersonSummary {
    pub id: String,
    /// The nickname trait, if any.
    #[schema(required = true)]
    pub name: Option<String>,
    /// The person's phone, if they gave one (masked for roles without `pii.read`).
    #[schema(required = true)]
    pub phone: Option<String>,
    pub identities: Vec<IdentityView>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl From<Person> for PersonSummary {
    fn from(p: Person) -> Self {
        let phone = p.phone();
        Self {
            id: p.id.to_string(),
            name: p.nickname(),
            phone,
            identities: p.identities.into_iter().map(Into::into).collect(),
            created_at: p.created_at,
            updated_at: p.updated_at,
        }
    }
}

#[derive(Serialize, ToSchema)]
pub struct PersonView {
    pub id: String,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    #[schema(value_type = std::collections::BTreeMap<String, Value>)]
    pub traits: Map<String, Value>,
    pub identities: Vec<IdentityView>,
}

impl From<Person> for PersonView {
    fn from(p: Person) -> Self {
        Self {
            id: p.id.to_string(),
            created_at: p.created_at,
            updated_at: p.updated_at,
            traits: p.traits,
            identities: p.identities.into_iter().map(Into::into).collect(),
        }
    }
}

#[derive(Serialize, ToSchema)]
pub struct EventView {
    pub id: i64,
    pub person: String,
    pub message_id: String,
    /// identify, track, page, screen, group or alias
    #[serde(rename = "type")]
    pub kind: String,
    #[schema(required = true)]
    pub name: Option<String>,
    pub timestamp: DateTime<Utc>,
    pub received_at: DateTime<Utc>,
    /// The message as sent, without the write key.
    #[schema(value_type = std::collections::BTreeMap<String, Value>)]
    pub payload: Value,
}

impl From<StoredEvent> for EventView {
    fn from(e: StoredEvent) -> Self {
        Self {
            id: e.id,
            person: e.person.to_string(),
            message_id: e.message_id,
            kind: e.kind.as_str().into(),
            name: e.name,
            timestamp: e.timestamp,
            received_at: e.received_at,
            payload: e.payload,
        }
    }
}

#[derive(Serialize, ToSchema)]
pub struct EventPage {
    pub events: Vec<EventView>,
    /// Pass as `before` for the next (older) page; absent on the last page.
    #[schema(required = true)]
    pub next: Option<String>,
}

/// Cursors are opaque to clients: `<timestamp ms>.<id>`.
pub fn encode_cursor(c: EventCursor) -> String {
    format!("{}.{}", c.timestamp.timestamp_millis(), c.id)
}

pub fn decode_cursor(s: &str) -> Option<EventCursor> {
    let (ms, id) = s.split_once('.')?;
    Some(EventCursor { timestamp: DateTime::from_timestamp_millis(ms.parse().ok()?)?, id: id.parse().ok()? })
}

#[derive(Serialize, ToSchema)]
pub struct MergeView {
    pub id: i64,
    pub into: String,
    pub from: String,
    pub via_kind: String,
    pub via_value: String,
    pub message_id: String,
    pub source: String,
    pub at: DateTime<Utc>,
}

impl From<MergeRecord> for MergeView {
    fn from(m: MergeRecord) -> Self {
        Self {
            id: m.id,
            into: m.into.to_string(),
            from: m.from.to_string(),
            via_kind: m.via.kind.as_str().into(),
            via_value: m.via.value,
            message_id: m.message_id,
            source: m.source,
            at: m.at,
        }
    }
}

#[derive(Serialize, ToSchema)]
pub struct ConflictView {
    pub id: i64,
    /// merge_refused or link_refused
    pub kind: String,
    pub person: String,
    #[schema(required = true)]
    pub other: Option<String>,
    pub identifier_kind: String,
    pub identifier_value: String,
    /// The identifier kind whose per-person limit would have been passed.
    pub limited_kind: String,
    pub limit: u64,
    pub message_id: String,
    pub source: String,
    pub at: DateTime<Utc>,
}

impl From<ConflictRecord> for ConflictView {
    fn from(c: ConflictRecord) -> Self {
        Self {
            id: c.id,
            kind: c.kind.as_str().into(),
            person: c.person.to_string(),
            other: c.other.map(|o| o.to_string()),
            identifier_kind: c.identifier.kind.as_str().into(),
            identifier_value: c.identifier.value,
            limited_kind: c.limited_kind.as_str().into(),
            limit: c.limit,
            message_id: c.message_id,
            source: c.source,
            at: c.at,
        }
    }
}

#[derive(Serialize, ToSchema)]
pub struct WriteKeyView {
    pub id: i64,
    pub name: String,
    pub prefix: String,
    pub created_at: DateTime<Utc>,
    #[schema(required = true)]
    pub revoked_at: Option<DateTime<Utc>>,
}

impl From<WriteKey> for WriteKeyView {
    fn from(k: WriteKey) -> Self {
        Self { id: k.id, name: k.name, prefix: k.prefix, created_at: k.created_at, revoked_at: k.revoked_at }
    }
}

/// A new key. `key` is shown this once; only its hash is stored.
#[derive(Serialize, ToSchema)]
pub struct CreatedWriteKey {
    pub key: String,
    #[serde(flatten)]
    pub info: WriteKeyView,
}

#[derive(Serialize, ToSchema)]
pub struct WorkspaceView {
    pub slug: String,
    pub name: String,
    pub time_zone: String,
    pub created_at: DateTime<Utc>,
}

impl From<Workspace> for WorkspaceView {
    fn from(w: Workspace) -> Self {
        Self { slug: w.slug, name: w.name, time_zone: w.time_zone, created_at: w.created_at }
    }
}

#[derive(Serialize, ToSchema)]
pub struct ProductView {
    pub sku: String,
    pub name: String,
    pub category: String,
    /// Unit price in fen.
    pub price: i64,
    /// Standard packs per unit (a large pack lasts longer).
    pub pack_size: u32,
    pub tags: Vec<String>,
    /// Months on sale (1–12); empty means all year.
    pub months: Vec<u32>,
}

impl From<rekindle_core::objects::Product> for ProductView {
    fn from(p: rekindle_core::objects::Product) -> Self {
        Self {
            sku: p.sku,
            name: p.name,
            category: p.category,
            price: p.price,
            pack_size: p.pack_size,
            tags: p.tags,
            months: p.months,
        }
    }
}

#[derive(Serialize, ToSchema)]
pub struct LiveSessionView {
    pub id: String,
    pub title: String,
    pub topics: Vec<String>,
    pub host: String,
    pub scheduled_start: DateTime<Utc>,
    #[schema(required = true)]
    pub started_at: Option<DateTime<Utc>>,
    #[schema(required = true)]
    pub ended_at: Option<DateTime<Utc>>,
}

impl From<rekindle_core::objects::LiveSession> for LiveSessionView {
    fn from(s: rekindle_core::objects::LiveSession) -> Self {
        Self {
            id: s.id,
            title: s.title,
            topics: s.topics,
            host: s.host,
            scheduled_start: s.scheduled_start,
            started_at: s.started_at,
            ended_at: s.ended_at,
        }
    }
}
