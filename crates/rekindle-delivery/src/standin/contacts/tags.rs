//! Corporate tags: `get_corp_tag_list`, `add_corp_tag` and `mark_tag`.

use std::collections::HashMap;
use std::sync::Arc;

use axum::extract::{Query, State};
use axum::response::Response;
use chrono::Utc;
use serde::Deserialize;
use serde_json::{Value, json};

use super::{Book, Tag, TagGroup, admit, answer, tag_id};
use crate::standin::state::Shared;
use crate::standin::wecom::{ok, refuse};

/// WeCom's limits: characters in a tag name, tags in a corp.
const MAX_NAME_CHARS: usize = 30;
const MAX_TAGS: usize = 3000;

#[derive(Deserialize)]
pub(super) struct ListQuery {
    #[serde(default)]
    tag_id: Vec<String>,
    #[serde(default)]
    group_id: Vec<String>,
}

pub(super) async fn list(
    State(shared): State<Arc<Shared>>,
    Query(q): Query<HashMap<String, String>>,
    axum::Json(body): axum::Json<ListQuery>,
) -> Response {
    let hold = match admit(&shared, &q).await {
        Ok(hold) => hold,
        Err(refusal) => return refusal,
    };
    let groups: Vec<Value> = {
        let state = shared.lock();
        let book = &state.contacts;
        // WeCom ignores tag_id when group_id is given.
        if !body.group_id.is_empty() {
            book.tag_groups.iter().filter(|g| body.group_id.contains(&g.group_id)).map(|g| group(g, |_| true)).collect()
        } else if !body.tag_id.is_empty() {
            book.tag_groups
                .iter()
                .filter(|g| g.tags.iter().any(|t| body.tag_id.contains(&t.id)))
                .map(|g| group(g, |t| body.tag_id.contains(&t.id)))
                .collect()
        } else {
            book.tag_groups.iter().map(|g| group(g, |_| true)).collect()
        }
    };
    answer(hold, ok(json!({"tag_group": groups}))).await
}

#[derive(Deserialize)]
pub(super) struct NewTags {
    group_id: Option<String>,
    #[serde(default)]
    group_name: String,
    #[serde(default)]
    order: i64,
    #[serde(default)]
    tag: Vec<NewTag>,
}

#[derive(Deserialize)]
struct NewTag {
    #[serde(default)]
    name: String,
    #[serde(default)]
    order: i64,
}

pub(super) async fn add(
    State(shared): State<Arc<Shared>>,
    Query(q): Query<HashMap<String, String>>,
    axum::Json(body): axum::Json<NewTags>,
) -> Response {
    let hold = match admit(&shared, &q).await {
        Ok(hold) => hold,
        Err(refusal) => return refusal,
    };
    let response = add_tags(&mut shared.lock().contacts, body);
    answer(hold, response).await
}

/// Tags into the group named by id, or by name (made when new). A name already in the group
/// gives the existing tag back.
fn add_tags(book: &mut Book, body: NewTags) -> Response {
    if body.tag.is_empty() {
        return refuse(40058, "tag is required");
    }
    if body.tag.iter().any(|t| t.name.trim().is_empty() || t.name.chars().count() > MAX_NAME_CHARS) {
        return refuse(40071, "invalid tag name");
    }
    let existing: usize = book.tag_groups.iter().map(|g| g.tags.len()).sum();
    if existing + body.tag.len() > MAX_TAGS {
        return refuse(40126, "corp tag count out of limit");
    }
    let now = Utc::now().timestamp();
    let at = match &body.group_id {
        Some(id) => match book.tag_groups.iter().position(|g| &g.group_id == id) {
            Some(at) => at,
            None => return refuse(40068, "invalid group_id"),
        },
        None if body.group_name.trim().is_empty() => return refuse(40058, "group_name is required"),
        None => match book.tag_groups.iter().position(|g| g.group_name == body.group_name) {
            Some(at) => at,
            None => {
                book.tag_groups.push(TagGroup {
                    group_id: tag_id(),
                    group_name: body.group_name.clone(),
                    create_time: now,
                    order: body.order,
                    tags: Vec::new(),
                });
                book.tag_groups.len() - 1
            }
        },
    };
    let group = &mut book.tag_groups[at];
    let mut made = Vec::new();
    for new in body.tag {
        if !group.tags.iter().any(|t| t.name == new.name) {
            group.tags.push(Tag { id: tag_id(), name: new.name.clone(), create_time: now, order: new.order });
        }
        made.push(new.name);
    }
    let reply = self::group(group, |t| made.contains(&t.name));
    ok(json!({"tag_group": reply}))
}

#[derive(Deserialize)]
pub(super) struct Mark {
    #[serde(default)]
    userid: String,
    #[serde(default)]
    external_userid: String,
    #[serde(default)]
    add_tag: Vec<String>,
    #[serde(default)]
    remove_tag: Vec<String>,
}

pub(super) async fn mark(
    State(shared): State<Arc<Shared>>,
    Query(q): Query<HashMap<String, String>>,
    axum::Json(body): axum::Json<Mark>,
) -> Response {
    let hold = match admit(&shared, &q).await {
        Ok(hold) => hold,
        Err(refusal) => return refusal,
    };
    let response = mark_tags(&mut shared.lock().contacts, body);
    answer(hold, response).await
}

fn mark_tags(book: &mut Book, body: Mark) -> Response {
    if !book.active(&body.userid) {
        return refuse(60111, &format!("userid not found: {}", body.userid));
    }
    if !book.knows_customer(&body.external_userid) {
        return refuse(40096, "invalid external userid");
    }
    if !book.is_friend(&body.userid, &body.external_userid) {
        return refuse(84061, "not external contact");
    }
    if body.add_tag.is_empty() && body.remove_tag.is_empty() {
        return refuse(40058, "add_tag and remove_tag are both empty");
    }
    if body.add_tag.iter().chain(&body.remove_tag).any(|id| book.tag(id).is_none()) {
        return refuse(40068, "invalid tagid");
    }
    let follow = book.follow_mut(&body.userid, &body.external_userid).expect("a friend has a follow");
    follow.tag_ids.retain(|id| !body.remove_tag.contains(id));
    for id in body.add_tag {
        if !follow.tag_ids.contains(&id) {
            follow.tag_ids.push(id);
        }
    }
    ok(json!({}))
}

fn group(g: &TagGroup, keep: impl Fn(&Tag) -> bool) -> Value {
    let tags: Vec<Value> = g
        .tags
        .iter()
        .filter(|t| keep(t))
        .map(|t| json!({"id": t.id, "name": t.name, "create_time": t.create_time, "order": t.order}))
        .collect();
    json!({"group_id": g.group_id, "group_name": g.group_name, "create_time": g.create_time, "order": g.order, "tag": tags})
}
