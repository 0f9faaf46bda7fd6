//! Channel QR codes (渠道活码): one code per place a customer can come from (a live session, a
//! parcel card, a store, an ad). A customer who scans it adds a staff member chosen in turn or
//! at random; WeCom echoes the code's `state` on the callback, so the friendship records its
//! source, the code's tags are given and its welcome message sent. A group code opens a new
//! customer group when the current one is full.

use serde::{Deserialize, Serialize};

use crate::FieldError;

/// WeCom's limit on `state`.
pub const MAX_STATE_BYTES: usize = 30;
/// Staff members on one code, and groups on one group code (WeCom's limits).
pub const MAX_STAFF: usize = 100;
pub const MAX_GROUPS: usize = 5;
pub const MAX_TAGS: usize = 20;
const MAX_NAME: usize = 40;

/// How a code picks the staff member a customer adds.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum Pick {
    /// Each in turn: the code shows one staff member and moves to the next after each add.
    #[default]
    Turn,
    /// WeCom picks among them at random (a multi-person code).
    Random,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum CodeKind {
    /// Adds a staff member as a friend.
    #[default]
    Contact,
    /// Joins a customer group; a new one opens when the groups are full.
    Group,
}

/// A code as the operator writes it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct CodeInput {
    pub name: String,
    /// Where it is used: `live`, `parcel`, `store`, `ads` or another lowercase word.
    pub source: String,
    #[serde(default)]
    pub kind: CodeKind,
    /// Staff userids a contact code adds (one or more).
    #[serde(default)]
    pub staff: Vec<String>,
    #[serde(default)]
    pub pick: Pick,
    /// Group chat ids a group code fills, in order (at most 5).
    #[serde(default)]
    pub groups: Vec<String>,
    /// Tags given to whoever comes through it.
    #[serde(default)]
    pub tags: Vec<String>,
    /// The message template welcoming them (the server's default welcome when unset).
    #[serde(default)]
    pub welcome: Option<String>,
}

/// A code as kept: the input, its `state` and what WeCom made of it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ChannelCode {
    pub id: u32,
    #[serde(flatten)]
    pub input: CodeInput,
    /// What WeCom echoes on the callback: `{source}-r{id}` (the `r` keeps it apart from states
    /// other tools gave codes, such as `store-3`).
    pub state: String,
    /// WeCom's `config_id` and the QR code's address, once WeCom made it.
    pub config_id: Option<String>,
    pub qr_code: Option<String>,
    /// Why WeCom did not make it, if it did not.
    pub error: Option<String>,
    pub archived: bool,
    #[cfg_attr(feature = "openapi", schema(value_type = String))]
    pub created_at: chrono::DateTime<chrono::Utc>,
}

impl ChannelCode {
    pub fn new(id: u32, input: CodeInput, created_at: chrono::DateTime<chrono::Utc>) -> Self {
        let state = format!("{}-r{id}", input.source);
        Self { id, input, state, config_id: None, qr_code: None, error: None, archived: false, created_at }
    }

    /// The staff member the `n`-th add through this code goes to, for a code that picks in
    /// turn (the customer after `n` adds sees the next one).
    pub fn staff_after(&self, adds: u64) -> Option<&str> {
        let staff = &self.input.staff;
        (!staff.is_empty()).then(|| staff[(adds % staff.len() as u64) as usize].as_str())
    }
}

fn word_ok(s: &str) -> bool {
    !s.is_empty() && s.len() <= 16 && s.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
}

fn id_ok(s: &str) -> bool {
    !s.is_empty() && s.len() <= 64 && s.chars().all(|c| c.is_ascii_alphanumeric() || "-_.@".contains(c))
}

/// A refusal in the caller's language.
fn refuse(field: impl Into<String>, zh: bool, (zh_text, en_text): (String, String)) -> FieldError {
    FieldError::new(field, if zh { zh_text } else { en_text })
}

macro_rules! say {
    ($zh:expr, $en:expr) => {
        (format!($zh), format!($en))
    };
}

impl CodeInput {
    /// Check it as WeCom would, naming the field at fault, in Chinese (`zh`) or English.
    pub fn validate(&mut self, zh: bool) -> Result<(), FieldError> {
        self.name = self.name.trim().to_owned();
        if self.name.is_empty() || self.name.chars().count() > MAX_NAME {
            return Err(refuse("name", zh, say!("1 到 {MAX_NAME} 个字", "1 to {MAX_NAME} characters")));
        }
        if !word_ok(&self.source) {
            return Err(refuse(
                "source",
                zh,
                say!(
                    "用小写字母、数字或 _ 写的一个词（live、parcel、store、ads）",
                    "a lowercase word of letters, digits or _ (live, parcel, store, ads)"
                ),
            ));
        }
        // `{source}-r{id}` within WeCom's 30 bytes, for ids up to 10 digits.
        if self.source.len() + 2 + 10 > MAX_STATE_BYTES {
            return Err(refuse("source", zh, say!("最多 16 个字符", "at most 16 characters")));
        }
        match self.kind {
            CodeKind::Contact => {
                if self.staff.is_empty() || self.staff.len() > MAX_STAFF {
                    return Err(refuse(
                        "staff",
                        zh,
                        say!("1 到 {MAX_STAFF} 位员工的 userid", "1 to {MAX_STAFF} staff userids"),
                    ));
                }
                if !self.groups.is_empty() {
                    return Err(refuse("groups", zh, say!("只有群活码才填群", "only a group code fills groups")));
                }
            }
            CodeKind::Group => {
                if self.groups.is_empty() || self.groups.len() > MAX_GROUPS {
                    return Err(refuse(
                        "groups",
                        zh,
                        say!("1 到 {MAX_GROUPS} 个客户群 ID", "1 to {MAX_GROUPS} group chat ids"),
                    ));
                }
            }
        }
        for (field, ids) in [("staff", &self.staff), ("groups", &self.groups)] {
            if let Some(i) = ids.iter().position(|s| !id_ok(s)) {
                return Err(refuse(
                    format!("{field}[{i}]"),
                    zh,
                    say!("只能用字母、数字和 - _ . @", "letters, digits and - _ . @ only"),
                ));
            }
            let mut seen = std::collections::HashSet::new();
            if let Some(i) = ids.iter().position(|s| !seen.insert(s)) {
                return Err(refuse(format!("{field}[{i}]"), zh, say!("重复了", "listed twice")));
            }
        }
        if self.tags.len() > MAX_TAGS {
            return Err(refuse("tags", zh, say!("最多 {MAX_TAGS} 个", "at most {MAX_TAGS}")));
        }
        if let Some(i) = self.tags.iter().position(|t| t.trim().is_empty() || t.chars().count() > 30) {
            return Err(refuse(format!("tags[{i}]"), zh, say!("1 到 30 个字", "1 to 30 characters")));
        }
        if self.welcome.as_ref().is_some_and(|w| w.trim().is_empty()) {
            self.welcome = None;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::Utc;

    fn input() -> CodeInput {
        CodeInput {
            name: " 包裹卡 A ".into(),
            source: "parcel".into(),
            kind: CodeKind::Contact,
            staff: vec!["guide-1".into(), "guide-2".into(), "guide-3".into()],
            pick: Pick::Turn,
            groups: vec![],
            tags: vec!["包裹卡".into()],
            welcome: Some(" ".into()),
        }
    }

    #[test]
    fn a_code_names_its_source_in_its_state_and_turns_through_its_staff() {
        let mut i = input();
        i.validate(true).unwrap();
        assert_eq!((i.name.as_str(), i.welcome.as_deref()), ("包裹卡 A", None));
        let code = ChannelCode::new(12, i, Utc::now());
        assert_eq!(code.state, "parcel-r12");
        assert!(code.state.len() <= MAX_STATE_BYTES);
        assert_eq!(crate::contacts::reconcile::source_of(&code.state), "parcel");
        let turns: Vec<_> = (0..4).map(|n| code.staff_after(n).unwrap()).collect();
        assert_eq!(turns, ["guide-1", "guide-2", "guide-3", "guide-1"]);
    }

    #[test]
    fn refusals_name_the_field() {
        let field = |f: fn(&mut CodeInput)| {
            let mut i = input();
            f(&mut i);
            i.validate(false).unwrap_err().field
        };
        assert_eq!(field(|i| i.name = "".into()), "name");
        assert_eq!(field(|i| i.source = "Live Room".into()), "source");
        assert_eq!(field(|i| i.source = "a".repeat(17)), "source");
        assert_eq!(field(|i| i.staff.clear()), "staff");
        assert_eq!(field(|i| i.staff.push("guide-1".into())), "staff[3]");
        assert_eq!(field(|i| i.staff[1] = "<script>".into()), "staff[1]");
        assert_eq!(field(|i| i.groups = vec!["wr1".into()]), "groups");
        assert_eq!(field(|i| i.kind = CodeKind::Group), "groups");
        assert_eq!(field(|i| i.tags = vec!["x".repeat(31)]), "tags[0]");
    }
}
