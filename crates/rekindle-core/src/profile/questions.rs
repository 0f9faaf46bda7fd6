//! The questions a person asked in live rooms and when the host first answered each, for the
//! rule term `question_wait` (docs/segments.md): kept by comment id, each time the earliest
//! seen, so the fold does not depend on the order the question and its answer arrive in.

use chrono::{DateTime, Duration, Utc};

use super::IdHash;

/// One question: when it was asked and when it was first answered, as far as is known.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Asked {
    pub at: Option<DateTime<Utc>>,
    pub answered: Option<DateTime<Utc>>,
}

impl Asked {
    /// How long the question waited by `now`: to its answer, or until now when it has none.
    /// `None` for an answer whose question has not arrived.
    pub fn waited(&self, now: DateTime<Utc>) -> Option<Duration> {
        let at = self.at?;
        let until = self.answered.unwrap_or(now).max(at);
        Some(until - at)
    }
}

/// The earlier of a kept time and a new one.
pub(super) fn earliest(kept: &mut Option<DateTime<Utc>>, at: DateTime<Utc>) {
    *kept = Some(kept.map_or(at, |k| k.min(at)));
}

/// Fold another person's questions in (a OneID merge).
pub(super) fn merge(into: &mut Box<[(IdHash, Asked)]>, other: &[(IdHash, Asked)]) {
    for (id, q) in other {
        let kept = super::entry(into, *id, Asked::default);
        if let Some(at) = q.at {
            earliest(&mut kept.at, at);
        }
        if let Some(at) = q.answered {
            earliest(&mut kept.answered, at);
        }
    }
}

/// The longest wait, by `now`, of the questions asked in the `within` before it (all of them
/// when `None`); `None` without any.
pub fn longest_wait(questions: &[(IdHash, Asked)], now: DateTime<Utc>, within: Option<Duration>) -> Option<Duration> {
    questions
        .iter()
        .map(|(_, q)| q)
        .filter(|q| q.at.is_some_and(|at| at <= now && within.is_none_or(|w| at > now - w)))
        .filter_map(|q| q.waited(now))
        .max()
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn t(s: i64) -> DateTime<Utc> {
        Utc.timestamp_opt(1_800_000_000 + s, 0).unwrap()
    }

    #[test]
    fn an_unanswered_question_waits_until_now_and_an_answered_one_until_its_answer() {
        let qs =
            vec![(1, Asked { at: Some(t(0)), answered: Some(t(20)) }), (2, Asked { at: Some(t(100)), answered: None })];
        assert_eq!(longest_wait(&qs, t(130), None), Some(Duration::seconds(30)));
        assert_eq!(longest_wait(&qs, t(200), None), Some(Duration::seconds(100)));
        // Only the first was asked in the window that ends before the second.
        assert_eq!(longest_wait(&qs, t(90), None), Some(Duration::seconds(20)));
        assert_eq!(longest_wait(&qs, t(130), Some(Duration::seconds(60))), Some(Duration::seconds(30)));
    }

    #[test]
    fn an_answer_without_its_question_is_no_wait_and_an_early_answer_is_none() {
        let qs =
            vec![(1, Asked { at: None, answered: Some(t(5)) }), (2, Asked { at: Some(t(10)), answered: Some(t(8)) })];
        assert_eq!(longest_wait(&qs, t(100), None), Some(Duration::zero()));
        assert_eq!(longest_wait(&[], t(100), None), None);
    }
}
