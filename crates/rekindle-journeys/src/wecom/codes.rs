//! Channel codes in WeCom: a contact code is a "联系我" QR code (`add_contact_way`) — one
//! staff member at a time when the code picks in turn, every staff member when WeCom picks at
//! random — and a group code a join code (`groupchat/add_join_way`) that opens a new group
//! when its groups are full.

use rekindle_core::contacts::{ChannelCode, CodeKind, Pick};
use rekindle_delivery::WecomClient;
use rekindle_delivery::wecom::{ContactWay, ContactWayKind, JoinWay};

fn contact_way(code: &ChannelCode, showing: &str) -> ContactWay {
    let (kind, users) = match code.input.pick {
        Pick::Turn => (ContactWayKind::Single, vec![showing.to_owned()]),
        Pick::Random => (ContactWayKind::Multi, code.input.staff.clone()),
    };
    ContactWay {
        kind,
        users,
        remark: code.input.name.chars().take(30).collect(),
        skip_verify: true,
        state: code.state.clone(),
    }
}

/// Make the code in WeCom, recording its `config_id` and QR code, or why WeCom refused.
pub async fn make(wecom: &WecomClient, code: &mut ChannelCode) {
    let made = match code.input.kind {
        CodeKind::Contact => {
            let first = code.input.staff.first().cloned().unwrap_or_default();
            wecom.add_contact_way(&contact_way(code, &first)).await.map(|c| (c.config_id, c.qr_code))
        }
        CodeKind::Group => {
            let way = JoinWay {
                chat_ids: code.input.groups.clone(),
                remark: code.input.name.chars().take(30).collect(),
                auto_create_room: true,
                room_base_name: code.input.name.chars().take(20).collect(),
                room_base_id: 1,
                state: code.state.clone(),
            };
            match wecom.add_join_way(&way).await {
                Ok(id) => wecom.get_join_way(&id).await.map(|info| (id, info.qr_code)),
                Err(e) => Err(e),
            }
        }
    };
    match made {
        Ok((config_id, qr_code)) => {
            (code.config_id, code.qr_code, code.error) = (Some(config_id), Some(qr_code), None);
        }
        Err(e) => code.error = Some(e.to_string()),
    }
}

/// Bring WeCom's code in line with an edited one (staff, name); a group code's groups are
/// fixed once made.
pub async fn update(wecom: &WecomClient, code: &mut ChannelCode) {
    let Some(config_id) = code.config_id.clone() else { return make(wecom, code).await };
    if code.input.kind == CodeKind::Contact {
        let first = code.input.staff.first().cloned().unwrap_or_default();
        match wecom.update_contact_way(&config_id, &contact_way(code, &first)).await {
            Ok(()) => code.error = None,
            Err(e) => code.error = Some(e.to_string()),
        }
    }
}

/// Retire the code in WeCom: scanning it adds nobody any more.
pub async fn retire(wecom: &WecomClient, code: &ChannelCode) -> Result<(), String> {
    let Some(config_id) = &code.config_id else { return Ok(()) };
    let done = match code.input.kind {
        CodeKind::Contact => wecom.del_contact_way(config_id).await,
        CodeKind::Group => wecom.del_join_way(config_id).await,
    };
    done.map_err(|e| e.to_string())
}

/// After `added` was added through a code that picks in turn, show the next staff member.
pub async fn turn(wecom: &WecomClient, code: &ChannelCode, added: &str) -> Result<Option<String>, String> {
    let (Pick::Turn, CodeKind::Contact, Some(config_id)) = (code.input.pick, code.input.kind, &code.config_id) else {
        return Ok(None);
    };
    let staff = &code.input.staff;
    let next = staff.iter().position(|s| s == added).map_or(0, |i| (i + 1) % staff.len());
    let Some(next) = staff.get(next) else { return Ok(None) };
    wecom.update_contact_way(config_id, &contact_way(code, next)).await.map_err(|e| e.to_string())?;
    Ok(Some(next.clone()))
}
