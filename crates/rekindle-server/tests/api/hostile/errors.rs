//! Hostile input: errors. Whatever is wrong with a request (a path parameter that does not
//! parse, a method or path that does not exist, a body too large, a role without the right),
//! the answer is a 4xx with the JSON error body naming the field and the reason.

use rekindle_core::access::Role;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::helpers::{ADMIN, TestApp, spawn_app, token_for};

/// Status, then the JSON body (failing the test when the body is not JSON).
async fn answer(r: reqwest::Response) -> (StatusCode, Value) {
    let status = r.status();
    let content_type = r.headers().get("content-type").map(|v| v.to_str().unwrap().to_string());
    let text = r.text().await.unwrap();
    assert_eq!(content_type.as_deref(), Some("application/json"), "{status}: {text:?}");
    (status, serde_json::from_str(&text).unwrap_or_else(|e| panic!("{status}: {text:?} is not JSON: {e}")))
}

async fn raw(app: &TestApp, method: Method, path: &str, token: &str, body: Vec<u8>) -> reqwest::Response {
    app.client
        .request(method, format!("{}{path}", app.base))
        .bearer_auth(token)
        .header("content-type", "application/json")
        .body(body)
        .send()
        .await
        .unwrap()
}

#[tokio::test]
async fn a_path_id_that_is_not_a_number_is_a_json_400_naming_the_parameter() {
    let app = spawn_app().await;
    let (status, body) = answer(app.api("/api/v1/segments/abc").await).await;
    assert_eq!(
        (status, &body["code"], &body["field"]),
        (StatusCode::BAD_REQUEST, &json!("invalid_field"), &json!("id"))
    );
    assert!(body["message"].as_str().unwrap().contains("abc"), "{body}");
}

#[tokio::test]
async fn deleting_a_token_by_a_non_numeric_id_is_a_json_400() {
    let app = spawn_app().await;
    let (status, body) = answer(raw(&app, Method::DELETE, "/api/v1/tokens/abc", ADMIN, vec![]).await).await;
    assert_eq!(
        (status, &body["code"], &body["field"]),
        (StatusCode::BAD_REQUEST, &json!("invalid_field"), &json!("id"))
    );
}

#[tokio::test]
async fn a_second_path_parameter_that_does_not_parse_is_named_too() {
    let app = spawn_app().await;
    let (status, body) = answer(app.api("/api/v1/journeys/1.5/readout").await).await;
    assert_eq!((status, &body["field"]), (StatusCode::BAD_REQUEST, &json!("id")), "{body}");
}

#[tokio::test]
async fn a_method_a_route_does_not_take_is_a_json_405_with_allow() {
    let app = spawn_app().await;
    let r = raw(&app, Method::PATCH, "/api/v1/segments/1/members", ADMIN, b"{}".to_vec()).await;
    let allow = r.headers().get("allow").map(|v| v.to_str().unwrap().to_string());
    let (status, body) = answer(r).await;
    assert_eq!((status, &body["code"]), (StatusCode::METHOD_NOT_ALLOWED, &json!("method_not_allowed")));
    assert!(allow.unwrap_or_default().contains("GET"), "the Allow header names what the route takes");
}

#[tokio::test]
async fn an_unknown_api_path_is_a_json_404() {
    let app = spawn_app().await;
    let (status, body) = answer(app.api("/api/v1/x").await).await;
    assert_eq!((status, &body["code"]), (StatusCode::NOT_FOUND, &json!("not_found")));
}

#[tokio::test]
async fn a_10_mb_rest_body_is_a_json_413() {
    let app = spawn_app().await;
    let name = "x".repeat(10 << 20);
    let body = serde_json::to_vec(&json!({"name": name, "rule": "true"})).unwrap();
    let (status, body) = answer(raw(&app, Method::POST, "/api/v1/segments", ADMIN, body).await).await;
    assert_eq!(
        (status, &body["code"], &body["field"]),
        (StatusCode::PAYLOAD_TOO_LARGE, &json!("payload_too_large"), &json!("body"))
    );
}

#[tokio::test]
async fn a_malformed_body_from_an_analyst_to_an_owner_route_is_403_not_400() {
    let app = spawn_app().await;
    let analyst = token_for(&app, Role::Analyst).await;
    let (status, body) =
        answer(raw(&app, Method::POST, "/api/v1/users", &analyst, b"{\"email\": ".to_vec()).await).await;
    assert_eq!((status, &body["code"]), (StatusCode::FORBIDDEN, &json!("forbidden")), "{body}");
}

/// Every `/api/v1` operation with a body, from the OpenAPI document: an analyst sending a
/// malformed or an oversized body learns only that the role may not, where it may not; the
/// few routes open to every operator parse the body and say what is wrong with it.
#[tokio::test]
async fn every_route_checks_the_role_before_it_reads_the_body() {
    let app = spawn_app().await;
    let analyst = token_for(&app, Role::Analyst).await;
    // Routes an analyst may call with a body: sign-in, redeeming an invitation (open to
    // anyone holding its one-time token), their own API tokens, the read-only previews and
    // asking the FAQ knowledge base.
    let open_to_analysts = [
        "post /api/v1/auth/login",
        "post /api/v1/auth/invitations/redeem",
        "post /api/v1/tokens",
        "post /api/v1/segments/preview",
        "post /api/v1/message-templates/preview",
        "post /api/v1/faq/ask",
    ];
    let doc: Value =
        app.client.get(format!("{}/api/openapi.json", app.base)).send().await.unwrap().json().await.unwrap();
    let huge = vec![b'['; 3 << 20];
    let mut checked = 0;
    for (path, item) in doc["paths"].as_object().unwrap().iter().filter(|(p, _)| p.starts_with("/api/v1")) {
        let concrete = path.replace("{person}", "u1").replace("{id}", "1").replace("{slug}", "default");
        for (method, op) in item.as_object().unwrap() {
            if op.get("requestBody").is_none() {
                continue;
            }
            let m = Method::from_bytes(method.to_uppercase().as_bytes()).unwrap();
            let route = format!("{method} {path}");
            let open = open_to_analysts.contains(&route.as_str());
            for (what, body) in [("malformed", b"{\"x\": ".to_vec()), ("oversized", huge.clone())] {
                let (status, answer) = answer(raw(&app, m.clone(), &concrete, &analyst, body).await).await;
                let expected = match (open, what) {
                    (false, _) => StatusCode::FORBIDDEN,
                    (true, "malformed") => StatusCode::BAD_REQUEST,
                    (true, _) => StatusCode::PAYLOAD_TOO_LARGE,
                };
                assert_eq!(status, expected, "{what} body to {route}: {answer}");
                checked += 1;
            }
        }
    }
    assert!(checked >= 34, "checked {checked} route/body pairs");
}

#[tokio::test]
async fn ingestion_answers_keep_their_own_codes() {
    let app = spawn_app().await;
    // Not the REST API's 405 fallback or body limit: ingestion reads bodies itself.
    let (status, body) = answer(app.post_raw("/v1/track", b"not json".to_vec(), "application/json", None).await).await;
    assert_eq!(
        (status, &body["code"], &body["field"]),
        (StatusCode::BAD_REQUEST, &json!("invalid_json"), &json!("body"))
    );
    let big =
        serde_json::to_vec(&json!({"userId": "u", "event": "e", "properties": {"p": "y".repeat(33 * 1024)}})).unwrap();
    let (status, body) = answer(app.post_raw("/v1/track", big, "application/json", None).await).await;
    assert_eq!(
        (status, &body["code"], &body["field"]),
        (StatusCode::PAYLOAD_TOO_LARGE, &json!("message_too_large"), &json!("body"))
    );
    let r = app.client.get(format!("{}/v1/track", app.base)).send().await.unwrap();
    let (status, body) = answer(r).await;
    assert_eq!((status, &body["code"]), (StatusCode::METHOD_NOT_ALLOWED, &json!("method_not_allowed")));
}
