//! Money: integer fen (分) inside Rekindle, parsed exactly from the yuan amounts events carry.
//!
//! Segment's e-commerce spec sends amounts in currency units, so `"revenue": 128.8` is ¥128.80,
//! 12880 fen. The conversion is done in decimal, never through float arithmetic:
//!
//! - a decimal string (`"59.90"`) is read digit by digit;
//! - a JSON number arrives from `serde_json` as an `i64`/`u64` (exact) or as the `f64` nearest to
//!   the text written (serde_json parses correctly rounded; `arbitrary_precision` is not enabled).
//!   Its `Display` is the shortest decimal text that reads back as the same `f64`, which for any
//!   amount written with up to 15 significant digits (every amount below the bound with two
//!   decimals has at most 10) is the text the sender wrote, trailing zeros aside. That text is then
//!   read as a decimal string. So `128.8` is 12880 fen and `0.1 + 0.2` problems cannot arise.
//!
//! Digits past the fen are rounded half to even (`59.905` is 5990, `59.915` is 5992): JavaScript
//! clients that compute `3 * 19.9` send `59.699999999999996`, which is ¥59.70, and refusing it would
//! refuse real orders for half a fen. Anything that is not a plain non-negative decimal
//! (`"128.80元"`, `"1e3"`, `true`, `{}`, `[]`) is refused, and so is an amount above [`MAX_FEN`].

use std::fmt;

use serde_json::{Map, Value};

/// Fen in one yuan.
pub const FEN_PER_YUAN: i64 = 100;
/// The largest amount one field may carry: ¥10,000,000 (one order, one line, one refund).
pub const MAX_FEN: i64 = 1_000_000_000;
/// The longest decimal string read as an amount.
const MAX_TEXT: usize = 64;

/// The reserved top-level key of a stored payload where ingestion keeps the amounts it parsed,
/// in fen, by property path: `{"_rekindle": {"fen": {"revenue": 12880, "products[0].price": 6880}}}`.
/// Its presence says the sender's amounts are yuan; events stored before it existed carry fen.
pub const ANNOTATION: &str = "_rekindle";

/// An amount of money in fen, from 0 to [`MAX_FEN`].
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Fen(i64);

/// Why an amount was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MoneyError {
    NotAnAmount,
    Negative,
    TooLarge,
}

impl fmt::Display for MoneyError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::NotAnAmount => "must be an amount in yuan: a number or a decimal string such as \"59.90\"",
            Self::Negative => "must not be negative (a refund is an Order Refunded event)",
            Self::TooLarge => "is above the limit of 10000000 yuan for one amount",
        })
    }
}

impl std::error::Error for MoneyError {}

impl Fen {
    pub const ZERO: Fen = Fen(0);

    /// An amount already in fen, if within bounds.
    pub fn new(fen: i64) -> Option<Fen> {
        (0..=MAX_FEN).contains(&fen).then_some(Fen(fen))
    }

    pub fn get(self) -> i64 {
        self.0
    }

    /// An amount in yuan, as an event property carries it: a JSON number or a decimal string.
    pub fn from_yuan(v: &Value) -> Result<Fen, MoneyError> {
        match v {
            Value::Number(n) => {
                if let Some(i) = n.as_i64() {
                    return Self::from_whole_yuan(i.into());
                }
                if let Some(u) = n.as_u64() {
                    return Self::from_whole_yuan(u.into());
                }
                let f = n.as_f64().ok_or(MoneyError::NotAnAmount)?;
                if !f.is_finite() {
                    return Err(MoneyError::NotAnAmount);
                }
                // Checked on the float first so 1e308 is not printed out in 309 digits.
                if f < 0.0 {
                    return Err(MoneyError::Negative);
                }
                if f > (MAX_FEN / FEN_PER_YUAN + 1) as f64 {
                    return Err(MoneyError::TooLarge);
                }
                parse_decimal(&format!("{f}"))
            }
            Value::String(s) if s.len() <= MAX_TEXT => parse_decimal(s.trim()),
            _ => Err(MoneyError::NotAnAmount),
        }
    }

    fn from_whole_yuan(yuan: i128) -> Result<Fen, MoneyError> {
        if yuan < 0 {
            return Err(MoneyError::Negative);
        }
        let fen = yuan.saturating_mul(FEN_PER_YUAN.into());
        i64::try_from(fen).ok().and_then(Fen::new).ok_or(MoneyError::TooLarge)
    }

    /// An amount stored before ingestion parsed yuan (the old contract: whole fen, a fraction
    /// rounded). What cannot be such an amount reads as zero; what lies outside the bounds is
    /// clamped to them, so no old event can make a sum overflow.
    pub fn legacy(v: Option<&Value>) -> Fen {
        let Some(Value::Number(n)) = v else { return Fen::ZERO };
        let fen = match n.as_i64() {
            Some(i) => i,
            None => n.as_f64().filter(|f| f.is_finite()).map_or(0, |f| f.round() as i64),
        };
        Fen(fen.clamp(0, MAX_FEN))
    }

    /// The amount as a JSON number of yuan, as Segment's spec sends it: 3990 fen is `39.9`.
    /// The quotient of two exact integers, correctly rounded, is the `f64` that `"39.9"` parses
    /// to, so [`Fen::from_yuan`] reads it back exactly.
    pub fn to_yuan_number(self) -> Value {
        serde_json::Number::from_f64(self.0 as f64 / FEN_PER_YUAN as f64).map_or(Value::Null, Value::Number)
    }
}

impl fmt::Display for Fen {
    /// Yuan with two decimals: `128.80`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&yuan_text(self.0))
    }
}

/// Any sum of fen as yuan with two decimals (`-12.50`, `1234567.89`): totals and refunds
/// are not bounded like one amount is.
pub fn yuan_text(fen: i64) -> String {
    let sign = if fen < 0 { "-" } else { "" };
    let abs = fen.unsigned_abs();
    let per = FEN_PER_YUAN.unsigned_abs();
    format!("{sign}{}.{:02}", abs / per, abs % per)
}

impl std::str::FromStr for Fen {
    type Err = MoneyError;
    /// A decimal amount in yuan: `59.90`, `128.8`, `7`.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        if s.len() > MAX_TEXT {
            return Err(MoneyError::NotAnAmount);
        }
        parse_decimal(s)
    }
}

/// A plain decimal in yuan: optional sign, digits, optionally `.` and digits. No exponent,
/// no currency sign, no grouping.
fn parse_decimal(s: &str) -> Result<Fen, MoneyError> {
    let (negative, digits) = match s.as_bytes().first() {
        Some(b'-') => (true, &s[1..]),
        Some(b'+') => (false, &s[1..]),
        _ => (false, s),
    };
    let (whole, fraction) = digits.split_once('.').unwrap_or((digits, ""));
    let all_digits = |p: &str| p.bytes().all(|b| b.is_ascii_digit());
    if whole.is_empty() || !all_digits(whole) || !all_digits(fraction) || (digits.contains('.') && fraction.is_empty())
    {
        return Err(MoneyError::NotAnAmount);
    }
    let whole = whole.trim_start_matches('0');
    let is_zero = whole.is_empty() && fraction.bytes().all(|b| b == b'0');
    if negative && !is_zero {
        return Err(MoneyError::Negative);
    }
    // ¥10,000,000 has 8 digits; more is too large whatever follows (and would overflow).
    if whole.len() > 8 {
        return Err(MoneyError::TooLarge);
    }
    let yuan: i64 = if whole.is_empty() { 0 } else { whole.parse().map_err(|_| MoneyError::NotAnAmount)? };
    let f = fraction.as_bytes();
    let digit = |i: usize| f.get(i).map_or(0, |b| i64::from(b - b'0'));
    let mut fen = yuan * FEN_PER_YUAN + digit(0) * 10 + digit(1);
    // Half to even on what lies past the fen.
    let rest = f.get(2..).unwrap_or_default();
    if let Some((&first, tail)) = rest.split_first() {
        let above_half = first > b'5' || (first == b'5' && tail.iter().any(|&b| b != b'0'));
        let half = first == b'5' && !above_half;
        if above_half || (half && fen % 2 == 1) {
            fen += 1;
        }
    }
    Fen::new(fen).ok_or(MoneyError::TooLarge)
}

/// A sum of amounts that never wraps: it stops at `i64::MAX` (which bounded amounts reach only
/// after nine billion of them).
pub fn total(amounts: impl IntoIterator<Item = i64>) -> i64 {
    amounts.into_iter().fold(0, i64::saturating_add)
}

/// The amounts of one stored event, read the way they were stored.
#[derive(Debug, Clone, Copy, Default)]
pub struct Amounts<'a>(Option<&'a Map<String, Value>>);

impl<'a> Amounts<'a> {
    /// An event stored before ingestion parsed yuan: its properties hold fen.
    pub const LEGACY: Amounts<'static> = Amounts(None);

    /// The amounts of a stored payload: the [`ANNOTATION`] when ingestion wrote one.
    pub fn of(payload: &'a Value) -> Self {
        Amounts(payload.get(ANNOTATION).and_then(|a| a.get("fen")).and_then(Value::as_object))
    }

    /// The amount at `path` of the event's properties (`revenue`, `products[1].price`);
    /// `sent` is the property itself, read as fen when the event predates the annotation.
    pub fn get(&self, path: &str, sent: Option<&Value>) -> Fen {
        match self.0 {
            Some(parsed) => parsed.get(path).and_then(Value::as_i64).and_then(Fen::new).unwrap_or_default(),
            None => Fen::legacy(sent),
        }
    }
}

#[cfg(test)]
mod tests;
