//! Which node leads the store, for the settings page: on SQLite the one node, always; owners
//! and admins may ask, other roles may not.

use rekindle_core::access::Role;

use crate::helpers::{spawn_app, token_for};

#[tokio::test]
async fn the_one_sqlite_node_leads_and_only_managers_may_ask() {
    let app = spawn_app().await;
    let view = app.api_json("/api/v1/leadership").await;
    assert_eq!(view["backend"], "sqlite", "{view}");
    assert_eq!(view["leads"], true, "{view}");
    assert_eq!(view["leader"]["node"], view["node"], "{view}");
    assert_eq!(view["leader"]["term"], 1, "{view}");
    assert!(view["node"].as_str().is_some_and(|n| n.ends_with(&format!(":{}", std::process::id()))), "{view}");

    let analyst = token_for(&app, Role::Analyst).await;
    let r = app.client.get(format!("{}/api/v1/leadership", app.base)).bearer_auth(&analyst).send().await.unwrap();
    assert_eq!(r.status(), 403);
    let r = app.client.get(format!("{}/api/v1/leadership", app.base)).send().await.unwrap();
    assert_eq!(r.status(), 401);
}
