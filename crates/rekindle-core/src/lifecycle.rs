//! Lifecycle stages (DESIGN.md, Capabilities 3) and value tiers, decided from a profile.
//!
//! A stage is a function of the profile and the moment asked, so it never goes stale; the
//! engine records a change of stage when the answer for a person changes.

use std::collections::BTreeMap;

use chrono::{DateTime, Duration, Utc};

use crate::profile::Profile;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "lowercase")]
pub enum Stage {
    /// Seen, never ordered, not yet gone.
    Prospect,
    /// First order within `new_days`.
    New,
    /// Ordering within their expected cycle.
    Active,
    /// No order past their expected cycle, but still reachable or engaged.
    Silent,
    /// No order and no engagement past `churn_days`, or their contact removed.
    Churned,
    /// Ordered again, within `reactivated_days`, after a gap that had made them silent.
    Reactivated,
}

impl Stage {
    pub const ALL: [Stage; 6] =
        [Self::Prospect, Self::New, Self::Active, Self::Silent, Self::Churned, Self::Reactivated];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Prospect => "prospect",
            Self::New => "new",
            Self::Active => "active",
            Self::Silent => "silent",
            Self::Churned => "churned",
            Self::Reactivated => "reactivated",
        }
    }
}

impl std::str::FromStr for Stage {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        Self::ALL.into_iter().find(|x| x.as_str() == s).ok_or_else(|| {
            format!("unknown lifecycle stage {s:?}; expected prospect, new, active, silent, churned or reactivated")
        })
    }
}

/// Thresholds, in days. Defaults suit fresh food sold through live streams.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct LifecycleConfig {
    pub new_days: i64,
    /// Silent after this many expected cycles without an order…
    pub silent_cycles: f64,
    /// …but never sooner than this.
    pub min_silent_days: i64,
    pub churn_days: i64,
    pub reactivated_days: i64,
    /// Typical repurchase cycle of a category, for people with too few orders of their own.
    pub category_cycle_days: BTreeMap<String, f64>,
    pub default_cycle_days: f64,
}

impl Default for LifecycleConfig {
    fn default() -> Self {
        // Typical cycles of the categories a fresh-food live store sells (the demo catalogue's).
        let cycles = [
            ("乳品", 4.0),
            ("蛋", 7.0),
            ("水果", 5.0),
            ("时令", 5.0),
            ("有机蔬菜", 6.0),
            ("预制菜", 7.0),
            ("肉禽", 8.0),
            ("零食", 14.0),
            ("谷物", 21.0),
            ("粮油", 30.0),
        ];
        Self {
            new_days: 30,
            silent_cycles: 2.0,
            min_silent_days: 14,
            churn_days: 90,
            reactivated_days: 30,
            category_cycle_days: cycles.into_iter().map(|(k, v)| (k.to_string(), v)).collect(),
            default_cycle_days: 14.0,
        }
    }
}

/// Shares of people in the high and potential value tiers, by spend over the last 365 days;
/// the rest are edge.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct TierShares {
    pub high: f64,
    pub potential: f64,
}

impl Default for TierShares {
    fn default() -> Self {
        Self { high: 0.10, potential: 0.30 }
    }
}

impl LifecycleConfig {
    /// Days between orders expected of this person: their own median interval once they have
    /// two, else the shortest typical cycle among the categories they bought.
    pub fn expected_cycle_days(&self, p: &Profile) -> f64 {
        if let Some(own) = p.median_order_interval_days().filter(|_| p.order_count() >= 3) {
            return own.max(1.0);
        }
        p.categories()
            .keys()
            .filter_map(|c| self.category_cycle_days.get(c).copied())
            .min_by(f64::total_cmp)
            .unwrap_or(self.default_cycle_days)
    }

    /// How long after their last order the person counts as silent.
    pub fn silent_after(&self, p: &Profile) -> Duration {
        let days = (self.expected_cycle_days(p) * self.silent_cycles).max(self.min_silent_days as f64);
        Duration::seconds((days * 86_400.0) as i64)
    }

    /// The person's stage at `now`.
    pub fn stage(&self, p: &Profile, now: DateTime<Utc>) -> Stage {
        let churn = Duration::days(self.churn_days);
        // No WeCom friendship left, and when the last one ended.
        let lost = p.contacts.lost_at();
        let removed = lost.is_some();
        let Some(last_order) = p.last_order() else {
            let gone = removed || p.last_seen.is_none_or(|seen| now - seen > churn);
            return if gone { Stage::Churned } else { Stage::Prospect };
        };
        let since_order = now - last_order;
        let engaged_recently = p.last_seen.is_some_and(|seen| now - seen <= churn);
        if (since_order > churn && !engaged_recently) || lost.is_some_and(|t| t > last_order) {
            return Stage::Churned;
        }
        if since_order > self.silent_after(p) {
            return Stage::Silent;
        }
        // The gap before the latest order, against the silence threshold at that time.
        let mut times: Vec<DateTime<Utc>> = p.orders.iter().map(|(_, o)| o.at).collect();
        times.sort();
        if since_order <= Duration::days(self.reactivated_days)
            && let [.., before, last] = times[..]
            && last - before > self.silent_after(p)
        {
            return Stage::Reactivated;
        }
        if p.first_order().is_some_and(|first| now - first <= Duration::days(self.new_days)) {
            return Stage::New;
        }
        Stage::Active
    }

    /// The first moment after `now` at which the person's stage could change with no new
    /// event: each comparison [`LifecycleConfig::stage`] makes of the time since an anchor (the
    /// last order, the last time seen, the first order) against a threshold flips just after
    /// the anchor plus the threshold. Never later than the stage's true change, sometimes
    /// earlier (a comparison that flips without moving the stage); `None` when only events
    /// can move it.
    pub fn next_change(&self, p: &Profile, now: DateTime<Utc>) -> Option<DateTime<Utc>> {
        let churn = Duration::days(self.churn_days);
        let after = |t: Option<DateTime<Utc>>, d: Duration| t.and_then(|t| t.checked_add_signed(d));
        let mut edges = vec![after(p.last_seen, churn)];
        if let Some(last) = p.last_order() {
            edges.extend([
                after(Some(last), churn),
                after(Some(last), self.silent_after(p)),
                after(Some(last), Duration::days(self.reactivated_days)),
                after(p.first_order(), Duration::days(self.new_days)),
            ]);
        }
        // `>` and `<=` both flip one instant after the edge.
        edges.into_iter().flatten().filter(|t| *t >= now).min().map(|t| t + Duration::nanoseconds(1))
    }

    /// When the person entered the stage they are in at `now`, as far as their events tell:
    /// an order starts new and reactivated, the silence threshold after the last order starts
    /// silent, the churn window after their last activity (or a removed contact) starts
    /// churned. Never after `now`.
    pub fn entered(&self, p: &Profile, now: DateTime<Utc>) -> DateTime<Utc> {
        let churn = Duration::days(self.churn_days);
        let at = match (self.stage(p, now), p.last_order()) {
            (Stage::Prospect, _) => p.first_seen,
            (Stage::New, _) => p.first_order(),
            (Stage::Reactivated, last) => last,
            (Stage::Silent, last) => last.map(|t| t + self.silent_after(p)),
            (Stage::Churned, _) if p.contacts.lost_at().is_some() => p.contacts.lost_at(),
            (Stage::Churned, last) => last.max(p.last_seen).map(|t| t + churn),
            // Active once the newer stage it passed through ran out.
            (Stage::Active, last) => {
                let new_ended = p.first_order().map(|t| t + Duration::days(self.new_days));
                let back_ended = last.map(|t| t + Duration::days(self.reactivated_days));
                match (self.stage(p, last.unwrap_or(now)), new_ended, back_ended) {
                    (Stage::Reactivated, _, ended) => ended,
                    (_, ended, _) => ended,
                }
            }
        };
        at.map_or(now, |t| t.min(now))
    }
}

/// Value tiers: the top `high` share of people by spend, the next `potential` share, the rest.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "lowercase")]
pub enum Tier {
    High,
    Potential,
    Edge,
}

impl Tier {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::High => "high",
            Self::Potential => "potential",
            Self::Edge => "edge",
        }
    }

    /// Tiers for values (higher is better), by rank: ties share the better tier. Returns one
    /// tier per input, in input order.
    pub fn by_rank(values: &[i64], high: f64, potential: f64) -> Vec<Tier> {
        // The value at each rank, highest first, without sorting everyone.
        let mut scratch: Vec<i64> = values.to_vec();
        let [high_min, potential_min] = crate::rfm::cuts(&mut scratch, [high, high + potential], |a, b| b.cmp(a));
        values
            .iter()
            .map(|v| match (high_min, potential_min) {
                (Some(h), _) if *v >= h && *v > 0 => Tier::High,
                (_, Some(p)) if *v >= p && *v > 0 => Tier::Potential,
                _ => Tier::Edge,
            })
            .collect()
    }
}

impl std::str::FromStr for Tier {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "high" => Ok(Self::High),
            "potential" => Ok(Self::Potential),
            "edge" => Ok(Self::Edge),
            _ => Err(format!("unknown tier {s:?}; expected high, potential or edge")),
        }
    }
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;
    use serde_json::json;

    use super::*;
    use crate::money::Amounts;
    use crate::profile::ProfileEvent;

    #[test]
    fn each_stage_knows_when_it_began() {
        let c = LifecycleConfig::default();
        let order = |d: i64, id: &str| (d, "Order Completed", json!({"order_id": id, "revenue": 100}));
        let fold = |events: &[(i64, &str, serde_json::Value)]| {
            let mut p = Profile::default();
            for (d, name, props) in events {
                p.apply(ProfileEvent { at: day(*d), name, properties: props, amounts: Amounts::LEGACY });
            }
            p
        };
        let buyer = fold(&[order(0, "o1")]);
        assert_eq!((c.stage(&buyer, day(3)), c.entered(&buyer, day(3))), (Stage::New, day(0)));
        assert_eq!(
            (c.stage(&buyer, day(35)), c.entered(&buyer, day(35))),
            (Stage::Silent, day(28)),
            "two default 14-day cycles"
        );
        assert_eq!(c.stage(&buyer, day(95)), Stage::Churned);
        assert_eq!(c.entered(&buyer, day(95)), day(90));
        let back = fold(&[order(0, "o1"), order(40, "o2")]);
        assert_eq!((c.stage(&back, day(41)), c.entered(&back, day(41))), (Stage::Reactivated, day(40)));
        let regular =
            fold(&[order(0, "o1"), order(5, "o2"), order(10, "o3"), order(35, "o4"), order(38, "o5"), order(41, "o6")]);
        assert_eq!(c.stage(&regular, day(42)), Stage::Active);
        assert!(c.entered(&regular, day(42)) <= day(42));
        let browser = fold(&[(2, "Live Entered", json!({}))]);
        assert_eq!((c.stage(&browser, day(4)), c.entered(&browser, day(4))), (Stage::Prospect, day(2)));
    }

    fn day(d: i64) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 1, 1, 12, 0, 0).unwrap() + Duration::days(d)
    }

    fn with_orders(days: &[i64], category: &str) -> Profile {
        let mut p = Profile::default();
        for (i, d) in days.iter().enumerate() {
            let props = json!({"order_id": format!("o{i}"), "revenue": 1000, "products": [{"category": category}]});
            p.apply(ProfileEvent {
                at: day(*d),
                name: "Order Completed",
                properties: &props,
                amounts: Amounts::LEGACY,
            });
        }
        p
    }

    #[test]
    fn stages_follow_the_order_rhythm() {
        let c = LifecycleConfig::default();
        let weekly = with_orders(&[0, 7, 14, 21], "水果");
        assert_eq!(c.stage(&weekly, day(24)), Stage::New, "first order within 30 days");
        assert_eq!(c.stage(&with_orders(&[0, 7, 14, 21, 28, 35], "水果"), day(38)), Stage::Active);
        assert_eq!(c.stage(&weekly, day(21 + 15)), Stage::Silent, "two 7-day cycles and the floor passed");
        assert_eq!(c.stage(&weekly, day(21 + 91)), Stage::Churned);
        assert_eq!(c.stage(&with_orders(&[0], "水果"), day(5)), Stage::New);
        let back = with_orders(&[0, 7, 14, 21, 80], "水果");
        assert_eq!(c.stage(&back, day(85)), Stage::Reactivated);
        assert_eq!(c.stage(&Profile::default(), day(0)), Stage::Churned, "never seen");
    }

    #[test]
    fn slow_categories_stay_active_longer() {
        let c = LifecycleConfig::default();
        let rice = with_orders(&[0], "粮油");
        let fruit = with_orders(&[0], "水果");
        assert_eq!(c.stage(&fruit, day(40)), Stage::Silent);
        assert_eq!(c.stage(&rice, day(40)), Stage::Active, "a 30-day cycle: silent only after 60 days");
    }

    #[test]
    fn the_next_change_is_the_silence_threshold_exactly() {
        let c = LifecycleConfig::default();
        let fruit = with_orders(&[0], "水果");
        let next = c.next_change(&fruit, day(3)).unwrap();
        assert_eq!(next, day(14) + Duration::nanoseconds(1), "two 7-day cycles, floored at 14 days");
        assert_eq!(c.stage(&fruit, day(14)), Stage::New);
        assert_eq!(c.stage(&fruit, next), Stage::Silent);
        assert_eq!(c.next_change(&Profile::default(), day(0)), None, "never seen: only events move it");
    }

    proptest::proptest! {
        #[test]
        fn the_stage_holds_until_its_next_change(
            orders in proptest::collection::vec(0i64..400 * 24, 0..6),
            seen in proptest::option::of(0i64..400 * 24),
            at in 0i64..500 * 24,
            samples in proptest::collection::vec(0.0f64..1.0, 1..20),
        ) {
            let c = LifecycleConfig::default();
            let hour = |h: i64| day(0) + Duration::hours(h);
            let mut p = with_orders(&[], "水果");
            for (i, h) in orders.iter().enumerate() {
                let props = json!({"order_id": format!("o{i}"), "revenue": 1000, "products": [{"category": "水果"}]});
                p.apply(ProfileEvent { at: hour(*h), name: "Order Completed", properties: &props, amounts: Amounts::LEGACY });
            }
            if let Some(h) = seen {
                p.apply(ProfileEvent { at: hour(h), name: "Live Entered", properties: &json!({}), amounts: Amounts::LEGACY });
            }
            let now = hour(at);
            let stage = c.stage(&p, now);
            let next = c.next_change(&p, now);
            if let Some(next) = next {
                proptest::prop_assert!(next > now);
            }
            // Up to the next change (or a year on when none), the stage stays.
            let end = next.unwrap_or(now + Duration::days(365));
            let span = (end - now).num_nanoseconds().unwrap_or(i64::MAX);
            for f in samples {
                let t = now + Duration::nanoseconds(((span as f64) * f) as i64);
                if t < end {
                    proptest::prop_assert_eq!(c.stage(&p, t), stage, "at {}", t);
                }
            }
            let last = end - Duration::nanoseconds(1);
            if last >= now {
                proptest::prop_assert_eq!(c.stage(&p, last), stage, "just before the change");
            }
        }
    }

    #[test]
    fn tiers_split_by_rank() {
        let values: Vec<i64> = (1..=10).map(|v| v * 100).collect();
        let tiers = Tier::by_rank(&values, 0.1, 0.3);
        assert_eq!(tiers.iter().filter(|t| **t == Tier::High).count(), 1);
        assert_eq!(tiers.iter().filter(|t| **t == Tier::Potential).count(), 3);
        assert_eq!(tiers[9], Tier::High);
        assert_eq!(Tier::by_rank(&[0, 0, 0], 0.1, 0.3), [Tier::Edge; 3], "no spend is never high");
    }
}
