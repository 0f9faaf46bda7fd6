use chrono::TimeZone;
use proptest::prelude::*;
use serde_json::{Value, json};

use super::*;
use crate::{IdentifierKind, MessageKind};

fn arrival() -> Arrival<'static> {
    Arrival::live(Utc.with_ymd_and_hms(2026, 12, 1, 12, 0, 0).unwrap())
}

fn message(record: Value) -> Message {
    match translate(record.clone(), &arrival(), record.to_string().as_bytes()).unwrap() {
        Record::Message(m) => *m,
        other => panic!("not a message: {other:?}"),
    }
}

fn error(record: Value) -> FieldError {
    translate(record.clone(), &arrival(), record.to_string().as_bytes()).unwrap_err()
}

fn ids(m: &Message) -> Vec<String> {
    m.identifiers.iter().map(ToString::to_string).collect()
}

#[test]
fn a_server_track_keeps_its_time_and_its_login_id() {
    let m = message(json!({
        "type": "track", "event": "Order Completed", "distinct_id": "u-1", "time": 1_764_547_200_123_i64,
        "_track_id": 77, "_flush_time": 1_764_547_300_000_i64, "project": "default", "token": "secret",
        "properties": {"$is_login_id": true, "$lib": "python", "$lib_version": "1.11.1", "$ip": "1.2.3.4",
                       "order_id": "o-1", "revenue": 59.9},
        "lib": {"$lib": "python", "$lib_version": "1.11.1", "$lib_method": "code"}
    }));
    assert_eq!(m.kind, MessageKind::Track);
    assert_eq!(m.name.as_deref(), Some("Order Completed"));
    assert_eq!(ids(&m), ["user_id:u-1"]);
    // A server SDK's time is kept as sent, to the millisecond.
    assert_eq!(m.timestamp.timestamp_millis(), 1_764_547_200_123);
    let p = m.payload_value();
    assert_eq!(p["context"]["library"]["name"], "sensors-python");
    assert_eq!(p["context"]["ip"], "1.2.3.4");
    assert_eq!(p["context"]["sensors"]["project"], "default");
    assert!(p["properties"].get("$is_login_id").is_none(), "the login flag is userId now");
    assert!(p["context"]["sensors"].get("token").is_none(), "the write key is not stored: {p}");
    // Amounts are yuan, held as fen like a Segment order.
    assert_eq!(p["_rekindle"]["fen"]["revenue"], 5990);
}

#[test]
fn a_browser_event_after_login_links_its_login_and_cookie_ids() {
    let m = message(json!({
        "type": "track", "event": "$pageview", "distinct_id": "u-2", "time": 1_764_547_200_000_i64,
        "_track_id": 12345, "identities": {"$identity_login_id": "u-2", "$identity_cookie_id": "c-9",
                                            "$identity_mobile": "138 0013 8000"},
        "properties": {"$title": "鲜果团购", "$url": "https://shop.example/", "$lib": "js"}
    }));
    assert_eq!(m.kind, MessageKind::Page);
    assert_eq!(m.name.as_deref(), Some("鲜果团购"));
    assert_eq!(ids(&m), ["user_id:u-2", "phone:+8613800138000", "anonymous_id:c-9"]);
    assert_eq!(m.traits["phone"], "+8613800138000");
    assert_eq!(m.payload_value()["context"]["page"]["url"], "https://shop.example/");
}

#[test]
fn signup_binds_the_anonymous_id_and_bind_links_every_identity() {
    let m = message(json!({"type": "track_signup", "event": "$SignUp", "distinct_id": "u-3",
                           "original_id": "anon-3", "time": 1_764_547_200_000_i64}));
    assert_eq!(m.kind, MessageKind::Alias);
    assert_eq!(ids(&m), ["user_id:u-3", "previous_id:anon-3"]);
    let m = message(json!({"type": "track_id_bind", "event": "$BindID", "distinct_id": "u-3",
        "identities": {"$identity_login_id": "u-3", "$identity_mp_openid": "o-3", "$identity_anonymous_id": "a-3"}}));
    assert_eq!(m.kind, MessageKind::Identify);
    assert_eq!(ids(&m), ["user_id:u-3", "wechat_openid:o-3", "anonymous_id:a-3"]);
    // An unbinding is stored, attributed by distinct_id, and links nothing.
    let m = message(json!({"type": "track_id_unbind", "event": "$UnbindID", "distinct_id": "c-4",
        "identities": {"$identity_login_id": "u-4"}}));
    assert_eq!((m.kind, m.name.as_deref()), (MessageKind::Track, Some("$UnbindID")));
    assert_eq!(ids(&m), ["user_id:c-4"]);
    let m = message(json!({"type": "track_id_unbind", "event": "$UnbindID", "distinct_id": "$identity_cookie_id+c-5",
        "identities": {"$identity_cookie_id": "c-5"}}));
    assert_eq!(ids(&m), ["anonymous_id:$identity_cookie_id+c-5"]);
}

#[test]
fn profile_records_are_identifies_that_say_how_traits_change() {
    for (kind, update) in [
        ("profile_set", None),
        ("profile_set_once", Some(TraitsUpdate::SetOnce)),
        ("profile_unset", Some(TraitsUpdate::Unset)),
        ("profile_append", Some(TraitsUpdate::Append)),
        ("profile_increment", Some(TraitsUpdate::Increment)),
        ("profile_delete", Some(TraitsUpdate::Delete)),
    ] {
        let properties = if kind == "profile_increment" {
            json!({"visits": 1, "$is_login_id": false})
        } else {
            json!({"tags": ["鲜果"], "$is_login_id": false})
        };
        let m = message(json!({"type": kind, "distinct_id": "u-5", "properties": properties,
                               "time": 1_764_547_200_000_i64, "_track_id": 1}));
        assert_eq!(m.kind, MessageKind::Identify, "{kind}");
        assert_eq!(m.update.as_ref().map(|(u, _)| *u), update, "{kind}");
        if update.is_none() {
            assert_eq!(m.traits["tags"], json!(["鲜果"]));
            assert!(m.traits.get("$is_login_id").is_none(), "the login flag is not a trait");
        }
        assert!(m.identifiers.iter().all(|i| i.kind == IdentifierKind::AnonymousId));
    }
}

#[test]
fn items_are_products_priced_in_yuan() {
    let record = json!({"type": "item_set", "item_type": "product", "item_id": "oat-1kg",
        "properties": {"name": "燕麦片", "category": "粮油", "price": "39.9", "tags": ["organic"]}});
    let Record::Item(ItemChange::Set(p)) = translate(record, &arrival(), b"").unwrap() else { panic!() };
    assert_eq!((p.sku.as_str(), p.name.as_str(), p.category.as_str(), p.price), ("oat-1kg", "燕麦片", "粮油", 3990));
    let record = json!({"type": "item_delete", "item_type": "product", "item_id": "oat-1kg"});
    assert!(
        matches!(translate(record, &arrival(), b"").unwrap(), Record::Item(ItemChange::Delete(s)) if s == "oat-1kg")
    );
}

#[test]
fn one_track_id_is_one_message_and_a_record_without_one_is_its_bytes() {
    let a = json!({"type": "track", "event": "A", "distinct_id": "d", "time": 1, "_track_id": 5});
    let mut b = a.clone();
    b["properties"] = json!({"x": 1});
    assert_eq!(message(a.clone()).message_id, message(b).message_id);
    let mut other_time = a.clone();
    other_time["time"] = json!(2);
    assert_ne!(message(a).message_id, message(other_time).message_id);
    let c = json!({"type": "track", "event": "A", "distinct_id": "d", "time": 1});
    let d = json!({"type": "track", "event": "B", "distinct_id": "d", "time": 1});
    assert_ne!(message(c).message_id, message(d).message_id);
}

#[test]
fn bad_records_are_refused_naming_the_field() {
    for (record, field) in [
        (json!([1]), ""),
        (json!({"distinct_id": "d"}), "type"),
        (json!({"type": "track_everything", "distinct_id": "d"}), "type"),
        (json!({"type": "track", "event": "A"}), "distinct_id"),
        (json!({"type": "track", "event": "A", "distinct_id": {"a": 1}}), "distinct_id"),
        (json!({"type": "track", "distinct_id": "d"}), "event"),
        (json!({"type": "track", "event": "A", "distinct_id": "d", "time": "soon"}), "time"),
        (json!({"type": "track", "event": "A", "distinct_id": "d", "time": 99_999_999_999_999_i64}), "time"),
        (json!({"type": "track", "event": "A", "distinct_id": "d", "properties": [1]}), "properties"),
        (
            json!({"type": "track", "event": "A", "distinct_id": "d", "identities": {"$identity_mobile": "12"}}),
            "identities.$identity_mobile",
        ),
        (
            json!({"type": "track", "event": "A", "distinct_id": "d", "identities": {"$identity_login_id": []}}),
            "identities.$identity_login_id",
        ),
        (
            json!({"type": "track", "event": "Order Completed", "distinct_id": "d", "properties": {"order_id": "o", "revenue": -1}}),
            "properties.revenue",
        ),
        (json!({"type": "track_signup", "distinct_id": "d"}), "original_id"),
        (json!({"type": "profile_increment", "distinct_id": "d", "properties": {"n": "x"}}), "traits.n"),
        (json!({"type": "item_set", "item_id": "s"}), "item_type"),
        (json!({"type": "item_set", "item_type": "product"}), "item_id"),
        (
            json!({"type": "item_set", "item_type": "product", "item_id": "s", "properties": {"price": -3}}),
            "properties.price",
        ),
    ] {
        let e = error(record.clone());
        assert_eq!(e.field, field, "{record}: {e}");
    }
}

fn leaf() -> impl Strategy<Value = Value> {
    prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::from),
        any::<i64>().prop_map(Value::from),
        "[a-z$_0-9 ]{0,8}".prop_map(Value::from),
        Just(json!("track")),
        Just(json!("profile_append")),
        Just(json!("item_set")),
    ]
}

proptest! {
    /// Any JSON a client might send is either a record or a refusal naming a field; never a
    /// panic, and a translated message parses back the same from what is stored.
    #[test]
    fn any_record_translates_or_is_refused(
        fields in prop::collection::btree_map(
            prop::sample::select(vec!["type", "event", "distinct_id", "time", "_track_id", "properties",
                                      "identities", "original_id", "item_id", "item_type", "login_id", "lib"]),
            prop::strategy::Union::new(vec![
                leaf().boxed(),
                prop::collection::btree_map("[$a-z_]{1,6}", leaf(), 0..4).prop_map(|m| Value::Object(m.into_iter().collect())).boxed(),
            ]),
            0..10,
        )
    ) {
        let record = Value::Object(fields.into_iter().map(|(k, v)| (k.to_string(), v)).collect());
        if let Ok(Record::Message(m)) = translate(record.clone(), &arrival(), record.to_string().as_bytes()) {
            let back = Message::restore(m.payload.get(), m.kind, m.timestamp, m.received_at).unwrap();
            prop_assert_eq!(back.identifiers, m.identifiers.clone());
            prop_assert_eq!(back.message_id, m.message_id.clone());
            prop_assert_eq!(back.update, m.update.clone());
        }
    }
}

#[test]
fn variable_name_spellings_of_rekindles_events_are_stored_as_those_events() {
    for sent in ["OrderCompleted", "order_completed", "ORDER_COMPLETED", "Order Completed"] {
        let m = message(json!({"type": "track", "event": sent, "distinct_id": "d",
                               "properties": {"order_id": "o", "revenue": 1}}));
        assert_eq!(m.name.as_deref(), Some("Order Completed"), "{sent}");
        assert!(m.payload_value()["context"]["sensors"].get("event").is_none(), "the event is the message's");
    }
    assert_eq!(
        message(json!({"type": "track", "event": "LiveWatched", "distinct_id": "d"})).name.as_deref(),
        Some("Live Watched")
    );
    assert_eq!(
        message(json!({"type": "track", "event": "ViewProduct", "distinct_id": "d"})).name.as_deref(),
        Some("ViewProduct")
    );
}

#[test]
fn an_orders_lines_sent_as_a_string_of_json_are_its_products() {
    let lines = json!([{"sku": "oat-1kg", "price": 39.9, "quantity": 2}]).to_string();
    let m = message(json!({"type": "track", "event": "OrderCompleted", "distinct_id": "d",
                           "properties": {"order_id": "o", "revenue": 79.8, "products": lines}}));
    let p = m.payload_value();
    assert_eq!(p["properties"]["products"][0]["sku"], "oat-1kg");
    assert_eq!(p["_rekindle"]["fen"]["products[0].price"], 3990);
    let e = error(json!({"type": "track", "event": "OrderCompleted", "distinct_id": "d",
                         "properties": {"order_id": "o", "products": "oat-1kg"}}));
    assert_eq!(e.field, "properties.products");
    // Another event's string is its own business.
    let m =
        message(json!({"type": "track", "event": "ViewProduct", "distinct_id": "d", "properties": {"products": "x"}}));
    assert_eq!(m.payload_value()["properties"]["products"], "x");
}

#[test]
fn what_the_message_holds_is_not_stored_twice_and_the_rest_is_kept() {
    let m = message(json!({"type": "track", "event": "ViewProduct", "distinct_id": "u-9", "time": 1, "_flush_time": 2,
        "_track_id": 3, "project": "shop", "login_id": "u-9", "anonymous_id": "c-9",
        "identities": {"$identity_login_id": "u-9", "$identity_cookie_id": "c-9", "$identity_email": "a@b.cn"},
        "lib": {"$lib": "js", "$lib_version": "1.27.11", "$lib_method": "code"}}));
    assert_eq!(
        m.payload_value()["context"]["sensors"],
        json!({"project": "shop", "identities": {"$identity_email": "a@b.cn"}, "lib": {"$lib_method": "code"}})
    );
    let m =
        message(json!({"type": "profile_set", "distinct_id": "$identity_mobile+13800138000", "properties": {"a": 1}}));
    assert_eq!(
        m.payload_value()["context"]["sensors"],
        json!({"type": "profile_set"}),
        "distinct_id is the anonymousId"
    );
}

#[test]
fn a_devices_clock_is_corrected_by_when_it_sent_the_record() {
    // The phone's clock is an hour slow: it stamped the event 10 s before it sent it.
    let received = Utc.with_ymd_and_hms(2026, 12, 1, 12, 0, 0).unwrap();
    let slow = received - chrono::Duration::hours(1);
    let record = |lib: &str| {
        json!({"type": "track", "event": "A", "distinct_id": "d", "lib": {"$lib": lib},
               "time": (slow - chrono::Duration::seconds(10)).timestamp_millis(), "_flush_time": slow.timestamp_millis()})
    };
    let m = message(record("MiniProgram"));
    assert_eq!(m.timestamp, received - chrono::Duration::seconds(10));
    assert!(m.payload_value().get("sentAt").is_none(), "used, not stored, like a Segment batch's");
    // A server SDK's time is the caller's: kept.
    assert_eq!(message(record("python")).timestamp, slow - chrono::Duration::seconds(10));
}
