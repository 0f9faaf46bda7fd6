//! Send rates per channel (`[delivery] rate_per_minute`): a token bucket on the dispatcher's
//! clock. A provider account takes so many calls a minute; past it, messages wait their turn.

use std::collections::BTreeMap;

use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};

use super::ChannelKind;

/// Calls a minute per channel, for each store's provider account; a channel left out is not
/// paced.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct SendRates {
    pub rate_per_minute: BTreeMap<ChannelKind, u32>,
}

impl SendRates {
    pub fn of(&self, channel: ChannelKind) -> Option<u32> {
        self.rate_per_minute.get(&channel).copied().filter(|r| *r > 0)
    }
}

/// A bucket of up to `per_minute` tokens (a burst of a minute's worth at most), refilled
/// evenly as the clock moves. Kept in whole units of 1/60,000 token (a token is 60,000 units,
/// and each millisecond adds `per_minute` of them), so no rounding drifts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TokenBucket {
    per_minute: i64,
    units: i64,
    at: DateTime<Utc>,
}

const TOKEN: i64 = 60_000;

impl TokenBucket {
    /// Full at `now`.
    pub fn new(per_minute: u32, now: DateTime<Utc>) -> Self {
        let per_minute = i64::from(per_minute.max(1));
        Self { per_minute, units: per_minute * TOKEN, at: now }
    }

    fn refill(&mut self, now: DateTime<Utc>) {
        if now > self.at {
            let ms = (now - self.at).num_milliseconds();
            self.units = self.units.saturating_add(ms.saturating_mul(self.per_minute)).min(self.per_minute * TOKEN);
            self.at = now;
        }
    }

    /// Take a token now, or say when the next one will be there.
    pub fn take(&mut self, now: DateTime<Utc>) -> Result<(), DateTime<Utc>> {
        self.refill(now);
        if self.units >= TOKEN {
            self.units -= TOKEN;
            return Ok(());
        }
        let wait_ms = (TOKEN - self.units + self.per_minute - 1) / self.per_minute;
        Err(now + Duration::milliseconds(wait_ms.max(1)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn a_minute_holds_its_rate_and_no_more() {
        let t0 = Utc.with_ymd_and_hms(2026, 5, 1, 10, 0, 0).unwrap();
        let mut b = TokenBucket::new(60, t0);
        // A full bucket: a minute's worth at once, then one a second.
        assert!((0..60).all(|_| b.take(t0).is_ok()));
        let next = b.take(t0).unwrap_err();
        assert_eq!(next, t0 + Duration::seconds(1));
        assert!(b.take(next).is_ok());
        assert!(b.take(next).is_err());
        // Over ten minutes of asking every 100 ms, about 60 a minute go (plus the first burst).
        let mut taken = 0;
        let mut t = next;
        for _ in 0..6000 {
            t += Duration::milliseconds(100);
            if b.take(t).is_ok() {
                taken += 1;
            }
        }
        assert_eq!(taken, 600);
        // Idle for an hour: the bucket refills to a minute's worth, no more.
        let later = t + Duration::hours(1);
        assert_eq!((0..100).filter(|_| b.take(later).is_ok()).count(), 60);
    }
}
