//! The monitor of a running room: the room's figures now, against its last ten minutes and
//! against the store's earlier sessions, and who is in it.

use std::sync::Arc;

use chrono::{DateTime, Utc};
use rekindle_core::lifecycle::{Stage, Tier};
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
                suggestion: None,
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

/// The viewers in the room by each dimension, largest groups first within each. Counted into
/// fixed arrays (a viewer costs a few increments), named once at the end.
fn composition(present: &[rekindle_core::PersonId], classes: &mut Classes, origin: DateTime<Utc>) -> Vec<Share> {
    const TIERS: [Tier; 3] = [Tier::High, Tier::Potential, Tier::Edge];
    // The last slot of tiers and stages counts viewers the audience does not know yet.
    let mut tiers = [0u32; TIERS.len() + 1];
    let mut stages = [0u32; Stage::ALL.len() + 1];
    let (mut returning, mut known, mut private) = (0u32, 0u32, 0u32);
    let mut by_segment = vec![0u32; classes.segments().len()];
    for &p in present {
        let c = classes.of(p);
        tiers[c.tier.and_then(|t| TIERS.iter().position(|x| *x == t)).unwrap_or(TIERS.len())] += 1;
        stages[c.stage.and_then(|s| Stage::ALL.iter().position(|x| *x == s)).unwrap_or(Stage::ALL.len())] += 1;
        returning += u32::from(c.first_live.is_some_and(|t| t < origin));
        known += u32::from(c.known);
        private += u32::from(c.private);
        for &s in &c.segments {
            by_segment[usize::from(s)] += 1;
        }
    }
    let all = present.len() as u32;
    let share =
        |dimension: &str, key: &str, viewers: u32| Share { dimension: dimension.into(), key: key.into(), viewers };
    let mut out: Vec<Share> = Vec::new();
    let names = TIERS.iter().map(|t| t.as_str()).chain(["unknown"]);
    out.extend(names.zip(tiers).map(|(k, n)| share("tier", k, n)));
    let names = Stage::ALL.iter().map(|s| s.as_str()).chain(["unknown"]);
    out.extend(names.zip(stages).map(|(k, n)| share("stage", k, n)));
    out.extend([
        share("visit", "returning", returning),
        share("visit", "new", all - returning),
        share("identity", "known", known),
        share("identity", "anonymous", all - known),
        share("domain", "private", private),
        share("domain", "public", all - private),
    ]);
    // A group nobody is in is not shown; every saved segment is, empty or not.
    out.retain(|s| s.viewers > 0);
    for (s, n) in classes.segments().iter().zip(by_segment) {
        let dimension = if s.kind == SegmentKind::Persona { "persona" } else { "segment" };
        out.push(share(dimension, &s.name, n));
    }
    out.sort_by(|a, b| a.dimension.cmp(&b.dimension).then(b.viewers.cmp(&a.viewers)).then(a.key.cmp(&b.key)));
    out
}
