//! The columnar selection is exactly the rows where `Rule::matches` holds: random rules over
//! random people at random moments, edge values included.

use chrono::{DateTime, Duration, TimeZone, Utc};
use proptest::prelude::*;
use serde_json::{Value, json};

use rekindle_core::lifecycle::{Stage, Tier};
use rekindle_core::loyalty::Expiring;
use rekindle_core::money::Amounts;
use rekindle_core::outreach::ChannelKind;
use rekindle_core::profile::{Profile, ProfileEvent};
use rekindle_core::rfm::Rfm;
use rekindle_core::scores::{Risk, RunOut, Scores};

use super::{Columns, Compiled};
use crate::ast::{DidWhen, Metric, Op, RfmAxis, Rule, Session};
use crate::{PointsFacts, ProductTags, Sessions, Subject, parse};

fn base() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 6, 1, 12, 0, 0).unwrap()
}

/// A person as the test draws them: events, then what is decided beside the profile.
#[derive(Debug, Clone)]
struct Person {
    events: Vec<(DateTime<Utc>, &'static str, Value)>,
    stage: Stage,
    tier: Tier,
    rfm: Rfm,
    tags: Vec<String>,
    points: Option<PointsFacts>,
    level: u32,
    to_next_level: Option<i64>,
    scores: Option<Scores>,
    invited: u32,
    invited_by: bool,
}

const NAMES: [&str; 4] = ["a", "b", "fruit", "s1"];

/// A time on a grid of hours back from the base (so windows and days fall on boundaries),
/// sometimes off it by milliseconds, rarely before any time a column holds.
fn time() -> impl Strategy<Value = DateTime<Utc>> {
    prop_oneof![
        8 => (0i64..24 * 120).prop_map(|h| base() - Duration::hours(h)),
        2 => (0i64..24 * 120, 0i64..2000).prop_map(|(h, ms)| base() - Duration::hours(h) + Duration::milliseconds(ms - 1000)),
        1 => Just(Utc.with_ymd_and_hms(1601, 1, 1, 0, 0, 0).unwrap()),
    ]
}

fn event() -> impl Strategy<Value = (DateTime<Utc>, &'static str, Value)> {
    let id = 0u8..4;
    let name = prop::sample::select(NAMES.to_vec());
    (time(), 0u8..10, id, name, 0i64..5000, any::<bool>()).prop_map(|(at, kind, id, what, n, flag)| {
        let (event, props) = match kind {
            0 | 1 => (
                "Order Completed",
                json!({"order_id": format!("o{id}"), "revenue": n, "products": [{"sku": what, "category": if flag {"fruit"} else {"rice"}, "name": format!("{what} 500g")}], "session_id": if flag {Value::from("s1")} else {Value::Null}}),
            ),
            2 => ("Order Refunded", json!({"order_id": format!("o{id}"), "amount": n / 3})),
            3 => ("Live Watched", json!({"session_id": format!("s{id}"), "seconds": n})),
            4 => ("Live Entered", json!({"session_id": format!("s{id}")})),
            5 => ("Live Commented", json!({"comment_id": format!("c{id}"), "is_question": flag})),
            6 => ("Live Replied", json!({"comment_id": format!("c{id}")})),
            7 => (if flag { "Ticket Opened" } else { "Ticket Resolved" }, json!({"ticket_id": format!("t{id}")})),
            8 => (if flag { "Contact Added" } else { "Contact Removed" }, json!({"staff_id": format!("g{}", id % 2)})),
            _ => (if flag { "Live Shared" } else { "Page Viewed" }, json!({})),
        };
        (at, event, props)
    })
}

fn person() -> impl Strategy<Value = Person> {
    let scores = (prop_oneof![Just(f64::NAN), 0.0f64..1.0, Just(0.3)], 0i64..100_000, 0usize..3, 0i64..10).prop_map(
        |(p_alive, clv_fen, risk, days)| Scores {
            p_alive,
            expected_orders_30d: 0.5,
            clv_fen,
            churn_risk: [Risk::Low, Risk::Medium, Risk::High][risk],
            run_outs: vec![RunOut {
                category: "fruit".into(),
                at: base() + Duration::days(days),
                low: base(),
                high: base() + Duration::days(days + 1),
            }],
            next_category: None,
        },
    );
    let points = (0i64..2000, 0i64..200, 0i64..40).prop_map(|(balance, expiring, days)| PointsFacts {
        balance,
        growth: balance,
        expiring: vec![Expiring { at: base() + Duration::days(days), points: expiring }],
    });
    (
        prop::collection::vec(event(), 0..8),
        (0usize..6, 0usize..3, 0u8..6, 0u8..6, 0u8..6),
        prop::collection::btree_set(prop::sample::select(vec!["vip".to_string(), "a".to_string()]), 0..3),
        (prop::option::of(points), 1u32..5, prop::option::of(-5i64..2000)),
        (prop::option::of(scores), 0u32..4, any::<bool>()),
    )
        .prop_map(
            |(events, (stage, tier, r, f, m), tags, (points, level, to_next_level), (scores, invited, invited_by))| {
                Person {
                    events,
                    stage: Stage::ALL[stage],
                    tier: [Tier::High, Tier::Potential, Tier::Edge][tier],
                    rfm: Rfm { r, f, m },
                    tags: tags.into_iter().collect(),
                    points,
                    level,
                    to_next_level,
                    scores,
                    invited,
                    invited_by,
                }
            },
        )
}

fn fold(p: &Person) -> Profile {
    let mut profile = Profile::default();
    for (at, name, props) in &p.events {
        profile.apply(ProfileEvent { at: *at, name, properties: props, amounts: Amounts::LEGACY });
    }
    profile
}

fn duration() -> impl Strategy<Value = Duration> {
    prop_oneof![
        (0i64..130).prop_map(Duration::days),
        (0i64..24 * 130).prop_map(Duration::hours),
        (0i64..100_000).prop_map(Duration::seconds),
    ]
}

fn text() -> impl Strategy<Value = String> {
    prop::sample::select(NAMES.iter().map(|s| s.to_string()).chain(["vip".to_string()]).collect::<Vec<_>>())
}

fn session() -> impl Strategy<Value = Session> {
    prop_oneof![text().prop_map(Session::Id), Just(Session::Latest)]
}

fn metric() -> impl Strategy<Value = Metric> {
    prop_oneof![
        Just(Metric::Orders),
        prop::option::of(duration()).prop_map(Metric::Spend),
        Just(Metric::Aov),
        Just(Metric::DaysSinceOrder),
        Just(Metric::DaysSinceSeen),
        prop::option::of(session()).prop_map(Metric::Watched),
        prop::option::of(1u32..5).prop_map(Metric::Attended),
        prop::option::of(duration()).prop_map(Metric::QuestionWait),
        Just(Metric::Points),
        Just(Metric::Level),
        duration().prop_map(Metric::PointsExpiring),
        Just(Metric::ToNextLevel),
        Just(Metric::Comments),
        Just(Metric::Shares),
        Just(Metric::OpenTicketAge),
        Just(Metric::Categories),
        Just(Metric::Rfm(RfmAxis::Recency)),
        Just(Metric::Rfm(RfmAxis::Frequency)),
        Just(Metric::Rfm(RfmAxis::Monetary)),
        Just(Metric::PAlive),
        Just(Metric::Clv),
        Just(Metric::Invited),
    ]
}

/// Values near what people have: small counts and their halves, whole days and hours (the
/// grid times fall on), amounts, infinity and NaN.
fn value() -> impl Strategy<Value = f64> {
    prop_oneof![
        4 => (-2i32..12).prop_map(f64::from),
        2 => (0i32..260).prop_map(|n| f64::from(n) / 2.0),
        2 => (0i64..24 * 130).prop_map(|h| h as f64 / 24.0),
        2 => (0i64..24 * 130).prop_map(|h| (h * 3600) as f64),
        2 => (0i32..12_000).prop_map(f64::from),
        1 => prop::sample::select(vec![f64::INFINITY, f64::NEG_INFINITY, f64::NAN, 0.3, -0.0]),
    ]
}

fn op() -> impl Strategy<Value = Op> {
    prop::sample::select(vec![Op::Lt, Op::Le, Op::Eq, Op::Ne, Op::Ge, Op::Gt])
}

fn choice<T: Clone + std::fmt::Debug + 'static>(all: Vec<T>) -> impl Strategy<Value = (Vec<T>, bool)> {
    prop_oneof![
        (prop::sample::select(all.clone()), any::<bool>()).prop_map(|(v, negated)| (vec![v], negated)),
        prop::collection::vec(prop::sample::select(all), 2..4).prop_map(|v| (v, false)),
    ]
}

fn leaf() -> impl Strategy<Value = Rule> {
    prop_oneof![
        1 => (text(), prop::option::of(duration())).prop_map(|(what, within)| Rule::Bought { what, within }),
        1 => (text(), prop::option::of(duration())).prop_map(|(tag, within)| Rule::BoughtTagged { tag, within }),
        1 => (prop::option::of(session()), prop::option::of(duration()))
            .prop_map(|(session, within)| Rule::Watched { session, within }),
        1 => (prop::option::of(session()), prop::option::of(duration()))
            .prop_map(|(session, within)| Rule::LiveOrdered { session, within }),
        1 => choice(Stage::ALL.to_vec()).prop_map(|(stages, negated)| Rule::Lifecycle { stages, negated }),
        1 => (prop::sample::select(vec![Tier::High, Tier::Potential, Tier::Edge]), any::<bool>())
            .prop_map(|(tier, negated)| Rule::Tier { tier, negated }),
        1 => text().prop_map(|tag| Rule::Tag { tag }),
        1 => choice(vec![Risk::Low, Risk::Medium, Risk::High])
            .prop_map(|(risks, negated)| Rule::ChurnRisk { risks, negated }),
        1 => (prop::option::of(text()), duration()).prop_map(|(category, within)| Rule::Depletes { category, within }),
        1 => Just(Rule::InvitedBy),
        1 => prop::option::of(prop::sample::select(vec!["g0".to_string(), "g1".to_string()]))
            .prop_map(|staff| Rule::WecomFriend { staff }),
        1 => text().prop_map(|event| Rule::Did { event, when: DidWhen::Ever }),
        1 => Just(Rule::Reachable { channel: ChannelKind::Sms }),
        6 => (metric(), op(), value()).prop_map(|(metric, op, value)| Rule::Compare { metric, op, value }),
    ]
}

fn rule() -> impl Strategy<Value = Rule> {
    leaf().prop_recursive(4, 24, 2, |inner| {
        prop_oneof![
            (inner.clone(), inner.clone()).prop_map(|(a, b)| Rule::And(Box::new(a), Box::new(b))),
            (inner.clone(), inner.clone()).prop_map(|(a, b)| Rule::Or(Box::new(a), Box::new(b))),
            inner.prop_map(|a| Rule::Not(Box::new(a))),
        ]
    })
}

/// What a test needs to make subjects: the people folded, and the store's catalogue and sessions.
struct World {
    people: Vec<Person>,
    profiles: Vec<Profile>,
    products: ProductTags,
    sessions: Sessions,
}

impl World {
    fn new(people: Vec<Person>) -> Self {
        let profiles = people.iter().map(fold).collect();
        let products = ProductTags::new([("a".to_string(), vec!["vip".to_string(), "fruit".to_string()])]);
        let sessions = Sessions::new((0..4).map(|i| (base() - Duration::days(30 - 7 * i), format!("s{i}"))));
        World { people, profiles, products, sessions }
    }

    fn subject(&self, row: usize) -> Subject<'_> {
        let p = &self.people[row];
        Subject {
            profile: &self.profiles[row],
            stage: p.stage,
            tier: p.tier,
            rfm: p.rfm,
            tags: &p.tags,
            products: &self.products,
            sessions: &self.sessions,
            points: p.points.as_ref(),
            level: p.level,
            to_next_level: p.to_next_level,
            scores: p.scores.as_ref(),
            invited: p.invited,
            invited_by: p.invited_by,
            history: None,
            bought: None,
        }
    }

    fn columns(&self) -> Columns {
        let mut c = Columns::new();
        for row in 0..self.profiles.len() {
            c.push(&self.subject(row));
        }
        c
    }

    /// Where `Rule::matches` holds, and where the compiled rule selects.
    fn both(&self, rule: &Rule, columns: &Columns, now: DateTime<Utc>) -> (Vec<usize>, Vec<usize>) {
        let want = (0..self.profiles.len()).filter(|r| rule.matches(&self.subject(*r), now)).collect();
        let got = Compiled::new(rule).select(columns, now, |r| self.subject(r)).ones().collect();
        (want, got)
    }
}

/// Moments on the grid (where windows and days end exactly on event times) or off it.
fn moment() -> impl Strategy<Value = DateTime<Utc>> {
    prop_oneof![
        (-24i64..24 * 20).prop_map(|h| base() - Duration::hours(h)),
        (-24i64..24 * 20, 0i64..1_000_000_000)
            .prop_map(|(h, ns)| base() - Duration::hours(h) + Duration::nanoseconds(ns)),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 2000, ..ProptestConfig::default() })]

    /// Any rule over any people at any moment selects exactly the rows `Rule::matches` does.
    #[test]
    fn the_selection_is_where_the_rule_matches(people in prop::collection::vec(person(), 0..40), rule in rule(), now in moment()) {
        let world = World::new(people);
        let (want, got) = world.both(&rule, &world.columns(), now);
        prop_assert_eq!(want, got, "{:?}", rule);
    }

    /// Rows overwritten with other people answer as those people.
    #[test]
    fn set_overwrites_a_row(people in prop::collection::vec(person(), 1..30), rule in rule(), now in moment(), shift in 1usize..30) {
        let world = World::new(people);
        let n = world.profiles.len();
        let mut columns = Columns::new();
        for row in 0..n {
            columns.push(&world.subject((row + shift) % n));
        }
        for row in (0..n).rev() {
            columns.set(row, &world.subject(row));
        }
        let (want, got) = world.both(&rule, &columns, now);
        prop_assert_eq!(want, got, "{:?}", rule);
    }
}

fn one(events: Vec<(DateTime<Utc>, &'static str, Value)>) -> Person {
    Person {
        events,
        stage: Stage::Active,
        tier: Tier::Edge,
        rfm: Rfm::default(),
        tags: vec![],
        points: None,
        level: 1,
        to_next_level: None,
        scores: None,
        invited: 0,
        invited_by: false,
    }
}

fn order(days: i64, id: &str, fen: i64) -> (DateTime<Utc>, &'static str, Value) {
    (base() - Duration::days(days), "Order Completed", json!({"order_id": id, "revenue": fen}))
}

#[test]
fn boundaries_infinity_and_nan_answer_as_the_rule_does() {
    let never = one(vec![(base() - Duration::days(3), "Page Viewed", json!({}))]);
    let twice = one(vec![order(14, "o1", 5000), order(400, "o2", 7000)]);
    let mut scored = one(vec![order(1, "o1", 100)]);
    scored.scores = Some(Scores {
        p_alive: f64::NAN,
        expected_orders_30d: 0.0,
        clv_fen: 0,
        churn_risk: Risk::Low,
        run_outs: vec![],
        next_category: None,
    });
    let odd = one(vec![(Utc.with_ymd_and_hms(1500, 1, 1, 0, 0, 0).unwrap(), "Page Viewed", json!({}))]);
    let world = World::new(vec![never, twice, scored, odd]);
    let columns = world.columns();
    assert_eq!(columns.exotic().ones().collect::<Vec<_>>(), [3], "a time before 1678 is no column's");
    let now = base();
    for text in [
        "days_since_order > 14",
        "days_since_order >= 14",
        "days_since_order = 14",
        "days_since_order != 14",
        "days_since_order < 100000",
        "spend(365d) >= ¥50",
        "spend(365d) = ¥120",
        "spend(14d) >= ¥50",
        "spend(15d) >= ¥50",
        "p_alive != 0.5",
        "p_alive < 2",
        "clv >= ¥0",
        "to_next_level != 5",
        "days_since_seen > 0",
        "open_ticket_age >= 0s",
        "not watched within 30d or orders >= 2",
    ] {
        let (want, got) = world.both(&parse(text).unwrap(), &columns, now);
        assert_eq!(want, got, "{text}");
    }
    let (want, _) = world.both(&parse("days_since_order > 14").unwrap(), &columns, now);
    assert_eq!(want, [0, 3], "never ordered is infinitely long ago; 14 days is not more than 14");
}

#[test]
fn the_bench_rule_is_answered_from_columns_alone() {
    let rule = parse(
        "orders >= 2 and spend(365d) >= ¥100 and days_since_order > 14 and watched within 30d and not lifecycle = churned",
    )
    .unwrap();
    assert!(Compiled::new(&rule).is_columnar());
    assert!(!Compiled::new(&parse(r#"orders >= 2 and bought "草莓""#).unwrap()).is_columnar());
}
