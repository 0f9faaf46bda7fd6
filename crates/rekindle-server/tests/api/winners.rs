//! Automatic winners and personal send times over HTTP: a definition carries both, refuses a
//! minimum out of range naming the field, and the readout shows a recorded decision with its
//! evidence (docs/journeys.md, "Automatic winners", "Send time").

use reqwest::Method;
use serde_json::{Value, json};

use crate::helpers::spawn_app;

async fn status_and_body(r: reqwest::Response) -> (u16, Value) {
    let status = r.status().as_u16();
    (status, r.json().await.unwrap_or(Value::Null))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_split_that_picks_its_winner_shows_the_decision_in_the_readout() {
    let app = spawn_app().await;
    let template = json!({"name": "提醒", "channel": "wecom", "text": "{{nickname|亲}}，该补货啦"});
    assert_eq!(app.send(Method::PUT, "/api/v1/message-templates/提醒", &template).await.status(), 200);
    let mut definition = json!({
        "trigger": {"type": "event", "event": "Order Completed"},
        "steps": [
            {"id": "split", "type": "split", "holdout_percent": 10, "auto_winner": {"min_per_variant": 5},
             "variants": [{"name": "A", "percent": 45, "next": "a"}, {"name": "B", "percent": 45, "next": "b"}]},
            {"id": "a", "type": "send", "channel": "wecom", "template": "提醒", "send_time": "personal"},
            {"id": "b", "type": "send", "channel": "wecom", "template": "提醒"},
        ],
        "goal": {"within_days": 7},
    });
    let create = json!({"name": "自动选优", "definition": definition});
    let (status, body) = status_and_body(app.send(Method::POST, "/api/v1/journeys", &create).await).await;
    assert_eq!(status, 201, "{body}");
    let id = body["id"].as_i64().unwrap();
    let problems = body["problems"].as_array().unwrap();
    assert_eq!(problems[0]["field"], "steps[0].auto_winner.min_per_variant", "{body}");
    definition["steps"][0]["auto_winner"]["min_per_variant"] = json!(300);
    let put = app.send(Method::PUT, &format!("/api/v1/journeys/{id}"), &json!({"definition": definition})).await;
    let (status, body) = status_and_body(put).await;
    assert_eq!((status, body["problems"].as_array().map(Vec::len)), (200, Some(0)), "{body}");
    let publish = app.send(Method::POST, &format!("/api/v1/journeys/{id}/publish"), &json!({})).await;
    assert_eq!(publish.status(), 200);
    let got = app.api_json(&format!("/api/v1/journeys/{id}")).await;
    let steps = &got["draft"]["steps"];
    assert_eq!(
        (steps[0]["auto_winner"]["min_per_variant"].as_i64(), steps[1]["send_time"].as_str()),
        (Some(300), Some("personal")),
        "{got}"
    );
    assert!(steps[2].get("send_time").is_none(), "at once is the default, left out: {got}");
    // A minimum that is not a number: a 400 naming the definition, never a 500.
    let mut bad = definition.clone();
    bad["steps"][0]["auto_winner"]["min_per_variant"] = json!("lots");
    let (status, body) =
        status_and_body(app.send(Method::PUT, &format!("/api/v1/journeys/{id}"), &json!({"definition": bad})).await)
            .await;
    assert_eq!((status, body["field"].as_str()), (400, Some("definition")), "{body}");

    let readout = app.api_json(&format!("/api/v1/journeys/{id}/readout")).await;
    assert_eq!(readout["winners"], json!([]), "{readout}");
    let evidence = json!({"metric": "order_rate", "window_days": 7, "min_per_variant": 300, "alpha": 0.05,
        "variants": [{"variant": "A", "units": 320, "conversions": 96, "rate": 0.3},
                     {"variant": "B", "units": 310, "conversions": 31, "rate": 0.1}],
        "against": [{"variant": "B", "difference": 0.2, "ci_low": 0.14, "ci_high": 0.26, "p_value": 1e-10, "adjusted_p_value": 1e-10}]});
    let decision = rekindle_core::journey::WinnerDecision {
        journey: rekindle_core::JourneyId(id),
        step: "split".into(),
        winner: "A".into(),
        version: 1,
        decided_at: "2026-05-20T02:00:00Z".parse().unwrap(),
        evidence: serde_json::from_value(evidence.clone()).unwrap(),
    };
    assert!(app.store.record_winner(app.ws, &decision).await.unwrap());
    let readout = app.api_json(&format!("/api/v1/journeys/{id}/readout")).await;
    let w = &readout["winners"][0];
    assert_eq!(
        (w["step"].as_str(), w["winner"].as_str(), w["version"].as_i64()),
        (Some("split"), Some("A"), Some(1)),
        "{readout}"
    );
    assert_eq!(w["evidence"], evidence);
}
