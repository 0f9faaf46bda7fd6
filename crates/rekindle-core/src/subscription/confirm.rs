//! The confirmation window of a shipment, in the store's zone: the message is due
//! `ask_days_before` the ship date at `ask_at`, answers are taken until `cutoff_days_before` at
//! `cutoff_at`. And the confirmations due now: the engine sends each and appends `Shipment
//! Confirmation Requested`, which takes it off this list, so asking is idempotent.

use chrono::{DateTime, Days, NaiveDate, NaiveTime, Utc};
use chrono_tz::Tz;
use serde::Serialize;

use super::book::Book;
use super::schedule::{ShipmentStatus, timeline_from, year_before};
use super::settings::Settings;
use crate::PersonId;
use crate::calendar::Calendar;
use crate::outreach::local_day;
use crate::outreach::local_time::resolve_local as resolve;

impl Settings {
    /// When the confirmation of the shipment on `ship_on` is due.
    pub fn ask_moment(&self, ship_on: NaiveDate, tz: Tz) -> DateTime<Utc> {
        at(ship_on, self.ask_days_before, self.ask_at.0, tz)
    }

    /// Until when an answer about the shipment on `ship_on` is taken (not included).
    pub fn cutoff(&self, ship_on: NaiveDate, tz: Tz) -> DateTime<Utc> {
        at(ship_on, self.cutoff_days_before, self.cutoff_at.0, tz)
    }
}

/// `days` before `day` at `time` in `tz`; a time a clock change skips moves on an hour.
fn at(day: NaiveDate, days: u32, time: NaiveTime, tz: Tz) -> DateTime<Utc> {
    let day = day.checked_sub_days(Days::new(u64::from(days))).unwrap_or(NaiveDate::MIN);
    resolve(day, time, tz).unwrap_or_else(|| Calendar::new(tz).midnight(day))
}

/// A confirmation to send now.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "openapi", schema(as = DueConfirmation))]
pub struct Due {
    pub subscription_id: String,
    #[cfg_attr(feature = "openapi", schema(value_type = String))]
    pub person: PersonId,
    pub sku: String,
    pub quantity: u32,
    pub amount_fen: i64,
    /// The date to name in `Shipment Confirmation Requested` and in the answers.
    pub ship_on: NaiveDate,
    /// When it became due.
    pub ask_at: DateTime<Utc>,
    /// Answers are taken until then.
    pub cutoff_at: DateTime<Utc>,
}

/// The confirmations due at `now` and not asked yet, the earliest due first. A shipment whose
/// moment passed while nobody asked (the engine was down) is still due until its cut-off.
pub fn due(book: &Book, settings: &Settings, tz: Tz, now: DateTime<Utc>) -> Vec<Due> {
    let today = local_day(now, tz);
    let horizon = today.checked_add_days(Days::new(u64::from(settings.ask_days_before) + 1)).unwrap_or(NaiveDate::MAX);
    let mut out = Vec::new();
    for sub in book.subscriptions.values() {
        let tl = timeline_from(sub, settings, tz, year_before(today), horizon);
        let Some(terms) = tl.terms.as_ref() else { continue };
        for s in &tl.shipments {
            if s.requested_at.is_none() && s.status(settings, tz, now) == ShipmentStatus::AwaitingAnswer {
                out.push(Due {
                    subscription_id: sub.id.clone(),
                    person: sub.person,
                    sku: terms.sku.clone(),
                    quantity: s.quantity,
                    amount_fen: s.amount_fen(),
                    ship_on: s.ship_on,
                    ask_at: settings.ask_moment(s.ship_on, tz),
                    cutoff_at: settings.cutoff(s.ship_on, tz),
                });
            }
        }
    }
    out.sort_by(|a, b| (a.ask_at, &a.subscription_id, a.ship_on).cmp(&(b.ask_at, &b.subscription_id, b.ship_on)));
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::outreach::LocalTime;

    fn d(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    fn t(s: &str) -> DateTime<Utc> {
        s.parse().unwrap()
    }

    #[test]
    fn the_window_is_in_the_stores_zone() {
        let s = Settings::default();
        // Ship on 10 January: asked 8 January 10:00, answered until 9 January 20:00.
        let sh = chrono_tz::Asia::Shanghai;
        assert_eq!(s.ask_moment(d("2027-01-10"), sh), t("2027-01-08T02:00:00Z"));
        assert_eq!(s.cutoff(d("2027-01-10"), sh), t("2027-01-09T12:00:00Z"));
        let ny = chrono_tz::America::New_York;
        assert_eq!(s.ask_moment(d("2027-01-10"), ny), t("2027-01-08T15:00:00Z"));
        assert_eq!(s.cutoff(d("2027-01-10"), ny), t("2027-01-10T01:00:00Z"));
        // Summer time in New York: an hour earlier in UTC.
        assert_eq!(s.ask_moment(d("2027-07-10"), ny), t("2027-07-08T14:00:00Z"));
        // A time the clock skips (02:30 on 14 March 2027 in New York) moves on an hour.
        let early = Settings { ask_days_before: 0, ask_at: LocalTime::hm(2, 30), cutoff_days_before: 0, ..s };
        assert_eq!(early.ask_moment(d("2027-03-14"), ny), t("2027-03-14T07:30:00Z"));
    }
}
