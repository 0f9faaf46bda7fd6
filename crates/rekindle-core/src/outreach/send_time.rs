//! A personal send time (docs/journeys.md, "Send time"): a message held to the hour of day
//! the person is most often active, the next such hour within 24 hours, outside the channel's
//! quiet hours; at once for someone with no history. No IO: the walker applies it.

use chrono::{DateTime, Timelike, Utc};
use chrono_tz::Tz;

use super::local_time::{LocalTime, next_local};
use super::quiet::QuietHours;
use crate::profile::Profile;

/// Activity by local hour of day: orders and live visits.
pub type Hours = [u32; 24];

/// When the person was active, by local hour: each order, and their first and last time in a
/// live room (the profile keeps no other times of watching).
pub fn active_hours(profile: &Profile, tz: Tz) -> Hours {
    let mut hours = [0u32; 24];
    let times =
        profile.orders.iter().map(|(_, o)| o.at).chain(profile.first_live.map(|(t, _)| t)).chain(profile.last_live);
    for t in times {
        hours[t.with_timezone(&tz).hour() as usize] += 1;
    }
    hours
}

/// The hour to send at: the allowed hour whose neighbourhood holds the most activity, each
/// hour away counting half as much (so a person active only at 21:00, inside quiet hours, is
/// sent to at 20:00); ties go to the earlier hour. None without any activity or allowed hour.
pub fn personal_hour(hours: &Hours, allowed: impl Fn(u32) -> bool) -> Option<u32> {
    if hours.iter().all(|&n| n == 0) {
        return None;
    }
    let score = |c: u32| -> u64 {
        (0..24u32)
            .map(|h| {
                let d = c.abs_diff(h).min(24 - c.abs_diff(h));
                u64::from(hours[h as usize]) << (12 - d)
            })
            .sum()
    };
    let mut best: Option<(u64, u32)> = None;
    for c in (0..24).filter(|&c| allowed(c)) {
        let s = score(c);
        if best.is_none_or(|(b, _)| s > b) {
            best = Some((s, c));
        }
    }
    best.map(|(_, c)| c)
}

/// When a message due `now` goes out at the person's own hour: within the hour it is now, at
/// once; else the next time the store's clock shows that hour (within 24 hours). At once with
/// no activity, or when quiet hours leave no hour.
pub fn personal_send_at(now: DateTime<Utc>, hours: &Hours, quiet: Option<&QuietHours>, tz: Tz) -> DateTime<Utc> {
    let allowed = |h: u32| quiet.is_none_or(|q| !q.contains(LocalTime::hm(h, 0)));
    let Some(hour) = personal_hour(hours, allowed) else { return now };
    if now.with_timezone(&tz).hour() == hour {
        return now;
    }
    next_local(now, LocalTime::hm(hour, 0), tz)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(s: &str) -> DateTime<Utc> {
        s.parse().unwrap()
    }

    fn tz() -> Tz {
        chrono_tz::Asia::Shanghai
    }

    fn with(pairs: &[(usize, u32)]) -> Hours {
        let mut h = [0; 24];
        for &(hour, n) in pairs {
            h[hour] = n;
        }
        h
    }

    #[test]
    fn no_history_goes_at_once() {
        let now = at("2026-05-01T02:00:00Z");
        assert_eq!(personal_send_at(now, &[0; 24], Some(&QuietHours::default()), tz()), now);
    }

    #[test]
    fn held_to_the_most_active_hour_within_a_day() {
        // 10:00 in Shanghai; most active at 19:00 → 19:00 today (11:00 UTC).
        let now = at("2026-05-01T02:00:00Z");
        let h = with(&[(19, 5), (12, 2)]);
        assert_eq!(personal_send_at(now, &h, Some(&QuietHours::default()), tz()), at("2026-05-01T11:00:00Z"));
        // 20:30: 19:00 has passed, so 19:00 tomorrow, 22.5 hours on.
        let late = at("2026-05-01T12:30:00Z");
        let t = personal_send_at(late, &h, None, tz());
        assert_eq!(t, at("2026-05-02T11:00:00Z"));
        assert!(t - late < chrono::Duration::hours(24));
        // Inside the hour: at once.
        let now = at("2026-05-01T11:40:00Z");
        assert_eq!(personal_send_at(now, &h, None, tz()), now);
    }

    #[test]
    fn quiet_hours_move_it_to_the_nearest_allowed_hour() {
        // Active only at 21:00 and 08:00 (both quiet 21–09): 20:00 beats 09:00 (more activity).
        let h = with(&[(21, 3), (8, 1)]);
        let quiet = QuietHours::default();
        assert_eq!(personal_hour(&h, |x| !quiet.contains(LocalTime::hm(x, 0))), Some(20));
        assert_eq!(personal_hour(&h, |_| true), Some(21));
        let now = at("2026-05-01T02:00:00Z");
        assert_eq!(personal_send_at(now, &h, Some(&quiet), tz()), at("2026-05-01T12:00:00Z"));
        // Quiet all day but the last minute: no whole hour allowed, so at once (quiet hours then hold
        // it as any message).
        let all_day = QuietHours { from: LocalTime::hm(0, 0), until: LocalTime::hm(23, 59) };
        assert_eq!(personal_send_at(now, &h, Some(&all_day), tz()), now);
    }

    #[test]
    fn ties_go_to_the_earlier_hour_and_neighbours_count() {
        assert_eq!(personal_hour(&with(&[(9, 1), (15, 1)]), |_| true), Some(9));
        // 9 and 19 three times each, 20 twice: 19's neighbour breaks the tie the other way.
        assert_eq!(personal_hour(&with(&[(9, 3), (19, 3), (20, 2)]), |_| true), Some(19));
    }

    #[test]
    fn orders_and_live_visits_count_by_local_hour() {
        let p = Profile {
            last_live: Some(at("2026-05-01T12:10:00Z")),
            first_live: Some((at("2026-04-01T12:50:00Z"), crate::profile::Text::new("s1"))),
            ..Profile::default()
        };
        let h = active_hours(&p, tz());
        assert_eq!(h[20], 2);
        assert_eq!(h.iter().sum::<u32>(), 2);
    }
}
