//! The simulator's Segment messages as a Sensors Data SDK would send them, for
//! `rekindle bench ingest --format sensors`: records with `identities`, event names written as
//! variable names, an order's lines as a JSON string, and the Python SDK's batch body
//! (`data_list=<base64 of gzipped JSON>&gzip=1`).

use std::io::Write;

use base64::Engine;
use serde_json::{Map, Value, json};

/// Identify traits that are identifiers, and the identity each travels as.
const IDENTITY_TRAITS: [(&str, &str); 4] = [
    ("phone", "$identity_mobile"),
    ("wechat_openid", "$identity_mp_openid"),
    ("wechat_unionid", "$identity_mp_unionid"),
    ("wecom_external_userid", "$identity_wecom_external_userid"),
];

/// A Sensors `_track_id` for a message id: a number, as the SDKs' random ones are (below 2^53,
/// so JavaScript reads it exactly), the same for the same id.
pub fn track_id(message_id: &str) -> i64 {
    use sha2::Digest;
    let digest = sha2::Sha256::digest(message_id.as_bytes());
    (u64::from_be_bytes(digest[..8].try_into().expect("8 bytes")) >> 11) as i64
}

/// One Segment message (track or identify, as the simulator sends) as a Sensors record.
pub fn record(m: &Value, track_id: i64) -> anyhow::Result<Value> {
    let millis = |key: &str| {
        m.get(key)
            .and_then(Value::as_str)
            .and_then(|t| chrono::DateTime::parse_from_rfc3339(t).ok())
            .map(|t| t.timestamp_millis())
    };
    let mut identities = Map::new();
    if let Some(user) = m.get("userId").and_then(Value::as_str) {
        identities.insert("$identity_login_id".into(), json!(user));
    }
    if let Some(anonymous) = m.get("anonymousId").and_then(Value::as_str) {
        identities.insert("$identity_anonymous_id".into(), json!(anonymous));
    }
    for traits in [m.pointer("/context/traits"), m.get("traits")].into_iter().flatten() {
        for (trait_name, identity) in IDENTITY_TRAITS {
            if let Some(v) = traits.get(trait_name).and_then(Value::as_str) {
                identities.insert(identity.into(), json!(v));
            }
        }
    }
    let distinct = m.get("userId").or_else(|| m.get("anonymousId")).cloned().unwrap_or(Value::Null);
    let mut record = json!({
        "distinct_id": distinct,
        "identities": identities,
        "_track_id": track_id,
        "lib": {"$lib": "MiniProgram", "$lib_version": "1.19.0"},
    });
    if let Some(t) = millis("timestamp") {
        record["time"] = json!(t);
    }
    let mut properties = match m.get("type").and_then(Value::as_str) {
        Some("track") => {
            record["type"] = json!("track");
            record["event"] = json!(m["event"].as_str().unwrap_or_default().replace(' ', ""));
            let mut p = m.get("properties").and_then(Value::as_object).cloned().unwrap_or_default();
            if let Some(lines) = p.get("products").filter(|l| l.is_array()) {
                p.insert("products".into(), json!(serde_json::to_string(lines)?));
            }
            p
        }
        Some("identify") => {
            record["type"] = json!("profile_set");
            m.get("traits").and_then(Value::as_object).cloned().unwrap_or_default()
        }
        other => anyhow::bail!("the simulator sent a {other:?} message; only track and identify translate"),
    };
    if m.get("userId").is_some() {
        properties.insert("$is_login_id".into(), json!(true));
    }
    record["properties"] = Value::Object(properties);
    Ok(record)
}

/// A batch as the Python SDK's batch consumer posts it.
pub fn body(records: &[Value]) -> anyhow::Result<Vec<u8>> {
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    gz.write_all(&serde_json::to_vec(records)?)?;
    let data = base64::engine::general_purpose::STANDARD.encode(gz.finish()?);
    let mut form = form_urlencoded::Serializer::new(String::new());
    form.append_pair("data_list", &data).append_pair("gzip", "1");
    Ok(form.finish().into_bytes())
}
