//! Rules written in Chinese: every Chinese word is an exact synonym of an English one, so a
//! Chinese rule parses to the same rule as its English twin; and every rule prints in either
//! language and reads back as itself.

use chrono::Duration;
use proptest::prelude::*;

use rekindle_core::lifecycle::{Stage, Tier};
use rekindle_core::scores::Risk;
use rekindle_rules::ast::{Metric, Op, RfmAxis, Session};
use rekindle_rules::{Expected, Found, Lang, Rule, parse};

fn same(zh: &str, en: &str) {
    let a = parse(zh).unwrap_or_else(|e| panic!("{zh}: {}", e.message(Lang::ZhCn)));
    let b = parse(en).unwrap_or_else(|e| panic!("{en}: {e}"));
    assert_eq!(a, b, "{zh} ≡ {en}");
}

#[test]
fn chinese_rules_mean_their_english_twins() {
    same("生命周期 = 沉默 且 分层 = 高价值", "lifecycle = silent and tier = high");
    same(r#"买过 "草莓" 近 30天 且 非 买过 "荔枝""#, r#"bought "草莓" within 30d and not bought "荔枝""#);
    same("消费(365天) >= ¥2000 或 订单数 > 3", "spend(365d) >= ¥2000 or orders > 3");
    same("生命周期 属于 (沉默，流失)", "lifecycle in (silent, churned)");
    same("预计用完 近 5天", "depletes within 5d");
    same(r#"买过 带标签 "large_pack" 最近 90天"#, r#"bought tagged "large_pack" within 90d"#);
    same(r#"购买过 草莓 并且 不是 观看 近 7天"#, r#"bought 草莓 and not watched within 7d"#);
    same(r#"看过 "live-0501" >= 30分钟 或者 标签 "vip""#, r#"watched "live-0501" >= 30m or tag "vip""#);
    same("流失风险 属于 (中风险, 高) 且 存活概率 < 0.3", "churn_risk in (medium, high) and p_alive < 0.3");
    same("流失风险 = 低", "churn_risk = low");
    same("分层 != 潜力", "tier != potential");
    same("生命周期 = 潜客 或 生命周期 = 潜在客户", "lifecycle = prospect or lifecycle = prospect");
    same("生命周期 属于 (新客, 活跃, 回流) 且 分层 = 边缘", "lifecycle in (new, active, reactivated) and tier = edge");
    same("客单价 >= 58.5元 且 预测价值 > ¥500", "aov >= ¥58.5 and clv > ¥500");
    same("消费额 > ¥1", "spend > ¥1");
    same("距上次下单天数 > 30 且 距上次出现天数 <= 7", "days_since_order > 30 and days_since_seen <= 7");
    same("评论数 >= 3 或 分享数 >= 1 或 品类数 >= 2", "comments >= 3 or shares >= 1 or categories >= 2");
    same("工单未结时长 > 48小时", "open_ticket_age > 48h");
    same("R值 <= 2 且 F值 >= 4 且 M值 = 4", "rfm_r <= 2 and rfm_f >= 4 and rfm_m = 4");
    same("看过 >= 90秒 或 看过 >= 2分", "watched >= 90s or watched >= 2m");
    same(r#"没买过 "荔枝""#, r#"not bought "荔枝""#);
    same(r#"预计用完 "谷物" 近 3天"#, r#"depletes "谷物" within 3d"#);
    same(
        "看过 最近一场 >= 20分钟 且 没有 直播下单 上一场",
        "watched latest_session >= 20m and not live_ordered latest_session",
    );
    same(r#"直播下单 "live-0501" 或 直播下单 近 7天"#, r#"live_ordered "live-0501" or live_ordered within 7d"#);
    same("到场场次(5) >= 3 且 到场场次 > 10", "attended(5) >= 3 and attended > 10");
    same("提问等待(1天) > 30秒 或 提问等待 >= 2分钟", "question_wait(1d) > 30s or question_wait >= 2m");
    same("看过最近一场近30天", "watched latest_session within 30d");
    same("积分 >= 500 且 会员等级 >= L3", "points >= 500 and level >= 3");
    same("积分 将过期 近 30天", "points_expiring(30d) > 0");
    same("将过期积分(7天) > 0 或 等级 = 1", "points expiring within 7d or level = L1");
}

#[test]
fn chinese_and_english_mix_in_one_rule() {
    same("lifecycle = 沉默 且 tier = high", "lifecycle = silent and tier = high");
    same(r#"买过 "草莓" within 30d or 订单数 > 3"#, r#"bought "草莓" within 30d or orders > 3"#);
    same("spend(30天) >= ¥20", "spend(30d) >= ¥20");
    same("days_since_order > 30天", "days_since_order > 30");
}

#[test]
fn chinese_needs_no_spaces() {
    same("生命周期=沉默且分层=高价值", "lifecycle = silent and tier = high");
    same(r#"买过"草莓"近30天且非买过"荔枝""#, r#"bought "草莓" within 30d and not bought "荔枝""#);
    same("消费(365天)>=¥2000或订单数>3", "spend(365d) >= ¥2000 or orders > 3");
    same("生命周期属于(沉默、流失)", "lifecycle in (silent, churned)");
    same("预计用完近5天", "depletes within 5d");
    same("订单数>3且分层=高价值", "orders > 3 and tier = high");
    same("买过草莓近30天", "bought 草莓 within 30d");
    same("买过带标签大包装", "bought tagged 大包装");
}

#[test]
fn full_width_punctuation_reads_as_ascii() {
    same("消费（30天）＞＝￥２００ 或 订单数 ＞ ３", "spend(30d) >= ¥200 or orders > 3");
    same("生命周期 属于 （沉默，流失）", "lifecycle in (silent, churned)");
    same("分层 ！＝ 高价值 且 订单数 ＜＝ １ 且 评论数 ＝ ０", "tier != high and orders <= 1 and comments = 0");
    same("订单数 ≥ 3 且 评论数 ≤ 1 且 分享数 ≠ 0", "orders >= 3 and comments <= 1 and shares != 0");
    same("客单价 >= １９．９元", "aov >= 19.9元");
    // Inside quotes, text is kept as written.
    assert_eq!(parse("标签 \"（大包装）\"").unwrap(), Rule::Tag { tag: "（大包装）".into() });
}

#[test]
fn keywords_split_unquoted_words_and_quotes_keep_a_name_whole() {
    // `且` ends the name: the rule then ends too soon.
    let e = parse("买过 草莓且").unwrap_err();
    assert_eq!((e.position, e.expected, e.found), (6, Expected::Condition, Found::End));
    same("买过 草莓且订单数>1", "bought 草莓 and orders > 1");
    // A name that contains a keyword is split at it, and refused with a hint to quote it.
    let e = parse("买过 非转基因大豆油").unwrap_err();
    assert_eq!((e.position, &e.expected, &e.found), (3, &Expected::Product, &Found::Keyword("非".into())));
    assert!(e.message(Lang::ZhCn).contains("请整个加引号"), "{}", e.message(Lang::ZhCn));
    assert_eq!(
        parse(r#"买过 "非转基因大豆油""#).unwrap(),
        Rule::Bought { what: "非转基因大豆油".into(), within: None }
    );
    let e = parse("买过 附近好物").unwrap_err();
    assert_eq!((e.position, e.found), (5, Found::Word("好物".into())), "`近` splits 附近");
    // English keywords never split a word: they are separated by spaces or punctuation.
    assert_eq!(parse("bought sandor").unwrap(), Rule::Bought { what: "sandor".into(), within: None });
    // English stays as it was: an unquoted English keyword is still a name where a name is due.
    assert_eq!(parse("bought not").unwrap(), Rule::Bought { what: "not".into(), within: None });
}

#[test]
fn units_follow_the_number_at_once() {
    assert_eq!(parse("预计用完 近 30天").unwrap(), Rule::Depletes { category: None, within: Duration::days(30) });
    assert_eq!(parse("预计用完 近 2小时").unwrap(), parse("depletes within 2h").unwrap());
    assert_eq!(parse("预计用完 近 2分钟").unwrap(), parse("depletes within 2m").unwrap());
    let e = parse("预计用完 近 30 天").unwrap_err();
    assert_eq!((e.position, e.expected, e.found), (7, Expected::Duration, Found::Number("30".into())));
    let e = parse("预计用完 近 30周").unwrap_err();
    assert_eq!((e.position, e.expected, e.found), (9, Expected::Unit, Found::Word("周".into())));
    let e = parse("depletes within 30days").unwrap_err();
    assert_eq!((e.position, e.found), (18, Found::Word("days".into())));
}

#[test]
fn values_are_the_consoles_words() {
    let stages = [
        ("潜在客户", Stage::Prospect),
        ("潜客", Stage::Prospect),
        ("新客", Stage::New),
        ("活跃", Stage::Active),
        ("沉默", Stage::Silent),
        ("流失", Stage::Churned),
        ("回流", Stage::Reactivated),
    ];
    for (word, stage) in stages {
        assert_eq!(
            parse(&format!("生命周期 = {word}")).unwrap(),
            Rule::Lifecycle { stages: vec![stage], negated: false }
        );
    }
    for (word, tier) in [("高价值", Tier::High), ("潜力", Tier::Potential), ("边缘", Tier::Edge)] {
        assert_eq!(parse(&format!("分层 != {word}")).unwrap(), Rule::Tier { tier, negated: true });
    }
    for (word, risk) in [
        ("低", Risk::Low),
        ("低风险", Risk::Low),
        ("中", Risk::Medium),
        ("中风险", Risk::Medium),
        ("高", Risk::High),
        ("高风险", Risk::High),
    ] {
        assert_eq!(
            parse(&format!("流失风险 = {word}")).unwrap(),
            Rule::ChurnRisk { risks: vec![risk], negated: false }
        );
    }
}

#[test]
fn messages_count_from_one_in_either_language() {
    let e = parse("spend >= 2000").unwrap_err();
    assert_eq!(e.position, 9);
    assert_eq!(e.message(Lang::En), "at character 10: expected an amount like ¥2000 or 2000元, found the number 2000");
    assert_eq!(e.to_string(), e.message(Lang::En));
    assert_eq!(e.message(Lang::ZhCn), "第 10 个字符处：应为金额（如 ¥2000 或 2000元），却是数字 2000");
}

#[test]
fn the_printer_writes_what_the_parser_reads() {
    let rule = parse(r#"lifecycle = silent and tier = high and not bought "荔枝" within 30d"#).unwrap();
    assert_eq!(rule.to_text(Lang::En), r#"lifecycle = silent and tier = high and not bought "荔枝" within 30d"#);
    assert_eq!(rule.to_text(Lang::ZhCn), r#"生命周期 = 沉默 且 分层 = 高价值 且 非 买过 "荔枝" 近 30天"#);
    let rule = parse("(orders > 3 or spend(365d) >= ¥2000.5) and lifecycle in (silent, churned)").unwrap();
    assert_eq!(rule.to_text(Lang::ZhCn), "(订单数 > 3 或 消费(365天) >= ¥2000.5) 且 生命周期 属于 (沉默、流失)");
    assert_eq!(rule.to_text(Lang::En), "(orders > 3 or spend(365d) >= ¥2000.5) and lifecycle in (silent, churned)");
    assert_eq!(parse("open_ticket_age > 1.5d").unwrap().to_text(Lang::ZhCn), "工单未结时长 > 36小时");
}

fn duration() -> impl Strategy<Value = Duration> {
    (0i64..400, prop::sample::select(vec![1i64, 60, 3_600, 86_400])).prop_map(|(n, unit)| Duration::seconds(n * unit))
}

fn name() -> impl Strategy<Value = String> {
    // Keywords in either language inside quotes stay part of the name.
    "[a-z0-9_ 草莓荔枝非且近或沉默and-]{0,8}"
}

fn session() -> impl Strategy<Value = Session> {
    prop_oneof![name().prop_map(Session::Id), Just(Session::Latest)]
}

fn metric() -> impl Strategy<Value = Metric> {
    prop_oneof![
        Just(Metric::Orders),
        prop::option::of(duration()).prop_map(Metric::Spend),
        Just(Metric::Aov),
        Just(Metric::DaysSinceOrder),
        Just(Metric::DaysSinceSeen),
        prop::option::of(session()).prop_map(Metric::Watched),
        prop::option::of(1u32..=1000).prop_map(Metric::Attended),
        prop::option::of(duration()).prop_map(Metric::QuestionWait),
        Just(Metric::Points),
        Just(Metric::Level),
        duration().prop_map(Metric::PointsExpiring),
        Just(Metric::Comments),
        Just(Metric::Shares),
        Just(Metric::OpenTicketAge),
        Just(Metric::Categories),
        Just(Metric::Rfm(RfmAxis::Recency)),
        Just(Metric::Rfm(RfmAxis::Frequency)),
        Just(Metric::Rfm(RfmAxis::Monetary)),
        Just(Metric::PAlive),
        Just(Metric::Clv),
    ]
}

fn op() -> impl Strategy<Value = Op> {
    prop::sample::select(vec![Op::Lt, Op::Le, Op::Eq, Op::Ne, Op::Ge, Op::Gt])
}

fn compare() -> impl Strategy<Value = Rule> {
    (metric(), op(), 0u32..2_000_000, duration()).prop_map(|(metric, op, n, d)| {
        let value = match metric.unit() {
            _ if metric == Metric::Level => f64::from(1 + n % 99),
            rekindle_rules::ast::Unit::Money => f64::from(n),
            rekindle_rules::ast::Unit::Duration => d.num_seconds() as f64,
            _ if n % 2 == 0 => f64::from(n / 1000),
            _ => f64::from(n) / 100.0,
        };
        Rule::Compare { metric, op, value }
    })
}

/// A choice of one value (`=` or `!=`) or of several (`in`), as the parser returns them.
fn choice<T: Clone + std::fmt::Debug + 'static>(all: Vec<T>) -> impl Strategy<Value = (Vec<T>, bool)> {
    prop_oneof![
        (prop::sample::select(all.clone()), any::<bool>()).prop_map(|(v, negated)| (vec![v], negated)),
        prop::collection::vec(prop::sample::select(all), 2..4).prop_map(|v| (v, false)),
    ]
}

fn leaf() -> impl Strategy<Value = Rule> {
    prop_oneof![
        (name(), prop::option::of(duration())).prop_map(|(what, within)| Rule::Bought { what, within }),
        (name(), prop::option::of(duration())).prop_map(|(tag, within)| Rule::BoughtTagged { tag, within }),
        (prop::option::of(session()), prop::option::of(duration()))
            .prop_map(|(session, within)| Rule::Watched { session, within }),
        (prop::option::of(session()), prop::option::of(duration()))
            .prop_map(|(session, within)| Rule::LiveOrdered { session, within }),
        choice(Stage::ALL.to_vec()).prop_map(|(stages, negated)| Rule::Lifecycle { stages, negated }),
        (prop::sample::select(vec![Tier::High, Tier::Potential, Tier::Edge]), any::<bool>())
            .prop_map(|(tier, negated)| Rule::Tier { tier, negated }),
        name().prop_map(|tag| Rule::Tag { tag }),
        choice(vec![Risk::Low, Risk::Medium, Risk::High])
            .prop_map(|(risks, negated)| Rule::ChurnRisk { risks, negated }),
        (prop::option::of(name()), duration()).prop_map(|(category, within)| Rule::Depletes { category, within }),
        compare(),
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

/// Spaces dropped outside quotes: Chinese is written without them.
fn without_spaces(text: &str) -> String {
    let mut quoted = false;
    text.chars()
        .filter(|c| {
            if *c == '"' {
                quoted = !quoted;
            }
            quoted || *c != ' '
        })
        .collect()
}

proptest! {
    /// Any rule, printed in English or in Chinese (with or without spaces), parses back as
    /// itself: the Chinese words are exact synonyms of the English ones.
    #[test]
    fn every_rule_round_trips_in_both_languages(rule in rule()) {
        let en = rule.to_text(Lang::En);
        prop_assert_eq!(parse(&en).map_err(|e| e.to_string()), Ok(rule.clone()), "{}", en);
        let zh = rule.to_text(Lang::ZhCn);
        prop_assert_eq!(parse(&zh).map_err(|e| e.message(Lang::ZhCn)), Ok(rule.clone()), "{}", zh);
        let tight = without_spaces(&zh);
        prop_assert_eq!(parse(&tight).map_err(|e| e.message(Lang::ZhCn)), Ok(rule), "{}", tight);
    }
}
