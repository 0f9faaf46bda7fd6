//! The entries the program writes, each with its source (what makes it idempotent), its reason
//! in the member's words and, for credits, its expiry. The server and the earning follower
//! build entries only here.

use chrono::{DateTime, Utc};
use chrono_tz::Tz;

use super::ledger::{Entry, Kind};
use super::program::{MAX_POINTS, Program};
use crate::FieldError;

/// Longest idempotency key a client may send.
pub const MAX_KEY_CHARS: usize = 100;
/// Longest reason an operator may write.
pub const MAX_REASON_CHARS: usize = 200;

/// A client's idempotency key: 1 to 100 characters, none of them control characters.
pub fn check_key(field: &str, key: &str) -> Result<(), FieldError> {
    let n = key.chars().count();
    if n == 0 || n > MAX_KEY_CHARS || key.chars().any(char::is_control) {
        return Err(FieldError::new(
            field,
            format!("must be 1 to {MAX_KEY_CHARS} characters, none of them control characters"),
        ));
    }
    Ok(())
}

/// A number of points a request asks for: above zero, at most [`MAX_POINTS`].
pub fn check_points(field: &str, points: i64) -> Result<(), FieldError> {
    if !(1..=MAX_POINTS).contains(&points) {
        return Err(FieldError::new(field, format!("must be between 1 and {MAX_POINTS}")));
    }
    Ok(())
}

fn yuan(fen: i64) -> String {
    crate::money::yuan_text(fen)
}

impl Program {
    /// Points held for an order: `redeem:{key}`.
    pub fn redemption(&self, key: &str, points: i64, at: DateTime<Utc>) -> Entry {
        Entry {
            kind: Kind::Redeem,
            points: -points,
            source: format!("redeem:{key}"),
            reason: format!("积分抵扣 ¥{}", yuan(self.value_fen(points))),
            at,
            expires_at: None,
        }
    }

    /// A redemption's points given back (cancelled, or its order refunded): `release:{key}`.
    /// They expire as newly earned points would.
    pub fn release(&self, key: &str, redeemed: &Entry, at: DateTime<Utc>, tz: Tz) -> Entry {
        Entry {
            kind: Kind::Release,
            points: -redeemed.points,
            source: format!("release:{key}"),
            reason: "退回抵扣的积分".into(),
            at,
            expires_at: self.expires(at, tz),
        }
    }

    /// An operator's correction: `adjust:{key}`.
    pub fn adjustment(&self, key: &str, points: i64, reason: &str, at: DateTime<Utc>, tz: Tz) -> Entry {
        Entry {
            kind: Kind::Adjust,
            points,
            source: format!("adjust:{key}"),
            reason: reason.trim().to_owned(),
            at,
            expires_at: if points > 0 { self.expires(at, tz) } else { None },
        }
    }

    /// Points a journey's step awarded: `journey:{enrollment}:{seq}:{step}`, so walking the
    /// step again after a crash awards once.
    pub fn journey_award(&self, key: &str, points: i64, reason: Option<&str>, at: DateTime<Utc>, tz: Tz) -> Entry {
        let reason = reason.map_or_else(|| "旅程奖励".to_owned(), |r| r.trim().to_owned());
        self.earned(format!("journey:{key}"), points, reason, at, tz)
    }

    /// Points an event earned: `source` names the event (and the rule, where one event could
    /// earn by two).
    pub fn earned(&self, source: String, points: i64, reason: String, at: DateTime<Utc>, tz: Tz) -> Entry {
        Entry { kind: Kind::Earn, points, source, reason, at, expires_at: self.expires(at, tz) }
    }

    /// What a refunded order earned, taken back as far as the balance goes: `clawback:{order}`.
    pub fn claw_back(&self, order_id: &str, earned: i64, balance: i64, at: DateTime<Utc>) -> Option<Entry> {
        let points = earned.min(balance);
        (points > 0).then(|| Entry {
            kind: Kind::ClawBack,
            points: -points,
            source: format!("clawback:{order_id}"),
            reason: "退款扣回积分".into(),
            at,
            expires_at: None,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_and_amounts_are_checked_by_field() {
        assert!(check_key("key", "order-1").is_ok());
        assert_eq!(check_key("key", "").unwrap_err().field, "key");
        assert!(check_key("key", "a\u{0}b").is_err());
        assert!(check_key("key", &"键".repeat(101)).is_err());
        assert!(check_points("points", 0).is_err() && check_points("points", MAX_POINTS + 1).is_err());
    }

    #[test]
    fn a_redemption_says_what_it_is_worth_and_its_release_gives_it_back() {
        let p = Program::default();
        let at: DateTime<Utc> = "2026-05-01T00:00:00Z".parse().unwrap();
        let r = p.redemption("k1", 150, at);
        assert_eq!((r.points, r.source.as_str(), r.reason.as_str()), (-150, "redeem:k1", "积分抵扣 ¥3.00"));
        let back = p.release("k1", &r, at, chrono_tz::Asia::Shanghai);
        assert_eq!((back.points, back.source.as_str()), (150, "release:k1"));
        assert!(back.expires_at.is_some());
        assert_eq!(p.claw_back("o1", 129, 50, at).map(|e| e.points), Some(-50), "as far as the balance goes");
        assert_eq!(p.claw_back("o1", 129, 0, at), None);
    }
}
