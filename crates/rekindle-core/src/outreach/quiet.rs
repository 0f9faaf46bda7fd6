use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use serde::{Deserialize, Serialize};

use super::local_time::{LocalTime, next_local};

/// Hours in the store's zone when a channel stays silent (SMS: 21:00–09:00 by default). A
/// message due inside them is held and sent when they end, not dropped.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct QuietHours {
    pub from: LocalTime,
    pub until: LocalTime,
}

impl Default for QuietHours {
    fn default() -> Self {
        Self { from: LocalTime::hm(21, 0), until: LocalTime::hm(9, 0) }
    }
}

impl QuietHours {
    /// Whether `t` (the store's clock) falls inside them.
    pub fn contains(&self, t: LocalTime) -> bool {
        if self.from <= self.until { self.from <= t && t < self.until } else { t >= self.from || t < self.until }
    }

    /// When a message due at `now` may go: `None` now, else the end of the quiet hours.
    pub fn release(&self, now: DateTime<Utc>, tz: Tz) -> Option<DateTime<Utc>> {
        let local = LocalTime(now.with_timezone(&tz).time());
        self.contains(local).then(|| next_local(now, self.until, tz))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn holds_overnight_and_releases_at_the_end() {
        let tz: Tz = "Asia/Shanghai".parse().unwrap();
        let q = QuietHours::default();
        let at = |s: &str| s.parse::<DateTime<Utc>>().unwrap();
        // 22:30 local → held until 09:00 the next local morning (01:00 UTC).
        assert_eq!(q.release(at("2026-05-01T14:30:00Z"), tz), Some(at("2026-05-02T01:00:00Z")));
        // 03:00 local → the same morning.
        assert_eq!(q.release(at("2026-05-01T19:00:00Z"), tz), Some(at("2026-05-02T01:00:00Z")));
        // 09:00 exactly and 20:59 are open.
        assert_eq!(q.release(at("2026-05-02T01:00:00Z"), tz), None);
        assert_eq!(q.release(at("2026-05-02T12:59:00Z"), tz), None);
        // A daytime window (12:00–14:00) works too.
        let lunch = QuietHours { from: LocalTime::hm(12, 0), until: LocalTime::hm(14, 0) };
        assert_eq!(lunch.release(at("2026-05-02T04:30:00Z"), tz), Some(at("2026-05-02T06:00:00Z")));
        assert_eq!(lunch.release(at("2026-05-02T07:00:00Z"), tz), None);
    }
}
