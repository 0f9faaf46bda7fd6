//! Frequency caps: how many touches a person may get, per channel and in all, per calendar day
//! in the store's time zone, plus the limits WeCom and the SMS carriers impose themselves.
//!
//! The store counts (atomically with the enqueue, so concurrent journeys cannot both take the
//! last slot); this decides.

use std::collections::BTreeMap;

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
}

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

/// What was already sent or queued to the person, as the store counted it for the day (in the
/// store's zone) the new message would go out.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
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

    /// May one more message go out? `month_days` is the length of the month it goes out in.
    ///
    /// Transactional messages skip the marketing caps but not WeCom's or the carriers' limits,
    /// which the platforms enforce whatever the message says.
    pub fn decide(&self, channel: ChannelKind, transactional: bool, c: &Counted, month_days: u32) -> CapDecision {
        if channel == ChannelKind::Webhook {
            return Ok(());
        }
        if !transactional {
            if let Some(&cap) = self.per_channel_per_day.get(&channel)
                && c.channel_day >= cap
            {
                return Err(Skip::ChannelDailyCap);
            }
            if c.all_day >= self.per_day {
                return Err(Skip::DailyCap);
            }
        }
        match channel {
            ChannelKind::Wecom => {
                match self.wecom_mass {
                    WecomMassLimit::MonthDays if c.wecom_month >= month_days => return Err(Skip::WecomMonthlyLimit),
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

    #[test]
    fn marketing_caps_bind_transactional_messages_do_not() {
        let caps = CapsConfig::default();
        let one_sms = Counted { channel_day: 1, all_day: 1, sms_number_day: 1, ..Default::default() };
        assert_eq!(caps.decide(ChannelKind::Sms, false, &one_sms, 30), Err(Skip::ChannelDailyCap));
        assert_eq!(caps.decide(ChannelKind::Sms, true, &one_sms, 30), Ok(()));
        let two_elsewhere = Counted { channel_day: 0, all_day: 2, ..Default::default() };
        assert_eq!(caps.decide(ChannelKind::Miniprogram, false, &two_elsewhere, 30), Err(Skip::DailyCap));
        let number_full = Counted { sms_number_day: 5, ..Default::default() };
        assert_eq!(caps.decide(ChannelKind::Sms, true, &number_full, 30), Err(Skip::SmsNumberDailyLimit));
        assert_eq!(caps.decide(ChannelKind::Webhook, false, &number_full, 30), Ok(()));
    }

    #[test]
    fn wecom_limits_follow_the_setting() {
        let mut caps = CapsConfig { per_channel_per_day: BTreeMap::new(), per_day: 100, ..Default::default() };
        let feb_full = Counted { wecom_month: 28, ..Default::default() };
        assert_eq!(caps.decide(ChannelKind::Wecom, true, &feb_full, 28), Err(Skip::WecomMonthlyLimit));
        assert_eq!(caps.decide(ChannelKind::Wecom, true, &feb_full, 31), Ok(()));
        caps.wecom_mass = WecomMassLimit::Strict;
        let today = Counted { wecom_day: 1, wecom_week: 1, ..Default::default() };
        assert_eq!(caps.decide(ChannelKind::Wecom, false, &today, 31), Err(Skip::WecomDailyLimit));
        let week = Counted { wecom_week: 7, ..Default::default() };
        assert_eq!(caps.decide(ChannelKind::Wecom, false, &week, 31), Err(Skip::WecomWeeklyLimit));
        let staff = Counted { wecom_staff_day: 1, ..Default::default() };
        caps.wecom_mass = WecomMassLimit::MonthDays;
        assert_eq!(caps.decide(ChannelKind::Wecom, true, &staff, 31), Err(Skip::WecomStaffDailyLimit));
    }
}
