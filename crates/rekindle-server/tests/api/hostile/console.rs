//! Hostile input to what issues 16 and 17 added: the people list's parameters, channel
//! settings, the journeys' current members and the reports (their parameters, and a cohort key
//! masked by what it contains). Every refusal is a JSON 4xx naming the field; a secret is never
//! echoed, not even in an error; another workspace's things do not exist.

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::helpers::{ADMIN, TestApp, spawn_app, token_for};

async fn answer(r: reqwest::Response) -> (StatusCode, Value) {
    let status = r.status();
    let text = r.text().await.unwrap();
    (status, serde_json::from_str(&text).unwrap_or_else(|e| panic!("{status}: {text:?} is not JSON: {e}")))
}

async fn put(app: &TestApp, path: &str, body: Vec<u8>) -> (StatusCode, Value) {
    let r = app
        .client
        .put(format!("{}{path}", app.base))
        .bearer_auth(ADMIN)
        .header("content-type", "application/json")
        .body(body)
        .send()
        .await
        .unwrap();
    answer(r).await
}

#[tokio::test]
async fn the_people_list_refuses_what_it_cannot_page_by_naming_the_parameter() {
    let app = spawn_app().await;
    for (query, field) in [
        ("page=-1", "page"),
        ("page=abc", "page"),
        ("page=99999999999999999999", "page"),
        ("per_page=0", "per_page"),
        ("per_page=100000", "per_page"),
        ("sort=spend;DROP%20TABLE%20events", "sort"),
        ("sort=%E6%B6%88%E8%B4%B9", "sort"),
        ("order=DESC", "order"),
        ("stage=%00", "stage"),
        ("tier=%F0%9F%92%B0", "tier"),
    ] {
        let (status, body) = answer(app.api(&format!("/api/v1/people/list?{query}")).await).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{query}: {body}");
        assert_eq!(body["field"], field, "{query}: {body}");
    }
    let (status, _) = answer(app.api("/api/v1/people/list?workspace=elsewhere").await).await;
    assert_eq!(status, StatusCode::NOT_FOUND, "another workspace does not exist");
    let (status, body) = answer(app.api("/api/v1/people/list?page=1000000").await).await;
    assert_eq!((status, body["people"].as_array().map(Vec::len)), (StatusCode::OK, Some(0)), "past the end: empty");
}

#[tokio::test]
async fn channel_settings_refuse_bad_sections_and_never_echo_a_secret() {
    let app = spawn_app().await;
    let secret = "s3cret-秘密-never-shown";
    let cases: Vec<(&str, Vec<u8>, &str)> = vec![
        ("/api/v1/channels/webhook", json!({"url": 123, "secret": secret}).to_string().into_bytes(), "webhook"),
        (
            "/api/v1/channels/webhook",
            json!({"url": "https://x", "secret": secret, "admin": true}).to_string().into_bytes(),
            "webhook",
        ),
        (
            "/api/v1/channels/webhook",
            json!({"url": "ftp://x", "secret": secret}).to_string().into_bytes(),
            "webhook.url",
        ),
        (
            "/api/v1/channels/wecom",
            json!({"corp_id": "ww1", "secret": secret, "callback_token": secret,
            "encoding_aes_key": secret})
            .to_string()
            .into_bytes(),
            "wecom.encoding_aes_key",
        ),
        ("/api/v1/channels/webhook", format!("{}1{}", "[".repeat(5000), "]".repeat(5000)).into_bytes(), "body"),
        ("/api/v1/channels/webhook", b"\"just a string\"".to_vec(), "body"),
        ("/api/v1/channels/..%2Fwecom", json!({}).to_string().into_bytes(), "provider"),
        ("/api/v1/channels/sms", json!({}).to_string().into_bytes(), "provider"),
    ];
    for (path, body, field) in cases {
        let (status, answer) = put(&app, path, body).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{path}: {answer}");
        assert_eq!(answer["field"], field, "{path}: {answer}");
        assert!(!answer.to_string().contains(secret), "the secret is not echoed: {answer}");
    }
    let (status, _) =
        put(&app, "/api/v1/channels/webhook?workspace=elsewhere", json!({}).to_string().into_bytes()).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    // Nothing refused was saved.
    let view = app.api_json("/api/v1/channels").await;
    assert!(view["channels"].as_array().unwrap().iter().all(|c| c["ready"] == false), "{view}");
}

#[tokio::test]
async fn current_members_and_enter_current_are_checked_like_any_parameter() {
    let app = spawn_app().await;
    let (status, body) = answer(app.api("/api/v1/journeys/abc/current-members").await).await;
    assert_eq!((status, body["field"].as_str()), (StatusCode::BAD_REQUEST, Some("id")), "{body}");
    let (status, _) = answer(app.api("/api/v1/journeys/999999/current-members").await).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let r = app.send(Method::POST, "/api/v1/journeys/1/publish?enter_current=maybe", &json!({})).await;
    let (status, body) = answer(r).await;
    assert_eq!((status, body["field"].as_str()), (StatusCode::BAD_REQUEST, Some("enter_current")), "{body}");
}

#[tokio::test]
async fn reports_name_the_parameter_they_refuse() {
    let app = spawn_app().await;
    for (path, field) in [
        ("/api/v1/reports/gmv", "kind"),
        ("/api/v1/reports/%27%3BDROP%20TABLE%20events", "kind"),
        ("/api/v1/reports/cohorts?from=2026-13-01", "from"),
        ("/api/v1/reports/cohorts?to=yesterday", "to"),
        ("/api/v1/reports/cohorts?from=2026-05-02&to=2026-05-01", "from"),
        ("/api/v1/reports/cohorts?from=2000-01-01&to=2026-01-01", "from"),
        ("/api/v1/reports/cohorts?grain=year", "grain"),
        ("/api/v1/reports/cohorts?grain=day&from=2026-01-01&to=2026-12-31", "grain"),
        ("/api/v1/reports/cohorts?by=%E6%9D%A5%E6%BA%90", "by"),
        ("/api/v1/reports/churn?days=0", "days"),
        ("/api/v1/reports/churn?days=99999999999999999999", "days"),
        ("/api/v1/reports/churn/export.csv?days=-1", "days"),
        ("/api/v1/reports/journeys?days=0", "days"),
        ("/api/v1/reports/journeys?days=7d", "days"),
        ("/api/v1/reports/experiments?from=2026-02-30", "from"),
        ("/api/v1/reports/experiments/export.csv?days=366", "days"),
        ("/api/v1/reports/Journeys", "kind"),
    ] {
        let (status, body) = answer(app.api(path).await).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{path}: {body}");
        assert_eq!(body["field"], field, "{path}: {body}");
        assert!(body["message"].as_str().is_some_and(|m| !m.is_empty()), "{path}: {body}");
    }
    let (status, _) = answer(app.api("/api/v1/reports/cohorts?workspace=elsewhere").await).await;
    assert_eq!(status, StatusCode::NOT_FOUND, "another workspace does not exist");
    let anonymous = app.client.get(format!("{}/api/v1/reports/cohorts", app.base)).send().await.unwrap();
    assert_eq!(anonymous.status(), StatusCode::UNAUTHORIZED);
}

/// A cohort's key is text from events: a phone sent as a contact's `source` is masked for a
/// role without pii.read, in the JSON, its table and the CSV, and shown to an owner.
#[tokio::test]
async fn a_phone_in_a_cohort_key_is_masked_for_roles_without_pii() {
    let app = spawn_app().await;
    let batch = json!({"batch": [
        {"type": "track", "userId": "p", "event": "Contact Added", "messageId": "c", "timestamp": "2026-04-01T01:00:00Z",
            "properties": {"source": "13812345678"}},
        {"type": "track", "userId": "p", "event": "Order Completed", "messageId": "o", "timestamp": "2026-04-01T02:00:00Z",
            "properties": {"order_id": "o", "revenue": 10}},
    ]});
    assert_eq!(app.post("/v1/import", &batch).await.status(), 200);
    app.events().await;
    let path = "/api/v1/reports/cohorts?from=2026-04-01&to=2026-04-30&grain=month&by=source";
    let analyst = token_for(&app, rekindle_core::access::Role::Analyst).await;
    let get = |token: String, path: String| {
        let client = app.client.clone();
        let url = format!("{}{path}", app.base);
        async move { client.get(url).bearer_auth(token).send().await.unwrap() }
    };
    let (status, seen) = answer(get(analyst.clone(), path.into()).await).await;
    assert_eq!(status, StatusCode::OK);
    let text = seen.to_string();
    assert!(!text.contains("13812345678") && text.contains("138****5678"), "{text}");
    let csv = get(analyst, format!("{}&lang=en", path.replace("cohorts?", "cohorts/export.csv?")))
        .await
        .text()
        .await
        .unwrap();
    assert!(!csv.contains("13812345678") && csv.contains("138****5678"), "{csv}");
    let (_, owner) = answer(app.api(path).await).await;
    assert_eq!(owner["answer"]["cohorts"][0]["key"], "13812345678");
}

/// Team targets: every malformed list is a 400 naming the field, nothing is half-saved, and
/// only a role that manages the store sets them (everyone who reads people sees them).
#[tokio::test]
async fn team_targets_refuse_what_is_not_a_target() {
    let app = spawn_app().await;
    let good = json!({"team": "live", "kpi": "repurchase_7d", "target": 0.3});
    let ok = app.send(Method::PUT, "/api/v1/targets", &json!({"targets": [good]})).await;
    assert_eq!(ok.status(), StatusCode::OK);
    let many: Vec<Value> = (0..31).map(|_| good.clone()).collect();
    for (body, field) in [
        (json!({"targets": [{"team": "live", "kpi": "repurchase_7d", "target": 1.5}]}), "targets[0].target"),
        (json!({"targets": [{"team": "live", "kpi": "repurchase_7d", "target": -0.1}]}), "targets[0].target"),
        (json!({"targets": [good, good]}), "targets[1].kpi"),
        (json!({"targets": many}), "targets"),
        (json!({"targets": [{"team": "直播", "kpi": "repurchase_7d", "target": 0.3}]}), "targets[0].team"),
        (json!({"targets": [{"team": "live", "kpi": "gmv", "target": 0.3}]}), "targets[0].kpi"),
        (json!({"targets": [{"team": "live", "kpi": "repurchase_7d", "target": "30%"}]}), "targets[0].target"),
        (json!({"targets": [{"team": "live", "kpi": "repurchase_7d", "target": 0.3, "owner": "x"}]}), "targets[0]"),
        (json!({"targets": "all"}), "targets"),
    ] {
        let (status, answer) = answer(app.send(Method::PUT, "/api/v1/targets", &body).await).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{body}: {answer}");
        assert!(answer["field"].as_str().is_some_and(|f| f.starts_with(field)), "{body}: {answer}");
    }
    let kept = app.api_json("/api/v1/targets").await;
    assert_eq!(kept["targets"].as_array().unwrap().len(), 1, "nothing refused was saved: {kept}");

    let analyst = token_for(&app, rekindle_core::access::Role::Analyst).await;
    let put = app
        .client
        .put(format!("{}/api/v1/targets", app.base))
        .bearer_auth(&analyst)
        .json(&json!({"targets": []}))
        .send()
        .await
        .unwrap();
    assert_eq!(put.status(), StatusCode::FORBIDDEN);
    let get = app.client.get(format!("{}/api/v1/targets", app.base)).bearer_auth(&analyst).send().await.unwrap();
    assert_eq!(get.status(), StatusCode::OK);
    let (status, _) = answer(app.api("/api/v1/targets?workspace=elsewhere").await).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}
