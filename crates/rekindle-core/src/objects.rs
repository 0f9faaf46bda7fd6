//! Products and live sessions: objects the store describes, not things people do. They are
//! loaded through `rekindle import` (JSONL lines with an `"object"` key) or the REST API.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::FieldError;
use crate::money::{Fen, MAX_FEN};
use crate::time::parse_timestamp;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Product {
    pub sku: String,
    pub name: String,
    pub category: String,
    /// Unit price in fen.
    pub price: i64,
    /// Standard packs in one unit: a large pack lasts this many times longer.
    pub pack_size: u32,
    /// organic, new, prepared, large_pack, …
    pub tags: Vec<String>,
    /// Months (1–12) it is on sale; empty means all year.
    pub months: Vec<u32>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LiveSession {
    pub id: String,
    pub title: String,
    /// Topic tags, usually product categories.
    pub topics: Vec<String>,
    pub host: String,
    pub scheduled_start: DateTime<Utc>,
    pub started_at: Option<DateTime<Utc>>,
    pub ended_at: Option<DateTime<Utc>>,
}

/// One object, as a JSONL line or an API body names it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Object {
    Product(Product),
    LiveSession(LiveSession),
}

impl Object {
    /// Parse `{"object": "product" | "live_session", …}`.
    pub fn parse(value: &Value) -> Result<Self, FieldError> {
        match value.get("object").and_then(Value::as_str) {
            Some("product") => Product::parse(value).map(Object::Product),
            Some("live_session") => LiveSession::parse(value).map(Object::LiveSession),
            _ => Err(FieldError::new("object", "must be \"product\" or \"live_session\"")),
        }
    }
}

fn text(v: &Value, key: &str, required: bool) -> Result<String, FieldError> {
    match v.get(key) {
        Some(Value::String(s)) if !s.trim().is_empty() && s.len() <= 255 => Ok(s.trim().to_string()),
        Some(Value::String(_)) => Err(FieldError::new(key, "must be 1 to 255 characters")),
        None | Some(Value::Null) if !required => Ok(String::new()),
        None | Some(Value::Null) => Err(FieldError::new(key, "is required")),
        Some(_) => Err(FieldError::new(key, "must be a string")),
    }
}

fn strings(v: &Value, key: &str) -> Result<Vec<String>, FieldError> {
    match v.get(key) {
        None | Some(Value::Null) => Ok(Vec::new()),
        Some(Value::Array(items)) => items
            .iter()
            .map(|i| i.as_str().map(str::to_string).ok_or_else(|| FieldError::new(key, "must be a list of strings")))
            .collect(),
        Some(_) => Err(FieldError::new(key, "must be a list of strings")),
    }
}

fn time(v: &Value, key: &str) -> Result<Option<DateTime<Utc>>, FieldError> {
    match v.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => parse_timestamp(s).map(Some).map_err(|r| FieldError::new(key, r)),
        Some(_) => Err(FieldError::new(key, "must be an ISO 8601 string")),
    }
}

impl Product {
    pub fn parse(v: &Value) -> Result<Self, FieldError> {
        let (sku, name, category) = (text(v, "sku", true)?, text(v, "name", true)?, text(v, "category", true)?);
        // In fen, unlike event amounts: products are Rekindle's own contract, read and written in
        // fen by the REST API too, and a decimal price is refused rather than misread.
        let price = v
            .get("price")
            .and_then(Value::as_i64)
            .and_then(Fen::new)
            .ok_or_else(|| FieldError::new("price", format!("is required: a whole number of fen from 0 to {MAX_FEN}")))?
            .get();
        let pack_size = match v.get("pack_size") {
            None | Some(Value::Null) => 1,
            Some(p) => p
                .as_u64()
                .filter(|p| (1..=1000).contains(p))
                .ok_or_else(|| FieldError::new("pack_size", "must be a whole number from 1 to 1000"))?
                as u32,
        };
        let months = match v.get("months") {
            None | Some(Value::Null) => Vec::new(),
            Some(Value::Array(ms)) => ms
                .iter()
                .map(|m| {
                    m.as_u64()
                        .filter(|m| (1..=12).contains(m))
                        .map(|m| m as u32)
                        .ok_or_else(|| FieldError::new("months", "must list months 1 to 12"))
                })
                .collect::<Result<_, _>>()?,
            Some(_) => return Err(FieldError::new("months", "must list months 1 to 12")),
        };
        Ok(Self { sku, name, category, price, pack_size, tags: strings(v, "tags")?, months })
    }
}

impl LiveSession {
    pub fn parse(v: &Value) -> Result<Self, FieldError> {
        Ok(Self {
            id: text(v, "id", true)?,
            title: text(v, "title", true)?,
            topics: strings(v, "topics")?,
            host: text(v, "host", false)?,
            scheduled_start: time(v, "scheduled_start")?
                .ok_or_else(|| FieldError::new("scheduled_start", "is required"))?,
            started_at: time(v, "started_at")?,
            ended_at: time(v, "ended_at")?,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn objects_parse_with_defaults_and_name_bad_fields() {
        let p = Object::parse(
            &json!({"object": "product", "sku": "oat-1kg", "name": "燕麦片", "category": "谷物", "price": 3990}),
        )
        .unwrap();
        assert!(matches!(p, Object::Product(Product { pack_size: 1, .. })));
        let e = Object::parse(&json!({"object": "product", "sku": "x", "name": "x", "category": "x", "price": 9.9}))
            .unwrap_err();
        assert_eq!(e.field, "price");
        let too_much = json!({"object": "product", "sku": "x", "name": "x", "category": "x", "price": MAX_FEN + 1});
        assert_eq!(Object::parse(&too_much).unwrap_err().field, "price");
        let s = Object::parse(&json!({"object": "live_session", "id": "live-1", "title": "早餐好物",
            "scheduled_start": "2026-05-01T20:00:00+08:00", "topics": ["乳品"]}))
        .unwrap();
        assert!(matches!(s, Object::LiveSession(LiveSession { started_at: None, .. })));
        assert_eq!(Object::parse(&json!({"object": "shelf"})).unwrap_err().field, "object");
        let e = Object::parse(&json!({"object": "live_session", "id": "l", "title": "t", "scheduled_start": "soon"}))
            .unwrap_err();
        assert_eq!(e.field, "scheduled_start");
    }
}
