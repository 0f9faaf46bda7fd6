//! Rate limiting. Sign-ins: attempts per email and per client address within a window.
//! People search: a token bucket per caller, so search cannot be used as an oracle to guess
//! the hidden digits of a masked phone.
//!
//! A sign-in attempt is counted *before* its password is checked, in the same critical section
//! as the check of the limit ([`LoginLimiter::reserve`]): forty parallel guesses cannot all pass
//! the check before any is counted, so at most the limit are ever checked. A successful sign-in
//! clears the email and hands its attempt back to the address.
//!
//! In memory: a restart forgets, which only gives an attacker a fresh window after a restart
//! they cannot cause.

use std::collections::{HashMap, VecDeque};
use std::sync::{Mutex, MutexGuard};
use std::time::{Duration, Instant};

/// Sign-in attempts allowed per email, and per address, within [`WINDOW`].
pub const PER_EMAIL: usize = 5;
pub const PER_ADDRESS: usize = 20;
pub const WINDOW: Duration = Duration::from_secs(15 * 60);

#[derive(Default)]
pub struct LoginLimiter {
    attempts: Mutex<HashMap<String, VecDeque<Instant>>>,
}

/// One counted attempt, to hand back with [`LoginLimiter::succeeded`].
#[derive(Debug)]
#[must_use = "a successful sign-in hands its attempt back"]
pub struct Attempt {
    email: String,
    address: String,
    at: Instant,
}

fn email_key(email: &str) -> String {
    format!("email:{email}")
}

fn address_key(address: &str) -> String {
    format!("addr:{address}")
}

impl LoginLimiter {
    fn lock(&self) -> MutexGuard<'_, HashMap<String, VecDeque<Instant>>> {
        self.attempts.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Count an attempt to sign in as `email` from `address`, or refuse it with how long until
    /// another is allowed when either is at its limit.
    pub fn reserve(&self, email: &str, address: &str, now: Instant) -> Result<Attempt, Duration> {
        self.reserve_keys([(email_key(email), PER_EMAIL), (address_key(address), PER_ADDRESS)], now)?;
        Ok(Attempt { email: email.to_string(), address: address.to_string(), at: now })
    }

    /// Count an attempt from `address` that names no account (redeeming an invitation token),
    /// or refuse it like [`Self::reserve`].
    pub fn reserve_address(&self, address: &str, now: Instant) -> Result<(), Duration> {
        self.reserve_keys([(address_key(address), PER_ADDRESS)], now)
    }

    /// Check every key's limit and, only if none is reached, count the attempt under each: one
    /// critical section.
    fn reserve_keys<const N: usize>(&self, keys: [(String, usize); N], now: Instant) -> Result<(), Duration> {
        let mut attempts = self.lock();
        let wait = keys
            .iter()
            .filter_map(|(key, limit)| {
                let times = attempts.get_mut(key)?;
                while times.front().is_some_and(|t| now.saturating_duration_since(*t) >= WINDOW) {
                    times.pop_front();
                }
                (times.len() >= *limit)
                    .then(|| WINDOW.saturating_sub(now.saturating_duration_since(times[times.len() - limit])))
            })
            .max();
        if let Some(wait) = wait {
            return Err(wait);
        }
        for (key, _) in keys {
            attempts.entry(key).or_default().push_back(now);
        }
        // Keep the map from growing without bound under a spray of emails.
        if attempts.len() > 100_000 {
            attempts.retain(|_, t| t.back().is_some_and(|t| now.saturating_duration_since(*t) < WINDOW));
        }
        Ok(())
    }

    /// A successful sign-in clears the email's attempts and no longer counts against the
    /// address (whose other attempts stay).
    pub fn succeeded(&self, attempt: Attempt) {
        let mut attempts = self.lock();
        attempts.remove(&email_key(&attempt.email));
        if let Some(times) = attempts.get_mut(&address_key(&attempt.address))
            && let Some(i) = times.iter().position(|t| *t == attempt.at)
        {
            times.remove(i);
        }
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
    use std::sync::Arc;

    use super::*;

    #[test]
    fn an_email_is_refused_after_its_attempts_until_the_window_passes() {
        let l = LoginLimiter::default();
        let t = Instant::now();
        for i in 0..PER_EMAIL {
            assert!(l.reserve("a@x", "1.1.1.1", t).is_ok(), "attempt {i}");
        }
        let wait = l.reserve("a@x", "2.2.2.2", t).expect_err("from any address");
        assert_eq!(wait, WINDOW);
        assert!(l.reserve("b@x", "2.2.2.2", t).is_ok(), "other emails are free");
        assert!(l.reserve("a@x", "1.1.1.1", t + WINDOW).is_ok(), "the window passes");
    }

    #[test]
    fn an_address_spraying_emails_is_refused() {
        let l = LoginLimiter::default();
        let t = Instant::now();
        for i in 0..PER_ADDRESS {
            assert!(l.reserve(&format!("u{i}@x"), "9.9.9.9", t).is_ok());
        }
        assert!(l.reserve("new@x", "9.9.9.9", t).is_err());
        assert!(l.reserve("new@x", "8.8.8.8", t).is_ok());
    }

    #[test]
    fn success_clears_the_email_and_hands_the_attempt_back_to_the_address() {
        let l = LoginLimiter::default();
        let t = Instant::now();
        for _ in 0..PER_EMAIL - 1 {
            let _ = l.reserve("a@x", "1.1.1.1", t).unwrap();
        }
        l.succeeded(l.reserve("a@x", "1.1.1.1", t).unwrap());
        assert!(l.reserve("a@x", "3.3.3.3", t).is_ok(), "the email starts afresh");
        // Operators behind one address sign in all day without using up its attempts.
        for i in 0..PER_ADDRESS * 3 {
            l.succeeded(l.reserve(&format!("op{i}@x"), "5.5.5.5", t).unwrap());
        }
        assert!(l.reserve("late@x", "5.5.5.5", t).is_ok());
    }

    #[test]
    fn parallel_attempts_never_exceed_the_limit() {
        let l = Arc::new(LoginLimiter::default());
        let t = Instant::now();
        let barrier = Arc::new(std::sync::Barrier::new(40));
        let threads: Vec<_> = (0..40)
            .map(|i| {
                let (l, barrier) = (l.clone(), barrier.clone());
                std::thread::spawn(move || {
                    barrier.wait();
                    l.reserve("a@x", &format!("10.0.0.{i}"), t).is_ok()
                })
            })
            .collect();
        let allowed = threads.into_iter().map(|h| h.join().unwrap()).filter(|ok| *ok).count();
        assert_eq!(allowed, PER_EMAIL);
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
