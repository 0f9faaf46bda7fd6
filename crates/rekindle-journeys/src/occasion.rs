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
}

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
            ..Self::default()
        }
    }

    pub fn to_json(&self) -> serde_json::Value {
        serde_json::to_value(self).unwrap_or_default()
    }

    pub fn from_json(v: &serde_json::Value) -> Self {
        serde_json::from_value(v.clone()).unwrap_or_default()
    }
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
}
