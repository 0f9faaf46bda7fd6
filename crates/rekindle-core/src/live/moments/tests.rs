use chrono::Duration;

use super::*;
use crate::live::Signal;
use crate::live::testing::{at, beat, p, t0};

fn people(due: &[Due]) -> Vec<PersonId> {
    let mut v: Vec<PersonId> = due.iter().map(|d| d.person).collect();
    v.sort();
    v
}

/// p1 leaves after 2 minutes; p2 times out after 3; p3 stays an hour; p4 leaves after 2
/// minutes and comes back.
fn room() -> Room {
    let mut room = Room::new(t0());
    for n in 1..=4 {
        room.apply(p(n), at(0), Signal::Entered, "m");
    }
    for s in (10..=180).step_by(10) {
        room.apply(p(2), at(s), beat(10), "b");
    }
    for s in (10..=3600).step_by(10) {
        room.apply(p(3), at(s), beat(10), "b");
    }
    room.apply(p(1), at(120), Signal::Left, "m");
    room.apply(p(4), at(120), Signal::Left, "m");
    room.apply(p(4), at(600), Signal::Entered, "m");
    room
}

#[test]
fn leaving_soon_after_arriving_is_told_once_gone_and_not_for_those_who_came_back() {
    let room = room();
    let left = Moment::Left { within: Duration::minutes(5) };
    // At 150 s p1 has left; p2 is still in (its heartbeat has not timed out).
    assert_eq!(people(&due(&room, "s", None, at(150), left)), vec![p(1)]);
    // By 300 s p2 has timed out (45 s after its last heartbeat at 180 s), left at 180 s.
    let later = due(&room, "s", None, at(300), left);
    assert_eq!(people(&later), vec![p(1), p(2)]);
    let p2 = later.iter().find(|d| d.person == p(2)).unwrap();
    assert_eq!((p2.at, p2.key.as_str()), (at(180), &*format!("live_left:s:{}", p(2))));
    // Within one minute: nobody left that soon.
    assert!(due(&room, "s", None, at(300), Moment::Left { within: Duration::minutes(1) }).is_empty());
}

#[test]
fn staying_to_the_end_is_not_leaving() {
    let mut room = Room::new(t0());
    room.apply(p(1), at(0), Signal::Entered, "m");
    room.apply(p(1), at(100), beat(10), "b");
    room.apply(p(2), at(0), Signal::Entered, "m");
    room.apply(p(2), at(110), Signal::Left, "m");
    // The session ended at 120 s: p1 timed out after it, p2 left in its last minute.
    let left = Moment::Left { within: Duration::minutes(5) };
    assert!(due(&room, "s", Some(at(120)), at(600), left).is_empty());
    // Had it ended at 300 s, both left early.
    assert_eq!(people(&due(&room, "s", Some(at(300)), at(600), left)).len(), 2);
}

#[test]
fn watching_long_without_ordering_is_told_when_the_session_is_over() {
    let mut room = room();
    room.apply(p(2), at(100), Signal::Ordered { order_id: "o1".into(), revenue_fen: 100, lines: vec![] }, "m");
    let no_order = Moment::NoOrder { watched: Duration::minutes(2) };
    assert!(due(&room, "s", None, at(3700), no_order).is_empty(), "not over yet");
    let over = over(None, &room, at(3600) + QUIET).expect("quiet for 30 minutes");
    assert_eq!(over, at(3600));
    let d = due(&room, "s", Some(over), at(3600) + QUIET, no_order);
    // p1 and p4 watched 2 minutes (p4's second stretch adds nothing), p3 an hour; p2 ordered.
    assert_eq!(people(&d), vec![p(1), p(3), p(4)]);
    let longer = due(&room, "s", Some(over), at(3600) + QUIET, Moment::NoOrder { watched: Duration::minutes(3) });
    assert_eq!(people(&longer), vec![p(3)]);
    assert!(d.iter().all(|x| x.at == at(3600)));
}

#[test]
fn a_question_unanswered_past_the_wait_is_told_at_its_deadline() {
    let mut room = Room::new(t0());
    let ask = |id: &str| Signal::Commented { comment_id: Some(id.into()), question: Some("几斤？".into()) };
    room.apply(p(1), at(0), ask("q1"), "m1");
    room.apply(p(2), at(0), ask("q2"), "m2");
    room.apply(p(3), at(0), ask("q3"), "m3");
    room.apply(p(1), at(20), Signal::Replied { comment_id: "q1".into() }, "r1");
    room.apply(p(2), at(90), Signal::Replied { comment_id: "q2".into() }, "r2");
    let wait = Moment::Unanswered { after: Duration::seconds(60) };
    assert!(due(&room, "s", None, at(59), wait).is_empty());
    // q2 was answered, but late; q3 never.
    let d = due(&room, "s", None, at(61), wait);
    assert_eq!(people(&d), vec![p(2), p(3)]);
    assert!(d.iter().all(|x| x.at == at(60)));
    assert!(d.iter().any(|x| x.key == "live_unanswered:s:q3"));
}
