//! Segments and tags over HTTP: a rule previewed while typed (errors point at the spot),
//! saved, versioned when edited, members kept live as events arrive, exported as CSV; tags
//! by hand and by rule; who may change them.

use rekindle_core::access::Role;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::helpers::{ADMIN, TestApp, spawn_app};

async fn send(app: &TestApp, method: Method, path: &str, body: Option<Value>, bearer: &str) -> reqwest::Response {
    let mut req = app.client.request(method, format!("{}{path}", app.base)).bearer_auth(bearer);
    if let Some(b) = body {
        req = req.json(&b);
    }
    req.send().await.unwrap()
}

async fn admin(app: &TestApp, method: Method, path: &str, body: Option<Value>) -> reqwest::Response {
    send(app, method, path, body, ADMIN).await
}

async fn order(app: &TestApp, user: &str, id: &str, sku: &str) {
    let r = app
        .post("/v1/track", &json!({
            "userId": user, "event": "Order Completed", "messageId": id,
            "properties": {"order_id": id, "revenue": 59.9, "products": [{"sku": sku, "category": "时令", "quantity": 1}]}
        }))
        .await;
    assert_eq!(r.status(), 200);
}

#[tokio::test]
async fn a_segment_is_previewed_saved_versioned_and_kept_live() {
    let app = spawn_app().await;
    for (user, n) in [("u1", 3), ("u2", 2), ("u3", 1)] {
        for i in 0..n {
            order(&app, user, &format!("{user}-o{i}"), "strawberry").await;
        }
    }

    // A new workspace lists the four personas.
    let list = app.api_json("/api/v1/segments").await;
    let names: Vec<&str> = list["segments"].as_array().unwrap().iter().map(|s| s["name"].as_str().unwrap()).collect();
    for persona in ["尝鲜探索家", "家庭囤货王", "健康生活家", "懒人料理族"] {
        assert!(names.contains(&persona), "{names:?}");
    }

    // A half-typed rule: 400, naming the field and the spot.
    let r = admin(&app, Method::POST, "/api/v1/segments/preview", Some(json!({"rule": "orders >="}))).await;
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    let e: Value = r.json().await.unwrap();
    assert_eq!((e["field"].as_str(), e["position"].as_u64()), (Some("rule"), Some(9)), "{e}");
    let r =
        admin(&app, Method::POST, "/api/v1/segments/preview", Some(json!({"rule": "bought \"草莓\" and ordrs > 1"})))
            .await;
    assert_eq!(r.json::<Value>().await.unwrap()["position"], 16, "positions count characters, not bytes");

    // Told in the console's language, counting characters from 1 as the operator does.
    let zh = admin(&app, Method::POST, "/api/v1/segments/preview", Some(json!({"rule": "消费 >= 2000"}))).await;
    let e: Value = zh.json().await.unwrap();
    assert_eq!(e["position"], 6, "{e}");
    assert!(e["message"].as_str().unwrap().starts_with("第 7 个字符处：应为金额"), "{e}");
    let en = app
        .client
        .post(format!("{}/api/v1/segments/preview", app.base))
        .bearer_auth(crate::helpers::ADMIN)
        .header("accept-language", "en-US,en;q=0.9")
        .json(&json!({"rule": "spend >= 2000"}))
        .send()
        .await
        .unwrap();
    let e: Value = en.json().await.unwrap();
    assert!(e["message"].as_str().unwrap().starts_with("at character 10: expected an amount"), "{e}");
    // A rule written in Chinese selects what its English twin does.
    for rule in ["订单数 >= 2 且 买过 \"strawberry\"", "orders >= 2 and bought \"strawberry\""] {
        let r: Value = admin(&app, Method::POST, "/api/v1/segments/preview", Some(json!({ "rule": rule })))
            .await
            .json()
            .await
            .unwrap();
        assert_eq!(r["count"], 2, "{rule}: {r}");
    }

    let preview: Value = admin(&app, Method::POST, "/api/v1/segments/preview", Some(json!({"rule": "orders >= 2"})))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!((preview["count"].as_u64(), preview["total"].as_u64()), (Some(2), Some(3)));
    assert_eq!(preview["sample"].as_array().unwrap().len(), 2);

    let r = admin(&app, Method::POST, "/api/v1/segments", Some(json!({"name": "复购", "rule": "orders >= 2"}))).await;
    assert_eq!(r.status(), StatusCode::CREATED);
    let created: Value = r.json().await.unwrap();
    let id = created["id"].as_i64().unwrap();
    assert_eq!((created["version"].as_i64(), created["size"].as_u64()), (Some(1), Some(2)));
    assert_eq!(created["versions"][0]["created_by"], "admin token");
    let r = admin(&app, Method::POST, "/api/v1/segments", Some(json!({"name": "复购", "rule": "orders >= 1"}))).await;
    assert_eq!(r.status(), StatusCode::CONFLICT, "names are unique");

    let members = app.api_json(&format!("/api/v1/segments/{id}/members")).await;
    assert_eq!(members["members"].as_array().unwrap().len(), 2);

    // u3 orders again: the refresh records them entering, with no one asking.
    order(&app, "u3", "u3-o9", "kiwi-12").await;
    let mut entered = Value::Null;
    for _ in 0..100 {
        let changes = app.api_json(&format!("/api/v1/segments/{id}/changes")).await;
        if changes["changes"].as_array().unwrap().len() == 3 {
            entered = changes["changes"][0].clone();
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert_eq!(entered["change"], "entered", "u3 entered within the refresh interval");

    // A new rule is a new version, and membership follows it at once.
    let r = admin(&app, Method::PUT, &format!("/api/v1/segments/{id}"), Some(json!({"rule": "orders >= 3"}))).await;
    let edited: Value = r.json().await.unwrap();
    assert_eq!((edited["version"].as_i64(), edited["size"].as_u64()), (Some(2), Some(1)));
    assert_eq!(edited["versions"].as_array().unwrap().len(), 2);
    let changes = app.api_json(&format!("/api/v1/segments/{id}/changes")).await;
    let left: Vec<&Value> = changes["changes"].as_array().unwrap().iter().filter(|c| c["change"] == "left").collect();
    assert_eq!(left.len(), 2, "u2 and u3 left when the rule tightened");

    let r = app.api(&format!("/api/v1/segments/{id}/members.csv")).await;
    assert_eq!(r.status(), 200);
    assert!(r.headers()["content-type"].to_str().unwrap().starts_with("text/csv"));
    let csv = r.text().await.unwrap();
    assert_eq!(csv.lines().count(), 2, "a header and u1: {csv}");
    // For Excel: a BOM, the operator's language, yuan and the store's time.
    assert!(
        csv.starts_with("\u{FEFF}用户 ID,昵称,手机号,生命周期,价值分层,订单数,累计消费（元）,最近下单,加入人群"),
        "{csv}"
    );
    let row: Vec<&str> = csv.lines().nth(1).unwrap().split(',').collect();
    assert!(row[5].parse::<u64>().is_ok() && row[6].contains('.'), "orders, then yuan: {row:?}");
    assert!(!row[8].contains('T') && row[8].len() == "2026-05-01 12:00:00".len(), "local time: {row:?}");
    let r = app.api(&format!("/api/v1/segments/{id}/members.csv?lang=en")).await;
    let csv = r.text().await.unwrap();
    assert!(csv.starts_with("\u{FEFF}person,nickname,phone,stage,tier,orders,spend_yuan,last_order,since"), "{csv}");
    let r = app.api(&format!("/api/v1/segments/{id}/members.csv?lang=fr")).await;
    assert_eq!(r.status(), StatusCode::BAD_REQUEST, "an unknown language is named, not ignored");

    let r = admin(&app, Method::PUT, &format!("/api/v1/segments/{id}"), Some(json!({"rule": "spend >= 2000"}))).await;
    assert_eq!(r.status(), StatusCode::BAD_REQUEST, "an edit is checked like a new rule");
    assert_eq!(admin(&app, Method::DELETE, &format!("/api/v1/segments/{id}"), None).await.status(), 204);
    assert_eq!(app.api(&format!("/api/v1/segments/{id}")).await.status(), 404);
}

#[tokio::test]
async fn tags_by_hand_and_by_rule() {
    let app = spawn_app().await;
    order(&app, "u1", "o1", "strawberry").await;
    order(&app, "u1", "o2", "strawberry").await;
    order(&app, "u2", "o3", "milk-950").await;
    let u2 = app.api_json("/api/v1/people/user_id:u2").await["id"].as_str().unwrap().to_string();

    let r = admin(&app, Method::POST, &format!("/api/v1/people/{u2}/tags"), Some(json!({"tag": "VIP"}))).await;
    assert_eq!(r.status(), 204, "a new name is defined as a manual tag");
    let r = admin(&app, Method::POST, "/api/v1/tags", Some(json!({"name": "回头客", "rule": "orders >= 2"}))).await;
    assert_eq!(r.status(), 201);
    let r = admin(&app, Method::POST, "/api/v1/tags", Some(json!({"name": "循环", "rule": "tag \"VIP\""}))).await;
    assert_eq!(r.status(), 400, "a tag's rule cannot use tags");
    assert_eq!(r.json::<Value>().await.unwrap()["position"], 0);

    let tags = app.api_json("/api/v1/tags").await;
    let counts: Vec<(String, u64)> = tags["tags"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| (t["name"].as_str().unwrap().to_string(), t["count"].as_u64().unwrap()))
        .collect();
    assert_eq!(counts, [("VIP".to_string(), 1), ("回头客".to_string(), 1)]);

    let profile = app.api_json(&format!("/api/v1/people/{u2}/profile")).await;
    assert_eq!(profile["tags"], json!([{"name": "VIP", "source": "manual"}]));
    let profile = app.api_json("/api/v1/people/user_id:u1/profile").await;
    assert_eq!(profile["tags"], json!([{"name": "回头客", "source": "rule"}]));
    assert_eq!(profile["rfm"]["f"], 5, "two orders beat one");

    // Segments read both kinds.
    let preview: Value =
        admin(&app, Method::POST, "/api/v1/segments/preview", Some(json!({"rule": "tag \"VIP\" or tag \"回头客\""})))
            .await
            .json()
            .await
            .unwrap();
    assert_eq!(preview["count"], 2);

    let r = admin(&app, Method::POST, "/api/v1/people/user_id:u1/tags", Some(json!({"tag": "回头客"}))).await;
    assert_eq!(r.status(), 400, "a rule tag is not put on by hand");
    assert_eq!(admin(&app, Method::DELETE, &format!("/api/v1/people/{u2}/tags/VIP"), None).await.status(), 204);
    assert_eq!(admin(&app, Method::DELETE, &format!("/api/v1/people/{u2}/tags/VIP"), None).await.status(), 404);
    assert_eq!(admin(&app, Method::DELETE, "/api/v1/tags/回头客", None).await.status(), 204);
}

#[tokio::test]
async fn analysts_read_segments_but_do_not_change_them() {
    let app = spawn_app().await;
    rekindle_server::auth::add_operator(&*app.store, app.ws, "a@shop.cn", "A", "correct horse battery", Role::Analyst)
        .await
        .unwrap();
    let user = app.store.user_by_email("a@shop.cn").await.unwrap().unwrap();
    let (token, _) = rekindle_server::auth::create_api_token(&*app.store, user.id, "t").await.unwrap();
    assert_eq!(send(&app, Method::GET, "/api/v1/segments", None, &token).await.status(), 200);
    let r = send(&app, Method::POST, "/api/v1/segments/preview", Some(json!({"rule": "orders >= 1"})), &token).await;
    assert_eq!(r.status(), 200, "previewing changes nothing");
    let r =
        send(&app, Method::POST, "/api/v1/segments", Some(json!({"name": "x", "rule": "orders >= 1"})), &token).await;
    assert_eq!(r.status(), 403);
    let r = send(&app, Method::POST, "/api/v1/tags", Some(json!({"name": "x"})), &token).await;
    assert_eq!(r.status(), 403);
}

#[tokio::test]
async fn predictions_appear_once_enough_people_buy_again() {
    let app = spawn_app().await;
    let r = app.api("/api/v1/models").await;
    assert_eq!(r.status(), 404, "no model without buyers");

    // Twenty people, most of them buying again every week or so.
    let day = chrono::Utc::now() - chrono::Duration::days(60);
    for person in 0..20 {
        for k in 0..(1 + person % 5) {
            let at = day + chrono::Duration::days(i64::from(k * (5 + person % 4)));
            let id = format!("p{person}-o{k}");
            let r = app
                .post("/v1/import", &json!({"batch": [{
                    "type": "track", "userId": format!("u{person}"), "event": "Order Completed", "messageId": id,
                    "timestamp": at.to_rfc3339(),
                    "properties": {"order_id": id, "revenue": 49.9, "products": [{"sku": "oat-1kg", "category": "谷物", "quantity": 1}]}
                }]}))
                .await;
            assert_eq!(r.status(), 200);
        }
    }
    let models = app.api_json("/api/v1/models").await;
    assert_eq!(models["customers"], 20);
    assert!(models["bgnbd"]["r"].as_f64().unwrap() > 0.0);
    let counted: u64 = models["risk_counts"].as_array().unwrap().iter().map(|c| c["count"].as_u64().unwrap()).sum();
    assert_eq!(counted, 20, "every buyer has a churn risk");

    let profile = app.api_json("/api/v1/people/user_id:u4/profile").await;
    let scores = &profile["scores"];
    let id: rekindle_core::PersonId =
        serde_json::from_value(app.api_json("/api/v1/people/user_id:u4").await["id"].clone()).unwrap();
    let stored = app.store.person_scores(app.ws, id).await.unwrap().expect("the fit's scores are stored");
    assert_eq!(stored.scores["p_alive"], scores["p_alive"]);
    let p_alive = scores["p_alive"].as_f64().unwrap();
    assert!((0.0..=1.0).contains(&p_alive), "{scores}");
    assert_eq!(scores["run_outs"][0]["category"], "谷物");
    let preview: Value = admin(
        &app,
        Method::POST,
        "/api/v1/segments/preview",
        Some(json!({"rule": "p_alive >= 0 and churn_risk in (low, medium, high)"})),
    )
    .await
    .json()
    .await
    .unwrap();
    assert_eq!(preview["count"], 20, "every buyer is scored");
}

/// Issue 23: `did` reads event history, which only a journey walk has; a segment, its preview
/// and a tag refuse it at the rule, saying where, rather than matching nobody in silence.
#[tokio::test]
async fn segments_and_tags_refuse_did() {
    let app = spawn_app().await;
    for (path, body) in [
        ("/api/v1/segments/preview", json!({"rule": "orders >= 1 and did \"Message Clicked\" within 48h"})),
        ("/api/v1/segments", json!({"name": "点过链接", "rule": "did \"Message Clicked\""})),
        ("/api/v1/tags", json!({"name": "点过", "rule": "做过 \"Message Clicked\" 近 2天"})),
    ] {
        let r = admin(&app, Method::POST, path, Some(body)).await;
        assert_eq!(r.status(), StatusCode::BAD_REQUEST, "{path}");
        let e: Value = r.json().await.unwrap();
        assert_eq!(e["field"], "rule", "{path}: {e}");
        assert!(
            e["message"].as_str().unwrap().contains("做过") || e["message"].as_str().unwrap().contains("did"),
            "{e}"
        );
    }
    let r =
        admin(&app, Method::POST, "/api/v1/segments/preview", Some(json!({"rule": "orders >= 1 and did \"X\""}))).await;
    assert_eq!(r.json::<Value>().await.unwrap()["position"], 16, "at the did");
}
