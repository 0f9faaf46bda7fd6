//! Customer-group mass sends: an `add_msg_template` task of chat type "group" that the group
//! owner confirms, as 1:1 mass sends are confirmed.

use serde::{Deserialize, Serialize};
use serde_json::json;

use super::attachment::Attachment;
use super::send_result::{self, MassSendStatus, Target};
use super::{WecomClient, task};
use crate::{FailureKind, Receipt, SendError};

/// Group chats one task names at most.
pub const MAX_GROUP_CHATS: usize = 2000;

/// A message for customer groups owned by one staff member.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct GroupPost {
    /// The owner's WeCom userid: only a group's owner can send to it.
    pub sender: String,
    /// The group chats (`chat_id`s the sender owns); empty lets the owner pick when confirming.
    #[serde(default)]
    pub chat_ids: Vec<String>,
    #[serde(default)]
    pub text: String,
    #[serde(default)]
    pub attachments: Vec<Attachment>,
}

impl WecomClient {
    /// A mass-send task to the sender's customer groups. The receipt's msgid waits for the owner
    /// to confirm; [`WecomClient::group_send_state`] tells later which groups got it.
    pub async fn send_to_groups(&self, post: &GroupPost) -> Result<Receipt, SendError> {
        let body = group_body(post)?;
        let reply = task::create(&self.api, &self.media, body, &post.text, &post.attachments).await?;
        task::receipt(&reply)
    }

    /// Each group chat's state in the group mass send `msgid` of `sender`.
    pub async fn group_send_state(
        &self,
        msgid: &str,
        sender: &str,
    ) -> Result<Vec<(String, MassSendStatus)>, SendError> {
        send_result::read(&self.api, msgid, sender, Target::Group).await
    }
}

/// The task's addressing, refused before any call when WeCom would refuse it.
fn group_body(post: &GroupPost) -> Result<serde_json::Value, SendError> {
    if post.sender.trim().is_empty() {
        let message = "a group mass send needs the group owner's userid as its sender";
        return Err(SendError::rejected(FailureKind::Misconfigured, "no_sender", message));
    }
    if post.chat_ids.len() > MAX_GROUP_CHATS {
        let message =
            format!("WeCom takes at most {MAX_GROUP_CHATS} group chats a task; this one names {}", post.chat_ids.len());
        return Err(SendError::rejected(FailureKind::Misconfigured, "too_many_chats", message));
    }
    if post.chat_ids.iter().any(|id| id.trim().is_empty()) {
        return Err(SendError::rejected(FailureKind::InvalidRecipient, "empty_chat_id", "a group chat id is empty"));
    }
    let mut body = json!({"chat_type": "group", "sender": post.sender});
    if !post.chat_ids.is_empty() {
        body["chat_id_list"] = json!(post.chat_ids);
    }
    Ok(body)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn post() -> GroupPost {
        GroupPost {
            sender: "zhangsan".into(),
            chat_ids: vec!["wrOgQhDgAAAA".into(), "wrOgQhDgBBBB".into()],
            text: "今晚8点直播".into(),
            attachments: Vec::new(),
        }
    }

    #[test]
    fn group_tasks_name_the_owner_and_the_chats() {
        assert_eq!(
            group_body(&post()).unwrap(),
            json!({"chat_type": "group", "sender": "zhangsan", "chat_id_list": ["wrOgQhDgAAAA", "wrOgQhDgBBBB"]})
        );
        let any = GroupPost { chat_ids: Vec::new(), ..post() };
        assert_eq!(group_body(&any).unwrap(), json!({"chat_type": "group", "sender": "zhangsan"}));
    }

    #[test]
    fn group_tasks_need_a_sender_and_at_most_2000_chats() {
        let nobody = GroupPost { sender: " ".into(), ..post() };
        assert_eq!(group_body(&nobody).unwrap_err().code(), "no_sender");
        let crowd = GroupPost { chat_ids: (0..2001).map(|i| format!("wr{i}")).collect(), ..post() };
        assert_eq!(group_body(&crowd).unwrap_err().code(), "too_many_chats");
    }
}
