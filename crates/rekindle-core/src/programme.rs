//! The store's global control group (全局对照组): a share of its people kept out of every
//! marketing journey, so the whole programme's worth can be read against them
//! (docs/journeys.md, "Global control group").
//!
//! The policy:
//! - a person is in control when a stable draw — a hash of (store, person id, period) — falls
//!   below the share: the same person stays in or out for the whole period, whatever happens;
//! - periods are `refresh_days` long, counted from `since` (a local day); at each refresh a new
//!   draw is made, so nobody is held out of marketing for ever; `refresh_days` 0 never redraws;
//! - before `since` there is no control group;
//! - the programme is read per period (who was in control then, against who was not);
//! - when OneID merges two people, the surviving id's draw is the person's draw.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use crate::FieldError;
use crate::ids::{PersonId, WorkspaceId};

/// The largest share a store may hold out, in percent: more would cost too much marketing.
pub const MAX_PERCENT: u8 = 30;
/// The longest period between redraws, in days (two years).
pub const MAX_REFRESH_DAYS: u32 = 730;
/// A redraw every quarter unless the store says otherwise.
pub const DEFAULT_REFRESH_DAYS: u32 = 90;

/// Draws are made in ten-thousandths, so shares are exact to a hundredth of a percent.
const SCALE: u64 = 10_000;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields, default)]
pub struct ControlGroup {
    /// The share of the store's people held out of marketing journeys, 0–30 percent; 0 is off.
    pub percent: u8,
    /// Days between redraws; 0 never redraws.
    pub refresh_days: u32,
    /// The local day the first period starts (set to today when the group is turned on).
    pub since: Option<NaiveDate>,
}

impl Default for ControlGroup {
    fn default() -> Self {
        Self { percent: 0, refresh_days: DEFAULT_REFRESH_DAYS, since: None }
    }
}

/// One period of the control group: its number and its local days `from..=to` (`to` none
/// while it never ends).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Period {
    pub number: u32,
    pub from: NaiveDate,
    pub to: Option<NaiveDate>,
}

impl ControlGroup {
    /// Every problem, each naming its field.
    pub fn check(&self) -> Vec<FieldError> {
        let mut out = Vec::new();
        if self.percent > MAX_PERCENT {
            out.push(FieldError::new("percent", format!("must be between 0 and {MAX_PERCENT}")));
        }
        if self.refresh_days > MAX_REFRESH_DAYS {
            out.push(FieldError::new("refresh_days", format!("must be between 0 and {MAX_REFRESH_DAYS}")));
        }
        if self.percent > 0 && self.since.is_none() {
            out.push(FieldError::new("since", "a control group needs the day its first period starts"));
        }
        out
    }

    /// Holding anyone out on `day`.
    pub fn active_on(&self, day: NaiveDate) -> bool {
        self.percent > 0 && self.period_of(day).is_some()
    }

    /// The number of whole refresh periods between `since` and `day`; none before `since`.
    pub fn epoch(&self, day: NaiveDate) -> Option<u32> {
        let since = self.since?;
        let days = (day - since).num_days();
        if days < 0 {
            return None;
        }
        Some(if self.refresh_days == 0 { 0 } else { (days / i64::from(self.refresh_days)) as u32 })
    }

    /// The period `day` falls in.
    pub fn period_of(&self, day: NaiveDate) -> Option<Period> {
        self.epoch(day).and_then(|n| self.period(n))
    }

    /// Period `number`'s days.
    pub fn period(&self, number: u32) -> Option<Period> {
        let since = self.since?;
        if self.refresh_days == 0 {
            return (number == 0).then_some(Period { number, from: since, to: None });
        }
        let length = chrono::Days::new(u64::from(self.refresh_days));
        let from = since.checked_add_days(chrono::Days::new(u64::from(number) * u64::from(self.refresh_days)))?;
        let to = from.checked_add_days(length)?.pred_opt()?;
        Some(Period { number, from, to: Some(to) })
    }

    /// Whether `person` is held out of marketing on `day`.
    pub fn holds_out(&self, ws: WorkspaceId, person: PersonId, day: NaiveDate) -> bool {
        self.percent > 0 && self.epoch(day).is_some_and(|epoch| self.in_control(ws, person, epoch))
    }

    /// Whether `person` is in control in period `epoch` (whatever the day).
    pub fn in_control(&self, ws: WorkspaceId, person: PersonId, epoch: u32) -> bool {
        draw(ws, person, epoch) < u64::from(self.percent) * (SCALE / 100)
    }
}

/// The person's draw for a period, uniform in 0..10,000: SplitMix64 over the store, the id's
/// two halves and the period, so it is the same on every machine and in every release.
pub fn draw(ws: WorkspaceId, person: PersonId, epoch: u32) -> u64 {
    let (hi, lo) = person.0.as_u64_pair();
    let mut h = crate::journey::mix(ws.0 as u64 ^ 0xC0_47_20_1C);
    for part in [hi, lo, u64::from(epoch)] {
        h = crate::journey::mix(h ^ part);
    }
    h % SCALE
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    fn group(percent: u8, refresh_days: u32) -> ControlGroup {
        ControlGroup { percent, refresh_days, since: Some(day("2026-01-01")) }
    }

    /// Deterministic ids: the UUIDs of 1, 2, 3…
    fn people(n: u128) -> impl Iterator<Item = PersonId> {
        (1..=n).map(|i| PersonId(uuid::Uuid::from_u128(i.wrapping_mul(0x9E37_79B9_7F4A_7C15_F39C_C060_5CED_C835))))
    }

    #[test]
    fn the_draw_is_stable_within_a_period() {
        let g = group(20, 90);
        let ws = WorkspaceId(1);
        for p in people(2000) {
            let first = g.holds_out(ws, p, day("2026-01-01"));
            assert_eq!(g.holds_out(ws, p, day("2026-02-14")), first);
            assert_eq!(g.holds_out(ws, p, day("2026-03-31")), first, "the 89th day is still the first period");
        }
    }

    #[test]
    fn the_share_held_out_is_the_setting_within_tolerance() {
        let ws = WorkspaceId(7);
        let n = 20_000u32;
        for percent in [5u8, 10, 30] {
            let g = group(percent, 90);
            let held = people(u128::from(n)).filter(|p| g.holds_out(ws, *p, day("2026-01-05"))).count();
            let share = held as f64 / f64::from(n);
            let p = f64::from(percent) / 100.0;
            // Four standard errors of a binomial share.
            let tolerance = 4.0 * (p * (1.0 - p) / f64::from(n)).sqrt();
            assert!((share - p).abs() < tolerance, "{percent}%: held out {share:.4}");
        }
    }

    /// Ids as the store mints them (UUIDv7): a burst of a thousand in each millisecond, so
    /// the high half repeats and only the random tail differs.
    #[test]
    fn the_share_holds_for_ids_minted_in_bursts() {
        let ws = WorkspaceId(1);
        let g = group(30, 90);
        let mut tail = 0x5EED_u64;
        let n = 40_000u32;
        let held = (0..n)
            .filter(|k| {
                tail = crate::journey::mix(tail);
                let bytes = [tail.to_le_bytes(), tail.rotate_left(17).to_le_bytes()].concat();
                let random: [u8; 10] = bytes[..10].try_into().unwrap();
                let ms = 1_780_000_000_000 + u64::from(k / 1000);
                let id = PersonId(uuid::Builder::from_unix_timestamp_millis(ms, &random).into_uuid());
                g.holds_out(ws, id, day("2026-01-05"))
            })
            .count();
        let share = held as f64 / f64::from(n);
        let tolerance = 4.0 * (0.3f64 * 0.7 / f64::from(n)).sqrt();
        assert!((share - 0.3).abs() < tolerance, "held out {share:.4}");
    }

    #[test]
    fn a_refresh_draws_again_and_never_refreshing_does_not() {
        let ws = WorkspaceId(1);
        let g = group(20, 90);
        let all: Vec<PersonId> = people(10_000).collect();
        let first: Vec<bool> = all.iter().map(|p| g.holds_out(ws, *p, day("2026-03-31"))).collect();
        let second: Vec<bool> = all.iter().map(|p| g.holds_out(ws, *p, day("2026-04-01"))).collect();
        let changed = first.iter().zip(&second).filter(|(a, b)| a != b).count() as f64 / all.len() as f64;
        // Two independent 20% draws differ for 2 × 0.2 × 0.8 = 32% of people.
        assert!((changed - 0.32).abs() < 0.03, "changed at the refresh: {changed:.3}");
        // Held out in both periods: about 4%, so nobody is held out for ever.
        let both = first.iter().zip(&second).filter(|(a, b)| **a && **b).count() as f64 / all.len() as f64;
        assert!((both - 0.04).abs() < 0.01, "held out twice: {both:.3}");

        let never = group(20, 0);
        let later: Vec<bool> = all.iter().map(|p| never.holds_out(ws, *p, day("2028-06-01"))).collect();
        let now: Vec<bool> = all.iter().map(|p| never.holds_out(ws, *p, day("2026-01-01"))).collect();
        assert_eq!(later, now, "refresh_days 0 keeps the first draw");
    }

    #[test]
    fn stores_draw_independently_and_nobody_is_held_out_before_since_or_when_off() {
        let all: Vec<PersonId> = people(5000).collect();
        let g = group(30, 90);
        let a: Vec<bool> = all.iter().map(|p| g.holds_out(WorkspaceId(1), *p, day("2026-01-02"))).collect();
        let b: Vec<bool> = all.iter().map(|p| g.holds_out(WorkspaceId(2), *p, day("2026-01-02"))).collect();
        assert_ne!(a, b);
        assert!(!all.iter().any(|p| g.holds_out(WorkspaceId(1), *p, day("2025-12-31"))));
        let off = group(0, 90);
        assert!(!all.iter().any(|p| off.holds_out(WorkspaceId(1), *p, day("2026-01-02"))));
    }

    #[test]
    fn periods_are_counted_from_since() {
        let g = group(10, 90);
        assert_eq!(g.epoch(day("2025-12-31")), None);
        assert_eq!(g.epoch(day("2026-01-01")), Some(0));
        assert_eq!(g.epoch(day("2026-04-01")), Some(1));
        let p = g.period_of(day("2026-05-01")).unwrap();
        assert_eq!((p.number, p.from, p.to), (1, day("2026-04-01"), Some(day("2026-06-29"))));
        assert_eq!(group(10, 0).period_of(day("2030-01-01")).map(|p| (p.number, p.to)), Some((0, None)));
    }

    #[test]
    fn settings_are_checked_field_by_field() {
        assert!(ControlGroup::default().check().is_empty(), "off needs no day");
        let fields = |g: ControlGroup| g.check().into_iter().map(|e| e.field).collect::<Vec<_>>();
        assert_eq!(fields(ControlGroup { percent: 31, ..group(0, 90) }), ["percent"]);
        assert_eq!(fields(ControlGroup { refresh_days: 731, ..group(10, 0) }), ["refresh_days"]);
        assert_eq!(fields(ControlGroup { since: None, ..group(10, 90) }), ["since"]);
        let partial: ControlGroup = serde_json::from_str(r#"{"percent": 10, "since": "2026-03-01"}"#).unwrap();
        assert_eq!(partial.refresh_days, DEFAULT_REFRESH_DAYS);
        assert!(serde_json::from_str::<ControlGroup>(r#"{"percent": 10, "share": 3}"#).is_err());
    }
}
