//! Reading a message's fields: each one's type checked, its failure naming the field.

use chrono::{DateTime, Utc};
use serde_json::{Map, Value};

use super::{Arrival, MAX_NAME_LEN, MessageKind};
use crate::time::{Clock, is_server_library, parse_timestamp};
use crate::{FieldError, Identifier, IdentifierKind};

pub(super) struct Timestamps {
    pub(super) event_time: DateTime<Utc>,
    pub(super) sent_at: Option<DateTime<Utc>>,
}

impl Timestamps {
    pub(super) fn read(payload: &Map<String, Value>, arrival: &Arrival) -> Result<Self, FieldError> {
        let original = match time_field(payload, "timestamp")? {
            Some(t) => Some(t),
            None => time_field(payload, "originalTimestamp")?,
        };
        let sent_at = time_field(payload, "sentAt")?.or(arrival.batch_sent_at);
        let library = payload
            .get("context")
            .and_then(|c| c.get("library"))
            .and_then(|l| l.get("name"))
            .and_then(Value::as_str)
            .unwrap_or("");
        let clock = Clock {
            received_at: arrival.received_at,
            sent_at,
            original,
            trust_original: arrival.historical || is_server_library(library),
        };
        Ok(Self { event_time: clock.event_time(), sent_at })
    }
}

pub(super) fn time_field(payload: &Map<String, Value>, key: &str) -> Result<Option<DateTime<Utc>>, FieldError> {
    match payload.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => parse_timestamp(s).map(Some).map_err(|r| FieldError::new(key, r)),
        Some(_) => Err(FieldError::new(key, "must be an ISO 8601 string")),
    }
}

/// An id-like field: a string, or a number written without quotes. `null` and "" mean absent.
pub(super) fn id_field(payload: &Map<String, Value>, key: &str) -> Result<Option<String>, FieldError> {
    let id = scalar_string(payload.get(key), key)?;
    if let Some(id) = &id
        && id.len() > MAX_NAME_LEN
    {
        return Err(FieldError::new(key, format!("longer than {MAX_NAME_LEN} bytes")));
    }
    Ok(id)
}

pub(super) fn scalar_string(value: Option<&Value>, field: &str) -> Result<Option<String>, FieldError> {
    match value {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) if s.trim().is_empty() => Ok(None),
        Some(Value::String(s)) => Ok(Some(s.trim().to_string())),
        Some(Value::Number(n)) => Ok(Some(n.to_string())),
        Some(_) => Err(FieldError::new(field, "must be a string or a number")),
    }
}

pub(super) fn push_id(
    ids: &mut Vec<Identifier>,
    kind: IdentifierKind,
    raw: Option<&str>,
    field: &str,
) -> Result<(), FieldError> {
    if let Some(raw) = raw {
        ids.push(Identifier::parse(kind, raw, field)?);
    }
    Ok(())
}

pub(super) fn event_name(payload: &Map<String, Value>, kind: MessageKind) -> Result<Option<String>, FieldError> {
    let key = match kind {
        MessageKind::Track => "event",
        MessageKind::Page | MessageKind::Screen => "name",
        _ => return Ok(None),
    };
    let name = match payload.get(key) {
        None | Some(Value::Null) => None,
        Some(Value::String(s)) if s.trim().is_empty() => None,
        Some(Value::String(s)) => Some(s.trim().to_string()),
        Some(_) => return Err(FieldError::new(key, "must be a string")),
    };
    if let Some(n) = &name
        && n.len() > MAX_NAME_LEN
    {
        return Err(FieldError::new(key, format!("longer than {MAX_NAME_LEN} bytes")));
    }
    if kind == MessageKind::Track && name.is_none() {
        return Err(FieldError::new("event", "track needs an event name"));
    }
    Ok(name)
}

pub(super) fn object_at<'a>(
    value: Option<&'a Value>,
    field: &str,
) -> Result<Option<&'a Map<String, Value>>, FieldError> {
    match value {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Object(o)) => Ok(Some(o)),
        Some(_) => Err(FieldError::new(field, "must be an object")),
    }
}

pub(super) fn context_traits(payload: &Map<String, Value>) -> Result<Option<&Map<String, Value>>, FieldError> {
    match object_at(payload.get("context"), "context")? {
        Some(ctx) => object_at(ctx.get("traits"), "context.traits"),
        None => Ok(None),
    }
}

pub(super) fn own_traits(
    payload: &Map<String, Value>,
    kind: MessageKind,
) -> Result<Option<&Map<String, Value>>, FieldError> {
    object_at(payload.get("properties"), "properties")?;
    match kind {
        // A group's traits describe the group, not the person.
        MessageKind::Identify => object_at(payload.get("traits"), "traits"),
        _ => Ok(None),
    }
}

/// PostgreSQL cannot store U+0000 in text or JSON, and no real event needs it: refuse it here
/// rather than fail a whole group commit later.
pub(crate) fn reject_nul(payload: &Map<String, Value>) -> Result<(), FieldError> {
    fn walk(v: &Value, path: &str) -> Result<(), FieldError> {
        match v {
            Value::String(s) if s.contains('\0') => Err(FieldError::new(path, "contains the NUL character U+0000")),
            Value::Array(a) => a.iter().enumerate().try_for_each(|(i, v)| walk(v, &format!("{path}[{i}]"))),
            Value::Object(o) => o.iter().try_for_each(|(k, v)| {
                if k.contains('\0') {
                    return Err(FieldError::new(path, "a key contains the NUL character U+0000"));
                }
                walk(v, &if path.is_empty() { k.clone() } else { format!("{path}.{k}") })
            }),
            _ => Ok(()),
        }
    }
    payload.iter().try_for_each(|(k, v)| {
        if k.contains('\0') {
            return Err(FieldError::new("", "a key contains the NUL character U+0000"));
        }
        walk(v, k)
    })
}

pub(super) fn merge_context(payload: &mut Map<String, Value>, batch: &Map<String, Value>) {
    let ctx = payload.entry("context").or_insert_with(|| Value::Object(Map::new()));
    if let Value::Object(ctx) = ctx {
        for (k, v) in batch {
            ctx.entry(k.clone()).or_insert_with(|| v.clone());
        }
    }
}
