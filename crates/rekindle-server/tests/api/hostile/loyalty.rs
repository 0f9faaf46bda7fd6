//! Hostile input: points. Deep, huge and mistyped bodies are 4xx naming the field; a write
//! key reaches only its own store's members; a key with control characters or one of 10,000
//! characters is refused, not stored; injected text is only text.

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::helpers::{TestApp, spawn_app};

use super::answer;

async fn system(app: &TestApp, path: &str, body: &[u8]) -> (StatusCode, Value) {
    let r = app
        .client
        .post(format!("{}{path}", app.base))
        .basic_auth(&app.key, Some(""))
        .header("content-type", "application/json")
        .body(body.to_vec())
        .send()
        .await
        .unwrap();
    answer(r).await
}

#[tokio::test]
async fn hostile_redemption_bodies_are_refused_by_field_and_nothing_is_written() {
    let app = spawn_app().await;
    let who = json!({"type": "identify", "userId": "u1", "messageId": "id-u1"});
    assert_eq!(app.post("/v1/identify", &who).await.status(), 200);
    app.events().await;
    let deep = format!("{}1{}", "[".repeat(5000), "]".repeat(5000));
    let huge = format!("{{\"user_id\": \"u1\", \"points\": 1, \"key\": \"{}\"}}", "k".repeat(3 << 20));
    let cases: Vec<(Vec<u8>, StatusCode)> = vec![
        (deep.into_bytes(), StatusCode::BAD_REQUEST),
        (huge.into_bytes(), StatusCode::PAYLOAD_TOO_LARGE),
        (b"{\"user_id\": \"u1\", \"points\": 1e30, \"key\": \"k\"}".to_vec(), StatusCode::BAD_REQUEST),
        (b"{\"user_id\": \"u1\", \"points\": -5, \"key\": \"k\"}".to_vec(), StatusCode::BAD_REQUEST),
        (b"{\"user_id\": \"u1\", \"points\": 5, \"key\": \"a\\u0000b\"}".to_vec(), StatusCode::BAD_REQUEST),
        (b"{\"user_id\": \"u1' OR 1=1 --\", \"points\": 5, \"key\": \"k\"}".to_vec(), StatusCode::NOT_FOUND),
        (b"not json".to_vec(), StatusCode::BAD_REQUEST),
    ];
    for (body, expected) in cases {
        let (status, b) = system(&app, "/v1/points/redemptions", &body).await;
        assert_eq!(status, expected, "{}: {b}", String::from_utf8_lossy(&body[..body.len().min(60)]));
        assert!(b["code"].is_string(), "a JSON error: {b}");
    }
    // An injected key is a key like any other: stored as text, and the same text again.
    let key = "k'); DROP TABLE points_entries; --";
    let adjust = json!({"key": "gift", "points": 100, "reason": "<script>alert(1)</script>"});
    assert_eq!(app.send(Method::POST, "/api/v1/people/u1/points/adjustments", &adjust).await.status(), 200);
    let body = serde_json::to_vec(&json!({"user_id": "u1", "points": 50, "key": key})).unwrap();
    assert_eq!(system(&app, "/v1/points/redemptions", &body).await.0, StatusCode::CREATED);
    let ledger = app.api_json("/api/v1/people/u1/points").await;
    assert_eq!(ledger["summary"]["balance"], 50);
    assert_eq!(ledger["entries"][0]["source"], format!("redeem:{key}"));
    assert_eq!(ledger["entries"][1]["reason"], "<script>alert(1)</script>", "stored as text; the console escapes it");
}

#[tokio::test]
async fn a_write_key_reaches_only_its_own_stores_members() {
    let app = spawn_app().await;
    let north = app.store.create_workspace("north", "North", "Asia/Shanghai").await.unwrap().id;
    let arrival = rekindle_core::message::Arrival::live(chrono::Utc::now());
    let who = json!({"type": "identify", "userId": "n1", "messageId": "id-n1"});
    let m = rekindle_core::Message::parse(&who.to_string(), None, &arrival).unwrap();
    app.store
        .append(
            north,
            vec![m],
            &rekindle_store::Source("test".into()),
            &rekindle_core::identity::IdentityPolicy::default(),
        )
        .await
        .unwrap();
    // The default store's write key does not know the north store's member.
    let r = app
        .client
        .get(format!("{}/v1/points/members/n1", app.base))
        .basic_auth(&app.key, Some(""))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
    let body = serde_json::to_vec(&json!({"user_id": "n1", "points": 1, "key": "x"})).unwrap();
    assert_eq!(system(&app, "/v1/points/redemptions", &body).await.0, StatusCode::NOT_FOUND);
    // Nor does an owner of the default store, asking for north.
    let owner = crate::helpers::token_for(&app, rekindle_core::access::Role::Owner).await;
    for path in [
        "/api/v1/people/n1/points?workspace=north",
        "/api/v1/loyalty/program?workspace=north",
        "/api/v1/people/n1/points",
    ] {
        let r = app.client.get(format!("{}{path}", app.base)).bearer_auth(&owner).send().await.unwrap();
        assert_eq!(r.status(), StatusCode::NOT_FOUND, "{path}");
    }
}

#[tokio::test]
async fn hostile_figures_queries_and_award_points_steps_are_refused_by_field() {
    let app = spawn_app().await;
    for q in
        ["grain=month%27%20OR%201%3D1", "grain=%E6%9C%88", "periods=-1", "periods=99999999999999999999", "periods=1e3"]
    {
        let (status, body) = answer(app.api(&format!("/api/v1/loyalty/figures?{q}")).await).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{q}: {body}");
        assert!(matches!(body["field"].as_str(), Some("grain" | "periods")), "{q}: {body}");
    }
    let journey = |step: Value| {
        let name = format!("积分{}", step.to_string().len());
        json!({"name": name, "definition": {"trigger": {"type": "event", "event": "Order Completed"}, "steps": [step]}})
    };
    let steps = [
        (json!({"id": "a", "type": "award_points", "points": 0}), "steps[0].points"),
        (json!({"id": "a", "type": "award_points", "points": 100_000_001}), "steps[0].points"),
        (json!({"id": "a", "type": "award_points", "points": 5, "reason": "长".repeat(201)}), "steps[0].reason"),
        (json!({"id": "a", "type": "award_points", "points": 5, "reason": "  "}), "steps[0].reason"),
    ];
    // A draft keeps its problems, each naming its field; publishing it is refused.
    for (step, field) in steps {
        let (status, draft) = answer(app.send(Method::POST, "/api/v1/journeys", &journey(step.clone())).await).await;
        assert!(status.is_success(), "{step}: {draft}");
        let fields: Vec<&str> =
            draft["problems"].as_array().unwrap().iter().filter_map(|p| p["field"].as_str()).collect();
        assert_eq!(fields, [field], "{step}: {draft}");
        let publish = format!("/api/v1/journeys/{}/publish", draft["id"]);
        let (status, body) = answer(app.send(Method::POST, &publish, &json!({})).await).await;
        assert!(status.is_client_error(), "{step}: {status} {body}");
    }
    let typed = json!({"id": "a", "type": "award_points", "points": "many"});
    let (status, body) = answer(app.send(Method::POST, "/api/v1/journeys", &journey(typed)).await).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
}

#[tokio::test]
async fn another_workspaces_figures_and_program_are_out_of_reach() {
    let app = spawn_app().await;
    let north = app.store.create_workspace("north", "North", "Asia/Shanghai").await.unwrap().id;
    let program = rekindle_core::loyalty::Program { points_per_yuan: 100, ..Default::default() };
    app.store.put_loyalty_program(north, &program, chrono::Utc::now()).await.unwrap();
    let owner = crate::helpers::token_for(&app, rekindle_core::access::Role::Owner).await;
    for path in ["/api/v1/loyalty/figures?workspace=north", "/api/v1/loyalty/program?workspace=north"] {
        let r = app.client.get(format!("{}{path}", app.base)).bearer_auth(&owner).send().await.unwrap();
        assert!(r.status().is_client_error(), "{path}: {}", r.status());
        let body = r.text().await.unwrap();
        assert!(!body.contains("\"points_per_yuan\":100"), "{path}: {body}");
    }
    // Their own store's program is the defaults, not north's.
    let r = app.client.get(format!("{}/api/v1/loyalty/program", app.base)).bearer_auth(&owner).send().await.unwrap();
    assert_eq!(r.json::<Value>().await.unwrap()["points_per_yuan"], 50);
}
