//! Tracked links (docs/journeys.md, "Tracked links"): saved all or none, again as a no-op,
//! never over another link's code; found by code alone with their workspace; a journey's
//! clicks counted by step against the people reached; erased and exported with the person.

use chrono::Duration;
use rekindle_core::outreach::{CapsConfig, ChannelKind};
use rekindle_core::{IdentifierKind, JourneyId, PersonId};
use serde_json::json;

use super::journeys::{message, published};
use super::{append, default_ws, msg, person_of, t0};
use crate::{ClickCounts, DeliveryError, Dispatched, NewMessage, PersonRef, Store, StoreError, TrackedLink};

fn link(code: &str, send_key: &str, person: PersonId, journey: Option<JourneyId>, url: &str) -> TrackedLink {
    TrackedLink {
        code: code.into(),
        send_key: send_key.into(),
        person,
        journey,
        step: Some("nudge".into()),
        variant: Some("A".into()),
        channel: ChannelKind::Wecom,
        url: url.into(),
        created_at: t0(),
    }
}

fn counts(step: Option<&str>, reached: i64, clickers: i64, clicks: i64) -> ClickCounts {
    ClickCounts { step: step.map(str::to_owned), reached, clickers, clicks }
}

pub async fn tracked_links_are_found_counted_and_erased(store: &dyn Store) {
    let ws = default_ws(store).await;
    let people: Vec<_> = ["ann", "bob", "cat"]
        .iter()
        .map(|u| msg(json!({"type": "identify", "userId": u, "messageId": format!("id-{u}")})))
        .collect();
    append(store, ws, &people).await;
    let ann = person_of(store, ws, IdentifierKind::UserId, "ann").await.unwrap();
    let bob = person_of(store, ws, IdentifierKind::UserId, "bob").await.unwrap();
    let cat = person_of(store, ws, IdentifierKind::UserId, "cat").await.unwrap();
    let (j, _) = published(store, "沉睡唤回").await;

    // Saved, saved again (a retried send), found by code with the workspace.
    let a = link("AAAAAAAAAAA1", "k-ann", ann, Some(j.id), "https://x.cn/live");
    let a2 = link("AAAAAAAAAAA2", "k-ann", ann, Some(j.id), "https://x.cn/card");
    store.save_links(ws, &[a.clone(), a2.clone()]).await.unwrap();
    store.save_links(ws, &[a.clone(), a2.clone()]).await.unwrap();
    store.save_links(ws, &[]).await.unwrap();
    assert_eq!(store.link_by_code("AAAAAAAAAAA1").await.unwrap(), Some((ws, a.clone())));
    assert_eq!(store.link_by_code("AAAAAAAAAAA9").await.unwrap(), None);
    // Another link's code is refused, and nothing of the batch is saved.
    let b = link("BBBBBBBBBBB1", "k-bob", bob, Some(j.id), "https://x.cn/b");
    let stolen = link("AAAAAAAAAAA1", "k-bob", bob, Some(j.id), "https://evil.example/");
    assert!(matches!(store.save_links(ws, &[b.clone(), stolen]).await, Err(StoreError::AlreadyExists(_))));
    assert_eq!(store.link_by_code("BBBBBBBBBBB1").await.unwrap(), None, "all or none");
    assert_eq!(store.link_by_code("AAAAAAAAAAA1").await.unwrap(), Some((ws, a.clone())), "unchanged");
    store.save_links(ws, std::slice::from_ref(&b)).await.unwrap();

    // Codes are unique across workspaces: found with their own; one store cannot take another's.
    let other = store.create_workspace("other-links", "别家", "Asia/Shanghai").await.unwrap().id;
    let there = link("CCCCCCCCCCC1", "k-there", PersonId::new_v7(), None, "https://y.cn/");
    store.save_links(other, std::slice::from_ref(&there)).await.unwrap();
    assert_eq!(store.link_by_code("CCCCCCCCCCC1").await.unwrap(), Some((other, there)));
    assert!(matches!(store.save_links(other, std::slice::from_ref(&a)).await, Err(StoreError::AlreadyExists(_))));
    assert_eq!(store.link_by_code("AAAAAAAAAAA1").await.unwrap().map(|(w, _)| w), Some(ws));

    // Reached: ann and bob at `nudge` (sent, delivered); cat's `gift` failed.
    let caps = CapsConfig { per_day: 100, per_channel_per_day: Default::default(), ..CapsConfig::default() };
    let sent = |key: &str, person, step: &str| NewMessage {
        journey: Some(j.id),
        step: Some(step.into()),
        ..message(key, person, ChannelKind::Wecom, "2026-05-01")
    };
    store
        .queue(ws, &[sent("k-ann", ann, "nudge"), sent("k-bob", bob, "nudge"), sent("k-cat", cat, "gift")], &caps)
        .await
        .unwrap();
    let claimed = store.claim_messages(t0(), Duration::seconds(30), 10).await.unwrap();
    assert_eq!(claimed.len(), 3);
    let failed = DeliveryError { kind: "user_refused".into(), code: "fail_list".into(), message: "no".into() };
    let outcomes: Vec<(i64, Dispatched)> = claimed
        .iter()
        .map(|m| {
            let o = match m.send_key.as_str() {
                "k-cat" => Dispatched::Failed(failed.clone()),
                _ => Dispatched::Sent { provider_id: None, awaiting: false },
            };
            (m.id, o)
        })
        .collect();
    store.record_dispatches(&outcomes, t0()).await.unwrap();
    store.mark_delivered(ws, "k-bob", t0()).await.unwrap();

    // Clicks: ann twice, bob once (an integrator writing the journey as text), cat on `gift`;
    // another journey's click and a click naming no journey count for neither.
    let click = |n: u32, user: &str, journey: serde_json::Value, step: Option<&str>| {
        msg(json!({"type": "track", "event": "Message Clicked", "userId": user, "messageId": format!("click-{n}"),
            "properties": {"message_id": format!("k-{user}"), "journey_id": journey, "step": step, "channel": "wecom"}}))
    };
    let id = json!(j.id.0);
    append(
        store,
        ws,
        &[
            click(1, "ann", id.clone(), Some("nudge")),
            click(2, "ann", id.clone(), Some("nudge")),
            click(3, "bob", json!(j.id.0.to_string()), Some("nudge")),
            click(4, "cat", id.clone(), Some("gift")),
            click(5, "ann", json!(j.id.0 + 1000), Some("nudge")),
            click(6, "bob", json!(null), Some("nudge")),
        ],
    )
    .await;
    assert_eq!(
        store.journey_clicks(ws, j.id).await.unwrap(),
        [counts(None, 2, 3, 4), counts(Some("gift"), 0, 1, 1), counts(Some("nudge"), 2, 2, 3)]
    );
    assert_eq!(store.journey_clicks(ws, JourneyId(j.id.0 + 1000)).await.unwrap()[0], counts(None, 0, 1, 1));
    assert_eq!(store.journey_clicks(other, j.id).await.unwrap(), [counts(None, 0, 0, 0)], "per workspace");

    // Erased and exported with the person; others' links stay.
    let export = store.export_person(ws, ann).await.unwrap();
    assert_eq!(export.records.get("tracked_links").map(Vec::len), Some(2), "{:?}", export.records.keys());
    store.erase_person(ws, ann).await.unwrap();
    assert_eq!(store.link_by_code("AAAAAAAAAAA1").await.unwrap(), None);
    assert_eq!(store.link_by_code("AAAAAAAAAAA2").await.unwrap(), None);
    assert_eq!(store.link_by_code("BBBBBBBBBBB1").await.unwrap(), Some((ws, b)));
    assert!(store.person(ws, &PersonRef::Id(bob)).await.unwrap().is_some());
}
