//! Frequency caps: how many touches a person may get, per channel and in all, per calendar day
//! and over rolling windows of days in the store's time zone, per tag of message, plus the
//! limits WeCom and the SMS carriers impose themselves.
//!
//! The store counts (atomically with the enqueue, so concurrent journeys cannot both take the
//! last slot); this decides.

use std::collections::BTreeMap;

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use super::ChannelKind;
use super::QuietHours;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct CapsConfig {
    /// Marketing touches per person per channel per day.
    pub per_channel_per_day: BTreeMap<ChannelKind, u32>,
    /// Marketing touches per person per day, across channels and journeys.
    pub per_day: u32,
    /// WeCom's own limit on mass messages a customer receives.
    pub wecom_mass: WecomMassLimit,
    /// SMS to one number per day, marketing or not: carriers block numbers past this.
    pub sms_per_number_per_day: u32,
    /// Hours a channel stays silent; messages due inside are held until they end.
    pub quiet_hours: BTreeMap<ChannelKind, QuietHours>,
    /// Marketing touches a person of a value tier receives in any 30 days, delivered ones
    /// counted (`edge = 1`: seed 002 raised edge customers' monthly activity from 15% to 35%
    /// with a lighter touch). No budget by default.
    pub per_tier_per_30d: BTreeMap<crate::lifecycle::Tier, u32>,
    /// Marketing touches per person over the last `days` local days ending on the message's
    /// day, on every channel or (`channel`) one. None by default.
    pub rolling: Vec<RollingCap>,
    /// Marketing touches per person of a message tag (a journey's `limits.message_tag`, e.g.
    /// `promotion`) over the last `days` local days. None by default.
    pub per_tag: BTreeMap<String, WindowCap>,
}

/// At most `max` marketing touches over `days` local days, on `channel` or on all of them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RollingCap {
    pub days: u32,
    pub max: u32,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub channel: Option<ChannelKind>,
}

/// At most `max` over `days` local days.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WindowCap {
    pub days: u32,
    pub max: u32,
}

/// The longest window a cap may span: counting reads this many days of a person's messages.
pub const MAX_WINDOW_DAYS: u32 = 90;

impl Default for CapsConfig {
    fn default() -> Self {
        Self {
            per_channel_per_day: [(ChannelKind::Wecom, 1), (ChannelKind::Sms, 1), (ChannelKind::Miniprogram, 1)]
                .into_iter()
                .collect(),
            per_day: 2,
            wecom_mass: WecomMassLimit::MonthDays,
            sms_per_number_per_day: 5,
            // Every channel that reaches a person keeps quiet at night; a webhook reaches the
            // operator's systems.
            quiet_hours: [ChannelKind::Sms, ChannelKind::Wecom, ChannelKind::Miniprogram]
                .into_iter()
                .map(|c| (c, QuietHours::default()))
                .collect(),
            per_tier_per_30d: BTreeMap::new(),
            rolling: Vec::new(),
            per_tag: BTreeMap::new(),
        }
    }
}

/// The two settings WeCom offers for how many mass messages one customer receives.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum WecomMassLimit {
    /// As many a calendar month as the month has days.
    MonthDays,
    /// At most 7 a week and 1 a day.
    Strict,
}

/// What was already sent or queued to the person, counted for the day (in the store's zone) the
/// new message would go out ([`CapsConfig::count`]).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Counted {
    /// Marketing messages on this channel that day.
    pub channel_day: u32,
    /// Marketing messages on any channel that day.
    pub all_day: u32,
    /// WeCom messages to this customer that calendar month, week (Monday first) and day.
    pub wecom_month: u32,
    pub wecom_week: u32,
    pub wecom_day: u32,
    /// WeCom messages from the same staff member to this customer that day.
    pub wecom_staff_day: u32,
    /// SMS to this number that day, of every kind.
    pub sms_number_day: u32,
    /// Marketing messages in each of [`CapsConfig::rolling`]'s windows, in its order (on the
    /// rule's channel, for a rule with one).
    pub rolling: Vec<u32>,
    /// Marketing messages of the new message's tag in that tag's window.
    pub tag: u32,
}

/// Why a message was not sent. Recorded on the person and in the journey readout; the person
/// moves on to the next step.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Skip {
    ChannelDailyCap,
    DailyCap,
    WecomMonthlyLimit,
    WecomWeeklyLimit,
    WecomDailyLimit,
    WecomStaffDailyLimit,
    SmsNumberDailyLimit,
    OptedOut,
    NotSubscribed,
    NoAddress,
    /// WeCom: no friendship fits the step's sender rule (the customer removed them all, or
    /// the named staff member).
    NotFriend,
    OpenTicket,
    Personalization,
    /// The person's value tier has had its marketing touches for 30 days.
    TierBudget,
    /// A rolling window (`[journeys.caps] rolling`) is full.
    RollingCap,
    /// The message's tag has had its touches (`[journeys.caps.per_tag]`).
    TagCap,
    /// Queued, then its slot went to a message of a higher-priority journey.
    Outranked,
}

impl Skip {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::ChannelDailyCap => "channel_daily_cap",
            Self::DailyCap => "daily_cap",
            Self::WecomMonthlyLimit => "wecom_monthly_limit",
            Self::WecomWeeklyLimit => "wecom_weekly_limit",
            Self::WecomDailyLimit => "wecom_daily_limit",
            Self::WecomStaffDailyLimit => "wecom_staff_daily_limit",
            Self::SmsNumberDailyLimit => "sms_number_daily_limit",
            Self::OptedOut => "opted_out",
            Self::NotSubscribed => "not_subscribed",
            Self::NoAddress => "no_address",
            Self::NotFriend => "not_friend",
            Self::OpenTicket => "open_ticket",
            Self::Personalization => "personalization",
            Self::TierBudget => "tier_budget",
            Self::RollingCap => "rolling_cap",
            Self::TagCap => "tag_cap",
            Self::Outranked => "outranked",
        }
    }
}

impl std::str::FromStr for Skip {
    type Err = ();
    fn from_str(s: &str) -> Result<Self, ()> {
        use Skip::*;
        [
            ChannelDailyCap,
            DailyCap,
            WecomMonthlyLimit,
            WecomWeeklyLimit,
            WecomDailyLimit,
            WecomStaffDailyLimit,
            SmsNumberDailyLimit,
            OptedOut,
            NotSubscribed,
            NoAddress,
            NotFriend,
            OpenTicket,
            Personalization,
            TierBudget,
            RollingCap,
            TagCap,
            Outranked,
        ]
        .into_iter()
        .find(|k| k.as_str() == s)
        .ok_or(())
    }
}

pub type CapDecision = Result<(), Skip>;

impl CapsConfig {
    /// May one more marketing message go to a person of `tier` who had `touched` delivered in
    /// the last 30 days? Transactional messages are not marketing.
    pub fn tier_budget(&self, tier: crate::lifecycle::Tier, touched: usize, transactional: bool) -> CapDecision {
        match self.per_tier_per_30d.get(&tier) {
            Some(&budget) if !transactional && touched >= budget as usize => Err(Skip::TierBudget),
            _ => Ok(()),
        }
    }

    /// Whether the caps make sense: windows of 1 to [`MAX_WINDOW_DAYS`] days.
    pub fn check(&self) -> Result<(), String> {
        let windows = self.rolling.iter().enumerate().map(|(i, r)| (format!("rolling[{i}]"), r.days));
        let tags = self.per_tag.iter().map(|(t, c)| (format!("per_tag.{t}"), c.days));
        for (field, days) in windows.chain(tags) {
            if !(1..=MAX_WINDOW_DAYS).contains(&days) {
                return Err(format!("journeys.caps.{field}.days must be between 1 and {MAX_WINDOW_DAYS}"));
            }
        }
        Ok(())
    }

    /// May one more message go out?
    ///
    /// Transactional messages skip the marketing caps but not WeCom's or the carriers' limits,
    /// which the platforms enforce whatever the message says.
    pub fn decide(&self, m: &Outgoing<'_>, c: &Counted) -> CapDecision {
        let channel = m.channel;
        if channel == ChannelKind::Webhook {
            return Ok(());
        }
        if !m.transactional {
            if let Some(&cap) = self.per_channel_per_day.get(&channel)
                && c.channel_day >= cap
            {
                return Err(Skip::ChannelDailyCap);
            }
            if c.all_day >= self.per_day {
                return Err(Skip::DailyCap);
            }
            let applies = |r: &RollingCap| r.channel.is_none_or(|x| x == channel);
            let full = |(r, n): (&RollingCap, &u32)| applies(r) && *n >= r.max;
            if self.rolling.iter().zip(&c.rolling).any(full) {
                return Err(Skip::RollingCap);
            }
            if let Some(cap) = m.tag.and_then(|t| self.per_tag.get(t))
                && c.tag >= cap.max
            {
                return Err(Skip::TagCap);
            }
        }
        match channel {
            ChannelKind::Wecom => {
                match self.wecom_mass {
                    WecomMassLimit::MonthDays if c.wecom_month >= month_days(m.day) => {
                        return Err(Skip::WecomMonthlyLimit);
                    }
                    WecomMassLimit::Strict if c.wecom_week >= 7 => return Err(Skip::WecomWeeklyLimit),
                    WecomMassLimit::Strict if c.wecom_day >= 1 => return Err(Skip::WecomDailyLimit),
                    _ => {}
                }
                if c.wecom_staff_day >= 1 {
                    return Err(Skip::WecomStaffDailyLimit);
                }
            }
            ChannelKind::Sms if c.sms_number_day >= self.sms_per_number_per_day => {
                return Err(Skip::SmsNumberDailyLimit);
            }
            _ => {}
        }
        Ok(())
    }
}

/// The message the caps are asked about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Outgoing<'a> {
    pub channel: ChannelKind,
    pub transactional: bool,
    /// The local day it goes out on.
    pub day: NaiveDate,
    pub tag: Option<&'a str>,
    /// WeCom: the staff member sending.
    pub sender: Option<&'a str>,
    /// The phone number, open id or external id it goes to.
    pub recipient: &'a str,
    /// Its journey's priority (1–9; 5 outside journeys).
    pub priority: u8,
}

/// Days in the month of `day`, for WeCom's monthly limit.
pub fn month_days(day: NaiveDate) -> u32 {
    use chrono::Datelike;
    let first = day.with_day(1).expect("day 1");
    let next = first.checked_add_months(chrono::Months::new(1)).expect("a representable month");
    (next - first).num_days() as u32
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Issue 16: a WeCom message went out at 01:05, as quiet hours held SMS only.
    #[test]
    fn every_channel_that_reaches_a_person_keeps_quiet_at_night() {
        let caps = CapsConfig::default();
        let one_am: chrono::DateTime<chrono::Utc> = "2026-05-01T17:05:00Z".parse().unwrap(); // 01:05 in Shanghai
        for channel in [ChannelKind::Sms, ChannelKind::Wecom, ChannelKind::Miniprogram] {
            let held = caps.quiet_hours.get(&channel).and_then(|q| q.release(one_am, chrono_tz::Asia::Shanghai));
            assert!(held.is_some_and(|t| t > one_am), "{channel} waits for the morning");
        }
        assert!(!caps.quiet_hours.contains_key(&ChannelKind::Webhook), "a webhook reaches the operator");
    }

    #[test]
    fn a_tier_budget_holds_marketing_for_thirty_days() {
        use crate::lifecycle::Tier;
        let caps: CapsConfig = serde_json::from_value(serde_json::json!({"per_tier_per_30d": {"edge": 1}})).unwrap();
        assert_eq!(caps.tier_budget(Tier::Edge, 0, false), Ok(()));
        assert_eq!(caps.tier_budget(Tier::Edge, 1, false), Err(Skip::TierBudget));
        assert_eq!(caps.tier_budget(Tier::Edge, 1, true), Ok(()), "a transactional message is no marketing");
        assert_eq!(caps.tier_budget(Tier::High, 9, false), Ok(()), "no budget for the tier");
        assert_eq!(CapsConfig::default().tier_budget(Tier::Edge, 50, false), Ok(()), "none by default");
        assert_eq!("tier_budget".parse::<Skip>(), Ok(Skip::TierBudget));
    }

    fn out(channel: ChannelKind, transactional: bool, day: &str) -> Outgoing<'static> {
        Outgoing {
            channel,
            transactional,
            day: day.parse().unwrap(),
            tag: None,
            sender: None,
            recipient: "",
            priority: 5,
        }
    }

    #[test]
    fn marketing_caps_bind_transactional_messages_do_not() {
        let caps = CapsConfig::default();
        let may = "2026-05-01";
        let one_sms = Counted { channel_day: 1, all_day: 1, sms_number_day: 1, ..Default::default() };
        assert_eq!(caps.decide(&out(ChannelKind::Sms, false, may), &one_sms), Err(Skip::ChannelDailyCap));
        assert_eq!(caps.decide(&out(ChannelKind::Sms, true, may), &one_sms), Ok(()));
        let two_elsewhere = Counted { channel_day: 0, all_day: 2, ..Default::default() };
        assert_eq!(caps.decide(&out(ChannelKind::Miniprogram, false, may), &two_elsewhere), Err(Skip::DailyCap));
        let number_full = Counted { sms_number_day: 5, ..Default::default() };
        assert_eq!(caps.decide(&out(ChannelKind::Sms, true, may), &number_full), Err(Skip::SmsNumberDailyLimit));
        assert_eq!(caps.decide(&out(ChannelKind::Webhook, false, may), &number_full), Ok(()));
    }

    #[test]
    fn wecom_limits_follow_the_setting() {
        let mut caps = CapsConfig { per_channel_per_day: BTreeMap::new(), per_day: 100, ..Default::default() };
        let feb_full = Counted { wecom_month: 28, ..Default::default() };
        assert_eq!(caps.decide(&out(ChannelKind::Wecom, true, "2026-02-10"), &feb_full), Err(Skip::WecomMonthlyLimit));
        assert_eq!(caps.decide(&out(ChannelKind::Wecom, true, "2026-03-10"), &feb_full), Ok(()));
        caps.wecom_mass = WecomMassLimit::Strict;
        let may = "2026-05-01";
        let today = Counted { wecom_day: 1, wecom_week: 1, ..Default::default() };
        assert_eq!(caps.decide(&out(ChannelKind::Wecom, false, may), &today), Err(Skip::WecomDailyLimit));
        let week = Counted { wecom_week: 7, ..Default::default() };
        assert_eq!(caps.decide(&out(ChannelKind::Wecom, false, may), &week), Err(Skip::WecomWeeklyLimit));
        let staff = Counted { wecom_staff_day: 1, ..Default::default() };
        caps.wecom_mass = WecomMassLimit::MonthDays;
        assert_eq!(caps.decide(&out(ChannelKind::Wecom, true, may), &staff), Err(Skip::WecomStaffDailyLimit));
    }

    #[test]
    fn rolling_and_tag_caps_bind_marketing_on_their_channel_and_tag() {
        let caps: CapsConfig = serde_json::from_value(serde_json::json!({
            "rolling": [{"days": 7, "max": 3}, {"days": 30, "max": 1, "channel": "sms"}],
            "per_tag": {"promotion": {"days": 7, "max": 2}},
        }))
        .unwrap();
        assert_eq!(caps.check(), Ok(()));
        let may = "2026-05-01";
        let week_full = Counted { rolling: vec![3, 0], ..Default::default() };
        assert_eq!(caps.decide(&out(ChannelKind::Wecom, false, may), &week_full), Err(Skip::RollingCap));
        assert_eq!(caps.decide(&out(ChannelKind::Wecom, true, may), &week_full), Ok(()), "transactional");
        let one_sms = Counted { rolling: vec![1, 1], ..Default::default() };
        assert_eq!(caps.decide(&out(ChannelKind::Sms, false, may), &one_sms), Err(Skip::RollingCap));
        assert_eq!(caps.decide(&out(ChannelKind::Wecom, false, may), &one_sms), Ok(()), "the SMS window only");
        let two_promotions = Counted { rolling: vec![0, 0], tag: 2, ..Default::default() };
        let promotion = Outgoing { tag: Some("promotion"), ..out(ChannelKind::Wecom, false, may) };
        assert_eq!(caps.decide(&promotion, &two_promotions), Err(Skip::TagCap));
        let news = Outgoing { tag: Some("news"), ..promotion };
        assert_eq!(caps.decide(&news, &two_promotions), Ok(()), "no cap on the tag");
        let wide = CapsConfig { rolling: vec![RollingCap { days: 400, max: 1, channel: None }], ..caps };
        assert!(wide.check().unwrap_err().contains("rolling[0].days"));
        assert!(CapsConfig::default().rolling.is_empty() && CapsConfig::default().per_tag.is_empty());
    }
}
