//! Issue 21: on simulator data, referral rewards go to exactly the invited first buyers and
//! their inviters, once each. The simulated store is replayed day by day as it would arrive;
//! each day the engine refreshes, the referral review writes `Referral Qualified` for the
//! invitations that earned a reward, and the shipped 推荐有礼 and 邀请进群有礼 journeys pay
//! both sides. The simulator's own truth (who invited whom, who ordered) says who should have
//! been paid; an inviter the store never learnt the openid of cannot be paid, and is not.

mod common;

use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::{Arc, Mutex};

use chrono::{DateTime, Duration, Utc};
use rekindle_core::outreach::CapsConfig;
use rekindle_core::{IdentifierKind, PersonId, WorkspaceId};
use rekindle_engine::referral::ReferralReview;
use rekindle_engine::{Engine, Judging};
use rekindle_journeys::Runner;
use rekindle_sim::{SimConfig, Simulation};
use rekindle_store::DEFAULT_WORKSPACE;
use rekindle_store::prelude::*;
use rekindle_store_sqlite::SqliteStore;

const PEOPLE: u64 = 1200;
const SEED: u64 = 21;

use common::{append_sim as append, parse, person_by as by};

async fn by_openid(store: &dyn Store, ws: WorkspaceId, openid: &str) -> Option<PersonId> {
    by(store, ws, IdentifierKind::WechatOpenid, openid).await
}

/// The simulated person as the store knows them: by member id once they ordered, else device.
async fn person(store: &dyn Store, ws: WorkspaceId, t: &rekindle_sim::Truth) -> Option<PersonId> {
    match by(store, ws, IdentifierKind::UserId, &t.id).await {
        Some(p) => Some(p),
        None => by(store, ws, IdentifierKind::AnonymousId, &t.id).await,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn referral_rewards_go_to_the_invited_first_buyers_and_their_inviters_once_each() {
    let dir = tempfile::tempdir().unwrap();
    let store = Arc::new(SqliteStore::open(dir.path()).await.unwrap());
    let ws = store.workspace_by_slug(DEFAULT_WORKSPACE).await.unwrap().unwrap().id;
    let config = SimConfig { people: PEOPLE, days: 45, seed: SEED, winback: None, ..SimConfig::default() };
    let sim = Simulation::new(config.clone());
    let mut messages = Vec::new();
    let mut truths = Vec::new();
    for i in 0..PEOPLE {
        let (ms, truth) = sim.person(i);
        messages.extend(ms.iter().map(parse));
        truths.push(truth);
    }
    messages.sort_by_key(|m| m.timestamp);
    let start: DateTime<Utc> = messages[0].timestamp;

    let now = Arc::new(Mutex::new(start));
    let clock: rekindle_engine::Clock = {
        let now = now.clone();
        Arc::new(move || *now.lock().unwrap())
    };
    let engine = Arc::new(Engine::new(store.clone(), Judging::default(), clock, std::time::Duration::ZERO));
    let mut journeys = BTreeMap::new();
    for key in ["referral_reward", "group_invite_reward"] {
        let shipped = rekindle_journeys::shipped().into_iter().find(|s| s.key == key).unwrap();
        let id = rekindle_journeys::install(&*store, ws, &shipped, shipped.name, start).await.unwrap().id;
        store.publish_journey(ws, id, None, start).await.unwrap();
        journeys.insert(key, id);
    }
    let caps = CapsConfig { quiet_hours: Default::default(), ..CapsConfig::default() };
    let runner = Runner::new(store.clone(), engine.clone(), caps);
    let review = ReferralReview::new(store.clone(), engine.clone());

    // Replayed a day at a time, the day's events arriving as the day ends.
    let mut rest = messages.into_iter().peekable();
    let mut day_end = start + Duration::days(1);
    let mut qualified = 0;
    while rest.peek().is_some() {
        let mut day = Vec::new();
        while let Some(m) = rest.next_if(|m| m.timestamp < day_end) {
            day.push(m);
        }
        *now.lock().unwrap() = day_end;
        append(&*store, ws, day).await;
        engine.refresh(ws).await.unwrap();
        let due = review.due(ws).await.unwrap();
        qualified += due.len();
        append(&*store, ws, due).await;
        engine.refresh(ws).await.unwrap();
        runner.run(ws).await.unwrap();
        assert!(review.due(ws).await.unwrap().is_empty(), "a reward written is not due again");
        day_end += Duration::days(1);
    }

    // Who should have been paid, by the simulator's truth: an invited person who ordered (the
    // invitation came with their first order, or with the group they joined before it), and
    // one who joined a group on an invitation, whose inviter the store knows by openid. A
    // friend invited into a group who then orders earns both programmes' rewards.
    let mut expected_first: HashMap<PersonId, PersonId> = HashMap::new();
    let mut expected_group: HashMap<PersonId, PersonId> = HashMap::new();
    for t in &truths {
        for (by, ordered, group) in [
            (&t.invited_by, t.orders > 0, false),
            (&t.group_invited_by, t.orders > 0, false),
            (&t.group_invited_by, true, true),
        ] {
            let expected = if group { &mut expected_group } else { &mut expected_first };
            let Some(by) = by else { continue };
            if !ordered {
                continue;
            }
            let (Some(inviter), Some(invitee)) = (by_openid(&*store, ws, by).await, person(&*store, ws, t).await)
            else {
                continue;
            };
            if inviter != invitee {
                expected.insert(invitee, inviter);
            }
        }
    }
    assert!(expected_first.len() >= 20, "the simulator invites: {}", expected_first.len());
    assert!(expected_group.len() >= 5, "and invites into groups: {}", expected_group.len());
    assert_eq!(qualified, expected_first.len() + expected_group.len(), "one event per reward");

    for (key, j) in &journeys {
        let entered: i64 = store.journey_conversions(ws, *j).await.unwrap().iter().map(|c| c.entered).sum();
        let want = if *key == "referral_reward" { expected_first.len() } else { expected_group.len() };
        assert_eq!(entered as usize, want, "{key}: everyone qualified entered, once");
    }
    // Every coupon of either journey, by holder.
    let mut held: HashMap<PersonId, (u32, u32)> = HashMap::new();
    let people: HashSet<PersonId> = expected_first.iter().chain(&expected_group).flat_map(|(a, b)| [*a, *b]).collect();
    for p in &people {
        for c in store.person_coupons(ws, *p).await.unwrap() {
            let slot = held.entry(*p).or_default();
            match c.coupon.as_str() {
                "推荐礼5元" => slot.0 += 1,
                "进群礼5元" => slot.1 += 1,
                _ => {}
            }
        }
    }
    let mut want: HashMap<PersonId, (u32, u32)> = HashMap::new();
    for (invitee, inviter) in &expected_first {
        want.entry(*invitee).or_default().0 += 1;
        want.entry(*inviter).or_default().0 += 1;
    }
    for (invitee, inviter) in &expected_group {
        want.entry(*invitee).or_default().1 += 1;
        want.entry(*inviter).or_default().1 += 1;
    }
    assert_eq!(held, want, "each invitee and inviter paid exactly once per friend");

    // Nobody else got a referral coupon: a first-time buyer who was not invited is not paid.
    let uninvited = truths
        .iter()
        .enumerate()
        .filter(|(_, t)| t.invited_by.is_none() && t.group_invited_by.is_none() && t.orders > 0);
    for (_, t) in uninvited.take(200) {
        let Some(p) = person(&*store, ws, t).await else { continue };
        if people.contains(&p) {
            continue;
        }
        let coupons = store.person_coupons(ws, p).await.unwrap();
        assert!(coupons.iter().all(|c| !c.coupon.contains("礼5元")), "{p} was not invited: {coupons:?}");
    }
    // The inviter's 50 points arrive with each friend's first order.
    let (inviter, friends) = want
        .iter()
        .filter(|(p, _)| expected_first.values().any(|i| i == *p))
        .map(|(p, _)| (*p, expected_first.values().filter(|i| *i == p).count() as i64))
        .max_by_key(|(_, n)| *n)
        .unwrap();
    let entries = store.points_entries(ws, inviter).await.unwrap();
    let referral_points: i64 = entries.iter().filter(|e| e.reason.contains("邀请好友首单")).map(|e| e.points).sum();
    assert_eq!(referral_points, 50 * friends, "{entries:?}");
}
