//! The customer-contact events of a decrypted WeCom callback (`change_external_contact`).

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
        _ => None,
    }
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
}
