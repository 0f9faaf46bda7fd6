//! Hostile input: rules. A rule nested thousands deep once overflowed a worker's stack and
//! aborted the server, and a stored one aborted it again on every read. Every rule field now
//! has one length cap and one nesting cap in the parser; a stored rule that no longer parses
//! is shown as invalid.

use chrono::Utc;
use reqwest::Method;
use serde_json::{Value, json};

use crate::helpers::{TestApp, spawn_app};

async fn answer(r: reqwest::Response) -> (u16, Value) {
    (r.status().as_u16(), r.json().await.unwrap_or(Value::Null))
}

fn nots(n: usize) -> String {
    "not ".repeat(n) + "orders >= 1"
}

fn parens(n: usize) -> String {
    format!("{}orders >= 1{}", "(".repeat(n), ")".repeat(n))
}

/// The server still answers after what was sent.
async fn alive(app: &TestApp) {
    let (status, body) = answer(app.api("/api/v1/journeys").await).await;
    assert_eq!(status, 200, "{body}");
    let (status, _) = answer(app.api("/api/v1/segments").await).await;
    assert_eq!(status, 200);
}

async fn draft(app: &TestApp) -> i64 {
    let d = json!({"trigger": {"type": "event", "event": "Order Completed"},
        "steps": [{"id": "w", "type": "wait", "minutes": 5}]});
    let (status, body) =
        answer(app.send(Method::POST, "/api/v1/journeys", &json!({"name": "草稿", "definition": d})).await).await;
    assert_eq!(status, 201, "{body}");
    body["id"].as_i64().unwrap()
}

#[tokio::test]
async fn a_journey_audience_nested_12000_deep_is_refused_and_the_server_lives() {
    let app = spawn_app().await;
    let id = draft(&app).await;
    for (audience, position) in [(nots(12_000), 2000), (parens(12_000), 2000), (nots(65), 4 * 64)] {
        let d = json!({"trigger": {"type": "event", "event": "Order Completed"}, "audience": audience,
            "steps": [{"id": "w", "type": "wait", "minutes": 5}]});
        let (status, body) =
            answer(app.send(Method::PUT, &format!("/api/v1/journeys/{id}"), &json!({"definition": d})).await).await;
        assert_eq!(status, 400, "{body}");
        assert_eq!(body["code"], "invalid_field");
        assert_eq!(body["field"], "definition.audience");
        assert_eq!(body["position"], position, "{body}");
        alive(&app).await;
    }
}

#[tokio::test]
async fn branches_and_exits_share_the_caps() {
    let app = spawn_app().await;
    let d = json!({"trigger": {"type": "event", "event": "Order Completed"},
        "steps": [{"id": "b", "type": "branch", "rule": parens(100), "then": "w", "else": "w"},
                  {"id": "w", "type": "wait", "minutes": 5}],
        "exit": [{"type": "rule", "rule": "orders >= 1"}, {"type": "rule", "rule": nots(3000)}]});
    let (status, body) =
        answer(app.send(Method::POST, "/api/v1/journeys", &json!({"name": "深", "definition": d})).await).await;
    assert_eq!((status, body["field"].as_str()), (400, Some("definition.steps[0].rule")), "{body}");
    assert_eq!(body["position"], 64);
    alive(&app).await;
}

#[tokio::test]
async fn segment_tag_and_preview_rules_are_capped_with_a_position() {
    let app = spawn_app().await;
    let cases = [
        ("/api/v1/segments", json!({"name": "深", "rule": parens(20_000)}), "rule", 2000),
        ("/api/v1/segments", json!({"name": "深", "rule": parens(65)}), "rule", 64),
        ("/api/v1/segments/preview", json!({"rule": nots(65)}), "rule", 256),
        ("/api/v1/tags", json!({"name": "深", "rule": parens(65)}), "rule", 64),
    ];
    for (path, body, field, position) in cases {
        let (status, answer) = answer(app.send(Method::POST, path, &body).await).await;
        assert_eq!(status, 400, "{path}: {answer}");
        assert_eq!((answer["field"].as_str(), answer["position"].as_u64()), (Some(field), Some(position)), "{path}");
        assert!(answer["message"].as_str().unwrap().contains("64") || position == 2000, "{answer}");
    }
    // Within the caps a deep rule is fine.
    let (status, body) =
        answer(app.send(Method::POST, "/api/v1/segments", &json!({"name": "刚好", "rule": parens(64)})).await).await;
    assert_eq!(status, 201, "{body}");
    alive(&app).await;
}

#[tokio::test]
async fn stored_rules_that_no_longer_parse_are_shown_invalid_never_a_crash() {
    // What an older version let in, written straight to the store as it would be found there.
    let app = spawn_app().await;
    let hostile = nots(12_000);
    let segment = rekindle_store::NewSegment {
        name: "旧人群".into(),
        description: String::new(),
        rule: hostile.clone(),
        kind: rekindle_store::SegmentKind::Custom,
        by: None,
        at: Utc::now(),
    };
    let s = app.store.create_segment(app.ws, &segment).await.unwrap();
    let definition: rekindle_core::journey::Definition = serde_json::from_value(json!({
        "trigger": {"type": "event", "event": "Order Completed"}, "audience": hostile,
        "steps": [{"id": "w", "type": "wait", "minutes": 5}]}))
    .unwrap();
    let j = app.store.create_journey(app.ws, "旧旅程", &definition, Utc::now()).await.unwrap();

    let (status, body) = answer(app.api("/api/v1/journeys").await).await;
    assert_eq!(status, 200, "{body}");
    let listed = body["journeys"].as_array().unwrap().iter().find(|x| x["id"] == j.id.0).unwrap().clone();
    assert_eq!(listed["problems"][0]["field"], "audience", "{listed}");
    let (status, body) = answer(app.api(&format!("/api/v1/journeys/{}", j.id)).await).await;
    assert_eq!((status, body["problems"][0]["field"].as_str()), (200, Some("audience")), "{body}");
    // Publishing it is refused, naming the rule.
    let (status, body) =
        answer(app.send(Method::POST, &format!("/api/v1/journeys/{}/publish", j.id), &json!({})).await).await;
    assert_eq!((status, body["field"].as_str()), (400, Some("definition.audience")), "{body}");

    let (status, body) = answer(app.api(&format!("/api/v1/segments/{}", s.id)).await).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!((body["size"].as_u64(), body["rule_error"]["position"].as_u64()), (Some(0), Some(2000)), "{body}");
    let (status, body) = answer(app.api("/api/v1/segments").await).await;
    assert_eq!(status, 200);
    let listed = body["segments"].as_array().unwrap().iter().find(|x| x["id"] == s.id.0).unwrap().clone();
    assert_eq!(listed["rule_error"]["field"], "rule", "{listed}");
    // A rule tag likewise.
    let tag = rekindle_store::Tag {
        name: "旧标签".into(),
        rule: Some(nots(12_000)),
        description: String::new(),
        created_at: Utc::now(),
    };
    app.store.put_tag(app.ws, &tag).await.unwrap();
    let (status, body) = answer(app.api("/api/v1/tags").await).await;
    assert_eq!(status, 200, "{body}");
    let listed = body["tags"].as_array().unwrap().iter().find(|x| x["name"] == "旧标签").unwrap().clone();
    assert_eq!(
        (listed["count"].as_u64(), listed["rule_error"]["position"].as_u64()),
        (Some(0), Some(2000)),
        "{listed}"
    );
    // The refresh skips them and keeps serving.
    let (status, _) = answer(app.api(&format!("/api/v1/segments/{}/members", s.id)).await).await;
    assert!(status == 200 || status == 400, "{status}");
    alive(&app).await;
}
