//! Posts to customer groups (docs/groups.md): queued under each group's daily ceiling of
//! promotional posts, atomically however many senders race, then sent and recorded.

use crate::Result;
use chrono::{DateTime, NaiveDate, Utc};
use rekindle_core::WorkspaceId;
use serde::Serialize;

/// A post to one group, as asked for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewGroupPost {
    /// Unique per workspace: the same key is the same post.
    pub send_key: String,
    pub group_id: String,
    /// The store's local day it counts against.
    pub day: NaiveDate,
    pub promotional: bool,
    pub sender: String,
    pub text: String,
    /// What else goes with it (attachments as the delivery crate reads them), kept whole.
    pub attachments: serde_json::Value,
    pub at: DateTime<Utc>,
}

/// What queueing a post did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GroupQueued {
    Queued(i64),
    /// Its send key was queued before (as this id).
    Again(i64),
    /// The group has had its promotional posts for the day.
    Capped,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum GroupPostState {
    Queued,
    /// WeCom accepted it; the owner confirms it in WeCom.
    Sent,
    Failed,
}

impl GroupPostState {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Queued => "queued",
            Self::Sent => "sent",
            Self::Failed => "failed",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        [Self::Queued, Self::Sent, Self::Failed].into_iter().find(|x| x.as_str() == s)
    }
}

/// A post as kept.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct GroupPost {
    pub id: i64,
    pub send_key: String,
    pub group_id: String,
    #[cfg_attr(feature = "openapi", schema(value_type = String))]
    pub day: NaiveDate,
    pub promotional: bool,
    pub sender: String,
    pub text: String,
    #[cfg_attr(feature = "openapi", schema(value_type = Object))]
    pub attachments: serde_json::Value,
    pub state: GroupPostState,
    /// WeCom's msgid once sent; the failure once failed.
    pub msgid: Option<String>,
    pub error: Option<String>,
    pub created_at: DateTime<Utc>,
    pub sent_at: Option<DateTime<Utc>>,
}

#[async_trait::async_trait]
pub trait GroupPosts: Send + Sync {
    /// Queue a post unless its group has had `ceiling` promotional posts on its day (notices
    /// always go). Never more than `ceiling`, whatever runs beside it.
    async fn queue_group_post(&self, ws: WorkspaceId, post: &NewGroupPost, ceiling: u32) -> Result<GroupQueued>;
    /// Posts, newest first: of one group, or all.
    async fn group_posts(&self, ws: WorkspaceId, group: Option<&str>, limit: u32) -> Result<Vec<GroupPost>>;
    /// Queued posts, oldest first, across workspaces with the workspace of each.
    async fn due_group_posts(&self, limit: u32) -> Result<Vec<(WorkspaceId, GroupPost)>>;
    /// Record how sending went: `Ok(msgid)` or `Err(reason)`. Only a queued post moves.
    async fn record_group_post(
        &self,
        ws: WorkspaceId,
        id: i64,
        outcome: std::result::Result<String, String>,
        at: DateTime<Utc>,
    ) -> Result<bool>;
}
