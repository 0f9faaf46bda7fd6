//! Which staff member a WeCom message to a customer goes through.

use serde::{Deserialize, Serialize};

use super::Relationships;

/// Chosen per send step (`sender`); the owner by default.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub enum SenderRule {
    /// The longest-standing friendship: the staff member who has had the customer longest
    /// (after a transfer, the one who took them over).
    #[default]
    Owner,
    /// The staff member the customer added most recently (say, the host of the last live).
    Recent,
    /// This staff member, only while the customer is their friend.
    Staff(String),
}

impl SenderRule {
    /// The staff id to send from, or `None` when no friendship fits. A friendship that names
    /// no staff member (older integrations) sends with no sender, as WeCom allows for one
    /// customer.
    pub fn choose<'a>(&self, r: &'a Relationships) -> Option<&'a str> {
        let mut friends = r.friends();
        match self {
            Self::Owner => friends.min_by_key(|(s, l)| (l.since, *s)).map(|(s, _)| s),
            Self::Recent => friends.max_by_key(|(s, l)| (l.added, std::cmp::Reverse(*s))).map(|(s, _)| s),
            Self::Staff(id) => friends.find(|(s, _)| s == id).map(|(s, _)| s),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::contacts::RemovedBy;
    use chrono::{TimeZone, Utc};

    #[test]
    fn owner_recent_and_named() {
        let t = |h| Utc.with_ymd_and_hms(2026, 11, 1, h, 0, 0).unwrap();
        let mut r = Relationships::default();
        r.added("guide-1", t(1), None, "store", None);
        r.added("host-1", t(3), None, "live", None);
        r.added("leader-1", t(5), None, "live", None);
        r.removed("leader-1", t(6), RemovedBy::Customer);
        assert_eq!(SenderRule::Owner.choose(&r), Some("guide-1"));
        assert_eq!(SenderRule::Recent.choose(&r), Some("host-1"));
        assert_eq!(SenderRule::Staff("host-1".into()).choose(&r), Some("host-1"));
        assert_eq!(SenderRule::Staff("leader-1".into()).choose(&r), None);
        // Handed over: the old owner's friendship ends, the new one's starts.
        r.removed("guide-1", t(7), RemovedBy::Transfer);
        r.added("guide-2", t(7), Some(t(1)), "transfer", None);
        assert_eq!(SenderRule::Owner.choose(&r), Some("guide-2"));
        assert_eq!(SenderRule::Recent.choose(&r), Some("guide-2"));
        assert_eq!(SenderRule::Owner.choose(&Relationships::default()), None);
    }

    #[test]
    fn reads_as_the_journey_definition_writes_it() {
        let rules: Vec<SenderRule> = serde_json::from_str(r#"["owner", "recent", {"staff": "guide-3"}]"#).unwrap();
        assert_eq!(rules, vec![SenderRule::Owner, SenderRule::Recent, SenderRule::Staff("guide-3".into())]);
        assert!(serde_json::from_str::<SenderRule>(r#""boss""#).is_err());
    }
}
