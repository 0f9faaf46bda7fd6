//! The monitor of a running room: the room's figures now, against its last ten minutes and
//! against the store's earlier sessions, and who is in it.

use std::collections::BTreeMap;
use std::sync::Arc;

use chrono::{DateTime, Utc};
use rekindle_core::live::monitor::{Earlier, Loyal, Monitor, Pace, Share, Waiting, median};
use rekindle_core::live::review::{self, Review};
use rekindle_core::live::{Room, room::MAX_MINUTES};
use rekindle_core::objects::LiveSession;
use rekindle_store::SegmentKind;

use super::classes::Classes;
use super::history;

/// Minutes of the curve the monitor sends.
const RECENT: usize = 30;
/// Questions waiting, loyal viewers and products listed.
const LISTED: usize = 20;
const LOYAL: usize = 10;
const PRODUCTS: usize = 5;

/// The monitor, and how long its composition took.
pub(super) fn build(
    room: &Room,
    session: &LiveSession,
    at: DateTime<Utc>,
    classes: &mut Classes,
    earlier: &[(usize, Arc<Review>)],
) -> (Monitor, std::time::Duration) {
    let minute = room.minute_of(at).min(MAX_MINUTES - 1);
    let by_minute = room.viewers_by_minute(minute, Some(at));
    let curve = review::curve(room, &by_minute);
    let from = curve.len().saturating_sub(RECENT);
    // The running minute is partial: the pace is of whole minutes.
    let whole = &curve[..curve.len().saturating_sub(1)];
    let last_minute = whole.last().and_then(|p| Pace::of(std::slice::from_ref(p)));
    let last_ten = Pace::of(&whole[whole.len().saturating_sub(11)..whole.len().saturating_sub(1)]);
    let present: Vec<_> = room.viewers.iter().filter(|(_, v)| v.present(at)).map(|(p, _)| *p).collect();
    let origin = history::origin(session);
    let counting = std::time::Instant::now();
    let composition = composition(&present, classes, origin);
    let counted = counting.elapsed();
    let mut waiting: Vec<Waiting> = room
        .waiting()
        .map(|q| {
            let c = classes.of(q.person);
            Waiting {
                comment_id: q.comment_id.clone(),
                text: q.text.clone(),
                asked_at: q.at,
                age_seconds: (at - q.at).num_seconds().max(0),
                person: q.person,
                name: None,
                tier: c.tier,
                private: c.private,
            }
        })
        .collect();
    // The private domain's questions first (seed 004), then the oldest.
    waiting.sort_by(|a, b| b.private.cmp(&a.private).then(a.asked_at.cmp(&b.asked_at)));
    waiting.truncate(LISTED);
    let mut loyal: Vec<Loyal> = present
        .iter()
        .map(|&p| {
            let c = classes.of(p);
            Loyal { person: p, name: None, sessions: c.sessions.max(1), tier: c.tier, spend_fen: c.spend_fen }
        })
        .filter(|l| l.sessions > 1)
        .collect();
    let rank = |t: Option<rekindle_core::lifecycle::Tier>| t.map_or(3, |t| t as u8);
    loyal.sort_by(|a, b| {
        b.sessions.cmp(&a.sessions).then(rank(a.tier).cmp(&rank(b.tier))).then(b.spend_fen.cmp(&a.spend_fen))
    });
    loyal.truncate(LOYAL);
    let reviews: Vec<&Review> = earlier.iter().map(|(_, r)| r.as_ref()).collect();
    let m = Monitor {
        session_id: session.id.clone(),
        at,
        minute: minute as u32,
        concurrent: present.len() as u32,
        viewers: room.viewers.len() as u32,
        buyers: room.buyers() as u32,
        orders: room.order_count() as u32,
        gmv_fen: room.gmv_fen(),
        recent: curve[from..].to_vec(),
        last_minute,
        last_ten,
        earlier: (!reviews.is_empty()).then(|| Earlier {
            sessions: reviews.len() as u32,
            viewers_at_minute: median(
                reviews.iter().filter_map(|r| r.curve.get(minute)).map(|p| f64::from(p.viewers)).collect(),
            ),
            median_viewers: median(reviews.iter().map(|r| f64::from(r.viewers)).collect()),
            median_conversion_rate: median(reviews.iter().filter_map(|r| r.conversion_rate).collect()),
            median_fast_share: median(reviews.iter().filter_map(|r| r.questions.fast_share).collect()),
        }),
        composition,
        top_products: review::products(room, PRODUCTS),
        questions: review::questions(room),
        waiting,
        loyal,
    };
    (m, counted)
}

/// The viewers in the room by each dimension, largest groups first within each.
fn composition(present: &[rekindle_core::PersonId], classes: &mut Classes, origin: DateTime<Utc>) -> Vec<Share> {
    // Keys are the words themselves: counting a viewer allocates nothing.
    let mut counts: BTreeMap<(&'static str, &'static str), u32> = BTreeMap::new();
    let mut add = |dimension: &'static str, key: &'static str| *counts.entry((dimension, key)).or_default() += 1;
    let mut by_segment = vec![0u32; classes.segments().len()];
    for &p in present {
        let c = classes.of(p);
        add("tier", c.tier.map_or("unknown", |t| t.as_str()));
        add("stage", c.stage.map_or("unknown", |s| s.as_str()));
        add("visit", if c.first_live.is_some_and(|t| t < origin) { "returning" } else { "new" });
        add("identity", if c.known { "known" } else { "anonymous" });
        add("domain", if c.private { "private" } else { "public" });
        for &s in &c.segments {
            by_segment[usize::from(s)] += 1;
        }
    }
    let mut out: Vec<Share> = counts
        .into_iter()
        .map(|((d, k), n)| Share { dimension: d.to_owned(), key: k.to_owned(), viewers: n })
        .collect();
    for (s, n) in classes.segments().iter().zip(by_segment) {
        let dimension = if s.kind == SegmentKind::Persona { "persona" } else { "segment" };
        out.push(Share { dimension: dimension.to_owned(), key: s.name.clone(), viewers: n });
    }
    out.sort_by(|a, b| a.dimension.cmp(&b.dimension).then(b.viewers.cmp(&a.viewers)).then(a.key.cmp(&b.key)));
    out
}
