//! The simulator is deterministic, its output is valid Segment, and the store it makes behaves
//! like the ones the seed articles describe (docs/simulator.md lists the checks).

use std::collections::{BTreeMap, HashMap};

use chrono::{DateTime, Duration, FixedOffset, NaiveDate};
use rekindle_core::Message;
use rekindle_core::message::Arrival;
use rekindle_sim::catalogue::{CATEGORIES, PRODUCTS};
use rekindle_sim::{Output, SimConfig, Simulation};
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
    let s = stats(SimConfig { people: 3000, days: 180, seed: 1, start: NaiveDate::from_ymd_opt(2026, 1, 5).unwrap() });
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
