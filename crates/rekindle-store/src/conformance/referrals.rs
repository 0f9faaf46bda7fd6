//! Referral codes: one per person, the first free candidate, unique per workspace, found from
//! the code, erased and exported with the person.

use rekindle_core::IdentifierKind;

use super::{append, default_ws, msg, person_of, t0};
use crate::{PersonRef, Store, StoreError};

pub async fn referral_codes_are_one_per_person_and_erased(store: &dyn Store) {
    let ws = default_ws(store).await;
    let ms: Vec<_> = ["ann", "bob", "cat"]
        .iter()
        .map(|u| msg(serde_json::json!({"type": "identify", "userId": u, "messageId": format!("id-{u}")})))
        .collect();
    append(store, ws, &ms).await;
    let ann = person_of(store, ws, IdentifierKind::UserId, "ann").await.unwrap();
    let bob = person_of(store, ws, IdentifierKind::UserId, "bob").await.unwrap();
    let cat = person_of(store, ws, IdentifierKind::UserId, "cat").await.unwrap();
    let offer = |v: &[&str]| v.iter().map(|s| s.to_string()).collect::<Vec<_>>();

    assert_eq!(store.referral_code(ws, ann, &offer(&["AAAA0001", "AAAA0002"]), t0()).await.unwrap(), "AAAA0001");
    // Asked again, the same code whatever is offered.
    assert_eq!(store.referral_code(ws, ann, &offer(&["ZZZZ0009"]), t0()).await.unwrap(), "AAAA0001");
    // A taken code is skipped for the next candidate.
    assert_eq!(store.referral_code(ws, bob, &offer(&["AAAA0001", "BBBB0001"]), t0()).await.unwrap(), "BBBB0001");
    assert!(matches!(
        store.referral_code(ws, cat, &offer(&["AAAA0001", "BBBB0001"]), t0()).await,
        Err(StoreError::AlreadyExists(_))
    ));
    assert_eq!(store.referral_code_owner(ws, "BBBB0001").await.unwrap(), Some(bob));
    assert_eq!(store.referral_code_owner(ws, "NONE0000").await.unwrap(), None);

    // Codes are the workspace's own.
    let other = store.create_workspace("other-referral", "别家", "Asia/Shanghai").await.unwrap().id;
    assert_eq!(store.referral_code_owner(other, "AAAA0001").await.unwrap(), None);
    let there = msg(serde_json::json!({"type": "identify", "userId": "dan", "messageId": "id-dan"}));
    append(store, other, &[there]).await;
    let dan = person_of(store, other, IdentifierKind::UserId, "dan").await.unwrap();
    assert_eq!(store.referral_code(other, dan, &offer(&["AAAA0001"]), t0()).await.unwrap(), "AAAA0001");

    let export = store.export_person(ws, ann).await.unwrap();
    assert_eq!(export.records.get("referral_codes").map(Vec::len), Some(1), "{:?}", export.records.keys());
    store.erase_person(ws, ann).await.unwrap();
    assert_eq!(store.referral_code_owner(ws, "AAAA0001").await.unwrap(), None);
    assert!(store.person(ws, &PersonRef::Id(bob)).await.unwrap().is_some());
}
