//! Reconcile: WeCom sends no callback for changes made through its API (a transfer, a staff
//! member's bulk delete), and callbacks can be lost, so its list of friendships is read
//! periodically and compared with what Rekindle folded.

use chrono::{DateTime, Utc};

use super::Relationships;

/// One friendship as WeCom lists it (`externalcontact/batch/get_by_user`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Listed<'a> {
    pub staff: &'a str,
    /// `createtime`: when the customer added the staff member.
    pub added_at: DateTime<Utc>,
    /// The channel code's `state`, if the customer came through one.
    pub state: Option<&'a str>,
}

/// A change the log lacks.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Fix<'a> {
    /// WeCom lists a friendship Rekindle does not hold.
    Added { staff: &'a str, at: DateTime<Utc>, state: Option<&'a str> },
    /// Rekindle holds a friendship WeCom no longer lists; `since` names the friendship ended.
    Removed { staff: &'a str, since: Option<DateTime<Utc>> },
}

/// What to write so that `ours` matches WeCom's list for one customer. A friendship listed
/// with a `createtime` no later than a removal Rekindle holds is dated `now` (WeCom's time
/// would not outrank the removal). Friendships that name no staff member (older
/// integrations) are left alone: nothing in WeCom's list can be matched to them.
pub fn fixes<'a>(ours: &'a Relationships, listed: &[Listed<'a>], now: DateTime<Utc>) -> Vec<Fix<'a>> {
    let mut out = Vec::new();
    for l in listed {
        if ours.is_friend(l.staff) {
            continue;
        }
        let ended = ours.all().find(|(s, ..)| *s == l.staff).and_then(|(_, link, _)| link.removed.map(|(t, _)| t));
        let at = if ended.is_some_and(|r| l.added_at <= r) { now } else { l.added_at };
        out.push(Fix::Added { staff: l.staff, at, state: l.state });
    }
    for (staff, link) in ours.friends() {
        if !staff.is_empty() && !listed.iter().any(|l| l.staff == staff) {
            out.push(Fix::Removed { staff, since: link.since });
        }
    }
    out
}

/// The source a channel code's `state` names: codes Rekindle makes are `{source}-r{id}`
/// (`live-20261120`, `parcel-a`); a state without a dash is the source itself.
pub fn source_of(state: &str) -> &str {
    state.split_once('-').map_or(state, |(source, _)| source)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::contacts::RemovedBy;
    use chrono::{Duration, TimeZone};

    #[test]
    fn adds_what_wecom_lists_and_removes_what_it_does_not() {
        let t0 = Utc.with_ymd_and_hms(2026, 11, 1, 0, 0, 0).unwrap();
        let now = t0 + Duration::days(10);
        let mut ours = Relationships::default();
        ours.added("guide-1", t0, None, "store", None);
        ours.added("host-1", t0, None, "live", None);
        ours.added("leader-1", t0, None, "live", None);
        ours.removed("leader-1", t0 + Duration::days(2), RemovedBy::Customer);
        ours.added("", t0, None, "unknown", None);
        let listed = [
            Listed { staff: "guide-1", added_at: t0, state: None },
            // Re-added without a callback, but WeCom's time is before our removal.
            Listed { staff: "leader-1", added_at: t0 + Duration::days(1), state: Some("live-7") },
            Listed { staff: "guide-2", added_at: t0 + Duration::days(3), state: Some("parcel-a") },
        ];
        let fixes = fixes(&ours, &listed, now);
        assert_eq!(
            fixes,
            [
                Fix::Added { staff: "leader-1", at: now, state: Some("live-7") },
                Fix::Added { staff: "guide-2", at: t0 + Duration::days(3), state: Some("parcel-a") },
                Fix::Removed { staff: "host-1", since: Some(t0) },
            ]
        );
        assert_eq!(source_of("parcel-a"), "parcel");
        assert_eq!(source_of("ads"), "ads");
    }
}
