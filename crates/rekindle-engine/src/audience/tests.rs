//! An audience built from the previous one, and the changes its diff records, equal those of a
//! build from scratch and a diff of everyone, step after step: events for a few people, time
//! passing (minutes to weeks), segments edited, added, deleted and reordered, tags put on, people merged
//! away, a new session, a refit. Seeded: the same seeds give the same runs.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use chrono::{DateTime, Duration, TimeZone, Utc};
use rekindle_core::lifecycle::Stage;
use rekindle_core::money::Amounts;
use rekindle_core::profile::{Profile, ProfileEvent};
use rekindle_core::{PersonId, SegmentId};
use rekindle_rules::{ProductTags, Sessions, parse};
use rekindle_store::SegmentKind;
use serde_json::json;

use super::{Audience, Context, Saved};
use crate::tracker::Tracker;

/// SplitMix64: small, seeded, the same everywhere.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }

    fn pick<'a, T>(&mut self, xs: &'a [T]) -> &'a T {
        &xs[self.below(xs.len() as u64) as usize]
    }
}

fn person(n: u64) -> PersonId {
    format!("00000000-0000-7000-8000-{n:012x}").parse().unwrap()
}

fn start() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 3, 1, 8, 0, 0).unwrap()
}

const SKUS: [&str; 4] = ["milk", "rice", "berry", "oil"];

/// A rule from templates covering counts, money, windows, recency, stages, tiers, RFM, tags,
/// `bought`, live sessions, tickets and questions, combined.
fn rule(rng: &mut Rng, with_tags: bool) -> String {
    let d = 1 + rng.below(40);
    let terms = [
        format!("orders >= {}", rng.below(4)),
        format!("spend({d}d) >= ¥{}", rng.below(300)),
        format!("spend >= ¥{}", rng.below(500)),
        format!("days_since_order {} {d}", rng.pick(&["<", "<=", ">", ">="])),
        format!("days_since_seen > {d}"),
        format!(r#"bought "{}" within {d}d"#, rng.pick(&SKUS)),
        format!(r#"bought "{}""#, rng.pick(&SKUS)),
        format!(r#"bought tagged "fresh" within {d}d"#),
        format!("watched within {d}d"),
        "watched latest_session".to_string(),
        format!("live_ordered within {d}d"),
        format!("attended(2) >= {}", rng.below(3)),
        format!("lifecycle = {}", rng.pick(&["prospect", "new", "active", "silent", "churned", "reactivated"])),
        format!("lifecycle in (silent, {})", rng.pick(&["new", "active", "churned"])),
        format!("tier = {}", rng.pick(&["high", "potential", "edge"])),
        format!("rfm_r >= {}", rng.below(6)),
        format!("rfm_m >= {}", rng.below(6)),
        format!("open_ticket_age > {}h", rng.below(100)),
        format!("question_wait({d}d) > {}m", rng.below(120)),
        format!("categories >= {}", rng.below(3)),
        format!(r#"tag "{}""#, rng.pick(&["vip", "buyer", "recent", "top", "top"])),
    ];
    let usable = if with_tags { terms.len() } else { terms.len() - 1 };
    let term = |rng: &mut Rng| terms[rng.below(usable as u64) as usize].clone();
    match rng.below(5) {
        0 | 1 => term(rng),
        2 => format!("{} and {}", term(rng), term(rng)),
        3 => format!("{} or not {}", term(rng), term(rng)),
        _ => format!("({} or {}) and not {}", term(rng), term(rng), term(rng)),
    }
}

/// Something happening to a person at `at`.
fn event(rng: &mut Rng, p: &mut Profile, at: DateTime<Utc>, serial: &mut u64) {
    *serial += 1;
    let n = *serial;
    let (name, props) = match rng.below(8) {
        0..=2 => (
            "Order Completed",
            json!({"order_id": format!("o{n}"), "revenue": 1 + rng.below(300), "session_id": (rng.below(3) == 0).then_some("live-1"),
                "products": [{"sku": rng.pick(&SKUS), "category": rng.pick(&["乳品", "粮油", "水果"])}]}),
        ),
        3 => ("Live Entered", json!({"session_id": rng.pick(&["live-1", "live-2", "live-3"])})),
        4 => ("Live Commented", json!({"is_question": true, "comment_id": format!("c{}", n % 5)})),
        5 => ("Live Replied", json!({"comment_id": format!("c{}", rng.below(5))})),
        6 => ("Ticket Opened", json!({"ticket_id": format!("t{}", n % 3)})),
        _ => ("Ticket Resolved", json!({"ticket_id": format!("t{}", rng.below(3))})),
    };
    p.apply(ProfileEvent { at, name, properties: &props, amounts: Amounts::LEGACY });
}

struct World {
    profiles: HashMap<PersonId, Arc<Profile>>,
    segments: Vec<(SegmentId, String)>,
    rule_tags: Vec<(String, String)>,
    manual: HashMap<PersonId, Vec<String>>,
    sessions: Vec<(DateTime<Utc>, String)>,
    products: Vec<(String, Vec<String>)>,
    fit: Option<Arc<crate::scoring::ModelFit>>,
    points: Arc<HashMap<PersonId, rekindle_rules::PointsFacts>>,
}

impl World {
    fn context(&self) -> Context {
        Context {
            products: ProductTags::new(self.products.clone()),
            sessions: Sessions::new(self.sessions.clone()),
            fit: self.fit.clone(),
            manual_tags: self.manual.clone(),
            rule_tags: self.rule_tags.iter().map(|(n, r)| (n.clone(), parse(r).unwrap())).collect(),
            segments: self
                .segments
                .iter()
                .map(|(id, r)| Saved { id: *id, name: r.clone(), kind: SegmentKind::Custom, rule: parse(r).unwrap() })
                .collect(),
            points: self.points.clone(),
            ..Context::default()
        }
    }
}

fn run(seed: u64) {
    let mut rng = Rng(seed);
    let mut serial = 0;
    let mut now = start();
    let mut next_person = 0;
    let mut profiles = HashMap::new();
    for _ in 0..60 {
        let mut p = Profile::default();
        for _ in 0..rng.below(6) {
            let at = now - Duration::minutes(rng.below(120 * 24 * 60) as i64);
            event(&mut rng, &mut p, at, &mut serial);
        }
        profiles.insert(person(next_person), Arc::new(p));
        next_person += 1;
    }
    let mut next_segment = 1;
    let mut segments = Vec::new();
    for _ in 0..8 {
        segments.push((SegmentId(next_segment), rule(&mut rng, true)));
        next_segment += 1;
    }
    let mut w = World {
        profiles,
        segments,
        rule_tags: vec![
            ("buyer".into(), "orders >= 2".into()),
            ("recent".into(), rule(&mut rng, false)),
            // Read only through standing across people: moves when others change.
            ("top".into(), "tier = high or rfm_m >= 4".into()),
        ],
        manual: HashMap::new(),
        sessions: vec![(start() - Duration::days(10), "live-1".into()), (start() + Duration::days(3), "live-2".into())],
        products: vec![("berry".into(), vec!["fresh".into()]), ("milk".into(), vec!["fresh".into()])],
        fit: None,
        points: Arc::default(),
    };

    let mut tracker = Tracker::recorded(HashMap::new(), HashMap::new());
    let mut recorded: HashMap<SegmentId, HashSet<PersonId>> = HashMap::new();
    let mut stages: HashMap<PersonId, Stage> = HashMap::new();
    for step in 0..50 {
        match rng.below(10) {
            // Events for a few people (a new profile for each: a new Arc).
            0..=2 => {
                for _ in 0..1 + rng.below(4) {
                    let id = person(rng.below(next_person));
                    if let Some(p) = w.profiles.get_mut(&id) {
                        let at = now - Duration::minutes(rng.below(60 * 24) as i64);
                        event(&mut rng, Arc::make_mut(p), at, &mut serial);
                    }
                }
            }
            3 => {
                let at = now - Duration::minutes(rng.below(600) as i64);
                let mut p = Profile::default();
                event(&mut rng, &mut p, at, &mut serial);
                w.profiles.insert(person(next_person), Arc::new(p));
                next_person += 1;
            }
            // Edit, add, delete or move a segment (the store lists them in another order).
            4 => match rng.below(4) {
                0 if !w.segments.is_empty() => {
                    let i = rng.below(w.segments.len() as u64) as usize;
                    w.segments[i].1 = rule(&mut rng, true);
                }
                1 if w.segments.len() > 2 => {
                    w.segments.remove(rng.below(w.segments.len() as u64) as usize);
                }
                2 if w.segments.len() > 1 => {
                    let i = rng.below(w.segments.len() as u64 - 1) as usize;
                    w.segments.swap(i, i + 1);
                }
                _ => {
                    w.segments.push((SegmentId(next_segment), rule(&mut rng, true)));
                    next_segment += 1;
                }
            },
            // A manual tag put on or taken off.
            5 => {
                let id = person(rng.below(next_person));
                let tags = w.manual.entry(id).or_default();
                if tags.is_empty() { tags.push("vip".into()) } else { tags.clear() }
            }
            // A merge: one person absorbed into another.
            6 => {
                let (a, b) = (person(rng.below(next_person)), person(rng.below(next_person)));
                if a != b
                    && let Some(gone) = w.profiles.remove(&b)
                {
                    match w.profiles.get_mut(&a) {
                        Some(p) => Arc::make_mut(p).merge(&gone),
                        None => {
                            w.profiles.insert(b, gone);
                        }
                    }
                }
            }
            // A new session, starting a little later.
            7 => {
                let id = format!("live-{}", w.sessions.len() + 1);
                w.sessions.push((now + Duration::hours(rng.below(48) as i64), id));
            }
            // A refit: the models change, everyone is judged again.
            8 => {
                w.fit =
                    crate::scoring::fit(w.profiles.values().map(|p| &**p), now, &Default::default()).ok().map(Arc::new);
            }
            _ => {}
        }
        // Time passes: minutes to weeks.
        now += match rng.below(3) {
            0 => Duration::minutes(1 + rng.below(60) as i64),
            1 => Duration::hours(1 + rng.below(48) as i64),
            _ => Duration::days(1 + rng.below(14) as i64),
        };

        let people = || w.profiles.iter().map(|(p, x)| (*p, x.clone()));
        // On one to three threads: however the judging is split, the answer is the same.
        let threads = Some(1 + step % 3);
        let incremental =
            Arc::new(Audience::next_on(tracker.basis().map(|a| &**a), people(), now, w.context(), threads));
        let full = Arc::new(Audience::build(people(), now, w.context()));
        assert_eq!(incremental.members.len(), full.members.len());
        for (a, b) in incremental.members.iter().zip(&full.members) {
            let what = format!("seed {seed}, step {step}, {}", a.person);
            assert_eq!(a.person, b.person, "{what}");
            assert_eq!((a.stage, a.tier, a.rfm), (b.stage, b.tier, b.rfm), "{what}");
            assert_eq!(a.tags, b.tags, "{what}");
            assert_eq!(a.segments, b.segments, "{what}: {:?}", w.segments);
        }

        let found = tracker.diff(&incremental);
        let reference = Tracker::recorded(recorded.clone(), stages.clone()).diff(&full);
        assert_eq!(found.changes(), reference.changes(), "seed {seed}, step {step}");
        for c in &reference.changes().membership {
            let members = recorded.entry(c.segment).or_default();
            if c.entered {
                members.insert(c.person)
            } else {
                members.remove(&c.person)
            };
        }
        for c in &reference.changes().stages {
            stages.insert(c.person, c.to);
        }
        for (id, _) in &w.segments {
            let size = recorded.get(id).map_or(0, |m| m.len() as u64);
            assert_eq!(found.counts().get(id).copied().unwrap_or(0), size, "seed {seed}, step {step}, {id:?}");
        }
        tracker.apply(found);
    }
}

#[test]
fn an_incremental_refresh_equals_judging_everyone_again() {
    for seed in 0..12 {
        run(20_261_125 + seed);
    }
}

#[test]
fn a_tag_read_through_the_tier_follows_someone_else_overtaking() {
    let mut rng = Rng(5);
    let mut serial = 0;
    let now = start();
    let order = |p: &mut Profile, fen: u64, serial: &mut u64| {
        *serial += 1;
        let props = json!({"order_id": format!("o{serial}"), "revenue": fen, "products": [{"sku": "milk"}]});
        p.apply(ProfileEvent {
            at: start() - Duration::days(2),
            name: "Order Completed",
            properties: &props,
            amounts: Amounts::LEGACY,
        });
    };
    let mut profiles = HashMap::new();
    for i in 0..10 {
        let mut p = Profile::default();
        order(&mut p, 100 + i * 10, &mut serial);
        profiles.insert(person(i), Arc::new(p));
    }
    let w = |profiles: HashMap<PersonId, Arc<Profile>>| World {
        profiles,
        segments: vec![(SegmentId(1), r#"tag "top""#.into()), (SegmentId(2), "orders >= 1".into())],
        rule_tags: vec![("top".into(), "tier = high".into())],
        manual: HashMap::new(),
        sessions: Vec::new(),
        products: Vec::new(),
        fit: None,
        points: Arc::default(),
    };
    let first = w(profiles.clone());
    let before = Audience::build(first.profiles.iter().map(|(p, x)| (*p, x.clone())), now, first.context());
    assert_eq!(before.member(person(9)).unwrap().segments[..], [0, 1], "the biggest spender is high, so tagged top");
    // Someone else overtakes them: only their standing moves.
    order(Arc::make_mut(profiles.get_mut(&person(0)).unwrap()), 10_000 + rng.below(10), &mut serial);
    let then = w(profiles);
    let later = now + Duration::minutes(1);
    let people = || then.profiles.iter().map(|(p, x)| (*p, x.clone()));
    let incremental = Audience::next(Some(&before), people(), later, then.context());
    let full = Audience::build(people(), later, then.context());
    assert!(incremental.rejudged_count() < 10, "not everyone");
    for (a, b) in incremental.members.iter().zip(&full.members) {
        assert_eq!((a.tier, &a.tags, &a.segments), (b.tier, &b.tags, &b.segments), "{}", a.person);
    }
    assert_eq!(incremental.member(person(9)).unwrap().segments[..], [1]);
}
