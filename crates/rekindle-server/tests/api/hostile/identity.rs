//! Hostile input: identity. Two WeChat users sharing a phone in one batch: both links of the
//! second to the first are refused, and the second's message and traits must stay with them.

use serde_json::json;

use crate::helpers::spawn_app;

#[tokio::test]
async fn a_refused_link_does_not_land_on_the_wrong_person() {
    let app = spawn_app().await;
    let batch = json!({"batch": [
        {"type": "identify", "userId": "A", "messageId": "m-a",
         "traits": {"wechat_unionid": "U1", "phone": "13800000001", "nickname": "阿花"}},
        {"type": "identify", "userId": "B", "messageId": "m-b",
         "traits": {"wechat_unionid": "U2", "phone": "13800000001", "nickname": "小宝"}},
    ]});
    let r = app.post("/v1/batch", &batch).await;
    assert_eq!(r.status(), 200);
    assert!(app.ingestor.settled(std::time::Duration::from_secs(10)).await);

    let a = app.api_json("/api/v1/people/user_id:A").await;
    let r = app.api("/api/v1/people/user_id:B").await;
    assert_eq!(r.status(), 200, "B is a person of their own");
    let b: serde_json::Value = r.json().await.unwrap();
    assert_ne!(a["id"], b["id"]);
    assert_eq!(a["traits"]["wechat_unionid"], "U1", "{a}");
    assert_eq!(a["traits"]["nickname"], "阿花", "{a}");
    assert_eq!(b["traits"]["wechat_unionid"], "U2", "{b}");
    assert_eq!(b["traits"]["nickname"], "小宝", "{b}");
    // The shared phone stays with A; B's traits do not claim it.
    assert!(b["traits"].get("phone").is_none(), "{b}");

    // Each message is on its own person's timeline.
    let events = app.events().await;
    let owner = |m: &str| events.iter().find(|e| e.message_id == m).unwrap().person.to_string();
    assert_eq!(owner("m-a"), a["id"].as_str().unwrap());
    assert_eq!(owner("m-b"), b["id"].as_str().unwrap());

    // And the refusal is there for review.
    let conflicts = app.api_json("/api/v1/identity/conflicts").await;
    let list = conflicts.as_array().unwrap();
    assert!(list.iter().any(|c| c["kind"] == "link_refused"), "{conflicts}");
}
