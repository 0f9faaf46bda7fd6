//! Reading who is whose customer: `get_follow_user_list`, `batch/get_by_user` (paged by
//! `limit` and cursor) and `externalcontact/get` (500 staff members a page). Members who left
//! are not listed; their customers wait in `get_unassigned_list`.

use std::collections::HashMap;
use std::sync::Arc;

use axum::extract::{Query, State};
use axum::response::Response;
use serde::Deserialize;
use serde_json::{Value, json};

use super::{Book, Follow, admit, answer, cursor_at, cursor_position};
use crate::standin::state::Shared;
use crate::standin::wecom::{ok, refuse};

/// `batch/get_by_user`: the most userids a call names, the default and largest `limit`.
const MAX_USERIDS: usize = 100;
const DEFAULT_LIMIT: usize = 50;
const MAX_LIMIT: usize = 100;
/// `externalcontact/get`: staff members a page.
const FOLLOWS_PAGE: usize = 500;

pub(super) async fn follow_users(
    State(shared): State<Arc<Shared>>,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    let hold = match admit(&shared, &q).await {
        Ok(hold) => hold,
        Err(refusal) => return refusal,
    };
    let users: Vec<String> = {
        let state = shared.lock();
        state.contacts.staff.iter().filter(|s| s.departed_at.is_none()).map(|s| s.userid.clone()).collect()
    };
    answer(hold, ok(json!({"follow_user": users}))).await
}

#[derive(Deserialize)]
pub(super) struct ByUser {
    #[serde(default)]
    userid_list: Vec<String>,
    #[serde(default)]
    cursor: String,
    #[serde(default)]
    limit: usize,
}

pub(super) async fn by_user(
    State(shared): State<Arc<Shared>>,
    Query(q): Query<HashMap<String, String>>,
    axum::Json(body): axum::Json<ByUser>,
) -> Response {
    let hold = match admit(&shared, &q).await {
        Ok(hold) => hold,
        Err(refusal) => return refusal,
    };
    let response = by_user_page(&shared.lock().contacts, &body);
    answer(hold, response).await
}

fn by_user_page(book: &Book, body: &ByUser) -> Response {
    if body.userid_list.is_empty() {
        return refuse(40058, "userid_list is required");
    }
    if body.userid_list.len() > MAX_USERIDS {
        return refuse(40058, "userid_list exceeds 100");
    }
    if let Some(unknown) = body.userid_list.iter().find(|u| book.staff(u).is_none()) {
        return refuse(60111, &format!("userid not found: {unknown}"));
    }
    // WeCom takes a limit over the largest as the default.
    let limit = if body.limit == 0 || body.limit > MAX_LIMIT { DEFAULT_LIMIT } else { body.limit };
    let all: Vec<&Follow> = body
        .userid_list
        .iter()
        .filter(|u| book.active(u))
        .flat_map(|u| book.follows.iter().filter(move |f| &f.staff == u))
        .collect();
    let Some(start) = cursor_position(&body.cursor).filter(|p| *p <= all.len()) else {
        return refuse(50100, "invalid cursor");
    };
    let end = (start + limit).min(all.len());
    let list: Vec<Value> = all[start..end]
        .iter()
        .map(|f| json!({"external_contact": external_contact(book, &f.external), "follow_info": follow_info(f)}))
        .collect();
    let next_cursor = if end < all.len() { cursor_at(end) } else { String::new() };
    ok(json!({"external_contact_list": list, "next_cursor": next_cursor}))
}

pub(super) async fn customer(State(shared): State<Arc<Shared>>, Query(q): Query<HashMap<String, String>>) -> Response {
    let hold = match admit(&shared, &q).await {
        Ok(hold) => hold,
        Err(refusal) => return refusal,
    };
    let external = q.get("external_userid").map(String::as_str).unwrap_or_default();
    let cursor = q.get("cursor").map(String::as_str).unwrap_or_default();
    let response = customer_page(&shared.lock().contacts, external, cursor);
    answer(hold, response).await
}

fn customer_page(book: &Book, external: &str, cursor: &str) -> Response {
    if external.is_empty() {
        return refuse(41035, "external_userid missing");
    }
    if !book.knows_customer(external) {
        return refuse(40096, "invalid external userid");
    }
    let follows: Vec<&Follow> = book.current_follows().filter(|f| f.external == external).collect();
    if follows.is_empty() {
        return refuse(84061, "not external contact");
    }
    let Some(start) = cursor_position(cursor).filter(|p| *p <= follows.len()) else {
        return refuse(50100, "invalid cursor");
    };
    let end = (start + FOLLOWS_PAGE).min(follows.len());
    let follow_user: Vec<Value> = follows[start..end].iter().map(|f| follow_user(book, f)).collect();
    let mut reply = json!({"external_contact": external_contact(book, external), "follow_user": follow_user});
    if end < follows.len() {
        reply["next_cursor"] = json!(cursor_at(end));
    }
    ok(reply)
}

fn external_contact(book: &Book, external: &str) -> Value {
    let customer = book.customers.get(external);
    let mut contact = json!({
        "external_userid": external,
        "name": customer.map(|c| c.name.as_str()).unwrap_or_default(),
        "type": 1,
        "avatar": "",
        "gender": 0,
    });
    if let Some(unionid) = customer.and_then(|c| c.unionid.as_deref()) {
        contact["unionid"] = json!(unionid);
    }
    contact
}

/// `batch/get_by_user`'s `follow_info`: tag ids only.
fn follow_info(f: &Follow) -> Value {
    let mut info = json!({
        "userid": f.staff,
        "remark": f.remark,
        "description": "",
        "createtime": f.createtime.timestamp(),
        "tag_id": f.tag_ids,
        "remark_mobiles": [],
        "oper_userid": f.oper_userid,
        "add_way": f.add_way,
    });
    if let Some(state) = &f.state {
        info["state"] = json!(state);
    }
    info
}

/// `externalcontact/get`'s `follow_user`: tags with their names.
fn follow_user(book: &Book, f: &Follow) -> Value {
    let tags: Vec<Value> = f
        .tag_ids
        .iter()
        .filter_map(|id| book.tag(id))
        .map(|(group, tag)| json!({"group_name": group.group_name, "tag_name": tag.name, "tag_id": tag.id, "type": 1}))
        .collect();
    let mut user = json!({
        "userid": f.staff,
        "remark": f.remark,
        "description": "",
        "createtime": f.createtime.timestamp(),
        "tags": tags,
        "remark_corp_name": "",
        "remark_mobiles": [],
        "oper_userid": f.oper_userid,
        "add_way": f.add_way,
    });
    if let Some(state) = &f.state {
        user["state"] = json!(state);
    }
    user
}
