//! Counting a person's booked messages (queued or sent) against the caps, and choosing which
//! queued lower-priority message gives up its slot to a higher-priority one. The store reads
//! the rows ([`CapsConfig::span`] says which days) inside the queueing transaction; this counts
//! and decides.

use chrono::{DateTime, Datelike, Days, NaiveDate, Utc};

use super::caps::{Outgoing, month_days};
use super::{CapsConfig, ChannelKind, Counted, Skip};

/// A message of the person's that caps count (not skipped, not failed, not a webhook).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Booked {
    pub id: i64,
    pub day: NaiveDate,
    pub channel: ChannelKind,
    pub transactional: bool,
    pub tag: Option<String>,
    pub sender: Option<String>,
    pub recipient: String,
    pub priority: u8,
    /// Still waiting in the outbox (no dispatcher has it): it can give up its slot.
    pub queued: bool,
    /// Its journey defers a capped message: the last day it may be moved to.
    pub defer_until: Option<NaiveDate>,
    pub not_before: DateTime<Utc>,
}

/// Where a message can go on a day.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Slot {
    Free,
    /// Full, but this queued message of a lower priority frees a slot by giving it up.
    Outranks(i64),
    Full(Skip),
}

/// How many days a capped message of a journey that defers is moved on, at most.
pub const DEFER_DAYS: u64 = 7;

fn week(day: NaiveDate) -> (NaiveDate, NaiveDate) {
    let start = day - Days::new(u64::from(day.weekday().num_days_from_monday()));
    (start, start + Days::new(6))
}

fn month(day: NaiveDate) -> (NaiveDate, NaiveDate) {
    let start = day.with_day(1).expect("day 1");
    (start, start + Days::new(u64::from(month_days(day)) - 1))
}

/// The `days` days ending on `day`.
fn window(day: NaiveDate, days: u32) -> (NaiveDate, NaiveDate) {
    (day - Days::new(u64::from(days.max(1)) - 1), day)
}

fn within(d: NaiveDate, (lo, hi): (NaiveDate, NaiveDate)) -> bool {
    lo <= d && d <= hi
}

impl CapsConfig {
    /// The days whose messages count for one going out on `day`: its week and month (WeCom)
    /// and every rolling and tag window ending on it.
    pub fn span(&self, day: NaiveDate) -> (NaiveDate, NaiveDate) {
        let (w, m) = (week(day), month(day));
        let longest = self.rolling.iter().map(|r| r.days).chain(self.per_tag.values().map(|c| c.days)).max();
        let lo = longest.map_or(m.0, |n| m.0.min(window(day, n).0)).min(w.0);
        (lo, m.1.max(w.1))
    }

    /// What the booked messages (within [`CapsConfig::span`]) count for `m`; `sms_number_day`
    /// is counted by number, across people, by the store.
    pub fn count(&self, m: &Outgoing<'_>, booked: &[Booked], sms_number_day: u32) -> Counted {
        let day = m.day;
        let wecom = |b: &&Booked, span: (NaiveDate, NaiveDate)| b.channel == ChannelKind::Wecom && within(b.day, span);
        let n = |f: &dyn Fn(&&Booked) -> bool| booked.iter().filter(f).count() as u32;
        let marketing = |b: &&Booked| !b.transactional && b.channel != ChannelKind::Webhook;
        Counted {
            channel_day: n(&|b| marketing(b) && b.channel == m.channel && b.day == day),
            all_day: n(&|b| marketing(b) && b.day == day),
            wecom_month: n(&|b| wecom(b, month(day))),
            wecom_week: n(&|b| wecom(b, week(day))),
            wecom_day: n(&|b| wecom(b, (day, day))),
            wecom_staff_day: n(&|b| wecom(b, (day, day)) && b.sender.as_deref() == m.sender),
            sms_number_day,
            rolling: self
                .rolling
                .iter()
                .map(|r| {
                    n(&|b| {
                        marketing(b) && within(b.day, window(day, r.days)) && r.channel.is_none_or(|c| c == b.channel)
                    })
                })
                .collect(),
            tag: match m.tag.and_then(|t| Some((t, self.per_tag.get(t)?))) {
                Some((t, cap)) => {
                    n(&|b| marketing(b) && b.tag.as_deref() == Some(t) && within(b.day, window(day, cap.days)))
                }
                None => 0,
            },
        }
    }

    /// Is there a slot for `m` among what is booked? When the caps leave none, a queued
    /// marketing message of a lower priority whose place frees one gives it up: the lowest
    /// priority first, then the latest day, then the last queued.
    pub fn slot(&self, m: &Outgoing<'_>, booked: &[Booked], sms_number_day: u32) -> Slot {
        let Err(skip) = self.decide(m, &self.count(m, booked, sms_number_day)) else { return Slot::Free };
        let mut candidates: Vec<&Booked> =
            booked.iter().filter(|b| b.queued && !b.transactional && b.priority < m.priority).collect();
        candidates.sort_by_key(|b| (b.priority, std::cmp::Reverse((b.day, b.id))));
        let frees = |b: &&Booked| {
            let rest: Vec<Booked> = booked.iter().filter(|o| o.id != b.id).cloned().collect();
            // The number's count is the store's; this message was in it.
            let same_number = b.channel == ChannelKind::Sms && b.day == m.day && b.recipient == m.recipient;
            let sms = sms_number_day.saturating_sub(u32::from(same_number && m.channel == ChannelKind::Sms));
            self.decide(m, &self.count(m, &rest, sms)).is_ok()
        };
        match candidates.into_iter().find(frees) {
            Some(b) => Slot::Outranks(b.id),
            None => Slot::Full(skip),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::outreach::caps::{RollingCap, WindowCap};

    fn d(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    fn booked(id: i64, day: &str, channel: ChannelKind, priority: u8) -> Booked {
        Booked {
            id,
            day: d(day),
            channel,
            transactional: false,
            tag: None,
            sender: None,
            recipient: String::new(),
            priority,
            queued: true,
            defer_until: None,
            not_before: DateTime::UNIX_EPOCH,
        }
    }

    fn out(channel: ChannelKind, day: &str, priority: u8) -> Outgoing<'static> {
        Outgoing { channel, transactional: false, day: d(day), tag: None, sender: None, recipient: "", priority }
    }

    #[test]
    fn rolling_windows_end_on_the_messages_day() {
        let caps = CapsConfig {
            rolling: vec![RollingCap { days: 7, max: 3, channel: None }],
            per_tag: [("promotion".to_owned(), WindowCap { days: 3, max: 1 })].into_iter().collect(),
            ..Default::default()
        };
        // 2026-05-07 (a Thursday) looks back 7 days to 2026-05-01, as far as its month does.
        assert_eq!(caps.span(d("2026-05-07")), (d("2026-05-01"), d("2026-05-31")));
        assert_eq!(caps.span(d("2026-05-03")).0, d("2026-04-27"), "its week began in April");
        let long = CapsConfig { rolling: vec![RollingCap { days: 30, max: 3, channel: None }], ..Default::default() };
        assert_eq!(long.span(d("2026-05-07")).0, d("2026-04-08"));
        let mut promo = booked(4, "2026-05-05", ChannelKind::Sms, 5);
        promo.tag = Some("promotion".into());
        let rows = vec![
            booked(1, "2026-04-30", ChannelKind::Wecom, 5), // a day before the window
            booked(2, "2026-05-01", ChannelKind::Wecom, 5),
            booked(3, "2026-05-06", ChannelKind::Sms, 5),
            promo,
            Booked { transactional: true, ..booked(5, "2026-05-07", ChannelKind::Sms, 5) },
        ];
        let m = Outgoing { tag: Some("promotion"), ..out(ChannelKind::Wecom, "2026-05-07", 5) };
        let c = caps.count(&m, &rows, 0);
        assert_eq!(c.rolling, vec![3]);
        assert_eq!(c.tag, 1);
        assert_eq!(c.wecom_month, 1, "April's is another month");
        assert_eq!(c.wecom_week, 0, "the week began on 2026-05-04");
        assert_eq!(caps.decide(&m, &c), Err(Skip::RollingCap));
        let later = Outgoing { day: d("2026-05-08"), ..m };
        assert_eq!(caps.count(&later, &rows, 0).tag, 0, "the promotion left the 3-day window");
    }

    #[test]
    fn a_higher_priority_takes_the_slot_of_the_lowest_queued() {
        let caps = CapsConfig::default(); // one per channel a day, two in all
        let day = "2026-05-01";
        let rows = vec![booked(1, day, ChannelKind::Wecom, 3), booked(2, day, ChannelKind::Sms, 2)];
        // A WeCom message needs the WeCom slot: only message 1 frees it, though 2 is lower.
        assert_eq!(caps.slot(&out(ChannelKind::Wecom, day, 7), &rows, 0), Slot::Outranks(1));
        // A mini-program message is held by the two in all: the lowest priority gives way.
        assert_eq!(caps.slot(&out(ChannelKind::Miniprogram, day, 7), &rows, 0), Slot::Outranks(2));
        // Equal or lower priorities never take a slot, nor from what a dispatcher holds.
        assert_eq!(caps.slot(&out(ChannelKind::Wecom, day, 3), &rows, 0), Slot::Full(Skip::ChannelDailyCap));
        let sending = vec![Booked { queued: false, ..rows[0].clone() }, rows[1].clone()];
        assert_eq!(caps.slot(&out(ChannelKind::Wecom, day, 9), &sending, 0), Slot::Full(Skip::ChannelDailyCap));
        let transactional = vec![Booked { transactional: true, ..rows[0].clone() }];
        let wecom_staff = caps.slot(&out(ChannelKind::Wecom, day, 9), &transactional, 0);
        assert_eq!(wecom_staff, Slot::Full(Skip::WecomStaffDailyLimit), "a transactional message keeps its slot");
        assert_eq!(caps.slot(&out(ChannelKind::Wecom, "2026-05-02", 1), &rows, 0), Slot::Free);
        // The number's day is full too (5 SMS): giving up an SMS to that number frees both.
        let to_number = Outgoing { recipient: "13800138000", ..out(ChannelKind::Sms, day, 7) };
        let sms_row = Booked { recipient: "13800138000".into(), ..rows[1].clone() };
        assert_eq!(caps.slot(&to_number, std::slice::from_ref(&sms_row), 5), Slot::Outranks(2));
        let other_number = Booked { recipient: "13900139000".into(), ..sms_row };
        assert_eq!(caps.slot(&to_number, &[other_number], 5), Slot::Full(Skip::ChannelDailyCap));
    }
}
