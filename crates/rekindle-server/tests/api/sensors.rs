//! Sensors Data ingestion over HTTP: uploads as the SDKs send them (a gzipped batch, an image
//! beacon, a debug dry run), what they become, and the bad-input table of docs/api.md for
//! this format: a 4xx naming the field, nothing written.

use base64::Engine;
use serde_json::{Value, json};

use crate::helpers::{TestApp, gzip, spawn_app};

fn b64(bytes: &[u8]) -> String {
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

/// `data_list=<base64 of gzipped JSON>&gzip=1`, as the Python SDK's batch consumer sends it.
fn batch_form(records: &Value) -> String {
    form(&[("data_list", &b64(&gzip(records.to_string().as_bytes()))), ("gzip", "1")])
}

fn form(pairs: &[(&str, &str)]) -> String {
    pairs
        .iter()
        .map(|(k, v)| format!("{k}={}", percent_encoding::utf8_percent_encode(v, percent_encoding::NON_ALPHANUMERIC)))
        .collect::<Vec<_>>()
        .join("&")
}

async fn upload(app: &TestApp, path_and_query: &str, body: String) -> reqwest::Response {
    app.client
        .post(format!("{}{path_and_query}", app.base))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(body)
        .send()
        .await
        .unwrap()
}

fn records() -> Value {
    json!([
        {"type": "track", "event": "Order Completed", "distinct_id": "sa-42", "time": 1_764_547_200_000_i64,
         "properties": {"$is_login_id": true, "$lib": "python", "$ip": "10.1.2.3", "order_id": "sa-o1",
                        "revenue": 59.9, "products": [{"sku": "oat-1kg", "price": 39.9, "quantity": 1}]},
         "lib": {"$lib": "python", "$lib_version": "1.11.0", "$lib_method": "code"}, "project": "default"},
        {"type": "track_signup", "event": "$SignUp", "distinct_id": "sa-42", "original_id": "cookie-7",
         "time": 1_764_547_201_000_i64, "properties": {"$lib": "python"}, "lib": {"$lib": "python"}},
        {"type": "profile_set", "distinct_id": "sa-42", "time": 1_764_547_202_000_i64,
         "properties": {"$is_login_id": true, "nickname": "小神", "tags": ["鲜果"]}},
        {"type": "profile_increment", "distinct_id": "sa-42", "time": 1_764_547_203_000_i64,
         "properties": {"$is_login_id": true, "visits": 2}},
        {"type": "profile_append", "distinct_id": "sa-42", "time": 1_764_547_204_000_i64,
         "properties": {"$is_login_id": true, "tags": ["粮油", "鲜果"]}},
        {"type": "item_set", "item_type": "product", "item_id": "oat-1kg", "time": 1_764_547_205_000_i64,
         "properties": {"name": "燕麦片", "category": "粮油", "price": 39.9}},
        {"type": "item_set", "item_type": "product", "item_id": "gone", "properties": {"name": "下架品"}},
        {"type": "item_delete", "item_type": "product", "item_id": "gone"},
    ])
}

#[tokio::test]
async fn a_batch_and_a_beacon_make_one_person_and_a_resend_changes_nothing() {
    let app = spawn_app().await;
    let token = format!("/sa?project=default&token={}", app.key);
    for _ in 0..2 {
        let r = upload(&app, &token, batch_form(&records())).await;
        assert_eq!(r.status(), 200, "{}", r.text().await.unwrap());
    }
    // The web SDK's image beacon, from the same browser before the sign-up was sent.
    let pageview = json!({"type": "track", "event": "$pageview", "distinct_id": "cookie-7", "_track_id": 881,
        "time": 1_764_547_100_000_i64, "_flush_time": 1_764_547_100_010_i64,
        "identities": {"$identity_cookie_id": "cookie-7"}, "lib": {"$lib": "js", "$lib_version": "1.27.11"},
        "properties": {"$title": "今日团购", "$url": "https://shop.example/", "$lib": "js"}});
    let beacon = form(&[("data", &b64(pageview.to_string().as_bytes())), ("ext", "crc=1"), ("token", &app.key)]);
    for _ in 0..2 {
        let r = app
            .client
            .get(format!("{}/sa.gif?{beacon}", app.base))
            .header("origin", "https://shop.example")
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200);
        assert_eq!(r.headers()["content-type"], "image/gif");
        assert_eq!(r.headers()["access-control-allow-origin"], "https://shop.example");
    }

    let events = app.events().await;
    assert_eq!(events.len(), 6, "{:#?}", events.iter().map(|e| (&e.kind, &e.name)).collect::<Vec<_>>());
    let people: std::collections::HashSet<_> = events.iter().map(|e| e.person).collect();
    assert_eq!(people.len(), 1, "the login id and the cookie are one person");
    let person = app.api_json("/api/v1/people/user_id:sa-42").await;
    let kinds: std::collections::BTreeSet<String> = person["identities"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| format!("{}:{}", i["kind"].as_str().unwrap(), i["value"].as_str().unwrap()))
        .collect();
    assert!(kinds.contains("anonymous_id:cookie-7") || kinds.contains("previous_id:cookie-7"), "{kinds:?}");
    assert_eq!(person["traits"]["nickname"], "小神");
    assert_eq!(person["traits"]["visits"], 2, "incremented once: the resend was a duplicate");
    assert_eq!(person["traits"]["tags"], json!(["鲜果", "粮油"]));
    let orders = app.api_json("/api/v1/people/user_id:sa-42/orders").await;
    assert_eq!(orders[0]["revenue_fen"], 5990, "yuan held as fen");
    let page = events.iter().find(|e| e.kind.as_str() == "page").expect("the pageview is a page call");
    assert_eq!(page.payload["context"]["page"]["url"], "https://shop.example/");
    assert!(events.iter().all(|e| e.payload["context"]["sensors"].get("token").is_none()));
    let products = app.api_json("/api/v1/products").await;
    let skus: Vec<&str> = products.as_array().unwrap().iter().map(|p| p["sku"].as_str().unwrap()).collect();
    assert_eq!(skus, ["oat-1kg"], "set, and the deleted one gone");
    assert_eq!(products[0]["price"], 3990);
}

#[tokio::test]
async fn the_debug_path_checks_without_storing_unless_asked_to_store() {
    let app = spawn_app().await;
    let one = json!([{"type": "track", "event": "看播", "distinct_id": "d1", "time": 1_764_547_200_000_i64}]);
    let r = app
        .client
        .post(format!("{}/debug?token={}", app.base, app.key))
        .header("dry-run", "true")
        .header("content-type", "application/x-www-form-urlencoded")
        .body(batch_form(&one))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert!(app.events().await.is_empty(), "a dry run stores nothing");
    let bad = json!([{"type": "track", "distinct_id": "d1"}]);
    let r = app
        .client
        .post(format!("{}/debug?token={}", app.base, app.key))
        .header("dry-run", "true")
        .body(batch_form(&bad))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400);
    assert_eq!(r.json::<Value>().await.unwrap()["field"], "data_list[0].event");
    assert_eq!(upload(&app, &format!("/debug?token={}", app.key), batch_form(&one)).await.status(), 200);
    assert_eq!(app.events().await.len(), 1, "without Dry-Run the debug path stores");
}

#[tokio::test]
async fn every_bad_upload_gets_a_4xx_naming_the_field_and_writes_nothing() {
    let app = spawn_app().await;
    let key = app.key.clone();
    let ok = json!({"type": "track", "event": "看播", "distinct_id": "d1"});
    let list = |records: Value| b64(records.to_string().as_bytes());
    let too_many: Vec<Value> = (0..2501).map(|i| json!({"type": "track", "event": "e", "distinct_id": i})).collect();
    let big = json!([{"type": "track", "event": "e", "distinct_id": "d", "properties": {"p": "x".repeat(33 * 1024)}}]);
    let bomb = b64(&gzip(format!("[{{\"p\": \"{}\"}}]", "0".repeat(5 << 20)).as_bytes()));
    let cases: Vec<(&str, String, String, u16, &str, &str)> = vec![
        ("no data", format!("token={key}"), String::new(), 400, "invalid_field", "data_list"),
        ("not base64", format!("token={key}"), form(&[("data_list", "%%%")]), 400, "invalid_field", "data_list"),
        (
            "not gzip",
            format!("token={key}"),
            form(&[("data_list", &list(json!([ok]))), ("gzip", "1")]),
            400,
            "invalid_field",
            "data_list",
        ),
        (
            "encrypted",
            format!("token={key}"),
            form(&[("data_list", &list(json!([ok]))), ("gzip", "9")]),
            400,
            "invalid_field",
            "gzip",
        ),
        (
            "malformed JSON",
            format!("token={key}"),
            form(&[("data_list", &b64(b"[{\"type\":"))]),
            400,
            "invalid_json",
            "data_list",
        ),
        (
            "gzip bomb",
            format!("token={key}"),
            form(&[("data_list", &bomb), ("gzip", "1")]),
            413,
            "batch_too_large",
            "data_list",
        ),
        (
            "2,501 records",
            format!("token={key}"),
            form(&[("data_list", &list(json!(too_many)))]),
            413,
            "batch_too_large",
            "data_list",
        ),
        (
            "a record over 32 KB",
            format!("token={key}"),
            form(&[("data_list", &list(big))]),
            413,
            "message_too_large",
            "data_list[0]",
        ),
        ("no write key", String::new(), form(&[("data_list", &list(json!([ok])))]), 401, "unauthorized", "writeKey"),
        (
            "wrong write key",
            "token=rk_wrong".into(),
            form(&[("data_list", &list(json!([ok])))]),
            401,
            "unauthorized",
            "writeKey",
        ),
        (
            "a record without distinct_id",
            format!("token={key}"),
            form(&[("data_list", &list(json!([ok, {"type": "track", "event": "e"}])))]),
            400,
            "invalid_field",
            "data_list[1].distinct_id",
        ),
        (
            "unknown type",
            format!("token={key}"),
            form(&[("data_list", &list(json!([{"type": "track_all", "distinct_id": "d"}])))]),
            400,
            "invalid_field",
            "data_list[0].type",
        ),
        (
            "time not in milliseconds",
            format!("token={key}"),
            form(&[("data", &list(json!({"type": "track", "event": "e", "distinct_id": "d", "time": "今天"})))]),
            400,
            "invalid_field",
            "data.time",
        ),
        (
            "a phone identity that is not a phone",
            format!("token={key}"),
            form(&[(
                "data_list",
                &list(
                    json!([{"type": "track", "event": "e", "distinct_id": "d", "identities": {"$identity_mobile": "12"}}]),
                ),
            )]),
            400,
            "invalid_field",
            "data_list[0].identities.$identity_mobile",
        ),
        (
            "increment by text",
            format!("token={key}"),
            form(&[(
                "data_list",
                &list(json!([{"type": "profile_increment", "distinct_id": "d", "properties": {"n": "一"}}])),
            )]),
            400,
            "invalid_field",
            "data_list[0].traits.n",
        ),
        (
            "an item priced below zero",
            format!("token={key}"),
            form(&[(
                "data_list",
                &list(
                    json!([{"type": "item_set", "item_type": "product", "item_id": "s", "properties": {"price": -1}}]),
                ),
            )]),
            400,
            "invalid_field",
            "data_list[0].properties.price",
        ),
        (
            "NUL in an item",
            format!("token={key}"),
            form(&[(
                "data_list",
                &list(
                    json!([{"type": "item_set", "item_type": "product", "item_id": "s", "properties": {"name": "a\u{0}b"}}]),
                ),
            )]),
            400,
            "invalid_field",
            "data_list[0].properties.name",
        ),
    ];
    for (name, query, body, status, code, field) in cases {
        let r = upload(&app, &format!("/sa?{query}"), body).await;
        let got = r.status().as_u16();
        let body: Value = r.json().await.unwrap_or(Value::Null);
        assert_eq!(got, status, "{name}: {body}");
        assert_eq!(body["code"], code, "{name}: {body}");
        assert_eq!(body["field"], field, "{name}: {body}");
        assert!(app.events().await.is_empty(), "{name}: nothing is written");
        assert!(app.api_json("/api/v1/products").await.as_array().unwrap().is_empty(), "{name}: no product written");
    }
    let r = app
        .client
        .post(format!("{}/sa?token={key}", app.base))
        .header("content-type", "application/json")
        .body("{}")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 415);
    assert_eq!(r.json::<Value>().await.unwrap()["field"], "Content-Type");
    // A preflight is answered for the shop's origin.
    let r = app
        .client
        .request(reqwest::Method::OPTIONS, format!("{}/sa", app.base))
        .header("origin", "https://shop.example")
        .header("access-control-request-method", "POST")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 204);
    assert_eq!(r.headers()["access-control-allow-origin"], "https://shop.example");
    assert_eq!(r.headers()["access-control-allow-credentials"], "true");
}
