//! Snapshots of what a wrong rule is told, as a terminal shows it (`ParseError::render`: the
//! rule, a caret under the position, the message), in English and (`zh_*`) in Chinese. A change
//! of wording or position shows up in review as a changed file under `tests/snapshots/`;
//! `INSTA_UPDATE=always` rewrites them.

use insta::assert_snapshot;
use rekindle_rules::{Lang, MAX_NESTING, parse};

/// A rule that is wrong, not over a cap.
fn refused(rule: &str) -> String {
    let e = parse(rule).expect_err(rule);
    assert!(!e.over_limit, "{rule}: {e}");
    e.render(rule)
}

/// A rule that is wrong, told in Chinese.
fn refused_zh(rule: &str) -> String {
    let e = parse(rule).expect_err(rule);
    assert!(!e.over_limit, "{rule}: {e}");
    e.render_in(rule, Lang::ZhCn)
}

/// A rule over the length or nesting cap: refused outright, even in a journey draft.
fn over_cap(rule: &str) -> String {
    let e = parse(rule).expect_err(rule);
    assert!(e.over_limit, "{e}");
    e.render(rule)
}

#[test]
fn empty_rule() {
    assert_snapshot!(refused(""));
}

#[test]
fn unknown_field() {
    assert_snapshot!(refused("vip_level > 3"));
}

#[test]
fn invited_needs_a_number() {
    assert_snapshot!(refused("invited > some"));
}

#[test]
fn unknown_stage() {
    assert_snapshot!(refused("lifecycle = sleepy"));
}

#[test]
fn tier_as_a_list() {
    assert_snapshot!(refused("tier in (high, edge)"));
}

#[test]
fn list_without_a_comma() {
    assert_snapshot!(refused("lifecycle in (silent churned)"));
}

#[test]
fn amount_without_a_currency() {
    assert_snapshot!(refused("spend >= 2000"));
}

#[test]
fn yen_without_an_amount() {
    assert_snapshot!(refused("spend >= ¥"));
}

#[test]
fn unknown_unit() {
    assert_snapshot!(refused(r#"bought "草莓" within 30周"#));
}

#[test]
fn duration_without_a_unit() {
    assert_snapshot!(refused(r#"bought "草莓" within 30"#));
}

#[test]
fn duration_in_chinese_words() {
    assert_snapshot!(refused("bought 草莓 within 三十天"));
}

#[test]
fn depletes_without_within() {
    assert_snapshot!(refused("depletes 3d"));
}

#[test]
fn unclosed_parenthesis() {
    assert_snapshot!(refused("(orders >= 1 or tier = high"));
}

#[test]
fn unclosed_quote() {
    assert_snapshot!(refused(r#"bought "草莓 within 30d"#));
}

#[test]
fn trailing_input() {
    assert_snapshot!(refused("orders >= 1 tier = high"));
}

#[test]
fn stray_closing_parenthesis() {
    assert_snapshot!(refused("orders >= 1)"));
}

#[test]
fn dangling_and() {
    assert_snapshot!(refused("orders >= 1 and"));
}

#[test]
fn lone_exclamation_mark() {
    assert_snapshot!(refused("orders ! 1"));
}

#[test]
fn unknown_character() {
    assert_snapshot!(refused("orders >= 3 & tier = high"));
}

#[test]
fn bad_unit_after_full_width_parenthesis() {
    // The caret counts `（` as two columns and `¥` as one.
    assert_snapshot!(refused("spend（30w）>= ¥200"));
}

#[test]
fn over_long_rule() {
    assert_snapshot!(over_cap(&vec!["orders >= 1"; 200].join(" or ")));
}

#[test]
fn too_many_parentheses() {
    let n = MAX_NESTING + 1;
    assert_snapshot!(over_cap(&format!("{}orders >= 1{}", "(".repeat(n), ")".repeat(n))));
}

#[test]
fn too_many_nots() {
    assert_snapshot!(over_cap(&format!("{}orders >= 1", "not ".repeat(MAX_NESTING + 1))));
}

#[test]
fn zh_empty_rule() {
    assert_snapshot!(refused_zh(""));
}

#[test]
fn zh_unknown_field() {
    assert_snapshot!(refused_zh("粉丝数 > 3"));
}

#[test]
fn zh_invited_needs_a_number() {
    assert_snapshot!(refused_zh("邀请好友数 > 很多"));
}

#[test]
fn zh_unknown_stage() {
    assert_snapshot!(refused_zh("生命周期 = 睡着"));
}

#[test]
fn zh_tier_as_a_list() {
    assert_snapshot!(refused_zh("分层 属于 （高价值，潜力）"));
}

#[test]
fn zh_list_without_a_comma() {
    assert_snapshot!(refused_zh("生命周期 属于 (沉默 流失)"));
}

#[test]
fn zh_amount_without_a_currency() {
    assert_snapshot!(refused_zh("消费 >= 2000"));
}

#[test]
fn zh_yen_without_an_amount() {
    assert_snapshot!(refused_zh("消费(30天) >= ￥"));
}

#[test]
fn zh_unknown_unit() {
    assert_snapshot!(refused_zh(r#"买过 "草莓" 近 30周"#));
}

#[test]
fn zh_space_before_the_unit() {
    assert_snapshot!(refused_zh(r#"买过 "草莓" 近 30 天"#));
}

#[test]
fn zh_duration_in_chinese_words() {
    assert_snapshot!(refused_zh("买过 草莓 近 三十天"));
}

#[test]
fn zh_depletes_without_within() {
    assert_snapshot!(refused_zh("预计用完 3天"));
}

#[test]
fn zh_unclosed_parenthesis() {
    assert_snapshot!(refused_zh("（订单数 >= 1 或 分层 = 高价值"));
}

#[test]
fn zh_unclosed_quote() {
    assert_snapshot!(refused_zh("买过 “草莓 近 30天"));
}

#[test]
fn zh_trailing_input() {
    assert_snapshot!(refused_zh("订单数 >= 1 分层 = 高价值"));
}

#[test]
fn zh_dangling_and() {
    assert_snapshot!(refused_zh("订单数 >= 1 且"));
}

#[test]
fn zh_keyword_inside_an_unquoted_name() {
    assert_snapshot!(refused_zh("买过 非转基因大豆油"));
}

#[test]
fn zh_unknown_character() {
    assert_snapshot!(refused_zh("订单数 >= 3 & 分层 = 高价值"));
}

#[test]
fn zh_too_many_nots() {
    let e = parse(&format!("{}订单数 >= 1", "非".repeat(MAX_NESTING + 1))).unwrap_err();
    assert!(e.over_limit);
    assert_snapshot!(e.message(Lang::ZhCn));
}

#[test]
fn zh_over_long_rule() {
    let e = parse(&vec!["订单数 >= 1"; 300].join(" 或 ")).unwrap_err();
    assert!(e.over_limit);
    assert_snapshot!(e.message(Lang::ZhCn));
}
