//! Creating a mass-send task (`externalcontact/add_msg_template`), for customers or customer
//! groups: the checks WeCom would make, the media uploads, and the task itself.

use serde_json::{Value, json};

use super::attachment::{self, Attachment};
use super::media::MediaCache;
use crate::wechat::WechatApi;
use crate::{FailureKind, Receipt, SendError};

const ADD_MSG_TEMPLATE: &str = "cgi-bin/externalcontact/add_msg_template";

/// Post the task `body` (chat type, recipients, sender) with `text` and `attachments`; WeCom's
/// answer. Checks run before any call. When WeCom no longer knows a cached media id (40007),
/// the uploads are forgotten, made again and the task posted once more: the refused call
/// created nothing.
pub(crate) async fn create(
    api: &WechatApi,
    media: &MediaCache,
    mut body: Value,
    text: &str,
    attachments: &[Attachment],
) -> Result<Value, SendError> {
    attachment::check(text, attachments)?;
    if !text.is_empty() {
        body["text"] = json!({"content": text});
    }
    let mut retried = false;
    loop {
        let mut media_ids = Vec::new();
        let mut wire = Vec::with_capacity(attachments.len());
        for a in attachments {
            let media_id = match a.media() {
                Some((kind, asset)) => Some(media.media_id(api, kind, asset).await?),
                None => None,
            };
            wire.push(a.to_wecom(media_id.as_deref()));
            media_ids.extend(media_id);
        }
        if !wire.is_empty() {
            body["attachments"] = Value::Array(wire);
        }
        match api.post(ADD_MSG_TEMPLATE, &body).await {
            Err(e) if e.code() == "40007" && !retried && !media_ids.is_empty() => {
                tracing::debug!(message = "WeCom forgot a cached media id; uploading again");
                media.forget(&media_ids).await;
                retried = true;
            }
            answer => return answer,
        }
    }
}

/// The receipt for a created task: it waits for the staff member to confirm it.
pub(crate) fn receipt(reply: &Value) -> Result<Receipt, SendError> {
    match reply["msgid"].as_str().filter(|id| !id.is_empty()) {
        Some(msgid) => Ok(Receipt { provider_message_id: Some(msgid.to_string()), awaiting_confirmation: true }),
        None => Err(SendError::uncertain(FailureKind::ProviderError, "no_msgid", "accepted without a msgid")),
    }
}
