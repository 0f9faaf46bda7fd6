//! Conversions between domain values and SQLite columns.

use chrono::{DateTime, Utc};
use rekindle_core::{Identifier, IdentifierKind, MessageKind};
use rekindle_store::StoreError;

pub fn ms(t: DateTime<Utc>) -> i64 {
    t.timestamp_millis()
}

pub fn time(ms: i64) -> DateTime<Utc> {
    DateTime::from_timestamp_millis(ms).unwrap_or_default()
}

/// A stored string that must parse, or the database holds something this build did not write.
pub fn parse<T: std::str::FromStr<Err = String>>(s: &str) -> rusqlite::Result<T> {
    s.parse::<T>().map_err(|e| rusqlite::Error::FromSqlConversionFailure(0, rusqlite::types::Type::Text, e.into()))
}

pub fn identifier(kind: &str, value: String) -> rusqlite::Result<Identifier> {
    Ok(Identifier { kind: parse::<IdentifierKind>(kind)?, value })
}

pub fn kind(s: &str) -> rusqlite::Result<MessageKind> {
    parse(s)
}

/// An event's stored payload: the read-back, the tail fed by the append and the erasure all
/// decode it so. Text that is not JSON (nothing this build writes) reads as null.
pub fn payload(text: &str) -> serde_json::Value {
    serde_json::from_str(text).unwrap_or(serde_json::Value::Null)
}

pub fn json_map(s: &str) -> Result<serde_json::Map<String, serde_json::Value>, StoreError> {
    serde_json::from_str(s).map_err(StoreError::backend)
}

/// The de-duplication index key of a message id (see the `events` table).
pub fn message_key(message_id: &str) -> i64 {
    use sha2::{Digest, Sha256};
    let digest = Sha256::digest(message_id.as_bytes());
    let mut first = [0u8; 8];
    first.copy_from_slice(&digest[..8]);
    i64::from_le_bytes(first)
}
