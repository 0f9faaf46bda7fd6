//! Sensors' `$`-prefixed preset properties mapped onto Segment's `context`, where Rekindle
//! (and anyone reading the stored payload) looks for them. The properties themselves are kept.

use serde_json::{Map, Value};

use super::LIBRARY_PREFIX;

/// (preset property, path in `context`).
const MAPPED: [(&str, &[&str]); 19] = [
    ("$ip", &["ip"]),
    ("$user_agent", &["userAgent"]),
    ("$os", &["os", "name"]),
    ("$os_version", &["os", "version"]),
    ("$model", &["device", "model"]),
    ("$manufacturer", &["device", "manufacturer"]),
    ("$brand", &["device", "brand"]),
    ("$device_id", &["device", "id"]),
    ("$app_name", &["app", "name"]),
    ("$app_version", &["app", "version"]),
    ("$screen_width", &["screen", "width"]),
    ("$screen_height", &["screen", "height"]),
    ("$url", &["page", "url"]),
    ("$url_path", &["page", "path"]),
    ("$title", &["page", "title"]),
    ("$referrer", &["page", "referrer"]),
    ("$city", &["location", "city"]),
    ("$province", &["location", "region"]),
    ("$country", &["location", "country"]),
];

/// The Segment `context` of a record: its preset properties and its SDK.
pub(super) fn context(properties: &Map<String, Value>, record: &Map<String, Value>) -> Map<String, Value> {
    let mut context = Map::new();
    for (preset, path) in MAPPED {
        if let Some(v) = properties.get(preset).filter(|v| !v.is_null()) {
            put(&mut context, path, v.clone());
        }
    }
    let lib = record.get("lib").and_then(Value::as_object);
    let read = |key: &str| {
        lib.and_then(|l| l.get(key)).or_else(|| properties.get(key)).and_then(Value::as_str).map(str::to_string)
    };
    if let Some(name) = read("$lib") {
        put(&mut context, &["library", "name"], Value::String(format!("{LIBRARY_PREFIX}{}", name.to_lowercase())));
        if let Some(version) = read("$lib_version") {
            put(&mut context, &["library", "version"], Value::String(version));
        }
    }
    context
}

fn put(context: &mut Map<String, Value>, path: &[&str], value: Value) {
    let (last, parents) = path.split_last().expect("a path has a key");
    let mut at = context;
    for key in parents {
        let next = at.entry(*key).or_insert_with(|| Value::Object(Map::new()));
        let Value::Object(next) = next else { return };
        at = next;
    }
    at.insert((*last).to_string(), value);
}
