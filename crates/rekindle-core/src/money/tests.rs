use super::*;
use proptest::prelude::*;
use serde_json::json;

fn yuan(v: Value) -> Result<i64, MoneyError> {
    Fen::from_yuan(&v).map(Fen::get)
}

#[test]
fn numbers_and_strings_are_yuan_converted_exactly() {
    assert_eq!(yuan(json!(128.8)), Ok(12880));
    assert_eq!(yuan(json!(68.8)), Ok(6880));
    assert_eq!(yuan(json!("59.90")), Ok(5990));
    assert_eq!(yuan(json!(" 59.9 ")), Ok(5990));
    assert_eq!(yuan(json!(5990)), Ok(599_000));
    assert_eq!(yuan(json!(0.1)), Ok(10));
    assert_eq!(yuan(json!(0.1 + 0.2)), Ok(30), "0.30000000000000004 is 30 fen");
    assert_eq!(yuan(json!(3.0 * 19.9)), Ok(5970), "59.699999999999996 is 5970 fen");
    assert_eq!(yuan(json!(1e-7)), Ok(0));
    assert_eq!(yuan(json!("-0.00")), Ok(0));
    assert_eq!(yuan(json!(10_000_000)), Ok(MAX_FEN));
}

#[test]
fn past_the_fen_rounds_half_to_even() {
    assert_eq!(yuan(json!("59.905")), Ok(5990));
    assert_eq!(yuan(json!("59.915")), Ok(5992));
    assert_eq!(yuan(json!("59.9051")), Ok(5991));
    assert_eq!(yuan(json!("59.9049999")), Ok(5990));
    assert_eq!(yuan(json!("9999999.999")), Ok(MAX_FEN));
    assert_eq!(yuan(json!("10000000.005")), Ok(MAX_FEN), "half to even stays at the bound");
    assert_eq!(yuan(json!("10000000.006")), Err(MoneyError::TooLarge));
}

#[test]
fn what_is_not_an_amount_is_refused() {
    for v in [
        json!("abc"),
        json!("128.80元"),
        json!("¥12"),
        json!("1e3"),
        json!("1,000"),
        json!(""),
        json!("."),
        json!("5."),
        json!(".5"),
        json!("NaN"),
        json!("inf"),
        json!(true),
        json!({}),
        json!([]),
        json!(null),
        json!("1".repeat(65)),
    ] {
        assert_eq!(yuan(v.clone()), Err(MoneyError::NotAnAmount), "{v}");
    }
    assert_eq!(yuan(json!(-1)), Err(MoneyError::Negative));
    assert_eq!(yuan(json!(-0.01)), Err(MoneyError::Negative));
    assert_eq!(yuan(json!("-5")), Err(MoneyError::Negative));
    assert_eq!(yuan(json!(1e308)), Err(MoneyError::TooLarge));
    assert_eq!(yuan(json!(u64::MAX)), Err(MoneyError::TooLarge));
    assert_eq!(yuan(json!(i64::MAX)), Err(MoneyError::TooLarge));
    assert_eq!(yuan(json!("99999999999999999999999")), Err(MoneyError::TooLarge));
    assert_eq!(yuan(json!(10_000_001)), Err(MoneyError::TooLarge));
}

#[test]
fn legacy_amounts_are_fen_clamped_to_the_bounds() {
    assert_eq!(Fen::legacy(Some(&json!(5990))).get(), 5990);
    assert_eq!(Fen::legacy(Some(&json!(59.6))).get(), 60);
    assert_eq!(Fen::legacy(Some(&json!(1e308))).get(), MAX_FEN);
    assert_eq!(Fen::legacy(Some(&json!(-5))).get(), 0);
    assert_eq!(Fen::legacy(Some(&json!("59.90"))).get(), 0);
    assert_eq!(Fen::legacy(None).get(), 0);
}

#[test]
fn stored_amounts_read_the_annotation_or_else_legacy_fen() {
    let new = json!({"properties": {"revenue": 128.8}, "_rekindle": {"fen": {"revenue": 12880}}});
    assert_eq!(Amounts::of(&new).get("revenue", Some(&json!(128.8))).get(), 12880);
    assert_eq!(Amounts::of(&new).get("products[0].price", None).get(), 0);
    let old = json!({"properties": {"revenue": 5990}});
    assert_eq!(Amounts::of(&old).get("revenue", Some(&json!(5990))).get(), 5990);
}

#[test]
fn sums_saturate_instead_of_wrapping() {
    assert_eq!(total([i64::MAX, i64::MAX]), i64::MAX);
    assert_eq!(total([1, 2, 3]), 6);
}

proptest! {
    #[test]
    fn decimal_strings_round_trip(whole in 0i64..=10_000_000, fraction in 0i64..100, places in 0usize..=2) {
        let fen = if whole == 10_000_000 { MAX_FEN } else { whole * 100 + if places == 0 { 0 } else { fraction } };
        let fen = Fen::new(fen).unwrap();
        let text = fen.to_string();
        prop_assert_eq!(text.parse::<Fen>(), Ok(fen));
        prop_assert_eq!(Fen::from_yuan(&Value::String(text.clone())), Ok(fen));
        prop_assert_eq!(Fen::from_yuan(&fen.to_yuan_number()), Ok(fen), "{}", text);
        // The same amount written as a JSON number with one or two places.
        let number: Value = serde_json::from_str(&text).unwrap();
        prop_assert_eq!(Fen::from_yuan(&number), Ok(fen));
    }

    #[test]
    fn any_text_parses_or_is_refused_without_panic(s in "\\PC{0,80}") {
        if let Ok(fen) = Fen::from_yuan(&Value::String(s)) {
            prop_assert!((0..=MAX_FEN).contains(&fen.get()));
        }
    }
}

#[test]
fn sums_print_as_yuan_whatever_their_sign_or_size() {
    assert_eq!(yuan_text(29950), "299.50");
    assert_eq!(yuan_text(-1250), "-12.50");
    assert_eq!(yuan_text(-5), "-0.05");
    assert_eq!(yuan_text(i64::MIN), "-92233720368547758.08");
    assert_eq!(Fen::new(12880).unwrap().to_string(), "128.80");
}
