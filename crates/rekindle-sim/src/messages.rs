//! Segment messages as the store's systems would send them.

use chrono::NaiveDateTime;
use serde_json::{Map, Value, json};

/// Local Asia/Shanghai time with its offset; China keeps no daylight saving, so +08:00 is exact.
pub fn local(t: NaiveDateTime) -> String {
    format!("{}+08:00", t.format("%Y-%m-%dT%H:%M:%S"))
}

/// Who a message is from, as the sending system knows them.
#[derive(Debug, Clone, Default)]
pub struct From {
    pub user_id: Option<String>,
    pub anonymous_id: Option<String>,
    /// Identifier traits the sender attaches as `context.traits`.
    pub traits: Map<String, Value>,
}

pub fn track(id: String, from: &From, at: NaiveDateTime, event: &str, properties: Value, library: &str) -> Value {
    let mut m = json!({
        "type": "track",
        "messageId": id,
        "event": event,
        "properties": properties,
        "timestamp": local(at),
        "context": {"library": {"name": library}},
    });
    attach(&mut m, from);
    m
}

pub fn identify(id: String, from: &From, at: NaiveDateTime, traits: Map<String, Value>, library: &str) -> Value {
    let mut m = json!({
        "type": "identify",
        "messageId": id,
        "traits": traits,
        "timestamp": local(at),
        "context": {"library": {"name": library}},
    });
    attach(&mut m, from);
    m
}

fn attach(m: &mut Value, from: &From) {
    if let Some(u) = &from.user_id {
        m["userId"] = json!(u);
    }
    if let Some(a) = &from.anonymous_id {
        m["anonymousId"] = json!(a);
    }
    if !from.traits.is_empty() {
        m["context"]["traits"] = Value::Object(from.traits.clone());
    }
}
