//! A Segment Tracking API message, parsed and checked.
//!
//! Parsing is lenient where real clients are sloppy (`"anonymousId": null`, numeric ids, extra
//! top-level keys are kept) and strict where a mistake would corrupt data (no identity at all, a
//! timestamp without an offset, a phone that is not a phone, an amount that is not money).
//!
//! The amounts of e-commerce events (`Order Completed`'s `revenue` and `products[].price`…) are
//! yuan, as Segment's spec sends them; they are parsed into fen here ([`amounts`]) and kept under
//! the reserved key [`ANNOTATION`] of the stored payload, beside what the sender wrote.

use std::fmt;
use std::str::FromStr;

use chrono::{DateTime, Utc};
use serde_json::value::RawValue;
use serde_json::{Map, Value};
use sha2::{Digest, Sha256};

use crate::money::ANNOTATION;
use crate::{FieldError, Identifier, IdentifierKind};

mod amounts;
mod fields;
pub mod update;

pub(crate) use fields::reject_nul;
pub use update::TraitsUpdate;

use fields::{
    Timestamps, context_traits, event_name, id_field, merge_context, object_at, own_traits, push_id, scalar_string,
};

/// Segment's limit on one message, in bytes of JSON.
pub const MAX_MESSAGE_BYTES: usize = 32 * 1024;
/// Segment's limit on one batch request body, in bytes of JSON (after gzip is undone).
pub const MAX_BATCH_BYTES: usize = 500 * 1024;
/// Most messages one batch may hold.
pub const MAX_BATCH_MESSAGES: usize = 2500;
/// Longest event name, message id or group id.
pub const MAX_NAME_LEN: usize = 255;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum MessageKind {
    Identify,
    Track,
    Page,
    Screen,
    Group,
    Alias,
}

impl MessageKind {
    pub const ALL: [MessageKind; 6] = [Self::Identify, Self::Track, Self::Page, Self::Screen, Self::Group, Self::Alias];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Identify => "identify",
            Self::Track => "track",
            Self::Page => "page",
            Self::Screen => "screen",
            Self::Group => "group",
            Self::Alias => "alias",
        }
    }
}

impl fmt::Display for MessageKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for MessageKind {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::ALL
            .into_iter()
            .find(|k| k.as_str() == s)
            .ok_or_else(|| format!("unknown type {s:?}; expected identify, track, page, screen, group or alias"))
    }
}

/// A message that passed every check. Its `payload` is what the sender wrote, kept whole
/// (unknown keys included) except for the write key, with `type` and `messageId` filled in.
#[derive(Debug, Clone)]
pub struct Message {
    pub kind: MessageKind,
    pub message_id: String,
    pub user_id: Option<String>,
    pub anonymous_id: Option<String>,
    /// Every identifier the message carries, without repeats, in precedence order.
    pub identifiers: Vec<Identifier>,
    /// `event` for track, `name` for page and screen.
    pub name: Option<String>,
    pub timestamp: DateTime<Utc>,
    pub received_at: DateTime<Utc>,
    pub sent_at: Option<DateTime<Utc>>,
    /// Identify traits (and `context.traits`), to be written over the person's.
    pub traits: Map<String, Value>,
    /// An identify's traits that change the person's another way than [`TraitsUpdate::Set`]
    /// (its `traitsUpdate` key), applied after `traits`.
    pub update: Option<(TraitsUpdate, Map<String, Value>)>,
    /// The JSON text to store. The sender's own bytes when nothing had to change, so the hot
    /// path does not serialise every message again.
    pub payload: Box<RawValue>,
}

impl Message {
    /// The payload as a JSON value (for tests and tools; the store keeps the text).
    pub fn payload_value(&self) -> Value {
        serde_json::from_str(self.payload.get()).unwrap_or(Value::Null)
    }
}

/// Where and when a message arrived: what the message alone cannot say.
#[derive(Debug, Clone, Copy)]
pub struct Arrival<'a> {
    pub received_at: DateTime<Utc>,
    /// `sentAt` of the batch envelope, for messages without their own.
    pub batch_sent_at: Option<DateTime<Utc>>,
    /// `/v1/import` and file imports: timestamps are historical and kept as written.
    pub historical: bool,
    /// `context` of the batch envelope, merged under each message's own context.
    pub batch_context: Option<&'a Map<String, Value>>,
}

impl<'a> Arrival<'a> {
    pub fn live(received_at: DateTime<Utc>) -> Self {
        Self { received_at, batch_sent_at: None, historical: false, batch_context: None }
    }
}

impl Message {
    /// Parse one message from its JSON text. `kind` is the endpoint's type for
    /// `/v1/track` and friends; `None` reads the `type` key, as in a batch.
    pub fn parse(json: &str, kind: Option<MessageKind>, arrival: &Arrival) -> Result<Self, FieldError> {
        Self::parse_text(json, kind, arrival, Amounts::Parse)
    }

    fn parse_text(
        json: &str,
        kind: Option<MessageKind>,
        arrival: &Arrival,
        amounts: Amounts,
    ) -> Result<Self, FieldError> {
        if json.len() > MAX_MESSAGE_BYTES {
            return Err(FieldError::new(
                "",
                format!("message is {} bytes; the limit is {MAX_MESSAGE_BYTES}", json.len()),
            ));
        }
        let value: Value = serde_json::from_str(json).map_err(FieldError::malformed_json)?;
        let Value::Object(payload) = value else {
            return Err(FieldError::new("", "a message must be a JSON object"));
        };
        if json.contains("\\u0000") {
            reject_nul(&payload)?;
        }
        Self::build(payload, kind, arrival, json.as_bytes(), Some(json), amounts)
    }

    /// A message kept earlier (an ingestion inbox), from its stored payload and the times
    /// decided when it arrived. The payload already holds the merged context and ids, so it
    /// parses to the same message; the event time is taken as decided, not corrected again.
    ///
    /// A money event kept by a version before amounts were parsed (no [`ANNOTATION`]) is
    /// restored as it was accepted then: its amounts are fen and stay unparsed, so the store
    /// reads them as such.
    pub fn restore(
        payload: &str,
        kind: MessageKind,
        timestamp: DateTime<Utc>,
        received_at: DateTime<Utc>,
    ) -> Result<Self, FieldError> {
        let arrival = Arrival { received_at, batch_sent_at: None, historical: true, batch_context: None };
        let mut message = Self::parse_text(payload, Some(kind), &arrival, Amounts::Restore)?;
        message.timestamp = timestamp;
        Ok(message)
    }

    /// Build a message from a JSON object made in code (imports). `source` is hashed into a
    /// `messageId` when the object has none.
    pub fn from_object(
        payload: Map<String, Value>,
        kind: Option<MessageKind>,
        arrival: &Arrival,
        source: &[u8],
    ) -> Result<Self, FieldError> {
        reject_nul(&payload)?;
        Self::build(payload, kind, arrival, source, None, Amounts::Parse)
    }

    /// [`Message::from_object`] for an object whose strings and keys are known to hold no
    /// U+0000 (a translation that looked for it in the source text).
    pub fn from_checked_object(
        payload: Map<String, Value>,
        arrival: &Arrival,
        source: &[u8],
    ) -> Result<Self, FieldError> {
        Self::build(payload, None, arrival, source, None, Amounts::Parse)
    }

    /// `text` is the sender's JSON for `payload`, reused as the stored payload when nothing in
    /// the object had to change.
    fn build(
        mut payload: Map<String, Value>,
        kind: Option<MessageKind>,
        arrival: &Arrival,
        source: &[u8],
        text: Option<&str>,
        amounts: Amounts,
    ) -> Result<Self, FieldError> {
        let mut changed = payload.remove("writeKey").is_some();
        // The annotation is Rekindle's to write: whatever a sender put there is dropped.
        let annotated = payload.remove(ANNOTATION).is_some();
        changed |= annotated;
        let kind = match kind {
            Some(k) => k,
            None => match payload.get("type") {
                Some(Value::String(t)) => t.parse().map_err(|e| FieldError::new("type", e))?,
                Some(_) => return Err(FieldError::new("type", "must be a string")),
                None => return Err(FieldError::new("type", "is required in a batch")),
            },
        };
        if payload.get("type").and_then(Value::as_str) != Some(kind.as_str()) {
            payload.insert("type".into(), Value::String(kind.as_str().into()));
            changed = true;
        }

        let message_id = match id_field(&payload, "messageId")? {
            Some(id) if payload.get("messageId").and_then(Value::as_str) == Some(id.as_str()) => id,
            found => {
                // A retry of the same bytes gets the same id, so it is still de-duplicated.
                let id = found.unwrap_or_else(|| format!("derived-{}", hex::encode(&Sha256::digest(source)[..16])));
                payload.insert("messageId".into(), Value::String(id.clone()));
                changed = true;
                id
            }
        };

        let user_id = id_field(&payload, "userId")?;
        let anonymous_id = id_field(&payload, "anonymousId")?;
        if user_id.is_none() && anonymous_id.is_none() {
            return Err(FieldError::new("userId", "either userId or anonymousId is required"));
        }

        if let Some(batch_context) = arrival.batch_context
            && !batch_context.is_empty()
        {
            merge_context(&mut payload, batch_context);
            changed = true;
        }
        let timestamp_fields = Timestamps::read(&payload, arrival)?;
        let name = event_name(&payload, kind)?;
        object_at(payload.get("properties"), "properties")?;
        if let Some(event) = name.as_deref().filter(|_| kind == MessageKind::Track)
            && (amounts == Amounts::Parse || annotated)
            && let Some(fen) = amounts::parse(event, &payload)?
        {
            let mut annotation = Map::new();
            annotation.insert("fen".into(), Value::Object(fen));
            payload.insert(ANNOTATION.into(), Value::Object(annotation));
            changed = true;
        }
        let mut identifiers = Vec::new();
        push_id(&mut identifiers, IdentifierKind::UserId, user_id.as_deref(), "userId")?;
        push_id(&mut identifiers, IdentifierKind::AnonymousId, anonymous_id.as_deref(), "anonymousId")?;
        match kind {
            MessageKind::Alias => {
                if user_id.is_none() {
                    return Err(FieldError::new("userId", "alias needs the userId to link to"));
                }
                let previous = id_field(&payload, "previousId")?
                    .ok_or_else(|| FieldError::new("previousId", "alias needs previousId"))?;
                push_id(&mut identifiers, IdentifierKind::PreviousId, Some(&previous), "previousId")?;
            }
            MessageKind::Group => {
                id_field(&payload, "groupId")?.ok_or_else(|| FieldError::new("groupId", "group needs groupId"))?;
            }
            _ => {}
        }

        let traits_update = TraitsUpdate::read(&payload)?;
        if traits_update != TraitsUpdate::Set && kind != MessageKind::Identify {
            return Err(FieldError::new(update::KEY, "only an identify changes traits"));
        }
        let mut update = (traits_update != TraitsUpdate::Set).then(|| (traits_update, Map::new()));
        let mut traits = Map::new();
        for (path, object) in [("context.traits", context_traits(&payload)?), ("traits", own_traits(&payload, kind)?)] {
            let Some(object) = object else { continue };
            for trait_kind in IdentifierKind::TRAIT_KINDS {
                let key = trait_kind.as_str();
                let field = format!("{path}.{key}");
                if let Some(raw) = scalar_string(object.get(key), &field)? {
                    push_id(&mut identifiers, trait_kind, Some(&raw), &field)?;
                }
            }
            if let (Some((how, changed)), "traits") = (&mut update, path) {
                how.check(object)?;
                changed.extend(object.iter().map(|(k, v)| (k.clone(), v.clone())));
            } else if kind == MessageKind::Identify || path == "context.traits" {
                traits.extend(object.iter().map(|(k, v)| (k.clone(), v.clone())));
            }
        }
        identifiers.sort();
        identifiers.dedup();

        let payload = match text {
            Some(text) if !changed => RawValue::from_string(text.to_string()),
            _ => serde_json::value::to_raw_value(&payload),
        }
        .map_err(|e| FieldError::new("", format!("cannot keep the message: {e}")))?;

        Ok(Self {
            kind,
            message_id,
            user_id,
            anonymous_id,
            identifiers,
            name,
            timestamp: timestamp_fields.event_time,
            received_at: arrival.received_at,
            sent_at: timestamp_fields.sent_at,
            traits,
            update,
            payload,
        })
    }
}

/// Whether a message's amounts are parsed, or may be kept as an earlier version accepted them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Amounts {
    Parse,
    Restore,
}

#[cfg(test)]
mod tests;
