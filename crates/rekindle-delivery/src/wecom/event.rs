//! The events of a decrypted WeCom callback: customer-contact changes
//! (`change_external_contact`) and 微信客服 messages waiting to be pulled (`kf_msg_or_event`).

use serde::{Deserialize, Serialize};

/// A change in who is whose customer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ContactEvent {
    /// `add_external_contact`: a customer added a staff member. `welcome_code` allows one welcome
    /// message within 20 seconds; `state` is the "联系我" QR code's state, which says where the
    /// customer came from.
    Added { user_id: String, external_user_id: String, welcome_code: Option<String>, state: Option<String> },
    /// `del_external_contact`: the staff member removed the customer.
    DeletedByStaff { user_id: String, external_user_id: String },
    /// `del_follow_user`: the customer removed the staff member.
    DeletedByCustomer { user_id: String, external_user_id: String },
    /// `edit_external_contact`: the staff member edited the customer's remark or corporate tags
    /// in WeCom; `externalcontact/get` reads what changed.
    Edited { user_id: String, external_user_id: String },
    /// `transfer_fail`: a transfer (在职继承) to `user_id`, the takeover, did not happen; the
    /// customer stays with the handover.
    TransferFailed { user_id: String, external_user_id: String, fail_reason: FailReason },
}

/// Why a transfer failed (`FailReason`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FailReason {
    /// `customer_refused`: the customer declined the new staff member.
    CustomerRefused,
    /// `customer_limit_exceed`: the takeover has as many customers as WeCom allows.
    CustomerLimitExceed,
    /// A reason WeCom did not document when this was written.
    Other,
}

impl FailReason {
    fn from_wire(reason: Option<&str>) -> Self {
        match reason.map(str::trim) {
            Some("customer_refused") => Self::CustomerRefused,
            Some("customer_limit_exceed") => Self::CustomerLimitExceed,
            _ => Self::Other,
        }
    }
}

/// `kf_msg_or_event`: 微信客服 messages or events are waiting; `kf/sync_msg` reads them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct KfEvent {
    /// For `sync_msg`, valid 10 minutes; without it WeCom limits the pulls strictly.
    pub token: Option<String>,
    /// The 微信客服 account with new messages (callbacks from before WeCom added it have none).
    pub open_kfid: Option<String>,
}

#[derive(Deserialize)]
struct Fields {
    #[serde(rename = "Event")]
    event: Option<String>,
    #[serde(rename = "ChangeType")]
    change_type: Option<String>,
    #[serde(rename = "UserID")]
    user_id: Option<String>,
    #[serde(rename = "ExternalUserID")]
    external_user_id: Option<String>,
    #[serde(rename = "WelcomeCode")]
    welcome_code: Option<String>,
    #[serde(rename = "State")]
    state: Option<String>,
    #[serde(rename = "FailReason")]
    fail_reason: Option<String>,
    #[serde(rename = "Token")]
    token: Option<String>,
    #[serde(rename = "OpenKfId")]
    open_kfid: Option<String>,
}

/// The contact event in a decrypted callback, or None for anything else (other events,
/// messages, malformed XML).
pub fn parse_event(xml: &str) -> Option<ContactEvent> {
    let fields: Fields = quick_xml::de::from_str(xml).ok()?;
    if fields.event.as_deref()?.trim() != "change_external_contact" {
        return None;
    }
    let user_id = present(fields.user_id)?;
    let external_user_id = present(fields.external_user_id)?;
    match fields.change_type.as_deref()?.trim() {
        "add_external_contact" => Some(ContactEvent::Added {
            user_id,
            external_user_id,
            welcome_code: present(fields.welcome_code),
            state: present(fields.state),
        }),
        "del_external_contact" => Some(ContactEvent::DeletedByStaff { user_id, external_user_id }),
        "del_follow_user" => Some(ContactEvent::DeletedByCustomer { user_id, external_user_id }),
        "edit_external_contact" => Some(ContactEvent::Edited { user_id, external_user_id }),
        "transfer_fail" => Some(ContactEvent::TransferFailed {
            user_id,
            external_user_id,
            fail_reason: FailReason::from_wire(fields.fail_reason.as_deref()),
        }),
        _ => None,
    }
}

/// The 微信客服 notice in a decrypted callback, or None for anything else.
pub fn parse_kf_event(xml: &str) -> Option<KfEvent> {
    let fields: Fields = quick_xml::de::from_str(xml).ok()?;
    if fields.event.as_deref()?.trim() != "kf_msg_or_event" {
        return None;
    }
    Some(KfEvent { token: present(fields.token), open_kfid: present(fields.open_kfid) })
}

fn present(value: Option<String>) -> Option<String> {
    value.map(|v| v.trim().to_string()).filter(|v| !v.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;

    const ADDED: &str = "<xml><ToUserName><![CDATA[toUser]]></ToUserName><FromUserName><![CDATA[sys]]></FromUserName>\
        <CreateTime>1403610513</CreateTime><MsgType><![CDATA[event]]></MsgType>\
        <Event><![CDATA[change_external_contact]]></Event><ChangeType><![CDATA[add_external_contact]]></ChangeType>\
        <UserID><![CDATA[zhangsan]]></UserID><ExternalUserID><![CDATA[woAJ2GCAAAXtWyujaWJHDDGi0mACAAAA]]></ExternalUserID>\
        <State><![CDATA[live-0501&amp;x]]></State><WelcomeCode><![CDATA[WELCOMECODE]]></WelcomeCode></xml>";

    #[test]
    fn reads_an_added_contact() {
        assert_eq!(
            parse_event(ADDED),
            Some(ContactEvent::Added {
                user_id: "zhangsan".into(),
                external_user_id: "woAJ2GCAAAXtWyujaWJHDDGi0mACAAAA".into(),
                welcome_code: Some("WELCOMECODE".into()),
                state: Some("live-0501&amp;x".into()),
            })
        );
    }

    #[test]
    fn reads_deletions_and_ignores_the_rest() {
        let deleted = ADDED.replace("add_external_contact", "del_follow_user");
        assert!(matches!(parse_event(&deleted), Some(ContactEvent::DeletedByCustomer { .. })));
        let by_staff = ADDED.replace("add_external_contact", "del_external_contact");
        assert!(matches!(parse_event(&by_staff), Some(ContactEvent::DeletedByStaff { .. })));
        let escaped = "<xml><Event>change_external_contact</Event><ChangeType>add_external_contact</ChangeType>\
            <UserID>li&amp;si</UserID><ExternalUserID>wo1</ExternalUserID></xml>";
        assert!(
            matches!(parse_event(escaped), Some(ContactEvent::Added { user_id, welcome_code: None, .. }) if user_id == "li&si")
        );
        assert_eq!(parse_event(&ADDED.replace("change_external_contact", "change_contact")), None);
        assert_eq!(parse_event("<xml><Event>"), None);
    }

    // The shapes of WeCom's samples (developer.work.weixin.qq.com/document/path/92130).
    const EDITED: &str = "<xml><ToUserName><![CDATA[toUser]]></ToUserName><FromUserName><![CDATA[sys]]></FromUserName>\
        <CreateTime>1403610513</CreateTime><MsgType><![CDATA[event]]></MsgType>\
        <Event><![CDATA[change_external_contact]]></Event><ChangeType><![CDATA[edit_external_contact]]></ChangeType>\
        <UserID><![CDATA[zhangsan]]></UserID><ExternalUserID><![CDATA[woAJ2GCAAAXtWyujaWJHDDGi0mACAAAA]]></ExternalUserID>\
        </xml>";
    const TRANSFER_FAIL: &str = "<xml><ToUserName><![CDATA[toUser]]></ToUserName><FromUserName><![CDATA[sys]]></FromUserName>\
        <CreateTime>1403610513</CreateTime><MsgType><![CDATA[event]]></MsgType>\
        <Event><![CDATA[change_external_contact]]></Event><ChangeType><![CDATA[transfer_fail]]></ChangeType>\
        <FailReason><![CDATA[customer_refused]]></FailReason><UserID><![CDATA[lisi]]></UserID>\
        <ExternalUserID><![CDATA[woAJ2GCAAAXtWyujaWJHDDGi0mACAAAA]]></ExternalUserID></xml>";
    const DELETED_BY_TRANSFER: &str = "<xml><ToUserName><![CDATA[toUser]]></ToUserName>\
        <FromUserName><![CDATA[sys]]></FromUserName><CreateTime>1403610513</CreateTime>\
        <MsgType><![CDATA[event]]></MsgType><Event><![CDATA[change_external_contact]]></Event>\
        <ChangeType><![CDATA[del_external_contact]]></ChangeType><UserID><![CDATA[zhangsan]]></UserID>\
        <ExternalUserID><![CDATA[woAJ2GCAAAXtWyujaWJHDDGi0mACAAAA]]></ExternalUserID>\
        <Source><![CDATA[DELETE_BY_TRANSFER]]></Source></xml>";

    #[test]
    fn reads_edits_and_failed_transfers() {
        let customer = "woAJ2GCAAAXtWyujaWJHDDGi0mACAAAA".to_string();
        assert_eq!(
            parse_event(EDITED),
            Some(ContactEvent::Edited { user_id: "zhangsan".into(), external_user_id: customer.clone() })
        );
        assert_eq!(
            parse_event(TRANSFER_FAIL),
            Some(ContactEvent::TransferFailed {
                user_id: "lisi".into(),
                external_user_id: customer.clone(),
                fail_reason: FailReason::CustomerRefused,
            })
        );
        let full = TRANSFER_FAIL.replace("customer_refused", "customer_limit_exceed");
        assert!(matches!(
            parse_event(&full),
            Some(ContactEvent::TransferFailed { fail_reason: FailReason::CustomerLimitExceed, .. })
        ));
        let unknown = TRANSFER_FAIL.replace("customer_refused", "moon_phase");
        assert!(matches!(
            parse_event(&unknown),
            Some(ContactEvent::TransferFailed { fail_reason: FailReason::Other, .. })
        ));
        let no_reason = TRANSFER_FAIL.replace("<FailReason><![CDATA[customer_refused]]></FailReason>", "");
        assert!(matches!(
            parse_event(&no_reason),
            Some(ContactEvent::TransferFailed { fail_reason: FailReason::Other, .. })
        ));
        // The handover's side of a completed transfer is a deletion with a Source.
        assert_eq!(
            parse_event(DELETED_BY_TRANSFER),
            Some(ContactEvent::DeletedByStaff { user_id: "zhangsan".into(), external_user_id: customer })
        );
        assert_eq!(parse_event(&EDITED.replace("<UserID><![CDATA[zhangsan]]></UserID>", "")), None);
    }

    #[test]
    fn contact_events_serialise_with_their_type() {
        let event = parse_event(TRANSFER_FAIL).unwrap();
        let json = serde_json::to_value(&event).unwrap();
        assert_eq!(json["type"], "transfer_failed");
        assert_eq!(json["fail_reason"], "customer_refused");
        assert_eq!(serde_json::from_value::<ContactEvent>(json).unwrap(), event);
        assert_eq!(serde_json::to_value(parse_event(EDITED).unwrap()).unwrap()["type"], "edited");
    }

    // WeCom's sample (developer.work.weixin.qq.com/document/path/94670).
    const KF: &str = "<xml><ToUserName><![CDATA[ww12345678910]]></ToUserName><CreateTime>1348831860</CreateTime>\
        <MsgType><![CDATA[event]]></MsgType><Event><![CDATA[kf_msg_or_event]]></Event>\
        <Token><![CDATA[ENCApHxnGDNAVNY4AaSJKj4Tb5mwsEMzxhFmHVGcra996NR]]></Token>\
        <OpenKfId><![CDATA[wkxxxxxxx]]></OpenKfId></xml>";

    #[test]
    fn reads_the_kf_notice() {
        assert_eq!(
            parse_kf_event(KF),
            Some(KfEvent {
                token: Some("ENCApHxnGDNAVNY4AaSJKj4Tb5mwsEMzxhFmHVGcra996NR".into()),
                open_kfid: Some("wkxxxxxxx".into()),
            })
        );
        assert_eq!(parse_event(KF), None, "not a contact event");
        assert_eq!(parse_kf_event(ADDED), None);
        let older = "<xml><MsgType>event</MsgType><Event>kf_msg_or_event</Event><Token>T</Token></xml>";
        assert_eq!(parse_kf_event(older), Some(KfEvent { token: Some("T".into()), open_kfid: None }));
        assert_eq!(parse_kf_event("<xml><Event>kf_msg_or_event"), None);
    }
}
