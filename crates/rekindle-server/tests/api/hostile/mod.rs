//! The hostile-input suite: what a hostile client, operator or crowd of sockets sends, case
//! by case, with the answer each must get. Every case runs against the real server on a random
//! port (docs/testing.md counts them). One module per area of attack.

mod accounts;
mod connections;
mod console;
mod contacts;
mod erasure;
mod errors;
mod groups;
mod identity;
mod journey_steps;
mod launch;
mod links;
mod live;
mod loyalty;
mod masking;
mod money;
mod programme;
mod rules;
mod sensors;
mod service;
mod subscriptions;
mod wecom_jsapi;

use reqwest::{Method, StatusCode};
use serde_json::Value;

use crate::helpers::TestApp;

/// A response's status and JSON body (`null` when it has none).
pub(super) async fn answer(r: reqwest::Response) -> (StatusCode, Value) {
    (r.status(), r.json().await.unwrap_or(Value::Null))
}

/// Send raw bytes as JSON with a bearer token, for bodies no client would build.
pub(super) async fn raw(app: &TestApp, method: Method, path: &str, token: &str, body: Vec<u8>) -> (StatusCode, Value) {
    let r = app
        .client
        .request(method, format!("{}{path}", app.base))
        .bearer_auth(token)
        .header("content-type", "application/json")
        .body(body)
        .send()
        .await
        .unwrap();
    answer(r).await
}
