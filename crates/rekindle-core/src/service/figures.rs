//! The service's figures, read off the desk: the after-sales queue against its 48 hours, the
//! churn of people who had an incident by how fast it was resolved (the evidence for the
//! promise), and first replies against 15 working minutes and 2 hours, overall and per staff
//! member. Pure: the engine passes the desk, the settings and what it knows of orders.

use std::collections::BTreeMap;

use chrono::{DateTime, Duration, Utc};
use chrono_tz::Tz;
use serde::Serialize;

use super::conversation::Ask;
use super::desk::Desk;
use super::sla::{Reply, Sla};
use crate::PersonId;

/// A person with an incident who has not ordered in this long after it was dealt with (resolved,
/// or opened if it never was) counts as lost.
pub const CHURN_DAYS: i64 = 30;

/// How fast an incident was dealt with.
pub const SPEEDS: [&str; 4] = ["within_24h", "within_48h", "over_48h", "unresolved"];

#[derive(Debug, Clone, Default, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct TicketFigures {
    /// Opened in the window.
    pub opened: u64,
    pub resolved: u64,
    /// Opened in the window and still open.
    pub open: u64,
    /// Still open past their promise, whenever opened.
    pub overdue_now: u64,
    /// Tickets whose promise has run out or which were resolved: the rate's base.
    pub known: u64,
    pub resolved_in_time: u64,
    pub rate_in_time: Option<f64>,
    pub median_resolve_hours: Option<f64>,
    /// Churn by resolution speed, in [`SPEEDS`] order.
    pub churn_by_speed: Vec<SpeedChurn>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SpeedChurn {
    pub speed: String,
    /// Tickets whose [`CHURN_DAYS`] after have all passed.
    pub tickets: u64,
    /// Of those, the ones whose person did not order again in that time.
    pub churned: u64,
    pub rate: Option<f64>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ReplyFigures {
    /// Waits for a first reply that started in the window.
    pub asked: u64,
    pub answered: u64,
    /// Still waiting now.
    pub waiting: u64,
    /// Answered, or waiting past the working-time promise: the working share's base.
    pub known_working: u64,
    pub within_working: u64,
    pub share_working: Option<f64>,
    /// Answered, or waiting past the two hours: the overall share's base.
    pub known_overall: u64,
    pub within_overall: u64,
    pub share_overall: Option<f64>,
    pub median_first_reply_seconds: Option<f64>,
    pub median_working_seconds: Option<f64>,
    pub per_staff: Vec<StaffReplies>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct StaffReplies {
    /// The staff member who answered, else the one written to ("" when neither is known).
    pub staff: String,
    pub asked: u64,
    pub answered: u64,
    pub known_working: u64,
    pub within_working: u64,
    pub share_working: Option<f64>,
    pub known_overall: u64,
    pub within_overall: u64,
    pub share_overall: Option<f64>,
    pub median_first_reply_seconds: Option<f64>,
}

fn share(n: u64, of: u64) -> Option<f64> {
    (of > 0).then(|| n as f64 / of as f64)
}

fn median(mut xs: Vec<f64>) -> Option<f64> {
    if xs.is_empty() {
        return None;
    }
    xs.sort_by(f64::total_cmp);
    let n = xs.len();
    Some(if n % 2 == 1 { xs[n / 2] } else { (xs[n / 2 - 1] + xs[n / 2]) / 2.0 })
}

/// How fast a ticket opened at `opened` was dealt with.
pub fn speed(opened: DateTime<Utc>, resolved: Option<DateTime<Utc>>) -> &'static str {
    match resolved.map(|r| r - opened) {
        Some(d) if d <= Duration::hours(24) => SPEEDS[0],
        Some(d) if d <= Duration::hours(48) => SPEEDS[1],
        Some(_) => SPEEDS[2],
        None => SPEEDS[3],
    }
}

/// The after-sales figures of tickets opened in `[from, to]` (to is usually now, and a ticket
/// opened now is in it). `ordered(person, a, b)` says
/// whether the person ordered in `[a, b)`.
pub fn tickets(
    desk: &Desk,
    sla: &Sla,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
    now: DateTime<Utc>,
    ordered: impl Fn(PersonId, DateTime<Utc>, DateTime<Utc>) -> bool,
) -> TicketFigures {
    let mut f = TicketFigures::default();
    let mut hours = Vec::new();
    let mut by_speed: BTreeMap<&str, (u64, u64)> = BTreeMap::new();
    for t in desk.tickets.values() {
        let Some(opened) = t.opened_at else { continue };
        if t.is_open() && now > sla.resolve_by(opened) {
            f.overdue_now += 1;
        }
        if !(from..=to).contains(&opened) {
            continue;
        }
        f.opened += 1;
        let in_time = sla.resolved_in_time(opened, t.resolved_at, now);
        if let Some(r) = t.resolved_at {
            f.resolved += 1;
            hours.push((r - opened).num_seconds() as f64 / 3600.0);
        } else {
            f.open += 1;
        }
        if t.resolved_at.is_some() || !in_time {
            f.known += 1;
            f.resolved_in_time += u64::from(in_time && t.resolved_at.is_some());
        }
        let settled = t.resolved_at.unwrap_or(opened);
        let after = settled + Duration::days(CHURN_DAYS);
        if after <= now {
            let row = by_speed.entry(speed(opened, t.resolved_at)).or_default();
            row.0 += 1;
            row.1 += u64::from(!ordered(t.person, settled, after));
        }
    }
    f.rate_in_time = share(f.resolved_in_time, f.known);
    f.median_resolve_hours = median(hours);
    f.churn_by_speed = SPEEDS
        .iter()
        .map(|s| {
            let (tickets, churned) = by_speed.get(s).copied().unwrap_or_default();
            SpeedChurn { speed: (*s).to_owned(), tickets, churned, rate: share(churned, tickets) }
        })
        .collect();
    f
}

/// Whom a wait is counted for.
fn staff_of(a: &Ask) -> String {
    a.replied.as_ref().and_then(|(_, by)| by.clone()).or_else(|| a.staff.clone()).unwrap_or_default()
}

/// First replies to waits that started in `[from, to]`, overall and per staff member.
pub fn replies(
    desk: &Desk,
    sla: &Sla,
    tz: Tz,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
    now: DateTime<Utc>,
) -> ReplyFigures {
    let mut f = ReplyFigures::default();
    let mut staff: BTreeMap<String, (StaffReplies, Vec<f64>)> = BTreeMap::new();
    let (mut wall, mut working) = (Vec::new(), Vec::new());
    for c in desk.conversations.values() {
        for a in c.asks().iter().filter(|a| (from..=to).contains(&a.at)) {
            let r = sla.reply(a.at, a.replied.as_ref().map(|x| x.0), now, tz);
            let (s, times) = staff.entry(staff_of(a)).or_default();
            f.asked += 1;
            s.asked += 1;
            if r.answered {
                f.answered += 1;
                s.answered += 1;
                wall.push(r.seconds as f64);
                working.push(r.working_seconds as f64);
                times.push(r.seconds as f64);
            } else {
                f.waiting += 1;
            }
            // A wait still inside its promise is neither kept nor broken yet.
            if r.answered || !r.within_working {
                let kept = u64::from(r.answered && r.within_working);
                (f.known_working, f.within_working) = (f.known_working + 1, f.within_working + kept);
                (s.known_working, s.within_working) = (s.known_working + 1, s.within_working + kept);
            }
            if r.answered || !r.within_overall {
                let kept = u64::from(r.answered && r.within_overall);
                (f.known_overall, f.within_overall) = (f.known_overall + 1, f.within_overall + kept);
                (s.known_overall, s.within_overall) = (s.known_overall + 1, s.within_overall + kept);
            }
        }
    }
    f.share_working = share(f.within_working, f.known_working);
    f.share_overall = share(f.within_overall, f.known_overall);
    f.median_first_reply_seconds = median(wall);
    f.median_working_seconds = median(working);
    f.per_staff = staff
        .into_iter()
        .map(|(name, (mut s, times))| {
            s.staff = name;
            s.share_working = share(s.within_working, s.known_working);
            s.share_overall = share(s.within_overall, s.known_overall);
            s.median_first_reply_seconds = median(times);
            s
        })
        .collect();
    f
}

/// The conversations waiting for a reply, oldest wait first, with where each stands.
pub fn unanswered(desk: &Desk, sla: &Sla, tz: Tz, now: DateTime<Utc>) -> Vec<(PersonId, Ask, Reply)> {
    let mut out: Vec<(PersonId, Ask, Reply)> = desk
        .conversations
        .values()
        .filter_map(|c| c.waiting().map(|a| (c.person, a)))
        .map(|(p, a)| {
            let r = sla.reply(a.at, None, now, tz);
            (p, a, r)
        })
        .collect();
    out.sort_by_key(|(p, a, _)| (a.at, *p));
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::events;
    use serde_json::json;

    const SHANGHAI: Tz = chrono_tz::Asia::Shanghai;

    fn t(s: &str) -> DateTime<Utc> {
        s.parse().unwrap()
    }

    fn person(n: u128) -> PersonId {
        PersonId(uuid::Uuid::from_u128(n))
    }

    #[test]
    fn first_replies_count_working_minutes_and_the_two_hours_apart() {
        // Default hours: every day 09:00–21:00 in Shanghai (01:00–13:00 UTC).
        let sla = Sla::default();
        let mut d = Desk::default();
        let mut say = |p: u128, at: &str, name: &str, staff: &str| {
            d.apply(person(p), t(at), name, &json!({"text": "?", "staff_id": staff}), None);
        };
        // 10:00 asked, 10:10 answered by wang: within both.
        say(1, "2026-12-04T02:00:00Z", events::MESSAGE_RECEIVED, "wang");
        say(1, "2026-12-04T02:10:00Z", events::MESSAGE_REPLIED, "wang");
        // 23:30 asked, 09:10 answered: 10 working minutes, but ten hours on the wall.
        say(2, "2026-12-04T15:30:00Z", events::MESSAGE_RECEIVED, "li");
        say(2, "2026-12-05T01:10:00Z", events::MESSAGE_REPLIED, "li");
        // 11:00 asked, 11:40 answered: late on working minutes, within the two hours.
        say(3, "2026-12-05T03:00:00Z", events::MESSAGE_RECEIVED, "li");
        say(3, "2026-12-05T03:40:00Z", events::MESSAGE_REPLIED, "li");
        // 12:00 asked, never answered; now is 12:05 (still in time), and another at 08:00 that
        // is past both promises by now.
        say(4, "2026-12-05T04:00:00Z", events::MESSAGE_RECEIVED, "wang");
        say(5, "2026-12-05T00:00:00Z", events::MESSAGE_RECEIVED, "wang");
        let now = t("2026-12-05T04:05:00Z");
        let f = replies(&d, &sla, SHANGHAI, t("2026-12-01T00:00:00Z"), now, now);
        assert_eq!((f.asked, f.answered, f.waiting), (5, 3, 2));
        // Person 5 asked at 08:00, before opening: due 09:15, overdue at 12:05 on working
        // minutes; and 4h05m on the wall. Person 4 is still inside both promises.
        assert_eq!((f.within_working, f.known_working), (2, 4));
        assert_eq!((f.within_overall, f.known_overall), (2, 4));
        assert_eq!(f.median_first_reply_seconds, Some(2400.0));
        let li = f.per_staff.iter().find(|s| s.staff == "li").unwrap();
        assert_eq!((li.asked, li.answered, li.within_working, li.within_overall), (2, 2, 1, 1));
        let wang = f.per_staff.iter().find(|s| s.staff == "wang").unwrap();
        assert_eq!((wang.asked, wang.answered, wang.known_working), (3, 1, 2));
        let waiting: Vec<PersonId> = unanswered(&d, &sla, SHANGHAI, now).into_iter().map(|w| w.0).collect();
        assert_eq!(waiting, [person(5), person(4)], "oldest first");
    }

    #[test]
    fn tickets_count_the_48_hours_and_churn_by_how_fast_they_were_resolved() {
        let sla = Sla::default();
        let mut d = Desk::default();
        let open = |d: &mut Desk, p: u128, id: &str, at: &str| {
            d.apply(person(p), t(at), events::TICKET_OPENED, &json!({"ticket_id": id}), None)
        };
        let resolve = |d: &mut Desk, p: u128, id: &str, at: &str| {
            d.apply(person(p), t(at), events::TICKET_RESOLVED, &json!({"ticket_id": id}), None)
        };
        open(&mut d, 1, "a", "2026-10-01T00:00:00Z");
        resolve(&mut d, 1, "a", "2026-10-01T10:00:00Z");
        open(&mut d, 2, "b", "2026-10-01T00:00:00Z");
        resolve(&mut d, 2, "b", "2026-10-04T00:00:00Z");
        open(&mut d, 3, "c", "2026-11-30T00:00:00Z");
        open(&mut d, 4, "d", "2026-12-04T00:00:00Z");
        let now = t("2026-12-04T12:00:00Z");
        // Person 1 ordered again after a fast resolution; person 2 did not.
        let ordered = |p: PersonId, _: DateTime<Utc>, _: DateTime<Utc>| p == person(1);
        let f = tickets(&d, &sla, t("2026-09-01T00:00:00Z"), now, now, ordered);
        assert_eq!((f.opened, f.resolved, f.open, f.overdue_now), (4, 2, 2, 1));
        assert_eq!((f.known, f.resolved_in_time), (3, 1), "d is open and still in time");
        assert_eq!(f.median_resolve_hours, Some((10.0 + 72.0) / 2.0));
        let churn: Vec<(u64, u64)> = f.churn_by_speed.iter().map(|s| (s.tickets, s.churned)).collect();
        assert_eq!(churn, [(1, 0), (0, 0), (1, 1), (0, 0)], "c and d have not had their 30 days");
        assert_eq!(speed(t("2026-10-01T00:00:00Z"), Some(t("2026-10-02T12:00:00Z"))), "within_48h");
    }
}
