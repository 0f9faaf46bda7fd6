//! The post-stream review (复盘) of one session, computed from its room (docs/live.md has
//! each definition).

use std::collections::HashSet;

use chrono::{DateTime, Utc};
use serde::Serialize;

use super::FAST_REPLY_SECONDS;
use super::room::Room;
use crate::PersonId;

/// What the rest of Rekindle knows about a viewer, as of the session.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ViewerFacts {
    /// Had been in an earlier session.
    pub returning: bool,
    /// In the private domain: a WeCom contact not removed.
    pub private: bool,
    /// Known to OneID beyond a device: logged in, a member or a contact.
    pub known: bool,
}

/// Watch-time buckets, in minutes: `[from, to)`; the last has no end.
pub const WATCH_BUCKETS: [(i64, Option<i64>); 6] =
    [(0, Some(1)), (1, Some(5)), (5, Some(15)), (15, Some(30)), (30, Some(60)), (60, None)];

#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Review {
    pub session_id: String,
    /// Minutes from the start to the end (or, live, to the latest event).
    pub minutes: u32,
    /// People who were in the room, or ordered in it.
    pub viewers: u32,
    pub peak_concurrent: u32,
    /// The minute the peak came.
    pub peak_minute: u32,
    pub average_concurrent: f64,
    pub average_watch_seconds: f64,
    pub median_watch_seconds: f64,
    pub watch_time: Vec<WatchBucket>,
    /// Minute by minute: the in-stream retention curve and what happened.
    pub curve: Vec<CurvePoint>,
    /// Viewers who commented, liked or shared.
    pub interacted: u32,
    pub interaction_rate: Option<f64>,
    pub comments: u32,
    pub likes: u32,
    pub shares: u32,
    pub buyers: u32,
    pub orders: u32,
    pub gmv_fen: i64,
    /// Buyers over viewers.
    pub conversion_rate: Option<f64>,
    /// GMV per 1,000 viewers, in fen.
    pub gpm_fen: Option<i64>,
    pub products: Vec<ProductLine>,
    pub new_viewers: u32,
    pub returning_viewers: u32,
    pub private_viewers: u32,
    pub private_share: Option<f64>,
    pub known_viewers: u32,
    pub questions: Questions,
    /// Viewers who came to the next session, once there has been one.
    pub revisit: Option<Revisit>,
    pub stalls: u32,
    pub stalled_viewers: u32,
    pub stall_seconds: i64,
    /// Against the sessions before it (filled in by whoever knows them).
    pub compared: Vec<super::monitor::Compared>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct WatchBucket {
    pub from_minutes: i64,
    pub to_minutes: Option<i64>,
    pub viewers: u32,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CurvePoint {
    pub minute: u32,
    /// In the room at any moment of the minute.
    pub viewers: u32,
    pub entered: u32,
    pub left: u32,
    pub comments: u32,
    pub likes: u32,
    pub orders: u32,
    pub gmv_fen: i64,
    pub stalls: u32,
    pub stall_seconds: i64,
    /// The average stream latency viewers' players reported.
    pub latency_ms: Option<f64>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ProductLine {
    pub key: String,
    pub name: String,
    pub units: i64,
    pub revenue_fen: i64,
    pub orders: u32,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Questions {
    pub asked: u32,
    pub answered: u32,
    /// Answered within [`FAST_REPLY_SECONDS`].
    pub answered_fast: u32,
    pub fast_share: Option<f64>,
    pub median_reply_seconds: Option<f64>,
    pub unanswered: u32,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Revisit {
    pub next_session_id: String,
    pub returned: u32,
    pub rate: Option<f64>,
}

/// The session a review is of: its id, and where it ends (its end, or the latest event while
/// it runs).
#[derive(Debug, Clone, Copy)]
pub struct Span<'a> {
    pub id: &'a str,
    pub end: DateTime<Utc>,
}

/// The viewers of the session after, for the revisit rate.
pub struct Next<'a> {
    pub id: &'a str,
    pub viewers: &'a HashSet<PersonId>,
}

pub fn review(room: &Room, session: Span, facts: impl Fn(PersonId) -> ViewerFacts, next: Option<Next>) -> Review {
    let last = room.minute_of(session.end).min(super::room::MAX_MINUTES - 1);
    let by_minute = room.viewers_by_minute(last, None);
    let (peak_minute, peak) =
        by_minute.iter().enumerate().fold((0, 0), |best, (m, &v)| if v > best.1 { (m, v) } else { best });
    let viewers = room.viewers.len() as u32;
    let mut watched: Vec<i64> = room.viewers.values().map(|v| v.watched_seconds()).collect();
    watched.sort_unstable();
    let facts: Vec<ViewerFacts> = room.viewers.keys().map(|&p| facts(p)).collect();
    let count = |f: fn(&ViewerFacts) -> bool| facts.iter().filter(|x| f(x)).count() as u32;
    let sum = |f: fn(&super::room::Viewer) -> u32| room.viewers.values().map(f).sum::<u32>();
    let buyers = room.buyers() as u32;
    let gmv_fen = room.gmv_fen();
    let private_viewers = count(|f| f.private);
    let returning_viewers = count(|f| f.returning);
    Review {
        session_id: session.id.to_owned(),
        minutes: last as u32 + 1,
        viewers,
        peak_concurrent: peak,
        peak_minute: peak_minute as u32,
        average_concurrent: mean(by_minute.iter().map(|&v| f64::from(v))).unwrap_or(0.0),
        average_watch_seconds: mean(watched.iter().map(|&s| s as f64)).unwrap_or(0.0),
        median_watch_seconds: median(&watched).unwrap_or(0.0),
        watch_time: WATCH_BUCKETS
            .iter()
            .map(|&(from, to)| WatchBucket {
                from_minutes: from,
                to_minutes: to,
                viewers: watched.iter().filter(|&&s| s >= from * 60 && to.is_none_or(|to| s < to * 60)).count() as u32,
            })
            .collect(),
        curve: curve(room, &by_minute),
        interacted: room.viewers.values().filter(|v| v.interacted()).count() as u32,
        interaction_rate: share(room.viewers.values().filter(|v| v.interacted()).count() as u32, viewers),
        comments: sum(|v| v.comments),
        likes: sum(|v| v.likes),
        shares: sum(|v| v.shares),
        buyers,
        orders: room.order_count() as u32,
        gmv_fen,
        conversion_rate: share(buyers, viewers),
        gpm_fen: (viewers > 0).then(|| gmv_fen.saturating_mul(1000) / i64::from(viewers)),
        products: products(room, usize::MAX),
        new_viewers: viewers - returning_viewers,
        returning_viewers,
        private_viewers,
        private_share: share(private_viewers, viewers),
        known_viewers: count(|f| f.known),
        questions: questions(room),
        revisit: next.map(|n| {
            let returned = room.viewers.keys().filter(|p| n.viewers.contains(p)).count() as u32;
            Revisit { next_session_id: n.id.to_owned(), returned, rate: share(returned, viewers) }
        }),
        stalls: sum(|v| v.stalls),
        stalled_viewers: room.viewers.values().filter(|v| v.stalls > 0).count() as u32,
        stall_seconds: room.minutes.iter().map(|m| m.stall_seconds).sum(),
        compared: Vec::new(),
    }
}

/// The room's `n` best sellers.
pub fn products(room: &Room, n: usize) -> Vec<ProductLine> {
    room.top_products(n)
        .into_iter()
        .map(|(key, s)| ProductLine {
            key: key.to_owned(),
            name: s.name.clone(),
            units: s.units,
            revenue_fen: s.revenue_fen,
            orders: s.orders,
        })
        .collect()
}

pub fn curve(room: &Room, by_minute: &[u32]) -> Vec<CurvePoint> {
    by_minute
        .iter()
        .enumerate()
        .map(|(i, &viewers)| {
            let m = room.minutes.get(i).copied().unwrap_or_default();
            CurvePoint {
                minute: i as u32,
                viewers,
                entered: m.entered,
                left: m.left,
                comments: m.comments,
                likes: m.likes,
                orders: m.orders,
                gmv_fen: m.gmv_fen,
                stalls: m.stalls,
                stall_seconds: m.stall_seconds,
                latency_ms: (m.latency_reports > 0).then(|| m.latency_ms_total as f64 / f64::from(m.latency_reports)),
            }
        })
        .collect()
}

pub fn questions(room: &Room) -> Questions {
    let mut replies: Vec<i64> = room.questions.iter().filter_map(|q| q.reply_seconds()).collect();
    replies.sort_unstable();
    let asked = room.questions.len() as u32;
    let answered = replies.len() as u32;
    let answered_fast = replies.iter().filter(|&&s| s <= FAST_REPLY_SECONDS).count() as u32;
    Questions {
        asked,
        answered,
        answered_fast,
        fast_share: share(answered_fast, asked),
        median_reply_seconds: median(&replies),
        unanswered: asked - answered,
    }
}

pub fn share(part: u32, whole: u32) -> Option<f64> {
    (whole > 0).then(|| f64::from(part) / f64::from(whole))
}

fn mean(xs: impl Iterator<Item = f64>) -> Option<f64> {
    let (n, total) = xs.fold((0u64, 0.0), |(n, t), x| (n + 1, t + x));
    (n > 0).then(|| total / n as f64)
}

/// The median of sorted values.
fn median(sorted: &[i64]) -> Option<f64> {
    let n = sorted.len();
    match n {
        0 => None,
        _ if n % 2 == 1 => Some(sorted[n / 2] as f64),
        _ => Some((sorted[n / 2 - 1] + sorted[n / 2]) as f64 / 2.0),
    }
}

#[cfg(test)]
mod tests {
    use chrono::Duration;

    use super::*;
    use crate::live::Signal;

    fn p(n: u128) -> PersonId {
        PersonId(uuid::Uuid::from_u128(n))
    }

    #[test]
    fn a_small_session_reviewed() {
        let t0: DateTime<Utc> = "2026-05-05T12:00:00Z".parse().unwrap();
        let at = |s: i64| t0 + Duration::seconds(s);
        let mut room = Room::new(t0);
        room.apply(p(1), at(0), Signal::Entered, "a");
        room.apply(p(1), at(600), Signal::Left, "b");
        room.apply(p(2), at(120), Signal::Entered, "c");
        room.apply(p(2), at(180), Signal::Commented { comment_id: Some("q".into()), question: Some("?".into()) }, "d");
        room.apply(p(2), at(200), Signal::Replied { comment_id: "q".into() }, "e");
        room.apply(p(2), at(3000), Signal::Left, "f");
        room.apply(
            p(2),
            at(240),
            Signal::Ordered { order_id: "o".into(), revenue_fen: 10_000, lines: Vec::new() },
            "g",
        );
        let next: HashSet<PersonId> = [p(2), p(9)].into();
        let r = review(
            &room,
            Span { id: "s", end: at(3000) },
            |who| ViewerFacts { returning: who == p(1), private: true, known: who == p(2) },
            Some(Next { id: "s2", viewers: &next }),
        );
        assert_eq!((r.viewers, r.peak_concurrent, r.peak_minute, r.minutes), (2, 2, 2, 51));
        assert_eq!(r.average_watch_seconds, 1740.0);
        assert_eq!(r.watch_time.iter().map(|b| b.viewers).collect::<Vec<_>>(), vec![0, 0, 1, 0, 1, 0]);
        assert_eq!((r.buyers, r.conversion_rate, r.gpm_fen), (1, Some(0.5), Some(5_000_000)));
        assert_eq!((r.interacted, r.interaction_rate), (1, Some(0.5)));
        assert_eq!(
            (r.questions.asked, r.questions.answered_fast, r.questions.median_reply_seconds),
            (1, 1, Some(20.0))
        );
        assert_eq!((r.new_viewers, r.returning_viewers, r.known_viewers, r.private_share), (1, 1, 1, Some(1.0)));
        assert_eq!(r.revisit.map(|v| (v.returned, v.rate)), Some((1, Some(0.5))));
        assert_eq!(r.curve[0].viewers, 1);
        assert_eq!(r.curve[10].viewers, 2, "the first leaves in minute 10");
        assert_eq!(r.curve[11].viewers, 1);
    }
}
