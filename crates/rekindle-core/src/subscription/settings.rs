//! A store's subscription settings: when the confirmation of a shipment is asked, until when
//! an answer is taken, and what a shipment nobody answered for does.

use serde::{Deserialize, Serialize};

use crate::FieldError;
use crate::outreach::LocalTime;

/// What happens to a shipment whose cut-off passed without an answer.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum OnNoAnswer {
    /// It goes out anyway (a store whose customers only answer to skip).
    Ship,
    /// It does not go out and counts as a miss: the default, because the model is "confirmed
    /// before each shipment", and fresh food sent to someone away spoils at the door.
    #[default]
    Hold,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "openapi", schema(as = SubscriptionSettings))]
#[serde(deny_unknown_fields, default)]
pub struct Settings {
    /// The confirmation message is due this many days before the ship date…
    pub ask_days_before: u32,
    /// …at this local time.
    pub ask_at: LocalTime,
    /// Answers are taken until this many days before the ship date…
    pub cutoff_days_before: u32,
    /// …at this local time (when the warehouse picks the next day's shipments).
    pub cutoff_at: LocalTime,
    pub on_no_answer: OnNoAnswer,
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            ask_days_before: 2,
            ask_at: LocalTime::hm(10, 0),
            cutoff_days_before: 1,
            cutoff_at: LocalTime::hm(20, 0),
            on_no_answer: OnNoAnswer::Hold,
        }
    }
}

/// The longest lead of a question or a cut-off, in days.
pub const MAX_DAYS_BEFORE: u32 = 30;

impl Settings {
    /// Every problem, each naming its field.
    pub fn check(&self) -> Vec<FieldError> {
        let mut out = Vec::new();
        if self.ask_days_before > MAX_DAYS_BEFORE {
            out.push(FieldError::new("ask_days_before", format!("must be between 0 and {MAX_DAYS_BEFORE}")));
        }
        if self.cutoff_days_before > MAX_DAYS_BEFORE {
            out.push(FieldError::new("cutoff_days_before", format!("must be between 0 and {MAX_DAYS_BEFORE}")));
        }
        // Later days before the ship date are earlier moments.
        if (self.cutoff_days_before, std::cmp::Reverse(self.cutoff_at))
            >= (self.ask_days_before, std::cmp::Reverse(self.ask_at))
        {
            out.push(FieldError::new("cutoff_at", "the cut-off must come after the question is asked"));
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_cut_off_must_follow_the_question() {
        assert!(Settings::default().check().is_empty());
        let same_day = Settings { ask_days_before: 1, ask_at: LocalTime::hm(9, 0), ..Settings::default() };
        assert!(same_day.check().is_empty(), "asked 09:00, answered until 20:00 the same day");
        let reversed = Settings { ask_days_before: 1, ask_at: LocalTime::hm(21, 0), ..Settings::default() };
        let fields: Vec<String> = reversed.check().into_iter().map(|e| e.field).collect();
        assert_eq!(fields, ["cutoff_at"]);
        let far = Settings { ask_days_before: 31, ..Settings::default() };
        assert_eq!(far.check().into_iter().map(|e| e.field).collect::<Vec<_>>(), ["ask_days_before"]);
        let partial: Settings = serde_json::from_str(r#"{"on_no_answer": "ship"}"#).unwrap();
        assert_eq!((partial.on_no_answer, partial.ask_days_before), (OnNoAnswer::Ship, 2));
    }
}
