//! A post to customer groups: what an operator or a journey asks for, checked, and the daily
//! ceiling of promotional posts per group.

use crate::FieldError;

/// Longest post: WeCom takes 4000 bytes of text; this many characters always fit.
pub const MAX_POST_CHARS: usize = 1300;
/// Most groups one post goes to.
pub const MAX_GROUPS: usize = 200;

/// The store's rules for group posts (docs/groups.md).
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields, default)]
pub struct PostRules {
    /// Promotional posts a group takes per day of the store's calendar, from every journey
    /// and sender together.
    pub promotional_per_day: u32,
}

impl Default for PostRules {
    fn default() -> Self {
        Self { promotional_per_day: 3 }
    }
}

/// A post as asked for.
#[derive(Debug, Clone, PartialEq, Eq, serde::Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct GroupPostInput {
    /// The groups (chat ids) to post to.
    pub groups: Vec<String>,
    /// The staff member (userid) who owns the groups and confirms the post in WeCom.
    pub sender: String,
    pub text: String,
    /// Promotional posts count against each group's daily ceiling; a notice (delivery
    /// delayed, a recall) does not.
    #[serde(default = "yes")]
    pub promotional: bool,
    /// Makes the post once however often it is sent (a client's retry).
    pub key: String,
    /// What goes with the text (at most 9).
    #[serde(default)]
    pub attachments: Vec<crate::outreach::Attachment>,
}

fn yes() -> bool {
    true
}

impl GroupPostInput {
    /// Every problem, each naming its field.
    pub fn check(&self) -> Vec<FieldError> {
        let mut out = Vec::new();
        if self.groups.is_empty() || self.groups.len() > MAX_GROUPS {
            out.push(FieldError::new("groups", format!("must name 1 to {MAX_GROUPS} groups")));
        }
        if let Some(bad) =
            self.groups.iter().find(|g| g.trim().is_empty() || g.len() > 128 || g.chars().any(char::is_control))
        {
            out.push(FieldError::new("groups", format!("{bad:?} is not a group id")));
        }
        for (field, value, max) in [("sender", &self.sender, 64), ("key", &self.key, 128)] {
            if value.trim().is_empty() || value.chars().count() > max || value.chars().any(char::is_control) {
                out.push(FieldError::new(field, format!("must be 1 to {max} characters without control characters")));
            }
        }
        let n = self.text.trim().chars().count();
        if n == 0 || n > MAX_POST_CHARS {
            out.push(FieldError::new("text", format!("must be 1 to {MAX_POST_CHARS} characters")));
        }
        if let Err(e) = crate::outreach::Attachment::check_all(&self.attachments, "attachments") {
            out.push(e);
        }
        out
    }
}

impl PostRules {
    pub fn check(&self) -> Vec<FieldError> {
        if (1..=20).contains(&self.promotional_per_day) {
            vec![]
        } else {
            vec![FieldError::new("promotional_per_day", "must be between 1 and 20")]
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn post() -> GroupPostInput {
        GroupPostInput {
            groups: vec!["wrOgAAAA".into()],
            sender: "staff-1".into(),
            text: "今晚8点直播，草莓特价".into(),
            promotional: true,
            key: "k1".into(),
            attachments: vec![],
        }
    }

    #[test]
    fn posts_are_checked_field_by_field() {
        assert!(post().check().is_empty());
        let bad = GroupPostInput { groups: vec![], sender: " ".into(), text: "长".repeat(1301), ..post() };
        let fields: Vec<_> = bad.check().into_iter().map(|e| e.field).collect();
        assert_eq!(fields, ["groups", "sender", "text"]);
        assert_eq!(PostRules::default().promotional_per_day, 3, "seed 002");
        assert_eq!(PostRules { promotional_per_day: 0 }.check()[0].field, "promotional_per_day");
    }
}
