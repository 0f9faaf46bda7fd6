//! Loyalty over HTTP: the program, a member's points for the store's own systems (write key),
//! redemptions held, confirmed and released, an operator's adjustment, and what each role may do.

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::helpers::{TestApp, spawn_app, token_for};

async fn answer(r: reqwest::Response) -> (StatusCode, Value) {
    (r.status(), r.json().await.unwrap_or(Value::Null))
}

/// A call of the store's own system, with the write key.
async fn system(app: &TestApp, method: Method, path: &str, body: Option<Value>) -> (StatusCode, Value) {
    let mut req = app.client.request(method, format!("{}{path}", app.base)).basic_auth(&app.key, Some(""));
    if let Some(b) = body {
        req = req.json(&b);
    }
    answer(req.send().await.unwrap()).await
}

async fn member(app: &TestApp, user: &str) {
    let who =
        json!({"type": "identify", "userId": user, "messageId": format!("id-{user}"), "traits": {"nickname": "王姐"}});
    assert_eq!(app.post("/v1/identify", &who).await.status(), 200);
    app.events().await;
}

#[tokio::test]
async fn the_program_is_the_seeds_until_saved_and_is_checked_by_field() {
    let app = spawn_app().await;
    let p = app.api_json("/api/v1/loyalty/program").await;
    assert_eq!((p["points_per_yuan"].as_i64(), p["levels"].as_array().unwrap().len()), (Some(50), 4));
    let mut bad = p.clone();
    bad["levels"][2]["min_growth"] = json!(10);
    let (status, body) = answer(app.send(Method::PUT, "/api/v1/loyalty/program", &bad).await).await;
    assert_eq!((status, body["field"].as_str()), (StatusCode::BAD_REQUEST, Some("levels[2].min_growth")), "{body}");
    let (status, body) =
        answer(app.send(Method::PUT, "/api/v1/loyalty/program", &json!({"points_per_yuan": "fifty"})).await).await;
    assert_eq!((status, body["field"].as_str()), (StatusCode::BAD_REQUEST, Some("points_per_yuan")), "{body}");
    let analyst = token_for(&app, rekindle_core::access::Role::Analyst).await;
    let mut mine = p.clone();
    mine["points_per_yuan"] = json!(100);
    let r = app
        .client
        .put(format!("{}/api/v1/loyalty/program", app.base))
        .bearer_auth(&analyst)
        .json(&mine)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    let (status, _) = answer(app.send(Method::PUT, "/api/v1/loyalty/program", &mine).await).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(app.api_json("/api/v1/loyalty/program").await["points_per_yuan"], 100);
}

#[tokio::test]
async fn a_redemption_is_held_confirmed_or_released_once_and_never_overspends() {
    let app = spawn_app().await;
    member(&app, "u1").await;
    // An operator credits 500 points (once, however often it is sent).
    let credit = json!({"key": "welcome", "points": 500, "reason": "开卡礼"});
    for _ in 0..2 {
        let (status, body) =
            answer(app.send(Method::POST, "/api/v1/people/u1/points/adjustments", &credit).await).await;
        assert_eq!((status, body["summary"]["balance"].as_i64()), (StatusCode::OK, Some(500)), "{body}");
    }
    let redeem = |points: i64, key: &str| json!({"user_id": "u1", "points": points, "key": key});
    let (status, r) = system(&app, Method::POST, "/v1/points/redemptions", Some(redeem(150, "order-1"))).await;
    assert_eq!(status, StatusCode::CREATED, "{r}");
    assert_eq!(
        (r["state"].as_str(), r["value_fen"].as_i64(), r["balance"].as_i64()),
        (Some("held"), Some(300), Some(350))
    );
    // The same request again: the same redemption; the same key for other points: refused.
    let (status, again) = system(&app, Method::POST, "/v1/points/redemptions", Some(redeem(150, "order-1"))).await;
    assert_eq!((status, again["balance"].as_i64()), (StatusCode::OK, Some(350)));
    let (status, body) = system(&app, Method::POST, "/v1/points/redemptions", Some(redeem(10, "order-1"))).await;
    assert_eq!((status, body["field"].as_str()), (StatusCode::CONFLICT, Some("key")), "{body}");
    // More than the balance: refused whole, the balance said.
    let (status, body) = system(&app, Method::POST, "/v1/points/redemptions", Some(redeem(400, "order-2"))).await;
    assert_eq!((status, body["field"].as_str()), (StatusCode::CONFLICT, Some("points")), "{body}");
    assert!(body["message"].as_str().unwrap().contains("350"), "{body}");

    let (status, c) = system(&app, Method::POST, "/v1/points/redemptions/order-1/confirm", None).await;
    assert_eq!((status, c["state"].as_str()), (StatusCode::OK, Some("confirmed")), "{c}");
    // Refunded after: the points come back, once.
    for _ in 0..2 {
        let (status, r) = system(&app, Method::POST, "/v1/points/redemptions/order-1/release", None).await;
        assert_eq!(
            (status, r["state"].as_str(), r["balance"].as_i64()),
            (StatusCode::OK, Some("released"), Some(500)),
            "{r}"
        );
    }
    let (status, body) = system(&app, Method::POST, "/v1/points/redemptions/order-1/confirm", None).await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");
    let (status, _) = system(&app, Method::POST, "/v1/points/redemptions/nope/release", None).await;
    assert_eq!(status, StatusCode::NOT_FOUND);

    // What the mini-program shows, and the operator's ledger, newest first.
    let (status, m) = system(&app, Method::GET, "/v1/points/members/u1", None).await;
    assert_eq!(
        (status, m["summary"]["balance"].as_i64(), m["standing"]["name"].as_str()),
        (StatusCode::OK, Some(500), Some("L1"))
    );
    assert_eq!(m["worth_fen"], 1000, "500 points are ¥10");
    let ledger = app.api_json("/api/v1/people/u1/points").await;
    let kinds: Vec<&str> = ledger["entries"].as_array().unwrap().iter().map(|e| e["kind"].as_str().unwrap()).collect();
    assert_eq!(kinds, ["release", "redeem", "adjust"]);
    // A deduction larger than the balance is refused.
    let take = json!({"key": "fix", "points": -501, "reason": "更正"});
    let (status, body) = answer(app.send(Method::POST, "/api/v1/people/u1/points/adjustments", &take).await).await;
    assert_eq!((status, body["field"].as_str()), (StatusCode::CONFLICT, Some("points")), "{body}");
}

#[tokio::test]
async fn strangers_bad_keys_and_roles_are_refused() {
    let app = spawn_app().await;
    member(&app, "u1").await;
    // No write key, a wrong one.
    let r = app.client.get(format!("{}/v1/points/members/u1", app.base)).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    let r = app
        .client
        .get(format!("{}/v1/points/members/u1", app.base))
        .basic_auth("wrong", Some(""))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    let (status, _) = system(&app, Method::GET, "/v1/points/members/nobody", None).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    for (body, field) in [
        (json!({"user_id": "u1", "points": 0, "key": "k"}), "points"),
        (json!({"user_id": "u1", "points": 10, "key": ""}), "key"),
        (json!({"user_id": "u1", "points": 10, "key": "x".repeat(101)}), "key"),
        (json!({"user_id": "u1", "points": "10", "key": "k"}), "points"),
        (json!({"user_id": "u1", "points": 10, "key": "k", "extra": 1}), "body"),
        (json!({"user_id": "", "points": 10, "key": "k"}), "user_id"),
    ] {
        let (status, b) = system(&app, Method::POST, "/v1/points/redemptions", Some(body.clone())).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{body}: {b}");
        assert!(b["field"].as_str().is_some_and(|f| f.starts_with(field) || field == "body"), "{body}: {b}");
    }
    // An analyst reads points but does not adjust them.
    let analyst = token_for(&app, rekindle_core::access::Role::Analyst).await;
    let url = format!("{}/api/v1/people/u1/points", app.base);
    assert_eq!(app.client.get(&url).bearer_auth(&analyst).send().await.unwrap().status(), StatusCode::OK);
    let adjust = json!({"key": "k", "points": 10, "reason": "x"});
    let r = app.client.post(format!("{url}/adjustments")).bearer_auth(&analyst).json(&adjust).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
}

/// The points follower: an order earns its yuan, comments earn within the day's cap, a share
/// earns, watching 30 minutes of a session earns once, a partial refund takes back its part.
#[tokio::test]
async fn events_earn_points_by_the_program_once_each() {
    let app = crate::helpers::spawn_app_at("2026-05-05T13:00:00Z").await;
    let session = json!([{"object": "live_session", "id": "s1", "title": "草莓专场", "topics": [], "host": "小鹿",
        "scheduled_start": "2026-05-05T12:00:00Z", "started_at": "2026-05-05T12:00:00Z", "ended_at": null}]);
    assert_eq!(app.send(Method::PUT, "/api/v1/live-sessions", &session).await.status(), 200);
    let track = |event: &str, id: String, t: String, properties: Value| json!({"type": "track", "userId": "u1", "event": event, "messageId": id, "timestamp": t, "properties": properties});
    let at = |minute: i64| format!("2026-05-05T12:{minute:02}:00Z");
    let mut batch = vec![track(
        "Order Completed",
        "o1".into(),
        at(5),
        json!({"order_id": "o1", "revenue": 129.9, "session_id": "s1"}),
    )];
    for n in 0..12 {
        batch.push(track("Live Commented", format!("c{n}"), at(6), json!({"session_id": "s1", "text": "好"})));
    }
    batch.push(track("Live Shared", "sh1".into(), at(7), json!({"session_id": "s1"})));
    batch.push(track("Live Entered", "in".into(), at(0), json!({"session_id": "s1"})));
    for m in 1..=31 {
        batch.push(track("Live Watched", format!("w{m}"), at(m), json!({"session_id": "s1", "seconds": 60})));
    }
    batch.push(track("Order Refunded", "r1".into(), at(40), json!({"order_id": "o1", "amount": 50})));
    // Sent twice: nothing counts twice.
    for _ in 0..2 {
        assert_eq!(app.post("/v1/batch", &json!({"batch": batch})).await.status(), 200);
    }
    let expected = 129 + 10 + 5 + 10 - 50;
    let mut seen = Value::Null;
    for _ in 0..100 {
        seen = app.api_json("/api/v1/people/u1/points").await;
        if seen["summary"]["balance"] == expected && seen["entries"].as_array().unwrap().len() == 14 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert_eq!(seen["summary"]["balance"], expected, "{seen}");
    let sources: Vec<&str> =
        seen["entries"].as_array().unwrap().iter().map(|e| e["source"].as_str().unwrap()).collect();
    assert_eq!(
        sources.iter().filter(|s| s.starts_with("comment:")).count(),
        10,
        "ten comments a day earn: {sources:?}"
    );
    assert!(sources.contains(&"order:o1") && sources.contains(&"clawback:o1:r1"), "{sources:?}");
    assert_eq!(sources.iter().filter(|s| s.starts_with("watch:s1:")).count(), 1, "{sources:?}");
    assert_eq!(seen["summary"]["earned"], 129 + 10 + 5 + 10);
    assert_eq!(seen["summary"]["taken_back"], 50);
    // Segments read the ledger: 104 points, growth 104 (L1).
    for (rule, count) in [
        ("积分 >= 100 且 会员等级 = L1", 1),
        ("points > 104", 0),
        ("level >= L2", 0),
        ("points expiring within 800d", 1),
    ] {
        let (status, p) =
            answer(app.send(Method::POST, "/api/v1/segments/preview", &json!({"rule": rule})).await).await;
        assert_eq!((status, p["count"].as_u64()), (StatusCode::OK, Some(count)), "{rule}: {p}");
    }
}

#[tokio::test]
async fn the_programs_figures_count_what_was_issued_and_redeemed_and_who_stands_where() {
    let app = spawn_app().await;
    member(&app, "u1").await;
    member(&app, "u2").await;
    let credit = |key: &str, points: i64| json!({"key": key, "points": points, "reason": "活动奖励"});
    for (user, points) in [("u1", 800), ("u2", 100)] {
        let path = format!("/api/v1/people/{user}/points/adjustments");
        assert_eq!(app.send(Method::POST, &path, &credit(user, points)).await.status(), StatusCode::OK);
    }
    let redeem = json!({"user_id": "u1", "points": 200, "key": "order-9"});
    assert_eq!(system(&app, Method::POST, "/v1/points/redemptions", Some(redeem)).await.0, StatusCode::CREATED);

    let f = app.api_json("/api/v1/loyalty/figures?periods=3").await;
    assert_eq!((f["members"].as_i64(), f["issued"].as_i64(), f["redeemed"].as_i64()), (Some(2), Some(900), Some(200)));
    assert_eq!((f["outstanding"].as_i64(), f["outstanding_fen"].as_i64()), (Some(700), Some(1400)), "{f}");
    let periods = f["periods"].as_array().unwrap();
    assert_eq!(periods.len(), 3);
    let this_month = &periods[2];
    assert_eq!(this_month["issued"], 900);
    assert!((this_month["redemption_rate"].as_f64().unwrap() - 200.0 / 900.0).abs() < 1e-9);
    // Adjustments are not growth: both members stand at the first level.
    assert_eq!(this_month["levels"], json!([2, 0, 0, 0]));
    for bad in ["grain=year", "periods=0", "periods=61", "periods=x"] {
        let (status, body) = answer(app.api(&format!("/api/v1/loyalty/figures?{bad}")).await).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{bad}: {body}");
        assert!(body["field"].is_string(), "{bad}: {body}");
    }
}

#[tokio::test]
async fn a_message_names_the_members_points_level_and_the_way_to_the_next() {
    let app = spawn_app().await;
    member(&app, "u1").await;
    let credit = json!({"key": "welcome", "points": 500, "reason": "开卡礼"});
    assert_eq!(app.send(Method::POST, "/api/v1/people/u1/points/adjustments", &credit).await.status(), StatusCode::OK);
    // An order of ¥120 earns 120 growth: L2 (500) is 380 away.
    let order = json!({"type": "track", "event": "Order Completed", "userId": "u1", "messageId": "o1",
        "properties": {"order_id": "o1", "revenue": 120.0}});
    assert_eq!(app.post("/v1/track", &order).await.status(), 200);
    app.events().await;
    let template = json!({"name": "nudge", "channel": "wecom",
        "text": "{{points}}分 {{level}} 再消费{{yuan_to_next}}元升{{next_level}} 到期{{points_expiring}}"});
    let body = json!({"template": template, "person": "u1"});
    let mut text = String::new();
    // The follower awards the order's points in the background: asked until it has.
    for _ in 0..50 {
        let (status, r) = answer(app.send(Method::POST, "/api/v1/message-templates/preview", &body).await).await;
        assert_eq!(status, StatusCode::OK, "{r}");
        text = r["text"].as_str().unwrap_or_default().to_owned();
        if text.starts_with("620分") {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert_eq!(text, "620分 L1 再消费380元升L2 到期0");
}

/// The points loop keeps its list of workspaces for a second between appends: a workspace
/// made after it was listed still earns, on the next pass, with no other append to wake it.
#[tokio::test]
async fn a_workspace_made_while_the_server_runs_earns_points() {
    let app = spawn_app().await;
    member(&app, "u0").await;
    let north = app.store.create_workspace("north", "北店", "Asia/Shanghai").await.unwrap();
    let (key, _) = rekindle_ingest::write_keys::create(&*app.store, north.id, "test").await.unwrap().unwrap();
    let order = json!({"type": "track", "userId": "u1", "event": "Order Completed", "messageId": "o1",
        "properties": {"order_id": "o1", "revenue": 88}});
    let posted = app.client.post(format!("{}/v1/track", app.base)).basic_auth(&key, Some("")).json(&order);
    assert_eq!(posted.send().await.unwrap().status(), 200);
    let mut seen = Value::Null;
    for _ in 0..50 {
        seen = app.api_json("/api/v1/people/u1/points?workspace=north").await;
        if seen["summary"]["balance"] == 88 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert_eq!(seen["summary"]["balance"], 88, "{seen}");
}
