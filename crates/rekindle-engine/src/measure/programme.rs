//! The programme readout (docs/reports.md, "Programme"): does the store's marketing as a whole
//! pay? The people the global control group held out in a period against everyone else, on
//! the order rate, orders and revenue per person (CUPED with the spend of as many days before
//! the period) and retention (of those who had ordered before, the share who ordered again),
//! read with `rekindle_models::experiment` like any experiment. One pass over the folded
//! profiles; the draw is recomputed, never stored (`rekindle_core::programme`).

use chrono::{DateTime, NaiveDate, Utc};
use rekindle_core::calendar::Calendar;
use rekindle_core::profile::Profile;
use rekindle_core::programme::{ControlGroup, Period};
use rekindle_core::{PersonId, WorkspaceId};
use rekindle_models::experiment::{
    CupedStats, ExperimentConfig, Goal, MeanStats, Metric, MetricData, Proportion, Readout, readout,
};
use serde::Serialize;

use crate::Audience;

/// The metrics, by key; the console names them in the operator's language.
pub const ORDER_RATE: &str = "order_rate";
pub const ORDERS: &str = "orders_per_person";
pub const REVENUE: &str = "revenue_per_person";
pub const RETENTION: &str = "retention";

/// One side's figures over the period.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Side {
    /// People known by the period's end.
    pub people: u64,
    /// Of them, who ordered in the period.
    pub ordered: u64,
    pub orders: u64,
    pub revenue_fen: i64,
    /// People who had ordered before the period began…
    pub buyers_before: u64,
    /// …and, of them, who ordered in it.
    pub retained: u64,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Programme {
    pub control_group: ControlGroup,
    pub period: Period,
    /// The local days read: the period's, up to today.
    pub from: NaiveDate,
    pub to: NaiveDate,
    pub control: Side,
    pub treated: Side,
    /// Control against treated, per metric; the sample-ratio check against the set share.
    pub readout: Readout,
}

/// Why there is nothing to read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Unread {
    /// The control group is off.
    Off,
    /// The period asked for has not begun (or the group has no first day).
    NotBegun,
}

/// Read period `number` (the current one when none) of the store's control group, as of the
/// audience's `now`.
pub fn programme(
    audience: &Audience,
    ws: WorkspaceId,
    group: &ControlGroup,
    number: Option<u32>,
) -> Result<Programme, Unread> {
    let people = audience.members.iter().map(|m| (m.person, &*m.profile));
    read(people, audience.context.calendar, audience.now, ws, group, number)
}

/// [`programme`] over any people's folded profiles.
pub fn read<'a>(
    people: impl IntoIterator<Item = (PersonId, &'a Profile)>,
    cal: Calendar,
    now: DateTime<Utc>,
    ws: WorkspaceId,
    group: &ControlGroup,
    number: Option<u32>,
) -> Result<Programme, Unread> {
    if group.percent == 0 {
        return Err(Unread::Off);
    }
    let today = cal.day(now);
    let number = number.or_else(|| group.epoch(today)).ok_or(Unread::NotBegun)?;
    let period = group.period(number).filter(|p| p.from <= today).ok_or(Unread::NotBegun)?;
    let to = period.to.map_or(today, |t| t.min(today));
    let start = cal.midnight(period.from);
    let end = to.succ_opt().map_or(now, |d| cal.midnight(d)).min(now);
    // The CUPED pre-period: as long as the part of the period read.
    let pre = start - (end - start);
    let mut sides = [Sums::default(), Sums::default()];
    for (person, profile) in people {
        // Someone the store first saw after the period was read is in neither side.
        if profile.first_seen.is_none_or(|t| t >= end) {
            continue;
        }
        let treated = !group.in_control(ws, person, number);
        sides[usize::from(treated)].push(profile, pre, start, end);
    }
    let [control, treated] = sides;
    let units = [control.side.people, treated.side.people];
    let weights = [f64::from(group.percent), f64::from(100 - group.percent)];
    let metrics = metrics(&control, &treated);
    Ok(Programme {
        control_group: group.clone(),
        period,
        from: period.from,
        to,
        control: control.side,
        treated: treated.side,
        readout: readout(&units, &weights, &metrics, &ExperimentConfig::default()),
    })
}

#[derive(Default)]
struct Sums {
    side: Side,
    orders: MeanStats,
    revenue: CupedStats,
}

impl Sums {
    fn push(&mut self, p: &Profile, pre: DateTime<Utc>, start: DateTime<Utc>, end: DateTime<Utc>) {
        let (mut orders, mut fen, mut pre_fen, mut before) = (0u64, 0i64, 0i64, false);
        for (_, o) in &p.orders {
            if o.at < start {
                before = true;
                if o.at >= pre {
                    pre_fen += o.revenue_fen;
                }
            } else if o.at < end {
                orders += 1;
                fen += o.revenue_fen;
            }
        }
        let s = &mut self.side;
        s.people += 1;
        s.ordered += u64::from(orders > 0);
        s.orders += orders;
        s.revenue_fen += fen;
        s.buyers_before += u64::from(before);
        s.retained += u64::from(before && orders > 0);
        self.orders.push(orders as f64);
        self.revenue.push(yuan(pre_fen), yuan(fen));
    }
}

fn yuan(fen: i64) -> f64 {
    fen as f64 / 100.0
}

fn metrics(control: &Sums, treated: &Sums) -> Vec<Metric> {
    let metric = |name: &str, data| Metric { name: name.into(), goal: Goal::Increase, guardrail: false, data };
    let share = |part: fn(&Side) -> u64, whole: fn(&Side) -> u64| MetricData::Proportion {
        control: Proportion { n: whole(&control.side), conversions: part(&control.side) },
        treatment: Proportion { n: whole(&treated.side), conversions: part(&treated.side) },
    };
    vec![
        metric(ORDER_RATE, share(|s| s.ordered, |s| s.people)),
        metric(ORDERS, MetricData::Mean { control: control.orders, treatment: treated.orders }),
        metric(REVENUE, MetricData::Cuped { control: control.revenue, treatment: treated.revenue }),
        metric(RETENTION, share(|s| s.retained, |s| s.buyers_before)),
    ]
}

#[cfg(test)]
mod tests {
    use rekindle_core::money::Amounts;
    use rekindle_core::profile::ProfileEvent;
    use rekindle_models::experiment::Verdict;
    use serde_json::json;

    use super::*;

    fn at(s: &str) -> DateTime<Utc> {
        s.parse().unwrap()
    }

    fn id(i: u64) -> PersonId {
        format!("00000000-0000-7000-8000-{i:012x}").parse().unwrap()
    }

    /// A uniform number in [0, 1) from `i` and `salt`: the test's own deterministic draws.
    fn uniform(i: u64, salt: u64) -> f64 {
        let mut z = i.wrapping_mul(0x9E37_79B9_7F4A_7C15) ^ salt;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        ((z ^ (z >> 31)) >> 11) as f64 / (1u64 << 53) as f64
    }

    fn order(p: &mut Profile, id: String, t: DateTime<Utc>, fen: i64) {
        let props = json!({"order_id": id, "revenue": fen, "products": [{"sku": "milk"}]});
        p.apply(ProfileEvent { at: t, name: "Order Completed", properties: &props, amounts: Amounts::LEGACY });
    }

    fn group() -> ControlGroup {
        ControlGroup { percent: 20, refresh_days: 30, since: Some("2026-03-01".parse().unwrap()) }
    }

    /// 4,000 people seen in February, half of them buyers then; in March's period each orders
    /// once with 30% chance, or 45% if the control group did not hold them out.
    fn store(ws: WorkspaceId) -> Vec<(PersonId, Profile)> {
        let g = group();
        (0..4000u64)
            .map(|i| {
                let mut p = Profile::default();
                if uniform(i, 1) < 0.5 {
                    order(&mut p, format!("feb-{i}"), at("2026-02-10T04:00:00Z"), 5000);
                } else {
                    let props = json!({"session_id": "s1"});
                    let e = ProfileEvent {
                        at: at("2026-02-10T04:00:00Z"),
                        name: "Live Entered",
                        properties: &props,
                        amounts: Amounts::LEGACY,
                    };
                    p.apply(e);
                }
                let chance = if g.in_control(ws, id(i), 0) { 0.30 } else { 0.45 };
                if uniform(i, 2) < chance {
                    order(&mut p, format!("mar-{i}"), at("2026-03-10T04:00:00Z"), 8000);
                }
                (id(i), p)
            })
            .collect()
    }

    #[test]
    fn the_readout_finds_the_planted_lift_of_the_treated_over_the_control() {
        let ws = WorkspaceId(3);
        let people = store(ws);
        let now = at("2026-03-20T04:00:00Z");
        let cal = Calendar::default();
        let r = read(people.iter().map(|(i, p)| (*i, p)), cal, now, ws, &group(), None).unwrap();
        assert_eq!(r.period.number, 0);
        assert_eq!((r.from, r.to), ("2026-03-01".parse().unwrap(), "2026-03-20".parse().unwrap()));
        assert_eq!(r.control.people + r.treated.people, 4000);
        let share = r.control.people as f64 / 4000.0;
        assert!((share - 0.2).abs() < 4.0 * (0.2f64 * 0.8 / 4000.0).sqrt(), "control share {share}");
        assert!(!r.readout.sample_ratio_mismatch);
        let rate = r.readout.metrics.iter().find(|m| m.name == ORDER_RATE).unwrap();
        let cmp = rate.comparison.as_ref().unwrap();
        let ci = cmp.absolute.ci.unwrap();
        assert!(ci.low < 0.15 && 0.15 < ci.high, "the planted 15 points lie in {ci:?}");
        assert_eq!(rate.verdict, Verdict::Better);
        // Revenue per person is 80 yuan times the order rate: a lift of 12 yuan.
        let revenue = r.readout.metrics.iter().find(|m| m.name == REVENUE).unwrap();
        let ci = revenue.comparison.as_ref().unwrap().absolute.ci.unwrap();
        assert!(ci.low < 12.0 && 12.0 < ci.high, "12 yuan in {ci:?}");
        // Retention is read among February's buyers only.
        assert!(r.treated.buyers_before > 0 && r.treated.buyers_before < r.treated.people);
        assert_eq!(r.treated.revenue_fen, r.treated.orders as i64 * 8000);
    }

    #[test]
    fn nothing_is_read_while_off_or_before_the_first_period() {
        let ws = WorkspaceId(3);
        let people = store(ws);
        let cal = Calendar::default();
        let off = ControlGroup { percent: 0, ..group() };
        let now = at("2026-03-20T04:00:00Z");
        let read_at = |g: &ControlGroup, now, n| read(people.iter().map(|(i, p)| (*i, p)), cal, now, ws, g, n);
        assert_eq!(read_at(&off, now, None).unwrap_err(), Unread::Off);
        assert_eq!(read_at(&group(), at("2026-02-20T04:00:00Z"), None).unwrap_err(), Unread::NotBegun);
        assert_eq!(read_at(&group(), now, Some(1)).unwrap_err(), Unread::NotBegun, "April has not begun");
        // A later period draws again: the March orders were planted by March's draw, so April
        // (read in May) finds no lift from them.
        let may = at("2026-05-20T04:00:00Z");
        let april = read_at(&group(), may, Some(1)).unwrap();
        assert_eq!((april.from, april.to), ("2026-03-31".parse().unwrap(), "2026-04-29".parse().unwrap()));
        assert_eq!(april.treated.orders + april.control.orders, 0);
    }
}
