use serde_json::json;

use crate::helpers::{ADMIN, spawn_app};

#[tokio::test]
async fn every_api_route_refuses_a_request_without_the_token() {
    let app = spawn_app().await;
    let doc: serde_json::Value =
        app.client.get(format!("{}/api/openapi.json", app.base)).send().await.unwrap().json().await.unwrap();
    let paths = doc["paths"].as_object().unwrap();
    let mut checked = 0;
    // Signing in, and redeeming an invitation's one-time token (itself the credential), are the
    // routes that take no sign-in.
    let open = ["/api/v1/auth/login", "/api/v1/auth/invitations/redeem"];
    for (path, item) in paths.iter().filter(|(p, _)| p.starts_with("/api/v1") && !open.contains(&p.as_str())) {
        let concrete = path.replace("{person}", "u1").replace("{id}", "1").replace("{slug}", "default");
        for method in item.as_object().unwrap().keys() {
            let m = reqwest::Method::from_bytes(method.to_uppercase().as_bytes()).unwrap();
            for token in [None, Some("wrong")] {
                let mut req = app.client.request(m.clone(), format!("{}{concrete}", app.base));
                if let Some(t) = token {
                    req = req.bearer_auth(t);
                }
                let r = req.send().await.unwrap();
                assert_eq!(r.status(), 401, "{method} {path} with {token:?}");
                let body: serde_json::Value = r.json().await.unwrap();
                assert_eq!(body["code"], "unauthorized");
                checked += 1;
            }
        }
    }
    assert!(checked >= 50, "checked {checked} route/method pairs");
}

#[tokio::test]
async fn people_are_found_by_id_or_any_identifier() {
    let app = spawn_app().await;
    app.post("/v1/identify", &json!({"userId": "42", "traits": {"phone": "13812345678", "wechat_unionid": "un-1"}}))
        .await;
    let by_phone = app.api_json("/api/v1/people/13812345678").await;
    let id = by_phone["id"].as_str().unwrap().to_string();
    for who in [id.as_str(), "user_id:42", "42", "wechat_unionid:un-1", "phone:+86-138-1234-5678"] {
        let p = app.api_json(&format!("/api/v1/people/{}", urlencode(who))).await;
        assert_eq!(p["id"], id.as_str(), "{who}");
    }
    let missing = app.api("/api/v1/people/user_id:nobody").await;
    assert_eq!(missing.status(), 404);
    let bad = app.api("/api/v1/people/phone:abc").await;
    assert_eq!(bad.status(), 400);
    assert_eq!(bad.json::<serde_json::Value>().await.unwrap()["field"], "person.phone");
}

#[tokio::test]
async fn everyone_is_listed_a_page_at_a_time_sorted_and_filtered() {
    let app = spawn_app().await;
    for i in 0..7 {
        let order = json!({"userId": format!("u{i}"), "event": "Order Completed",
            "properties": {"order_id": format!("o{i}"), "revenue": 10 * (i + 1)}});
        assert_eq!(app.post("/v1/track", &order).await.status(), 200);
    }
    app.post("/v1/identify", &json!({"userId": "browser-only", "traits": {"nickname": "只逛不买"}})).await;

    let first = app.api_json("/api/v1/people/list?sort=spend&per_page=3").await;
    assert_eq!((first["total"].as_u64(), first["page"].as_u64()), (Some(8), Some(1)));
    let spend = |page: &serde_json::Value| -> Vec<i64> {
        page["people"].as_array().unwrap().iter().map(|p| p["spend_fen"].as_i64().unwrap()).collect()
    };
    assert_eq!(spend(&first), [7000, 6000, 5000], "largest first");
    let third = app.api_json("/api/v1/people/list?sort=spend&per_page=3&page=3").await;
    assert_eq!(spend(&third), [1000, 0], "the last page holds the rest");
    let asc = app.api_json("/api/v1/people/list?sort=orders&order=asc&per_page=1").await;
    assert_eq!(asc["people"][0]["name"], "只逛不买", "fewest orders first");
    assert!(asc["people"][0]["first_seen"].is_string(), "first seen from the events' own times");

    let none = app.api_json("/api/v1/people/list?stage=churned").await;
    assert_eq!((none["total"].as_u64(), none["people"].as_array().map(Vec::len)), (Some(0), Some(0)));
    for (query, field) in [
        ("sort=name", "sort"),
        ("order=up", "order"),
        ("stage=流失", "stage"),
        ("page=0", "page"),
        ("per_page=201", "per_page"),
    ] {
        let r = app.api(&format!("/api/v1/people/list?{query}")).await;
        assert_eq!(r.status(), 400, "{query}");
        assert_eq!(r.json::<serde_json::Value>().await.unwrap()["field"], field, "{query}");
    }
}

#[tokio::test]
async fn events_page_newest_first_and_filter() {
    let app = spawn_app().await;
    let batch: Vec<_> = (0..25)
        .map(|i| json!({"type": "track", "userId": "u1", "event": if i % 5 == 0 { "Order Completed" } else { "Live Watched" },
            "messageId": format!("m{i}"), "timestamp": format!("2026-05-01T12:{i:02}:00Z"), "properties": {"order_id": format!("o{i}")}}))
        .collect();
    assert_eq!(app.post("/v1/import", &json!({"batch": batch})).await.status(), 200);
    let mut seen = 0;
    let mut next: Option<String> = None;
    loop {
        let path = match &next {
            Some(c) => format!("/api/v1/events?limit=10&before={c}"),
            None => "/api/v1/events?limit=10".to_string(),
        };
        let page = app.api_json(&path).await;
        seen += page["events"].as_array().unwrap().len();
        match page["next"].as_str() {
            Some(c) => next = Some(c.to_string()),
            None => break,
        }
    }
    assert_eq!(seen, 25);
    let orders = app.api_json("/api/v1/events?name=Order%20Completed").await;
    assert_eq!(orders["events"].as_array().unwrap().len(), 5);
    let window = app.api_json("/api/v1/events?from=2026-05-01T12:10:00Z&to=2026-05-01T12:20:00Z").await;
    assert_eq!(window["events"].as_array().unwrap().len(), 10);
    let bad = app.api("/api/v1/events?from=yesterday").await;
    assert_eq!(bad.status(), 400);
    assert_eq!(bad.json::<serde_json::Value>().await.unwrap()["field"], "from");
}

#[tokio::test]
async fn merges_and_conflicts_are_visible() {
    let app = spawn_app().await;
    app.post("/v1/track", &json!({"anonymousId": "a1", "event": "Live Entered"})).await;
    app.post("/v1/identify", &json!({"userId": "u1", "traits": {"wechat_unionid": "U1"}})).await;
    app.post("/v1/alias", &json!({"userId": "u1", "previousId": "a1", "messageId": "alias-1"})).await;
    let merges = app.api_json("/api/v1/people/u1/merges").await;
    assert_eq!(merges.as_array().unwrap().len(), 1);
    assert_eq!(merges[0]["message_id"], "alias-1");
    assert_eq!(merges[0]["source"], "write_key:test");

    app.post("/v1/identify", &json!({"userId": "u2", "traits": {"wechat_unionid": "U2"}})).await;
    app.post("/v1/identify", &json!({"userId": "u2", "traits": {"wechat_unionid": "U1"}, "messageId": "bad-link"}))
        .await;
    let conflicts = app.api_json("/api/v1/identity/conflicts").await;
    assert_eq!(conflicts[0]["message_id"], "bad-link");
    assert_eq!(conflicts[0]["limited_kind"], "user_id");
}

#[tokio::test]
async fn write_keys_are_managed_over_the_api() {
    let app = spawn_app().await;
    let created: serde_json::Value = app
        .client
        .post(format!("{}/api/v1/write-keys", app.base))
        .bearer_auth(ADMIN)
        .json(&json!({"name": "live-platform"}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let key = created["key"].as_str().unwrap().to_string();
    let send = |k: String| {
        let app = &app;
        async move {
            app.client
                .post(format!("{}/v1/track", app.base))
                .basic_auth(k, Some(""))
                .json(&json!({"userId": "u", "event": "x"}))
                .send()
                .await
                .unwrap()
                .status()
        }
    };
    assert_eq!(send(key.clone()).await, 200);
    let listed = app.api_json("/api/v1/write-keys").await;
    assert!(listed.as_array().unwrap().iter().all(|k| k.get("key").is_none()), "secrets are never listed");
    let id = created["id"].as_i64().unwrap();
    let r = app.client.delete(format!("{}/api/v1/write-keys/{id}", app.base)).bearer_auth(ADMIN).send().await.unwrap();
    assert_eq!(r.status(), 204);
    // The revocation reaches a cached key within its 5 s lifetime.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(8);
    loop {
        if send(key.clone()).await == 401 {
            break;
        }
        assert!(std::time::Instant::now() < deadline, "revoked key still accepted");
        tokio::time::sleep(std::time::Duration::from_millis(250)).await;
    }
}

#[tokio::test]
async fn operations_endpoints_answer() {
    let app = spawn_app().await;
    app.post("/v1/track", &json!({"userId": "u", "event": "x"})).await;
    // Counted when applied to the store, which follows the acknowledgement.
    assert!(app.ingestor.settled(std::time::Duration::from_secs(10)).await);
    let health = app.client.get(format!("{}/healthz", app.base)).send().await.unwrap();
    assert_eq!(health.status(), 200);
    let ready: serde_json::Value =
        app.client.get(format!("{}/readyz", app.base)).send().await.unwrap().json().await.unwrap();
    assert_eq!(ready["store"], "sqlite");
    let metrics = app.client.get(format!("{}/metrics", app.base)).send().await.unwrap().text().await.unwrap();
    assert!(metrics.contains("rekindle_ingest_events_stored_total 1"), "{metrics}");
    assert!(metrics.contains("rekindle_ingest_apply_lag_messages 0"), "{metrics}");
    // The one request, acknowledged from the inbox, then applied: timed once.
    assert!(metrics.lines().any(|l| l == "rekindle_ingest_apply_delay_seconds_count 1"), "{metrics}");
    assert!(metrics.contains("rekindle_http_requests_total{method=\"POST\",route=\"/v1/track\",status=\"200\"} 1"));
}

fn urlencode(s: &str) -> String {
    s.replace('+', "%2B").replace(' ', "%20").replace(':', "%3A")
}

#[tokio::test]
async fn the_catalogue_and_schedule_are_replaced_in_bulk() {
    let app = spawn_app().await;
    let put = |path: &'static str, body: serde_json::Value| {
        let app = &app;
        async move { app.client.put(format!("{}{path}", app.base)).bearer_auth(ADMIN).json(&body).send().await.unwrap() }
    };
    let r = put(
        "/api/v1/products",
        json!([{"sku": "oat-1kg", "name": "燕麦片", "category": "谷物", "price": 3990, "tags": ["organic"]}]),
    )
    .await;
    assert_eq!(r.status(), 200);
    let r =
        put("/api/v1/products", json!([{"sku": "oat-1kg", "name": "燕麦片", "category": "谷物", "price": 3590}])).await;
    assert_eq!(r.status(), 200);
    let products = app.api_json("/api/v1/products").await;
    assert_eq!(products.as_array().unwrap().len(), 1);
    assert_eq!(products[0]["price"], 3590);
    let bad = put("/api/v1/products", json!([{"sku": "a", "name": "a", "category": "a", "price": 1}, {"sku": "b", "name": "b", "category": "b", "price": "9.9"}])).await;
    assert_eq!(bad.status(), 400);
    assert_eq!(bad.json::<serde_json::Value>().await.unwrap()["field"], "[1].price");
    assert_eq!(
        app.api_json("/api/v1/products").await.as_array().unwrap().len(),
        1,
        "nothing of a bad request is written"
    );

    let r = put(
        "/api/v1/live-sessions",
        json!([{"id": "live-0501", "title": "早餐好物专场", "topics": ["乳品", "谷物"],
        "host": "小鹿", "scheduled_start": "2026-05-01T20:00:00+08:00"}]),
    )
    .await;
    assert_eq!(r.status(), 200);
    let sessions = app.api_json("/api/v1/live-sessions").await;
    assert_eq!(sessions[0]["scheduled_start"], "2026-05-01T12:00:00Z");
}

#[tokio::test]
async fn a_session_put_in_the_schedule_has_a_monitor_at_once() {
    let app = spawn_app().await;
    let session = |id: &str| json!([{"id": id, "title": "直播", "scheduled_start": "2026-05-01T20:00:00+08:00"}]);
    assert_eq!(app.send(reqwest::Method::PUT, "/api/v1/live-sessions", &session("first")).await.status(), 200);
    // The live rooms keep a copy of the schedule: a session put after it was read is still found.
    assert_eq!(app.api("/api/v1/live/sessions/first/monitor").await.status(), 200);
    assert_eq!(app.send(reqwest::Method::PUT, "/api/v1/live-sessions", &session("second")).await.status(), 200);
    let m = app.api_json("/api/v1/live/sessions/second/monitor").await;
    assert_eq!(m["session_id"], "second");
    assert_eq!(app.api("/api/v1/live/sessions/second/review").await.status(), 200);
    assert_eq!(app.api("/api/v1/live/sessions/missing/monitor").await.status(), 404);
}

#[tokio::test]
async fn a_query_string_that_does_not_parse_gets_a_json_error_naming_the_parameter() {
    let app = spawn_app().await;
    for (path, field) in [("/api/v1/events?limit=abc", "limit"), ("/api/v1/dashboard?days=-1", "days")] {
        let r = app.api(path).await;
        assert_eq!(r.status(), 400, "{path}");
        let body: serde_json::Value = r.json().await.unwrap();
        assert_eq!((body["code"].as_str(), body["field"].as_str()), (Some("invalid_field"), Some(field)), "{path}");
    }
}
