//! A store's service settings: its promises and working hours, and the confidence at which
//! the FAQ assistant answers rather than hands off.

use serde::{Deserialize, Serialize};

use super::sla::Sla;
use crate::FieldError;

/// The confidence at or above which the starter knowledge base answers, chosen on the tuning
/// set (`rekindle faq eval`; docs/service.md, "FAQ assistant").
pub const DEFAULT_FAQ_THRESHOLD: f64 = 0.36;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "openapi", schema(as = ServiceSettings))]
#[serde(deny_unknown_fields, default)]
pub struct Settings {
    pub sla: Sla,
    /// Answer at or above this confidence (0–1); hand off to a person below it.
    pub faq_threshold: f64,
}

impl Default for Settings {
    fn default() -> Self {
        Self { sla: Sla::default(), faq_threshold: DEFAULT_FAQ_THRESHOLD }
    }
}

impl Settings {
    /// Every problem, each naming its field.
    pub fn check(&self) -> Vec<FieldError> {
        let mut out: Vec<FieldError> =
            self.sla.check().into_iter().map(|e| FieldError::new(format!("sla.{}", e.field), e.reason)).collect();
        if !(self.faq_threshold.is_finite() && (0.0..=1.0).contains(&self.faq_threshold)) {
            out.push(FieldError::new("faq_threshold", "must be between 0 and 1"));
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn settings_are_checked_by_field() {
        assert!(Settings::default().check().is_empty());
        let bad = Settings { faq_threshold: 1.5, sla: Sla { resolve_hours: 0, ..Sla::default() } };
        let fields: Vec<String> = bad.check().into_iter().map(|e| e.field).collect();
        assert_eq!(fields, ["sla.resolve_hours", "faq_threshold"]);
        let partial: Settings = serde_json::from_str(r#"{"faq_threshold": 0.5}"#).unwrap();
        assert_eq!(partial.sla, Sla::default(), "an omitted part keeps its default");
    }
}
