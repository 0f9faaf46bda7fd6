//! Hostile input: subscriptions. Deep, huge, array and mistyped bodies are 4xx naming the
//! field and write nothing; odd subscription ids are unknown subscriptions; injected text in a
//! cancel reason is only text and masked for roles without personal data; roles without the
//! permission are refused; another store's subscriptions do not exist; the answer page
//! escapes what it shows and refuses forged tokens.

use rekindle_core::access::Role;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::helpers::{ADMIN, TestApp, spawn_app_at, token_for};

use super::{answer, raw};

async fn started(app: &TestApp) {
    let batch = json!({"batch": [
        {"type": "identify", "userId": "u1", "messageId": "i1", "traits": {"nickname": "13800138000", "phone": "13800138000"}},
        {"type": "track", "event": "Subscription Started", "userId": "u1", "messageId": "s",
         "properties": {"subscription_id": "s1", "sku": "<b>milk</b>", "every_days": 7, "price": 9.9}},
    ]});
    assert_eq!(app.post("/v1/batch", &batch).await.status(), StatusCode::OK);
    app.events().await;
}

#[tokio::test]
async fn hostile_subscription_bodies_are_refused_by_field_and_write_nothing() {
    let app = spawn_app_at("2027-01-01T02:00:00Z").await;
    started(&app).await;
    let before = app.events().await.len();
    let deep = format!("{}1{}", "[".repeat(5000), "]".repeat(5000)).into_bytes();
    let huge = format!("{{\"reason\": \"{}\"}}", "x".repeat(3 << 20)).into_bytes();
    for (method, path) in
        [(Method::POST, "/api/v1/subscriptions/s1/actions"), (Method::PUT, "/api/v1/subscriptions/settings")]
    {
        for (what, body, expected) in [
            ("deep", deep.clone(), StatusCode::BAD_REQUEST),
            ("huge", huge.clone(), StatusCode::PAYLOAD_TOO_LARGE),
            ("not json", b"{\"a\": ".to_vec(), StatusCode::BAD_REQUEST),
            ("an array", b"[]".to_vec(), StatusCode::BAD_REQUEST),
        ] {
            let (status, b) = raw(&app, method.clone(), path, ADMIN, body).await;
            assert_eq!(status, expected, "{what} to {method} {path}: {b}");
            assert!(b["code"].is_string() && b["field"].is_string(), "{what} to {path}: {b}");
        }
    }
    let actions = [
        (json!({"action": "teleport"}), "action"),
        (json!({"action": "confirm", "ship_on": "soon"}), "ship_on"),
        (json!({"action": "confirm", "ship_on": 20270108}), "ship_on"),
        (json!({"action": "pause", "extra": 1}), "body"),
        (json!({"action": "reschedule", "ship_on": "2027-01-08", "to": "2027-02-30"}), "to"),
        (json!({"action": "cancel", "reason": "a\u{0}b"}), "reason"),
        (json!({"action": "cancel", "reason": "x".repeat(201)}), "reason"),
    ];
    for (body, field) in actions {
        let (status, b) = answer(app.send(Method::POST, "/api/v1/subscriptions/s1/actions", &body).await).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{body:.80}: {b}");
        let got = b["field"].as_str().unwrap_or_default();
        assert!(got == field || got == "body", "{body:.80}: {b}");
    }
    for (body, field) in [
        (json!({"ask_days_before": -1}), "ask_days_before"),
        (json!({"ask_days_before": 31}), "ask_days_before"),
        (json!({"ask_at": "25:00"}), "ask_at"),
        (json!({"on_no_answer": "maybe"}), "on_no_answer"),
        (json!({"ask_days_before": 1, "ask_at": "21:00"}), "cutoff_at"),
    ] {
        let (status, b) = answer(app.send(Method::PUT, "/api/v1/subscriptions/settings", &body).await).await;
        assert_eq!((status, b["field"].as_str()), (StatusCode::BAD_REQUEST, Some(field)), "{body}: {b}");
    }
    for q in ["status=frozen", "limit=0", "limit=abc"] {
        let (status, b) = answer(app.api(&format!("/api/v1/subscriptions?{q}")).await).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{q}: {b}");
    }
    for q in ["from=2027-01-10&to=2027-01-01", "from=2027-01-01&to=2029-01-01", "from=yesterday"] {
        let (status, b) = answer(app.api(&format!("/api/v1/subscriptions/schedule?{q}")).await).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{q}: {b}");
        assert!(b["field"].is_string(), "{b}");
    }
    assert_eq!(app.events().await.len(), before, "nothing refused was written");
}

#[tokio::test]
async fn odd_ids_roles_other_stores_and_forged_links() {
    let app = spawn_app_at("2027-01-01T02:00:00Z").await;
    started(&app).await;
    for id in ["' OR 1=1 --", "..%2F..%2Fetc", "%E2%80%AEs1", &"s".repeat(5000)] {
        let (status, b) = answer(
            app.send(Method::POST, &format!("/api/v1/subscriptions/{id}/actions"), &json!({"action": "pause"})).await,
        )
        .await;
        assert!(status == StatusCode::NOT_FOUND || status == StatusCode::BAD_REQUEST, "{id:.20}: {status} {b}");
        assert!(b["code"].is_string(), "{b}");
    }
    // Roles: an analyst reads (masked), may not act or change settings.
    let analyst = token_for(&app, Role::Analyst).await;
    let (status, _) =
        raw(&app, Method::POST, "/api/v1/subscriptions/s1/actions", &analyst, br#"{"action": "pause"}"#.to_vec()).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, _) = raw(&app, Method::PUT, "/api/v1/subscriptions/settings", &analyst, b"{}".to_vec()).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let r = app.client.get(format!("{}/api/v1/subscriptions", app.base)).bearer_auth(&analyst).send().await.unwrap();
    let list: Value = r.json().await.unwrap();
    let name = list["subscriptions"][0]["name"].as_str().unwrap();
    assert!(!name.contains("13800138000"), "a phone in a nickname is masked: {name}");
    // Another store has no such subscription.
    app.store.create_workspace("north", "北店", "Asia/Shanghai").await.unwrap();
    for path in ["/api/v1/subscriptions/s1?workspace=north", "/api/v1/people/u1/subscriptions?workspace=north"] {
        assert_eq!(app.api(path).await.status(), StatusCode::NOT_FOUND, "{path}");
    }
    assert_eq!(app.api_json("/api/v1/subscriptions?workspace=north").await["total"], 0);
    // Forged links: refused in Chinese, the page escapes nothing it did not make.
    for token in ["x", "a.b", "<script>.x", &"A".repeat(3000)] {
        let r = app.client.get(format!("{}/s/{token}", app.base)).send().await.unwrap();
        assert_eq!(r.status(), StatusCode::BAD_REQUEST, "{token:.20}");
        let html = r.text().await.unwrap();
        assert!(html.contains("链接无效") && !html.contains("<script>"), "{html:.200}");
        let r = app
            .client
            .post(format!("{}/s/{token}", app.base))
            .json(&json!({"action": "confirm"}))
            .send()
            .await
            .unwrap();
        let (status, b) = answer(r).await;
        assert_eq!((status, b["field"].as_str()), (StatusCode::BAD_REQUEST, Some("token")), "{b}");
    }
}
