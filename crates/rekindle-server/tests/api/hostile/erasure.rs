//! Hostile input: erasure and export of a person on request (PIPL; docs/privacy.md). Who may
//! erase, what must be confirmed, and that nothing of the person is left while the store's
//! orders and GMV stay whole.

use rekindle_core::access::Role;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::helpers::{TestApp, spawn_app, token_for};

const PHONE: &str = "13812345678";

/// A person with a phone, a nickname and two orders, and someone else with one order.
/// Returns the person's id.
async fn customer(app: &TestApp) -> String {
    for body in [
        json!({"userId": "c-1", "traits": {"phone": PHONE, "nickname": "王阿姨"}}),
        json!({"userId": "c-2", "traits": {"phone": "13900000002"}}),
    ] {
        assert_eq!(app.post("/v1/identify", &body).await.status(), 200);
    }
    for (user, order, revenue) in [("c-1", "o-1", 128.5), ("c-1", "o-2", 60.0), ("c-2", "o-3", 20.0)] {
        let body = json!({"userId": user, "event": "Order Completed",
            "properties": {"order_id": order, "revenue": revenue, "phone": PHONE}});
        assert_eq!(app.post("/v1/track", &body).await.status(), 200);
    }
    app.events().await;
    app.api_json(&format!("/api/v1/people/phone:{PHONE}")).await["id"].as_str().unwrap().to_string()
}

async fn call(app: &TestApp, token: &str, method: Method, path: &str) -> reqwest::Response {
    app.client.request(method, format!("{}{path}", app.base)).bearer_auth(token).send().await.unwrap()
}

async fn erase(app: &TestApp, path: &str) -> reqwest::Response {
    call(app, crate::helpers::ADMIN, Method::DELETE, path).await
}

async fn error(r: reqwest::Response, status: StatusCode) -> Value {
    assert_eq!(r.status(), status);
    r.json().await.unwrap()
}

#[tokio::test]
async fn erasure_without_the_owner_role_is_forbidden() {
    let app = spawn_app().await;
    let id = customer(&app).await;
    for role in [Role::Operator, Role::Service, Role::Host, Role::Analyst] {
        let token = token_for(&app, role).await;
        let r = call(&app, &token, Method::DELETE, &format!("/api/v1/people/{id}?confirm={id}")).await;
        let body = error(r, StatusCode::FORBIDDEN).await;
        assert_eq!(body["code"], "forbidden", "{role}");
        assert!(body["message"].as_str().unwrap().contains("people.erase"), "{body}");
    }
    assert_eq!(app.api(&format!("/api/v1/people/{id}")).await.status(), 200, "still there");
}

#[tokio::test]
async fn another_workspaces_person_cannot_be_erased() {
    let app = spawn_app().await;
    let id = customer(&app).await;
    app.store.create_workspace("north", "北店", "Asia/Shanghai").await.unwrap();
    let body =
        error(erase(&app, &format!("/api/v1/people/{id}?confirm={id}&workspace=north")).await, StatusCode::NOT_FOUND)
            .await;
    assert_eq!(body["code"], "not_found");
    assert_eq!(app.api(&format!("/api/v1/people/{id}")).await.status(), 200, "still there");
}

#[tokio::test]
async fn another_workspaces_person_cannot_be_exported() {
    let app = spawn_app().await;
    let id = customer(&app).await;
    app.store.create_workspace("north", "北店", "Asia/Shanghai").await.unwrap();
    for who in [id.clone(), format!("phone:{PHONE}")] {
        let r = call(&app, crate::helpers::ADMIN, Method::GET, &format!("/api/v1/people/{who}/export?workspace=north"))
            .await;
        let body = error(r, StatusCode::NOT_FOUND).await;
        assert_eq!(body["code"], "not_found", "{who}");
        // Nothing of the person in the default workspace comes back: not their name, nor
        // their id when they were named by phone.
        assert!(!body.to_string().contains("王阿姨"), "{body}");
        if who.starts_with("phone:") {
            assert!(!body.to_string().contains(&id), "{body}");
        }
    }
}

#[tokio::test]
async fn erasure_must_be_confirmed_with_the_persons_id() {
    let app = spawn_app().await;
    let id = customer(&app).await;
    for query in ["", "?confirm=", "?confirm=%20", "?confirm=true", &format!("?confirm={PHONE}")] {
        let body = error(erase(&app, &format!("/api/v1/people/{id}{query}")).await, StatusCode::BAD_REQUEST).await;
        assert_eq!(
            (body["code"].as_str(), body["field"].as_str()),
            (Some("invalid_field"), Some("confirm")),
            "{query}"
        );
    }
    // Named by phone, the confirmation is still the id.
    let body =
        error(erase(&app, &format!("/api/v1/people/phone:{PHONE}?confirm={PHONE}")).await, StatusCode::BAD_REQUEST)
            .await;
    assert_eq!(body["field"], "confirm");
    assert_eq!(app.api(&format!("/api/v1/people/{id}")).await.status(), 200, "nothing erased");
}

#[tokio::test]
async fn erasing_an_unknown_person_is_not_found() {
    let app = spawn_app().await;
    customer(&app).await;
    let nobody = "0190a0a0-0000-7000-8000-000000000000";
    let body =
        error(erase(&app, &format!("/api/v1/people/{nobody}?confirm={nobody}")).await, StatusCode::NOT_FOUND).await;
    assert_eq!(body["code"], "not_found");
    let body = error(erase(&app, "/api/v1/people/phone:13700000000?confirm=x").await, StatusCode::NOT_FOUND).await;
    assert_eq!(body["code"], "not_found");
    // The nobody of erased orders is no person either.
    let erased = rekindle_core::PersonId::ERASED;
    assert_eq!(erase(&app, &format!("/api/v1/people/{erased}?confirm={erased}")).await.status(), 404);
}

#[tokio::test]
async fn export_needs_pii_read_and_holds_everything() {
    let app = spawn_app().await;
    let id = customer(&app).await;
    for role in [Role::Host, Role::Analyst] {
        let token = token_for(&app, role).await;
        let body =
            error(call(&app, &token, Method::GET, &format!("/api/v1/people/{id}/export")).await, StatusCode::FORBIDDEN)
                .await;
        assert_eq!(body["code"], "forbidden", "{role}");
        assert!(body["message"].as_str().unwrap().contains("pii.read"), "{body}");
    }
    let service = token_for(&app, Role::Service).await;
    let r = call(&app, &service, Method::GET, &format!("/api/v1/people/{id}/export")).await;
    assert_eq!(r.status(), 200);
    let export: Value = r.json().await.unwrap();
    assert_eq!(export["person"]["id"], id.as_str());
    assert_eq!(export["person"]["traits"]["nickname"], "王阿姨");
    assert!(
        export["person"]["identities"].as_array().unwrap().iter().any(|i| i["value"] == "+8613812345678"),
        "unmasked"
    );
    assert_eq!(export["records"]["events"].as_array().unwrap().len(), 3, "identify and two orders");
    let audit = app.api_json("/api/v1/audit").await;
    assert!(audit.to_string().contains("person.export"), "audited: {audit}");
}

#[tokio::test]
async fn an_erased_person_is_gone_and_their_phone_starts_someone_new() {
    let app = spawn_app().await;
    let id = customer(&app).await;
    let dashboard = app.api_json("/api/v1/dashboard").await;
    let r = erase(&app, &format!("/api/v1/people/{id}?confirm={id}")).await;
    assert_eq!(r.status(), 200);
    let report: Value = r.json().await.unwrap();
    assert_eq!(report["person"], id.as_str());
    assert_eq!(report["orders_kept"], 2);

    assert_eq!(app.api(&format!("/api/v1/people/{id}")).await.status(), 404);
    assert_eq!(app.api(&format!("/api/v1/people/phone:{PHONE}")).await.status(), 404);
    assert_eq!(app.api("/api/v1/people/user_id:c-1").await.status(), 404);
    let found: Value = app.api_json(&format!("/api/v1/people?q={PHONE}")).await;
    assert_eq!(found, json!([]));
    let all = app.store.events(app.ws, &rekindle_store::EventQuery { limit: 1000, ..Default::default() }).await;
    for e in all.unwrap() {
        assert!(!e.payload.to_string().contains(PHONE), "{e:?}");
        assert!(!e.payload.to_string().contains("王阿姨"), "{e:?}");
    }
    let audit = app.api_json("/api/v1/audit").await;
    assert!(audit.to_string().contains("person.erase"), "audited: {audit}");

    assert_eq!(
        app.post("/v1/identify", &json!({"anonymousId": "new-device", "traits": {"phone": PHONE}})).await.status(),
        200
    );
    app.events().await;
    let again = app.api_json(&format!("/api/v1/people/phone:{PHONE}")).await;
    assert_ne!(again["id"], id.as_str(), "a new person");
    assert_eq!(again["identities"].as_array().unwrap().len(), 2, "only what the new event brought");
    assert!(again["traits"].get("nickname").is_none());

    let after = app.api_json("/api/v1/dashboard").await;
    assert_eq!(after["totals"]["orders"], dashboard["totals"]["orders"]);
    assert_eq!(after["totals"]["gmv_fen"], dashboard["totals"]["gmv_fen"]);
    assert_eq!(dashboard["totals"]["orders"], 3);
}

#[tokio::test]
async fn the_dashboard_keeps_its_totals_after_an_erasure() {
    let app = spawn_app().await;
    let id = customer(&app).await;
    let before = app.api_json("/api/v1/dashboard").await;
    assert_eq!(erase(&app, &format!("/api/v1/people/{id}?confirm={id}")).await.status(), 200);
    let after = app.api_json("/api/v1/dashboard").await;
    assert_eq!(after["totals"]["orders"], before["totals"]["orders"]);
    assert_eq!(after["totals"]["gmv_fen"], before["totals"]["gmv_fen"]);
    assert_eq!(after["totals"]["people"].as_u64().unwrap() + 1, before["totals"]["people"].as_u64().unwrap());
    for (a, b) in after["days"].as_array().unwrap().iter().zip(before["days"].as_array().unwrap()) {
        assert_eq!((&a["orders"], &a["gmv_fen"]), (&b["orders"], &b["gmv_fen"]), "{}", a["date"]);
    }
    // Nobody's orders make no person: the audience has only the one customer left.
    let counted: u64 = after["lifecycle"].as_array().unwrap().iter().map(|s| s["count"].as_u64().unwrap()).sum();
    assert_eq!(counted, 1, "{}", after["lifecycle"]);
}
