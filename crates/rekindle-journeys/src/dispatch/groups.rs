//! Posts to customer groups, sent: each queued post goes to WeCom as a customer-group mass
//! send for its owner to confirm (docs/groups.md). The ceiling was held when it was queued.

use rekindle_delivery::SendError;
use rekindle_delivery::wecom::{Attachment, GroupPost as WecomPost};
use rekindle_store::GroupPost;

use super::Dispatcher;

/// Posts sent per round.
const BATCH: u32 = 50;

/// What a round of group posts did.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct GroupRound {
    pub sent: usize,
    pub failed: usize,
    /// Left queued for the next round (throttled, no provider reachable).
    pub waiting: usize,
}

impl Dispatcher {
    /// Send the queued group posts of every workspace.
    pub async fn group_round(&self) -> rekindle_store::Result<GroupRound> {
        let mut round = GroupRound::default();
        for (ws, post) in self.store.due_group_posts(BATCH).await? {
            let outcome = self.post(ws, &post).await;
            let at = (self.clock)();
            match outcome {
                Some(result) => {
                    let sent = result.is_ok();
                    if self.store.record_group_post(ws, post.id, result, at).await? {
                        if sent { round.sent += 1 } else { round.failed += 1 }
                    }
                }
                None => round.waiting += 1,
            }
        }
        Ok(round)
    }

    /// `Some(Ok(msgid))` sent, `Some(Err(reason))` not and never will be, `None` try again.
    async fn post(&self, ws: rekindle_core::WorkspaceId, post: &GroupPost) -> Option<Result<String, String>> {
        let channels = match self.channels.of(ws).await {
            Ok(c) => c,
            Err(e) => {
                tracing::warn!(workspace = %ws, error = %e, "group posts wait for the channel settings");
                return None;
            }
        };
        let Some(wecom) = channels.channels.wecom() else {
            return Some(Err("no WeCom provider is configured".into()));
        };
        let attachments: Vec<Attachment> = match serde_json::from_value(post.attachments.clone()) {
            Ok(a) => a,
            Err(e) => return Some(Err(format!("attachments unreadable: {e}"))),
        };
        let out = WecomPost {
            sender: post.sender.clone(),
            chat_ids: vec![post.group_id.clone()],
            text: post.text.clone(),
            attachments,
        };
        match wecom.send_to_groups(&out).await {
            Ok(receipt) => Some(Ok(receipt.provider_message_id.unwrap_or_default())),
            Err(SendError::Retryable { code, message, .. }) => {
                tracing::info!(workspace = %ws, post = post.id, %code, %message, "group post retried later");
                None
            }
            // WeCom does not de-duplicate: an uncertain post is not sent again.
            Err(e) => Some(Err(e.to_string())),
        }
    }
}
