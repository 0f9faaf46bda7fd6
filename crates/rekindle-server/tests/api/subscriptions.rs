//! Subscriptions (定期购) over HTTP with a clock the test moves: a subscription starts through
//! `/v1/track`; at the ask moment the confirmation is written once and the shipped journey
//! queues a WeCom message carrying the signed link; the first shipment is confirmed through
//! the link page, the second skipped through the API, the subscription paused and resumed, the
//! third left unanswered (policy Hold); the schedule and the figures say exactly that; and
//! every refusal is a 4xx naming its field.

use std::time::Duration;

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::helpers::{TestApp, spawn_app_clocked};

async fn until<F: std::future::Future<Output = bool>>(what: &str, mut check: impl FnMut() -> F) {
    for _ in 0..200 {
        if check().await {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("timed out waiting for {what}");
}

async fn answer(r: reqwest::Response) -> (StatusCode, Value) {
    (r.status(), r.json().await.unwrap_or(Value::Null))
}

async fn asked(app: &TestApp) -> Vec<Value> {
    app.events()
        .await
        .into_iter()
        .filter(|e| e.name.as_deref() == Some("Shipment Confirmation Requested"))
        .map(|e| e.properties().clone())
        .collect()
}

async fn act(app: &TestApp, id: &str, body: Value) -> (StatusCode, Value) {
    answer(app.send(Method::POST, &format!("/api/v1/subscriptions/{id}/actions"), &body).await).await
}

async fn link_post(app: &TestApp, token: &str, form: Option<&str>, json: Option<Value>) -> (StatusCode, String) {
    let req = app.client.post(format!("{}/s/{token}", app.base));
    let req = match (form, json) {
        (Some(f), _) => req.header("content-type", "application/x-www-form-urlencoded").body(f.to_owned()),
        (None, Some(j)) => req.json(&j),
        (None, None) => req,
    };
    let r = req.send().await.unwrap();
    (r.status(), r.text().await.unwrap())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_subscription_is_asked_once_answered_by_link_and_api_and_read_back_exactly() {
    // Friday 1 January 2027, 10:00 in Shanghai.
    let (app, clock) = spawn_app_clocked("2027-01-01T02:00:00Z", |c| c.journeys.tick_ms = 50).await;
    let (status, j) =
        answer(app.send(Method::POST, "/api/v1/journeys", &json!({"shipped": "subscription_confirmation"})).await)
            .await;
    assert_eq!(status, StatusCode::CREATED, "{j}");
    let journey = j["id"].as_i64().unwrap();
    let (status, b) =
        answer(app.send(Method::POST, &format!("/api/v1/journeys/{journey}/publish"), &json!({})).await).await;
    assert_eq!(status, StatusCode::OK, "{b}");
    let products = json!([{"sku": "milk-1l", "name": "鲜牛奶1L", "category": "乳品", "price": 1290}]);
    let r = app.send(Method::PUT, "/api/v1/products", &products).await;
    assert!(r.status().is_success(), "{}", r.text().await.unwrap());

    // A price that is not yuan is refused at ingestion, naming the field.
    let start = |price: Value, id: &str| {
        json!({"type": "track", "event": "Subscription Started", "userId": "u1", "messageId": id,
               "timestamp": "2027-01-01T02:00:00Z",
               "properties": {"subscription_id": "s1", "sku": "milk-1l", "every_days": 7, "quantity": 2, "price": price}})
    };
    let r = app.post("/v1/track", &start(json!("12.9元"), "bad")).await;
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    assert_eq!(r.json::<Value>().await.unwrap()["field"], "properties.price");
    let who = json!({"type": "identify", "userId": "u1", "messageId": "i1",
                     "traits": {"nickname": "王姐", "phone": "13800138000", "wecom_external_userid": "wm-1"}});
    assert_eq!(app.post("/v1/identify", &who).await.status(), StatusCode::OK);
    assert_eq!(app.post("/v1/track", &start(json!("12.90"), "start")).await.status(), StatusCode::OK);
    app.events().await;

    let s1 = app.api_json("/api/v1/subscriptions/s1").await;
    assert_eq!(s1["status"], "active", "{s1}");
    assert_eq!(s1["next_shipment"]["ship_on"], "2027-01-08");
    assert_eq!(s1["terms"]["unit_price_fen"], 1290);
    let mine = app.api_json("/api/v1/people/u1/subscriptions").await;
    assert_eq!(mine["subscriptions"][0]["id"], "s1", "{mine}");

    // Nothing is asked before the moment: 10:00 on the 6th in Shanghai.
    clock.set("2027-01-06T01:59:00Z");
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(asked(&app).await.is_empty());
    clock.set("2027-01-06T02:00:30Z");
    until("the confirmation to be asked", || async { !asked(&app).await.is_empty() }).await;
    tokio::time::sleep(Duration::from_millis(400)).await;
    let first = asked(&app).await;
    assert_eq!(first.len(), 1, "asked once, however many ticks: {first:?}");
    assert_eq!(first[0]["ship_on"], "2027-01-08");
    assert_eq!((first[0]["product_name"].as_str(), first[0]["quantity"].as_u64()), (Some("鲜牛奶1L"), Some(2)));
    assert_eq!(first[0]["deadline"], "1月7日 20:00");
    let link = first[0]["answer_link"].as_str().unwrap().to_owned();
    let token = link.rsplit_once("/s/").unwrap().1.to_owned();

    // The journey queued the WeCom message, with the link in its text.
    let first_text =
        |m: Value| m["messages"].as_array().and_then(|a| a.first()).and_then(|x| x["text"].as_str().map(str::to_owned));
    until("the confirmation message to be queued", || async {
        first_text(app.api_json("/api/v1/people/u1/messages").await).is_some()
    })
    .await;
    let text = first_text(app.api_json("/api/v1/people/u1/messages").await).unwrap();
    assert!(text.contains(&link) && text.contains("2027-01-08") && text.contains("鲜牛奶1L"), "{text}");
    assert!(text.contains("1月7日 20:00 前"), "{text}");

    // The page; then confirmed through it.
    let page = app.client.get(format!("{}/s/{token}", app.base)).send().await.unwrap();
    assert_eq!(page.status(), StatusCode::OK);
    let html = page.text().await.unwrap();
    assert!(html.contains("确认") && html.contains("跳过") && html.contains("暂停") && html.contains("改期"));
    let (status, html) = link_post(&app, &token, Some("action=confirm"), None).await;
    assert_eq!(status, StatusCode::OK, "{html}");
    assert!(html.contains("已确认"), "{html}");
    let (status, html) = link_post(&app, &token, Some("action=confirm"), None).await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("无需重复"), "a second tap appends nothing: {html}");

    // Bad and tampered tokens; a date with no shipment; another store's subscription.
    let (status, body) = link_post(&app, "garbage", None, Some(json!({"action": "confirm"}))).await;
    let body: Value = serde_json::from_str(&body).unwrap();
    assert_eq!((status, body["field"].as_str()), (StatusCode::BAD_REQUEST, Some("token")), "{body}");
    let mut tampered = token.clone();
    let last = tampered.pop().unwrap();
    tampered.push(if last == 'A' { 'B' } else { 'A' });
    let (status, body) = link_post(&app, &tampered, None, Some(json!({"action": "skip"}))).await;
    let body: Value = serde_json::from_str(&body).unwrap();
    assert_eq!((status, body["field"].as_str()), (StatusCode::BAD_REQUEST, Some("token")), "{body}");
    let (status, b) = act(&app, "s1", json!({"action": "skip", "ship_on": "2027-01-16"})).await;
    assert_eq!((status, b["field"].as_str()), (StatusCode::BAD_REQUEST, Some("ship_on")), "{b}");
    app.store.create_workspace("north", "北店", "Asia/Shanghai").await.unwrap();
    let (status, b) = answer(
        app.send(Method::POST, "/api/v1/subscriptions/s1/actions?workspace=north", &json!({"action": "pause"})).await,
    )
    .await;
    assert_eq!(status, StatusCode::NOT_FOUND, "{b}");

    // The next one skipped through the API, ahead of its question.
    let (status, b) = act(&app, "s1", json!({"action": "skip", "ship_on": "2027-01-15"})).await;
    assert_eq!((status, b["appended"].as_str()), (StatusCode::OK, Some("Shipment Skipped")), "{b}");

    // Past the first one's cut-off (20:00 on the 7th), it can no longer be answered.
    clock.set("2027-01-07T13:00:00Z");
    let (status, body) = link_post(&app, &token, None, Some(json!({"action": "skip"}))).await;
    let body: Value = serde_json::from_str(&body).unwrap();
    assert_eq!((status, body["field"].as_str()), (StatusCode::CONFLICT, Some("ship_on")), "{body}");
    assert!(body["message"].as_str().unwrap().contains("截止"), "told in Chinese: {body}");
    let (status, b) = answer(
        app.client
            .post(format!("{}/api/v1/subscriptions/s1/actions", app.base))
            .bearer_auth(crate::helpers::ADMIN)
            .header("accept-language", "en")
            .json(&json!({"action": "confirm", "ship_on": "2027-01-08"}))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!((status, b["field"].as_str()), (StatusCode::CONFLICT, Some("ship_on")), "{b}");
    assert!(b["message"].as_str().unwrap().contains("closed at 2027-01-07 20:00"), "{b}");

    // Paused on the 16th, resumed on the 17th for the 22nd.
    clock.set("2027-01-16T02:00:00Z");
    let (status, b) = act(&app, "s1", json!({"action": "pause"})).await;
    assert_eq!((status, b["appended"].as_str()), (StatusCode::OK, Some("Subscription Paused")), "{b}");
    assert_eq!(app.api_json("/api/v1/subscriptions?status=paused").await["total"], 1);
    clock.set("2027-01-17T02:00:00Z");
    let (status, b) = act(&app, "s1", json!({"action": "resume", "next_ship_on": "2027-01-17"})).await;
    assert_eq!((status, b["field"].as_str()), (StatusCode::BAD_REQUEST, Some("next_ship_on")), "{b}");
    let (status, b) = act(&app, "s1", json!({"action": "resume", "next_ship_on": "2027-01-22"})).await;
    assert_eq!((status, b["appended"].as_str()), (StatusCode::OK, Some("Subscription Resumed")), "{b}");

    // The 22nd is asked on the 20th and never answered: held.
    clock.set("2027-01-20T02:00:10Z");
    until("the second confirmation", || async { asked(&app).await.len() == 2 }).await;
    clock.set("2027-01-22T00:00:00Z");
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(asked(&app).await.len(), 2, "the skipped 15th was never asked");

    let s = app.api_json("/api/v1/subscriptions/schedule?from=2027-01-01&to=2027-01-31").await;
    let rows: Vec<(&str, &str, Value)> = s["shipments"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| (r["ship_on"].as_str().unwrap(), r["status"].as_str().unwrap(), r["goes_out"].clone()))
        .collect();
    assert_eq!(
        rows,
        [
            ("2027-01-08", "confirmed", json!(true)),
            ("2027-01-15", "skipped", json!(false)),
            ("2027-01-22", "no_answer", json!(false)),
            ("2027-01-29", "scheduled", Value::Null),
        ],
        "{s}"
    );
    assert_eq!(s["going_out"], 1);
    assert_eq!(s["shipments"][0]["user_id"], "u1");
    let csv = app.api("/api/v1/subscriptions/schedule.csv?from=2027-01-01&to=2027-01-31").await;
    assert_eq!(csv.status(), StatusCode::OK);
    let csv = csv.text().await.unwrap();
    assert!(
        csv.contains("发货日") && csv.contains("2027-01-08,2027-01-08,s1,u1,王姐,milk-1l,2,12.90,25.80,已确认,是"),
        "{csv}"
    );
    let en = app.api("/api/v1/subscriptions/schedule.csv?from=2027-01-01&to=2027-01-31&lang=en").await;
    assert!(en.text().await.unwrap().contains("ship on,due on,subscription"));

    let f = app.api_json("/api/v1/subscriptions/figures?from=2027-01-01&to=2027-01-31").await;
    let jan = &f["months"][0];
    assert_eq!(
        (&jan["started"], &jan["paused"], &jan["resumed"], &jan["shipments_delivered"], &jan["units_delivered"]),
        (&json!(1), &json!(1), &json!(1), &json!(1), &json!(2)),
        "{f}"
    );
    assert_eq!(jan["revenue_fen"], 2580);
    let a = &f["answers"];
    assert_eq!(
        (&a["shipments"], &a["confirmed"], &a["skipped"], &a["no_answer"]),
        (&json!(3), &json!(1), &json!(1), &json!(1))
    );
    assert_eq!(f["active_now"], 1);

    // The journey's readout: one message per confirmation asked.
    let readout = app.api_json(&format!("/api/v1/journeys/{journey}/readout")).await;
    assert_eq!(readout["messages"][0]["count"], 2, "{readout}");
}
