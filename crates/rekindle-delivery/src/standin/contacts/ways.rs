//! Channel codes ("联系我" `add/get/update/del_contact_way`) and customer-group join codes
//! (`groupchat/add/get/del_join_way`), kept in the book.

use std::collections::HashMap;
use std::sync::Arc;

use axum::extract::{Query, State};
use axum::response::Response;
use serde::Deserialize;
use serde_json::json;

use super::{Book, admit, answer};
use crate::standin::state::Shared;
use crate::standin::wecom::{ok, refuse};
use crate::standin::{ContactWayRecord, JoinWayRecord};

const MAX_STATE_BYTES: usize = 30;
const MAX_WAY_USERS: usize = 100;
const MAX_JOIN_CHATS: usize = 5;

fn config_id() -> String {
    hex::encode(rand::random::<[u8; 16]>())
}

fn qr_code() -> String {
    format!("https://wework.qpic.cn/wwpic/{}/0", hex::encode(rand::random::<[u8; 12]>()))
}

#[derive(Deserialize)]
pub(super) struct NewContactWay {
    #[serde(rename = "type", default)]
    kind: u8,
    #[serde(default)]
    scene: u8,
    #[serde(default)]
    remark: String,
    skip_verify: Option<bool>,
    #[serde(default)]
    state: String,
    #[serde(default)]
    user: Vec<String>,
}

pub(super) async fn add_contact_way(
    State(shared): State<Arc<Shared>>,
    Query(q): Query<HashMap<String, String>>,
    axum::Json(body): axum::Json<NewContactWay>,
) -> Response {
    let hold = match admit(&shared, &q).await {
        Ok(hold) => hold,
        Err(refusal) => return refusal,
    };
    let response = {
        let mut state = shared.lock();
        let book = &mut state.contacts;
        if !matches!(body.kind, 1 | 2) {
            refuse(41039, "invalid contact way type")
        } else if !matches!(body.scene, 1 | 2) {
            refuse(41040, "invalid contact way scene")
        } else if let Some(refusal) = check_users(book, body.kind, &body.user).or_else(|| check_state(&body.state)) {
            refusal
        } else {
            let way = ContactWayRecord {
                config_id: config_id(),
                kind: body.kind,
                scene: body.scene,
                remark: body.remark,
                // WeCom's default: customers are added without the staff member confirming.
                skip_verify: body.skip_verify.unwrap_or(true),
                state: body.state,
                users: body.user,
                qr_code: if body.scene == 2 { qr_code() } else { String::new() },
            };
            let mut reply = json!({"config_id": way.config_id});
            if way.scene == 2 {
                reply["qr_code"] = json!(way.qr_code);
            }
            book.contact_ways.push(way);
            ok(reply)
        }
    };
    answer(hold, response).await
}

#[derive(Deserialize)]
pub(super) struct ConfigId {
    #[serde(default)]
    config_id: String,
}

pub(super) async fn get_contact_way(
    State(shared): State<Arc<Shared>>,
    Query(q): Query<HashMap<String, String>>,
    axum::Json(body): axum::Json<ConfigId>,
) -> Response {
    let hold = match admit(&shared, &q).await {
        Ok(hold) => hold,
        Err(refusal) => return refusal,
    };
    let response = match shared.lock().contacts.contact_ways.iter().find(|w| w.config_id == body.config_id) {
        None => refuse(41044, "invalid contact way config_id"),
        Some(w) => ok(json!({"contact_way": {
            "config_id": w.config_id, "type": w.kind, "scene": w.scene, "style": 1, "remark": w.remark,
            "skip_verify": w.skip_verify, "state": w.state, "qr_code": w.qr_code, "user": w.users,
            "party": [], "is_temp": false, "expires_in": 0, "chat_expires_in": 0, "unionid": "",
            "conclusions": {}
        }})),
    };
    answer(hold, response).await
}

#[derive(Deserialize)]
pub(super) struct ContactWayUpdate {
    #[serde(default)]
    config_id: String,
    remark: Option<String>,
    skip_verify: Option<bool>,
    state: Option<String>,
    user: Option<Vec<String>>,
}

pub(super) async fn update_contact_way(
    State(shared): State<Arc<Shared>>,
    Query(q): Query<HashMap<String, String>>,
    axum::Json(body): axum::Json<ContactWayUpdate>,
) -> Response {
    let hold = match admit(&shared, &q).await {
        Ok(hold) => hold,
        Err(refusal) => return refusal,
    };
    let response = {
        let mut state = shared.lock();
        let book = &mut state.contacts;
        match book.contact_ways.iter().position(|w| w.config_id == body.config_id) {
            None => refuse(41044, "invalid contact way config_id"),
            Some(at) => {
                let kind = book.contact_ways[at].kind;
                let refusal = body
                    .user
                    .as_ref()
                    .and_then(|users| check_users(book, kind, users))
                    .or_else(|| body.state.as_deref().and_then(check_state));
                match refusal {
                    Some(refusal) => refusal,
                    None => {
                        let way = &mut book.contact_ways[at];
                        way.remark = body.remark.unwrap_or_else(|| way.remark.clone());
                        way.skip_verify = body.skip_verify.unwrap_or(way.skip_verify);
                        way.state = body.state.unwrap_or_else(|| way.state.clone());
                        way.users = body.user.unwrap_or_else(|| way.users.clone());
                        ok(json!({}))
                    }
                }
            }
        }
    };
    answer(hold, response).await
}

pub(super) async fn del_contact_way(
    State(shared): State<Arc<Shared>>,
    Query(q): Query<HashMap<String, String>>,
    axum::Json(body): axum::Json<ConfigId>,
) -> Response {
    let hold = match admit(&shared, &q).await {
        Ok(hold) => hold,
        Err(refusal) => return refusal,
    };
    let response = {
        let mut state = shared.lock();
        let ways = &mut state.contacts.contact_ways;
        match ways.iter().position(|w| w.config_id == body.config_id) {
            None => refuse(41044, "invalid contact way config_id"),
            Some(at) => {
                ways.remove(at);
                ok(json!({}))
            }
        }
    };
    answer(hold, response).await
}

#[derive(Deserialize)]
pub(super) struct NewJoinWay {
    #[serde(default)]
    scene: u8,
    #[serde(default)]
    remark: String,
    auto_create_room: Option<u8>,
    #[serde(default)]
    room_base_name: String,
    #[serde(default)]
    room_base_id: i64,
    #[serde(default)]
    chat_id_list: Vec<String>,
    #[serde(default)]
    state: String,
}

pub(super) async fn add_join_way(
    State(shared): State<Arc<Shared>>,
    Query(q): Query<HashMap<String, String>>,
    axum::Json(body): axum::Json<NewJoinWay>,
) -> Response {
    let hold = match admit(&shared, &q).await {
        Ok(hold) => hold,
        Err(refusal) => return refusal,
    };
    let response = if !matches!(body.scene, 1 | 2) {
        refuse(41040, "invalid join way scene")
    } else if body.chat_id_list.is_empty() || body.chat_id_list.len() > MAX_JOIN_CHATS {
        refuse(40058, "chat_id_list must name 1 to 5 group chats")
    } else if let Some(refusal) = check_state(&body.state) {
        refusal
    } else {
        let way = JoinWayRecord {
            config_id: config_id(),
            scene: body.scene,
            remark: body.remark,
            // WeCom's default: a new group once the named ones are full.
            auto_create_room: body.auto_create_room.unwrap_or(1) == 1,
            room_base_name: body.room_base_name,
            room_base_id: body.room_base_id,
            chat_ids: body.chat_id_list,
            state: body.state,
            qr_code: if body.scene == 2 { qr_code() } else { String::new() },
        };
        let reply = json!({"config_id": way.config_id});
        shared.lock().contacts.join_ways.push(way);
        ok(reply)
    };
    answer(hold, response).await
}

pub(super) async fn get_join_way(
    State(shared): State<Arc<Shared>>,
    Query(q): Query<HashMap<String, String>>,
    axum::Json(body): axum::Json<ConfigId>,
) -> Response {
    let hold = match admit(&shared, &q).await {
        Ok(hold) => hold,
        Err(refusal) => return refusal,
    };
    let response = match shared.lock().contacts.join_ways.iter().find(|w| w.config_id == body.config_id) {
        None => refuse(40058, "invalid join way config_id"),
        Some(w) => ok(json!({"join_way": {
            "config_id": w.config_id, "scene": w.scene, "remark": w.remark,
            "auto_create_room": u8::from(w.auto_create_room), "room_base_name": w.room_base_name,
            "room_base_id": w.room_base_id, "chat_id_list": w.chat_ids, "qr_code": w.qr_code, "state": w.state
        }})),
    };
    answer(hold, response).await
}

pub(super) async fn del_join_way(
    State(shared): State<Arc<Shared>>,
    Query(q): Query<HashMap<String, String>>,
    axum::Json(body): axum::Json<ConfigId>,
) -> Response {
    let hold = match admit(&shared, &q).await {
        Ok(hold) => hold,
        Err(refusal) => return refusal,
    };
    let response = {
        let mut state = shared.lock();
        let ways = &mut state.contacts.join_ways;
        match ways.iter().position(|w| w.config_id == body.config_id) {
            None => refuse(40058, "invalid join way config_id"),
            Some(at) => {
                ways.remove(at);
                ok(json!({}))
            }
        }
    };
    answer(hold, response).await
}

/// A code's staff members: one for type 1, up to 100 for type 2, each an active member.
fn check_users(book: &Book, kind: u8, users: &[String]) -> Option<Response> {
    if users.is_empty() || (kind == 1 && users.len() != 1) {
        return Some(refuse(40058, "user must name one member for type 1, one or more for type 2"));
    }
    if users.len() > MAX_WAY_USERS {
        return Some(refuse(41041, "contact way users out of limit"));
    }
    users.iter().find(|u| !book.active(u)).map(|u| refuse(60111, &format!("userid not found: {u}")))
}

fn check_state(state: &str) -> Option<Response> {
    (state.len() > MAX_STATE_BYTES).then(|| refuse(40058, "state exceeds 30 bytes"))
}
