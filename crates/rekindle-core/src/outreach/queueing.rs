//! Whether a message about to enter the outbox is queued or skipped, decided in steps so a
//! backend reads only what the next step needs: a skip decided earlier (opt-out, no address)
//! stands; then the caps over what the person was already sent; then, for the mini-program,
//! an acceptance not yet used. Both backends ask these steps inside the transaction that
//! inserts the message, so the counts they read cannot change before the insert.

use super::{CapsConfig, ChannelKind, Counted, Skip};

/// Where the decision stands after a step.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Gate {
    /// Decided: skipped for this reason, or (`None`) queued.
    Decided(Option<Skip>),
    /// Count what the person was sent over the caps' windows, then call [`after_caps`].
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

/// The second step: with what the caps count.
pub fn after_caps(
    caps: &CapsConfig,
    channel: ChannelKind,
    transactional: bool,
    counted: &Counted,
    month_days: u32,
) -> Gate {
    match caps.decide(channel, transactional, counted, month_days) {
        Err(s) => Gate::Decided(Some(s)),
        Ok(()) if channel == ChannelKind::Miniprogram => Gate::CountCredits,
        Ok(()) => Gate::Decided(None),
    }
}

/// The last step, for the mini-program: each message spends one acceptance of its template.
pub fn after_credits(unused: i64) -> Option<Skip> {
    (unused <= 0).then_some(Skip::NotSubscribed)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn counted() -> Counted {
        Counted::default()
    }

    #[test]
    fn an_earlier_skip_stands_and_webhooks_are_not_counted() {
        assert_eq!(screen(Some(Skip::OptedOut), ChannelKind::Sms), Gate::Decided(Some(Skip::OptedOut)));
        assert_eq!(screen(None, ChannelKind::Webhook), Gate::Decided(None));
        assert_eq!(screen(None, ChannelKind::Sms), Gate::CountCaps);
    }

    #[test]
    fn a_capped_message_is_skipped_before_its_credits_are_counted() {
        let caps = CapsConfig::default();
        let full = Counted { all_day: u32::MAX, channel_day: u32::MAX, ..counted() };
        assert!(matches!(after_caps(&caps, ChannelKind::Miniprogram, false, &full, 30), Gate::Decided(Some(_))));
        assert_eq!(after_caps(&caps, ChannelKind::Miniprogram, false, &counted(), 30), Gate::CountCredits);
        assert_eq!(after_caps(&caps, ChannelKind::Sms, false, &counted(), 30), Gate::Decided(None));
    }

    #[test]
    fn a_mini_program_message_needs_an_unused_acceptance() {
        assert_eq!(after_credits(0), Some(Skip::NotSubscribed));
        assert_eq!(after_credits(-1), Some(Skip::NotSubscribed));
        assert_eq!(after_credits(1), None);
    }
}
