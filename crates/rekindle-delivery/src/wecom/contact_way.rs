//! Channel codes: "联系我" QR codes of one or more staff members (`add_contact_way` and
//! friends) and QR codes that join customer groups (`groupchat/add_join_way` and friends). A
//! code's `state` comes back on the customer added through it (the "customer added" callback's
//! `State`, a relationship's `state`), which is how Rekindle knows where a customer came from.

use serde::{Deserialize, Serialize};
use serde_json::json;

use super::WecomClient;
use super::contacts::{post, read};
use crate::{FailureKind, SendError};

/// The longest `state` WeCom keeps, in bytes.
pub const MAX_STATE_BYTES: usize = 30;
/// Group chats one join code names at most.
pub const MAX_JOIN_CHATS: usize = 5;
/// `scene` 2: a QR code (1 would be a mini-program button).
const SCENE_QR: u8 = 2;

/// Whose contact a channel code adds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ContactWayKind {
    /// `type` 1: one staff member.
    Single,
    /// `type` 2: one of several staff members, WeCom picks.
    Multi,
}

impl ContactWayKind {
    fn code(self) -> u8 {
        match self {
            Self::Single => 1,
            Self::Multi => 2,
        }
    }

    fn from_code(code: u8) -> Option<Self> {
        match code {
            1 => Some(Self::Single),
            2 => Some(Self::Multi),
            _ => None,
        }
    }
}

/// A "联系我" QR code to create, or what to change in one.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ContactWay {
    /// Only on creation: a code's type cannot change.
    pub kind: ContactWayKind,
    /// The staff members' userids: exactly one for [`ContactWayKind::Single`].
    pub users: Vec<String>,
    #[serde(default)]
    pub remark: String,
    /// Customers are added without the staff member confirming.
    #[serde(default)]
    pub skip_verify: bool,
    /// Says where a customer came from; at most [`MAX_STATE_BYTES`] bytes.
    #[serde(default)]
    pub state: String,
}

/// What `add_contact_way` created.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ContactWayCreated {
    pub config_id: String,
    /// The QR code's picture URL.
    pub qr_code: String,
}

/// A "联系我" code as `get_contact_way` reports it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ContactWayInfo {
    pub config_id: String,
    /// None for a type WeCom did not document when this was written.
    pub kind: Option<ContactWayKind>,
    pub scene: u8,
    pub remark: String,
    pub skip_verify: bool,
    pub state: Option<String>,
    pub qr_code: String,
    pub users: Vec<String>,
}

/// A customer-group QR code to create: it joins one of up to [`MAX_JOIN_CHATS`] groups, or
/// (with `auto_create_room`) a new group named after `room_base_name` once they are full.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct JoinWay {
    pub chat_ids: Vec<String>,
    #[serde(default)]
    pub remark: String,
    #[serde(default)]
    pub auto_create_room: bool,
    /// New groups are named this and a number from `room_base_id` on.
    #[serde(default)]
    pub room_base_name: String,
    #[serde(default)]
    pub room_base_id: i64,
    /// At most [`MAX_STATE_BYTES`] bytes.
    #[serde(default)]
    pub state: String,
}

/// A customer-group code as `groupchat/get_join_way` reports it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct JoinWayInfo {
    pub config_id: String,
    pub scene: u8,
    pub remark: String,
    pub auto_create_room: bool,
    pub room_base_name: String,
    pub room_base_id: i64,
    pub chat_ids: Vec<String>,
    pub qr_code: String,
    pub state: Option<String>,
}

#[derive(Deserialize)]
struct WireContactWay {
    config_id: String,
    #[serde(rename = "type", default)]
    kind: u8,
    #[serde(default)]
    scene: u8,
    #[serde(default)]
    remark: String,
    #[serde(default)]
    skip_verify: bool,
    #[serde(default)]
    state: String,
    #[serde(default)]
    qr_code: String,
    #[serde(default)]
    user: Vec<String>,
}

#[derive(Deserialize)]
struct WireJoinWay {
    config_id: String,
    #[serde(default)]
    scene: u8,
    #[serde(default)]
    remark: String,
    #[serde(default)]
    auto_create_room: u8,
    #[serde(default)]
    room_base_name: String,
    #[serde(default)]
    room_base_id: i64,
    #[serde(default)]
    chat_id_list: Vec<String>,
    #[serde(default)]
    qr_code: String,
    #[serde(default)]
    state: String,
}

impl WecomClient {
    /// A new "联系我" QR code for `way.users`.
    pub async fn add_contact_way(&self, way: &ContactWay) -> Result<ContactWayCreated, SendError> {
        check_contact_way(way)?;
        let body = json!({
            "type": way.kind.code(),
            "scene": SCENE_QR,
            "remark": way.remark,
            "skip_verify": way.skip_verify,
            "state": way.state,
            "user": way.users,
        });
        let reply = post(&self.api, "cgi-bin/externalcontact/add_contact_way", &body).await?;
        read(reply, "add_contact_way")
    }

    pub async fn get_contact_way(&self, config_id: &str) -> Result<ContactWayInfo, SendError> {
        #[derive(Deserialize)]
        struct Answer {
            contact_way: WireContactWay,
        }
        let body = json!({"config_id": config_id});
        let reply = post(&self.api, "cgi-bin/externalcontact/get_contact_way", &body).await?;
        let w = read::<Answer>(reply, "get_contact_way")?.contact_way;
        Ok(ContactWayInfo {
            config_id: w.config_id,
            kind: ContactWayKind::from_code(w.kind),
            scene: w.scene,
            remark: w.remark,
            skip_verify: w.skip_verify,
            state: Some(w.state).filter(|s| !s.is_empty()),
            qr_code: w.qr_code,
            users: w.user,
        })
    }

    /// Replace the code's users, remark, verification and state (its kind stays).
    pub async fn update_contact_way(&self, config_id: &str, way: &ContactWay) -> Result<(), SendError> {
        check_contact_way(way)?;
        let body = json!({
            "config_id": config_id,
            "remark": way.remark,
            "skip_verify": way.skip_verify,
            "state": way.state,
            "user": way.users,
        });
        post(&self.api, "cgi-bin/externalcontact/update_contact_way", &body).await?;
        Ok(())
    }

    pub async fn del_contact_way(&self, config_id: &str) -> Result<(), SendError> {
        let body = json!({"config_id": config_id});
        post(&self.api, "cgi-bin/externalcontact/del_contact_way", &body).await?;
        Ok(())
    }

    /// A new customer-group QR code; its config_id.
    pub async fn add_join_way(&self, way: &JoinWay) -> Result<String, SendError> {
        #[derive(Deserialize)]
        struct Answer {
            config_id: String,
        }
        check_state(&way.state)?;
        if way.chat_ids.is_empty() || way.chat_ids.len() > MAX_JOIN_CHATS {
            let message = format!("a join code names 1 to {MAX_JOIN_CHATS} group chats; {} given", way.chat_ids.len());
            return Err(SendError::rejected(FailureKind::Misconfigured, "join_chats", message));
        }
        let mut body = json!({
            "scene": SCENE_QR,
            "remark": way.remark,
            "auto_create_room": u8::from(way.auto_create_room),
            "chat_id_list": way.chat_ids,
            "state": way.state,
        });
        if way.auto_create_room {
            body["room_base_name"] = json!(way.room_base_name);
            body["room_base_id"] = json!(way.room_base_id);
        }
        let reply = post(&self.api, "cgi-bin/externalcontact/groupchat/add_join_way", &body).await?;
        Ok(read::<Answer>(reply, "groupchat/add_join_way")?.config_id)
    }

    pub async fn get_join_way(&self, config_id: &str) -> Result<JoinWayInfo, SendError> {
        #[derive(Deserialize)]
        struct Answer {
            join_way: WireJoinWay,
        }
        let body = json!({"config_id": config_id});
        let reply = post(&self.api, "cgi-bin/externalcontact/groupchat/get_join_way", &body).await?;
        let w = read::<Answer>(reply, "groupchat/get_join_way")?.join_way;
        Ok(JoinWayInfo {
            config_id: w.config_id,
            scene: w.scene,
            remark: w.remark,
            auto_create_room: w.auto_create_room == 1,
            room_base_name: w.room_base_name,
            room_base_id: w.room_base_id,
            chat_ids: w.chat_id_list,
            qr_code: w.qr_code,
            state: Some(w.state).filter(|s| !s.is_empty()),
        })
    }

    pub async fn del_join_way(&self, config_id: &str) -> Result<(), SendError> {
        let body = json!({"config_id": config_id});
        post(&self.api, "cgi-bin/externalcontact/groupchat/del_join_way", &body).await?;
        Ok(())
    }
}

/// Refused before any call when WeCom would refuse it.
fn check_contact_way(way: &ContactWay) -> Result<(), SendError> {
    check_state(&way.state)?;
    let fits = match way.kind {
        ContactWayKind::Single => way.users.len() == 1,
        ContactWayKind::Multi => !way.users.is_empty(),
    };
    if !fits || way.users.iter().any(|u| u.trim().is_empty()) {
        let message = format!("a {:?} contact code needs its staff userids; {} given", way.kind, way.users.len());
        return Err(SendError::rejected(FailureKind::Misconfigured, "contact_way_users", message));
    }
    Ok(())
}

fn check_state(state: &str) -> Result<(), SendError> {
    if state.len() > MAX_STATE_BYTES {
        let message = format!("WeCom keeps a state of at most {MAX_STATE_BYTES} bytes; this one has {}", state.len());
        return Err(SendError::rejected(FailureKind::Misconfigured, "state_too_long", message));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn way() -> ContactWay {
        ContactWay {
            kind: ContactWayKind::Single,
            users: vec!["zhangsan".into()],
            remark: String::new(),
            skip_verify: true,
            state: "live-0501".into(),
        }
    }

    #[test]
    fn contact_ways_are_checked_before_any_call() {
        assert!(check_contact_way(&way()).is_ok());
        let long = ContactWay { state: "直播间-2026年12月04日-晚场".into(), ..way() };
        assert_eq!(check_contact_way(&long).unwrap_err().code(), "state_too_long");
        let two = ContactWay { users: vec!["a".into(), "b".into()], ..way() };
        assert_eq!(check_contact_way(&two).unwrap_err().code(), "contact_way_users");
        assert!(check_contact_way(&ContactWay { kind: ContactWayKind::Multi, ..two }).is_ok());
        let nobody = ContactWay { kind: ContactWayKind::Multi, users: Vec::new(), ..way() };
        assert!(check_contact_way(&nobody).is_err());
        assert_eq!(ContactWayKind::from_code(ContactWayKind::Multi.code()), Some(ContactWayKind::Multi));
        assert_eq!(ContactWayKind::from_code(3), None);
    }
}
