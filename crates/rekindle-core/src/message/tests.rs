use super::*;
use chrono::TimeZone;

fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 5, 1, 12, 0, 0).unwrap()
}

fn parse(json: &str, kind: Option<MessageKind>) -> Result<Message, FieldError> {
    Message::parse(json, kind, &Arrival::live(now()))
}

#[test]
fn identify_collects_every_identifier_in_precedence_order() {
    let m = parse(
        r#"{"userId": 42, "anonymousId": null, "traits": {"phone": "138 1234 5678",
            "wechat_unionid": "u-1", "nickname": "小李"}, "context": {"traits": {"wechat_openid": "o-1"}},
            "messageId": "m1", "extra": true}"#,
        Some(MessageKind::Identify),
    )
    .unwrap();
    let ids: Vec<String> = m.identifiers.iter().map(ToString::to_string).collect();
    assert_eq!(ids, ["user_id:42", "wechat_unionid:u-1", "phone:+8613812345678", "wechat_openid:o-1"]);
    assert_eq!(m.traits["nickname"], "小李");
    assert_eq!(m.payload_value()["extra"], true, "unknown top-level keys are kept");
    assert_eq!(m.timestamp, now(), "no timestamp means received time");
}

#[test]
fn missing_identity_names_user_id() {
    let e = parse(r#"{"event": "x", "anonymousId": null}"#, Some(MessageKind::Track)).unwrap_err();
    assert_eq!(e.field, "userId");
}

#[test]
fn batch_messages_need_a_known_type() {
    assert_eq!(parse(r#"{"userId": "a"}"#, None).unwrap_err().field, "type");
    let e = parse(r#"{"userId": "a", "type": "purchase"}"#, None).unwrap_err();
    assert!(e.reason.contains("unknown type"), "{e}");
}

#[test]
fn track_needs_an_event_name_and_keeps_unknown_names() {
    assert_eq!(parse(r#"{"userId": "a"}"#, Some(MessageKind::Track)).unwrap_err().field, "event");
    let m = parse(r#"{"userId": "a", "event": "Something New"}"#, Some(MessageKind::Track)).unwrap();
    assert_eq!(m.name.as_deref(), Some("Something New"));
}

#[test]
fn alias_needs_previous_id_and_matches_it() {
    assert_eq!(parse(r#"{"userId": "a"}"#, Some(MessageKind::Alias)).unwrap_err().field, "previousId");
    let m = parse(r#"{"userId": "a", "previousId": "anon-9"}"#, Some(MessageKind::Alias)).unwrap();
    assert!(m.identifiers.contains(&Identifier { kind: IdentifierKind::PreviousId, value: "anon-9".into() }));
}

#[test]
fn invalid_phone_and_timestamp_name_their_fields() {
    let e = parse(r#"{"userId": "a", "traits": {"phone": "call me"}}"#, Some(MessageKind::Identify)).unwrap_err();
    assert_eq!(e.field, "traits.phone");
    let e = parse(r#"{"userId": "a", "event": "x", "timestamp": "yesterday"}"#, Some(MessageKind::Track)).unwrap_err();
    assert_eq!(e.field, "timestamp");
}

#[test]
fn oversized_message_is_refused() {
    let big = format!(r#"{{"userId": "a", "event": "x", "properties": {{"p": "{}"}}}}"#, "x".repeat(MAX_MESSAGE_BYTES));
    assert!(parse(&big, Some(MessageKind::Track)).unwrap_err().reason.contains("limit"));
}

#[test]
fn missing_message_id_is_derived_from_the_bytes() {
    let a = parse(r#"{"userId": "a", "event": "x"}"#, Some(MessageKind::Track)).unwrap();
    let b = parse(r#"{"userId": "a", "event": "x"}"#, Some(MessageKind::Track)).unwrap();
    let c = parse(r#"{"userId": "a", "event": "y"}"#, Some(MessageKind::Track)).unwrap();
    assert_eq!(a.message_id, b.message_id);
    assert_ne!(a.message_id, c.message_id);
}

#[test]
fn write_key_is_never_kept() {
    let m = parse(r#"{"userId": "a", "event": "x", "writeKey": "secret"}"#, Some(MessageKind::Track)).unwrap();
    assert!(m.payload_value().get("writeKey").is_none());
}

#[test]
fn skew_is_corrected_from_the_batch_sent_at() {
    let arrival = Arrival {
        received_at: now(),
        batch_sent_at: Some(now() + chrono::Duration::hours(1)),
        historical: false,
        batch_context: None,
    };
    let m = Message::parse(
        r#"{"userId": "a", "event": "x", "timestamp": "2026-05-01T12:59:00Z"}"#,
        Some(MessageKind::Track),
        &arrival,
    )
    .unwrap();
    assert_eq!(m.timestamp, now() - chrono::Duration::minutes(1));
}

proptest::proptest! {
    #[test]
    fn parsing_arbitrary_text_never_panics(s in "\\PC{0,200}") {
        let _ = parse(&s, None);
    }

    #[test]
    fn parsing_arbitrary_objects_never_panics(
        user in proptest::option::of("[a-z0-9]{0,8}"),
        kind in "[a-z]{0,9}",
        phone in "[0-9+ -]{0,16}",
    ) {
        let json = serde_json::json!({"type": kind, "userId": user, "traits": {"phone": phone}, "event": "e"});
        let _ = parse(&json.to_string(), None);
    }
}

#[test]
fn untouched_messages_keep_their_bytes_and_changed_ones_are_rewritten() {
    let text = r#"{"type":"track","userId":"a","event":"x","messageId":"m1","extra":[1, 2]}"#;
    let m = parse(text, None).unwrap();
    assert_eq!(m.payload.get(), text);
    let m = parse(r#"{"userId":"a","event":"x"}"#, Some(MessageKind::Track)).unwrap();
    let v = m.payload_value();
    assert_eq!(v["type"], "track");
    assert_eq!(v["messageId"], m.message_id.as_str());
}

#[test]
fn nul_characters_are_refused_with_their_path() {
    let e =
        parse(r#"{"userId":"a","event":"x","properties":{"note":"a\u0000b"}}"#, Some(MessageKind::Track)).unwrap_err();
    assert_eq!(e.field, "properties.note");
}

#[test]
fn a_restored_message_is_the_one_that_arrived() {
    let context = serde_json::json!({"ip": "10.0.0.1"});
    let arrival = Arrival {
        received_at: now(),
        batch_sent_at: Some(now() + chrono::Duration::hours(1)),
        historical: false,
        batch_context: context.as_object(),
    };
    let m = Message::parse(
        r#"{"type": "identify", "userId": "a", "timestamp": "2026-05-01T12:59:00Z", "writeKey": "k",
            "traits": {"phone": "13812345678", "level": 3}}"#,
        None,
        &arrival,
    )
    .unwrap();
    let r = Message::restore(m.payload.get(), m.kind, m.timestamp, m.received_at).unwrap();
    assert_eq!(r.timestamp, now() - chrono::Duration::minutes(1), "the corrected time is kept, not redone");
    assert_eq!(r.received_at, m.received_at);
    assert_eq!(
        (&r.message_id, &r.identifiers, &r.name, &r.traits),
        (&m.message_id, &m.identifiers, &m.name, &m.traits)
    );
    assert_eq!(r.payload.get(), m.payload.get(), "the stored text is unchanged");
    assert_eq!(r.payload_value()["context"]["ip"], "10.0.0.1");
}

fn order(properties: serde_json::Value) -> Result<Message, FieldError> {
    let json = serde_json::json!({"userId": "a", "event": "Order Completed", "properties": properties});
    parse(&json.to_string(), Some(MessageKind::Track))
}

#[test]
fn order_amounts_are_yuan_kept_in_fen_beside_what_was_sent() {
    let m = order(serde_json::json!({"order_id": "o1", "revenue": 128.8,
        "products": [{"sku": "a", "price": 68.8}, {"sku": "b", "price": "60"}, {"sku": "c"}]}))
    .unwrap();
    let v = m.payload_value();
    assert_eq!(v["properties"]["revenue"], 128.8, "what the sender wrote is kept");
    assert_eq!(
        v[crate::money::ANNOTATION]["fen"],
        serde_json::json!({"revenue": 12880, "products[0].price": 6880, "products[1].price": 6000})
    );
    let amounts = crate::money::Amounts::of(&v);
    assert_eq!(amounts.get("revenue", None).get(), 12880);
}

#[test]
fn bad_amounts_are_refused_with_their_path() {
    for (properties, field) in [
        (serde_json::json!({"order_id": "o1", "revenue": "abc"}), "properties.revenue"),
        (serde_json::json!({"order_id": "o1", "revenue": "128.80元"}), "properties.revenue"),
        (serde_json::json!({"order_id": "o1", "revenue": true}), "properties.revenue"),
        (serde_json::json!({"order_id": "o1", "revenue": -1}), "properties.revenue"),
        (serde_json::json!({"order_id": "o1", "revenue": 1e308}), "properties.revenue"),
        (serde_json::json!({"order_id": "o1", "tax": {}}), "properties.tax"),
        (
            serde_json::json!({"order_id": "o1", "products": [{"price": 1}, {"price": []}]}),
            "properties.products[1].price",
        ),
        (serde_json::json!({"order_id": "o1", "products": [7]}), "properties.products[0]"),
        (serde_json::json!({"order_id": "o1", "products": {"price": 1}}), "properties.products"),
        (serde_json::json!({"revenue": 12}), "properties.order_id"),
        (serde_json::json!({"order_id": "", "revenue": 12}), "properties.order_id"),
    ] {
        let e = order(properties.clone()).unwrap_err();
        assert_eq!(e.field, field, "{properties}: {e}");
    }
    let refund = r#"{"userId": "a", "event": "Order Refunded", "properties": {"order_id": "o1", "amount": "x"}}"#;
    assert_eq!(parse(refund, Some(MessageKind::Track)).unwrap_err().field, "properties.amount");
    let coupon = r#"{"userId": "a", "event": "Coupon Issued", "properties": {"value": -5}}"#;
    assert_eq!(parse(coupon, Some(MessageKind::Track)).unwrap_err().field, "properties.value");
}

#[test]
fn unknown_events_keep_their_properties_and_senders_cannot_forge_the_annotation() {
    let m = parse(
        r#"{"userId": "a", "event": "Checkout Started", "properties": {"revenue": "abc"}, "_rekindle": {"fen": {"revenue": 1}}}"#,
        Some(MessageKind::Track),
    )
    .unwrap();
    assert!(m.payload_value().get(crate::money::ANNOTATION).is_none());
    let m = order(serde_json::json!({"order_id": "o1", "revenue": 5})).unwrap();
    let forged = m.payload.get().replace("500", "99999999");
    assert_ne!(forged, m.payload.get());
    let r = Message::restore(&forged, m.kind, m.timestamp, m.received_at).unwrap();
    assert_eq!(r.payload_value()[crate::money::ANNOTATION]["fen"]["revenue"], 500, "recomputed from what was sent");
}

#[test]
fn restoring_keeps_annotated_amounts_and_leaves_pre_upgrade_messages_in_fen() {
    let m = order(serde_json::json!({"order_id": "o1", "revenue": "59.90"})).unwrap();
    let r = Message::restore(m.payload.get(), m.kind, m.timestamp, m.received_at).unwrap();
    assert_eq!(r.payload_value(), m.payload_value(), "restoring a parsed message changes nothing");
    // Kept in an inbox by a version that read amounts as fen: restored as it was accepted.
    let old =
        r#"{"type":"track","userId":"a","event":"Order Completed","messageId":"m1","properties":{"revenue":5990}}"#;
    let r = Message::restore(old, MessageKind::Track, now(), now()).unwrap();
    assert_eq!(r.payload.get(), old);
    assert_eq!(crate::money::Amounts::of(&r.payload_value()).get("revenue", Some(&5990.into())).get(), 5990);
}

#[test]
fn subscription_prices_are_yuan_checked_at_ingestion_and_folded_alike() {
    let start = |price: serde_json::Value| {
        let json = serde_json::json!({"userId": "a", "event": "Subscription Started",
            "properties": {"subscription_id": "s1", "sku": "milk", "every_days": 7, "price": price}});
        parse(&json.to_string(), Some(MessageKind::Track))
    };
    let m = start(serde_json::json!("12.90")).unwrap();
    let v = m.payload_value();
    assert_eq!(v[crate::money::ANNOTATION]["fen"]["price"], 1290);
    let mut book = crate::subscription::Book::default();
    let who = crate::PersonId(uuid::Uuid::nil());
    assert!(book.apply(who, m.timestamp, "Subscription Started", &v["properties"]));
    assert_eq!(book.subscriptions["s1"].started().unwrap().1.unit_price_fen, 1290, "the fold reads the same fen");
    for bad in [serde_json::json!("12.9元"), serde_json::json!(-1), serde_json::json!(true)] {
        assert_eq!(start(bad.clone()).unwrap_err().field, "properties.price", "{bad}");
    }
    let change =
        r#"{"userId": "a", "event": "Subscription Changed", "properties": {"subscription_id": "s1", "price": "abc"}}"#;
    assert_eq!(parse(change, Some(MessageKind::Track)).unwrap_err().field, "properties.price");
    let none =
        r#"{"userId": "a", "event": "Subscription Changed", "properties": {"subscription_id": "s1", "quantity": 2}}"#;
    assert!(parse(none, Some(MessageKind::Track)).is_ok(), "no price is no change of price");
}

#[test]
fn an_identify_names_how_its_traits_change_the_person() {
    let at = chrono::DateTime::parse_from_rfc3339("2026-12-01T00:00:00Z").unwrap().to_utc();
    let parse = |v: serde_json::Value| Message::parse(&v.to_string(), None, &Arrival::live(at));
    let m = parse(serde_json::json!({"type": "identify", "userId": "u", "traitsUpdate": "increment",
        "traits": {"visits": 1}, "context": {"traits": {"phone": "13800138000"}}}))
    .unwrap();
    assert_eq!(
        m.update,
        Some((TraitsUpdate::Increment, serde_json::json!({"visits": 1}).as_object().cloned().unwrap()))
    );
    // context.traits are still written over: they name the person.
    assert_eq!(m.traits["phone"], "13800138000");
    let e = parse(
        serde_json::json!({"type": "identify", "userId": "u", "traitsUpdate": "increment", "traits": {"visits": "x"}}),
    )
    .unwrap_err();
    assert_eq!(e.field, "traits.visits");
    let e =
        parse(serde_json::json!({"type": "track", "event": "A", "userId": "u", "traitsUpdate": "unset"})).unwrap_err();
    assert_eq!(e.field, "traitsUpdate");
    let plain = parse(serde_json::json!({"type": "identify", "userId": "u", "traits": {"a": 1}})).unwrap();
    assert_eq!(plain.update, None);
    assert_eq!(plain.traits["a"], 1);
}
