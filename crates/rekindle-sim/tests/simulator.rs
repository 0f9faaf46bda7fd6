//! The simulator is deterministic, its output is valid Segment, and the store it makes behaves
//! like the ones the seed articles describe (docs/simulator.md lists the checks).

use std::collections::{BTreeMap, HashMap};

use chrono::{DateTime, Duration, FixedOffset, NaiveDate, NaiveDateTime};
use rekindle_core::Message;
use rekindle_core::message::Arrival;
use rekindle_sim::catalogue::{CATEGORIES, PRODUCTS};
use rekindle_sim::{Arm, Output, SimConfig, Simulation};
use serde_json::Value;

fn run(config: SimConfig) -> (Vec<u8>, Vec<u8>) {
    let (mut events, mut truth) = (Vec::new(), Vec::new());
    Simulation::new(config).run(&mut Output { events: &mut events, truth: &mut truth }).unwrap();
    (events, truth)
}

fn small(seed: u64) -> SimConfig {
    SimConfig { people: 400, days: 60, seed, ..SimConfig::default() }
}

#[test]
fn the_same_seed_gives_byte_identical_output() {
    assert_eq!(run(small(7)), run(small(7)));
    assert_ne!(run(small(7)).0, run(small(8)).0);
}

#[test]
fn a_person_is_the_same_whoever_else_is_simulated() {
    let few = Simulation::new(SimConfig { people: 10, ..small(3) });
    let many = Simulation::new(SimConfig { people: 1000, ..small(3) });
    assert_eq!(few.person(9).0, many.person(9).0);
}

#[test]
fn every_event_is_a_valid_segment_message_and_identities_arrive_in_pieces() {
    let (events, _) = run(small(11));
    let arrival = Arrival { historical: true, ..Arrival::live(chrono::Utc::now()) };
    let mut first_seen: HashMap<String, bool> = HashMap::new();
    for line in String::from_utf8(events).unwrap().lines() {
        let m = Message::parse(line, None, &arrival).unwrap_or_else(|e| panic!("{e}: {line}"));
        let person = m.message_id.split('-').nth(1).unwrap().to_string();
        // The first thing the store hears of anyone carries no member id.
        first_seen.entry(person).or_insert_with(|| {
            assert!(m.user_id.is_none(), "first message already names the member: {line}");
            true
        });
    }
    assert!(first_seen.len() > 300);
}

/// When a category was bought, and how many days that purchase should last.
type Purchase = (DateTime<FixedOffset>, f64);

struct Stats {
    new_customer_30d_churn: f64,
    /// Share of revenue from the top 10 % of customers by spend, and from the bottom 60 %.
    top_decile_share: f64,
    bottom_60_share: f64,
    /// Per category, the median of (days to the next purchase ÷ days the last purchase lasts).
    median_interval: BTreeMap<&'static str, f64>,
    alive_at_end: f64,
}

fn stats(config: SimConfig) -> Stats {
    let end = config.start.and_hms_opt(0, 0, 0).unwrap() + Duration::days(i64::from(config.days));
    let (events, truth) = run(config);
    let mut orders: HashMap<String, Vec<DateTime<FixedOffset>>> = HashMap::new();
    // Per (category, person): when they bought, and how many days that purchase should last.
    let mut by_category: HashMap<(&'static str, String), Vec<Purchase>> = HashMap::new();
    for line in String::from_utf8(events).unwrap().lines() {
        let m: Value = serde_json::from_str(line).unwrap();
        if m["event"] != "Order Completed" {
            continue;
        }
        let t = DateTime::parse_from_rfc3339(m["timestamp"].as_str().unwrap()).unwrap();
        let who = m["userId"].as_str().unwrap().to_string();
        orders.entry(who.clone()).or_default().push(t);
        for p in m["properties"]["products"].as_array().unwrap() {
            let c = CATEGORIES.iter().find(|c| c.name == p["category"]).unwrap();
            let pack = PRODUCTS.iter().find(|x| x.sku == p["sku"]).unwrap().pack_size;
            let lasts = f64::from(c.cycle_days) * f64::from(pack) * p["quantity"].as_f64().unwrap();
            by_category.entry((c.name, who.clone())).or_default().push((t, lasts));
        }
    }
    let end = end.and_local_timezone(FixedOffset::east_opt(8 * 3600).unwrap()).unwrap();
    let eligible: Vec<&Vec<DateTime<FixedOffset>>> =
        orders.values().filter(|v| v[0] < end - Duration::days(30)).collect();
    let churned = eligible.iter().filter(|v| !v[1..].iter().any(|t| *t - v[0] <= Duration::days(30))).count();
    let mut intervals: BTreeMap<&'static str, Vec<f64>> = BTreeMap::new();
    for ((c, _), buys) in &by_category {
        for w in buys.windows(2) {
            let days = (w[1].0 - w[0].0).num_minutes() as f64 / 1440.0;
            intervals.entry(c).or_default().push(days / w[0].1);
        }
    }
    let median_interval = intervals
        .into_iter()
        .filter(|(_, v)| v.len() >= 30)
        .map(|(c, mut v)| {
            v.sort_by(f64::total_cmp);
            (c, v[v.len() / 2])
        })
        .collect();
    let truth: Vec<Value> =
        String::from_utf8(truth).unwrap().lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    let alive = truth.iter().filter(|t| t["alive_at_end"] == true).count() as f64 / truth.len() as f64;
    let mut spend: Vec<i64> = truth.iter().filter_map(|t| t["spend"].as_i64()).filter(|s| *s > 0).collect();
    spend.sort_unstable_by(|a, b| b.cmp(a));
    let total: i64 = spend.iter().sum();
    let share = |part: &[i64]| part.iter().sum::<i64>() as f64 / total as f64;
    Stats {
        new_customer_30d_churn: churned as f64 / eligible.len() as f64,
        top_decile_share: share(&spend[..spend.len() / 10]),
        bottom_60_share: share(&spend[spend.len() * 4 / 10..]),
        median_interval,
        alive_at_end: alive,
    }
}

#[test]
fn the_store_behaves_like_the_seed_articles_describe() {
    let s = stats(SimConfig {
        people: 3000,
        days: 180,
        seed: 1,
        start: NaiveDate::from_ymd_opt(2026, 1, 5).unwrap(),
        ..SimConfig::default()
    });
    // "部分生鲜私域直播间的30日用户流失率超过60%": 30-day churn of new customers 40–65 %.
    assert!((0.40..=0.65).contains(&s.new_customer_30d_churn), "30-day churn {}", s.new_customer_30d_churn);
    // Half a year on, most are gone.
    assert!(s.alive_at_end < 0.35, "alive at end {}", s.alive_at_end);
    // People come back when what they bought runs out: in each category the median time to the
    // next purchase is 0.8 to 2 times how long the previous purchase lasts (the category's cycle
    // × pack size × quantity); later, not sooner, because some days they wait.
    for c in CATEGORIES {
        if let Some(m) = s.median_interval.get(c.name) {
            assert!((0.8..=2.0).contains(m), "{}: median interval {m} × what the last purchase lasts", c.name);
        }
    }
    assert!(s.median_interval.len() >= 8, "most categories are bought repeatedly");
    // Value tiers (high ≈ 10 %, potential ≈ 30 %, edge ≈ 60 % of customers) differ in value:
    // the top tenth brings far more than its share, the bottom sixty percent far less.
    assert!((0.30..=0.60).contains(&s.top_decile_share), "top 10 % share {}", s.top_decile_share);
    assert!(s.bottom_60_share < 0.35, "bottom 60 % share {}", s.bottom_60_share);
}

/// Each person's messages, and the local time of each.
fn lives(config: SimConfig) -> Vec<(Vec<Value>, rekindle_sim::Truth)> {
    let sim = Simulation::new(config.clone());
    (0..config.people).map(|i| sim.person(i)).collect()
}

fn local(text: &str) -> NaiveDateTime {
    DateTime::parse_from_rfc3339(text).unwrap().naive_local()
}

/// The win-back programme draws from its own stream: a person it does not win back lives the
/// same life with it on or off — the same events besides its messages (whose message ids move
/// the ids after them, and the comment ids made of them), the same truth besides its record.
#[test]
fn the_winback_programme_changes_only_the_people_it_wins_back() {
    let config = SimConfig { people: 1000, days: 120, seed: 5, ..SimConfig::default() };
    let on = lives(config.clone());
    let off = lives(SimConfig { winback: None, ..config });
    let without_messages = |events: &[Value]| -> Vec<Value> {
        let mut events: Vec<Value> = events.iter().filter(|e| e["event"] != "Message Delivered").cloned().collect();
        for e in &mut events {
            e.as_object_mut().unwrap().remove("messageId");
            // A comment's id is its message id, which moves with them.
            if let Some(p) = e["properties"].as_object_mut() {
                p.remove("comment_id");
            }
        }
        events
    };
    let without_record = |t: &rekindle_sim::Truth| {
        let mut v = serde_json::to_value(t).unwrap();
        v.as_object_mut().unwrap().remove("winback");
        v
    };
    let (mut same, mut won_back) = (0, 0);
    for (i, ((events, truth), (events_off, truth_off))) in on.iter().zip(&off).enumerate() {
        assert!(truth_off.winback.is_empty(), "no programme, no record");
        if let Some(s) = truth.winback.iter().find(|s| s.revival_at.is_some()) {
            // Until then their lives are the same: without the programme, their next order
            // after that silence comes later, if at all.
            let (at, revival) = (local(&s.at), local(s.revival_at.as_deref().unwrap()));
            let next_off = events_off
                .iter()
                .filter(|e| e["event"] == "Order Completed")
                .map(|e| local(e["timestamp"].as_str().unwrap()))
                .filter(|t| *t > at)
                .min();
            assert!(next_off.is_none_or(|t| t > revival), "person {i}: won back before ordering of their own");
            won_back += 1;
            continue;
        }
        assert_eq!(without_messages(events), without_messages(events_off), "person {i}");
        assert_eq!(without_record(truth), without_record(truth_off), "person {i}");
        same += 1;
    }
    assert!(won_back >= 20 && same >= 900, "{won_back} won back, {same} unchanged");
}

/// The truth's record of the programme says what the events say: a silence `silent_days` after
/// every order not followed by another within them, the message 30 s later for the touch arm
/// and none for the holdout, the won-back order within the window before any of their own, and
/// the next order after each silence.
#[test]
fn the_winback_record_agrees_with_the_events() {
    let config = SimConfig { people: 1500, days: 150, seed: 9, ..SimConfig::default() };
    let w = config.winback.unwrap();
    let end = config.start.and_hms_opt(0, 0, 0).unwrap() + Duration::days(i64::from(config.days));
    let quiet = Duration::days(i64::from(w.silent_days));
    let (mut silences, mut delivered, mut revived) = (0, 0, 0);
    for (events, truth) in lives(config) {
        let at = |name: &str| -> Vec<NaiveDateTime> {
            let mut v: Vec<NaiveDateTime> =
                events.iter().filter(|e| e["event"] == name).map(|e| local(e["timestamp"].as_str().unwrap())).collect();
            v.sort();
            v
        };
        let orders = at("Order Completed");
        let messages = at("Message Delivered");
        // The engine's rule: silent `quiet` after an order unless the next came by then.
        let expected: Vec<NaiveDateTime> = orders
            .iter()
            .enumerate()
            .map(|(k, t)| (*t + quiet, orders.get(k + 1)))
            .filter(|(s, next)| *s < end && next.is_none_or(|n| n > s))
            .map(|(s, _)| s)
            .collect();
        let recorded: Vec<NaiveDateTime> = truth.winback.iter().map(|s| local(&s.at)).collect();
        assert_eq!(recorded, expected, "{}: the programme's silences", truth.id);
        let mut sent = Vec::new();
        for s in &truth.winback {
            let (at, next) = (local(&s.at), s.next_order_at.as_deref().map(local));
            assert_eq!(next, orders.iter().find(|t| **t > at).copied(), "{}: the next order", truth.id);
            match s.arm {
                Arm::Holdout => assert!(s.delivered_at.is_none() && !s.won && s.revival_at.is_none()),
                Arm::Touch => {
                    let due = at + Duration::seconds(30);
                    let expected = (due < end).then_some(due);
                    assert_eq!(s.delivered_at.as_deref().map(local), expected, "{}: delivered", truth.id);
                    sent.extend(expected);
                }
            }
            if let Some(r) = s.revival_at.as_deref().map(local) {
                assert!(s.won && r < at + Duration::days(i64::from(w.window_days)), "{}: won back in time", truth.id);
                assert_eq!(next, Some(r), "{}: the won-back order is the next", truth.id);
                revived += 1;
            }
            silences += 1;
        }
        delivered += sent.len();
        assert_eq!(messages, sent, "{}: a message for each delivery, no other", truth.id);
    }
    assert!(
        silences > 1000 && delivered > 700 && revived > 80,
        "{silences} silences, {delivered} messages, {revived} won back"
    );
}
