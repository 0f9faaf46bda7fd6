use chrono::TimeZone;
use proptest::prelude::*;
use serde_json::json;

use super::*;
use crate::money::Amounts;

fn t(day: u32, hour: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 5, 1, 0, 0, 0).unwrap()
        + Duration::days(i64::from(day))
        + Duration::hours(i64::from(hour))
}

fn fold(events: &[(DateTime<Utc>, &str, Value)]) -> Profile {
    let mut p = Profile::default();
    for (at, name, props) in events {
        p.apply(ProfileEvent { at: *at, name, properties: props, amounts: Amounts::LEGACY });
    }
    p
}

fn order(id: &str, revenue: i64, category: &str) -> Value {
    json!({"order_id": id, "revenue": revenue, "products": [{"sku": "x", "category": category, "quantity": 2}]})
}

#[test]
fn orders_count_once_by_id_and_categories_keep_their_rhythm() {
    let p = fold(&[
        (t(0, 9), "Order Completed", order("o1", 3000, "fruit")),
        (t(0, 9), "Order Completed", order("o1", 3000, "fruit")), // resent
        (t(4, 9), "Order Completed", order("o2", 2000, "fruit")),
        (t(10, 9), "Order Completed", order("o3", 5000, "fruit")),
        (t(11, 9), "Order Refunded", json!({"order_id": "o3", "amount": 1000})),
        (t(10, 20), "Order Completed", order("o4", 1000, "rice")),
    ]);
    assert_eq!(p.order_count(), 4);
    assert_eq!(p.spend_fen(), 10_000);
    assert_eq!(p.aov_fen(), Some(2750));
    assert_eq!(p.spend_within(t(12, 0), 5), 6000, "the last five days hold o3 and o4");
    let fruit = &p.categories()["fruit"];
    assert_eq!((fruit.purchases(), fruit.units), (3, 6));
    assert_eq!(fruit.median_interval_days(), Some(5.0), "gaps of 4 and 6 days");
    assert_eq!(p.categories()["rice"].median_interval_days(), None);
    assert_eq!((p.first_order(), p.last_order()), (Some(t(0, 9)), Some(t(10, 20))));
}

/// Found on main: only the latest add and removal were compared, so dropping one of two staff
/// members made the customer look unreachable.
#[test]
fn removing_one_of_two_staff_members_leaves_the_customer_reachable() {
    let p = fold(&[
        (t(0, 0), "Contact Added", json!({"staff_id": "guide-1", "source": "store", "code": "store-3"})),
        (t(1, 0), "Contact Added", json!({"staff_id": "leader-1", "source": "live"})),
        (t(2, 0), "Contact Removed", json!({"staff_id": "leader-1", "by": "customer"})),
    ]);
    assert!(p.reachable());
    let friends: Vec<_> = p.contacts.friends().map(|(s, _)| s).collect();
    assert_eq!(friends, ["guide-1"]);
    assert_eq!(p.acquired().map(|(_, s)| s), Some("store"));
    let gone = fold(&[
        (t(0, 0), "Contact Added", json!({"staff_id": "guide-1"})),
        (t(2, 0), "Contact Removed", json!({"staff_id": "guide-1", "by": "staff"})),
    ]);
    assert!(!gone.reachable());
}

#[test]
fn engagement_tickets_and_reach() {
    let p = fold(&[
        (t(1, 0), "Live Watched", json!({"seconds": 600})),
        (t(1, 1), "Live Watched", json!({"seconds": 300})),
        (t(1, 1), "Live Commented", json!({"text": "好吃吗"})),
        (t(2, 0), "Ticket Opened", json!({"ticket_id": "t1"})),
        (t(3, 0), "Ticket Opened", json!({"ticket_id": "t2"})),
        (t(4, 0), "Ticket Resolved", json!({"ticket_id": "t1"})),
        (t(0, 0), "Contact Added", json!({})),
        (t(5, 0), "Message Opened", json!({})),
        (t(6, 0), "Something New", json!({})),
    ]);
    assert_eq!((p.live_watch_seconds, p.comments), (900, 1));
    assert_eq!(p.open_tickets().collect::<Vec<_>>(), [t(3, 0)], "t2 is open");
    assert!(p.reachable());
    assert_eq!(p.last_touch, Some(t(5, 0)));
    assert_eq!((p.first_seen, p.last_seen), (Some(t(0, 0)), Some(t(6, 0))), "unknown events still count as seen");
    let mut gone = p.clone();
    gone.apply(ProfileEvent {
        at: t(7, 0),
        name: "Contact Removed",
        properties: &Value::Null,
        amounts: Amounts::LEGACY,
    });
    assert!(!gone.reachable());
}

#[test]
fn amounts_are_read_from_the_annotation_and_legacy_ones_as_clamped_fen() {
    let parsed = json!({"properties": {"order_id": "o1", "revenue": 128.8}, "_rekindle": {"fen": {"revenue": 12880}}});
    let legacy = json!({"order_id": "o2", "revenue": 1e308});
    let mut p = Profile::default();
    p.apply(ProfileEvent {
        at: t(0, 9),
        name: "Order Completed",
        properties: &parsed["properties"],
        amounts: Amounts::of(&parsed),
    });
    assert_eq!(p.spend_fen(), 12880, "yuan parsed at ingestion, not 129 fen");
    for at in [t(1, 9), t(2, 9)] {
        p.apply(ProfileEvent { at, name: "Order Completed", properties: &legacy, amounts: Amounts::LEGACY });
    }
    assert_eq!(p.spend_fen(), 12880 + crate::money::MAX_FEN, "a stored 1e308 is clamped, never wraps");
    assert!(p.aov_fen().unwrap() > 0);
}

#[test]
fn a_refund_counts_against_its_own_order_up_to_its_revenue() {
    let p = fold(&[
        (t(0, 9), "Order Completed", order("o1", 3000, "fruit")),
        (t(0, 9), "Order Completed", order("o2", 2000, "fruit")),
        (t(1, 9), "Order Refunded", json!({"order_id": "o1", "amount": 5000})),
        (t(1, 9), "Order Refunded", json!({"order_id": "o-unknown", "amount": 5000})),
        (t(1, 9), "Order Refunded", json!({"order_id": "o2", "amount": 500})),
    ]);
    assert_eq!(p.spend_fen(), 1500, "o1 refunded whole, o2 in part, the unknown order not at all");
}

#[test]
fn the_birthday_last_given_is_kept_whatever_the_order() {
    let said = |day, text: &str| (t(day, 0), "identify", json!({"birthday": text}));
    let events = [said(1, "1990-05-12"), said(3, "5月20日"), said(2, "not a date"), said(0, "1990-01-01")];
    let forward = fold(&events);
    let mut reversed = events.clone();
    reversed.reverse();
    assert_eq!(forward.birthday(), Some((t(3, 0), MonthDay::new(5, 20).unwrap())));
    assert_eq!(fold(&reversed).birthday(), forward.birthday());
}

#[test]
fn a_question_waits_for_its_first_answer_whichever_arrives_first() {
    let asked = (t(1, 0), "Live Commented", json!({"comment_id": "c1", "is_question": true, "text": "几斤？"}));
    let chat = (t(1, 0), "Live Commented", json!({"comment_id": "c2", "text": "来了"}));
    let first = (t(1, 2), "Live Replied", json!({"comment_id": "c1"}));
    let second = (t(1, 5), "Live Replied", json!({"comment_id": "c1"}));
    let ordered = fold(&[asked.clone(), chat.clone(), first.clone(), second.clone()]);
    let shuffled = fold(&[second, first, chat, asked]);
    assert_eq!(ordered, shuffled);
    // A comment that is not a question is not waited on.
    assert_eq!(ordered.questions().len(), 1);
    assert_eq!(ordered.question_wait(t(3, 0), None), Some(chrono::Duration::hours(2)));
}

#[test]
fn live_orders_are_told_apart_by_session_and_time() {
    let p = fold(&[
        (t(1, 0), "Order Completed", json!({"order_id": "o1", "revenue": 10, "session_id": "s1"})),
        (t(2, 0), "Order Completed", json!({"order_id": "o2", "revenue": 10})),
    ]);
    assert!(p.live_ordered(Some("s1"), t(3, 0), None));
    assert!(!p.live_ordered(Some("s2"), t(3, 0), None));
    assert!(p.live_ordered(None, t(1, 5), Some(chrono::Duration::hours(6))));
    assert!(!p.live_ordered(None, t(3, 0), Some(chrono::Duration::hours(6))));
}

const NAMES: [&str; 13] = [
    "Order Completed",
    "Live Replied",
    "Order Refunded",
    "Live Watched",
    "Live Commented",
    "Live Shared",
    "Ticket Opened",
    "Ticket Resolved",
    "Contact Added",
    "Contact Removed",
    "Message Delivered",
    "identify",
    "Level Changed",
];

/// A random event: few order and ticket ids, so resent orders and reopened tickets happen.
fn event() -> impl Strategy<Value = (DateTime<Utc>, &'static str, Value)> {
    (0u32..60, 0u32..24, 0usize..NAMES.len(), 0u8..6, 0i64..10_000, 0usize..4, 0i64..3).prop_map(
        |(day, hour, n, id, amount, cat, qty)| {
            let category = ["fruit", "veg", "rice", "dairy"][cat];
            let props = json!({
                "birthday": format!("1990-0{}-1{}", 1 + id % 3, cat),
                "order_id": format!("o{id}"), "ticket_id": format!("t{id}"), "comment_id": format!("c{id}"),
                "is_question": id % 2 == 0, "session_id": format!("s{}", id % 2), "revenue": amount, "amount": amount / 10,
                "seconds": amount / 100, "products": [{"category": category, "quantity": qty + 1}],
                "level": format!("L{}", id % 3)
            });
            (t(day, hour), NAMES[n], props)
        },
    )
}

proptest! {
    /// Events spread over several people, applied in any order and then merged in any order
    /// (OneID merging them), give the profile folded from scratch over all the events.
    #[test]
    fn incremental_with_merges_equals_from_scratch(
        events in prop::collection::vec((event(), 0usize..4), 0..60).prop_shuffle(),
        merge_order in any::<prop::sample::Index>(),
    ) {
        let mut sorted: Vec<_> = events.iter().map(|(e, _)| e.clone()).collect();
        sorted.sort_by_key(|e| e.0);
        let expected = fold(&sorted);

        // `events` arrives shuffled: late and out-of-order events included.
        let arrival = &events;
        let mut people = vec![Profile::default(); 4];
        for ((at, name, props), who) in arrival {
            people[*who].apply(ProfileEvent { at: *at, name, properties: props, amounts: Amounts::LEGACY });
        }
        people.rotate_left(merge_order.index(4));
        let mut survivor = people.pop().unwrap();
        for p in &people {
            survivor.merge(p);
        }
        prop_assert_eq!(&survivor, &expected);
        prop_assert_eq!(survivor.categories(), expected.categories());
    }
}

#[test]
fn the_level_last_changed_to_is_held_whatever_the_order() {
    let changed = |day, level: &str| (t(day, 0), "Level Changed", json!({"level": level, "reason": "reached"}));
    let events = [changed(1, "L2"), changed(5, "L3"), changed(3, "L4"), (t(6, 0), "Level Changed", json!({}))];
    let forward = fold(&events);
    let mut reversed = events.clone();
    reversed.reverse();
    assert_eq!(forward.level(), Some((t(5, 0), "L3")), "the latest change, not the highest");
    assert_eq!(fold(&reversed).level(), forward.level());
}

/// Found in the first pass at shrinking the profile: a merge never took the absorbed person's
/// level, so a member who reached L3 on another device lost it when OneID merged the two.
#[test]
fn a_merge_keeps_the_later_level_of_the_two_people() {
    let changed = |day, level: &str| (t(day, 0), "Level Changed", json!({"level": level}));
    let (older, newer) =
        (fold(&[changed(1, "L2")]), fold(&[changed(4, "L3"), (t(5, 0), "Order Completed", order("o1", 10, "fruit"))]));
    for (mut survivor, absorbed) in [(older.clone(), &newer), (newer.clone(), &older), (Profile::default(), &newer)] {
        survivor.merge(absorbed);
        assert_eq!(survivor.level(), Some((t(4, 0), "L3")));
    }
    let mut tie = fold(&[changed(4, "L1")]);
    tie.merge(&newer);
    assert_eq!(tie.level(), fold(&[changed(4, "L1"), changed(4, "L3")]).level(), "a tie as the fold breaks it");
}
