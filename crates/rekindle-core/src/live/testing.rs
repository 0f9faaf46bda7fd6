//! What the live room's tests share: a session starting at a fixed moment, people by number,
//! heartbeats.

use chrono::{DateTime, Duration, Utc};

use super::Signal;
use crate::PersonId;

pub fn t0() -> DateTime<Utc> {
    "2026-05-01T12:00:00Z".parse().unwrap()
}

/// `seconds` after [`t0`].
pub fn at(seconds: i64) -> DateTime<Utc> {
    t0() + Duration::seconds(seconds)
}

pub fn p(n: u128) -> PersonId {
    PersonId(uuid::Uuid::from_u128(n))
}

/// A heartbeat of `seconds`.
pub fn beat(seconds: i64) -> Signal {
    Signal::Watched { seconds, latency_ms: None }
}
