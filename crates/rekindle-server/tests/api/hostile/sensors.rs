//! Hostile input: Sensors Data uploads. Nesting past any real record, types and unicode where
//! the SDKs put text, injection in names and ids, a write key of one workspace reaching for
//! another's people and products, and an analyst reading a Sensors record's ids.

use base64::Engine;
use rekindle_core::access::Role;
use serde_json::{Value, json};

use crate::helpers::{TestApp, spawn_app, token_for};

fn upload(records: &Value) -> String {
    let b64 = base64::engine::general_purpose::STANDARD.encode(records.to_string());
    format!("data_list={}", percent_encoding::utf8_percent_encode(&b64, percent_encoding::NON_ALPHANUMERIC))
}

async fn send(app: &TestApp, key: &str, body: String) -> (u16, Value) {
    let r = app.client.post(format!("{}/sa?token={key}", app.base)).body(body).send().await.unwrap();
    (r.status().as_u16(), r.json().await.unwrap_or(Value::Null))
}

#[tokio::test]
async fn nesting_types_and_unicode_are_answered_and_kept_verbatim() {
    let app = spawn_app().await;
    // 10,000 levels of nesting is refused as JSON, not a stack overflow.
    let deep = format!(
        "[{{\"type\":\"track\",\"event\":\"e\",\"distinct_id\":\"d\",\"properties\":{{\"p\":{}1{}}}}}]",
        "[".repeat(10_000),
        "]".repeat(10_000)
    );
    let body = format!(
        "data_list={}",
        base64::engine::general_purpose::STANDARD
            .encode(deep)
            .replace('+', "%2B")
            .replace('/', "%2F")
            .replace('=', "%3D")
    );
    let (status, answer) = send(&app, &app.key, body).await;
    assert_eq!(status, 400, "{answer}");
    assert_eq!((answer["code"].as_str(), answer["field"].as_str()), (Some("invalid_json"), Some("data_list[0]")));
    for (record, field) in [
        (json!({"type": ["track"], "distinct_id": "d"}), "data_list[0].type"),
        (json!({"type": "track", "event": 7, "distinct_id": "d"}), "data_list[0].event"),
        (json!({"type": "track", "event": "e", "distinct_id": true}), "data_list[0].distinct_id"),
        (json!({"type": "track", "event": "e", "distinct_id": "d", "identities": "login"}), "data_list[0].identities"),
        (json!({"type": "track", "event": "e", "distinct_id": "d", "time": 1.5}), "data_list[0].time"),
        (json!({"type": "track", "event": "e", "distinct_id": "d\u{0}x"}), "data_list[0].distinct_id"),
        (
            json!({"type": "profile_append", "distinct_id": "d", "properties": {"tags": [{"x": 1}]}}),
            "data_list[0].traits.tags",
        ),
    ] {
        let (status, answer) = send(&app, &app.key, upload(&json!([record]))).await;
        assert_eq!((status, answer["field"].as_str()), (400, Some(field)), "{record}: {answer}");
    }
    assert!(app.events().await.is_empty());
    // Unicode, emoji and injection are names and ids like any other: stored as sent.
    let name = "直播下单🎉'; DROP TABLE events;--";
    let id = "顾客<script>alert(1)</script>";
    let (status, answer) =
        send(&app, &app.key, upload(&json!([{"type": "track", "event": name, "distinct_id": id, "_track_id": 1}])))
            .await;
    assert_eq!(status, 200, "{answer}");
    let events = app.events().await;
    assert_eq!(events.len(), 1);
    assert_eq!(events[0].name.as_deref(), Some(name));
    assert_eq!(events[0].payload["anonymousId"], id);
}

#[tokio::test]
async fn a_write_key_reaches_only_its_own_workspace_and_an_analyst_sees_no_id_in_full() {
    let app = spawn_app().await;
    let north = app.store.create_workspace("north", "北店", "Asia/Shanghai").await.unwrap().id;
    let (north_key, _) = rekindle_ingest::write_keys::create(&*app.store, north, "north").await.unwrap().unwrap();
    let records = json!([
        {"type": "track", "event": "LiveWatched", "distinct_id": "member-8800", "_track_id": 9,
         "identities": {"$identity_login_id": "member-8800", "$identity_mobile": "13912345678", "$identity_cookie_id": "cookie-abc-123"},
         "properties": {"$is_login_id": true, "$ip": "10.9.8.7", "session_id": "s1", "seconds": 30}},
        {"type": "item_set", "item_type": "product", "item_id": "north-only", "properties": {"name": "北店商品", "price": 1}},
    ]);
    assert_eq!(send(&app, &north_key, upload(&records)).await.0, 200);
    assert!(app.events().await.is_empty(), "nothing in the default workspace");
    assert!(app.api_json("/api/v1/products").await.as_array().unwrap().is_empty());
    let north_products = app.api_json("/api/v1/products?workspace=north").await;
    assert_eq!(north_products[0]["sku"], "north-only");

    let analyst = token_for(&app, Role::Analyst).await;
    assert_eq!(
        app.client
            .get(format!("{}/api/v1/events?workspace=north", app.base))
            .bearer_auth(&analyst)
            .send()
            .await
            .unwrap()
            .status(),
        404,
        "to an operator of one workspace, another's does not exist"
    );
    // The same upload in the analyst's own workspace: its ids are masked wherever they sit.
    assert_eq!(send(&app, &app.key, upload(&records)).await.0, 200);
    let body = app
        .client
        .get(format!("{}/api/v1/events?limit=10", app.base))
        .bearer_auth(&analyst)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(body.contains("context"), "{body}");
    for leaked in ["member-8800", "13912345678", "cookie-abc-123", "10.9.8.7"] {
        assert!(!body.contains(leaked), "{leaked} shown to an analyst: {body}");
    }
}
