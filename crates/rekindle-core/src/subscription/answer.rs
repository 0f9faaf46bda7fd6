//! What a customer or an operator does to a subscription (confirm, skip or move a shipment;
//! pause, resume, cancel) turned into the event to append, or refused with a reason. Doing what
//! is already so appends nothing, so a double tap is harmless.

use chrono::{DateTime, Days, NaiveDate, Utc};
use chrono_tz::Tz;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use super::plan::{Reply, Subscription};
use super::refusal::Refusal;
use super::schedule::{ShipmentStatus, Status, timeline_from, year_before};
use super::settings::Settings;
use crate::events;
use crate::outreach::local_day;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "openapi", schema(as = SubscriptionAction))]
#[serde(tag = "action", rename_all = "snake_case", deny_unknown_fields)]
pub enum Action {
    Confirm {
        ship_on: NaiveDate,
    },
    Skip {
        ship_on: NaiveDate,
    },
    /// Move one shipment; the rhythm stays.
    Reschedule {
        ship_on: NaiveDate,
        to: NaiveDate,
    },
    Pause {},
    Resume {
        next_ship_on: Option<NaiveDate>,
    },
    Cancel {
        reason: Option<String>,
    },
}

/// The event to append, with its properties (`subscription_id` among them).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct NewEvent {
    pub name: &'static str,
    pub properties: Value,
}

/// The event `action` appends to `sub` at `now`; `Ok(None)` when it is already so.
pub fn answer(
    sub: &Subscription,
    action: &Action,
    settings: &Settings,
    tz: Tz,
    now: DateTime<Utc>,
) -> Result<Option<NewEvent>, Refusal> {
    let today = local_day(now, tz);
    let named = match action {
        Action::Confirm { ship_on } | Action::Skip { ship_on } => (*ship_on).max(today),
        Action::Reschedule { ship_on, to } => (*ship_on).max(*to).max(today),
        _ => today,
    };
    // A year past every date involved holds the shipment after the one named.
    let earliest = match action {
        Action::Confirm { ship_on } | Action::Skip { ship_on } | Action::Reschedule { ship_on, .. } => {
            (*ship_on).min(today)
        }
        _ => today,
    };
    // From two years before (the shipment before the one named) to a year after (the one after).
    let from = year_before(year_before(earliest));
    let tl = timeline_from(sub, settings, tz, from, named.checked_add_days(Days::new(366)).unwrap_or(named));
    let (Some(status), Some(terms)) = (tl.status(), tl.terms.as_ref()) else { return Err(Refusal::NotStarted) };
    let event = |name: &'static str, mut properties: Value| {
        properties["subscription_id"] = Value::String(sub.id.clone());
        Ok(Some(NewEvent { name, properties }))
    };
    if status == Status::Cancelled {
        return match action {
            Action::Cancel { .. } => Ok(None),
            _ => Err(Refusal::Cancelled),
        };
    }
    // A new date must leave time to prepare it.
    let check_new_date = |date: NaiveDate| {
        if date <= today {
            Err(Refusal::DateInPast { date })
        } else if settings.cutoff(date, tz) <= now {
            Err(Refusal::TooSoon { date, cutoff: settings.cutoff(date, tz) })
        } else {
            Ok(())
        }
    };
    // The shipment a date names, while answers about it are still taken.
    let open_shipment = |ship_on: NaiveDate| {
        let Some(i) = tl.shipment_on(ship_on).and_then(|s| tl.shipments.iter().position(|x| x == s)) else {
            return Err(if status == Status::Paused { Refusal::Paused } else { Refusal::UnknownShipDate { ship_on } });
        };
        let s = &tl.shipments[i];
        let cutoff = settings.cutoff(s.ship_on, tz);
        if now >= cutoff { Err(Refusal::PastCutoff { ship_on: s.ship_on, cutoff }) } else { Ok(i) }
    };
    match action {
        Action::Pause {} if status == Status::Paused => Ok(None),
        Action::Pause {} => {
            event(events::SUBSCRIPTION_PAUSED, json!({"sku": terms.sku, "every_days": terms.every_days}))
        }
        Action::Resume { .. } if status == Status::Active => Ok(None),
        Action::Resume { next_ship_on } => {
            if let Some(d) = next_ship_on {
                check_new_date(*d)?;
            }
            event(events::SUBSCRIPTION_RESUMED, json!({"next_ship_on": next_ship_on}))
        }
        Action::Cancel { reason } => event(
            events::SUBSCRIPTION_CANCELLED,
            json!({"sku": terms.sku, "every_days": terms.every_days, "reason": reason}),
        ),
        Action::Confirm { ship_on } => {
            let s = &tl.shipments[open_shipment(*ship_on)?];
            if s.status(settings, tz, now) == ShipmentStatus::Confirmed {
                return Ok(None);
            }
            event(events::SHIPMENT_CONFIRMED, json!({"ship_on": s.ship_on}))
        }
        Action::Skip { ship_on } => {
            let s = &tl.shipments[open_shipment(*ship_on)?];
            if s.reply == Some(Reply::Skipped) {
                return Ok(None);
            }
            event(events::SHIPMENT_SKIPPED, json!({"ship_on": s.ship_on}))
        }
        Action::Reschedule { ship_on, to } => {
            let i = open_shipment(*ship_on)?;
            let s = &tl.shipments[i];
            if *to == s.ship_on {
                return Ok(None);
            }
            check_new_date(*to)?;
            if let Some(next) = tl.shipments.get(i + 1).map(|n| n.ship_on).filter(|n| to >= n) {
                return Err(Refusal::BeyondNextShipment { to: *to, next });
            }
            if let Some(previous) = i.checked_sub(1).map(|p| tl.shipments[p].ship_on).filter(|p| to <= p) {
                return Err(Refusal::BeforePreviousShipment { to: *to, previous });
            }
            event(events::SHIPMENT_RESCHEDULED, json!({"ship_on": s.ship_on, "to": to}))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::PersonId;

    #[test]
    fn actions_read_from_json_and_an_unknown_start_is_refused() {
        let a: Action =
            serde_json::from_str(r#"{"action": "reschedule", "ship_on": "2027-01-15", "to": "2027-01-17"}"#).unwrap();
        assert_eq!(a, Action::Reschedule { ship_on: "2027-01-15".parse().unwrap(), to: "2027-01-17".parse().unwrap() });
        let r: Action = serde_json::from_str(r#"{"action": "resume"}"#).unwrap();
        assert_eq!(r, Action::Resume { next_ship_on: None });
        assert!(serde_json::from_str::<Action>(r#"{"action": "pause", "extra": 1}"#).is_err());
        assert!(serde_json::from_str::<Action>(r#"{"action": "confirm", "ship_on": "soon"}"#).is_err());
        let who = PersonId(uuid::Uuid::nil());
        let mut sub = Subscription::new("s".into(), who);
        let at = "2027-01-01T00:00:00Z".parse().unwrap();
        sub.apply(who, at, events::SHIPMENT_CONFIRMED, &json!({"subscription_id": "s", "ship_on": "2027-01-05"}));
        let tz = chrono_tz::Asia::Shanghai;
        assert_eq!(answer(&sub, &Action::Pause {}, &Settings::default(), tz, at), Err(Refusal::NotStarted));
    }
}
