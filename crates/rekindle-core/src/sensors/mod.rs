//! Sensors Data (神策) records, translated into Segment messages so both formats take one road
//! into the event log (docs/ingestion-sensors.md has the mapping table).
//!
//! A record is what a Sensors SDK sends: `{"type": "track", "event": …, "distinct_id": …,
//! "time": <ms>, "properties": {…}, "identities": {…}, "_track_id": …}`. Events and profile
//! records become Segment messages whose `context.sensors` keeps what the SDK sent that the
//! Segment shape has no place for; item records become catalogue products.

mod identities;
mod items;
mod presets;
#[cfg(test)]
mod tests;

use chrono::{DateTime, Datelike, SecondsFormat, Utc};
use serde_json::{Map, Value};
use sha2::{Digest, Sha256};

use crate::message::{Arrival, TraitsUpdate, update};
use crate::{FieldError, Message};

pub use items::ItemChange;

/// What one record asks for.
#[derive(Debug, Clone)]
pub enum Record {
    /// An event or a profile change, to ingest like any Segment message.
    Message(Box<Message>),
    /// A change to the catalogue (`item_set`, `item_delete`).
    Item(ItemChange),
}

/// The Sensors SDKs that run on servers: their `time` is what the caller passed and is kept,
/// not corrected for a phone's clock (see [`crate::time::is_server_library`]).
pub const SERVER_LIBRARIES: [&str; 7] = ["python", "java", "php", "node", "golang", "ruby", "csharp"];

/// Prefix of the Segment `context.library.name` given to a Sensors SDK's `$lib`.
pub const LIBRARY_PREFIX: &str = "sensors-";

/// Translate one record. `source` is its JSON text, hashed into a message id when the record
/// has no `_track_id`.
pub fn translate(record: Value, arrival: &Arrival, source: &[u8]) -> Result<Record, FieldError> {
    let Value::Object(mut record) = record else {
        return Err(FieldError::new("", "a record must be a JSON object"));
    };
    // The write key is a secret: never stored, whichever field carried it.
    record.remove("token");
    // A NUL can only be written `\u0000` in JSON text: look for it before walking the record.
    if source.windows(6).any(|w| w == b"\\u0000") {
        crate::message::reject_nul(&record)?;
    }
    let kind = match record.get("type") {
        Some(Value::String(t)) => t.clone(),
        Some(_) => return Err(FieldError::new("type", "must be a string")),
        None => return Err(FieldError::new("type", "is required")),
    };
    if let Some(item) = items::translate(&kind, &record)? {
        return Ok(Record::Item(item));
    }
    let (segment_type, traits_update) = match kind.as_str() {
        "track" | "track_id_unbind" => ("track", None),
        "track_signup" => ("alias", None),
        "track_id_bind" => ("identify", None),
        "profile_set" => ("identify", Some(TraitsUpdate::Set)),
        "profile_set_once" => ("identify", Some(TraitsUpdate::SetOnce)),
        "profile_unset" => ("identify", Some(TraitsUpdate::Unset)),
        "profile_append" => ("identify", Some(TraitsUpdate::Append)),
        "profile_increment" => ("identify", Some(TraitsUpdate::Increment)),
        "profile_delete" => ("identify", Some(TraitsUpdate::Delete)),
        _ => {
            return Err(FieldError::new(
                "type",
                format!(
                    "unknown type {kind:?}; expected track, track_signup, track_id_bind, track_id_unbind, profile_set, profile_set_once, profile_unset, profile_append, profile_increment, profile_delete, item_set or item_delete"
                ),
            ));
        }
    };
    // Taken, not copied: the record is kept below without them.
    let mut properties = match record.remove("properties") {
        None | Some(Value::Null) => Map::new(),
        Some(Value::Object(p)) => p,
        Some(_) => return Err(FieldError::new("properties", "must be an object")),
    };
    let time = millis(&record, "time")?;
    let ids = identities::read(&record, &properties, &kind)?;
    // It said who distinct_id is, which userId now says: not a property of the event or person.
    properties.remove("$is_login_id");

    let mut message = Map::new();
    message.insert("messageId".into(), Value::String(message_id(&record, source)?));
    if let Some(t) = time {
        message.insert("timestamp".into(), Value::String(t.to_rfc3339_opts(SecondsFormat::Millis, true)));
    }
    // When the SDK sent the record: its clock's skew is corrected by it, as by a Segment batch's
    // `sentAt`, which is not stored either.
    let arrival = Arrival { batch_sent_at: millis(&record, "_flush_time")?, ..*arrival };
    let mut context = presets::context(&properties, &record);
    if !ids.traits.is_empty() {
        context.insert("traits".into(), Value::Object(ids.traits));
    }
    let mut segment_type = segment_type;
    match segment_type {
        "track" => {
            let event = event_name(&record, if kind == "track" { None } else { Some("$UnbindID") })?;
            // The views the SDKs collect by themselves are Segment's page and screen calls.
            match event.as_str() {
                "$pageview" => segment_type = "page",
                "$MPViewScreen" | "$AppViewScreen" => segment_type = "screen",
                _ => {}
            }
            if segment_type == "track" {
                let known = known_name(&event);
                if known.is_some() {
                    unpack_products(&mut properties)?;
                }
                message.insert("event".into(), Value::String(known.map_or(event, str::to_string)));
            } else if let Some(title) =
                properties.get("$title").and_then(Value::as_str).filter(|t| !t.trim().is_empty())
            {
                message.insert("name".into(), Value::String(title.to_string()));
            }
            message.insert("properties".into(), Value::Object(properties));
        }
        "alias" => {
            let previous = record
                .get("original_id")
                .and_then(identities::scalar)
                .ok_or_else(|| FieldError::new("original_id", "track_signup needs the anonymous id it signs up"))?;
            message.insert("previousId".into(), Value::String(previous));
            message.insert("event".into(), Value::String(event_name(&record, Some("$SignUp"))?));
            message.insert("properties".into(), Value::Object(properties));
        }
        _ => {
            if let Some(how) = traits_update.filter(|u| *u != TraitsUpdate::Set) {
                message.insert(update::KEY.into(), Value::String(how.as_str().into()));
            }
            if traits_update.is_some() {
                message.insert("traits".into(), Value::Object(properties));
            }
        }
    }
    message.insert("type".into(), Value::String(segment_type.into()));
    if let Some(user) = ids.user_id {
        message.insert("userId".into(), Value::String(user));
    }
    if let Some(anonymous) = ids.anonymous_id {
        message.insert("anonymousId".into(), Value::String(anonymous));
    }
    message.insert("context".into(), Value::Object(context));
    let kept = kept(record, &message);
    if !kept.is_empty()
        && let Some(Value::Object(context)) = message.get_mut("context")
    {
        context.insert("sensors".into(), Value::Object(kept));
    }
    // NUL was looked for above.
    Message::from_checked_object(message, &arrival, source).map(|m| Record::Message(Box::new(m)))
}

/// The record as sent, without the write key, its properties and what `message` already
/// holds (`time`, `_flush_time`, `_track_id`, `login_id`, `anonymous_id`, a `distinct_id` or an identity that
/// is its `userId`, `anonymousId` or one of its `context.traits`, the SDK's name and version,
/// a track's type and event): the rest has no place in the Segment shape.
/// Every stored byte is read again by each fold, so the copy is kept small.
fn kept(mut record: Map<String, Value>, message: &Map<String, Value>) -> Map<String, Value> {
    // `_track_id` is in the message id (see [`message_id`]).
    for key in ["time", "_flush_time", "login_id", "anonymous_id", "_track_id"] {
        record.remove(key);
    }
    let traits = message.get("context").and_then(|c| c.get("traits")).and_then(Value::as_object);
    let held = |v: &Value| {
        identities::scalar(v).is_some_and(|v| {
            ["userId", "anonymousId"].iter().any(|k| message.get(*k).and_then(Value::as_str) == Some(v.as_str()))
                || traits.is_some_and(|t| t.values().any(|t| t.as_str() == Some(v.as_str())))
        })
    };
    if record.get("distinct_id").is_some_and(held) {
        record.remove("distinct_id");
    }
    if let Some(Value::Object(identities)) = record.get_mut("identities") {
        identities.retain(|_, v| !held(v));
        if identities.is_empty() {
            record.remove("identities");
        }
    }
    // A track's type and event are the message's own (under Rekindle's name when the sent
    // spelling was one of them, see [`known_name`]).
    if record.get("type").and_then(Value::as_str) == Some("track") {
        record.remove("type");
        record.remove("event");
    }
    if let Some(Value::Object(lib)) = record.get_mut("lib") {
        lib.remove("$lib");
        lib.remove("$lib_version");
        if lib.is_empty() {
            record.remove("lib");
        }
    }
    record
}

/// The message id: one per `_track_id`, `distinct_id` and `time` (a resent record, or the same
/// record from the SDK's retry queue, is stored once); a record without `_track_id` is
/// identified by its bytes, as a Segment message without `messageId` is.
fn message_id(record: &Map<String, Value>, source: &[u8]) -> Result<String, FieldError> {
    let track_id = match record.get("_track_id") {
        None | Some(Value::Null) => None,
        Some(v) => {
            Some(identities::scalar(v).ok_or_else(|| FieldError::new("_track_id", "must be a number or a string"))?)
        }
    };
    let digest = match track_id {
        Some(track_id) => {
            let distinct = record.get("distinct_id").and_then(identities::scalar).unwrap_or_default();
            let time = record.get("time").map(Value::to_string).unwrap_or_default();
            Sha256::digest(format!("{track_id}\u{1f}{distinct}\u{1f}{time}"))
        }
        None => Sha256::digest(source),
    };
    // 96 bits: no two records of a store meet by chance, and the id stays short, since
    // every stored byte is read again by each fold.
    Ok(format!("sensors-{}", hex::encode(&digest[..12])))
}

/// Sensors SDKs refuse event names that are not variable names, so `Order Completed` is sent
/// as `OrderCompleted` or `order_completed`: such a spelling of one of Rekindle's event names
/// (DESIGN.md) is stored as that name.
fn known_name(event: &str) -> Option<&'static str> {
    // Compared byte by byte, without allocating: it runs for every event.
    let squash =
        |s: &str| s.bytes().filter(|b| *b != b' ' && *b != b'_').map(|b| b.to_ascii_lowercase()).collect::<Vec<u8>>();
    let sent = squash(event);
    crate::events::KNOWN
        .iter()
        .copied()
        .find(|known| known.bytes().filter(|b| *b != b' ').map(|b| b.to_ascii_lowercase()).eq(sent.iter().copied()))
}

/// Sensors properties hold no objects, so an order's lines come as `products`, a string of
/// JSON (`json.dumps(lines)`): unpacked into the list the spec's e-commerce events carry.
fn unpack_products(properties: &mut Map<String, Value>) -> Result<(), FieldError> {
    if let Some(Value::String(text)) = properties.get("products") {
        let lines: Value = serde_json::from_str(text)
            .ok()
            .filter(Value::is_array)
            .ok_or_else(|| FieldError::new("properties.products", "must be a JSON list of products, as a string"))?;
        properties.insert("products".into(), lines);
    }
    Ok(())
}

fn event_name(record: &Map<String, Value>, default: Option<&str>) -> Result<String, FieldError> {
    match record.get("event") {
        Some(Value::String(e)) if !e.trim().is_empty() => Ok(e.trim().to_string()),
        None | Some(Value::Null) | Some(Value::String(_)) => {
            default.map(str::to_string).ok_or_else(|| FieldError::new("event", "track needs an event name"))
        }
        Some(_) => Err(FieldError::new("event", "must be a string")),
    }
}

/// A time in milliseconds since 1970, as the SDKs send `time` and `_flush_time`.
fn millis(record: &Map<String, Value>, key: &str) -> Result<Option<DateTime<Utc>>, FieldError> {
    let ms = match record.get(key) {
        None | Some(Value::Null) => return Ok(None),
        Some(Value::Number(n)) => {
            n.as_i64().or_else(|| n.as_f64().filter(|f| f.fract() == 0.0 && f.abs() < 1e15).map(|f| f as i64))
        }
        Some(Value::String(s)) => s.trim().parse::<i64>().ok(),
        Some(_) => None,
    }
    .ok_or_else(|| FieldError::new(key, "must be whole milliseconds since 1970"))?;
    DateTime::from_timestamp_millis(ms)
        .filter(|t| (1970..=2200).contains(&t.year()))
        .map(Some)
        .ok_or_else(|| FieldError::new(key, "is outside the years 1970 to 2200"))
}
