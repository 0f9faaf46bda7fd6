//! The key a journey issues a coupon (or awards points) under. It makes the effect idempotent (one per
//! enrollment, visit of the step and holder) and names the enrollment, so a coupon's cost can
//! be charged to the journey and variant that gave it.

/// `enrollment:seq:step`, with `:inviter` when the coupon goes to the person who invited them.
pub fn coupon_key(enrollment: i64, seq: i32, step: &str, to_inviter: bool) -> String {
    let holder = if to_inviter { ":inviter" } else { "" };
    format!("{enrollment}:{seq}:{step}{holder}")
}

/// The enrollment a coupon was issued for, when a journey issued it.
pub fn coupon_enrollment(key: &str) -> Option<i64> {
    let (enrollment, rest) = key.split_once(':')?;
    rest.contains(':').then(|| enrollment.parse().ok()).flatten()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_key_names_its_enrollment() {
        assert_eq!(coupon_key(42, 3, "gift", false), "42:3:gift");
        assert_eq!(coupon_key(42, 3, "gift", true), "42:3:gift:inviter");
        assert_eq!(coupon_enrollment(&coupon_key(42, 3, "gift:with:colons", true)), Some(42));
        assert_eq!(coupon_enrollment("manual-7"), None);
        assert_eq!(coupon_enrollment("x:1:step"), None);
        assert_eq!(coupon_enrollment("7:step"), None);
    }
}
