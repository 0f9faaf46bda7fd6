//! Staff members, channel codes and friendships (`rekindle_sim::wecom`): the events keep the
//! contract other parts build on, agree with the truth, and carry the planted figures — the
//! customer who removed one of two staff members and is still reachable, the departed guide
//! nobody removes, the value of each acquisition source.

use std::collections::{BTreeMap, BTreeSet};

use chrono::{DateTime, Duration, NaiveDateTime};
use rekindle_sim::wecom::{self, Role, Source};
use rekindle_sim::{Output, RemovedBy, SimConfig, Simulation, SourceLtv, Truth};
use serde_json::Value;

fn local(text: &str) -> NaiveDateTime {
    DateTime::parse_from_rfc3339(text).unwrap().naive_local()
}

fn at(e: &Value) -> NaiveDateTime {
    local(e["timestamp"].as_str().unwrap())
}

fn lives(config: &SimConfig) -> (Simulation, Vec<(Vec<Value>, Truth)>) {
    let sim = Simulation::new(config.clone());
    let lives = (0..config.people).map(|i| sim.person(i)).collect();
    (sim, lives)
}

/// The demo's kind of store, smaller: 1,500 people over 90 days, seed 1.
fn seed_one() -> SimConfig {
    SimConfig { people: 1500, days: 90, seed: 1, ..SimConfig::default() }
}

fn contact(events: &[Value]) -> impl Iterator<Item = &Value> {
    events.iter().filter(|e| e["event"] == "Contact Added" || e["event"] == "Contact Removed")
}

#[test]
fn the_same_seed_gives_the_same_friendships_and_the_roster_is_the_same_for_every_seed() {
    let run = |config: SimConfig| {
        let (mut events, mut truth) = (Vec::new(), Vec::new());
        Simulation::new(config).run(&mut Output { events: &mut events, truth: &mut truth }).unwrap();
        (events, truth)
    };
    let config = SimConfig { people: 600, ..seed_one() };
    let (events, truth) = run(config.clone());
    assert_eq!((events.clone(), truth), run(config.clone()));
    assert!(String::from_utf8(events).unwrap().contains("\"add_way\""));

    let ids = |seed| Simulation::new(SimConfig { seed, ..config.clone() }).staff();
    let (one, two) = (ids(1), ids(2));
    assert_eq!(one, two, "the roster does not depend on the seed");
    let roles: BTreeMap<Role, usize> = one.iter().fold(BTreeMap::new(), |mut m, s| {
        *m.entry(s.role).or_default() += 1;
        m
    });
    assert_eq!(roles, BTreeMap::from([(Role::Guide, 6), (Role::Host, 3), (Role::Leader, 3)]));
    let departed: Vec<_> = one.iter().filter(|s| s.departed_at.is_some()).map(|s| s.id.as_str()).collect();
    assert_eq!(departed, ["guide-6"]);
    // Two thirds into the window: 60 of 90 days.
    assert_eq!(one[5].departed_at.as_deref(), Some("2026-03-06T18:00:00+08:00"));
    // Hosts are the live sessions' hosts.
    let sim = Simulation::new(config);
    assert!(sim.sessions().iter().all(|s| wecom::host_staff(s.host).is_some()));
}

#[test]
fn every_contact_event_keeps_the_contract() {
    let config = seed_one();
    let (sim, lives) = lives(&config);
    let roster: BTreeSet<String> = sim.staff().into_iter().map(|s| s.id).collect();
    let sessions: BTreeSet<&str> = sim.sessions().iter().map(|s| s.id.as_str()).collect();
    let (mut added, mut removed, mut with_code) = (0, 0, 0);
    for (events, _) in &lives {
        for e in contact(events) {
            let p = &e["properties"];
            assert_eq!(p["channel"], "wecom", "{e}");
            assert_eq!(p["via"], "callback", "{e}");
            let staff = p["staff_id"].as_str().unwrap_or_else(|| panic!("no staff_id: {e}"));
            assert!(roster.contains(staff), "{staff} is on the roster: {e}");
            assert!(e["context"]["traits"]["wecom_external_userid"].is_string(), "from WeCom: {e}");
            if e["event"] == "Contact Removed" {
                assert!(matches!(p["by"].as_str(), Some("customer" | "staff")), "{e}");
                removed += 1;
                continue;
            }
            added += 1;
            let source = p["source"].as_str().unwrap();
            let way = p["add_way"].as_u64().unwrap();
            match (source, p.get("code").and_then(Value::as_str)) {
                (_, Some(code)) => {
                    with_code += 1;
                    assert!(["live", "parcel", "store", "ads"].contains(&source), "{e}");
                    assert!(code.starts_with(&format!("{source}-")), "the code's state names its source: {e}");
                    assert_eq!(way, 1, "a code is scanned: {e}");
                    if source == "live" && at(e) >= config.start.and_hms_opt(0, 0, 0).unwrap() + Duration::days(7) {
                        assert!(sessions.contains(code), "a session's code: {e}");
                    }
                    if source == "store" {
                        let n: usize = code["store-".len()..].parse().unwrap();
                        assert!((1..=6).contains(&n), "{e}");
                    }
                }
                ("referral", None) => assert_eq!(way, 3, "a shared card: {e}"),
                ("offline", None) => assert!(way == 2 || way == 3, "a phone search or a 团长's card: {e}"),
                _ => panic!("a source without its code: {e}"),
            }
            let role = wecom::role_of(staff).unwrap();
            match source {
                "live" => assert_eq!(role, Role::Host, "{e}"),
                "parcel" | "store" | "ads" => assert_eq!(role, Role::Guide, "{e}"),
                _ => {}
            }
        }
    }
    assert!(
        added > 900 && removed > 300 && with_code > 500,
        "{added} added, {removed} removed, {with_code} with a code"
    );
}

#[test]
fn the_truth_says_what_the_events_say() {
    let config = SimConfig { people: 3000, days: 120, seed: 2, ..SimConfig::default() };
    let (_, lives) = lives(&config);
    type Add = (NaiveDateTime, String, Option<String>, Option<String>, u64);
    for (events, truth) in &lives {
        let adds: Vec<Add> = contact(events)
            .filter(|e| e["event"] == "Contact Added")
            .map(|e| {
                let p = &e["properties"];
                let text = |k: &str| p.get(k).and_then(Value::as_str).map(String::from);
                (at(e), text("staff_id").unwrap(), text("source"), text("code"), p["add_way"].as_u64().unwrap())
            })
            .collect();
        let linked: Vec<Add> = truth
            .staff
            .iter()
            .filter_map(|l| {
                let added = local(l.added_at.as_deref()?);
                let source = l.source.map(|s| s.as_str().to_string());
                Some((added, l.staff.clone(), source, l.code.clone(), u64::from(l.add_way)))
            })
            .collect();
        assert_eq!(adds, linked, "{}: adds", truth.id);
        let removals: Vec<(NaiveDateTime, String, String)> = contact(events)
            .filter(|e| e["event"] == "Contact Removed")
            .map(|e| {
                let p = &e["properties"];
                (at(e), p["staff_id"].as_str().unwrap().into(), p["by"].as_str().unwrap().into())
            })
            .collect();
        let mut ended: Vec<(NaiveDateTime, String, String)> = truth
            .staff
            .iter()
            .filter_map(|l| Some((local(l.removed_at.as_deref()?), l.staff.clone(), l.removed_by?.as_str().into())))
            .collect();
        ended.sort();
        assert_eq!(removals, ended, "{}: removals", truth.id);
        // The person's source is their first friendship's.
        let first = truth.staff.iter().find(|l| l.added_at.is_some());
        assert_eq!(truth.source, first.and_then(|l| l.source), "{}", truth.id);
        assert_eq!(truth.code, first.and_then(|l| l.code.clone()), "{}", truth.id);
    }
    // People who came through WeCom spread over the codes and offline as planned (30 / 20 /
    // 20 / 15 / 15 %); referrals are referrals.
    let wecom: Vec<&Truth> =
        lives.iter().map(|(_, t)| t).filter(|t| t.channel == rekindle_sim::person::Channel::Wecom).collect();
    for (source, share) in [
        (Source::Live, 0.30),
        (Source::Parcel, 0.20),
        (Source::Store, 0.20),
        (Source::Ads, 0.15),
        (Source::Offline, 0.15),
    ] {
        let got = wecom.iter().filter(|t| t.source == Some(source)).count() as f64 / wecom.len() as f64;
        assert!((got - share).abs() < 0.04, "{source:?}: {got} of WeCom people, planned {share}");
    }
    assert!(
        lives
            .iter()
            .filter(|(_, t)| t.channel == rekindle_sim::person::Channel::Referral)
            .all(|(_, t)| t.source == Some(Source::Referral))
    );
}

/// The defect the product fixes: a profile that compares only the latest add with the latest
/// removal thinks this customer gone; they are still the friend of another staff member.
#[test]
fn someone_who_removed_one_of_two_staff_members_is_still_reachable_through_the_other() {
    let config = seed_one();
    let (_, lives) = lives(&config);
    let end = config.start.and_hms_opt(0, 0, 0).unwrap() + Duration::days(i64::from(config.days));
    let (mut with_friends, mut two, mut misjudged) = (0, 0, 0);
    for (events, truth) in &lives {
        let added: Vec<&Value> = contact(events).filter(|e| e["event"] == "Contact Added").collect();
        let removed: Vec<&Value> = contact(events).filter(|e| e["event"] == "Contact Removed").collect();
        if !added.is_empty() {
            with_friends += 1;
        }
        let staff: BTreeSet<&str> = added.iter().filter_map(|e| e["properties"]["staff_id"].as_str()).collect();
        if staff.len() >= 2 {
            two += 1;
        }
        let (Some(last_add), Some(last_removal)) =
            (added.iter().map(|e| at(e)).max(), removed.iter().map(|e| at(e)).max())
        else {
            continue;
        };
        let reachable = truth.reachable_staff_at_end();
        if last_removal > last_add && !reachable.is_empty() {
            // The staff member they kept was added before and never removed.
            let gone = removed.iter().max_by_key(|e| at(e)).unwrap()["properties"]["staff_id"].as_str().unwrap();
            assert!(!reachable.contains(&gone), "{}", truth.id);
            assert_eq!(truth.reachable_staff(last_removal - Duration::seconds(1)).len(), reachable.len() + 1);
            assert_eq!(truth.reachable_staff(last_removal), reachable);
            assert_eq!(truth.reachable_staff(end - Duration::seconds(1)), reachable);
            assert!(truth.removed_one_kept_another());
            misjudged += 1;
        }
    }
    let share = f64::from(two) / f64::from(with_friends);
    assert!((0.15..=0.25).contains(&share), "about a fifth add a second staff member: {two} of {with_friends}");
    assert!(misjudged >= 20, "{misjudged} removed their latest friendship's staff member's colleague and kept one");
}

#[test]
fn the_departed_guide_is_neither_added_nor_removed_after_leaving() {
    let config = SimConfig { people: 3000, days: 120, seed: 21, ..SimConfig::default() };
    let (sim, lives) = lives(&config);
    let left = local(sim.staff().iter().find(|s| s.id == wecom::DEPARTING).unwrap().departed_at.as_deref().unwrap());
    let (mut before, mut kept) = (0, 0);
    for (events, truth) in &lives {
        for e in contact(events).filter(|e| e["properties"]["staff_id"] == wecom::DEPARTING) {
            assert!(at(e) < left, "nothing happens to guide-6's friendships after they leave: {e}");
            before += 1;
        }
        kept += truth.staff.iter().filter(|l| l.staff == wecom::DEPARTING && l.friend_at_end()).count();
    }
    let per = wecom::reachable_per_staff(lives.iter().map(|(_, t)| t));
    assert_eq!(per.len(), 12);
    assert_eq!(per[wecom::DEPARTING] as usize, kept);
    assert!(before > 100 && kept > 50, "{before} events before leaving, {kept} friendships to hand over");
    assert!(per.values().all(|n| *n > 30), "every staff member has friends at the end: {per:?}");
    // Rare removals by staff, never by one who left.
    let by_staff = lives
        .iter()
        .flat_map(|(_, t)| &t.staff)
        .filter(|l| l.removed_by == Some(RemovedBy::Staff))
        .inspect(|l| assert_ne!(l.staff, wecom::DEPARTING))
        .count();
    let by_customer =
        lives.iter().flat_map(|(_, t)| &t.staff).filter(|l| l.removed_by == Some(RemovedBy::Customer)).count();
    assert!(by_staff >= 1 && by_staff * 20 < by_customer, "{by_staff} by staff, {by_customer} by customers");
}

/// The planted value of each source: with the plant and without it, the same people (common
/// random numbers) spend in the ratio planted, shrunk where the window cuts lives short;
/// referrals and offline contacts, worth 1, live the very same lives.
#[test]
fn each_source_changes_spend_as_planted() {
    let config = SimConfig { people: 5000, days: 180, seed: 1, ..SimConfig::demo() };
    assert_eq!(config.ltv, Some(SourceLtv::default()));
    let (_, on) = lives(&config);
    let (_, off) = lives(&SimConfig { ltv: None, ..config });
    assert_eq!(SimConfig::default().ltv, None, "planted only when asked for");
    let mut spend: BTreeMap<Source, (i64, i64)> = BTreeMap::new();
    for ((events_on, t_on), (events_off, t_off)) in on.iter().zip(&off) {
        let Some(source) = t_on.source else {
            assert_eq!(events_on, events_off, "{}: a person with no source lives the same life", t_on.id);
            continue;
        };
        assert_eq!(t_on.source, t_off.source);
        assert_eq!(t_on.staff.first().map(|l| &l.added_at), t_off.staff.first().map(|l| &l.added_at));
        if matches!(source, Source::Referral | Source::Offline) {
            assert_eq!(events_on, events_off, "{}: worth 1, the same life", t_on.id);
        }
        let s = spend.entry(source).or_default();
        s.0 += t_on.spend;
        s.1 += t_off.spend;
    }
    let ratio = |s: Source| spend[&s].0 as f64 / spend[&s].1 as f64;
    let r: BTreeMap<Source, f64> = Source::ALL.iter().map(|s| (*s, ratio(*s))).collect();
    println!("spend with the plant ÷ without, by source: {r:?}");
    assert!(ratio(Source::Store) > ratio(Source::Live), "{r:?}");
    assert!(ratio(Source::Live) > ratio(Source::Parcel), "{r:?}");
    assert!(ratio(Source::Parcel) > 1.02, "{r:?}");
    assert!(ratio(Source::Ads) < 0.85, "{r:?}");
    assert!((1.1..1.35).contains(&ratio(Source::Store)), "{r:?}");
}

/// On the demo's store (20,000 people over 180 days, seed 1, the value planted) mean spend by
/// source is ordered as planted: store, live, parcel, then referral and offline (worth 1), then ads.
#[test]
fn mean_spend_by_source_is_ordered_as_planted_on_the_demo_store() {
    let config = SimConfig { people: 20_000, days: 180, seed: 1, ..SimConfig::demo() };
    let sim = Simulation::new(config.clone());
    let truths: Vec<Truth> = (0..config.people).map(|i| sim.person(i).1).collect();
    let by = wecom::spend_by_source(&truths);
    let mean = |s: Source| by[&s].mean() / 100.0;
    let figures: Vec<String> = Source::ALL.iter().map(|s| format!("{}: ¥{:.1}", s.as_str(), mean(*s))).collect();
    println!("mean spend by source: {}", figures.join(", "));
    let neutral = mean(Source::Referral).max(mean(Source::Offline));
    assert!(mean(Source::Store) > mean(Source::Live), "{figures:?}");
    assert!(mean(Source::Live) > mean(Source::Parcel), "{figures:?}");
    assert!(mean(Source::Parcel) > neutral, "{figures:?}");
    assert!(mean(Source::Referral).min(mean(Source::Offline)) > mean(Source::Ads) * 1.2, "{figures:?}");
}
