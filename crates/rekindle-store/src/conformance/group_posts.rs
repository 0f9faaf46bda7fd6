//! Group posts: a group's promotional posts for a day never pass the ceiling, however many
//! senders race; notices always go; a send key is one post; failures free their place.

use chrono::NaiveDate;

use super::{default_ws, t0};
use crate::{GroupPostState, GroupQueued, NewGroupPost, Store};

fn post(key: &str, group: &str, day: u32, promotional: bool) -> NewGroupPost {
    NewGroupPost {
        send_key: key.into(),
        group_id: group.into(),
        day: NaiveDate::from_ymd_opt(2026, 5, day).unwrap(),
        promotional,
        sender: "staff-1".into(),
        text: format!("今日特价 {key}"),
        attachments: serde_json::json!([{"msgtype": "link", "link": {"title": "t", "url": "https://x"}}]),
        at: t0(),
    }
}

pub async fn group_posts_never_pass_the_ceiling(store: &dyn Store) {
    let ws = default_ws(store).await;
    // Twenty senders race for one group's day with a ceiling of three.
    let tries = (0..20).map(|i| {
        let p = post(&format!("race-{i}"), "g1", 1, true);
        async move { store.queue_group_post(ws, &p, 3).await.unwrap() }
    });
    let outcomes = futures::future::join_all(tries).await;
    let queued = outcomes.iter().filter(|o| matches!(o, GroupQueued::Queued(_))).count();
    assert_eq!(queued, 3, "{outcomes:?}");
    assert_eq!(outcomes.iter().filter(|o| **o == GroupQueued::Capped).count(), 17);

    // Notices, other groups and other days are not held by it.
    assert!(matches!(
        store.queue_group_post(ws, &post("notice", "g1", 1, false), 3).await.unwrap(),
        GroupQueued::Queued(_)
    ));
    assert!(matches!(store.queue_group_post(ws, &post("g2", "g2", 1, true), 3).await.unwrap(), GroupQueued::Queued(_)));
    assert!(matches!(
        store.queue_group_post(ws, &post("day2", "g1", 2, true), 3).await.unwrap(),
        GroupQueued::Queued(_)
    ));
    // The same key is the same post.
    let GroupQueued::Queued(first) = outcomes.iter().copied().find(|o| matches!(o, GroupQueued::Queued(_))).unwrap()
    else {
        unreachable!()
    };
    let key =
        store.group_posts(ws, Some("g1"), 100).await.unwrap().into_iter().find(|p| p.id == first).unwrap().send_key;
    assert_eq!(store.queue_group_post(ws, &post(&key, "g1", 1, true), 3).await.unwrap(), GroupQueued::Again(first));

    // Due oldest first; a failed post frees its place, a sent one does not.
    let due = store.due_group_posts(100).await.unwrap();
    assert_eq!(due.len(), 6);
    assert!(due.windows(2).all(|w| w[0].1.id < w[1].1.id) && due.iter().all(|(w, _)| *w == ws));
    assert!(store.record_group_post(ws, first, Err("errcode 41052".into()), t0()).await.unwrap());
    assert!(!store.record_group_post(ws, first, Ok("msg".into()), t0()).await.unwrap(), "only a queued post moves");
    let freed = store.queue_group_post(ws, &post("after-failure", "g1", 1, true), 3).await.unwrap();
    assert!(matches!(freed, GroupQueued::Queued(_)), "{freed:?}");
    assert_eq!(store.queue_group_post(ws, &post("one-more", "g1", 1, true), 3).await.unwrap(), GroupQueued::Capped);
    let g2 = store.group_posts(ws, Some("g2"), 10).await.unwrap();
    assert!(store.record_group_post(ws, g2[0].id, Ok("msgid-1".into()), t0()).await.unwrap());
    let g2 = &store.group_posts(ws, Some("g2"), 10).await.unwrap()[0];
    assert_eq!((g2.state, g2.msgid.as_deref(), g2.sent_at), (GroupPostState::Sent, Some("msgid-1"), Some(t0())));
    assert_eq!(g2.attachments[0]["msgtype"], "link", "kept whole");

    // Another store's posts are its own.
    let other = store.create_workspace("other-groups", "别家", "Asia/Shanghai").await.unwrap().id;
    assert!(store.group_posts(other, None, 10).await.unwrap().is_empty());
    assert!(matches!(
        store.queue_group_post(other, &post("race-0", "g1", 1, true), 3).await.unwrap(),
        GroupQueued::Queued(_)
    ));
}
