//! Rate limiting. Sign-ins: failed attempts per email and per client address within a window.
//! People search: a token bucket per caller, so search cannot be used as an oracle to guess
//! the hidden digits of a masked phone. In memory: a restart forgets, which only gives an
//! attacker a fresh window after a restart they cannot cause.

use std::collections::{HashMap, VecDeque};
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Failed logins allowed per email, and per address, within [`WINDOW`].
pub const PER_EMAIL: usize = 5;
pub const PER_ADDRESS: usize = 20;
pub const WINDOW: Duration = Duration::from_secs(15 * 60);

#[derive(Default)]
pub struct LoginLimiter {
    failures: Mutex<HashMap<String, VecDeque<Instant>>>,
}

impl LoginLimiter {
    /// How long until another attempt is allowed, if one is not allowed now.
    pub fn blocked(&self, email: &str, address: &str, now: Instant) -> Option<Duration> {
        let mut failures = self.failures.lock().unwrap_or_else(|p| p.into_inner());
        [(format!("email:{email}"), PER_EMAIL), (format!("addr:{address}"), PER_ADDRESS)]
            .into_iter()
            .filter_map(|(key, limit)| {
                let times = failures.get_mut(&key)?;
                while times.front().is_some_and(|t| now.duration_since(*t) >= WINDOW) {
                    times.pop_front();
                }
                (times.len() >= limit).then(|| WINDOW - now.duration_since(times[times.len() - limit]))
            })
            .max()
    }

    pub fn failed(&self, email: &str, address: &str, now: Instant) {
        let mut failures = self.failures.lock().unwrap_or_else(|p| p.into_inner());
        for key in [format!("email:{email}"), format!("addr:{address}")] {
            failures.entry(key).or_default().push_back(now);
        }
        // Keep the map from growing without bound under a spray of emails.
        if failures.len() > 100_000 {
            failures.retain(|_, t| t.back().is_some_and(|t| now.duration_since(*t) < WINDOW));
        }
    }

    /// A successful login clears the email's failures (not the address's).
    pub fn succeeded(&self, email: &str) {
        self.failures.lock().unwrap_or_else(|p| p.into_inner()).remove(&format!("email:{email}"));
    }
}

/// People searches a caller may make at once, and how many more each second brings.
pub const SEARCH_BURST: f64 = 30.0;
pub const SEARCH_PER_SECOND: f64 = 1.0;

/// A token bucket per caller (user, or the admin token): [`SEARCH_BURST`] searches at once,
/// then [`SEARCH_PER_SECOND`].
#[derive(Default)]
pub struct SearchLimiter {
    buckets: Mutex<HashMap<String, (f64, Instant)>>,
}

impl SearchLimiter {
    /// Take one search for `caller`, or say how long until one is allowed.
    pub fn take(&self, caller: &str, now: Instant) -> Result<(), Duration> {
        let mut buckets = self.buckets.lock().unwrap_or_else(|p| p.into_inner());
        let (tokens, at) = buckets.entry(caller.to_string()).or_insert((SEARCH_BURST, now));
        let refilled = now.saturating_duration_since(*at).as_secs_f64() * SEARCH_PER_SECOND;
        *tokens = (*tokens + refilled).min(SEARCH_BURST);
        *at = now;
        if *tokens >= 1.0 {
            *tokens -= 1.0;
            return Ok(());
        }
        Err(Duration::from_secs_f64((1.0 - *tokens) / SEARCH_PER_SECOND))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_email_is_blocked_after_repeated_failures_until_the_window_passes() {
        let l = LoginLimiter::default();
        let t = Instant::now();
        for i in 0..PER_EMAIL {
            assert!(l.blocked("a@x", "1.1.1.1", t).is_none(), "attempt {i}");
            l.failed("a@x", "1.1.1.1", t);
        }
        assert!(l.blocked("a@x", "2.2.2.2", t).is_some(), "from any address");
        assert!(l.blocked("b@x", "2.2.2.2", t).is_none(), "other emails are free");
        assert!(l.blocked("a@x", "1.1.1.1", t + WINDOW).is_none(), "the window passes");
    }

    #[test]
    fn an_address_spraying_emails_is_blocked() {
        let l = LoginLimiter::default();
        let t = Instant::now();
        for i in 0..PER_ADDRESS {
            l.failed(&format!("u{i}@x"), "9.9.9.9", t);
        }
        assert!(l.blocked("new@x", "9.9.9.9", t).is_some());
        assert!(l.blocked("new@x", "8.8.8.8", t).is_none());
    }

    #[test]
    fn success_clears_the_email() {
        let l = LoginLimiter::default();
        let t = Instant::now();
        for _ in 0..PER_EMAIL {
            l.failed("a@x", "1.1.1.1", t);
        }
        l.succeeded("a@x");
        assert!(l.blocked("a@x", "3.3.3.3", t).is_none());
    }

    #[test]
    fn searches_are_allowed_in_a_burst_then_at_the_refill_rate() {
        let l = SearchLimiter::default();
        let t = Instant::now();
        for i in 0..SEARCH_BURST as usize {
            assert!(l.take("user:1", t).is_ok(), "search {i}");
        }
        let wait = l.take("user:1", t).unwrap_err();
        assert!(wait <= Duration::from_secs(1), "{wait:?}");
        assert!(l.take("user:2", t).is_ok(), "each caller has their own bucket");
        assert!(l.take("user:1", t + Duration::from_secs(1)).is_ok(), "a token comes back each second");
        assert!(l.take("user:1", t + Duration::from_secs(1)).is_err());
    }
}
