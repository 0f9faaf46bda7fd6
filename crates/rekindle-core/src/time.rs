//! Timestamps: parsing Segment's ISO 8601 strings and correcting client clock skew.

use chrono::{DateTime, Datelike, Utc};

/// Parse an ISO 8601 / RFC 3339 timestamp with an explicit offset (`Z` or `+08:00`).
///
/// A timestamp without an offset is refused rather than guessed: in a store on Asia/Shanghai a
/// naive local time read as UTC would move every event by eight hours without anyone noticing.
pub fn parse_timestamp(s: &str) -> Result<DateTime<Utc>, String> {
    let s = s.trim();
    let parsed = DateTime::parse_from_rfc3339(s).or_else(|_| {
        // Python's isoformat() and many SQL exports separate date and time with a space.
        DateTime::parse_from_rfc3339(&s.replacen(' ', "T", 1))
    });
    match parsed {
        Ok(t) => {
            let t = t.with_timezone(&Utc);
            if (1970..=2200).contains(&t.year()) { Ok(t) } else { Err("is outside the years 1970 to 2200".into()) }
        }
        Err(_) if chrono::NaiveDateTime::parse_from_str(s, "%Y-%m-%dT%H:%M:%S%.f").is_ok() => {
            Err("has no UTC offset; add Z or +08:00".into())
        }
        Err(_) => Err("is not an ISO 8601 timestamp such as 2026-05-01T20:30:00+08:00".into()),
    }
}

/// Segment libraries that run on servers. Their `timestamp` is what the caller passed (often a
/// historical time), so it is kept as sent rather than skew-corrected like a phone's clock.
const SERVER_LIBRARIES: [&str; 8] = [
    "analytics-python",
    "analytics-node",
    "analytics-ruby",
    "analytics-go",
    "analytics-java",
    "analytics-php",
    "analytics.net",
    "rudder-sdk-python",
];

pub fn is_server_library(name: &str) -> bool {
    let name = name.to_ascii_lowercase();
    SERVER_LIBRARIES.iter().any(|l| name == *l)
        || name.starts_with("@segment/analytics-node")
        || name
            .strip_prefix(crate::sensors::LIBRARY_PREFIX)
            .is_some_and(|l| crate::sensors::SERVER_LIBRARIES.contains(&l))
}

/// How a message's event time is settled.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Clock {
    pub received_at: DateTime<Utc>,
    /// `sentAt` from the message or, failing that, from the batch envelope.
    pub sent_at: Option<DateTime<Utc>>,
    /// `timestamp` (or `originalTimestamp`) as the sender wrote it.
    pub original: Option<DateTime<Utc>>,
    /// Keep `original` as sent: the `/v1/import` endpoint, or a server library.
    pub trust_original: bool,
}

impl Clock {
    /// Segment's rule: `timestamp = receivedAt - (sentAt - originalTimestamp)`, so a device whose
    /// clock is an hour fast still records events at the right time.
    pub fn event_time(&self) -> DateTime<Utc> {
        match (self.original, self.sent_at) {
            (Some(original), _) if self.trust_original => original,
            (Some(original), Some(sent)) => self.received_at - (sent - original),
            (Some(original), None) => original,
            (None, _) => self.received_at,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(s: &str) -> DateTime<Utc> {
        parse_timestamp(s).unwrap()
    }

    #[test]
    fn parses_common_forms() {
        assert_eq!(t("2026-05-01T12:30:00Z"), t("2026-05-01T20:30:00+08:00"));
        assert_eq!(t("2026-05-01 12:30:00.123456+00:00"), t("2026-05-01T12:30:00.123456Z"));
    }

    #[test]
    fn refuses_naive_and_garbage() {
        assert!(parse_timestamp("2026-05-01T12:30:00").unwrap_err().contains("offset"));
        assert!(parse_timestamp("yesterday").is_err());
        assert!(parse_timestamp("2026-13-45T00:00:00Z").is_err());
        assert!(parse_timestamp("1900-01-01T00:00:00Z").is_err());
    }

    #[test]
    fn corrects_a_fast_device_clock() {
        let clock = Clock {
            received_at: t("2026-05-01T12:00:10Z"),
            // The phone is one hour fast: it thinks it sent at 13:00:09 an event from 13:00:00.
            sent_at: Some(t("2026-05-01T13:00:09Z")),
            original: Some(t("2026-05-01T13:00:00Z")),
            trust_original: false,
        };
        assert_eq!(clock.event_time(), t("2026-05-01T12:00:01Z"));
        assert_eq!(Clock { trust_original: true, ..clock }.event_time(), t("2026-05-01T13:00:00Z"));
        assert_eq!(Clock { original: None, ..clock }.event_time(), clock.received_at);
    }
}
