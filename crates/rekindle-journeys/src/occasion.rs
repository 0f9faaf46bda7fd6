//! Why a person entered a journey, kept with the enrollment so a message sent days later can
//! still name what they bought, which category runs out, or which live session starts.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Occasion {
    /// The product the triggering order (or depletion) is about.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub product: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub category: Option<String>,
    /// Days until the predicted run-out or the birthday that triggered it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub days_left: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub session_title: Option<String>,
    /// The session's start, in the store's zone, as shown ("20:00").
    #[serde(skip_serializing_if = "Option::is_none")]
    pub session_time: Option<String>,
    /// Who invited the person, as a `Referral Qualified` names them (`inviter_id`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub inviter: Option<rekindle_core::PersonId>,
    /// A subscription shipment's date (`Shipment Confirmation Requested`), as shown.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ship_on: Option<String>,
    /// Its units.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub quantity: Option<u64>,
    /// Until when it is answered, in the store's zone, as shown ("1月7日 20:00").
    #[serde(skip_serializing_if = "Option::is_none")]
    pub deadline: Option<String>,
    /// The signed page answering it (docs/subscriptions.md).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub answer_link: Option<String>,
    /// The trigger's properties that are times (RFC 3339, or a `YYYY-MM-DD` day), for waits
    /// until `trigger.…` dates; at most [`MAX_DATES`].
    #[serde(skip_serializing_if = "std::collections::BTreeMap::is_empty")]
    pub dates: std::collections::BTreeMap<String, String>,
}

/// Dates kept from one trigger: enough for any wait, bounded for a hostile event.
const MAX_DATES: usize = 8;

impl Occasion {
    /// What an event says: the first product of an order.
    pub fn of_event(properties: &serde_json::Value) -> Self {
        let first = properties.get("products").and_then(|p| p.get(0));
        let text = |v: Option<&serde_json::Value>, key: &str| {
            v.and_then(|v| v.get(key)).and_then(serde_json::Value::as_str).map(str::to_owned)
        };
        let inviter = text(Some(properties), "inviter_id").and_then(|id| id.parse().ok());
        Self {
            // A subscription event names its product by `product_name` (or only its sku).
            product: text(first, "name")
                .or_else(|| text(Some(properties), "product_name"))
                .or_else(|| properties.get("subscription_id").and(text(Some(properties), "sku"))),
            category: text(first, "category"),
            inviter,
            ship_on: text(Some(properties), "ship_on"),
            quantity: properties.get("quantity").and_then(serde_json::Value::as_u64),
            deadline: text(Some(properties), "deadline"),
            answer_link: text(Some(properties), "answer_link"),
            dates: dates(properties),
            ..Self::default()
        }
    }

    /// The trigger's date `name` as an instant: a `YYYY-MM-DD` day is its midnight in `tz`.
    pub fn date(&self, name: &str, tz: chrono_tz::Tz) -> Option<chrono::DateTime<chrono::Utc>> {
        parse_date(self.dates.get(name)?, tz)
    }

    pub fn to_json(&self) -> serde_json::Value {
        serde_json::to_value(self).unwrap_or_default()
    }

    pub fn from_json(v: &serde_json::Value) -> Self {
        serde_json::from_value(v.clone()).unwrap_or_default()
    }
}

fn parse_date(text: &str, tz: chrono_tz::Tz) -> Option<chrono::DateTime<chrono::Utc>> {
    if let Ok(t) = chrono::DateTime::parse_from_rfc3339(text) {
        return Some(t.with_timezone(&chrono::Utc));
    }
    let day = chrono::NaiveDate::parse_from_str(text, "%Y-%m-%d").ok()?;
    rekindle_core::outreach::resolve_local(day, chrono::NaiveTime::MIN, tz)
}

fn dates(properties: &serde_json::Value) -> std::collections::BTreeMap<String, String> {
    let Some(map) = properties.as_object() else { return Default::default() };
    map.iter()
        .filter_map(|(k, v)| Some((k, v.as_str()?)))
        .filter(|(k, v)| k.len() <= 64 && v.len() <= 40 && parse_date(v, chrono_tz::UTC).is_some())
        .take(MAX_DATES)
        .map(|(k, v)| (k.clone(), v.to_owned()))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_confirmation_request_names_its_shipment_and_link() {
        let o = Occasion::of_event(&serde_json::json!({"subscription_id": "s1", "sku": "milk-1l",
            "product_name": "鲜牛奶", "quantity": 2, "ship_on": "2027-01-08", "deadline": "1月7日 20:00",
            "answer_link": "https://x/s/t"}));
        assert_eq!(o.product.as_deref(), Some("鲜牛奶"));
        assert_eq!((o.ship_on.as_deref(), o.quantity), (Some("2027-01-08"), Some(2)));
        assert_eq!((o.deadline.as_deref(), o.answer_link.as_deref()), (Some("1月7日 20:00"), Some("https://x/s/t")));
        assert_eq!(Occasion::from_json(&o.to_json()), o, "kept with the enrollment");
        let bare = Occasion::of_event(&serde_json::json!({"subscription_id": "s2", "sku": "eggs"}));
        assert_eq!(bare.product.as_deref(), Some("eggs"));
        assert_eq!(Occasion::of_event(&serde_json::json!({"sku": "eggs"})).product, None, "only a subscription's");
    }

    #[test]
    fn keeps_the_triggers_dates_for_waits() {
        let o =
            Occasion::of_event(&serde_json::json!({"delivered_at": "2026-05-01T02:00:00Z", "ship_on": "2026-05-03",
            "order_id": "o-1", "revenue": 3}));
        let tz = chrono_tz::Asia::Shanghai;
        assert_eq!(o.date("delivered_at", tz), Some("2026-05-01T02:00:00Z".parse().unwrap()));
        assert_eq!(
            o.date("ship_on", tz),
            Some("2026-05-02T16:00:00Z".parse().unwrap()),
            "midnight in the store's zone"
        );
        assert_eq!(o.date("order_id", tz), None);
        assert_eq!(Occasion::from_json(&o.to_json()), o);
    }
}
