//! Operator accounts end to end: sign-in, sessions and CSRF, roles and masking, API tokens,
//! rate limiting and the audit log.

use rekindle_core::access::Role;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::helpers::{TestApp, spawn_app, spawn_app_at};

const PASSWORD: &str = "correct horse battery";

/// A console session: the cookie and the CSRF token sign-in gave.
struct Session {
    cookie: String,
    csrf: String,
}

async fn add(app: &TestApp, email: &str, role: Role) {
    rekindle_server::auth::add_operator(&*app.store, app.ws, email, email, PASSWORD, role).await.unwrap();
}

async fn login(app: &TestApp, email: &str, password: &str) -> reqwest::Response {
    app.client
        .post(format!("{}/api/v1/auth/login", app.base))
        .json(&json!({"email": email, "password": password}))
        .send()
        .await
        .unwrap()
}

async fn sign_in(app: &TestApp, email: &str) -> Session {
    let r = login(app, email, PASSWORD).await;
    assert_eq!(r.status(), 200);
    let set = r.headers()["set-cookie"].to_str().unwrap().to_string();
    assert!(set.contains("HttpOnly") && set.contains("SameSite=Strict"), "{set}");
    let cookie = set.split(';').next().unwrap().to_string();
    let body: Value = r.json().await.unwrap();
    Session { cookie, csrf: body["csrf_token"].as_str().unwrap().to_string() }
}

async fn call(
    app: &TestApp,
    s: &Session,
    method: Method,
    path: &str,
    body: Option<Value>,
    csrf: bool,
) -> reqwest::Response {
    let mut req = app.client.request(method, format!("{}{path}", app.base)).header("cookie", &s.cookie);
    if csrf {
        req = req.header("x-csrf-token", &s.csrf);
    }
    if let Some(b) = body {
        req = req.json(&b);
    }
    req.send().await.unwrap()
}

#[tokio::test]
async fn a_session_signs_in_needs_csrf_to_change_things_and_signs_out() {
    let app = spawn_app().await;
    add(&app, "owner@shop.cn", Role::Owner).await;
    let s = sign_in(&app, "Owner@Shop.cn ").await; // emails are matched case-insensitively

    let me: Value = call(&app, &s, Method::GET, "/api/v1/auth/me", None, false).await.json().await.unwrap();
    assert_eq!(me["user"]["email"], "owner@shop.cn");
    assert_eq!(me["workspaces"][0]["role"], "owner");
    assert!(me["workspaces"][0]["permissions"].as_array().unwrap().contains(&json!("users.manage")));

    let key = json!({"name": "mini-program"});
    let r = call(&app, &s, Method::POST, "/api/v1/write-keys", Some(key.clone()), false).await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN, "no CSRF token, no change");
    assert_eq!(r.json::<Value>().await.unwrap()["field"], "X-CSRF-Token");
    assert_eq!(call(&app, &s, Method::POST, "/api/v1/write-keys", Some(key), true).await.status(), 201);

    assert_eq!(call(&app, &s, Method::POST, "/api/v1/auth/logout", None, true).await.status(), 204);
    let after = call(&app, &s, Method::GET, "/api/v1/auth/me", None, false).await;
    assert_eq!(after.status(), 401, "the session ended on the server, not only in the browser");
}

#[tokio::test]
async fn wrong_passwords_are_refused_then_rate_limited() {
    let app = spawn_app().await;
    add(&app, "owner@shop.cn", Role::Owner).await;
    let r = login(&app, "nobody@shop.cn", PASSWORD).await;
    assert_eq!(r.status(), 401);
    // Not Basic: a Basic challenge would make a browser pop its own password dialog.
    assert_eq!(r.headers()["www-authenticate"], "Bearer realm=\"rekindle\"");
    for _ in 0..5 {
        assert_eq!(login(&app, "owner@shop.cn", "wrong password").await.status(), 401);
    }
    let r = login(&app, "owner@shop.cn", PASSWORD).await;
    assert_eq!(r.status(), StatusCode::TOO_MANY_REQUESTS, "even the right password waits");
    assert_eq!(r.json::<Value>().await.unwrap()["code"], "rate_limited");
}

#[tokio::test]
async fn roles_decide_what_is_shown_and_allowed() {
    let app = spawn_app().await;
    add(&app, "owner@shop.cn", Role::Owner).await;
    add(&app, "analyst@shop.cn", Role::Analyst).await;
    app.post("/v1/identify", &json!({"userId": "u1", "traits": {"phone": "13812345678", "nickname": "小李"}})).await;
    let owner = sign_in(&app, "owner@shop.cn").await;
    let analyst = sign_in(&app, "analyst@shop.cn").await;

    let phone_of = |v: &Value| -> String {
        v["identities"].as_array().unwrap().iter().find(|i| i["kind"] == "phone").unwrap()["value"]
            .as_str()
            .unwrap()
            .to_string()
    };
    let person = "/api/v1/people/13812345678";
    let full: Value = call(&app, &owner, Method::GET, person, None, false).await.json().await.unwrap();
    let masked: Value = call(&app, &analyst, Method::GET, person, None, false).await.json().await.unwrap();
    assert_eq!(phone_of(&full), "+8613812345678");
    assert_eq!(phone_of(&masked), "138****5678");
    assert_eq!(masked["traits"]["phone"], "138****5678");
    assert_eq!(masked["traits"]["nickname"], "小李");

    let found: Value = call(&app, &analyst, Method::GET, "/api/v1/people?q=138%201234%205678", None, false)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(found[0]["phone"], "138****5678", "search by the full phone, see it masked");
    let listed: Value =
        call(&app, &analyst, Method::GET, "/api/v1/people/list", None, false).await.json().await.unwrap();
    assert_eq!(listed["people"][0]["phone"], "138****5678", "the people list masks phones too");
    let events = call(&app, &analyst, Method::GET, "/api/v1/people/u1/events", None, false).await.text().await.unwrap();
    assert!(!events.contains("13812345678"), "event payloads are masked too: {events}");

    for path in ["/api/v1/users", "/api/v1/write-keys", "/api/v1/audit"] {
        let r = call(&app, &analyst, Method::GET, path, None, false).await;
        assert_eq!(r.status(), StatusCode::FORBIDDEN, "{path}");
    }
    // Channel settings: readiness for everyone, the providers and their changes for owners only.
    let view: Value = call(&app, &analyst, Method::GET, "/api/v1/channels", None, false).await.json().await.unwrap();
    assert_eq!(
        (view["channels"].as_array().map(Vec::len), view["providers"].as_array().map(Vec::len)),
        (Some(4), Some(0))
    );
    let hook = json!({"url": "https://ops.example/hook", "secret": "s3cret-hook"});
    let r = call(&app, &analyst, Method::PUT, "/api/v1/channels/webhook", Some(hook.clone()), true).await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    let r = call(&app, &owner, Method::PUT, "/api/v1/channels/webhook", Some(hook), true).await;
    assert_eq!(r.status(), 200);
    let view: Value = call(&app, &owner, Method::GET, "/api/v1/channels", None, false).await.json().await.unwrap();
    assert_eq!(view["providers"].as_array().map(Vec::len), Some(5));

    let r = call(&app, &owner, Method::GET, "/api/v1/people/u1?workspace=elsewhere", None, false).await;
    assert_eq!(r.status(), 404, "a workspace one does not work for does not exist for them");
}

#[tokio::test]
async fn owners_manage_users_and_the_audit_log_tells_who_did_what() {
    let app = spawn_app().await;
    add(&app, "owner@shop.cn", Role::Owner).await;
    let owner = sign_in(&app, "owner@shop.cn").await;
    let r =
        call(&app, &owner, Method::POST, "/api/v1/users", Some(json!({"email": "host", "role": "host"})), true).await;
    assert_eq!(r.json::<Value>().await.unwrap()["field"], "email");
    let new = json!({"email": "Host@Shop.cn", "role": "host"});
    let r = call(&app, &owner, Method::POST, "/api/v1/users", Some(new), true).await;
    assert_eq!(r.status(), StatusCode::ACCEPTED, "an invitation, accepted by the invitee");
    let invited: Value = r.json().await.unwrap();
    assert_eq!(
        (invited["status"].as_str(), invited["invitation"]["email"].as_str()),
        (Some("invited"), Some("host@shop.cn"))
    );
    let pending: Value =
        call(&app, &owner, Method::GET, "/api/v1/users/invitations", None, false).await.json().await.unwrap();
    assert_eq!(pending[0]["role"], "host");

    // The invitee makes the account with the one-time token: their name, their password.
    let redeem = |password: &str| json!({"token": invited["token"], "name": "主播小王", "password": password});
    let url = format!("{}/api/v1/auth/invitations/redeem", app.base);
    let r = app.client.post(&url).json(&redeem("short")).send().await.unwrap();
    assert_eq!(r.json::<Value>().await.unwrap()["field"], "password");
    let r = app.client.post(&url).json(&redeem(PASSWORD)).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::ACCEPTED);
    let r = app.client.post(&url).json(&redeem(PASSWORD)).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::NOT_FOUND, "one time only");
    let members: Value = call(&app, &owner, Method::GET, "/api/v1/users", None, false).await.json().await.unwrap();
    let host = members.as_array().unwrap().iter().find(|m| m["email"] == "host@shop.cn").expect("a member now");
    assert_eq!((host["name"].as_str(), host["role"].as_str()), (Some("主播小王"), Some("host")));
    let id = host["id"].as_i64().unwrap();
    let r =
        call(&app, &owner, Method::PUT, &format!("/api/v1/users/{id}/role"), Some(json!({"role": "service"})), true)
            .await;
    assert_eq!(r.json::<Value>().await.unwrap()["role"], "service");

    let owner_id = call(&app, &owner, Method::GET, "/api/v1/auth/me", None, false).await.json::<Value>().await.unwrap()
        ["user"]["id"]
        .as_i64()
        .unwrap();
    let r = call(&app, &owner, Method::DELETE, &format!("/api/v1/users/{owner_id}"), None, true).await;
    assert_eq!(r.status(), StatusCode::CONFLICT, "the last owner stays");

    let host = sign_in(&app, "host@shop.cn").await;
    let token: Value = call(&app, &host, Method::POST, "/api/v1/tokens", Some(json!({"name": "bi"})), true)
        .await
        .json()
        .await
        .unwrap();
    let bearer = token["token"].as_str().unwrap();
    let r = app.client.get(format!("{}/api/v1/users", app.base)).bearer_auth(bearer).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::FORBIDDEN, "a token carries its user's role");
    let r = app.client.get(format!("{}/api/v1/people?q=x", app.base)).bearer_auth(bearer).send().await.unwrap();
    assert_eq!(r.status(), 200);

    let log: Value = call(&app, &owner, Method::GET, "/api/v1/audit", None, false).await.json().await.unwrap();
    let actions: Vec<(&str, &str)> = log
        .as_array()
        .unwrap()
        .iter()
        .map(|e| (e["action"].as_str().unwrap(), e["user"].as_str().unwrap_or("")))
        .collect();
    for expected in [
        ("auth.login", "owner@shop.cn"),
        ("user.invite", "owner@shop.cn"),
        ("user.join", "host@shop.cn"),
        ("user.role", "owner@shop.cn"),
        ("auth.login", "host@shop.cn"),
        ("api_token.create", "host@shop.cn"),
    ] {
        assert!(actions.contains(&expected), "{expected:?} in {actions:?}");
    }
    assert!(log[0]["ip"].as_str().unwrap().starts_with("127.0.0.1"));
}

#[tokio::test]
async fn the_dashboard_and_the_person_view_read_orders_and_live_sessions() {
    let app = spawn_app_at("2026-05-02T12:00:00+08:00").await;
    add(&app, "owner@shop.cn", Role::Owner).await;
    let owner = sign_in(&app, "owner@shop.cn").await;
    let sessions = json!([{"id": "s1", "title": "周五水果专场", "host": "小王", "topics": ["fruit"],
        "scheduled_start": "2026-05-01T03:00:00Z"}]);
    assert_eq!(call(&app, &owner, Method::PUT, "/api/v1/live-sessions", Some(sessions), true).await.status(), 200);
    let batch = json!({"batch": [
        {"type": "track", "userId": "u1", "event": "Live Entered", "timestamp": "2026-05-01T11:05:00+08:00",
         "properties": {"session_id": "s1"}, "context": {"library": {"name": "analytics-python"}}},
        {"type": "track", "userId": "u1", "event": "Live Watched", "timestamp": "2026-05-01T11:25:00+08:00",
         "properties": {"session_id": "s1", "seconds": 1200}, "context": {"library": {"name": "analytics-python"}}},
        {"type": "track", "userId": "u1", "event": "Order Completed", "timestamp": "2026-05-01T11:30:00+08:00",
         "properties": {"order_id": "o1", "revenue": 59.8, "currency": "CNY", "session_id": "s1",
           "products": [{"sku": "mango", "name": "芒果", "price": 29.9, "quantity": 2}]},
         "context": {"library": {"name": "analytics-python"}}},
        {"type": "track", "userId": "u1", "event": "Order Refunded", "timestamp": "2026-05-02T09:00:00+08:00",
         "properties": {"order_id": "o1", "amount": 29.9}, "context": {"library": {"name": "analytics-python"}}},
        {"type": "track", "userId": "u2", "event": "Order Completed", "timestamp": "2026-04-30T23:30:00+08:00",
         "properties": {"order_id": "o2", "revenue": 10}, "context": {"library": {"name": "analytics-python"}}}
    ]});
    assert_eq!(app.post("/v1/batch", &batch).await.status(), 200);

    let d: Value = call(&app, &owner, Method::GET, "/api/v1/dashboard?days=3", None, false).await.json().await.unwrap();
    assert_eq!(d["as_of"], "2026-05-02", "the window ends today, in the store's time zone");
    assert_eq!(d["totals"]["orders"], 2);
    assert_eq!(d["totals"]["gmv_fen"], 6980);
    // The window against the three days before it; AOV and the repurchase rate of the window.
    let (now, before) = (&d["current"], &d["previous"]);
    assert_eq!((now["from"].as_str(), now["to"].as_str()), (Some("2026-04-30"), Some("2026-05-02")));
    assert_eq!((before["from"].as_str(), before["to"].as_str()), (Some("2026-04-27"), Some("2026-04-29")));
    assert_eq!(
        (now["orders"].as_u64(), now["aov_fen"].as_i64(), now["buyers"].as_u64()),
        (Some(2), Some(3490), Some(2))
    );
    assert_eq!(now["repurchase_rate"], 0.0, "two buyers, one order each");
    assert_eq!((before["orders"].as_u64(), before["repurchase_rate"].is_null()), (Some(0), true));
    let days: Vec<(&str, u64, i64, u64)> = d["days"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| {
            (
                x["date"].as_str().unwrap(),
                x["orders"].as_u64().unwrap(),
                x["gmv_fen"].as_i64().unwrap(),
                x["new_people"].as_u64().unwrap(),
            )
        })
        .collect();
    // u2's order at 23:30 Shanghai time is on April 30th, not May 1st (UTC would say 15:30).
    assert_eq!(days, [("2026-04-30", 1, 1000, 1), ("2026-05-01", 1, 5980, 1), ("2026-05-02", 0, 0, 0)]);
    let s = &d["recent_live_sessions"][0];
    assert_eq!((s["id"].as_str(), s["viewers"].as_u64(), s["orders"].as_u64()), (Some("s1"), Some(1), Some(1)));

    let stages: u64 = d["lifecycle"].as_array().unwrap().iter().map(|s| s["count"].as_u64().unwrap()).sum();
    assert_eq!(stages, 2, "both people have a stage");
    assert_eq!(d["lifecycle"][1]["stage"], "new");
    assert_eq!(d["lifecycle"][1]["count"], 2, "both first ordered within 30 days of the latest event");
    assert_eq!(d["tiers"][0], json!({"tier": "high", "count": 1}), "u1 spent the most");

    let profile: Value =
        call(&app, &owner, Method::GET, "/api/v1/people/u1/profile", None, false).await.json().await.unwrap();
    assert_eq!((profile["stage"].as_str(), profile["tier"].as_str()), (Some("new"), Some("high")));
    assert_eq!((profile["orders"].as_u64(), profile["spend_fen"].as_i64()), (Some(1), Some(2990)), "net of the refund");
    assert_eq!(profile["live_watch_seconds"], 1200);

    let orders: Value =
        call(&app, &owner, Method::GET, "/api/v1/people/u1/orders", None, false).await.json().await.unwrap();
    assert_eq!(orders[0]["order_id"], "o1");
    assert_eq!(orders[0]["refunded_fen"], 2990);
    assert_eq!(orders[0]["items"][0]["quantity"], 2);
    let live: Value =
        call(&app, &owner, Method::GET, "/api/v1/people/u1/live", None, false).await.json().await.unwrap();
    assert_eq!(live[0]["title"], "周五水果专场");
    assert_eq!((live[0]["watched_seconds"].as_i64(), live[0]["orders"].as_u64()), (Some(1200), Some(1)));
}

#[tokio::test]
async fn the_console_is_served_at_the_root_and_for_its_deep_links() {
    let app = spawn_app().await;
    for path in ["/", "/people/123", "/settings"] {
        let r = app.client.get(format!("{}{path}", app.base)).send().await.unwrap();
        assert_eq!(r.status(), 200, "{path}");
        assert!(r.headers()["content-type"].to_str().unwrap().starts_with("text/html"));
        assert!(r.text().await.unwrap().contains("<div id=\"app\">"));
    }
    let r = app.client.get(format!("{}/api/v1/nope", app.base)).send().await.unwrap();
    assert_eq!(r.status(), 404);
    assert_eq!(r.json::<Value>().await.unwrap()["code"], "not_found");
}
