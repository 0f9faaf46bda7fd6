use super::*;
use crate::live::testing::{at, beat, p, t0};

#[test]
fn a_viewer_is_in_the_room_from_entering_to_leaving() {
    let mut room = Room::new(t0());
    room.apply(p(1), at(0), Signal::Entered, "m1");
    for s in [10, 20, 30] {
        room.apply(p(1), at(s), beat(10), "b");
    }
    room.apply(p(1), at(35), Signal::Left, "m2");
    let v = &room.viewers[&p(1)];
    assert_eq!(v.watched_seconds(), 35);
    assert_eq!(room.concurrent(at(20)), 1);
    assert_eq!(room.concurrent(at(36)), 0, "left");
}

#[test]
fn a_silent_viewer_times_out_after_twice_the_heartbeat() {
    let mut room = Room::new(t0());
    room.apply(p(1), at(0), Signal::Entered, "m");
    room.apply(p(1), at(60), beat(60), "b");
    assert_eq!(room.concurrent(at(60 + 120)), 1, "within two heartbeats");
    assert_eq!(room.concurrent(at(60 + 121)), 0, "timed out");
    // A 10 s heartbeat still keeps them 45 s; entering with no heartbeat yet, 10 minutes.
    room.apply(p(2), at(0), beat(10), "b");
    assert!(room.viewers[&p(2)].present(at(45)));
    assert!(!room.viewers[&p(2)].present(at(46)));
    room.apply(p(3), at(0), Signal::Entered, "m3");
    assert!(room.viewers[&p(3)].present(at(600)));
    assert!(!room.viewers[&p(3)].present(at(601)));
}

#[test]
fn late_and_early_events_join_the_same_stretch() {
    let mut room = Room::new(t0());
    room.apply(p(1), at(300), beat(300), "b2");
    room.apply(p(1), at(0), Signal::Entered, "m");
    room.apply(p(1), at(600), Signal::Left, "l");
    room.apply(p(1), at(150), beat(150), "b1");
    let v = &room.viewers[&p(1)];
    assert_eq!(v.spans.len(), 1, "{:?}", v.spans);
    assert_eq!(v.watched_seconds(), 600);
    // Coming back later is a second stretch.
    room.apply(p(1), at(3600), Signal::Entered, "m2");
    room.apply(p(1), at(3660), Signal::Left, "l2");
    assert_eq!(room.viewers[&p(1)].spans.len(), 2);
    assert_eq!(room.viewers[&p(1)].watched_seconds(), 660);
}

#[test]
fn viewers_by_minute_count_each_viewer_once_a_minute() {
    let mut room = Room::new(t0());
    room.apply(p(1), at(0), Signal::Entered, "m");
    room.apply(p(1), at(150), Signal::Left, "l");
    room.apply(p(1), at(170), Signal::Entered, "m2");
    room.apply(p(1), at(200), Signal::Left, "l2");
    room.apply(p(2), at(65), Signal::Entered, "m3");
    room.apply(p(2), at(125), Signal::Left, "l3");
    assert_eq!(room.viewers_by_minute(4, None), vec![1, 2, 2, 1, 0]);
    assert_eq!(room.minutes[0].entered, 1);
    assert_eq!(room.minutes[2].left, 2);
}

/// The monitor's running minute holds a viewer whose last heartbeat was in the minute before.
#[test]
fn a_viewer_still_present_counts_up_to_now() {
    let mut room = Room::new(t0());
    room.apply(p(1), at(0), Signal::Entered, "m");
    room.apply(p(1), at(110), beat(30), "b");
    assert_eq!(room.viewers_by_minute(2, None), vec![1, 1, 0], "after the fact: to the last heartbeat");
    assert_eq!(room.viewers_by_minute(2, Some(at(125))), vec![1, 1, 1], "now, still in the room");
    assert_eq!(room.viewers_by_minute(3, Some(at(200))), vec![1, 1, 0, 0], "timed out by now");
}

#[test]
fn the_first_answer_counts_even_when_it_arrives_before_the_question() {
    let mut room = Room::new(t0());
    let ask = |id: &str| Signal::Commented { comment_id: Some(id.into()), question: Some("哪里发货？".into()) };
    room.apply(p(1), at(50), Signal::Replied { comment_id: "c1".into() }, "r1");
    room.apply(p(1), at(20), ask("c1"), "m1");
    room.apply(p(2), at(30), ask("c2"), "m2");
    room.apply(p(2), at(90), Signal::Replied { comment_id: "c2".into() }, "r2");
    room.apply(p(2), at(40), Signal::Replied { comment_id: "c2".into() }, "r3");
    room.apply(p(3), at(35), ask("c3"), "m3");
    room.apply(p(3), at(36), Signal::Commented { comment_id: None, question: Some("还有吗".into()) }, "m4");
    let replies: Vec<_> = room.questions.iter().map(|q| (q.comment_id.as_str(), q.reply_seconds())).collect();
    assert_eq!(replies, vec![("c1", Some(30)), ("c2", Some(10)), ("c3", None), ("m4", None)]);
    assert_eq!(room.waiting().map(|q| q.comment_id.as_str()).collect::<Vec<_>>(), vec!["c3", "m4"]);
    assert_eq!(room.minutes[0].questions, 4);
}

#[test]
fn an_order_reported_twice_counts_once() {
    let mut room = Room::new(t0());
    let order = || Signal::Ordered {
        order_id: "o1".into(),
        revenue_fen: 5990,
        lines: vec![Line { key: "egg".into(), name: "鸡蛋".into(), units: 2, revenue_fen: 5990 }],
    };
    room.apply(p(1), at(100), order(), "m1");
    room.apply(p(1), at(100), order(), "m2");
    assert_eq!((room.order_count(), room.buyers(), room.gmv_fen()), (1, 1, 5990));
    assert_eq!(room.top_products(5)[0].1.units, 2);
}

#[test]
fn events_past_a_day_are_not_counted_by_minute() {
    let mut room = Room::new(t0());
    room.apply(p(1), at(2 * 86_400), Signal::Liked, "m");
    assert!(room.minutes.is_empty());
    assert_eq!(room.viewers[&p(1)].likes, 1);
}
