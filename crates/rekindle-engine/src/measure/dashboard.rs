//! The store at a glance, computed from the folded profiles: orders, GMV, AOV, new people and
//! the repurchase rate over a window of days and the window before it, by day in the store's
//! time zone, and what each live session brought. No query per report: one pass over the
//! audience, so the dashboard answers in milliseconds at any window.

use std::collections::HashMap;

use chrono::{DateTime, Duration, NaiveDate, Utc};

use crate::audience::Audience;

/// What happened in one period (a window of days, or one day).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Period {
    /// People whose first event fell in the period (by the events' own times).
    pub new_people: u64,
    /// People who did anything in the period.
    pub active_people: u64,
    pub orders: u64,
    pub gmv_fen: i64,
    /// People who ordered in the period.
    pub buyers: u64,
    /// Of them, who ordered at least twice in the period.
    pub repeat_buyers: u64,
}

impl Period {
    /// Average order value, in fen; none without orders.
    pub fn aov_fen(&self) -> Option<i64> {
        (self.orders > 0).then(|| self.gmv_fen / self.orders as i64)
    }

    /// Repeat buyers over buyers (复购率); none without buyers.
    pub fn repurchase_rate(&self) -> Option<f64> {
        (self.buyers > 0).then(|| self.repeat_buyers as f64 / self.buyers as f64)
    }
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SessionFigures {
    /// People who were in the live room.
    pub viewers: u64,
    pub orders: u64,
    pub gmv_fen: i64,
}

pub struct Report {
    /// The last day shown: today, or the day of the latest event if the store has been quiet
    /// since, so charts end at the data.
    pub last_day: NaiveDate,
    pub current: Period,
    /// The same number of days just before.
    pub previous: Period,
    /// Each day of the current window, oldest first.
    pub days: Vec<(NaiveDate, Period)>,
    pub sessions: HashMap<&'static str, SessionFigures>,
}

/// The report over `days` days ending at the data (at most `now`), in the store's calendar.
pub fn report(audience: &Audience, now: DateTime<Utc>, days: u32) -> Report {
    let cal = audience.context.calendar;
    let days = i64::from(days.max(1));
    let latest = audience.members.iter().filter_map(|m| m.profile.last_seen).filter(|t| *t <= now).max();
    let last_day = cal.day(latest.unwrap_or(now));
    let first_day = last_day - Duration::days(days - 1);
    let previous_first = first_day - Duration::days(days);
    let (from, previous_from, to) =
        (cal.midnight(first_day), cal.midnight(previous_first), cal.midnight(last_day + Duration::days(1)));
    let index = |t: DateTime<Utc>| (cal.day(t) - first_day).num_days() as usize;

    let mut current = Period::default();
    let mut previous = Period::default();
    let mut by_day = vec![Period::default(); days as usize];
    let mut sessions: HashMap<&'static str, SessionFigures> = HashMap::new();
    // Erased people's kept orders count in the figures, as nobody (no person, no new people).
    let nobody = std::iter::once((None, &audience.unattributed));
    for (member, p) in audience.members.iter().map(|m| (Some(m), &m.profile)).chain(nobody) {
        let person = member.is_some();
        if let Some(first) = p.first_seen.filter(|_| person) {
            if (from..to).contains(&first) {
                current.new_people += 1;
                by_day[index(first)].new_people += 1;
            } else if (previous_from..from).contains(&first) {
                previous.new_people += 1;
            }
        }
        if person && p.last_seen.is_some_and(|t| t >= from) {
            current.active_people += 1;
        }
        let (mut now_orders, mut before_orders) = (0u64, 0u64);
        for (_, o) in &p.orders {
            let in_current = (from..to).contains(&o.at);
            if in_current {
                now_orders += 1;
                current.gmv_fen = current.gmv_fen.saturating_add(o.revenue_fen);
                let d = &mut by_day[index(o.at)];
                d.orders += 1;
                d.gmv_fen = d.gmv_fen.saturating_add(o.revenue_fen);
            } else if (previous_from..from).contains(&o.at) {
                before_orders += 1;
                previous.gmv_fen = previous.gmv_fen.saturating_add(o.revenue_fen);
            }
            if let Some(s) = o.session() {
                let f = sessions.entry(s).or_default();
                f.orders += 1;
                f.gmv_fen = f.gmv_fen.saturating_add(o.revenue_fen);
            }
        }
        for (period, n) in [(&mut current, now_orders), (&mut previous, before_orders)] {
            period.orders += n;
            period.buyers += u64::from(person && n > 0);
            period.repeat_buyers += u64::from(person && n > 1);
        }
        for (s, _) in p.sessions().filter(|_| person) {
            sessions.entry(s).or_default().viewers += 1;
        }
    }
    let days = by_day.into_iter().enumerate().map(|(i, p)| (first_day + Duration::days(i as i64), p)).collect();
    Report { last_day, current, previous, days, sessions }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use rekindle_core::lifecycle::{Stage, Tier};
    use rekindle_core::profile::{Order, Profile, Text};
    use rekindle_core::rfm::Rfm;

    use super::*;
    use crate::audience::{Context, Member};

    fn at(s: &str) -> DateTime<Utc> {
        s.parse().unwrap()
    }

    fn person(n: u32, orders: &[(&str, i64)], session: Option<&'static str>) -> Member {
        let session = session.map(Text::new);
        let orders: Box<[_]> = orders
            .iter()
            .enumerate()
            .map(|(i, (t, fen))| (i as u64, Order { at: at(t), revenue_fen: *fen, items: Default::default(), session }))
            .collect();
        let p = Profile {
            first_seen: orders.first().map(|(_, o)| o.at),
            last_seen: orders.last().map(|(_, o)| o.at),
            orders,
            ..Profile::default()
        };
        Member {
            person: format!("00000000-0000-7000-8000-{n:012}").parse().unwrap(),
            profile: Arc::new(p),
            stage: Stage::Active,
            tier: Tier::Edge,
            rfm: Rfm::default(),
            tags: Arc::default(),
            segments: Arc::default(),
            scores: None,
        }
    }

    #[test]
    fn windows_end_at_the_data_and_compare_with_the_one_before() {
        let members = vec![
            // Two orders in the window (one at 23:30 local on May 9th, which is 15:30 UTC).
            person(1, &[("2026-05-09T15:30:00Z", 1000), ("2026-05-10T02:00:00Z", 3000)], Some("live-1")),
            // One order in the window before.
            person(2, &[("2026-05-05T02:00:00Z", 2000)], None),
        ];
        let audience = Audience {
            now: at("2026-05-20T00:00:00Z"),
            members,
            context: Context::default(),
            unattributed: Arc::default(),
            memo: Default::default(),
        };
        // Ten quiet days after the last order: the window still ends on May 10th.
        let r = report(&audience, at("2026-05-20T00:00:00Z"), 3);
        assert_eq!(r.last_day.to_string(), "2026-05-10");
        assert_eq!(
            r.days.iter().map(|(d, _)| d.to_string()).collect::<Vec<_>>(),
            ["2026-05-08", "2026-05-09", "2026-05-10"]
        );
        assert_eq!((r.days[1].1.orders, r.days[2].1.orders), (1, 1), "15:30 UTC is 23:30 on the 9th in Shanghai");
        assert_eq!((r.current.orders, r.current.gmv_fen, r.current.buyers, r.current.repeat_buyers), (2, 4000, 1, 1));
        assert_eq!(r.current.aov_fen(), Some(2000));
        assert_eq!(r.current.repurchase_rate(), Some(1.0));
        assert_eq!((r.previous.orders, r.previous.gmv_fen, r.previous.buyers), (1, 2000, 1));
        assert_eq!(r.previous.repurchase_rate(), Some(0.0));
        assert_eq!(r.sessions["live-1"], SessionFigures { viewers: 0, orders: 2, gmv_fen: 4000 });
    }
}
