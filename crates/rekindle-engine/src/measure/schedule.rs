//! Schedule analysis (docs/live.md, "Schedule"): which weekdays, hours and topics keep live
//! viewers and convert them, with 95% intervals, and the slots to prefer.
//!
//! A session's viewers are the people with it in their profile (entered or watched). A viewer
//! is **kept** when they ordered or were in another session within `days` after the session
//! started; only sessions whose `days` have passed count. A viewer **converted** when they
//! ordered in the session.

use std::collections::BTreeMap;

use chrono::{DateTime, Datelike, Duration, Timelike, Utc};
use rekindle_core::calendar::Calendar;
use rekindle_core::objects::LiveSession;
use rekindle_core::profile::Profile;
use serde::Serialize;

use super::table::{Column, Table, rate_cell};
use super::{Window, rate};

/// Normal quantile of a two-sided 95% interval.
const Z: f64 = 1.959_963_984_540_054;

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Schedule {
    pub days: i64,
    /// Over every session counted.
    pub overall: Group,
    /// By `weekday` (1 Monday – 7 Sunday), by `slot` (the weekday and the local hour it
    /// started, `2-20`), by `hour`, and by `topic`.
    pub groups: Vec<Group>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Group {
    pub dimension: String,
    pub key: String,
    pub sessions: u64,
    pub viewers: u64,
    pub kept: u64,
    pub keep_rate: Option<f64>,
    /// Wilson's 95% interval of the keep rate.
    pub keep_low: Option<f64>,
    pub keep_high: Option<f64>,
    pub buyers: u64,
    pub conversion_rate: Option<f64>,
    pub conversion_low: Option<f64>,
    pub conversion_high: Option<f64>,
    /// The keep rate's interval lies above the overall rate: a slot to prefer.
    pub prefer: bool,
}

/// Wilson's score interval of `part` out of `whole`.
pub fn wilson(part: u64, whole: u64) -> Option<(f64, f64)> {
    (whole > 0).then(|| {
        let n = whole as f64;
        let p = part as f64 / n;
        let z2 = Z * Z;
        let centre = (p + z2 / (2.0 * n)) / (1.0 + z2 / n);
        let half = Z * (p * (1.0 - p) / n + z2 / (4.0 * n * n)).sqrt() / (1.0 + z2 / n);
        ((centre - half).max(0.0), (centre + half).min(1.0))
    })
}

#[derive(Default, Clone, Copy)]
struct Count {
    sessions: u64,
    viewers: u64,
    kept: u64,
    buyers: u64,
}

pub fn schedule<'a>(
    people: impl Fn() -> Box<dyn Iterator<Item = &'a Profile> + 'a>,
    sessions: &[LiveSession],
    cal: &Calendar,
    now: DateTime<Utc>,
    window: Window,
    days: i64,
) -> Schedule {
    let after = Duration::days(days);
    let counted: Vec<&LiveSession> =
        sessions.iter().filter(|s| window.contains(cal.day(origin(s))) && origin(s) + after <= now).collect();
    let index: BTreeMap<&str, usize> = counted.iter().enumerate().map(|(i, s)| (s.id.as_str(), i)).collect();
    let starts: BTreeMap<&str, DateTime<Utc>> = sessions.iter().map(|s| (s.id.as_str(), origin(s))).collect();
    let mut per = vec![Count::default(); counted.len()];
    for p in people() {
        for (id, _) in p.sessions() {
            let Some(&i) = index.get(id) else { continue };
            let start = origin(counted[i]);
            let c = &mut per[i];
            c.viewers += 1;
            let later = |t: DateTime<Utc>| t > start && t <= start + after;
            let came_back = p
                .sessions()
                .any(|(other, _)| other != counted[i].id.as_str() && starts.get(other).is_some_and(|&t| later(t)));
            if came_back || p.orders.iter().any(|(_, o)| later(o.at) && o.session() != Some(id)) {
                c.kept += 1;
            }
            if p.orders.iter().any(|(_, o)| o.session() == Some(id)) {
                c.buyers += 1;
            }
        }
    }
    let mut groups: BTreeMap<(&'static str, String), Count> = BTreeMap::new();
    let mut overall = Count::default();
    for (s, c) in counted.iter().zip(&per) {
        let local = cal.local(origin(s));
        let weekday = local.weekday().number_from_monday();
        let mut keys = vec![
            ("weekday", weekday.to_string()),
            ("slot", format!("{weekday}-{:02}", local.hour())),
            ("hour", format!("{:02}", local.hour())),
        ];
        keys.extend(s.topics.iter().map(|t| ("topic", t.clone())));
        for k in keys.into_iter().chain([("all", "all".to_owned())]) {
            add(groups.entry(k).or_default(), c);
        }
        add(&mut overall, c);
    }
    let overall = group("all", "all".into(), overall, None);
    let base = overall.keep_rate;
    let groups = groups.into_iter().filter(|((d, _), _)| *d != "all").map(|((d, k), c)| group(d, k, c, base)).collect();
    Schedule { days, overall, groups }
}

fn add(to: &mut Count, c: &Count) {
    to.sessions += 1;
    to.viewers += c.viewers;
    to.kept += c.kept;
    to.buyers += c.buyers;
}

fn group(dimension: &str, key: String, c: Count, base: Option<f64>) -> Group {
    let keep = wilson(c.kept, c.viewers);
    let conversion = wilson(c.buyers, c.viewers);
    Group {
        dimension: dimension.to_owned(),
        key,
        sessions: c.sessions,
        viewers: c.viewers,
        kept: c.kept,
        keep_rate: rate(c.kept, c.viewers),
        keep_low: keep.map(|k| k.0),
        keep_high: keep.map(|k| k.1),
        buyers: c.buyers,
        conversion_rate: rate(c.buyers, c.viewers),
        conversion_low: conversion.map(|k| k.0),
        conversion_high: conversion.map(|k| k.1),
        prefer: matches!((keep, base), (Some((low, _)), Some(b)) if low > b),
    }
}

fn origin(s: &LiveSession) -> DateTime<Utc> {
    s.started_at.unwrap_or(s.scheduled_start)
}

impl Schedule {
    pub fn table(&self) -> Table {
        const COLUMNS: [Column; 12] = [
            Column::words("dimension", "维度", "dimension"),
            Column::words("key", "分组", "group"),
            Column::new("sessions", "场次", "sessions"),
            Column::new("viewers", "观众人次", "viewers"),
            Column::new("kept", "留存人次", "kept"),
            Column::new("keep_rate", "留存率", "keep_rate"),
            Column::new("keep_low", "留存率下限", "keep_low"),
            Column::new("keep_high", "留存率上限", "keep_high"),
            Column::new("buyers", "场内下单人次", "buyers"),
            Column::new("conversion_rate", "转化率", "conversion_rate"),
            Column::new("conversion_low", "转化率下限", "conversion_low"),
            Column::words("prefer", "推荐排期", "prefer"),
        ];
        let row = |g: &Group| {
            vec![
                g.dimension.clone(),
                g.key.clone(),
                g.sessions.to_string(),
                g.viewers.to_string(),
                g.kept.to_string(),
                rate_cell(g.keep_rate),
                rate_cell(g.keep_low),
                rate_cell(g.keep_high),
                g.buyers.to_string(),
                rate_cell(g.conversion_rate),
                rate_cell(g.conversion_low),
                g.prefer.to_string(),
            ]
        };
        Table { columns: COLUMNS.to_vec(), rows: std::iter::once(&self.overall).chain(&self.groups).map(row).collect() }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wilson_matches_the_textbook() {
        // 81 of 263: Wilson's (1927) worked interval is 0.2553 – 0.3662.
        let (low, high) = wilson(81, 263).unwrap();
        assert!((low - 0.2553).abs() < 5e-4 && (high - 0.3662).abs() < 5e-4, "{low} {high}");
        assert_eq!(wilson(0, 0), None);
        assert_eq!(wilson(0, 10).unwrap().0, 0.0);
    }
}
