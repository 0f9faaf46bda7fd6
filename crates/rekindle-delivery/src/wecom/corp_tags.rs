//! Corporate customer tags (企业客户标签): the corp's tag groups (`get_corp_tag_list`), new tags
//! (`add_corp_tag`) and the tags a staff member puts on one customer (`mark_tag`).

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::json;

use super::WecomClient;
use super::contacts::{post, read};
use crate::{FailureKind, SendError};

/// A tag group with its tags.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TagGroup {
    pub group_id: String,
    pub group_name: String,
    pub created_at: Option<DateTime<Utc>>,
    /// Larger comes first in WeCom.
    pub order: i64,
    /// Deleted, still listed.
    pub deleted: bool,
    pub tags: Vec<CorpTag>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CorpTag {
    pub id: String,
    pub name: String,
    pub created_at: Option<DateTime<Utc>>,
    pub order: i64,
    pub deleted: bool,
}

#[derive(Deserialize)]
struct WireGroup {
    group_id: String,
    #[serde(default)]
    group_name: String,
    #[serde(default)]
    create_time: i64,
    #[serde(default)]
    order: i64,
    #[serde(default)]
    deleted: bool,
    #[serde(default)]
    tag: Vec<WireTag>,
}

#[derive(Deserialize)]
struct WireTag {
    id: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    create_time: i64,
    #[serde(default)]
    order: i64,
    #[serde(default)]
    deleted: bool,
}

impl From<WireGroup> for TagGroup {
    fn from(g: WireGroup) -> Self {
        TagGroup {
            group_id: g.group_id,
            group_name: g.group_name,
            created_at: timestamp(g.create_time),
            order: g.order,
            deleted: g.deleted,
            tags: g
                .tag
                .into_iter()
                .map(|t| CorpTag {
                    id: t.id,
                    name: t.name,
                    created_at: timestamp(t.create_time),
                    order: t.order,
                    deleted: t.deleted,
                })
                .collect(),
        }
    }
}

impl WecomClient {
    /// The corp's tag groups: all of them, or those of `group_ids`, or (no group ids) the
    /// groups holding `tag_ids` with only those tags. WeCom ignores `tag_ids` when
    /// `group_ids` are given.
    pub async fn corp_tags(&self, tag_ids: &[String], group_ids: &[String]) -> Result<Vec<TagGroup>, SendError> {
        #[derive(Deserialize)]
        struct Answer {
            #[serde(default)]
            tag_group: Vec<WireGroup>,
        }
        let mut body = json!({});
        if !tag_ids.is_empty() {
            body["tag_id"] = json!(tag_ids);
        }
        if !group_ids.is_empty() {
            body["group_id"] = json!(group_ids);
        }
        let reply = post(&self.api, "cgi-bin/externalcontact/get_corp_tag_list", &body).await?;
        Ok(read::<Answer>(reply, "get_corp_tag_list")?.tag_group.into_iter().map(TagGroup::from).collect())
    }

    /// Tags named `names` in the group `group_name` (created when no group has that name);
    /// the group with the tags just made.
    pub async fn add_corp_tags(&self, group_name: &str, names: &[String]) -> Result<TagGroup, SendError> {
        #[derive(Deserialize)]
        struct Answer {
            tag_group: WireGroup,
        }
        if group_name.trim().is_empty() || names.is_empty() || names.iter().any(|n| n.trim().is_empty()) {
            let message = "corporate tags need a group name and non-empty tag names";
            return Err(SendError::rejected(FailureKind::Misconfigured, "tag_names", message));
        }
        let tags: Vec<_> = names.iter().map(|name| json!({"name": name})).collect();
        let body = json!({"group_name": group_name, "tag": tags});
        let reply = post(&self.api, "cgi-bin/externalcontact/add_corp_tag", &body).await?;
        Ok(read::<Answer>(reply, "add_corp_tag")?.tag_group.into())
    }

    /// Put `add` on and take `remove` off the customer `external_userid` as `staff`'s. Refused
    /// with 84061 when they are not contacts, 40068 for a tag id WeCom does not know.
    pub async fn mark_tags(
        &self,
        staff: &str,
        external_userid: &str,
        add: &[String],
        remove: &[String],
    ) -> Result<(), SendError> {
        if add.is_empty() && remove.is_empty() {
            return Ok(());
        }
        let body = json!({"userid": staff, "external_userid": external_userid, "add_tag": add, "remove_tag": remove});
        post(&self.api, "cgi-bin/externalcontact/mark_tag", &body).await?;
        Ok(())
    }
}

fn timestamp(seconds: i64) -> Option<DateTime<Utc>> {
    (seconds > 0).then(|| DateTime::from_timestamp(seconds, 0)).flatten()
}
