//! Hostile input: accounts. An owner who reaches for another workspace's operators (adding
//! them without consent, probing which emails have accounts, reading their audit trail), and
//! a crowd guessing one password in parallel.

use rekindle_core::access::Role;
use rekindle_server::auth::limiter::PER_EMAIL;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::helpers::{TestApp, spawn_app};

const PASSWORD: &str = "correct horse battery";
const BOB: &str = "bob@north.cn";

struct Session {
    cookie: String,
    csrf: String,
}

async fn login(app: &TestApp, email: &str, password: &str) -> reqwest::Response {
    let url = format!("{}/api/v1/auth/login", app.base);
    app.client.post(url).json(&json!({"email": email, "password": password})).send().await.unwrap()
}

async fn sign_in(app: &TestApp, email: &str, password: &str) -> Session {
    let r = login(app, email, password).await;
    assert_eq!(r.status(), 200, "{email} signs in");
    let cookie = r.headers()["set-cookie"].to_str().unwrap().split(';').next().unwrap().to_string();
    let csrf = r.json::<Value>().await.unwrap()["csrf_token"].as_str().unwrap().to_string();
    Session { cookie, csrf }
}

async fn call(app: &TestApp, s: &Session, method: Method, path: &str, body: Option<Value>) -> reqwest::Response {
    let mut req = app
        .client
        .request(method, format!("{}{path}", app.base))
        .header("cookie", &s.cookie)
        .header("x-csrf-token", &s.csrf);
    if let Some(b) = body {
        req = req.json(&b);
    }
    req.send().await.unwrap()
}

/// Workspace A (`default`) with its owner signed in, and workspace B (`north`) whose owner is
/// Bob, who has never heard of A.
async fn two_workspaces() -> (TestApp, Session) {
    let app = spawn_app().await;
    let north = app.store.create_workspace("north", "North", "Asia/Shanghai").await.unwrap().id;
    rekindle_server::auth::add_operator(&*app.store, app.ws, "owner@a.cn", "A", PASSWORD, Role::Owner).await.unwrap();
    rekindle_server::auth::add_operator(&*app.store, north, BOB, "Bob", PASSWORD, Role::Owner).await.unwrap();
    let owner = sign_in(&app, "owner@a.cn", PASSWORD).await;
    (app, owner)
}

/// What an answer says once the parts that name the request (email, ids, token, times) are
/// set aside.
fn shape(status: StatusCode, body: &Value) -> (StatusCode, Value) {
    let mut body = body.clone();
    for pointer in
        ["/token", "/invitation/email", "/invitation/id", "/invitation/created_at", "/invitation/token_expires_at"]
    {
        if let Some(v) = body.pointer_mut(pointer) {
            *v = json!(format!("<{pointer}>"));
        }
    }
    (status, body)
}

async fn workspaces_of(app: &TestApp, s: &Session) -> Vec<String> {
    let me: Value = call(app, s, Method::GET, "/api/v1/auth/me", None).await.json().await.unwrap();
    me["workspaces"].as_array().unwrap().iter().map(|w| w["slug"].as_str().unwrap().to_string()).collect()
}

#[tokio::test]
async fn adding_another_workspaces_account_answers_like_an_unknown_email_and_grants_nothing() {
    let (app, owner) = two_workspaces().await;
    let existing =
        call(&app, &owner, Method::POST, "/api/v1/users", Some(json!({"email": BOB, "role": "analyst"}))).await;
    let (status, existing_body) = (existing.status(), existing.json::<Value>().await.unwrap());
    let unknown =
        call(&app, &owner, Method::POST, "/api/v1/users", Some(json!({"email": "nobody@x.cn", "role": "analyst"})))
            .await;
    let (unknown_status, unknown_body) = (unknown.status(), unknown.json::<Value>().await.unwrap());

    assert_eq!(status, StatusCode::ACCEPTED, "{existing_body}");
    assert_eq!(existing_body["status"], "invited");
    assert_eq!(shape(status, &existing_body), shape(unknown_status, &unknown_body), "nothing tells them apart");
    let members: Value = call(&app, &owner, Method::GET, "/api/v1/users", None).await.json().await.unwrap();
    assert!(!members.to_string().contains(BOB), "Bob is not a member of A: {members}");

    let bob = sign_in(&app, BOB, PASSWORD).await;
    assert_eq!(workspaces_of(&app, &bob).await, ["north"], "not until Bob accepts");
    let r = call(&app, &bob, Method::GET, "/api/v1/people?q=x&workspace=default", None).await;
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn only_the_invitee_accepts_and_the_token_cannot_take_over_an_existing_account() {
    let (app, owner) = two_workspaces().await;
    let invited: Value =
        call(&app, &owner, Method::POST, "/api/v1/users", Some(json!({"email": BOB, "role": "owner"})))
            .await
            .json()
            .await
            .unwrap();

    // The owner holds the token and tries to become Bob with it.
    let url = format!("{}/api/v1/auth/invitations/redeem", app.base);
    let take_over = json!({"token": invited["token"], "name": "Mallory", "password": "mallory's password"});
    let r = app.client.post(&url).json(&take_over).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::ACCEPTED, "the same answer as for a new email");
    assert_eq!(login(&app, BOB, "mallory's password").await.status(), StatusCode::UNAUTHORIZED);

    // Someone else signed in cannot accept Bob's invitation.
    let bob = sign_in(&app, BOB, PASSWORD).await;
    let mine: Value = call(&app, &bob, Method::GET, "/api/v1/auth/invitations", None).await.json().await.unwrap();
    assert_eq!((mine[0]["workspace"].as_str(), mine[0]["role"].as_str()), (Some("default"), Some("owner")));
    let id = mine[0]["id"].as_i64().unwrap();
    let r = call(&app, &owner, Method::POST, &format!("/api/v1/auth/invitations/{id}/accept"), None).await;
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
    assert_eq!(r.json::<Value>().await.unwrap()["code"], "not_found");
    assert_eq!(workspaces_of(&app, &bob).await, ["north"]);

    let r = call(&app, &bob, Method::POST, &format!("/api/v1/auth/invitations/{id}/accept"), None).await;
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(workspaces_of(&app, &bob).await, ["default", "north"], "Bob accepted");
}

#[tokio::test]
async fn after_accepting_a_cannot_read_what_b_recorded() {
    let (app, owner) = two_workspaces().await;
    // Bob's life in B: a sign-in, an API token, a write key.
    let bob = sign_in(&app, BOB, PASSWORD).await;
    let r = call(&app, &bob, Method::POST, "/api/v1/tokens", Some(json!({"name": "north-secret-bi"}))).await;
    assert_eq!(r.status(), StatusCode::CREATED);
    let r =
        call(&app, &bob, Method::POST, "/api/v1/write-keys?workspace=north", Some(json!({"name": "north-app"}))).await;
    assert_eq!(r.status(), StatusCode::CREATED);

    call(&app, &owner, Method::POST, "/api/v1/users", Some(json!({"email": BOB, "role": "analyst"}))).await;
    let mine: Value = call(&app, &bob, Method::GET, "/api/v1/auth/invitations", None).await.json().await.unwrap();
    let id = mine[0]["id"].as_i64().unwrap();
    let r = call(&app, &bob, Method::POST, &format!("/api/v1/auth/invitations/{id}/accept"), None).await;
    assert_eq!(r.status(), StatusCode::OK);

    let log: Value = call(&app, &owner, Method::GET, "/api/v1/audit", None).await.json().await.unwrap();
    let bobs: Vec<&str> =
        log.as_array().unwrap().iter().filter(|e| e["user"] == BOB).map(|e| e["action"].as_str().unwrap()).collect();
    assert_eq!(bobs, ["user.join"], "only what Bob did in A: {log}");
    assert!(!log.to_string().contains("north-"), "no names from B: {log}");
    let north: Value = call(&app, &bob, Method::GET, "/api/v1/audit?workspace=north", None).await.json().await.unwrap();
    assert!(north.to_string().contains("north-app"), "B still reads its own: {north}");
}

#[tokio::test]
async fn forty_parallel_wrong_passwords_get_at_most_the_limit_of_checks() {
    let (app, _) = two_workspaces().await;
    let mut guesses = tokio::task::JoinSet::new();
    for i in 0..40 {
        let (client, url) = (app.client.clone(), format!("{}/api/v1/auth/login", app.base));
        guesses.spawn(async move {
            client.post(url).json(&json!({"email": BOB, "password": format!("guess number {i}")})).send().await.unwrap()
        });
    }
    let answers = guesses.join_all().await;
    let mut checked = 0;
    for r in answers {
        match r.status() {
            StatusCode::UNAUTHORIZED => checked += 1,
            StatusCode::TOO_MANY_REQUESTS => {
                let body: Value = r.json().await.unwrap();
                assert_eq!((body["code"].as_str(), body["field"].as_str()), (Some("rate_limited"), Some("email")));
            }
            other => panic!("unexpected {other}"),
        }
    }
    assert_eq!(checked, PER_EMAIL, "only the attempts within the limit reach the password check");
    let r = login(&app, BOB, PASSWORD).await;
    assert_eq!(r.status(), StatusCode::TOO_MANY_REQUESTS, "the right password waits for the window too");
    assert_eq!(r.json::<Value>().await.unwrap()["code"], "rate_limited");
}

#[tokio::test]
async fn a_redeemed_invitation_is_checked_field_by_field_before_anything_is_hashed() {
    let (app, owner) = two_workspaces().await;
    let invited: Value =
        call(&app, &owner, Method::POST, "/api/v1/users", Some(json!({"email": "new@north.cn", "role": "host"})))
            .await
            .json()
            .await
            .unwrap();
    let token = invited["token"].as_str().unwrap().to_string();
    let url = format!("{}/api/v1/auth/invitations/redeem", app.base);
    let long_name = "名".repeat(101);
    let huge_password = "p".repeat(1025);
    let cases = [
        (json!({"token": "rki_not-a-real-token-at-all", "name": "小王", "password": PASSWORD}), 404, "token"),
        (json!({"token": "no prefix", "name": "小王", "password": PASSWORD}), 400, "token"),
        (json!({"token": "rki_".repeat(60), "name": "小王", "password": PASSWORD}), 400, "token"),
        (json!({"token": token, "name": "   ", "password": PASSWORD}), 400, "name"),
        (json!({"token": token, "name": long_name, "password": PASSWORD}), 400, "name"),
        (json!({"token": token, "name": "小王", "password": "short"}), 400, "password"),
        (json!({"token": token, "name": "小王", "password": huge_password}), 400, "password"),
        (json!({"token": 42, "name": "小王", "password": PASSWORD}), 400, "token"),
        (json!({"token": token, "name": ["小王"], "password": PASSWORD}), 400, "name"),
        // A missing field is named in the message; the field is the body it is missing from.
        (json!({"token": token, "name": "小王"}), 400, "body"),
    ];
    for (body, status, field) in cases {
        let r = app.client.post(&url).json(&body).send().await.unwrap();
        assert_eq!(r.status().as_u16(), status, "{body}");
        let answer: Value = r.json().await.unwrap();
        assert_eq!(answer["field"], field, "{body} -> {answer}");
    }
    // None of that spent the token: the invitee can still redeem it.
    let r = app.client.post(&url).json(&json!({"token": token, "name": "小王", "password": PASSWORD})).send().await;
    assert_eq!(r.unwrap().status(), StatusCode::ACCEPTED);
    assert_eq!(login(&app, "new@north.cn", PASSWORD).await.status(), StatusCode::OK);
}

#[tokio::test]
async fn a_huge_password_is_refused_before_it_is_hashed() {
    let app = spawn_app().await;
    let r = login(&app, "anyone@example.com", &"p".repeat(1025)).await;
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    assert_eq!(r.json::<Value>().await.unwrap()["field"], "password");
}
