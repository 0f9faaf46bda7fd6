//! Hostile input: money. Amounts in events are yuan (Segment's e-commerce spec), parsed exactly
//! into fen at ingestion; anything that is not a bounded, non-negative amount is a 400 naming
//! the property, and nothing of the request is stored.

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::{TestApp, spawn_app};

fn order(user: &str, id: &str, properties: Value) -> Value {
    let mut properties = properties;
    properties["order_id"] = json!(id);
    json!({"type": "track", "userId": user, "event": "Order Completed", "properties": properties})
}

/// The answer must be a 400 `invalid_field` naming `field`, with a reason.
async fn refused(r: reqwest::Response, field: &str) {
    assert_eq!(r.status(), StatusCode::BAD_REQUEST, "{field}");
    let body: Value = r.json().await.unwrap();
    assert_eq!(body["code"], "invalid_field", "{body}");
    assert_eq!(body["field"], field, "{body}");
    assert!(!body["message"].as_str().unwrap_or_default().is_empty(), "{body}");
}

async fn profile(app: &TestApp, user: &str) -> Value {
    app.api_json(&format!("/api/v1/people/user_id:{user}/profile")).await
}

async fn orders(app: &TestApp, user: &str) -> Value {
    app.api_json(&format!("/api/v1/people/user_id:{user}/orders")).await
}

#[tokio::test]
async fn revenue_1e308_twice_is_refused_and_nothing_is_stored() {
    let app = spawn_app().await;
    let huge = || order("u1", "o1", json!({"revenue": 1e308}));
    refused(app.post("/v1/track", &huge()).await, "properties.revenue").await;
    let mut second = huge();
    second["properties"]["order_id"] = json!("o2");
    refused(app.post("/v1/batch", &json!({"batch": [huge(), second]})).await, "batch[0].properties.revenue").await;
    assert!(app.events().await.is_empty(), "nothing stored");
    assert_eq!(app.api("/api/v1/people/user_id:u1").await.status(), StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn amounts_that_are_not_numbers_are_refused_with_their_field() {
    let app = spawn_app().await;
    for bad in [json!("abc"), json!(true), json!({}), json!([]), json!("128.80元"), json!("1e3"), json!("NaN")] {
        refused(app.post("/v1/track", &order("u1", "o1", json!({"revenue": bad}))).await, "properties.revenue").await;
    }
    let price =
        order("u1", "o1", json!({"revenue": 1, "products": [{"sku": "a", "price": 1}, {"sku": "b", "price": "¥1"}]}));
    refused(app.post("/v1/track", &price).await, "properties.products[1].price").await;
    let refund = json!({"userId": "u1", "event": "Order Refunded", "properties": {"order_id": "o1", "amount": "all"}});
    refused(app.post("/v1/track", &refund).await, "properties.amount").await;
    let coupon = json!({"userId": "u1", "event": "Coupon Redeemed", "properties": {"coupon_id": "c", "value": false}});
    refused(app.post("/v1/track", &coupon).await, "properties.value").await;
    assert!(app.events().await.is_empty());
}

#[tokio::test]
async fn a_decimal_string_is_read_exactly() {
    let app = spawn_app().await;
    assert_eq!(app.post("/v1/track", &order("u1", "o1", json!({"revenue": "59.90"}))).await.status(), 200);
    assert_eq!(orders(&app, "u1").await[0]["revenue_fen"], 5990);
    assert_eq!(profile(&app, "u1").await["spend_fen"], 5990);
}

#[tokio::test]
async fn segment_spec_amounts_are_yuan_not_fen() {
    let app = spawn_app().await;
    let body = order(
        "u1",
        "o1",
        json!({"revenue": 128.8, "currency": "CNY",
        "products": [{"sku": "oat", "price": 68.8, "quantity": 1}, {"sku": "milk", "price": 60, "quantity": 1}]}),
    );
    assert_eq!(app.post("/v1/track", &body).await.status(), 200);
    let o = &orders(&app, "u1").await[0];
    assert_eq!(o["revenue_fen"], 12880);
    assert_eq!((o["items"][0]["price_fen"].as_i64(), o["items"][1]["price_fen"].as_i64()), (Some(6880), Some(6000)));
    let p = profile(&app, "u1").await;
    assert_eq!((p["spend_fen"].as_i64(), p["aov_fen"].as_i64()), (Some(12880), Some(12880)));
}

#[tokio::test]
async fn negative_amounts_are_refused() {
    let app = spawn_app().await;
    refused(app.post("/v1/track", &order("u1", "o1", json!({"revenue": -59.9}))).await, "properties.revenue").await;
    let price = order("u1", "o1", json!({"revenue": 1, "products": [{"sku": "a", "price": "-1"}]}));
    refused(app.post("/v1/track", &price).await, "properties.products[0].price").await;
    assert!(app.events().await.is_empty());
}

#[tokio::test]
async fn amounts_above_the_bound_are_refused() {
    let app = spawn_app().await;
    for bad in [json!(10_000_000.01), json!("10000001"), json!(u64::MAX)] {
        refused(app.post("/v1/track", &order("u1", "o1", json!({"revenue": bad}))).await, "properties.revenue").await;
    }
    // The bound itself is an amount; two of them make a GMV that does not wrap.
    for id in ["o1", "o2"] {
        assert_eq!(app.post("/v1/track", &order("u1", id, json!({"revenue": 10_000_000}))).await.status(), 200);
    }
    assert_eq!(profile(&app, "u1").await["spend_fen"], 2_000_000_000_i64);
    let d = app.api_json("/api/v1/dashboard").await;
    assert_eq!(d["totals"]["gmv_fen"], 2_000_000_000_i64);
}

#[tokio::test]
async fn one_bad_amount_refuses_the_whole_batch() {
    let app = spawn_app().await;
    let batch = json!({"batch": [
        order("u1", "o1", json!({"revenue": 10})),
        order("u2", "o2", json!({"revenue": 10, "products": [{"sku": "a", "price": 5}, {"sku": "b", "price": "five"}]})),
    ]});
    refused(app.post("/v1/batch", &batch).await, "batch[1].properties.products[1].price").await;
    refused(app.post("/v1/import", &batch).await, "batch[1].properties.products[1].price").await;
    assert!(app.events().await.is_empty(), "no partial write");
}

#[tokio::test]
async fn an_order_without_an_order_id_is_refused() {
    let app = spawn_app().await;
    let body = json!({"userId": "u1", "event": "Order Completed", "properties": {"revenue": "128.80元"}});
    refused(app.post("/v1/track", &body).await, "properties.order_id").await;
    let body = json!({"userId": "u1", "event": "Order Completed", "properties": {"revenue": 128.8}});
    refused(app.post("/v1/track", &body).await, "properties.order_id").await;
    // An unknown event with odd amounts is not Rekindle's to judge.
    let unknown = json!({"userId": "u1", "event": "Cart Viewed", "properties": {"revenue": "lots"}});
    assert_eq!(app.post("/v1/track", &unknown).await.status(), 200);
    assert_eq!(app.events().await.len(), 1);
}

#[tokio::test]
async fn a_refund_larger_than_its_order_never_makes_spend_negative() {
    let app = spawn_app().await;
    let batch = json!({"batch": [
        order("u1", "o1", json!({"revenue": 10})),
        {"type": "track", "userId": "u1", "event": "Order Refunded", "properties": {"order_id": "o1", "amount": 50}},
        {"type": "track", "userId": "u1", "event": "Order Refunded", "properties": {"order_id": "o-unknown", "amount": 50}},
    ]});
    assert_eq!(app.post("/v1/batch", &batch).await.status(), 200);
    assert_eq!(profile(&app, "u1").await["spend_fen"], 0);
    assert_eq!(orders(&app, "u1").await[0]["refunded_fen"], 5000);
}

#[tokio::test]
async fn a_sender_cannot_write_the_parsed_amounts_itself() {
    let app = spawn_app().await;
    let mut body = order("u1", "o1", json!({"revenue": 1}));
    body["_rekindle"] = json!({"fen": {"revenue": 999_999_999_999_i64}});
    assert_eq!(app.post("/v1/track", &body).await.status(), 200);
    assert_eq!(profile(&app, "u1").await["spend_fen"], 100);
    assert_eq!(orders(&app, "u1").await[0]["revenue_fen"], 100);
}
