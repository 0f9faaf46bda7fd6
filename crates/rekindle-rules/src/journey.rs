//! The rule checks of a journey definition: core checks a journey's structure and references
//! (`rekindle_core::journey::validate_with`) and cannot parse rules, since this crate depends
//! on it; here it is given the parser.

use rekindle_core::FieldError;
use rekindle_core::journey::{Definition, Known, validate_with};

use crate::ParseError;

/// Every problem with the journey, each naming its field (`steps[2].then`, `audience`); empty
/// when it can be published. A rule that does not parse is a problem at its field, with the
/// parser's English message (`at character 13: expected …, found …`).
pub fn validate(d: &Definition, known: &Known) -> Vec<FieldError> {
    validate_with(d, known, |text| crate::parse(text).err().map(|e| e.to_string()))
}

/// The first rule over the parser's caps (length or nesting), with its field. Such a rule is
/// refused even in a draft, which may otherwise be saved with its problems.
pub fn over_limit(d: &Definition) -> Option<(String, ParseError)> {
    d.rules()
        .into_iter()
        .find_map(|(field, text)| crate::parse(text).err().filter(|e| e.over_limit).map(|e| (field, e)))
}

#[cfg(test)]
mod tests {
    use rekindle_core::outreach::ChannelKind;

    use super::*;

    fn known() -> Known {
        Known {
            segments: [rekindle_core::SegmentId(1)].into(),
            templates: [("reminder".to_owned(), ChannelKind::Sms)].into(),
            coupons: ["85折".to_owned()].into(),
            tags: ["vip".to_owned()].into(),
        }
    }

    fn journey(steps: serde_json::Value) -> Definition {
        serde_json::from_value(serde_json::json!({
            "trigger": {"type": "event", "event": "Order Completed"},
            "steps": steps,
            "goal": {"within_days": 7},
        }))
        .unwrap()
    }

    #[test]
    fn a_sound_journey_passes() {
        let d = journey(serde_json::json!([
            {"id": "wait", "type": "wait", "minutes": 1440, "next": "split"},
            {"id": "split", "type": "split", "variants": [{"name": "A", "percent": 45, "next": "send"},
                {"name": "B", "percent": 45, "next": "coupon"}], "holdout_percent": 10},
            {"id": "send", "type": "send", "channel": "sms", "template": "reminder"},
            {"id": "coupon", "type": "coupon", "coupon": "85折", "next": "send"},
        ]));
        assert_eq!(validate(&d, &known()), vec![]);
    }

    #[test]
    fn names_every_problem() {
        let d = journey(serde_json::json!([
            {"id": "a", "type": "branch", "rule": "lifecycle = ", "then": "b", "else": "nowhere"},
            {"id": "b", "type": "send", "channel": "wecom", "template": "reminder"},
            {"id": "b", "type": "tag", "tag": "unknown"},
        ]));
        let fields: Vec<_> = validate(&d, &known()).into_iter().map(|p| p.field).collect();
        assert_eq!(fields, ["steps[2].id", "steps[0].rule", "steps[0].else", "steps[1].template", "steps[2].tag"]);
    }

    #[test]
    fn finds_unreachable_steps_and_loops_without_waits() {
        let d = journey(serde_json::json!([
            {"id": "a", "type": "tag", "tag": "vip", "next": "b"},
            {"id": "b", "type": "coupon", "coupon": "85折", "next": "a"},
            {"id": "lonely", "type": "exit"},
        ]));
        let problems = validate(&d, &known());
        assert!(problems.iter().any(|p| p.reason.contains("never reached")), "{problems:?}");
        assert!(problems.iter().any(|p| p.reason.contains("loop without a wait")), "{problems:?}");
        let with_wait = journey(serde_json::json!([
            {"id": "a", "type": "tag", "tag": "vip", "next": "w"},
            {"id": "w", "type": "wait", "until": "10:00", "next": "a"},
        ]));
        assert_eq!(validate(&with_wait, &known()), vec![]);
    }
}
