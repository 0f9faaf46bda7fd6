use chrono::{DateTime, NaiveDate, Utc};
use rekindle_core::calendar::{Calendar, Grain};
use rekindle_core::lifecycle::LifecycleConfig;
use rekindle_core::money::Amounts;
use rekindle_core::profile::{Profile, ProfileEvent};
use serde_json::{Value, json};

use super::cohorts::{CohortBy, cohorts};
use super::funnel::funnel;
use super::rates::{repurchase, tickets, wake_up};
use super::*;

fn at(s: &str) -> DateTime<Utc> {
    s.parse().unwrap()
}

fn day(s: &str) -> NaiveDate {
    s.parse().unwrap()
}

/// A profile folded as the engine folds it: events applied and their local days marked.
fn person(events: &[(&str, &str, Value)]) -> Profile {
    let cal = Calendar::default();
    let mut p = Profile::default();
    for (t, name, props) in events {
        p.apply(ProfileEvent { at: at(t), name, properties: props, amounts: Amounts::LEGACY });
        p.active_on(cal.day_number(at(t)) as i32);
    }
    p
}

fn order(id: &str, fen: i64) -> Value {
    json!({"order_id": id, "revenue": fen, "products": [{"sku": "milk", "category": "乳品"}]})
}

#[test]
fn cohorts_count_local_months_and_what_each_did_after() {
    let cal = Calendar::default();
    let people = [
        // First order on Jan 31st at 23:30 Shanghai (15:30 UTC): a January buyer, back in March.
        person(&[
            ("2026-01-31T15:30:00Z", "Order Completed", order("a1", 1000)),
            ("2026-03-02T02:00:00Z", "Order Completed", order("a2", 3000)),
        ]),
        // A January buyer who only watched a live in February.
        person(&[
            ("2026-01-05T02:00:00Z", "Order Completed", order("b1", 2000)),
            ("2026-02-10T12:00:00Z", "Live Entered", json!({"session_id": "live-1"})),
        ]),
        // February's buyer; two orders that month.
        person(&[
            ("2026-02-01T02:00:00Z", "Order Completed", order("c1", 500)),
            ("2026-02-20T02:00:00Z", "Order Completed", order("c2", 500)),
        ]),
        // Never ordered: in no cohort.
        person(&[("2026-01-05T02:00:00Z", "Live Entered", json!({"session_id": "live-1"}))]),
    ];
    let window = Window { from: day("2026-01-01"), to: day("2026-03-31") };
    let m = cohorts(people.iter(), &cal, day("2026-03-15"), window, Grain::Month, CohortBy::FirstOrder);
    let jan = &m.cohorts[0];
    assert_eq!((jan.key.as_str(), jan.buyers, jan.cells.len()), ("2026-01-01", 2, 3));
    assert_eq!(jan.cells.iter().map(|c| c.ordered).collect::<Vec<_>>(), [2, 0, 1]);
    assert_eq!(jan.cells.iter().map(|c| c.active).collect::<Vec<_>>(), [2, 1, 1], "the live visit counts as active");
    assert_eq!(jan.cells.iter().map(|c| c.revenue_fen).collect::<Vec<_>>(), [3000, 0, 3000]);
    assert_eq!(jan.ltv_fen(), [1500.0, 1500.0, 3000.0]);
    let feb = &m.cohorts[1];
    assert_eq!(
        (feb.key.as_str(), feb.buyers, feb.cells[0].ordered, feb.cells[0].revenue_fen),
        ("2026-02-01", 1, 1, 1000)
    );
    assert_eq!(feb.cells.len(), 2, "March has begun, April has not");

    let by_live = cohorts(people.iter(), &cal, day("2026-03-15"), window, Grain::Month, CohortBy::FirstLive);
    let keys: Vec<_> = by_live.cohorts.iter().map(|c| (c.key.as_str(), c.buyers)).collect();
    assert_eq!(keys, [("none", 2), ("live-1", 1)]);
    // People who started in different months: period 2 has begun only for January's buyer.
    let none = &by_live.cohorts[0];
    assert_eq!(none.cells.iter().map(|c| c.eligible).collect::<Vec<_>>(), [2, 2, 1]);
}

#[test]
fn repurchase_counts_local_days_and_only_known_outcomes() {
    let cal = Calendar::default();
    let people = [
        // Back on the 7th day after (local days): within 7.
        person(&[
            ("2026-05-01T02:00:00Z", "Order Completed", order("a1", 100)),
            ("2026-05-08T15:59:00Z", "Order Completed", order("a2", 100)),
        ]),
        // Back on the 8th local day (00:30 on May 9th Shanghai is 16:30 UTC on the 8th).
        person(&[
            ("2026-05-01T02:00:00Z", "Order Completed", order("b1", 100)),
            ("2026-05-08T16:30:00Z", "Order Completed", order("b2", 100)),
        ]),
        // Twice on one day: one purchase day, no repurchase.
        person(&[
            ("2026-05-02T02:00:00Z", "Order Completed", order("c1", 100)),
            ("2026-05-02T03:00:00Z", "Order Completed", order("c2", 100)),
        ]),
        // Too recent to know.
        person(&[("2026-05-25T02:00:00Z", "Order Completed", order("d1", 100))]),
    ];
    let window = Window { from: day("2026-05-01"), to: day("2026-05-31") };
    let rows = repurchase(people.iter(), &cal, day("2026-05-28"), window, Grain::Month);
    let r = rows[0].1;
    assert_eq!((r.new_buyers, r.matured_7d, r.repurchased_7d), (4, 3, 1));
    assert_eq!((r.matured_30d, r.repurchased_30d), (0, 0), "nobody's 30 days have passed");
    assert_eq!(r.rate_30d(), None);
}

#[test]
fn wake_up_splits_touched_and_untouched() {
    let cal = Calendar::default();
    let lifecycle = LifecycleConfig::default();
    let delivered = |t: &'static str| (t, "Message Delivered", json!({"message_id": t}));
    let people = [
        // Silent 14 days after May 1st (默认: 两个周期, 至少14天); touched on the 20th, back on the 25th.
        person(&[
            ("2026-05-01T02:00:00Z", "Order Completed", order("a1", 100)),
            delivered("2026-05-20T02:00:00Z"),
            ("2026-05-25T02:00:00Z", "Order Completed", order("a2", 100)),
        ]),
        // Silent, untouched, never back.
        person(&[("2026-05-01T02:00:00Z", "Order Completed", order("b1", 100))]),
        // Back before going silent, three times; silent only after the last.
        person(&[
            ("2026-05-01T02:00:00Z", "Order Completed", order("c1", 100)),
            ("2026-05-05T02:00:00Z", "Order Completed", order("c2", 100)),
            ("2026-05-06T02:00:00Z", "Order Completed", order("c3", 100)),
            ("2026-05-07T02:00:00Z", "Order Completed", order("c4", 100)),
        ]),
    ];
    let window = Window { from: day("2026-05-01"), to: day("2026-05-31") };
    let w = wake_up(people.iter(), &cal, &lifecycle, at("2026-07-01T00:00:00Z"), window, 30);
    assert_eq!((w.touched.silent, w.touched.woke), (1, 1));
    // The third's early gaps are no silence; after May 7th + 14 days they went silent too.
    assert_eq!((w.untouched.silent, w.untouched.woke), (2, 0), "{w:?}");
    assert_eq!(w.touched.rate(), Some(1.0));
}

#[test]
fn tickets_resolved_within_48_hours() {
    let cal = Calendar::default();
    let t = |id: &str| json!({"ticket_id": id});
    let p = person(&[
        ("2026-05-01T02:00:00Z", "Ticket Opened", t("t1")),
        ("2026-05-02T02:00:00Z", "Ticket Resolved", t("t1")),
        ("2026-05-01T02:00:00Z", "Ticket Opened", t("t2")),
        ("2026-05-04T02:00:00Z", "Ticket Resolved", t("t2")),
        ("2026-05-09T02:00:00Z", "Ticket Opened", t("t3")),
    ]);
    let window = Window { from: day("2026-05-01"), to: day("2026-05-09") };
    let rows = tickets(std::iter::once(&p), &cal, at("2026-05-10T00:00:00Z"), window, Grain::Month);
    let r = rows[0].1;
    assert_eq!((r.opened, r.known, r.resolved_48h, r.still_open), (3, 2, 1, 1), "t3's 48 hours have not passed");
}

#[test]
fn the_funnel_is_nested() {
    let cal = Calendar::default();
    let people = [
        person(&[
            ("2026-05-01T02:00:00Z", "Contact Added", json!({"source": "live"})),
            ("2026-05-01T03:00:00Z", "Live Entered", json!({"session_id": "s"})),
            ("2026-05-01T04:00:00Z", "Order Completed", order("a", 100)),
            ("2026-05-01T05:00:00Z", "Live Shared", json!({"session_id": "s"})),
        ]),
        // Ordered and shared without ever being a contact: stops at 吸引.
        person(&[
            ("2026-05-02T04:00:00Z", "Order Completed", order("b", 100)),
            ("2026-05-02T05:00:00Z", "Live Shared", json!({"session_id": "s"})),
        ]),
        person(&[("2026-05-03T02:00:00Z", "Contact Added", json!({"source": "referral"}))]),
    ];
    let window = Window { from: day("2026-05-01"), to: day("2026-05-31") };
    let steps = funnel(people.iter(), &cal, window);
    assert_eq!(steps.iter().map(|s| s.people).collect::<Vec<_>>(), [3, 2, 1, 1, 1]);
    assert_eq!(steps[1].conversion, Some(2.0 / 3.0));
    assert_eq!(steps[0].conversion, None);
}

mod attribution {
    use std::collections::HashMap;

    use rekindle_core::journey::coupon_key;
    use rekindle_core::outreach::{CouponDefinition, CouponValue};
    use rekindle_core::{JourneyId, PersonId};
    use rekindle_models::experiment::Verdict;
    use rekindle_store::{CouponRecord, IssuedCoupon, JourneyEntry, JourneyTouch};

    use super::super::attribution::{Facts, Plan, attribute};
    use super::super::experiments::{ORDER_RATE, experiments};
    use super::*;

    fn entry(enrollment: i64, person: PersonId, variant: &str, t: &str) -> JourneyEntry {
        JourneyEntry { enrollment, journey: JourneyId(1), person, variant: Some(variant.into()), entered_at: at(t) }
    }

    /// A split journey with a holdout: revenue in the window per arm, the holdout's increment,
    /// coupon cost and ROI; last touch gives the order to whichever journey touched last.
    #[test]
    fn journeys_are_credited_by_holdout_and_by_last_touch() {
        let cal = Calendar::default();
        let ids: Vec<PersonId> = (0..5).map(|_| PersonId::new_v7()).collect();
        let profiles: HashMap<PersonId, Profile> = HashMap::from([
            (
                ids[0],
                person(&[
                    ("2026-02-20T02:00:00Z", "Order Completed", order("p1-before", 3000)),
                    ("2026-03-03T02:00:00Z", "Order Completed", order("p1o", 10_000)),
                    // After the 7 days: not the journey's.
                    ("2026-03-12T02:00:00Z", "Order Completed", order("p1-late", 7000)),
                ]),
            ),
            (ids[1], person(&[("2026-02-01T02:00:00Z", "Order Completed", order("p2-old", 1000))])),
            (ids[2], person(&[("2026-03-04T02:00:00Z", "Order Completed", order("p3o", 2000))])),
            (ids[3], Profile::default()),
            (ids[4], Profile::default()),
        ]);
        let facts = Facts {
            journeys: [
                (
                    JourneyId(1),
                    Plan { name: "复购提醒".into(), arms: vec![("A".into(), 0.9), ("holdout".into(), 0.1)] },
                ),
                (JourneyId(2), Plan { name: "直播预告".into(), arms: vec![] }),
            ]
            .into(),
            entries: vec![
                entry(11, ids[0], "A", "2026-03-01T02:00:00Z"),
                entry(12, ids[1], "A", "2026-03-01T02:00:00Z"),
                entry(13, ids[2], "holdout", "2026-03-01T02:00:00Z"),
                entry(14, ids[3], "holdout", "2026-03-01T02:00:00Z"),
                // Its 7 days have not passed: entered, not measured.
                entry(15, ids[4], "A", "2026-03-14T02:00:00Z"),
            ],
            touches: vec![
                JourneyTouch {
                    journey: JourneyId(1),
                    enrollment: Some(11),
                    person: ids[0],
                    at: at("2026-03-01T03:00:00Z"),
                },
                JourneyTouch {
                    journey: JourneyId(2),
                    enrollment: None,
                    person: ids[0],
                    at: at("2026-03-02T00:00:00Z"),
                },
            ],
            coupons: vec![CouponRecord {
                issue_key: coupon_key(11, 1, "gift", false),
                issued: IssuedCoupon {
                    code: "C1".into(),
                    coupon: "回归礼".into(),
                    person: ids[0],
                    issued_at: at("2026-03-01T03:00:00Z"),
                    expires_at: at("2026-03-08T03:00:00Z"),
                    redeemed_at: Some(at("2026-03-03T02:00:00Z")),
                    order_id: Some("p1o".into()),
                },
            }],
            coupon_values: HashMap::from([(
                "回归礼".to_string(),
                CouponDefinition {
                    name: "回归礼".into(),
                    title: "回归礼包".into(),
                    value: CouponValue::Amount { fen: 500 },
                    threshold_fen: 0,
                    valid_days: 7,
                    per_person_limit: 1,
                },
            )]),
            opt_outs: HashMap::from([(ids[1], vec![at("2026-03-02T00:00:00Z")])]),
            sessions: Vec::new(),
        };
        let window = Window { from: day("2026-03-01"), to: day("2026-03-15") };
        let now = at("2026-03-15T12:00:00Z");
        let a = attribute(|p| profiles.get(&p), &facts, &cal, window, 7, now);
        let [reminder, live] = &a.journeys[..] else { panic!("two journeys: {:?}", a.journeys) };
        let arm = |v: &str| reminder.arms.iter().find(|a| a.variant.as_deref() == Some(v)).unwrap();
        let (treated, holdout) = (arm("A"), arm("holdout"));
        assert_eq!(
            (treated.entered, treated.measured, treated.buyers, treated.orders, treated.revenue_fen),
            (3, 2, 1, 1, 10_000)
        );
        assert_eq!((treated.coupons_redeemed, treated.coupon_cost_fen), (1, 500));
        assert_eq!((holdout.entered, holdout.measured, holdout.buyers, holdout.revenue_fen), (2, 2, 1, 2000));
        assert_eq!(treated.outcomes.iter().filter(|o| o.opted_out).count(), 1, "the opt-out after entering");
        assert_eq!(treated.outcomes[0].pre_spend_yuan, 30.0, "spend in the 30 days before entering");
        // ¥50 a head treated against ¥10 in the holdout, over the two measured treated: ¥80.
        let inc = reminder.incremental.expect("a holdout");
        assert_eq!(inc.revenue_fen, 8000);
        assert!(inc.low_fen.unwrap() < 8000 && inc.high_fen.unwrap() > 8000);
        assert_eq!((reminder.coupon_cost_fen, reminder.roi), (500, Some(16.0)));
        // The live reminder touched last before the order: last touch gives it the ¥100.
        assert_eq!((reminder.last_touch_orders, live.last_touch_orders), (0, 1));
        assert_eq!(live.last_touch_revenue_fen, 10_000);
        assert!(live.arms.is_empty() && live.incremental.is_none());

        let e = experiments(&a, &facts);
        let [exp] = &e.experiments[..] else { panic!("one split journey") };
        let [cmp] = &exp.comparisons[..] else { panic!("A against the holdout") };
        assert_eq!((cmp.variant.as_str(), cmp.control.as_str(), cmp.units), ("A", "holdout", [2, 2]));
        let rate = cmp.readout.metrics.iter().find(|m| m.name == ORDER_RATE).unwrap();
        assert_eq!(rate.verdict, Verdict::TooSmall, "two people a side say nothing");
        assert!(cmp.readout.sample_ratio.is_some(), "the plan's shares are checked");
        let table = e.table();
        assert_eq!(table.rows.len(), 5, "four metrics, the CUPED one twice: {:?}", table.rows);
    }
}
