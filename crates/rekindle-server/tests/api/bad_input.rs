//! The bad-input table of docs/api.md, row by row: each gets a 4xx with a JSON error naming
//! the field and the reason, nothing is written, and the server keeps serving.

use serde_json::{Value, json};

use crate::helpers::{TestApp, gzip, spawn_app};

struct Row {
    name: &'static str,
    path: &'static str,
    body: Vec<u8>,
    content_type: &'static str,
    encoding: Option<&'static str>,
    key: Option<&'static str>,
    status: u16,
    code: &'static str,
    field: &'static str,
}

fn batch(messages: Value) -> Vec<u8> {
    serde_json::to_vec(&json!({"batch": messages})).unwrap()
}

fn rows() -> Vec<Row> {
    let ok = json!({"type": "track", "userId": "u1", "event": "Live Entered"});
    let row = |name, path, body, status, code, field| Row {
        name,
        path,
        body,
        content_type: "application/json",
        encoding: None,
        key: None,
        status,
        code,
        field,
    };
    let huge_property = "x".repeat(33 * 1024);
    let many_small: Vec<Value> =
        (0..2501).map(|i| json!({"type": "track", "userId": "u", "event": "e", "messageId": i})).collect();
    let big_batch: Vec<Value> = (0..20)
        .map(|_| json!({"type": "track", "userId": "u", "event": "e", "properties": {"p": "y".repeat(30 * 1024)}}))
        .collect();
    // 50 MB of zeros compresses to ~50 KB.
    let bomb = gzip(&batch(
        json!([{"type": "track", "userId": "u", "event": "e", "properties": {"p": "0".repeat(50 << 20)}}]),
    ));
    vec![
        row("malformed JSON", "/v1/batch", b"{\"batch\": [".to_vec(), 400, "invalid_json", "body"),
        row("malformed JSON, single", "/v1/track", b"not json".to_vec(), 400, "invalid_json", "body"),
        row(
            "missing userId and anonymousId",
            "/v1/batch",
            batch(json!([ok, {"type": "track", "anonymousId": null, "event": "x"}])),
            400,
            "invalid_field",
            "batch[1].userId",
        ),
        row(
            "unknown type",
            "/v1/batch",
            batch(json!([{"type": "purchase", "userId": "u1"}])),
            400,
            "invalid_field",
            "batch[0].type",
        ),
        row(
            "oversized message",
            "/v1/batch",
            batch(json!([{"type": "track", "userId": "u1", "event": "e", "properties": {"p": huge_property}}])),
            413,
            "message_too_large",
            "batch[0]",
        ),
        row(
            "oversized single message",
            "/v1/track",
            serde_json::to_vec(&json!({"userId": "u1", "event": "e", "properties": {"p": huge_property}})).unwrap(),
            413,
            "message_too_large",
            "body",
        ),
        row("oversized batch (bytes)", "/v1/batch", batch(json!(big_batch)), 413, "batch_too_large", "body"),
        row("oversized batch (messages)", "/v1/batch", batch(json!(many_small)), 413, "batch_too_large", "batch"),
        Row {
            key: Some(""),
            ..row("missing write key", "/v1/batch", batch(json!([ok])), 401, "unauthorized", "writeKey")
        },
        Row {
            key: Some("rk_wrong"),
            ..row("wrong write key", "/v1/batch", batch(json!([ok])), 401, "unauthorized", "writeKey")
        },
        row(
            "invalid timestamp",
            "/v1/batch",
            batch(json!([{"type": "track", "userId": "u1", "event": "e", "timestamp": "2026-02-30T10:00:00Z"}])),
            400,
            "invalid_field",
            "batch[0].timestamp",
        ),
        row(
            "timestamp without offset",
            "/v1/track",
            serde_json::to_vec(&json!({"userId": "u1", "event": "e", "timestamp": "2026-05-01T10:00:00"})).unwrap(),
            400,
            "invalid_field",
            "timestamp",
        ),
        row(
            "invalid phone",
            "/v1/identify",
            serde_json::to_vec(&json!({"userId": "u1", "traits": {"phone": "12"}})).unwrap(),
            400,
            "invalid_field",
            "traits.phone",
        ),
        Row {
            content_type: "application/x-www-form-urlencoded",
            ..row("wrong content type", "/v1/batch", batch(json!([ok])), 415, "unsupported_media_type", "Content-Type")
        },
        Row {
            encoding: Some("br"),
            ..row(
                "unsupported encoding",
                "/v1/batch",
                batch(json!([ok])),
                415,
                "unsupported_media_type",
                "Content-Encoding",
            )
        },
        Row { encoding: Some("gzip"), ..row("gzip bomb", "/v1/batch", bomb, 413, "batch_too_large", "body") },
        Row {
            encoding: Some("gzip"),
            ..row("corrupt gzip", "/v1/batch", b"\x1f\x8b\x08garbage".to_vec(), 400, "invalid_json", "body")
        },
    ]
}

async fn send(app: &TestApp, row: &Row) -> reqwest::Response {
    let mut req = app
        .client
        .post(format!("{}{}", app.base, row.path))
        .header("content-type", row.content_type)
        .body(row.body.clone());
    match row.key {
        Some("") => {}
        Some(k) => req = req.basic_auth(k, Some("")),
        None => req = req.basic_auth(&app.key, Some("")),
    }
    if let Some(e) = row.encoding {
        req = req.header("content-encoding", e);
    }
    req.send().await.unwrap()
}

#[tokio::test]
async fn every_bad_input_gets_a_4xx_naming_the_field_and_writes_nothing() {
    let app = spawn_app().await;
    for row in rows() {
        let r = send(&app, &row).await;
        let status = r.status().as_u16();
        let body: Value = r.json().await.unwrap_or_else(|e| panic!("{}: body is not JSON: {e}", row.name));
        assert_eq!(status, row.status, "{}: {body}", row.name);
        assert_eq!(body["code"], row.code, "{}: {body}", row.name);
        assert_eq!(body["field"], row.field, "{}: {body}", row.name);
        assert!(!body["message"].as_str().unwrap_or("").is_empty(), "{}: a reason is given", row.name);
        assert!(app.events().await.is_empty(), "{}: nothing is written", row.name);
        let health = app.client.get(format!("{}/healthz", app.base)).send().await.unwrap();
        assert_eq!(health.status(), 200, "{}: the server keeps serving", row.name);
    }
    // And a good request still works afterwards.
    assert_eq!(app.post("/v1/track", &json!({"userId": "u1", "event": "x"})).await.status(), 200);
    assert_eq!(app.events().await.len(), 1);
}
