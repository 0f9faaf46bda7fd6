//! Snapshots of what a wrong rule is told, as a terminal shows it (`ParseError::render`: the
//! rule, a caret under the position, the message). A change of wording or position shows up in
//! review as a changed file under `tests/snapshots/`; `INSTA_UPDATE=always` rewrites them.

use insta::assert_snapshot;
use rekindle_rules::{MAX_NESTING, parse};

/// A rule that is wrong, not over a cap.
fn refused(rule: &str) -> String {
    let e = parse(rule).expect_err(rule);
    assert!(!e.over_limit, "{rule}: {e}");
    e.render(rule)
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
fn reserved_for_a_later_capability() {
    assert_snapshot!(refused("points > 100"));
}

#[test]
fn unknown_stage() {
    assert_snapshot!(refused("lifecycle = sleepy"));
}

#[test]
fn stage_in_chinese() {
    assert_snapshot!(refused("lifecycle = 流失"));
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
    assert_snapshot!(refused(r#"bought "草莓" within 30天"#));
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
fn full_width_parentheses() {
    assert_snapshot!(refused("spend（30d）>= ¥200"));
}

#[test]
fn full_width_digit() {
    assert_snapshot!(refused("orders >= ３"));
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
