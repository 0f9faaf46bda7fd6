//! The program's figures per period of the store's calendar: points issued, redeemed, expired
//! and taken back, the redemption rate, and how many members stood at each level when the
//! period ended (from the recorded level changes and the growth of that moment).

use std::collections::HashMap;
use std::hash::Hash;

use chrono::{DateTime, Duration, NaiveDate, Utc};
use serde::Serialize;

use super::ledger::{Entry, Kind};
use super::membership::Held;
use super::program::Program;
use crate::calendar::{Calendar, Grain, nth_period, period_start};

/// One period's movements and where members stood at its end.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "openapi", schema(as = LoyaltyPeriod))]
pub struct Period {
    /// The period's first local day.
    pub start: NaiveDate,
    /// Earned, and credited by operators.
    pub issued: i64,
    /// Held for orders, less what was given back.
    pub redeemed: i64,
    pub expired: i64,
    /// Clawed back from refunds, and taken by operators.
    pub taken_back: i64,
    /// Redeemed ÷ issued in the period (none without issues).
    pub redemption_rate: Option<f64>,
    /// Members at each level (the program's order) at the period's end, or now.
    pub levels: Vec<u64>,
}

/// The whole program as of now.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "openapi", schema(as = LoyaltyFigures))]
pub struct Figures {
    /// People with a ledger or a level.
    pub members: u64,
    /// Points held by members now, and what they are worth at redemption (fen).
    pub outstanding: i64,
    pub outstanding_fen: i64,
    /// All time.
    pub issued: i64,
    pub redeemed: i64,
    pub expired: i64,
    pub redemption_rate: Option<f64>,
    /// The level names, in order.
    pub level_names: Vec<String>,
    /// Oldest first, the last one the period `now` is in.
    pub periods: Vec<Period>,
}

/// What one entry adds to the movements.
fn movement(e: &Entry) -> (i64, i64, i64, i64) {
    match e.kind {
        Kind::Earn => (e.points, 0, 0, 0),
        Kind::Adjust if e.points > 0 => (e.points, 0, 0, 0),
        Kind::Adjust | Kind::ClawBack => (0, 0, 0, -e.points),
        Kind::Redeem => (0, -e.points, 0, 0),
        Kind::Release => (0, -e.points, 0, 0),
        Kind::Expire => (0, 0, -e.points, 0),
    }
}

fn rate(redeemed: i64, issued: i64) -> Option<f64> {
    (issued > 0).then(|| redeemed as f64 / issued as f64)
}

/// A member's growth at any moment from prefix sums over their entries in time order.
struct Growth {
    at: Vec<DateTime<Utc>>,
    /// `sum[i]`: growth-counting points of the first `i` entries.
    sum: Vec<i64>,
}

impl Growth {
    fn new(entries: &[&Entry]) -> Self {
        let mut counted: Vec<(DateTime<Utc>, i64)> = entries
            .iter()
            .map(|e| (e.at, if matches!(e.kind, Kind::Earn | Kind::ClawBack) { e.points } else { 0 }))
            .collect();
        counted.sort_by_key(|(at, _)| *at);
        let mut sum = Vec::with_capacity(counted.len() + 1);
        sum.push(0);
        for (_, p) in &counted {
            sum.push(sum.last().copied().unwrap_or(0) + p);
        }
        Self { at: counted.into_iter().map(|(at, _)| at).collect(), sum }
    }

    /// As `level::growth` counts it: in `(t - window, t]`, never below 0.
    fn at(&self, t: DateTime<Utc>, window: Duration) -> i64 {
        let upto = self.at.partition_point(|a| *a <= t);
        let from = self.at.partition_point(|a| *a <= t - window);
        (self.sum[upto] - self.sum[from]).max(0)
    }

    fn first(&self) -> Option<DateTime<Utc>> {
        self.at.first().copied()
    }
}

impl Program {
    /// The figures of the last `periods` periods of `grain` up to `now`, from every ledger
    /// entry (`entries`, by person) and every recorded level change (`changes`: person, when,
    /// the level's name).
    pub fn figures<P: Eq + Hash + Copy>(
        &self,
        calendar: &Calendar,
        grain: Grain,
        periods: usize,
        now: DateTime<Utc>,
        entries: &[(P, Entry)],
        changes: &[(P, DateTime<Utc>, String)],
    ) -> Figures {
        let today = period_start(grain, calendar.day(now));
        let starts: Vec<NaiveDate> = (0..periods as i64).rev().map(|k| nth_period(grain, today, -k)).collect();
        let bounds: Vec<DateTime<Utc>> = starts.iter().map(|d| calendar.midnight(*d)).collect();
        let mut out: Vec<Period> = starts
            .iter()
            .map(|start| Period { start: *start, levels: vec![0; self.levels.len()], ..Period::default() })
            .collect();
        let mut totals = (0, 0, 0);
        let mut by_person: HashMap<P, Vec<&Entry>> = HashMap::new();
        let mut outstanding = 0;
        for (p, e) in entries {
            by_person.entry(*p).or_default().push(e);
            outstanding += e.points;
            let (issued, redeemed, expired, taken) = movement(e);
            totals = (totals.0 + issued, totals.1 + redeemed, totals.2 + expired);
            if e.at > now || bounds.first().is_none_or(|b| e.at < *b) {
                continue;
            }
            let i = bounds.partition_point(|b| *b <= e.at) - 1;
            let period = &mut out[i];
            period.issued += issued;
            period.redeemed += redeemed;
            period.expired += expired;
            period.taken_back += taken;
        }
        let mut held: HashMap<P, Vec<(DateTime<Utc>, usize)>> = HashMap::new();
        for (p, at, name) in changes {
            if let Some(level) = self.level_named(name) {
                held.entry(*p).or_default().push((*at, level));
            }
        }
        for h in held.values_mut() {
            h.sort();
        }
        let window = Duration::days(i64::from(self.growth_days));
        let mut members = 0;
        let people: std::collections::HashSet<P> = by_person.keys().chain(held.keys()).copied().collect();
        for p in people {
            members += 1;
            let growth = Growth::new(by_person.get(&p).map_or(&[][..], Vec::as_slice));
            let changes = held.get(&p).map_or(&[][..], Vec::as_slice);
            for (i, period) in out.iter_mut().enumerate() {
                let end = bounds.get(i + 1).copied().unwrap_or(now).min(now);
                let joined = growth.first().into_iter().chain(changes.first().map(|c| c.0)).min();
                if joined.is_none_or(|j| j > end) {
                    continue;
                }
                let last = changes.partition_point(|c| c.0 <= end);
                let held = last.checked_sub(1).map(|i| Held { level: changes[i].1, since: changes[i].0 });
                let level = self.current_level(held, growth.at(end, window));
                if let Some(n) = period.levels.get_mut(level) {
                    *n += 1;
                }
            }
        }
        for p in &mut out {
            p.redemption_rate = rate(p.redeemed, p.issued);
        }
        Figures {
            members,
            outstanding,
            outstanding_fen: self.value_fen(outstanding),
            issued: totals.0,
            redeemed: totals.1,
            expired: totals.2,
            redemption_rate: rate(totals.1, totals.0),
            level_names: self.levels.iter().map(|l| l.name.clone()).collect(),
            periods: out,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(kind: Kind, points: i64, at: &str) -> Entry {
        Entry {
            kind,
            points,
            source: format!("{kind:?}:{at}"),
            reason: String::new(),
            at: at.parse().unwrap(),
            expires_at: None,
        }
    }

    #[test]
    fn movements_fall_in_the_stores_months_and_levels_count_at_each_end() {
        let p = Program::default();
        let shanghai = Calendar::new(chrono_tz::Asia::Shanghai);
        let now: DateTime<Utc> = "2026-03-15T00:00:00Z".parse().unwrap();
        let entries = vec![
            // 2026-01-31 20:00 UTC is already February in Shanghai.
            (1, entry(Kind::Earn, 600, "2026-01-31T20:00:00Z")),
            (1, entry(Kind::Redeem, -100, "2026-02-10T00:00:00Z")),
            (1, entry(Kind::Release, 40, "2026-02-11T00:00:00Z")),
            (2, entry(Kind::Earn, 100, "2026-01-05T00:00:00Z")),
            (2, entry(Kind::Expire, -30, "2026-03-01T00:00:00Z")),
        ];
        // Person 3 was moved to L3 by hand (an external level) in March.
        let changes = vec![(3, "2026-03-02T00:00:00Z".parse().unwrap(), "L3".to_string())];
        let f = p.figures(&shanghai, Grain::Month, 3, now, &entries, &changes);
        let months: Vec<String> = f.periods.iter().map(|x| x.start.to_string()).collect();
        assert_eq!(months, ["2026-01-01", "2026-02-01", "2026-03-01"]);
        let moves: Vec<_> = f.periods.iter().map(|x| (x.issued, x.redeemed, x.expired)).collect();
        assert_eq!(moves, [(100, 0, 0), (600, 60, 0), (0, 0, 30)]);
        assert_eq!(f.periods[1].redemption_rate, Some(0.1));
        let levels: Vec<_> = f.periods.iter().map(|x| x.levels.clone()).collect();
        assert_eq!(levels, [vec![1, 0, 0, 0], vec![1, 1, 0, 0], vec![1, 1, 1, 0]]);
        assert_eq!((f.members, f.outstanding, f.outstanding_fen), (3, 610, 1220));
        assert_eq!((f.issued, f.redeemed, f.expired), (700, 60, 30));
    }
}
