use serde_json::json;

use crate::helpers::{gzip, spawn_app};

#[tokio::test]
async fn every_endpoint_accepts_its_message_type() {
    let app = spawn_app().await;
    let cases = [
        ("/v1/identify", json!({"userId": "u1", "traits": {"nickname": "小李"}})),
        ("/v1/track", json!({"userId": "u1", "event": "Live Entered", "properties": {"session_id": "s1"}})),
        ("/v1/page", json!({"userId": "u1", "name": "商品详情"})),
        ("/v1/screen", json!({"userId": "u1", "name": "直播间"})),
        ("/v1/group", json!({"userId": "u1", "groupId": "g-1", "traits": {"group_name": "鲜果团 1 群"}})),
        ("/v1/alias", json!({"userId": "u1", "previousId": "anon-1"})),
    ];
    for (path, body) in &cases {
        let r = app.post(path, body).await;
        assert_eq!(r.status(), 200, "{path}");
        assert_eq!(r.json::<serde_json::Value>().await.unwrap(), json!({"success": true}));
    }
    let events = app.events().await;
    assert_eq!(events.len(), cases.len());
    let kinds: std::collections::BTreeSet<&str> = events.iter().map(|e| e.kind.as_str()).collect();
    assert_eq!(kinds.len(), 6);
}

#[tokio::test]
async fn real_client_quirks_are_accepted() {
    let app = spawn_app().await;
    // anonymousId null, extra top-level keys, writeKey in the body instead of the header,
    // gzip, a batch-level sentAt and context.
    let body = json!({
        "batch": [{"type": "track", "userId": "u1", "anonymousId": null, "event": "Order Completed",
                   "messageId": "m1", "timestamp": "2026-05-01T12:00:00Z", "integrations": {}, "_metadata": {"x": 1},
                   "properties": {"order_id": "o1"}}],
        "sentAt": "2026-05-01T12:00:01Z",
        "writeKey": app.key,
        "context": {"library": {"name": "analytics-python", "version": "2.3.3"}},
    });
    let r = app
        .client
        .post(format!("{}/v1/batch", app.base))
        .header("content-type", "application/json")
        .header("content-encoding", "gzip")
        .body(gzip(&serde_json::to_vec(&body).unwrap()))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200, "{}", r.text().await.unwrap());
    let events = app.events().await;
    assert_eq!(events.len(), 1);
    assert_eq!(events[0].payload["_metadata"]["x"], 1, "unknown keys are kept");
    assert_eq!(events[0].payload["context"]["library"]["name"], "analytics-python");
    assert!(events[0].payload.get("writeKey").is_none());
    // A server library's explicit timestamp is kept.
    assert_eq!(events[0].timestamp.to_rfc3339(), "2026-05-01T12:00:00+00:00");
}

#[tokio::test]
async fn device_clock_skew_is_corrected_from_sent_at() {
    let app = spawn_app().await;
    // The phone's clock is ten days ahead; the event happened 5 s before it was sent.
    let now = chrono::Utc::now() + chrono::Duration::days(10);
    let body = json!({"batch": [{"type": "track", "userId": "u1", "event": "Live Liked",
        "timestamp": (now - chrono::Duration::seconds(5)).to_rfc3339(),
        "context": {"library": {"name": "analytics-miniprogram"}}}], "sentAt": now.to_rfc3339()});
    assert_eq!(app.post("/v1/batch", &body).await.status(), 200);
    let e = &app.events().await[0];
    let lag = e.received_at - e.timestamp;
    assert!((4_000..=6_000).contains(&lag.num_milliseconds()), "corrected to ~5 s before receipt, got {lag}");
}

#[tokio::test]
async fn import_keeps_historical_timestamps() {
    let app = spawn_app().await;
    let body = json!({"batch": [{"type": "track", "userId": "u1", "event": "Order Completed",
        "timestamp": "2025-01-01T08:00:00+08:00", "properties": {"order_id": "o1"}}], "sentAt": chrono::Utc::now().to_rfc3339()});
    assert_eq!(app.post("/v1/import", &body).await.status(), 200);
    assert_eq!(app.events().await[0].timestamp.to_rfc3339(), "2025-01-01T00:00:00+00:00");
}

#[tokio::test]
async fn retries_never_double_count() {
    let app = spawn_app().await;
    let batch = json!({"batch": (0..100).map(|i| json!({"type": "track", "userId": format!("u{}", i % 10),
        "event": "Live Watched", "messageId": format!("m{i}")})).collect::<Vec<_>>()});
    for _ in 0..3 {
        assert_eq!(app.post("/v1/batch", &batch).await.status(), 200);
    }
    assert_eq!(app.events().await.len(), 100);
    assert_eq!(app.store.totals(app.ws).await.unwrap().people, 10);
}

#[tokio::test]
async fn identifiers_arriving_in_pieces_make_one_person() {
    let app = spawn_app().await;
    let steps = [
        json!({"type": "track", "anonymousId": "dev-9", "event": "Live Entered"}),
        json!({"type": "identify", "anonymousId": "dev-9", "traits": {"wechat_openid": "oX9"}}),
        json!({"type": "identify", "userId": "member-9", "traits": {"wechat_openid": "oX9", "phone": "+86 139 0000 0009"}}),
        json!({"type": "track", "userId": "member-9", "event": "Order Completed", "properties": {"order_id": "o9"}}),
    ];
    for s in &steps {
        assert_eq!(app.post("/v1/batch", &json!({"batch": [s]})).await.status(), 200);
    }
    let person = app.api_json("/api/v1/people/phone:13900000009").await;
    assert_eq!(person["identities"].as_array().unwrap().len(), 4);
    let events = app.api_json(&format!("/api/v1/people/{}/events", person["id"].as_str().unwrap())).await;
    assert_eq!(events["events"].as_array().unwrap().len(), 4);
}
