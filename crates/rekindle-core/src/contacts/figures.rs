//! What the relationships of a store's customers add up to: reach per staff member and what
//! customers from each source are worth (LTV by source).

use std::collections::BTreeMap;

use chrono::{DateTime, Duration, Utc};
use serde::Serialize;

use super::{Relationships, RemovedBy};

/// The window "lately" counts over.
pub const RECENT_DAYS: i64 = 30;

/// One staff member's customers.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct StaffReach {
    pub staff_id: String,
    /// Customers who are their friends now.
    pub friends: u64,
    /// Of those, customers they are the only friend of: who leaves with them.
    pub only_friend: u64,
    /// Customers who added them in the last 30 days.
    pub added_30d: u64,
    /// Friendships that ended in the last 30 days, by who ended them.
    pub removed_by_customer_30d: u64,
    pub removed_by_staff_30d: u64,
    pub transferred_30d: u64,
}

/// Customers who came from one source (the `source` of their first friendship).
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SourceValue {
    pub source: String,
    pub people: u64,
    /// Of those, still a friend of someone.
    pub reachable: u64,
    pub buyers: u64,
    /// Net spend of all of them, in fen, and per person (LTV to date).
    pub spend_fen: i64,
    pub ltv_fen: i64,
}

/// Reach per staff member and value per source across a store's customers.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ContactFigures {
    /// People who were ever a WeCom friend of a staff member, and who are one now.
    pub people: u64,
    pub reachable: u64,
    /// Reachable through more than one staff member.
    pub several_staff: u64,
    /// Most friends first.
    pub staff: Vec<StaffReach>,
    /// Highest LTV first.
    pub sources: Vec<SourceValue>,
}

impl ContactFigures {
    /// Fold each customer's relationships and net spend (fen) as of `now`.
    pub fn of<'a>(customers: impl IntoIterator<Item = (&'a Relationships, i64)>, now: DateTime<Utc>) -> Self {
        let since = now - Duration::days(RECENT_DAYS);
        let recent = |t: DateTime<Utc>| t > since && t <= now;
        let mut f = ContactFigures::default();
        let mut staff: BTreeMap<&str, StaffReach> = BTreeMap::new();
        let mut sources: BTreeMap<&str, SourceValue> = BTreeMap::new();
        for (r, spend) in customers {
            if r.is_empty() {
                continue;
            }
            f.people += 1;
            let friends: Vec<_> = r.friends().filter(|(s, _)| !s.is_empty()).collect();
            let reachable = r.reachable();
            f.reachable += u64::from(reachable);
            f.several_staff += u64::from(friends.len() > 1);
            for (id, link, alive) in r.all().filter(|(s, ..)| !s.is_empty()) {
                let row = staff.entry(id).or_insert_with(|| StaffReach { staff_id: id.into(), ..Default::default() });
                row.friends += u64::from(alive);
                row.only_friend += u64::from(alive && friends.len() == 1);
                row.added_30d += u64::from(link.added.is_some_and(recent));
                match link.removed {
                    Some((t, by)) if !alive && recent(t) => match by {
                        RemovedBy::Customer => row.removed_by_customer_30d += 1,
                        RemovedBy::Staff => row.removed_by_staff_30d += 1,
                        RemovedBy::Transfer => row.transferred_30d += 1,
                        RemovedBy::Unknown => {}
                    },
                    _ => {}
                }
            }
            let source = r.first_source().unwrap_or("unknown");
            let row =
                sources.entry(source).or_insert_with(|| SourceValue { source: source.into(), ..Default::default() });
            row.people += 1;
            row.reachable += u64::from(reachable);
            row.buyers += u64::from(spend > 0);
            row.spend_fen = row.spend_fen.saturating_add(spend);
        }
        f.staff = staff.into_values().collect();
        f.staff.sort_by(|a, b| b.friends.cmp(&a.friends).then_with(|| a.staff_id.cmp(&b.staff_id)));
        f.sources = sources
            .into_values()
            .map(|mut s| {
                s.ltv_fen = s.spend_fen / s.people.max(1) as i64;
                s
            })
            .collect();
        f.sources.sort_by(|a, b| b.ltv_fen.cmp(&a.ltv_fen).then_with(|| a.source.cmp(&b.source)));
        f
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn reach_per_staff_and_value_per_source() {
        let now = Utc.with_ymd_and_hms(2026, 12, 1, 0, 0, 0).unwrap();
        let d = |days: i64| now - Duration::days(days);
        let mut a = Relationships::default();
        a.added("guide-1", d(60), None, "store", Some("store-1"));
        a.added("host-1", d(10), None, "live", Some("live-1"));
        a.removed("host-1", d(5), RemovedBy::Customer);
        let mut b = Relationships::default();
        b.added("host-1", d(20), None, "live", Some("live-1"));
        b.added("guide-1", d(15), None, "parcel", None);
        let mut c = Relationships::default();
        c.added("guide-2", d(40), None, "ads", None);
        c.removed("guide-2", d(3), RemovedBy::Staff);
        let f = ContactFigures::of([(&a, 30_000), (&b, 10_000), (&c, 0), (&Relationships::default(), 99)], now);
        assert_eq!((f.people, f.reachable, f.several_staff), (3, 2, 1));
        let row = |id: &str| f.staff.iter().find(|s| s.staff_id == id).unwrap().clone();
        let g1 = row("guide-1");
        assert_eq!((g1.friends, g1.only_friend, g1.added_30d), (2, 1, 1));
        let h1 = row("host-1");
        assert_eq!((h1.friends, h1.only_friend, h1.removed_by_customer_30d), (1, 0, 1));
        assert_eq!(row("guide-2").removed_by_staff_30d, 1);
        let sources: Vec<_> = f.sources.iter().map(|s| (s.source.as_str(), s.people, s.ltv_fen)).collect();
        assert_eq!(sources, [("store", 1, 30_000), ("live", 1, 10_000), ("ads", 1, 0)]);
    }
}
