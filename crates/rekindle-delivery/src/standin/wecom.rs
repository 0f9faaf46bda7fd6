//! WeCom stand-in: `gettoken`, `media/upload` (see [`super::media`]), `add_msg_template` (a task
//! per msgid, to customers or customer groups, confirmed by
//! [`StandIn::confirm`](super::StandIn::confirm)), `get_groupmsg_send_result`,
//! `send_welcome_msg` (codes it issued, for 20 seconds), `kf/sync_msg` (the 微信客服 messages a
//! test queued, paged by cursor), `ticket/get` (see [`super::jsapi`]), and callbacks encrypted
//! as WeCom does. The customer-contact routes (relationships, channel codes, transfers, tags)
//! are [`super::contacts`]'; a mass send to a customer of its book follows the book (not a
//! contact: `fail_list`; a second mass message from the same sender on one day: status 3).

use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::Router;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde::Deserialize;
use serde_json::{Value, json};

use super::state::{HOLD, Shared, Task, TokenState, Welcome};
use super::{Delivered, Fault, KfSync, MassTask};
use super::{contacts, jsapi, media};
use crate::wecom::callback::WecomCrypto;
use crate::{Secret, WecomConfig};

pub(crate) const CORP_ID: &str = "wwstandin00000001";
pub(crate) const SECRET: &str = "standin-wecom-secret";
pub(crate) const CALLBACK_TOKEN: &str = "standinCallbackToken";
/// 43 characters, as WeCom generates them.
pub(crate) const ENCODING_AES_KEY: &str = "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG";
const WELCOME_VALIDITY: Duration = Duration::from_secs(20);
/// The self-built app's AgentId, as callbacks carry it.
pub(crate) const AGENT_ID: &str = "1000002";

pub(crate) fn config(api_base: String) -> WecomConfig {
    WecomConfig {
        api_base,
        corp_id: CORP_ID.into(),
        secret: Secret::new(SECRET),
        callback_token: Secret::new(CALLBACK_TOKEN),
        encoding_aes_key: Secret::new(ENCODING_AES_KEY),
        agent_id: Some(AGENT_ID.into()),
    }
}

pub(crate) fn router(shared: Arc<Shared>, tickets: Arc<jsapi::Tickets>) -> Router {
    let router = Router::new()
        .route("/cgi-bin/gettoken", get(gettoken))
        .route(
            "/cgi-bin/media/upload",
            post(media::upload).layer(axum::extract::DefaultBodyLimit::max(media::BODY_LIMIT)),
        )
        .route("/cgi-bin/externalcontact/add_msg_template", post(add_msg_template))
        .route("/cgi-bin/externalcontact/get_groupmsg_send_result", post(send_result))
        .route("/cgi-bin/externalcontact/send_welcome_msg", post(send_welcome_msg))
        .route("/cgi-bin/kf/sync_msg", post(sync_msg));
    contacts::routes(router).with_state(shared.clone()).merge(jsapi::routes(shared, tickets))
}

/// WeCom's error shape: HTTP 200, `errcode` and an `errmsg` with a hint.
pub(super) fn refuse(errcode: i64, what: &str) -> Response {
    let hint = hex::encode(rand::random::<[u8; 8]>());
    let errmsg =
        format!("{what}, hint: [{hint}], more info at https://open.work.weixin.qq.com/devtool/query?e={errcode}");
    axum::Json(json!({"errcode": errcode, "errmsg": errmsg})).into_response()
}

pub(super) fn ok(mut body: Value) -> Response {
    body["errcode"] = json!(0);
    body["errmsg"] = json!("ok");
    axum::Json(body).into_response()
}

async fn gettoken(State(shared): State<Arc<Shared>>, Query(q): Query<HashMap<String, String>>) -> Response {
    shared.begin().await;
    if q.get("corpid").map(String::as_str) != Some(CORP_ID) {
        shared.bad_signature();
        return refuse(40013, "invalid corpid");
    }
    if q.get("corpsecret").map(String::as_str) != Some(SECRET) {
        shared.bad_signature();
        return refuse(40001, "invalid credential");
    }
    ok(json!({"access_token": shared.issue_token(), "expires_in": 7200}))
}

/// The token check every API call starts with: the refusal, if any.
pub(super) fn token_refusal(shared: &Shared, q: &HashMap<String, String>) -> Option<Response> {
    match shared.token(q.get("access_token").map(String::as_str)) {
        TokenState::Valid => None,
        TokenState::Missing => Some(refuse(41001, "access_token missing")),
        TokenState::Unknown => Some(refuse(40014, "invalid access_token")),
        TokenState::Expired => Some(refuse(42001, "access_token expired")),
    }
}

#[derive(Deserialize)]
struct Template {
    chat_type: Option<String>,
    #[serde(default)]
    external_userid: Vec<String>,
    sender: Option<String>,
    #[serde(default)]
    chat_id_list: Vec<String>,
    text: Option<Text>,
    #[serde(default)]
    attachments: Vec<Value>,
}

#[derive(Deserialize)]
struct Text {
    content: String,
}

async fn add_msg_template(
    State(shared): State<Arc<Shared>>,
    Query(q): Query<HashMap<String, String>>,
    axum::Json(body): axum::Json<Template>,
) -> Response {
    shared.begin().await;
    if let Some(refusal) = token_refusal(&shared, &q) {
        return refusal;
    }
    let chat_type = body.chat_type.clone().unwrap_or_else(|| "single".into());
    match chat_type.as_str() {
        "single" if body.external_userid.is_empty() => return refuse(40058, "external_userid is required"),
        "group" if body.sender.as_deref().unwrap_or_default().is_empty() => {
            return refuse(40058, "sender is required for a group send");
        }
        "single" | "group" => {}
        _ => return refuse(40058, "invalid chat_type"),
    }
    if let Some(refusal) = media::check_attachments(&shared, &body.attachments) {
        return refusal;
    }
    let text = body.text.as_ref().map(|t| t.content.clone()).unwrap_or_default();
    if text.len() > 4000 {
        return refuse(45002, "content size out of limit");
    }
    if text.is_empty() && body.attachments.is_empty() {
        return refuse(44004, "empty content");
    }
    let link = body.attachments.iter().find_map(|a| a["link"]["url"].as_str().map(str::to_string));
    let group = chat_type == "group";
    let mut fail_list = Vec::new();
    let mut task = Task { sender: body.sender.clone(), group, recipients: Vec::new(), over_quota: HashSet::new() };
    let mut hold = false;
    if group {
        // The owner's groups: the chats named, or (none named) those the owner picks on confirming.
        match shared.fault(body.sender.as_deref().unwrap_or_default()) {
            Some(Fault::ServerError) => return (StatusCode::INTERNAL_SERVER_ERROR, "internal error").into_response(),
            Some(Fault::Throttle) => return refuse(45033, "api concurrent out of limit"),
            Some(Fault::Timeout) => hold = true,
            _ => {}
        }
        task.recipients = body.chat_id_list.iter().map(|id| (id.clone(), 0)).collect();
    }
    for to in body.external_userid.iter().filter(|_| !group) {
        match shared.fault(to) {
            Some(Fault::ServerError) => return (StatusCode::INTERNAL_SERVER_ERROR, "internal error").into_response(),
            Some(Fault::Throttle) => return refuse(45033, "api concurrent out of limit"),
            Some(Fault::InvalidRecipient) => return refuse(40096, "invalid external userid"),
            Some(Fault::Refused) => {
                fail_list.push(to.clone());
                continue;
            }
            Some(Fault::Quota) => {
                task.over_quota.insert(to.clone());
            }
            Some(Fault::Timeout) => hold = true,
            None => {}
        }
        if shared.lock().contacts.refuses_mass(body.sender.as_deref(), to) {
            fail_list.push(to.clone());
            continue;
        }
        task.recipients.push((to.clone(), 0));
    }
    let msgid = format!("msg{}", hex::encode(rand::random::<[u8; 12]>()));
    for (to, _) in task.recipients.iter().filter(|_| !group) {
        shared.record(Delivered {
            to: to.clone(),
            send_key: None,
            template: None,
            params: Vec::new(),
            text: text.clone(),
            link: link.clone(),
            at: chrono::Utc::now(),
        });
    }
    if !task.recipients.is_empty() || group {
        let mut state = shared.lock();
        state.mass_tasks.push(MassTask {
            msgid: msgid.clone(),
            chat_type,
            sender: body.sender.clone(),
            external_userids: task.recipients.iter().filter(|_| !group).map(|(to, _)| to.clone()).collect(),
            chat_ids: body.chat_id_list.clone(),
            text: text.clone(),
            attachments: body.attachments.clone(),
        });
        state.tasks.insert(msgid.clone(), task);
    }
    if hold {
        tokio::time::sleep(HOLD).await;
    }
    ok(json!({"fail_list": fail_list, "msgid": msgid}))
}

#[derive(Deserialize)]
struct ResultQuery {
    msgid: String,
    userid: Option<String>,
    limit: Option<usize>,
    #[serde(default)]
    cursor: String,
}

async fn send_result(
    State(shared): State<Arc<Shared>>,
    Query(q): Query<HashMap<String, String>>,
    axum::Json(body): axum::Json<ResultQuery>,
) -> Response {
    shared.begin().await;
    if let Some(refusal) = token_refusal(&shared, &q) {
        return refusal;
    }
    let state = shared.lock();
    let Some(task) = state.tasks.get(&body.msgid) else { return refuse(41063, "invalid msgid") };
    let sender_matches = match (&task.sender, &body.userid) {
        (Some(sender), Some(asked)) => sender == asked,
        _ => true,
    };
    let list: Vec<&(String, u8)> = if sender_matches { task.recipients.iter().collect() } else { Vec::new() };
    let start = body.cursor.parse::<usize>().unwrap_or(0).min(list.len());
    let end = (start + body.limit.unwrap_or(500).clamp(1, 1000)).min(list.len());
    let page: Vec<Value> = list[start..end]
        .iter()
        .map(|(to, status)| {
            let mut entry = json!({"userid": task.sender.clone().unwrap_or_default(), "status": status,
                   "send_time": if *status == 1 { chrono::Utc::now().timestamp() } else { 0 }});
            entry[if task.group { "chat_id" } else { "external_userid" }] = json!(to);
            entry
        })
        .collect();
    let next_cursor = if end < list.len() { end.to_string() } else { String::new() };
    ok(json!({"next_cursor": next_cursor, "send_list": page}))
}

#[derive(Deserialize)]
struct WelcomeBody {
    welcome_code: String,
    text: Option<Text>,
    #[serde(default)]
    attachments: Vec<Value>,
}

async fn send_welcome_msg(
    State(shared): State<Arc<Shared>>,
    Query(q): Query<HashMap<String, String>>,
    axum::Json(body): axum::Json<WelcomeBody>,
) -> Response {
    shared.begin().await;
    if let Some(refusal) = token_refusal(&shared, &q) {
        return refusal;
    }
    let mut state = shared.lock();
    let Some(welcome) = state.welcome_codes.get_mut(&body.welcome_code) else {
        return refuse(40058, "invalid welcome_code");
    };
    if welcome.used || welcome.issued.elapsed() > WELCOME_VALIDITY {
        return refuse(40058, "welcome_code expired or used");
    }
    welcome.used = true;
    let delivered = Delivered {
        to: welcome.external_userid.clone(),
        send_key: None,
        template: None,
        params: Vec::new(),
        text: body.text.map(|t| t.content).unwrap_or_default(),
        link: body.attachments.iter().find_map(|a| a["link"]["url"].as_str().map(str::to_string)),
        at: chrono::Utc::now(),
    };
    state.delivered.push(delivered);
    ok(json!({}))
}

#[derive(Deserialize)]
struct SyncBody {
    #[serde(default)]
    cursor: String,
    #[serde(default)]
    token: String,
    limit: Option<usize>,
    #[serde(default)]
    open_kfid: String,
}

/// A cursor is a position in the queue of messages; WeCom's are opaque, and so are these.
fn cursor_at(position: usize) -> String {
    format!("CUR{}", hex::encode((position as u64).to_be_bytes()))
}

fn cursor_position(cursor: &str) -> Option<usize> {
    let bytes: [u8; 8] = hex::decode(cursor.strip_prefix("CUR")?).ok()?.try_into().ok()?;
    usize::try_from(u64::from_be_bytes(bytes)).ok()
}

/// `kf/sync_msg`: the queued messages after `cursor` (from the first without one), of
/// `open_kfid` if given, at most `limit` (default and most 1000). `next_cursor` is where this
/// page stopped; `has_more` is 1 when matching messages remain after it.
async fn sync_msg(
    State(shared): State<Arc<Shared>>,
    Query(q): Query<HashMap<String, String>>,
    axum::Json(body): axum::Json<SyncBody>,
) -> Response {
    shared.begin().await;
    if let Some(refusal) = token_refusal(&shared, &q) {
        return refusal;
    }
    let mut hold = false;
    match shared.fault(&body.open_kfid) {
        Some(Fault::ServerError) => return (StatusCode::INTERNAL_SERVER_ERROR, "internal error").into_response(),
        Some(Fault::Throttle) => return refuse(45033, "api concurrent out of limit"),
        Some(Fault::InvalidRecipient) => return refuse(95000, "invalid open_kfid"),
        Some(Fault::Timeout) => hold = true,
        Some(Fault::Quota | Fault::Refused) | None => {}
    }
    let answer = {
        let mut state = shared.lock();
        let queued = state.kf_messages.len();
        let start = if body.cursor.is_empty() {
            0
        } else {
            match cursor_position(&body.cursor).filter(|p| *p <= queued) {
                Some(p) => p,
                None => return refuse(40058, "invalid cursor"),
            }
        };
        let limit = body.limit.filter(|l| *l > 0).unwrap_or(1000).min(1000);
        let wanted = |m: &Value| body.open_kfid.is_empty() || m["open_kfid"] == json!(body.open_kfid);
        let mut page = Vec::new();
        let mut position = start;
        while position < queued && page.len() < limit {
            let m = &state.kf_messages[position];
            position += 1;
            if wanted(m) {
                page.push(m.clone());
            }
        }
        let has_more = state.kf_messages[position..].iter().any(wanted);
        state.kf_syncs.push(KfSync {
            cursor: Some(body.cursor.clone()).filter(|c| !c.is_empty()),
            token: Some(body.token.clone()).filter(|t| !t.is_empty()),
            open_kfid: Some(body.open_kfid.clone()).filter(|k| !k.is_empty()),
            returned: page.len(),
        });
        json!({"next_cursor": cursor_at(position), "has_more": u8::from(has_more), "msg_list": page})
    };
    if hold {
        tokio::time::sleep(HOLD).await;
    }
    ok(answer)
}

/// Queue a 微信客服 message in WeCom's JSON; a missing `msgid` or `send_time` is filled in.
pub(crate) fn queue_kf_message(shared: &Shared, mut message: Value) -> String {
    if !message["msgid"].is_string() {
        message["msgid"] = json!(format!("kfmsg{}", hex::encode(rand::random::<[u8; 12]>())));
    }
    if message.get("send_time").is_none() {
        message["send_time"] = json!(chrono::Utc::now().timestamp());
    }
    let msgid = message["msgid"].as_str().unwrap_or_default().to_string();
    shared.lock().kf_messages.push(message);
    msgid
}

/// The staff member confirms: each customer becomes sent, or not (no longer a friend, or over
/// the mass-message quota). Customers of the contact book follow it.
pub(crate) fn confirm(shared: &Shared, msgid: &str) -> bool {
    let mut guard = shared.lock();
    let state = &mut *guard;
    let refused: HashSet<String> =
        state.for_to.iter().filter(|(_, f)| **f == Fault::Refused).map(|(to, _)| to.clone()).collect();
    let Some(task) = state.tasks.get_mut(msgid) else { return false };
    let now = chrono::Utc::now();
    for (to, status) in task.recipients.iter_mut().filter(|(_, s)| *s == 0) {
        *status = if refused.contains(to) {
            2
        } else if task.over_quota.contains(to) {
            3
        } else if !task.group && state.contacts.knows_customer(to) {
            state.contacts.confirm_mass(task.sender.as_deref(), to, now)
        } else {
            1
        };
    }
    true
}

pub(crate) fn issue_welcome_code(shared: &Shared, external_userid: &str) -> String {
    let code = hex::encode_upper(rand::random::<[u8; 16]>());
    let welcome = Welcome { external_userid: external_userid.to_string(), issued: Instant::now(), used: false };
    shared.lock().welcome_codes.insert(code.clone(), welcome);
    code
}

pub(crate) fn expire_welcome_codes(shared: &Shared) {
    let past = Instant::now().checked_sub(WELCOME_VALIDITY + Duration::from_secs(1));
    for welcome in shared.lock().welcome_codes.values_mut() {
        match past {
            Some(past) => welcome.issued = past,
            None => welcome.used = true,
        }
    }
}

pub(crate) fn callback_request(xml_plain: &str) -> (String, String) {
    let crypto = WecomCrypto::new(CALLBACK_TOKEN, ENCODING_AES_KEY, CORP_ID).expect("a valid stand-in key");
    let timestamp = chrono::Utc::now().timestamp().to_string();
    let nonce = (rand::random::<u32>() % 1_000_000_000).to_string();
    let encrypted = crypto.seal(xml_plain);
    let signature = crypto.signature(&timestamp, &nonce, &encrypted);
    let query = format!("msg_signature={signature}&timestamp={timestamp}&nonce={nonce}");
    let body = format!(
        "<xml><ToUserName><![CDATA[{CORP_ID}]]></ToUserName><Encrypt><![CDATA[{encrypted}]]></Encrypt>\
         <AgentID><![CDATA[{AGENT_ID}]]></AgentID></xml>"
    );
    (query, body)
}
