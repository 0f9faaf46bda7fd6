//! Reports over HTTP: the figures, the table in the operator's language and the CSV.

use serde_json::{Value, json};

use crate::helpers::{ADMIN, spawn_app_at, spawn_app_at_with};

fn order(user: &str, id: &str, at: &str, yuan: f64) -> Value {
    json!({"type": "track", "userId": user, "event": "Order Completed", "messageId": id, "timestamp": at,
        "properties": {"order_id": id, "revenue": yuan, "products": [{"sku": "milk", "category": "乳品", "price": yuan}]}})
}

#[tokio::test]
async fn cohorts_repurchase_and_csv_come_from_the_events() {
    let app = spawn_app_at("2026-06-15T04:00:00Z").await;
    let batch = vec![
        json!({"type": "track", "userId": "a", "event": "Contact Added", "messageId": "c-a", "timestamp": "2026-04-01T01:00:00Z", "properties": {"source": "referral"}}),
        order("a", "a1", "2026-04-01T02:00:00Z", 10.0),
        // 23:30 on April 5th in Shanghai: a repurchase on the 5th local day.
        order("a", "a2", "2026-04-05T15:30:00Z", 20.0),
        order("b", "b1", "2026-04-02T02:00:00Z", 30.0),
        order("b", "b2", "2026-05-20T02:00:00Z", 40.0),
    ];
    assert_eq!(app.post("/v1/import", &json!({"batch": batch})).await.status(), 200);
    app.events().await;

    let r = app.api_json("/api/v1/reports/cohorts?from=2026-04-01&to=2026-06-15&grain=month").await;
    assert_eq!((r["kind"].as_str(), r["time_zone"].as_str()), (Some("cohorts"), Some("Asia/Shanghai")));
    let april = &r["answer"]["cohorts"][0];
    assert_eq!((april["key"].as_str(), april["buyers"].as_u64()), (Some("2026-04-01"), Some(2)));
    let ordered: Vec<u64> = april["cells"].as_array().unwrap().iter().map(|c| c["ordered"].as_u64().unwrap()).collect();
    assert_eq!(ordered, [2, 1, 0], "April, May, June");
    assert_eq!(april["cells"][0]["revenue_fen"], 6000);
    assert_eq!(r["columns"][0]["header"], "同期群", "headers in Chinese by default");
    assert_eq!(r["rows"][0][0], "2026-04-01");

    let r = app.api_json("/api/v1/reports/repurchase?from=2026-04-01&to=2026-04-30&grain=month").await;
    let total = &r["answer"]["total"];
    assert_eq!(
        (total["new_buyers"].as_u64(), total["repurchased_7d"].as_u64(), total["repurchased_30d"].as_u64()),
        (Some(2), Some(1), Some(1))
    );

    let r = app.api_json("/api/v1/reports/referral?from=2026-04-01&to=2026-04-30&grain=month").await;
    assert_eq!(
        (r["answer"]["rows"][0]["new_buyers"].as_u64(), r["answer"]["rows"][0]["referred"].as_u64()),
        (Some(2), Some(1))
    );

    let csv = app.api("/api/v1/reports/repurchase/export.csv?from=2026-04-01&to=2026-04-30&grain=month&lang=en").await;
    assert_eq!(csv.status(), 200);
    assert!(csv.headers()["content-disposition"].to_str().unwrap().contains("repurchase-2026-04-01-2026-04-30.csv"));
    let text = csv.text().await.unwrap();
    let lines: Vec<&str> = text.trim_start_matches('\u{feff}').lines().collect();
    assert_eq!(lines[0], "period,new_buyers,matured_7d,repurchased_7d,rate_7d,matured_30d,repurchased_30d,rate_30d");
    assert_eq!(lines[1], "2026-04-01,2,2,1,0.5000,2,1,0.5000");
    assert_eq!(lines.last().unwrap(), &"total,2,2,1,0.5000,2,1,0.5000");

    let english = app
        .client
        .get(format!("{}/api/v1/reports/funnel", app.base))
        .bearer_auth(ADMIN)
        .header("accept-language", "en")
        .send()
        .await
        .unwrap()
        .json::<Value>()
        .await
        .unwrap();
    assert_eq!(english["columns"][0]["header"], "stage");
    for kind in ["churn", "wakeup", "ltv", "tickets"] {
        let r = app.api_json(&format!("/api/v1/reports/{kind}")).await;
        assert!(r["rows"].is_array(), "{kind}: {r}");
    }
}

/// A split journey with a holdout, as the store keeps it: entries with their variants, a
/// message that went out and a coupon redeemed on an order. The journeys report credits it
/// against the holdout and by last touch; the experiments report reads A against the holdout.
#[tokio::test]
async fn journeys_and_experiments_read_the_journey_against_its_holdout() {
    use rekindle_core::journey::{Definition, Reentry, coupon_key};
    use rekindle_core::outreach::{CapsConfig, ChannelKind, CouponDefinition, CouponValue};
    use rekindle_core::{Identifier, IdentifierKind};
    use rekindle_store::{Advance, CouponIssue, Dispatched, EnrollmentState, NewEnrollment, NewMessage, PersonRef};

    // Journeys off: this test plays the dispatcher, so none may claim its messages first.
    let app = spawn_app_at_with("2026-06-15T04:00:00Z", |c| c.journeys.enabled = false).await;
    // 40 people; the even ones are treated (A), the odd ones held out. A quarter of the treated
    // order ¥50 two days after entering, an eighth of the holdout do.
    let mut batch = Vec::new();
    for i in 0..40 {
        batch.push(json!({"type": "identify", "userId": format!("u{i}"), "messageId": format!("id-{i}"), "timestamp": "2026-05-01T02:00:00Z"}));
        if (i % 2 == 0 && i % 4 == 0) || i % 8 == 1 {
            batch.push(order(&format!("u{i}"), &format!("o{i}"), "2026-06-03T02:00:00Z", 50.0));
        }
    }
    assert_eq!(app.post("/v1/import", &json!({"batch": batch})).await.status(), 200);
    app.events().await;

    let (store, ws) = (&app.store, app.ws);
    let definition: Definition = serde_json::from_value(json!({
        "trigger": {"type": "event", "event": "Order Completed"},
        "steps": [
            {"id": "split", "type": "split", "holdout_percent": 50, "variants": [{"name": "A", "percent": 50, "next": "send"}]},
            {"id": "send", "type": "send", "channel": "sms", "template": "t"},
        ],
        "goal": {"within_days": 7},
    }))
    .unwrap();
    let j = store.create_journey(ws, "复购提醒", &definition, "2026-05-01T00:00:00Z".parse().unwrap()).await.unwrap();
    let version = store.publish_journey(ws, j.id, None, "2026-05-01T00:00:00Z".parse().unwrap()).await.unwrap().version;
    store
        .put_coupon(
            ws,
            &CouponDefinition {
                name: "回归礼".into(),
                title: "回归礼包".into(),
                value: CouponValue::Amount { fen: 500 },
                threshold_fen: 0,
                valid_days: 7,
                per_person_limit: 1,
            },
        )
        .await
        .unwrap();
    let entered: chrono::DateTime<chrono::Utc> = "2026-06-01T02:00:00Z".parse().unwrap();
    let caps = CapsConfig::default();
    for i in 0..40 {
        let who = PersonRef::Identifier(Identifier::parse(IdentifierKind::UserId, &format!("u{i}"), "test").unwrap());
        let person = store.person(ws, &who).await.unwrap().unwrap().id;
        let new = NewEnrollment {
            journey: j.id,
            version,
            person,
            trigger_key: format!("t{i}"),
            reentry: Reentry::Once,
            context: json!({}),
            limits: Default::default(),
            at: entered,
        };
        let e = store.enroll(ws, &new).await.unwrap().unwrap();
        let treated = i % 2 == 0;
        let mut messages = Vec::new();
        if treated {
            messages.push(NewMessage {
                send_key: format!("{}:0:send", e.id),
                person,
                journey: Some(j.id),
                enrollment: Some(e.id),
                step: Some("send".into()),
                variant: Some("A".into()),
                channel: ChannelKind::Sms,
                recipient: format!("1380013{i:04}"),
                sender: None,
                template: Some("SMS_1".into()),
                body: json!({"text": "hi"}),
                transactional: false,
                not_before: entered,
                day: "2026-06-01".parse().unwrap(),
                skip: None,
                priority: 5,
                tag: None,
                when_capped: Default::default(),
                fallback: Vec::new(),
            });
        }
        let advance = Advance {
            enrollment: e.id,
            seq: 0,
            state: if treated { EnrollmentState::Finished } else { EnrollmentState::HeldOut },
            step: None,
            wake_at: None,
            variant: Some(if treated { "A" } else { "holdout" }.into()),
            messages,
            log: vec![],
            at: entered,
        };
        store.advance(ws, &advance, &caps).await.unwrap().unwrap();
        if i == 0 {
            let CouponIssue::Issued(c) =
                store.issue_coupon(ws, "回归礼", person, &coupon_key(e.id, 0, "gift", false), entered).await.unwrap()
            else {
                panic!("issued")
            };
            assert!(
                store.redeem_coupon(ws, &c.code, Some("o0"), "2026-06-03T02:00:00Z".parse().unwrap()).await.unwrap()
            );
        }
    }
    for m in store.claim_messages(entered, chrono::Duration::minutes(5), 100).await.unwrap() {
        store.record_dispatch(m.id, &Dispatched::Sent { provider_id: None, awaiting: false }, entered).await.unwrap();
    }

    let r = app.api_json("/api/v1/reports/journeys?from=2026-06-01&to=2026-06-15").await;
    assert_eq!((r["kind"].as_str(), r["days"].as_i64()), (Some("journeys"), Some(7)), "a week's window by default");
    let journey = &r["answer"]["journeys"][0];
    assert_eq!(journey["name"], "复购提醒");
    let arm = |v: &str| journey["arms"].as_array().unwrap().iter().find(|a| a["variant"] == v).unwrap().clone();
    let (a, holdout) = (arm("A"), arm("holdout"));
    assert_eq!(
        (a["measured"].as_u64(), a["buyers"].as_u64(), a["revenue_fen"].as_i64()),
        (Some(20), Some(10), Some(50_000))
    );
    assert_eq!(
        (holdout["measured"].as_u64(), holdout["buyers"].as_u64(), holdout["revenue_fen"].as_i64()),
        (Some(20), Some(5), Some(25_000))
    );
    // (¥25 − ¥12.50) a head over the 20 treated: ¥250 more than without the journey.
    assert_eq!(journey["incremental"]["revenue_fen"], 25_000);
    assert_eq!((journey["coupon_cost_fen"].as_i64(), journey["roi"].as_f64()), (Some(500), Some(50.0)));
    // Every treated order came after the journey's message: last touch credits all of it.
    assert_eq!(
        (journey["last_touch_orders"].as_u64(), journey["last_touch_revenue_fen"].as_i64()),
        (Some(10), Some(50_000))
    );
    assert_eq!(r["columns"][0]["header"], "旅程");

    let r = app.api_json("/api/v1/reports/experiments?from=2026-06-01&to=2026-06-15").await;
    let cmp = &r["answer"]["experiments"][0]["comparisons"][0];
    assert_eq!((cmp["variant"].as_str(), cmp["control"].as_str()), (Some("A"), Some("holdout")));
    assert_eq!(cmp["units"], json!([20, 20]));
    assert_eq!(cmp["readout"]["sample_ratio_mismatch"], false, "20 and 20 of a 50/50 split");
    let metrics = cmp["readout"]["metrics"].as_array().unwrap();
    let names: Vec<&str> = metrics.iter().map(|m| m["name"].as_str().unwrap()).collect();
    assert_eq!(names, ["order_rate", "revenue_per_person", "opt_out_rate", "removed_rate"]);
    assert_eq!(metrics[0]["verdict"], "too_small", "20 a side is too few to call: {}", metrics[0]);
    assert!((metrics[0]["comparison"]["absolute"]["estimate"].as_f64().unwrap() - 0.25).abs() < 1e-9);
    assert!(metrics[1]["unadjusted"].is_object(), "CUPED shows the plain comparison beside");

    let csv = app.api("/api/v1/reports/experiments/export.csv?from=2026-06-01&to=2026-06-15&lang=en").await;
    let text = csv.text().await.unwrap();
    assert!(text.trim_start_matches('\u{feff}').starts_with("journey,variant,control,metric,adjusted,"), "{text}");
    assert!(text.contains("复购提醒,A,holdout,order_rate,"), "{text}");
}

/// Team targets: the owner sets a 7-day repurchase target for the live team; its progress is
/// read over the 30 days ending a week ago, by the report's definition.
#[tokio::test]
async fn team_targets_show_progress_by_the_reports_definitions() {
    let app = spawn_app_at("2026-06-15T04:00:00Z").await;
    // Two new buyers in May; one ordered again within a week.
    let batch = vec![
        order("a", "a1", "2026-05-20T02:00:00Z", 10.0),
        order("a", "a2", "2026-05-23T02:00:00Z", 20.0),
        order("b", "b1", "2026-05-21T02:00:00Z", 30.0),
    ];
    assert_eq!(app.post("/v1/import", &json!({"batch": batch})).await.status(), 200);
    app.events().await;
    let empty = app.api_json("/api/v1/targets").await;
    assert_eq!(empty["targets"], json!([]));

    let body = json!({"targets": [
        {"team": "live", "kpi": "repurchase_7d", "target": 0.4},
        {"team": "service", "kpi": "tickets_48h", "target": 0.95},
    ]});
    let r = app.send(reqwest::Method::PUT, "/api/v1/targets", &body).await;
    assert_eq!(r.status(), 200);
    let view: Value = r.json().await.unwrap();
    let live = &view["targets"][0];
    assert_eq!((live["team"].as_str(), live["kpi"].as_str()), (Some("live"), Some("repurchase_7d")));
    // The 30 days ending June 8th (a week before today).
    assert_eq!(
        (live["current"]["from"].as_str(), live["current"]["to"].as_str()),
        (Some("2026-05-10"), Some("2026-06-08"))
    );
    assert_eq!((live["current"]["part"].as_u64(), live["current"]["whole"].as_u64()), (Some(1), Some(2)));
    assert_eq!((live["current"]["rate"].as_f64(), live["met"].as_bool()), (Some(0.5), Some(true)));
    let service = &view["targets"][1];
    assert_eq!(
        (service["current"]["whole"].as_u64(), service["met"].clone()),
        (Some(0), Value::Null),
        "no tickets: no call"
    );
    assert_eq!(app.api_json("/api/v1/targets").await["targets"].as_array().unwrap().len(), 2, "kept");
}
