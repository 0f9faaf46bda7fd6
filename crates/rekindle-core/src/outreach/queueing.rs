//! Whether a message about to enter the outbox is queued or skipped, decided in steps so a
//! backend reads only what the next step needs: a skip decided earlier (opt-out, no address)
//! stands; then the caps over what the person has booked, where a message of a higher-priority
//! journey may take the slot of a queued lower one, and a journey that defers tries the next
//! days; then, for the mini-program, an acceptance not yet used. Both backends ask these steps
//! inside the transaction that inserts the message, so what they read cannot change before the
//! insert. A message with fallback channels goes through them in order; the first queued wins.

use chrono::{DateTime, Days, NaiveDate, Utc};

use super::booked::{Booked, DEFER_DAYS, Slot};
use super::caps::Outgoing;
use super::{CapsConfig, ChannelKind, Skip};
use crate::journey::WhenCapped;

/// Where the decision stands after a step.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Gate {
    /// Decided: skipped for this reason, or (`None`) queued.
    Decided(Option<Skip>),
    /// Read what the person has booked over [`CapsConfig::span`] of each day in [`shifts`],
    /// then call [`after_caps`].
    CountCaps,
    /// Count the person's unused mini-program acceptances, then call [`after_credits`].
    CountCredits,
}

/// The first step: before anything is counted.
pub fn screen(skip: Option<Skip>, channel: ChannelKind) -> Gate {
    match skip {
        Some(s) => Gate::Decided(Some(s)),
        // A webhook reaches a system, not a person: no cap counts it.
        None if !channel.reaches_person() => Gate::Decided(None),
        None => Gate::CountCaps,
    }
}

/// The days after its own a message may be moved to when the caps leave no slot: none, or
/// (its journey defers) up to a week, tried in order.
pub fn shifts(when_capped: WhenCapped) -> std::ops::RangeInclusive<u64> {
    match when_capped {
        WhenCapped::Skip => 0..=0,
        WhenCapped::Defer => 0..=DEFER_DAYS,
    }
}

/// The last day a message first due on `day` may be deferred to (kept with it, so a message
/// deferred twice still goes no further).
pub fn defer_until(when_capped: WhenCapped, day: NaiveDate) -> Option<NaiveDate> {
    (when_capped == WhenCapped::Defer).then(|| day + Days::new(DEFER_DAYS))
}

/// The same moment `shift` days on: a deferred message keeps its time of day.
pub fn moved(not_before: DateTime<Utc>, shift: u64) -> DateTime<Utc> {
    not_before + chrono::Duration::days(shift as i64)
}

/// After the caps on one day.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Capped {
    /// No slot that day (the reason).
    Full(Skip),
    /// A slot, taken from this queued message if any; then `next` says what else to check.
    Slot { outranks: Option<i64>, next: Gate },
}

/// The second step, for one day: with what the person has booked and (SMS) what the number
/// was sent that day.
pub fn after_caps(caps: &CapsConfig, m: &Outgoing<'_>, booked: &[Booked], sms_number_day: u32) -> Capped {
    let next = if m.channel == ChannelKind::Miniprogram { Gate::CountCredits } else { Gate::Decided(None) };
    match caps.slot(m, booked, sms_number_day) {
        Slot::Full(s) => Capped::Full(s),
        Slot::Free => Capped::Slot { outranks: None, next },
        Slot::Outranks(id) => Capped::Slot { outranks: Some(id), next },
    }
}

/// The last step, for the mini-program: each message spends one acceptance of its template.
pub fn after_credits(unused: i64) -> Option<Skip> {
    (unused <= 0).then_some(Skip::NotSubscribed)
}

/// A message that gave up its slot, moved to the first later day with room (its journey
/// defers, up to its `defer_until`): the days to try, in order, as shifts from its day.
pub fn reschedule(b: &Booked) -> std::ops::RangeInclusive<u64> {
    let last = b.defer_until.map_or(0, |u| (u - b.day).num_days().max(0) as u64);
    1..=last
}

/// What the caps ask of a booked message moved `shift` days on.
pub fn outgoing_of(b: &Booked, shift: u64) -> Outgoing<'_> {
    Outgoing {
        channel: b.channel,
        transactional: b.transactional,
        day: b.day + Days::new(shift),
        tag: b.tag.as_deref(),
        sender: b.sender.as_deref(),
        recipient: &b.recipient,
        priority: b.priority,
    }
}

/// Why no channel of a message with fallbacks could take it, for the record: each channel
/// tried and its reason.
pub fn tried(reasons: &[(ChannelKind, Skip)]) -> String {
    reasons.iter().map(|(c, s)| format!("{c}: {}", s.as_str())).collect::<Vec<_>>().join("; ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_earlier_skip_stands_and_webhooks_are_not_counted() {
        assert_eq!(screen(Some(Skip::OptedOut), ChannelKind::Sms), Gate::Decided(Some(Skip::OptedOut)));
        assert_eq!(screen(None, ChannelKind::Webhook), Gate::Decided(None));
        assert_eq!(screen(None, ChannelKind::Sms), Gate::CountCaps);
    }

    fn out(channel: ChannelKind) -> Outgoing<'static> {
        Outgoing { channel, transactional: false, day: day(), tag: None, sender: None, recipient: "", priority: 5 }
    }

    fn day() -> NaiveDate {
        "2026-05-01".parse().unwrap()
    }

    #[test]
    fn a_capped_message_is_skipped_before_its_credits_are_counted() {
        let caps = CapsConfig { per_day: 0, ..CapsConfig::default() };
        assert!(matches!(after_caps(&caps, &out(ChannelKind::Miniprogram), &[], 0), Capped::Full(_)));
        let caps = CapsConfig::default();
        let free = |next| Capped::Slot { outranks: None, next };
        assert_eq!(after_caps(&caps, &out(ChannelKind::Miniprogram), &[], 0), free(Gate::CountCredits));
        assert_eq!(after_caps(&caps, &out(ChannelKind::Sms), &[], 0), free(Gate::Decided(None)));
    }

    #[test]
    fn a_deferring_journey_tries_a_week_and_a_moved_message_keeps_its_bound() {
        assert_eq!(shifts(WhenCapped::Skip).count(), 1);
        assert_eq!(shifts(WhenCapped::Defer).last(), Some(7));
        let until = defer_until(WhenCapped::Defer, day());
        assert_eq!(until, Some("2026-05-08".parse().unwrap()));
        assert_eq!(defer_until(WhenCapped::Skip, day()), None);
        let at: DateTime<Utc> = "2026-05-01T02:00:00Z".parse().unwrap();
        assert_eq!(moved(at, 2), "2026-05-03T02:00:00Z".parse::<DateTime<Utc>>().unwrap());
        let b = Booked {
            id: 1,
            day: "2026-05-06".parse().unwrap(),
            channel: ChannelKind::Sms,
            transactional: false,
            tag: None,
            sender: None,
            recipient: String::new(),
            priority: 3,
            queued: true,
            defer_until: until,
            not_before: at,
        };
        assert_eq!(reschedule(&b), 1..=2, "deferred already to the 6th: two days are left");
        assert!(reschedule(&Booked { defer_until: None, ..b.clone() }).is_empty());
        assert_eq!(outgoing_of(&b, 2).day, "2026-05-08".parse::<NaiveDate>().unwrap());
        assert_eq!(tried(&[(ChannelKind::Wecom, Skip::NotFriend)]), "wecom: not_friend");
    }

    #[test]
    fn a_mini_program_message_needs_an_unused_acceptance() {
        assert_eq!(after_credits(0), Some(Skip::NotSubscribed));
        assert_eq!(after_credits(-1), Some(Skip::NotSubscribed));
        assert_eq!(after_credits(1), None);
    }
}
