//! 微信客服 (WeChat Customer Service, "kf"): the messages `kf/sync_msg` returns once a
//! `kf_msg_or_event` callback says some are waiting. A customer's messages, the servicers'
//! replies typed in WeCom and system events come back in one list, oldest first.

use chrono::{DateTime, Utc};
use serde::Deserialize;
use serde_json::Value;

/// Who a 微信客服 message is from (`origin`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KfOrigin {
    /// 3: the WeChat customer.
    Customer,
    /// 4: WeCom itself (system messages and events).
    System,
    /// 5: a servicer (接待人员) answering in WeCom.
    Servicer,
    /// A code WeCom did not document when this was written.
    Other(i64),
}

impl KfOrigin {
    fn from_code(code: i64) -> Self {
        match code {
            3 => Self::Customer,
            4 => Self::System,
            5 => Self::Servicer,
            other => Self::Other(other),
        }
    }
}

/// One message of a `sync_msg` page.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KfMessage {
    /// Unique per message: what makes a message stored once however often it is pulled.
    pub msgid: String,
    /// The 微信客服 account the conversation is with.
    pub open_kfid: String,
    /// The customer; empty for some system events.
    pub external_userid: String,
    /// `send_time`; None when WeCom gave none.
    pub send_time: Option<DateTime<Utc>>,
    pub origin: KfOrigin,
    /// The servicer's WeCom userid, on their replies.
    pub servicer_userid: Option<String>,
    /// `text`, `image`, `voice`, `video`, `file`, `location`, `link`, `business_card`,
    /// `miniprogram`, `msgmenu`, `event`, …
    pub msgtype: String,
    /// `text.content` of a text message.
    pub text: Option<String>,
}

impl KfMessage {
    /// What a conversation shows of the message: its text, or a bracketed placeholder naming
    /// its kind (`[图片]`) for media and cards, whose content Rekindle does not fetch.
    pub fn shown_text(&self) -> String {
        if let Some(text) = &self.text {
            return text.clone();
        }
        let kind = match self.msgtype.as_str() {
            "text" => "文本",
            "image" => "图片",
            "voice" => "语音",
            "video" => "视频",
            "file" => "文件",
            "location" => "位置",
            "link" => "链接",
            "business_card" => "名片",
            "miniprogram" => "小程序",
            "msgmenu" => "菜单",
            "channels_shop_product" => "商品",
            "channels_shop_order" => "订单",
            "merged_msg" => "聊天记录",
            "channels" => "视频号",
            "meeting" => "会议",
            "schedule" => "日程",
            "note" => "笔记",
            "" => "消息",
            other => return format!("[{other}]"),
        };
        format!("[{kind}]")
    }
}

/// One answer of `kf/sync_msg`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct KfPage {
    pub messages: Vec<KfMessage>,
    /// Where the next pull starts (its `cursor`); empty if WeCom gave none.
    pub next_cursor: String,
    /// More messages wait after this page: pull again from `next_cursor`.
    pub has_more: bool,
}

#[derive(Deserialize)]
struct WirePage {
    #[serde(default)]
    next_cursor: String,
    #[serde(default)]
    has_more: Value,
    #[serde(default)]
    msg_list: Vec<Value>,
}

#[derive(Deserialize)]
struct WireMessage {
    msgid: String,
    #[serde(default)]
    open_kfid: String,
    #[serde(default)]
    external_userid: String,
    #[serde(default)]
    send_time: i64,
    origin: i64,
    #[serde(default)]
    servicer_userid: String,
    #[serde(default)]
    msgtype: String,
    text: Option<WireText>,
}

#[derive(Deserialize)]
struct WireText {
    #[serde(default)]
    content: String,
}

/// Read a `sync_msg` answer. A message that cannot be read is skipped with a warning rather
/// than failing the page: the cursor moves past it either way, and one odd message must not
/// hold up every message after it.
pub(crate) fn read_page(reply: Value) -> Result<KfPage, serde_json::Error> {
    let page: WirePage = serde_json::from_value(reply)?;
    let has_more = page.has_more.as_i64().is_some_and(|n| n != 0) || page.has_more == Value::Bool(true);
    let mut messages = Vec::with_capacity(page.msg_list.len());
    for entry in page.msg_list {
        match serde_json::from_value::<WireMessage>(entry) {
            Ok(m) if !m.msgid.trim().is_empty() => messages.push(KfMessage {
                msgid: m.msgid,
                open_kfid: m.open_kfid,
                external_userid: m.external_userid,
                send_time: (m.send_time > 0).then(|| DateTime::from_timestamp(m.send_time, 0)).flatten(),
                origin: KfOrigin::from_code(m.origin),
                servicer_userid: Some(m.servicer_userid).filter(|s| !s.is_empty()),
                text: m.text.filter(|_| m.msgtype == "text").map(|t| t.content),
                msgtype: m.msgtype,
            }),
            Ok(_) => tracing::warn!(message = "微信客服 message without a msgid skipped"),
            Err(error) => tracing::warn!(message = "unreadable 微信客服 message skipped", %error),
        }
    }
    Ok(KfPage { messages, next_cursor: page.next_cursor, has_more })
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    /// The shape of WeCom's documented example (developer.work.weixin.qq.com/document/path/94670).
    fn sample() -> Value {
        json!({
            "errcode": 0,
            "errmsg": "ok",
            "next_cursor": "4gw7MepFLfgF2VC5npN",
            "has_more": 1,
            "msg_list": [
                {"msgid": "from_msgid_4622416642169452483", "open_kfid": "wkAJ2GCAAASSm4_FhToWMFea0xAFfd3Q",
                 "external_userid": "wmAJ2GCAAAme1XQRC-NI-q0_ZM9ukoAw", "send_time": 1615478585, "origin": 3,
                 "msgtype": "text", "text": {"content": "你好，酸奶什么时候到货", "menu_id": "101"}},
                {"msgid": "2", "open_kfid": "wkAJ2GCAAASSm4_FhToWMFea0xAFfd3Q",
                 "external_userid": "wmAJ2GCAAAme1XQRC-NI-q0_ZM9ukoAw", "send_time": 1615478600, "origin": 5,
                 "servicer_userid": "zhangsan", "msgtype": "text", "text": {"content": "明天上午"}},
                {"msgid": "3", "open_kfid": "wkAJ2GCAAASSm4_FhToWMFea0xAFfd3Q", "send_time": 1615478601, "origin": 4,
                 "msgtype": "event", "event": {"event_type": "enter_session", "open_kfid": "wk", "external_userid": "wm"}},
                {"msgid": "4", "open_kfid": "wk", "external_userid": "wm", "send_time": 1615478602, "origin": 3,
                 "msgtype": "image", "image": {"media_id": "2iSLeVyqzk4eX0IB5kTi9Ljfa2rt9dwfq5WKRQ4Nvvgw"}},
                {"open_kfid": "wk", "origin": 3, "msgtype": "text", "text": {"content": "no msgid"}},
                {"msgid": "6", "origin": "three"}
            ]
        })
    }

    #[test]
    fn reads_the_documented_page() {
        let page = read_page(sample()).unwrap();
        assert_eq!((page.next_cursor.as_str(), page.has_more), ("4gw7MepFLfgF2VC5npN", true));
        assert_eq!(page.messages.len(), 4, "the unreadable ones are skipped");
        let first = &page.messages[0];
        assert_eq!(first.origin, KfOrigin::Customer);
        assert_eq!(first.external_userid, "wmAJ2GCAAAme1XQRC-NI-q0_ZM9ukoAw");
        assert_eq!(first.send_time, DateTime::from_timestamp(1615478585, 0));
        assert_eq!(first.shown_text(), "你好，酸奶什么时候到货");
        assert_eq!(first.servicer_userid, None);
        let reply = &page.messages[1];
        assert_eq!((reply.origin, reply.servicer_userid.as_deref()), (KfOrigin::Servicer, Some("zhangsan")));
        assert_eq!((page.messages[2].origin, page.messages[2].msgtype.as_str()), (KfOrigin::System, "event"));
        assert_eq!(page.messages[3].shown_text(), "[图片]");
    }

    #[test]
    fn has_more_and_placeholders() {
        let last = read_page(json!({"next_cursor": "c", "has_more": 0, "msg_list": []})).unwrap();
        assert!(!last.has_more && last.messages.is_empty());
        assert!(read_page(json!({"msg_list": "not a list"})).is_err());
        let m = |msgtype: &str| KfMessage {
            msgid: "m".into(),
            open_kfid: "wk".into(),
            external_userid: "wm".into(),
            send_time: None,
            origin: KfOrigin::from_code(9),
            servicer_userid: None,
            msgtype: msgtype.into(),
            text: None,
        };
        assert_eq!(m("miniprogram").shown_text(), "[小程序]");
        assert_eq!(m("hologram").shown_text(), "[hologram]");
        assert_eq!(m("").shown_text(), "[消息]");
        assert_eq!(m("").origin, KfOrigin::Other(9));
    }
}
