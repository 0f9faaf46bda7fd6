//! `externalcontact/get_groupmsg_send_result`: where each customer, or each customer group,
//! stands in a mass send.

use serde::{Deserialize, Serialize};
use serde_json::json;

use crate::wechat::WechatApi;
use crate::{FailureKind, SendError};

/// One customer's (or group's) state in a mass send, as `get_groupmsg_send_result` reports it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MassSendStatus {
    /// 0: the staff member has not confirmed yet.
    Unsent,
    /// 1: delivered.
    Sent,
    /// 2: not sent, the customer is no longer the staff member's friend.
    NotFriend,
    /// 3: not sent, the customer already received their quota of mass messages.
    ReceivedAlready,
}

impl MassSendStatus {
    fn from_code(code: i64) -> Option<Self> {
        Some(match code {
            0 => Self::Unsent,
            1 => Self::Sent,
            2 => Self::NotFriend,
            3 => Self::ReceivedAlready,
            _ => return None,
        })
    }
}

/// Whom a send-list entry is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Target {
    /// `external_userid`: a 1:1 mass send.
    Customer,
    /// `chat_id`: a customer-group mass send.
    Group,
}

/// Pages of `get_groupmsg_send_result` read at most: 1000 entries a page.
const MAX_PAGES: usize = 100;

/// Every entry of the mass send `msgid` assigned to `sender`, by external_userid or chat_id.
pub(crate) async fn read(
    api: &WechatApi,
    msgid: &str,
    sender: &str,
    target: Target,
) -> Result<Vec<(String, MassSendStatus)>, SendError> {
    #[derive(Deserialize)]
    struct Page {
        #[serde(default)]
        next_cursor: String,
        #[serde(default)]
        send_list: Vec<Entry>,
    }
    #[derive(Deserialize)]
    struct Entry {
        #[serde(default)]
        external_userid: String,
        #[serde(default)]
        chat_id: String,
        status: i64,
    }

    let mut states = Vec::new();
    let mut cursor = String::new();
    for _ in 0..MAX_PAGES {
        let body = json!({"msgid": msgid, "userid": sender, "limit": 1000, "cursor": cursor});
        let reply = api.post("cgi-bin/externalcontact/get_groupmsg_send_result", &body).await?;
        let page: Page = serde_json::from_value(reply)
            .map_err(|e| SendError::uncertain(FailureKind::ProviderError, "unreadable", format!("send result: {e}")))?;
        for entry in page.send_list {
            let id = match target {
                Target::Customer => entry.external_userid,
                Target::Group => entry.chat_id,
            };
            if id.is_empty() {
                continue;
            }
            match MassSendStatus::from_code(entry.status) {
                Some(status) => states.push((id, status)),
                None => tracing::warn!(message = "unknown mass send status", status = entry.status),
            }
        }
        if page.next_cursor.is_empty() {
            break;
        }
        cursor = page.next_cursor;
    }
    Ok(states)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statuses_follow_the_documented_codes() {
        let read: Vec<_> = (0..5).map(MassSendStatus::from_code).collect();
        assert_eq!(
            read,
            [
                Some(MassSendStatus::Unsent),
                Some(MassSendStatus::Sent),
                Some(MassSendStatus::NotFriend),
                Some(MassSendStatus::ReceivedAlready),
                None
            ]
        );
    }
}
