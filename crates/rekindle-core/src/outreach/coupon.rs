use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::FieldError;
use crate::money::MAX_FEN;

/// A kind of coupon the operator defines once and journeys issue.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct CouponDefinition {
    /// Unique within the workspace; journeys name coupons by it.
    pub name: String,
    /// What the person sees, e.g. "回归礼包".
    pub title: String,
    pub value: CouponValue,
    /// Minimum order, in fen, for the coupon to apply (0: none).
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(default = 0))]
    pub threshold_fen: i64,
    /// Days from issue until it expires.
    pub valid_days: u32,
    /// How many of this coupon one person may ever be issued.
    #[serde(default = "one")]
    #[cfg_attr(feature = "openapi", schema(default = 1))]
    pub per_person_limit: u32,
}

fn one() -> u32 {
    1
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum CouponValue {
    /// A fixed amount off, in fen.
    Amount { fen: i64 },
    /// Pay `percent` of the price: 85 is 85折 (15% off).
    Discount { percent: u8 },
}

impl CouponDefinition {
    pub fn check(&self) -> Result<(), FieldError> {
        if self.name.trim().is_empty() {
            return Err(FieldError::new("name", "is empty"));
        }
        if self.title.trim().is_empty() {
            return Err(FieldError::new("title", "is empty"));
        }
        match self.value {
            CouponValue::Amount { fen } if fen <= 0 => return Err(FieldError::new("value.fen", "must be above 0")),
            CouponValue::Amount { fen } if fen > MAX_FEN => {
                return Err(FieldError::new("value.fen", format!("must be at most {MAX_FEN} fen")));
            }
            CouponValue::Discount { percent } if !(1..=99).contains(&percent) => {
                return Err(FieldError::new("value.percent", "must be between 1 and 99 (85 is 85折)"));
            }
            CouponValue::Amount { fen } if self.threshold_fen > 0 && fen >= self.threshold_fen => {
                return Err(FieldError::new("value.fen", "must be below the threshold"));
            }
            _ => {}
        }
        if self.threshold_fen < 0 {
            return Err(FieldError::new("threshold_fen", "must not be negative"));
        }
        if self.threshold_fen > MAX_FEN {
            return Err(FieldError::new("threshold_fen", format!("must be at most {MAX_FEN} fen")));
        }
        if !(1..=365).contains(&self.valid_days) {
            return Err(FieldError::new("valid_days", "must be between 1 and 365"));
        }
        if self.per_person_limit == 0 {
            return Err(FieldError::new("per_person_limit", "must be at least 1"));
        }
        Ok(())
    }

    /// Whether one more may be issued to a person who was issued `held` of it already.
    pub fn may_issue(&self, held: u32) -> bool {
        held < self.per_person_limit
    }

    /// When one issued at `issued_at` expires. Redeeming is refused from this moment on.
    pub fn expires_at(&self, issued_at: DateTime<Utc>) -> DateTime<Utc> {
        issued_at + chrono::Duration::days(i64::from(self.valid_days))
    }

    /// How the coupon reads in a message: "满¥59减¥10", "85折".
    pub fn describe(&self) -> String {
        let value = match self.value {
            CouponValue::Amount { fen } => format!("减{}", yuan(fen)),
            CouponValue::Discount { percent } if percent % 10 == 0 => format!("{}折", percent / 10),
            CouponValue::Discount { percent } => format!("{percent}折"),
        };
        if self.threshold_fen > 0 { format!("满{}{value}", yuan(self.threshold_fen)) } else { value }
    }

    /// What the coupon takes off an order of `order_fen`; 0 below the threshold.
    pub fn discount_fen(&self, order_fen: i64) -> i64 {
        if order_fen < self.threshold_fen.max(1) {
            return 0;
        }
        match self.value {
            CouponValue::Amount { fen } => fen.min(order_fen),
            // Round the discount down: the customer never pays less than the percentage says.
            // In i128: the product of an order and a percentage must not wrap; the result is
            // below `order_fen`, so it fits back.
            CouponValue::Discount { percent } => {
                (i128::from(order_fen) * i128::from(100u8.saturating_sub(percent)) / 100) as i64
            }
        }
    }
}

/// ¥ with no trailing zeros: 1000 → "¥10", 990 → "¥9.9".
fn yuan(fen: i64) -> String {
    if fen % 100 == 0 {
        format!("¥{}", fen / 100)
    } else {
        let s = format!("¥{}.{:02}", fen / 100, fen % 100);
        s.trim_end_matches('0').to_owned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn def(value: CouponValue, threshold_fen: i64) -> CouponDefinition {
        CouponDefinition {
            name: "c".into(),
            title: "回归礼包".into(),
            value,
            threshold_fen,
            valid_days: 7,
            per_person_limit: 1,
        }
    }

    #[test]
    fn describes_and_discounts() {
        let ten_off = def(CouponValue::Amount { fen: 1000 }, 5900);
        assert_eq!(ten_off.describe(), "满¥59减¥10");
        assert_eq!(ten_off.discount_fen(5899), 0);
        assert_eq!(ten_off.discount_fen(5900), 1000);
        let eighty_five = def(CouponValue::Discount { percent: 85 }, 0);
        assert_eq!(eighty_five.describe(), "85折");
        assert_eq!(eighty_five.discount_fen(9990), 1498);
        assert_eq!(def(CouponValue::Discount { percent: 80 }, 0).describe(), "8折");
        assert_eq!(def(CouponValue::Amount { fen: 550 }, 0).describe(), "减¥5.5");
    }

    #[test]
    fn the_limit_counts_every_coupon_issued_and_expiry_counts_whole_days() {
        let mut twice = def(CouponValue::Amount { fen: 500 }, 0);
        twice.per_person_limit = 2;
        assert!(twice.may_issue(0) && twice.may_issue(1));
        assert!(!twice.may_issue(2));
        let at = "2026-11-30T16:00:00Z".parse::<DateTime<Utc>>().unwrap();
        assert_eq!(twice.expires_at(at), "2026-12-07T16:00:00Z".parse::<DateTime<Utc>>().unwrap());
    }

    #[test]
    fn refuses_nonsense() {
        assert_eq!(def(CouponValue::Amount { fen: 0 }, 0).check().unwrap_err().field, "value.fen");
        assert_eq!(def(CouponValue::Discount { percent: 100 }, 0).check().unwrap_err().field, "value.percent");
        assert_eq!(def(CouponValue::Amount { fen: 6000 }, 5900).check().unwrap_err().field, "value.fen");
        assert!(def(CouponValue::Amount { fen: 500 }, 0).check().is_ok());
    }
}
