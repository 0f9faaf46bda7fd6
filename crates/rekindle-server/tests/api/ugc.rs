//! UGC over HTTP (issue 21): a customer's photo and recipe arrive as `UGC Submitted`, wait in
//! the review queue, are approved or rejected in the console; approval is a `UGC Reviewed`
//! event the shipped 晒单奖励 journey pays on (points, the 社区达人 tag, a coupon), once per
//! approval; the approved ones are the product's library.

use std::time::Duration;

use rekindle_core::access::Role;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::helpers::{TestApp, spawn_app_at, token_for};

async fn answer(r: reqwest::Response) -> (StatusCode, Value) {
    (r.status(), r.json().await.unwrap_or(Value::Null))
}

async fn submitted(app: &TestApp) {
    let batch = json!({"batch": [
        {"type": "identify", "userId": "amy", "messageId": "id-amy", "timestamp": "2026-05-20T02:00:00Z",
         "traits": {"nickname": "Amy 13800138000", "phone": "13800138000"}},
        {"type": "track", "userId": "amy", "event": "UGC Submitted", "messageId": "ugc-1", "timestamp": "2026-05-20T02:10:00Z",
         "properties": {"ugc_id": "u1", "kind": "recipe", "text": "草莓酸奶杯，电话 13800138000", "media": ["https://img.example.com/1.jpg"],
                        "order_id": "o1", "products": [{"sku": "berry-1"}]}},
        {"type": "track", "userId": "amy", "event": "UGC Submitted", "messageId": "ugc-2", "timestamp": "2026-05-20T02:20:00Z",
         "properties": {"ugc_id": "u2", "kind": "photo", "sku": "berry-1"}},
    ]});
    assert_eq!(app.post("/v1/batch", &batch).await.status(), 200);
    app.events().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ugc_is_reviewed_and_approval_is_rewarded_once() {
    let app = spawn_app_at("2026-05-20T04:00:00Z").await;
    let (status, journey) =
        answer(app.send(Method::POST, "/api/v1/journeys", &json!({"shipped": "ugc_reward"})).await).await;
    assert_eq!(status, StatusCode::CREATED, "{journey}");
    let id = journey["id"].as_i64().unwrap();
    let (status, b) = answer(app.send(Method::POST, &format!("/api/v1/journeys/{id}/publish"), &json!({})).await).await;
    assert_eq!(status, StatusCode::OK, "{b}");
    submitted(&app).await;

    let queue = app.api_json("/api/v1/ugc").await;
    assert_eq!(queue["pending"], 2, "{queue}");
    assert_eq!(queue["items"][0]["id"], "u1", "oldest first");
    assert_eq!(queue["items"][0]["skus"], json!(["berry-1"]));

    let review = |id: &str, body: Value| {
        let app = &app;
        let path = format!("/api/v1/ugc/{id}/review");
        async move { answer(app.send(Method::POST, &path, &body).await).await }
    };
    let (status, row) = review("u1", json!({"decision": "approved"})).await;
    assert_eq!((status, &row["status"]), (StatusCode::OK, &json!("approved")), "{row}");
    let (status, row) = review("u2", json!({"decision": "rejected", "reason": "图片看不清"})).await;
    assert_eq!((status, &row["review"]["reason"]), (StatusCode::OK, &json!("图片看不清")), "{row}");
    assert_eq!(app.api_json("/api/v1/ugc").await["pending"], 0);
    let library = app.api_json("/api/v1/ugc/library?sku=berry-1").await;
    assert_eq!(library.as_array().unwrap().iter().map(|i| i["id"].clone()).collect::<Vec<_>>(), [json!("u1")]);

    // The approval pays: 50 points (beside the 20 the loyalty program gives each submission),
    // the tag and the coupon, once.
    let rewarded = |points: &Value| {
        points["entries"]
            .as_array()
            .map_or(0, |e| e.iter().filter(|e| e["reason"] == "晒单奖励" && e["points"] == 50).count())
    };
    let mut paid = false;
    for _ in 0..100 {
        let points = app.api_json("/api/v1/people/amy/points").await;
        let profile = app.api_json("/api/v1/people/amy/profile").await;
        if rewarded(&points) == 1 && profile["tags"].to_string().contains("社区达人") {
            paid = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(paid, "{}", app.api_json("/api/v1/people/amy/points").await);
    let coupons = app
        .store
        .person_coupons(
            app.ws,
            app.store
                .person(
                    app.ws,
                    &rekindle_store::PersonRef::Identifier(rekindle_core::Identifier {
                        kind: rekindle_core::IdentifierKind::UserId,
                        value: "amy".into(),
                    }),
                )
                .await
                .unwrap()
                .unwrap()
                .id,
        )
        .await
        .unwrap();
    assert_eq!(coupons.iter().filter(|c| c.coupon == "晒单礼5元").count(), 1, "{coupons:?}");
}

#[tokio::test]
async fn bad_reviews_are_refused_and_roles_hold() {
    let app = spawn_app_at("2026-05-20T04:00:00Z").await;
    submitted(&app).await;
    for (path, body, field) in [
        ("/api/v1/ugc/u1/review", json!({"decision": "maybe"}), "decision"),
        ("/api/v1/ugc/u1/review", json!({"decision": "approved", "reason": "x".repeat(201)}), "reason"),
        ("/api/v1/ugc/u1/review", json!({"decision": "approved", "extra": 1}), "extra"),
        ("/api/v1/ugc/u1/review", json!({"decision": 1}), "decision"),
    ] {
        let (status, b) = answer(app.send(Method::POST, path, &body).await).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{body}: {b}");
        assert!(b.to_string().contains(field), "{field}: {b}");
    }
    let (status, _) =
        answer(app.send(Method::POST, "/api/v1/ugc/nope/review", &json!({"decision": "approved"})).await).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    for bad in ["/api/v1/ugc?status=x", "/api/v1/ugc?limit=0", "/api/v1/ugc/library"] {
        assert_eq!(app.api(bad).await.status(), StatusCode::BAD_REQUEST, "{bad}");
    }
    assert!(!app.events().await.iter().any(|e| e.name.as_deref() == Some("UGC Reviewed")), "nothing written");

    let analyst = token_for(&app, Role::Analyst).await;
    let get = |path: &str| app.client.get(format!("{}{path}", app.base)).bearer_auth(&analyst).send();
    let queue: Value = get("/api/v1/ugc").await.unwrap().json().await.unwrap();
    let text = queue["items"][0]["text"].as_str().unwrap();
    assert!(!text.contains("13800138000"), "{text}");
    assert!(!queue["items"][0]["name"].as_str().unwrap().contains("13800138000"));
    let r = app
        .client
        .post(format!("{}/api/v1/ugc/u1/review", app.base))
        .bearer_auth(&analyst)
        .json(&json!({"decision": "approved"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    assert!(app.api("/api/v1/ugc?workspace=elsewhere").await.status().is_client_error());
}
