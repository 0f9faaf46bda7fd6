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
}

impl Occasion {
    /// What an event says: the first product of an order.
    pub fn of_event(properties: &serde_json::Value) -> Self {
        let first = properties.get("products").and_then(|p| p.get(0));
        let text = |v: Option<&serde_json::Value>, key: &str| {
            v.and_then(|v| v.get(key)).and_then(serde_json::Value::as_str).map(str::to_owned)
        };
        let inviter = text(Some(properties), "inviter_id").and_then(|id| id.parse().ok());
        Self { product: text(first, "name"), category: text(first, "category"), inviter, ..Self::default() }
    }

    pub fn to_json(&self) -> serde_json::Value {
        serde_json::to_value(self).unwrap_or_default()
    }

    pub fn from_json(v: &serde_json::Value) -> Self {
        serde_json::from_value(v.clone()).unwrap_or_default()
    }
}
