//! Erasure and export of one person on their request (PIPL; docs/privacy.md).
//!
//! Each backend removes every row keyed by the person and everyone merged into them, and
//! scrubs their identifiers out of whatever else holds them. Only anonymous counts stay: the
//! person's `Order Completed` events are kept, stripped to what the store's aggregates read
//! (see [`anonymous_order`]) and handed to [`PersonId::ERASED`], so orders and GMV per day
//! are the same after an erasure as before.

use std::collections::BTreeMap;

use rekindle_core::{Identifier, IdentifierKind, PersonId, WorkspaceId};
use serde::Serialize;
use serde_json::{Map, Value};

use crate::{Person, Result};
use rekindle_core::events;

/// The events an erasure keeps (anonymised): what the dashboard and reports count.
pub const KEPT_EVENT: &str = events::ORDER_COMPLETED;

/// What replaces text that held an erased identifier.
pub const ERASED_TEXT: &str = "[erased]";

/// Order properties kept on an erased person's orders: amounts, currency, the live session
/// and the catalogue side of the items. Nothing that leads back to the person (order id,
/// coupon code, address, remarks) is kept.
const ORDER_PROPERTIES: [&str; 4] = ["revenue", "currency", "session_id", "products"];
const ITEM_PROPERTIES: [&str; 5] = ["sku", "name", "category", "price", "quantity"];

/// What gives a person's identifiers away in stored text: each identifier's stored value and,
/// for a phone, its national number (`13812345678` for `+8613812345678`), the form payloads
/// carry most. A text that is a phone in any written form (`138-1234-5678`) counts too.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Traces {
    needles: Vec<String>,
    phones: Vec<String>,
}

impl Traces {
    pub fn new<'a>(identifiers: impl IntoIterator<Item = &'a Identifier>) -> Self {
        let mut t = Traces::default();
        for i in identifiers {
            if i.value.is_empty() {
                continue;
            }
            if i.kind == IdentifierKind::Phone {
                t.phones.push(i.value.clone());
                t.needles.push(rekindle_core::phone::local_digits(&i.value).to_owned());
            }
            t.needles.push(i.value.clone());
        }
        t.needles.sort();
        t.needles.dedup();
        t
    }

    /// Substrings to look for in stored text (the shortest form of each identifier first
    /// found is enough: `13812345678` is inside `+8613812345678`).
    pub fn needles(&self) -> &[String] {
        &self.needles
    }

    /// Whether `text` gives one of the identifiers away.
    pub fn held_by(&self, text: &str) -> bool {
        self.needles.iter().any(|n| text.contains(n.as_str()))
            || (!self.phones.is_empty()
                && rekindle_core::phone::normalize(text).is_ok_and(|p| self.phones.contains(&p)))
    }
}

/// What one erasure did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ErasureReport {
    /// The person erased.
    pub person: PersonId,
    /// The ids of people merged into them, erased with them.
    pub merged: Vec<PersonId>,
    /// Rows deleted, by table.
    pub deleted: BTreeMap<String, u64>,
    /// Rows elsewhere (other people's events, the audit log) whose text held one of the
    /// person's identifiers and was scrubbed, by table.
    pub scrubbed: BTreeMap<String, u64>,
    /// Orders kept for the aggregates, anonymised.
    pub orders_kept: u64,
}

impl ErasureReport {
    pub fn new(person: PersonId, merged: Vec<PersonId>) -> Self {
        Self { person, merged, deleted: BTreeMap::new(), scrubbed: BTreeMap::new(), orders_kept: 0 }
    }

    pub fn count_deleted(&mut self, table: &str, rows: u64) {
        *self.deleted.entry(table.to_string()).or_default() += rows;
    }

    pub fn count_scrubbed(&mut self, table: &str, rows: u64) {
        if rows > 0 {
            *self.scrubbed.entry(table.to_string()).or_default() += rows;
        }
    }
}

/// Everything a store holds about one person: the person with their identifiers and traits,
/// and every row keyed by them (or anyone merged into them), table by table.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PersonExport {
    pub person: Person,
    /// The ids of people merged into them.
    pub merged: Vec<PersonId>,
    /// Rows by table name, each row a JSON object of its columns. Times are RFC 3339.
    pub records: BTreeMap<String, Vec<Value>>,
}

/// Erasure and export of a person, and the check that proves an erasure.
#[async_trait::async_trait]
pub trait Erasure: Send + Sync {
    /// Irreversibly remove the person `person` names (following a merge to the survivor) and
    /// everyone merged into them: identifiers, traits, events, merge records, memberships,
    /// stages, tags, scores, enrollments, messages, coupons, consent, subscriptions. Their
    /// orders stay, anonymised. One transaction. `NotFound` when the workspace has no such
    /// person.
    async fn erase_person(&self, ws: WorkspaceId, person: PersonId) -> Result<ErasureReport>;

    /// Everything held about the person `person` names. `NotFound` when the workspace has no
    /// such person.
    async fn export_person(&self, ws: WorkspaceId, person: PersonId) -> Result<PersonExport>;

    /// Every `table.column` of the store, in any workspace, whose text holds `needle`. Reads
    /// every row: for proving an erasure, not for requests.
    async fn tables_holding(&self, needle: &str) -> Result<Vec<String>>;
}

/// An order event's payload with only what the aggregates read: the call type, the event
/// name, the parsed amounts and [`ORDER_PROPERTIES`] (items reduced to [`ITEM_PROPERTIES`]), with any text that
/// gives one of the identifiers away replaced by [`ERASED_TEXT`].
pub fn anonymous_order(payload: &Value, traces: &Traces) -> Value {
    let mut kept = Map::new();
    // The amounts as parsed at ingestion (`_rekindle.fen`): without them a kept order would be
    // read under the old contract, its yuan taken for fen.
    for key in ["type", "event", rekindle_core::money::ANNOTATION] {
        if let Some(v) = payload.get(key) {
            kept.insert(key.into(), v.clone());
        }
    }
    let mut properties = Map::new();
    if let Some(source) = payload.get("properties").and_then(Value::as_object) {
        for key in ORDER_PROPERTIES {
            let Some(v) = source.get(key) else { continue };
            let v = if key == "products" { items(v) } else { v.clone() };
            properties.insert(key.into(), v);
        }
    }
    kept.insert("properties".into(), Value::Object(properties));
    let mut kept = Value::Object(kept);
    scrub(&mut kept, traces);
    kept
}

fn items(products: &Value) -> Value {
    let Some(list) = products.as_array() else { return Value::Array(Vec::new()) };
    list.iter()
        .map(|item| {
            let fields = ITEM_PROPERTIES
                .iter()
                .filter_map(|k| item.get(*k).map(|v| ((*k).to_string(), v.clone())))
                .collect::<Map<_, _>>();
            Value::Object(fields)
        })
        .collect()
}

/// Replace every string (and object key) in `value` that gives one of the identifiers away
/// with [`ERASED_TEXT`]. Returns whether anything changed.
pub fn scrub(value: &mut Value, traces: &Traces) -> bool {
    match value {
        Value::String(s) if traces.held_by(s) => {
            *s = ERASED_TEXT.into();
            true
        }
        Value::Array(items) => items.iter_mut().fold(false, |changed, v| scrub(v, traces) | changed),
        Value::Object(map) => {
            let mut changed = false;
            let keys: Vec<String> = map.keys().filter(|k| traces.held_by(k)).cloned().collect();
            for (n, key) in keys.into_iter().enumerate() {
                if let Some(v) = map.remove(&key) {
                    map.insert(format!("{ERASED_TEXT}{n}"), v);
                    changed = true;
                }
            }
            map.values_mut().fold(changed, |changed, v| scrub(v, traces) | changed)
        }
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn traces(ids: &[(IdentifierKind, &str)]) -> Traces {
        let ids: Vec<Identifier> = ids.iter().map(|(k, v)| Identifier::parse(*k, v, "test").unwrap()).collect();
        Traces::new(&ids)
    }

    fn phone() -> Traces {
        traces(&[(IdentifierKind::Phone, "13812345678")])
    }

    #[test]
    fn an_order_keeps_only_what_aggregates_read() {
        let payload = json!({
            "type": "track", "event": "Order Completed", "userId": "u-42", "messageId": "m1",
            "context": {"ip": "1.2.3.4", "traits": {"phone": "13812345678"}},
            "properties": {
                "order_id": "o-9", "revenue": 199.5, "currency": "CNY", "session_id": "live-1",
                "coupon": "WELCOME", "address": "上海市…", "phone": "13812345678",
                "products": [{"sku": "A1", "name": "茶", "category": "tea", "price": 99.75, "quantity": 2, "note": "x"}]
            },
            "_rekindle": {"fen": {"revenue": 19950, "products[0].price": 9975}}
        });
        let kept = anonymous_order(
            &payload,
            &traces(&[(IdentifierKind::Phone, "13812345678"), (IdentifierKind::UserId, "u-42")]),
        );
        assert_eq!(
            kept,
            json!({"type": "track", "event": "Order Completed", "properties": {
                "revenue": 199.5, "currency": "CNY", "session_id": "live-1",
                "products": [{"sku": "A1", "name": "茶", "category": "tea", "price": 99.75, "quantity": 2}]
            }, "_rekindle": {"fen": {"revenue": 19950, "products[0].price": 9975}}})
        );
    }

    #[test]
    fn kept_text_holding_an_identifier_is_scrubbed() {
        let payload = json!({"type": "track", "event": "Order Completed",
            "properties": {"revenue": 10, "session_id": "for 13812345678"}});
        let kept = anonymous_order(&payload, &phone());
        assert_eq!(kept["properties"]["session_id"], ERASED_TEXT);
        assert_eq!(kept["properties"]["revenue"], 10);
    }

    #[test]
    fn scrub_reaches_nested_values_and_keys() {
        let mut v = json!({"a": ["x", {"b": "tel 13812345678"}], "+8613812345678": 1, "c": 2, "d": "138-1234-5678"});
        assert!(scrub(&mut v, &phone()));
        assert!(!v.to_string().contains("1234"), "{v}");
        assert_eq!(v["a"][1]["b"], ERASED_TEXT);
        assert_eq!(v["d"], ERASED_TEXT, "a phone in another written form");
        assert_eq!(v["c"], 2);
        let mut clean = json!({"a": "b", "n": "13900000000"});
        assert!(!scrub(&mut clean, &phone()));
    }

    #[test]
    fn a_phone_is_looked_for_in_its_national_form() {
        assert_eq!(phone().needles(), ["+8613812345678", "13812345678"]);
        assert!(phone().held_by("call 13812345678"));
        assert!(!phone().held_by("13812345679"));
        let other = traces(&[(IdentifierKind::Phone, "+44 20 7946 0958"), (IdentifierKind::UserId, "u1")]);
        assert_eq!(other.needles(), ["+442079460958", "442079460958", "u1"]);
    }
}
