//! Why an action on a subscription was refused, told to the customer or the operator in
//! Chinese or English. Times are told in the store's zone.

use chrono::{DateTime, NaiveDate, Utc};
use chrono_tz::Tz;
use serde::Serialize;

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "openapi", schema(as = SubscriptionRefusal))]
#[serde(tag = "code", rename_all = "snake_case")]
pub enum Refusal {
    /// Only later events of it were read; its start is not known.
    NotStarted,
    Cancelled,
    /// Shipments are not answered while the subscription is paused.
    Paused,
    /// No shipment of it is (or was) on that date.
    UnknownShipDate {
        ship_on: NaiveDate,
    },
    /// Answers about that shipment closed at `cutoff`.
    PastCutoff {
        ship_on: NaiveDate,
        cutoff: DateTime<Utc>,
    },
    /// A new date on or before today.
    DateInPast {
        date: NaiveDate,
    },
    /// A new date whose own cut-off has passed: no time to prepare it.
    TooSoon {
        date: NaiveDate,
        cutoff: DateTime<Utc>,
    },
    /// A move may not reach the next shipment's date.
    BeyondNextShipment {
        to: NaiveDate,
        next: NaiveDate,
    },
    /// Nor the previous one's.
    BeforePreviousShipment {
        to: NaiveDate,
        previous: NaiveDate,
    },
}

fn local(t: DateTime<Utc>, tz: Tz) -> String {
    t.with_timezone(&tz).format("%Y-%m-%d %H:%M").to_string()
}

impl Refusal {
    /// A stable name for programs (the JSON `code`).
    pub fn code(&self) -> &'static str {
        match self {
            Self::NotStarted => "not_started",
            Self::Cancelled => "cancelled",
            Self::Paused => "paused",
            Self::UnknownShipDate { .. } => "unknown_ship_date",
            Self::PastCutoff { .. } => "past_cutoff",
            Self::DateInPast { .. } => "date_in_past",
            Self::TooSoon { .. } => "too_soon",
            Self::BeyondNextShipment { .. } => "beyond_next_shipment",
            Self::BeforePreviousShipment { .. } => "before_previous_shipment",
        }
    }

    pub fn zh(&self, tz: Tz) -> String {
        match self {
            Self::NotStarted => "未找到该定期购的开始记录".into(),
            Self::Cancelled => "该定期购已取消".into(),
            Self::Paused => "该定期购已暂停，请先恢复".into(),
            Self::UnknownShipDate { ship_on } => format!("{ship_on} 没有这个定期购的发货"),
            Self::PastCutoff { ship_on, cutoff } => {
                format!("{ship_on} 的发货已于 {} 截止确认", local(*cutoff, tz))
            }
            Self::DateInPast { date } => format!("{date} 已经过去，请选择以后的日期"),
            Self::TooSoon { date, cutoff } => {
                format!("{date} 来不及备货：确认截止时间 {} 已过", local(*cutoff, tz))
            }
            Self::BeyondNextShipment { to, next } => {
                format!("不能改到 {to}：须早于下一次发货日 {next}")
            }
            Self::BeforePreviousShipment { to, previous } => {
                format!("不能改到 {to}：须晚于上一次发货日 {previous}")
            }
        }
    }

    pub fn en(&self, tz: Tz) -> String {
        match self {
            Self::NotStarted => "this subscription's start is not known".into(),
            Self::Cancelled => "this subscription is cancelled".into(),
            Self::Paused => "this subscription is paused; resume it first".into(),
            Self::UnknownShipDate { ship_on } => format!("this subscription has no shipment on {ship_on}"),
            Self::PastCutoff { ship_on, cutoff } => {
                format!("answers about the shipment on {ship_on} closed at {}", local(*cutoff, tz))
            }
            Self::DateInPast { date } => format!("{date} has passed; choose a later date"),
            Self::TooSoon { date, cutoff } => {
                format!("{date} is too soon to prepare: its cut-off was {}", local(*cutoff, tz))
            }
            Self::BeyondNextShipment { to, next } => {
                format!("cannot move to {to}: it must be before the next shipment on {next}")
            }
            Self::BeforePreviousShipment { to, previous } => {
                format!("cannot move to {to}: it must be after the previous shipment on {previous}")
            }
        }
    }
}

impl std::fmt::Display for Refusal {
    /// In English, times in UTC (logs); people get [`Refusal::zh`] or [`Refusal::en`].
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.en(chrono_tz::UTC))
    }
}

impl std::error::Error for Refusal {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refusals_tell_times_in_the_stores_zone_in_both_languages() {
        let r = Refusal::PastCutoff {
            ship_on: "2027-01-10".parse().unwrap(),
            cutoff: "2027-01-09T12:00:00Z".parse().unwrap(),
        };
        assert_eq!(r.zh(chrono_tz::Asia::Shanghai), "2027-01-10 的发货已于 2027-01-09 20:00 截止确认");
        assert_eq!(
            r.en(chrono_tz::America::New_York),
            "answers about the shipment on 2027-01-10 closed at 2027-01-09 07:00"
        );
        assert_eq!(r.code(), "past_cutoff");
        assert_eq!(serde_json::to_value(&r).unwrap()["code"], "past_cutoff");
        assert_eq!(Refusal::Cancelled.to_string(), "this subscription is cancelled");
    }
}
