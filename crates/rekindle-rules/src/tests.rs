use chrono::{Duration, TimeZone, Utc};
use proptest::prelude::*;
use serde_json::json;

use rekindle_core::lifecycle::{Stage, Tier};
use rekindle_core::money::Amounts;
use rekindle_core::profile::{Profile, ProfileEvent};
use rekindle_core::rfm::Rfm;

use super::ast::{Metric, Op};
use super::*;

fn now() -> chrono::DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 6, 1, 12, 0, 0).unwrap()
}

fn ago(days: i64) -> chrono::DateTime<Utc> {
    now() - Duration::days(days)
}

/// The examples of DESIGN.md (Capabilities 5) that need no later capability.
const EXAMPLES: [&str; 6] = [
    r#"bought "草莓" and not bought "草莓" within 30d"#,
    "watched within 30d and orders = 0",
    "lifecycle = silent and tier = high",
    "spend(365d) >= ¥2000",
    r#"watched "live-0501" >= 30m"#,
    "open_ticket_age > 48h",
];

#[test]
fn every_example_parses() {
    for e in EXAMPLES {
        parse(e).unwrap_or_else(|err| panic!("{e}: {err}"));
    }
    assert_eq!(
        parse("spend(365d) >= ¥2000").unwrap(),
        Rule::Compare { metric: Metric::Spend(Some(Duration::days(365))), op: Op::Ge, value: 200_000.0 }
    );
    assert_eq!(
        parse("lifecycle in (silent, churned)").unwrap(),
        Rule::Lifecycle { stages: vec![Stage::Silent, Stage::Churned], negated: false }
    );
    assert_eq!(parse("aov >= 58.5元").unwrap(), parse("aov >= ¥58.5").unwrap());
}

#[test]
fn errors_say_where_and_what_was_expected() {
    let cases = [
        ("spend >= 2000", 9, Expected::Amount),
        ("bought \"草莓\" within 30", 19, Expected::Duration),
        ("lifecycle = sleepy", 12, Expected::Stage),
        ("orders >= 1 and", 15, Expected::Condition),
        ("(orders >= 1", 12, Expected::CloseParen),
        ("orders >= 1 tier = high", 12, Expected::AndOrEnd),
        ("invited > some", 10, Expected::Number),
        ("level >= gold", 9, Expected::Level),
        ("points expiring 30d", 16, Expected::WithinDuration),
        ("depletes 3d", 9, Expected::WithinDuration),
        ("churn_risk = severe", 13, Expected::Risk),
        ("spend >= ¥", 10, Expected::AmountAfterYen),
        ("bought 草莓 within 30周", 19, Expected::Unit),
        ("attended(0) > 1", 9, Expected::SessionCount),
        ("attended(2.5) > 1", 9, Expected::SessionCount),
        ("到场场次(1001) > 1", 5, Expected::SessionCount),
        ("question_wait(5) > 1m", 14, Expected::Duration),
    ];
    for (rule, position, expected) in cases {
        let e = parse(rule).expect_err(rule);
        assert_eq!((e.position, &e.expected), (position, &expected), "{rule}: {e}");
    }
}

fn profile(events: &[(i64, &str, serde_json::Value)]) -> Profile {
    let mut p = Profile::default();
    for (days, name, props) in events {
        p.apply(ProfileEvent { at: ago(*days), name, properties: props, amounts: Amounts::LEGACY });
    }
    p
}

fn strawberry(id: &str, revenue: i64) -> serde_json::Value {
    json!({"order_id": id, "revenue": revenue, "products": [{"sku": "strawberry", "name": "红颜草莓 500g", "category": "fruit"}]})
}

fn check(rule: &str, p: &Profile, stage: Stage, tier: Tier) -> bool {
    check_with(rule, p, stage, tier, Rfm::default())
}

fn check_with(rule: &str, p: &Profile, stage: Stage, tier: Tier, rfm: Rfm) -> bool {
    let tags = ["vip".to_string()];
    let products = ProductTags::new([("strawberry".to_string(), vec!["new".to_string(), "fresh".to_string()])]);
    let sessions = sessions();
    let points = PointsFacts {
        balance: 620,
        growth: 900,
        expiring: vec![rekindle_core::loyalty::Expiring { at: now() + Duration::days(20), points: 120 }],
    };
    // Buyers have a ledger; others none.
    let points = (p.order_count() > 0).then_some(&points);
    let subject = Subject {
        profile: p,
        stage,
        tier,
        rfm,
        tags: &tags,
        products: &products,
        sessions: &sessions,
        points,
        level: if points.is_some() { 2 } else { 1 },
        to_next_level: points.map(|_| 1100),
        scores: None,
        invited: 0,
        invited_by: false,
        history: None,
        bought: None,
    };
    parse(rule).unwrap().matches(&subject, now())
}

/// A new edge customer with no tags, points, predictions or invitations.
fn plain<'a>(p: &'a Profile, products: &'a ProductTags, sessions: &'a Sessions) -> Subject<'a> {
    Subject::plain(p, products, sessions)
}

/// Four sessions a week apart up to three days ago (s1 … s4), and s5 tomorrow.
fn sessions() -> Sessions {
    Sessions::new((1..=5).map(|i| (ago(31 - 7 * i), format!("s{i}"))))
}

#[test]
fn product_tags_categories_and_rfm() {
    let lapsed = profile(&[(40, "Order Completed", strawberry("o1", 300_000))]);
    assert!(check(r#"bought tagged "new""#, &lapsed, Stage::Silent, Tier::Edge));
    assert!(!check(r#"bought tagged "new" within 30d"#, &lapsed, Stage::Silent, Tier::Edge), "40 days ago");
    assert!(!check(r#"bought tagged "large_pack""#, &lapsed, Stage::Silent, Tier::Edge));
    assert!(check(r#"bought "tagged" or categories = 1"#, &lapsed, Stage::Silent, Tier::Edge), "a quoted word is text");
    let rfm = Rfm { r: 2, f: 5, m: 4 };
    assert!(check_with("rfm_r <= 2 and rfm_f >= 4 and rfm_m = 4", &lapsed, Stage::Silent, Tier::Edge, rfm));
    assert!(!check("rfm_r >= 1", &lapsed, Stage::Silent, Tier::Edge), "zeros when not scored");
}

#[test]
fn predictions() {
    use rekindle_core::scores::{Risk, RunOut, Scores};
    let p = profile(&[(40, "Order Completed", strawberry("o1", 300_000))]);
    let run_out = |category: &str, days: i64| RunOut {
        category: category.into(),
        at: now() + Duration::days(days),
        low: now(),
        high: now() + Duration::days(days + 2),
    };
    let scores = Scores {
        p_alive: 0.25,
        expected_orders_30d: 0.4,
        clv_fen: 80_000,
        churn_risk: Risk::High,
        run_outs: vec![run_out("谷物", 2), run_out("乳品", 9)],
        next_category: None,
    };
    let products = ProductTags::default();
    let with = |rule: &str, scores: Option<&Scores>| {
        let sessions = Sessions::default();
        let subject = Subject { stage: Stage::Silent, scores, ..plain(&p, &products, &sessions) };
        parse(rule).unwrap().matches(&subject, now())
    };
    assert!(with("p_alive < 0.3 and clv > ¥500", Some(&scores)), "the DESIGN.md example");
    assert!(with("depletes within 3d", Some(&scores)));
    assert!(with(r#"depletes "谷物" within 3d"#, Some(&scores)));
    assert!(!with(r#"depletes "乳品" within 3d"#, Some(&scores)), "nine days away");
    assert!(with("churn_risk = high", Some(&scores)) && with("churn_risk in (medium, high)", Some(&scores)));
    for rule in ["p_alive < 0.3", "p_alive >= 0.3", "clv != ¥1", "churn_risk != low", "depletes within 30d"] {
        assert!(!with(rule, None), "{rule}: nothing is known without a prediction");
    }
}

#[test]
fn rules_select_the_right_people() {
    let lapsed = profile(&[(40, "Order Completed", strawberry("o1", 300_000))]);
    let recent =
        profile(&[(40, "Order Completed", strawberry("o1", 1000)), (3, "Order Completed", strawberry("o2", 1000))]);
    let watcher = profile(&[(5, "Live Watched", json!({"session_id": "live-0501", "seconds": 1900}))]);
    let ticket = profile(&[(3, "Ticket Opened", json!({"ticket_id": "t1"}))]);

    let e = |i: usize| EXAMPLES[i];
    assert!(check(e(0), &lapsed, Stage::Silent, Tier::Edge));
    assert!(!check(e(0), &recent, Stage::Active, Tier::Edge), "bought strawberries 3 days ago");
    assert!(!check(e(0), &watcher, Stage::Prospect, Tier::Edge), "never bought them");
    assert!(check(e(1), &watcher, Stage::Prospect, Tier::Edge));
    assert!(!check(e(1), &recent, Stage::Active, Tier::Edge));
    assert!(check(e(2), &lapsed, Stage::Silent, Tier::High));
    assert!(!check(e(2), &lapsed, Stage::Silent, Tier::Potential));
    assert!(check(e(3), &lapsed, Stage::Silent, Tier::High), "¥3,000 40 days ago is within 365 days");
    assert!(!check(e(3), &recent, Stage::Active, Tier::Edge), "¥20 is not");
    assert!(!check("spend(30d) >= ¥2000", &lapsed, Stage::Silent, Tier::High), "but not within 30");
    assert!(check(e(4), &watcher, Stage::Prospect, Tier::Edge), "1,900 s is over 30 minutes");
    assert!(check(e(5), &ticket, Stage::Prospect, Tier::Edge));
    assert!(check(r#"tag "vip" and not tag "blocked""#, &ticket, Stage::Prospect, Tier::Edge));
    assert!(check("bought 草莓 and days_since_order > 30", &lapsed, Stage::Silent, Tier::Edge), "name parts match");
}

#[test]
fn live_behaviour_sessions_attended_orders_in_the_room_and_questions_waiting() {
    let watched = |session: &str, days: i64, seconds: i64| {
        (days, "Live Watched", json!({"session_id": session, "seconds": seconds}))
    };
    // In s2, s3 and s4 (s4 for two minutes, and left without ordering); ordered in s3.
    let fan = profile(&[
        watched("s2", 17, 3600),
        watched("s3", 10, 1800),
        (10, "Order Completed", json!({"order_id": "o1", "revenue": 50, "session_id": "s3"})),
        watched("s4", 3, 120),
        (3, "Live Commented", json!({"comment_id": "q1", "is_question": true, "session_id": "s4"})),
    ]);
    let c = |rule: &str| check(rule, &fan, Stage::Active, Tier::High);
    assert!(c("attended(3) >= 3") && !c("attended(4) >= 4") && c("attended = 3"));
    assert!(c("到场场次(2) = 2"), "s5 has not started: the latest two are s4 and s3");
    assert!(c("watched latest_session < 5m and watched latest_session"), "left s4 within five minutes");
    assert!(c(r#"watched "s3" >= 20m and live_ordered "s3""#));
    assert!(c("watched latest_session and not live_ordered latest_session"), "watched s4, ordered nothing in it");
    assert!(c("live_ordered") && !c("live_ordered within 7d"));
    assert!(c("question_wait > 2d"), "q1 has waited three days");
    assert!(!c("question_wait(1d) > 0s"), "no question in the last day");
    // Someone who never came matches no comparison on the latest session nor on questions.
    let stranger = profile(&[(3, "Order Completed", strawberry("o9", 100))]);
    let s = |rule: &str| check(rule, &stranger, Stage::New, Tier::Edge);
    assert!(s("watched latest_session < 5m"), "0 s watched is under five minutes");
    assert!(!s("watched latest_session") && !s("question_wait >= 0s") && !s("question_wait < 1h"));
    assert!(s("attended = 0"));
    // Without any session started, the latest one is nobody's.
    let none = Sessions::default();
    let tags: [String; 0] = [];
    let products = ProductTags::default();
    let subject = Subject { stage: Stage::Active, tier: Tier::High, tags: &tags, ..plain(&fan, &products, &none) };
    for rule in ["watched latest_session", "watched latest_session < 5m", "live_ordered latest_session"] {
        assert!(!parse(rule).unwrap().matches(&subject, now()), "{rule}");
    }
}

#[test]
fn points_levels_and_what_expires_soon() {
    // The helper gives buyers 620 points at L2 (1100 short of L3), 120 of them expiring in 20 days.
    let buyer = profile(&[(3, "Order Completed", strawberry("o1", 1000))]);
    let b = |rule: &str| check(rule, &buyer, Stage::Active, Tier::High);
    assert!(b("points >= 500") && b("积分 > 600") && !b("points > 620"));
    assert!(b("level >= L2") && b("level = 2") && b("会员等级 >= l2") && !b("level >= L3"));
    assert!(b("points expiring within 30d") && !b("points expiring within 7d"));
    assert!(b("积分 将过期 近 30天") && b("将过期积分(30天) >= 120"));
    assert!(b("to_next_level <= 1100") && b("距升级 > 1000") && !b("距升级 <= 300"));
    // Someone without a ledger has no points and is at the first level.
    let visitor = profile(&[(3, "Live Entered", json!({"session_id": "s1"}))]);
    let v = |rule: &str| check(rule, &visitor, Stage::Prospect, Tier::Edge);
    assert!(v("points = 0") && v("level = L1") && !v("points expiring within 365d"));
    assert!(!v("to_next_level >= 0") && !v("to_next_level < 0"), "at the top (here: unknown), no comparison holds");
}

#[test]
fn referral_terms_read_the_invitations() {
    let p = profile(&[(3, "Order Completed", strawberry("o1", 1000))]);
    let products = ProductTags::default();
    let sessions = Sessions::default();
    let with = |invited: u32, invited_by: bool, rule: &str| {
        let subject = Subject { invited, invited_by, ..plain(&p, &products, &sessions) };
        parse(rule).unwrap().matches(&subject, now())
    };
    assert!(with(2, false, "invited >= 1") && with(2, false, "邀请好友数 = 2") && !with(0, false, "邀请 >= 1"));
    assert!(with(0, true, "invited_by and orders <= 1") && with(0, true, "被邀请 且 订单数 <= 1"));
    assert!(!with(3, false, "invited_by") && with(3, false, "not invited_by"));
    // Printed in either language and read back the same.
    for text in ["被邀请 且 邀请好友数 >= 3", "invited_by and invited >= 3"] {
        let rule = parse(text).unwrap();
        for lang in [Lang::ZhCn, Lang::En] {
            assert_eq!(parse(&rule.to_text(lang)).unwrap(), rule, "{}", rule.to_text(lang));
        }
    }
    assert_eq!(parse("invited_by and invited >= 3").unwrap().to_text(Lang::ZhCn), "被邀请 且 邀请好友数 >= 3");
}

proptest! {
    /// The parser answers any text with a rule or an error inside the text; it never panics.
    #[test]
    fn any_text_parses_or_fails_cleanly(text in "[a-z0-9_ ()\"<>=!,.¥元草莓dhm且或非近天小时生命周期沉默（）＞＝，３“]{0,40}") {
        if let Err(e) = parse(&text) {
            prop_assert!(e.position <= text.chars().count());
            prop_assert!(e.render_in(&text, Lang::ZhCn).ends_with(&e.message(Lang::ZhCn)));
        }
    }
}

#[test]
fn nesting_is_capped_with_a_position() {
    let deep = |n: usize| format!("{}orders >= 1{}", "(".repeat(n), ")".repeat(n));
    assert!(parse(&deep(MAX_NESTING)).is_ok());
    let e = parse(&deep(MAX_NESTING + 1)).unwrap_err();
    assert_eq!(e.position, MAX_NESTING, "{e}");
    assert_eq!(e.expected, Expected::ShallowerNesting, "{e}");

    let nots = format!("{}orders >= 1", "not ".repeat(MAX_NESTING + 1));
    let e = parse(&nots).unwrap_err();
    assert_eq!(e.position, 4 * MAX_NESTING, "{e}");
    // `not (` counts twice: both recurse.
    assert!(parse(&format!("{}orders >= 1{}", "not (".repeat(40), ")".repeat(40))).is_err());
}

#[test]
fn deep_input_never_overflows_the_stack() {
    // What aborted the server: ~12,000 nested `not` or parentheses. Refused by the length cap
    // before the parser recurses at all, and within the cap by the nesting cap.
    for rule in [
        "not ".repeat(12_000) + "orders >= 1",
        "(".repeat(20_000) + "orders >= 1" + &")".repeat(20_000),
        "(".repeat(MAX_RULE_CHARS),
        "not ".repeat(MAX_RULE_CHARS / 4),
    ] {
        assert!(parse(&rule).is_err());
    }
}

#[test]
fn length_is_capped_for_every_rule() {
    let long = vec!["orders >= 1"; 200].join(" or ");
    assert!(long.chars().count() > MAX_RULE_CHARS);
    let e = parse(&long).unwrap_err();
    assert_eq!(e.position, MAX_RULE_CHARS);
    assert_eq!((e.expected, e.found), (Expected::ShorterRule, Found::Length(long.chars().count())));
    // Characters, not bytes: 2,000 Chinese characters in a quoted name are within the cap.
    let chinese = format!("tag \"{}\"", "草".repeat(MAX_RULE_CHARS - 6));
    assert!(parse(&chinese).is_ok());
}

#[test]
fn wecom_friend_reads_each_friendship() {
    let p = profile(&[
        (5, "Contact Added", serde_json::json!({"staff_id": "guide-1", "source": "store"})),
        (4, "Contact Added", serde_json::json!({"staff_id": "host-1", "source": "live"})),
        (3, "Contact Removed", serde_json::json!({"staff_id": "host-1", "by": "customer"})),
    ]);
    let gone = profile(&[
        (5, "Contact Added", serde_json::json!({"staff_id": "guide-1"})),
        (4, "Contact Removed", serde_json::json!({"staff_id": "guide-1", "by": "staff"})),
    ]);
    let products = ProductTags::default();
    let sessions = Sessions::default();
    let check = |p: &rekindle_core::profile::Profile, rule: &str| {
        let subject = plain(p, &products, &sessions);
        parse(rule).unwrap().matches(&subject, now())
    };
    assert!(check(&p, "wecom_friend") && check(&p, "企微好友 \"guide-1\"") && !check(&p, "wecom_friend \"host-1\""));
    assert!(!check(&gone, "企微好友") && check(&gone, "not wecom_friend"));
    for text in ["企微好友 且 订单数 >= 1", "wecom_friend \"guide-1\" or tag \"VIP\""] {
        let rule = parse(text).unwrap();
        for lang in [Lang::ZhCn, Lang::En] {
            assert_eq!(parse(&rule.to_text(lang)).unwrap(), rule, "{}", rule.to_text(lang));
        }
    }
}

#[test]
fn did_reads_the_history_a_journey_supplies() {
    let p = profile(&[]);
    let products = ProductTags::default();
    let sessions = Sessions::default();
    let clicked_at = now() - Duration::hours(30);
    let history = History {
        last: [("Message Clicked".to_string(), clicked_at)].into_iter().collect(),
        entered_at: Some(now() - Duration::hours(40)),
        reachable: vec![rekindle_core::outreach::ChannelKind::Sms],
    };
    let with = |history: Option<&History>, rule: &str| {
        let subject = Subject { history, ..plain(&p, &products, &sessions) };
        parse(rule).unwrap().matches(&subject, now())
    };
    let h = Some(&history);
    assert!(with(h, r#"did "Message Clicked" within 48h"#));
    assert!(!with(h, r#"did "Message Clicked" within 24h"#), "30 hours ago");
    assert!(with(h, r#"did "Message Clicked" since entry"#) && with(h, r#"做过 "Message Clicked" 进入后"#));
    assert!(with(h, r#"did "Message Clicked""#) && !with(h, r#"did "Order Completed""#));
    assert!(with(h, r#"做过 "Message Clicked" 近 2天 且 没有 做过 "Order Completed" 进入后"#));
    let later = History { entered_at: Some(now() - Duration::hours(10)), ..history.clone() };
    assert!(!with(Some(&later), r#"did "Message Clicked" since entry"#), "clicked before entering");
    assert!(!with(None, r#"did "Message Clicked""#), "no history (a segment): nobody did anything");
    assert!(parse(r#"did "Message Clicked" since"#).unwrap_err().to_string().contains("entry"));
    assert!(parse("did").is_err());
    for text in [r#"做过 "Message Clicked" 近 48小时"#, r#"did "Order Completed" since entry"#, r#"not did "X""#] {
        let rule = parse(text).unwrap();
        assert!(rule.uses_history());
        for lang in [Lang::ZhCn, Lang::En] {
            assert_eq!(parse(&rule.to_text(lang)).unwrap(), rule, "{}", rule.to_text(lang));
        }
    }
    assert_eq!(
        parse(r#"did "Order Completed" since entry"#).unwrap().to_text(Lang::ZhCn),
        r#"做过 "Order Completed" 进入后"#
    );
    assert!(!parse("orders >= 1").unwrap().uses_history());
    assert!(with(h, "reachable sms") && with(h, "可触达 短信") && !with(h, "reachable wecom"));
    assert!(with(h, "not 可触达 企微 and reachable sms") && !with(None, "reachable sms"));
    assert!(parse("reachable email").unwrap_err().to_string().contains("wecom, sms or miniprogram"));
    for text in ["可触达 小程序", "reachable wecom or reachable sms"] {
        let rule = parse(text).unwrap();
        assert!(rule.uses_history());
        for lang in [Lang::ZhCn, Lang::En] {
            assert_eq!(parse(&rule.to_text(lang)).unwrap(), rule, "{}", rule.to_text(lang));
        }
    }
}

#[test]
fn every_profile_figure_a_template_names_is_a_metric() {
    let figures = rekindle_core::outreach::PROFILE_VARIABLES;
    let words = ["stage", "tier", "next_category", "staff"];
    for v in figures.iter().filter(|v| !words.contains(v)) {
        assert!(ast::Metric::plain(v).is_some(), "{{{{{v}}}}} is no metric");
    }
}

/// The bought index answers as `Item::is` does: for texts interned before it was built, and
/// (by asking `Item::is`) for texts interned after.
#[test]
fn the_bought_index_names_what_item_is_names() {
    let line = |sku: &str, name: &str, category: &str| json!({"sku": sku, "name": name, "category": category});
    let before = profile(&[
        (
            3,
            "Order Completed",
            json!({"order_id": "b1", "revenue": 10, "products": [line("s-1", "红颜草莓 500g", "水果")]}),
        ),
        (2, "Order Completed", json!({"order_id": "b2", "revenue": 10, "products": [line("s-2", "阳光玫瑰", "水果")]})),
        (1, "Order Completed", json!({"order_id": "b3", "revenue": 10, "products": [line("草莓", "鲜牛奶", "乳品")]})),
    ]);
    let terms = ["草莓", "水果", "s-2", "乳品", "牛奶", "none"];
    let rules: Vec<Rule> = terms.iter().map(|t| parse(&format!("bought \"{t}\" within 30d")).unwrap()).collect();
    let index = Bought::of(&rules);
    let after = profile(&[(
        1,
        "Order Completed",
        json!({"order_id": "a1", "revenue": 10,
        "products": [line("s-9", "草莓酱 (new after the index)", "果酱")]}),
    )]);
    for p in [&before, &after] {
        for (_, order) in &p.orders {
            for item in order.items.iter() {
                for what in terms {
                    assert_eq!(index.names(what, item), item.is(what), "{what} of {:?}", item.text);
                }
            }
        }
    }
    let (products, sessions) = (ProductTags::default(), sessions());
    for (rule, p) in rules.iter().flat_map(|r| [(r, &before), (r, &after)]) {
        let indexed = Subject { bought: Some(&index), ..plain(p, &products, &sessions) };
        assert_eq!(rule.matches(&indexed, now()), rule.matches(&plain(p, &products, &sessions), now()), "{rule:?}");
    }
}
