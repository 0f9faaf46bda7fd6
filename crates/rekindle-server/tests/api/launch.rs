//! Launch safety over HTTP (docs/journeys.md): a test send reaches the seed list and nobody
//! else, marked 【测试】; with approval on, an operator's publish waits for an owner, who
//! approves or rejects it, each action in the audit log.

use std::collections::BTreeSet;

use rekindle_core::access::Role;
use rekindle_delivery::standin::{Provider, StandIn};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::helpers::{TestApp, spawn_app_at_with, token_for};

async fn call(app: &TestApp, token: &str, method: Method, path: &str, body: &Value) -> (StatusCode, Value) {
    let r =
        app.client.request(method, format!("{}{path}", app.base)).bearer_auth(token).json(body).send().await.unwrap();
    (r.status(), r.json().await.unwrap_or(Value::Null))
}

async fn journey(app: &TestApp, name: &str, definition: Value) -> i64 {
    let r = app.send(Method::POST, "/api/v1/journeys", &json!({"name": name, "definition": definition})).await;
    assert_eq!(r.status(), 201);
    r.json::<Value>().await.unwrap()["id"].as_i64().unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_test_send_reaches_only_the_seed_list() {
    let sms = StandIn::start(Provider::TencentSms).await;
    let wecom = StandIn::start(Provider::Wecom).await;
    let mut channels = sms.config();
    channels.wecom = wecom.config().wecom;
    // 23:00 in Shanghai: quiet hours, which a test send is outside of, as it is of caps.
    let app = spawn_app_at_with("2026-05-01T15:00:00Z", |c| c.channels = channels).await;
    // Customers with phones and WeCom ids, in a live journey: none of them may be reached.
    let batch = json!({"batch": [
        {"type": "identify", "userId": "c1", "messageId": "i1", "traits": {"phone": "13900000001", "wecom_external_userid": "wm-c1"}},
        {"type": "identify", "userId": "c2", "messageId": "i2", "traits": {"phone": "13900000002"}},
    ]});
    assert_eq!(app.post("/v1/batch", &batch).await.status(), 200);
    app.events().await;
    let sms_template = json!({"name": "提醒", "channel": "sms", "text": "{{nickname}}，您的{{last_product}}快吃完了 拒收请回复R",
        "provider_template": "1234567", "params": [{"name": "1", "value": "{{nickname}}"}, {"name": "2", "value": "{{last_product}}"}]});
    assert_eq!(app.send(Method::PUT, "/api/v1/message-templates/提醒", &sms_template).await.status(), 200);
    let wecom_template = json!({"name": "企微提醒", "channel": "wecom", "text": "{{nickname|亲}}，{{coupon}}已到账"});
    assert_eq!(app.send(Method::PUT, "/api/v1/message-templates/企微提醒", &wecom_template).await.status(), 200);
    let id = journey(
        &app,
        "复购",
        json!({
            "trigger": {"type": "event", "event": "Order Completed"},
            "steps": [
                {"id": "wait", "type": "wait", "minutes": 60, "next": "remind"},
                {"id": "remind", "type": "send", "channel": "sms", "template": "提醒",
                 "fallback": [{"channel": "wecom", "template": "企微提醒"}]},
            ],
        }),
    )
    .await;

    let operator = token_for(&app, Role::Operator).await;
    let owner = token_for(&app, Role::Owner).await;
    let (status, b) =
        call(&app, &operator, Method::POST, &format!("/api/v1/journeys/{id}/test-send"), &json!({"step": "remind"}))
            .await;
    assert_eq!((status, b["field"].as_str()), (StatusCode::BAD_REQUEST, Some("step")), "no seeds yet: {b}");

    let seeds = json!({"approval_required": false, "seeds": [
        {"name": "小王", "phone": "138 0000 0001", "wecom_external_userid": "wm-wang", "wecom_staff_userid": "wang"},
        {"name": "小李", "phone": "+86 138-0000-0002"},
        {"name": "小张", "openid": "o-zhang"},
    ]});
    let (status, b) = call(&app, &operator, Method::PUT, "/api/v1/launch-settings", &seeds).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "only an owner edits the seeds: {b}");
    let (status, saved) = call(&app, &owner, Method::PUT, "/api/v1/launch-settings", &seeds).await;
    assert_eq!(status, StatusCode::OK, "{saved}");
    assert_eq!(saved["seeds"][0]["phone"], "+8613800000001", "stored in E.164");

    let (status, b) =
        call(&app, &operator, Method::POST, &format!("/api/v1/journeys/{id}/test-send"), &json!({"step": "remind"}))
            .await;
    assert_eq!(status, StatusCode::OK, "{b}");
    assert_eq!((b["channel"].as_str(), b["sent"].as_u64()), (Some("sms"), Some(2)), "{b}");
    let missing: Vec<&str> = b["results"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["error"] == "no_address")
        .map(|r| r["seed"].as_str().unwrap())
        .collect();
    assert_eq!(missing, ["小张"]);
    let reached: BTreeSet<String> = sms.delivered().into_iter().map(|d| d.to).collect();
    assert_eq!(
        reached,
        BTreeSet::from(["+8613800000001".to_owned(), "+8613800000002".to_owned()]),
        "the seeds, nobody else"
    );
    assert!(
        sms.delivered().iter().all(|d| d.params.first().is_some_and(|p| p.1 == "测试")),
        "sample values: {:?}",
        sms.delivered()
    );

    let (status, b) = call(
        &app,
        &operator,
        Method::POST,
        &format!("/api/v1/journeys/{id}/test-send"),
        &json!({"step": "remind", "channel": "wecom"}),
    )
    .await;
    assert_eq!((status, b["sent"].as_u64()), (StatusCode::OK, Some(1)), "{b}");
    let tasks = wecom.mass_tasks();
    assert_eq!(tasks.len(), 1);
    assert_eq!(
        (tasks[0].external_userids.clone(), tasks[0].sender.as_deref()),
        (vec!["wm-wang".to_owned()], Some("wang"))
    );
    assert!(tasks[0].text.starts_with("【测试】测试，优惠券"), "marked as a test: {}", tasks[0].text);
    assert_eq!(sms.delivered().len(), 2, "nothing else went out");

    // Outside any enrollment and the outbox: the journey's readout saw nothing.
    let readout = app.api_json(&format!("/api/v1/journeys/{id}/readout")).await;
    assert!(
        readout["messages"].as_array().unwrap().is_empty() && readout["steps"].as_array().unwrap().is_empty(),
        "{readout}"
    );
    let audit = app.api_json("/api/v1/audit").await;
    assert!(audit.as_array().unwrap().iter().any(|a| a["action"] == "journey.test_send"), "{audit}");

    for (body, field) in [
        (json!({"step": "wait"}), "step"),
        (json!({"step": "nope"}), "step"),
        (json!({"step": "remind", "channel": "miniprogram"}), "channel"),
    ] {
        let (status, b) = call(&app, &operator, Method::POST, &format!("/api/v1/journeys/{id}/test-send"), &body).await;
        assert_eq!((status, b["field"].as_str()), (StatusCode::BAD_REQUEST, Some(field)), "{body}: {b}");
    }
    let analyst = token_for(&app, Role::Analyst).await;
    let (status, _) =
        call(&app, &analyst, Method::POST, &format!("/api/v1/journeys/{id}/test-send"), &json!({"step": "remind"}))
            .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert_eq!(sms.delivered().len(), 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn with_approval_on_an_operators_publish_waits_for_an_owner() {
    let app = spawn_app_at_with("2026-05-01T02:00:00Z", |_| {}).await;
    let tag = app.send(Method::POST, "/api/v1/tags", &json!({"name": "回访"})).await;
    assert!(tag.status().is_success(), "{}", tag.status());
    let definition = |minutes: u32| {
        json!({"trigger": {"type": "event", "event": "Order Completed"},
               "steps": [{"id": "wait", "type": "wait", "minutes": minutes, "next": "tag"},
                         {"id": "tag", "type": "tag", "tag": "回访"}]})
    };
    let id = journey(&app, "回访", definition(60)).await;
    let operator = token_for(&app, Role::Operator).await;
    let owner = token_for(&app, Role::Owner).await;
    let publish = format!("/api/v1/journeys/{id}/publish");
    let approval = format!("/api/v1/journeys/{id}/approval");
    let edit = |minutes| json!({"definition": definition(minutes)});

    // Off (the default): publishing is as it was.
    let (status, b) = call(&app, &operator, Method::POST, &publish, &json!({})).await;
    assert_eq!((status, b["version"].as_i64()), (StatusCode::OK, Some(1)), "{b}");

    let (status, _) =
        call(&app, &owner, Method::PUT, "/api/v1/launch-settings", &json!({"approval_required": true})).await;
    assert_eq!(status, StatusCode::OK);
    let (status, _) =
        call(&app, &operator, Method::PUT, "/api/v1/launch-settings", &json!({"approval_required": false})).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "an operator cannot waive it");

    // On: the operator's publish is a request; nothing new goes live.
    call(&app, &operator, Method::PUT, &format!("/api/v1/journeys/{id}"), &edit(120)).await;
    let (status, b) = call(&app, &operator, Method::POST, &publish, &json!({})).await;
    assert_eq!(
        (status, b["version"].clone(), b["approval"]["state"].as_str()),
        (StatusCode::OK, Value::Null, Some("pending")),
        "{b}"
    );
    let j = app.api_json(&format!("/api/v1/journeys/{id}")).await;
    assert_eq!((j["version"].as_i64(), j["approval"]["state"].as_str()), (Some(1), Some("pending")), "待审批");
    assert_eq!(j["approval"]["requested_by"], "operator@shop.cn");

    let (status, _) = call(&app, &operator, Method::POST, &approval, &json!({"decision": "approve"})).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "an operator does not approve their own");
    let (status, b) = call(&app, &owner, Method::POST, &approval, &json!({"decision": "reject"})).await;
    assert_eq!((status, b["field"].as_str()), (StatusCode::BAD_REQUEST, Some("reason")), "{b}");
    let (status, b) =
        call(&app, &owner, Method::POST, &approval, &json!({"decision": "reject", "reason": "等两小时太久"})).await;
    assert_eq!(
        (status, b["approval"]["state"].as_str(), b["version"].clone()),
        (StatusCode::OK, Some("rejected"), Value::Null),
        "{b}"
    );
    let j = app.api_json(&format!("/api/v1/journeys/{id}")).await;
    assert_eq!((j["version"].as_i64(), j["approval"]["reason"].as_str()), (Some(1), Some("等两小时太久")));
    let (status, _) = call(&app, &owner, Method::POST, &approval, &json!({"decision": "approve"})).await;
    assert_eq!(status, StatusCode::CONFLICT, "nothing is waiting");

    // Edited after asking: approving would publish something unseen.
    call(&app, &operator, Method::POST, &publish, &json!({})).await;
    call(&app, &operator, Method::PUT, &format!("/api/v1/journeys/{id}"), &edit(90)).await;
    let j = app.api_json(&format!("/api/v1/journeys/{id}")).await;
    assert_eq!(j["approval"]["draft_changed"], true);
    let (status, _) = call(&app, &owner, Method::POST, &approval, &json!({"decision": "approve"})).await;
    assert_eq!(status, StatusCode::CONFLICT);

    call(&app, &operator, Method::POST, &publish, &json!({})).await;
    let (status, b) = call(&app, &owner, Method::POST, &approval, &json!({"decision": "approve"})).await;
    assert_eq!(
        (status, b["version"].as_i64(), b["approval"]["state"].as_str()),
        (StatusCode::OK, Some(2), Some("approved")),
        "{b}"
    );
    let j = app.api_json(&format!("/api/v1/journeys/{id}")).await;
    assert_eq!(j["version"], 2);
    assert_eq!(j["versions"][0]["published_by"], "owner@shop.cn (requested by operator@shop.cn)");

    // An owner's own publish needs nobody's approval.
    call(&app, &owner, Method::PUT, &format!("/api/v1/journeys/{id}"), &edit(30)).await;
    let (status, b) = call(&app, &owner, Method::POST, &publish, &json!({})).await;
    assert_eq!((status, b["version"].as_i64()), (StatusCode::OK, Some(3)), "{b}");

    let audit = app.api_json("/api/v1/audit").await;
    let actions: Vec<&str> = audit.as_array().unwrap().iter().map(|a| a["action"].as_str().unwrap()).collect();
    for action in ["launch.settings.update", "journey.request_approval", "journey.reject", "journey.approve"] {
        assert!(actions.contains(&action), "{action} in {actions:?}");
    }
}
