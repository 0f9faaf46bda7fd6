//! Phone numbers normalised to E.164 (`+8613812345678`).
//!
//! Operators' systems write the same mainland mobile number many ways: `13812345678`,
//! `138 1234 5678`, `+86-138-1234-5678`, `0086 13812345678`, `(+86)13812345678`, full-width
//! digits from a Chinese input method. All of them must become one identifier, or OneID splits a
//! person in two. No phone library covers the Chinese written forms and full-width digits, and a
//! full metadata library (libphonenumber) is far heavier than the few rules needed, so the rules
//! are written out here.

use crate::FieldError;

/// Normalise a written phone number to E.164. Numbers without a country code are read as
/// mainland China (+86): 11-digit mobiles `1[3-9]…` and landlines with a trunk `0`.
pub fn normalize(input: &str) -> Result<String, String> {
    let mut plus = false;
    let mut digits = String::with_capacity(input.len());
    for (i, c) in input.trim().chars().enumerate() {
        let c = fold_full_width(c);
        match c {
            '0'..='9' => digits.push(c),
            '+' if i == 0 || (digits.is_empty() && !plus) => plus = true,
            ' ' | '-' | '.' | '(' | ')' | '\u{3000}' => {}
            _ => return Err(format!("unexpected character {c:?} in a phone number")),
        }
    }
    if digits.is_empty() {
        return Err("a phone number needs digits".into());
    }
    let international = if plus { Some(digits.as_str()) } else { digits.strip_prefix("00") };
    let e164 = match international {
        Some(rest) => international_number(rest)?,
        None => national_number(&digits)?,
    };
    Ok(e164)
}

/// Parse a phone at `field`, for message validation.
pub fn parse_field(field: &str, input: &str) -> Result<String, FieldError> {
    normalize(input).map_err(|reason| FieldError::new(field, reason))
}

fn international_number(rest: &str) -> Result<String, String> {
    if let Some(cn) = rest.strip_prefix("86") {
        // A trunk 0 written after the country code ("+86 010 …") is dropped, as dialling does.
        let cn = cn.strip_prefix('0').unwrap_or(cn);
        return mainland(cn).ok_or_else(|| "not a valid +86 number".to_string());
    }
    if !(8..=15).contains(&rest.len()) || rest.starts_with('0') {
        return Err("an international number has 8 to 15 digits after the country code".into());
    }
    Ok(format!("+{rest}"))
}

fn national_number(digits: &str) -> Result<String, String> {
    // "8613812345678": the country code written without a plus.
    if digits.len() == 13
        && let Some(cn) = digits.strip_prefix("86")
        && is_mobile(cn)
    {
        return Ok(format!("+86{cn}"));
    }
    let cn = digits.strip_prefix('0').unwrap_or(digits);
    mainland(cn).ok_or_else(|| {
        "not a mainland mobile (11 digits starting 13-19) or landline (0 + area code + number); \
         write other countries with +country code"
            .to_string()
    })
}

/// `cn` is the national significant number: a mobile, or area code + subscriber for a landline.
fn mainland(cn: &str) -> Option<String> {
    if is_mobile(cn) || (!cn.starts_with('1') && (9..=11).contains(&cn.len()) && !cn.starts_with('0')) {
        Some(format!("+86{cn}"))
    } else if cn.starts_with("10") && (10..=11).contains(&cn.len()) {
        // Beijing's area code is 10 (010-xxxxxxxx).
        Some(format!("+86{cn}"))
    } else {
        None
    }
}

fn is_mobile(cn: &str) -> bool {
    let b = cn.as_bytes();
    b.len() == 11 && b[0] == b'1' && (b'3'..=b'9').contains(&b[1]) && b.iter().all(u8::is_ascii_digit)
}

/// Full-width forms (U+FF01..U+FF5E) typed by Chinese input methods, mapped to ASCII.
fn fold_full_width(c: char) -> char {
    match c {
        '\u{FF01}'..='\u{FF5E}' => char::from_u32(c as u32 - 0xFEE0).unwrap_or(c),
        _ => c,
    }
}

/// The digits of a normalised phone as it is dialled at home: a mainland number without
/// `+86` (`13812345678`), any other with its country code but no `+` (`85291234567`).
/// Aliyun SMS takes this form, and stored text may hold it.
pub fn local_digits(e164: &str) -> &str {
    e164.strip_prefix("+86").unwrap_or_else(|| e164.strip_prefix('+').unwrap_or(e164))
}

/// Mask a normalised phone for people who need not see it: `138****5678` for a mainland
/// number (the form people know it by), `+852****5678` style for others.
pub fn mask(e164: &str) -> String {
    let e164 = e164.strip_prefix("+86").unwrap_or(e164);
    let n = e164.len();
    if n <= 7 {
        return "*".repeat(n);
    }
    format!("{}****{}", &e164[..n - 8], &e164[n - 4..])
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn common_written_forms_of_one_mobile_are_equal() {
        let forms = [
            "13812345678",
            "138 1234 5678",
            "138-1234-5678",
            "+86 138 1234 5678",
            "+86-138-1234-5678",
            "+8613812345678",
            "8613812345678",
            "0086 138 1234 5678",
            "(+86) 13812345678",
            "+86 (138) 1234-5678",
            "１３８１２３４５６７８",
            "＋８６ １３８ １２３４ ５６７８",
            " 138.1234.5678 ",
        ];
        for f in forms {
            assert_eq!(normalize(f).as_deref(), Ok("+8613812345678"), "{f}");
        }
    }

    #[test]
    fn local_digits_drop_the_mainland_code_only() {
        assert_eq!(local_digits("+8613812345678"), "13812345678");
        assert_eq!(local_digits("+85291234567"), "85291234567");
        assert_eq!(local_digits("13812345678"), "13812345678");
    }

    #[test]
    fn landlines_and_other_countries() {
        assert_eq!(normalize("010-12345678").unwrap(), "+861012345678");
        assert_eq!(normalize("0755 2345 6789").unwrap(), "+8675523456789");
        assert_eq!(normalize("+86 0755 23456789").unwrap(), "+8675523456789");
        assert_eq!(normalize("+1 (415) 555-0123").unwrap(), "+14155550123");
        assert_eq!(normalize("00852 9123 4567").unwrap(), "+85291234567");
    }

    #[test]
    fn rejects_what_is_not_a_phone() {
        for bad in ["", "abc", "12345", "1381234567", "138123456789", "+86 123", "phone: 138", "++8613812345678"] {
            assert!(normalize(bad).is_err(), "{bad} should be refused");
        }
    }

    #[test]
    fn masks_the_middle() {
        assert_eq!(mask("+8613812345678"), "138****5678");
    }

    proptest! {
        #[test]
        fn never_panics_and_is_idempotent(s in "\\PC{0,24}") {
            if let Ok(n) = normalize(&s) {
                prop_assert_eq!(normalize(&n), Ok(n.clone()));
                prop_assert!(n.starts_with('+'));
            }
        }

        #[test]
        fn every_mobile_survives_separators(d in "1[3-9][0-9]{9}", sep in "[ -]{0,1}") {
            let written = format!("+86{sep}{}{sep}{}{sep}{}", &d[..3], &d[3..7], &d[7..]);
            prop_assert_eq!(normalize(&written), Ok(format!("+86{d}")));
        }
    }
}
