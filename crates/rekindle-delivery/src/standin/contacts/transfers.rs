//! Transfers: 在职继承 (`transfer_customer`, `transfer_result`), 离职继承
//! (`resigned/transfer_customer`, `resigned/transfer_result`) and the departed members'
//! customers waiting for one (`get_unassigned_list`). A transfer waits until the test calls
//! [`StandIn::finish_transfers`](crate::standin::StandIn::finish_transfers).
//!
//! Per-customer errcodes: 40096 not a customer WeCom knows, 40131 not the handover's customer,
//! 40129 already being transferred, 40128 transferred twice (在职继承) in the last 90 days,
//! 40058 the takeover already has the customer (WeCom's own code for that is not documented).

use std::collections::HashMap;
use std::sync::Arc;

use axum::extract::{Query, State};
use axum::response::Response;
use chrono::{DateTime, Utc};
use serde::Deserialize;
use serde_json::{Value, json};

use super::{Book, Follow, admit, answer, callback, cdata, cursor_at, cursor_position};
use crate::standin::state::Shared;
use crate::standin::wecom::{ok, refuse};
use crate::standin::{CallbackRequest, TransferRecord};

const MAX_CUSTOMERS: usize = 100;
const MAX_MESSAGE_CHARS: usize = 200;
/// 在职继承: transfers of one customer allowed in [`WINDOW`].
const MAX_IN_WINDOW: usize = 2;
const WINDOW: chrono::Duration = chrono::Duration::days(90);
/// A waiting transfer completes this long after it was asked, unless refused.
const TAKEOVER_DELAY: chrono::Duration = chrono::Duration::hours(24);
const RESULT_PAGE: usize = 1000;
const UNASSIGNED_PAGE: usize = 1000;

#[derive(Deserialize)]
pub(super) struct Ask {
    #[serde(default)]
    handover_userid: String,
    #[serde(default)]
    takeover_userid: String,
    #[serde(default)]
    external_userid: Vec<String>,
    transfer_success_msg: Option<String>,
}

pub(super) async fn in_service(
    State(shared): State<Arc<Shared>>,
    Query(q): Query<HashMap<String, String>>,
    axum::Json(body): axum::Json<Ask>,
) -> Response {
    transfer(shared, q, body, false).await
}

pub(super) async fn resigned(
    State(shared): State<Arc<Shared>>,
    Query(q): Query<HashMap<String, String>>,
    axum::Json(body): axum::Json<Ask>,
) -> Response {
    transfer(shared, q, body, true).await
}

async fn transfer(shared: Arc<Shared>, q: HashMap<String, String>, body: Ask, resigned: bool) -> Response {
    let hold = match admit(&shared, &q).await {
        Ok(hold) => hold,
        Err(refusal) => return refusal,
    };
    let response = ask(&mut shared.lock().contacts, body, resigned, Utc::now());
    answer(hold, response).await
}

fn ask(book: &mut Book, body: Ask, resigned: bool, now: DateTime<Utc>) -> Response {
    let (handover, takeover) = (body.handover_userid.as_str(), body.takeover_userid.as_str());
    if body.external_userid.is_empty() {
        return refuse(41035, "external_userid missing");
    }
    if body.external_userid.len() > MAX_CUSTOMERS {
        return refuse(40058, "external_userid exceeds 100");
    }
    if body.transfer_success_msg.as_ref().is_some_and(|m| m.chars().count() > MAX_MESSAGE_CHARS) {
        return refuse(40058, "transfer_success_msg exceeds 200 characters");
    }
    if handover == takeover {
        return refuse(40130, "handover and takeover are the same member");
    }
    match (book.staff(handover).map(|s| s.departed_at.is_some()), resigned) {
        (None, _) | (Some(true), false) => return refuse(60111, &format!("userid not found: {handover}")),
        (Some(false), true) => return refuse(40097, "the handover has not left"),
        _ => {}
    }
    if !book.active(takeover) {
        return refuse(60111, &format!("userid not found: {takeover}"));
    }
    let mut customer = Vec::new();
    for external in &body.external_userid {
        let errcode = refusal(book, handover, takeover, external, resigned, now);
        if errcode == 0 {
            book.transfers.push(TransferRecord {
                handover_userid: handover.to_string(),
                takeover_userid: takeover.to_string(),
                external_userid: external.clone(),
                resigned,
                status: 2,
                asked_at: now,
                finished_at: None,
                message: body.transfer_success_msg.clone().filter(|m| !m.is_empty()),
            });
        }
        customer.push(json!({"external_userid": external, "errcode": errcode}));
    }
    ok(json!({"customer": customer}))
}

/// The per-customer errcode, 0 when the transfer starts.
fn refusal(book: &Book, handover: &str, takeover: &str, external: &str, resigned: bool, now: DateTime<Utc>) -> i64 {
    let of_customer = || book.transfers.iter().filter(move |t| t.external_userid == external);
    if !book.knows_customer(external) {
        40096
    } else if !book.is_friend(handover, external) {
        40131
    } else if of_customer().any(|t| t.status == 2) {
        40129
    } else if book.is_friend(takeover, external) {
        40058
    } else if !resigned
        && of_customer().filter(|t| !t.resigned && t.status != 3 && now - t.asked_at < WINDOW).count() >= MAX_IN_WINDOW
    {
        40128
    } else {
        0
    }
}

#[derive(Deserialize)]
pub(super) struct ResultQuery {
    #[serde(default)]
    handover_userid: String,
    #[serde(default)]
    takeover_userid: String,
    #[serde(default)]
    cursor: String,
}

pub(super) async fn in_service_result(
    State(shared): State<Arc<Shared>>,
    Query(q): Query<HashMap<String, String>>,
    axum::Json(body): axum::Json<ResultQuery>,
) -> Response {
    result(shared, q, body, false).await
}

pub(super) async fn resigned_result(
    State(shared): State<Arc<Shared>>,
    Query(q): Query<HashMap<String, String>>,
    axum::Json(body): axum::Json<ResultQuery>,
) -> Response {
    result(shared, q, body, true).await
}

async fn result(shared: Arc<Shared>, q: HashMap<String, String>, body: ResultQuery, resigned: bool) -> Response {
    let hold = match admit(&shared, &q).await {
        Ok(hold) => hold,
        Err(refusal) => return refusal,
    };
    let response = {
        let state = shared.lock();
        let book = &state.contacts;
        // The latest transfer of each customer between the two.
        let mut latest: Vec<&TransferRecord> = Vec::new();
        for t in book.transfers.iter().filter(|t| {
            t.resigned == resigned
                && t.handover_userid == body.handover_userid
                && t.takeover_userid == body.takeover_userid
        }) {
            match latest.iter_mut().find(|l| l.external_userid == t.external_userid) {
                Some(slot) => *slot = t,
                None => latest.push(t),
            }
        }
        match cursor_position(&body.cursor).filter(|p| *p <= latest.len()) {
            None => refuse(50100, "invalid cursor"),
            Some(start) => {
                let end = (start + RESULT_PAGE).min(latest.len());
                let customer: Vec<Value> = latest[start..end]
                    .iter()
                    .map(|t| {
                        let takeover_time = match t.status {
                            1 => t.finished_at.map(|at| at.timestamp()).unwrap_or_default(),
                            2 => (t.asked_at + TAKEOVER_DELAY).timestamp(),
                            _ => 0,
                        };
                        json!({"external_userid": t.external_userid, "status": t.status, "takeover_time": takeover_time})
                    })
                    .collect();
                let next_cursor = if end < latest.len() { cursor_at(end) } else { String::new() };
                ok(json!({"customer": customer, "next_cursor": next_cursor}))
            }
        }
    };
    answer(hold, response).await
}

#[derive(Deserialize)]
pub(super) struct UnassignedQuery {
    #[serde(default)]
    cursor: String,
    #[serde(default)]
    page_size: usize,
}

pub(super) async fn unassigned(
    State(shared): State<Arc<Shared>>,
    Query(q): Query<HashMap<String, String>>,
    axum::Json(body): axum::Json<UnassignedQuery>,
) -> Response {
    let hold = match admit(&shared, &q).await {
        Ok(hold) => hold,
        Err(refusal) => return refusal,
    };
    let response = {
        let state = shared.lock();
        let book = &state.contacts;
        let waiting = |f: &Follow| {
            book.transfers
                .iter()
                .any(|t| t.resigned && t.status == 2 && t.handover_userid == f.staff && t.external_userid == f.external)
        };
        let info: Vec<Value> = book
            .follows
            .iter()
            .filter_map(|f| Some((f, book.staff(&f.staff)?.departed_at?)))
            .filter(|(f, _)| !waiting(f))
            .map(|(f, departed)| {
                json!({"handover_userid": f.staff, "external_userid": f.external, "dimission_time": departed.timestamp()})
            })
            .collect();
        let size = if body.page_size == 0 { UNASSIGNED_PAGE } else { body.page_size.min(UNASSIGNED_PAGE) };
        match cursor_position(&body.cursor).filter(|p| *p <= info.len()) {
            None => refuse(50100, "invalid cursor"),
            Some(start) => {
                let end = (start + size).min(info.len());
                let is_last = end == info.len();
                let next_cursor = if is_last { String::new() } else { cursor_at(end) };
                ok(json!({"info": &info[start..end], "is_last": is_last, "next_cursor": next_cursor}))
            }
        }
    };
    answer(hold, response).await
}

/// Every waiting transfer completes: 离职继承 always, 在职继承 when the customers `accept`
/// (else each is refused, status 3, and WeCom calls back `transfer_fail` to the takeover).
/// A completed transfer moves the relationship to the takeover, its createtime, add way, state
/// and tags kept; the handover loses it.
pub(crate) fn finish(shared: &Shared, accept: bool) -> Vec<CallbackRequest> {
    let now = Utc::now();
    let mut refused = Vec::new();
    {
        let mut state = shared.lock();
        let book = &mut state.contacts;
        let mut moves = Vec::new();
        for t in book.transfers.iter_mut().filter(|t| t.status == 2) {
            if accept || t.resigned {
                t.status = 1;
                t.finished_at = Some(now);
                moves.push((t.handover_userid.clone(), t.takeover_userid.clone(), t.external_userid.clone()));
            } else {
                t.status = 3;
                refused.push((t.takeover_userid.clone(), t.external_userid.clone()));
            }
        }
        for (handover, takeover, external) in moves {
            let follow = match book.remove_follow(&handover, &external) {
                Some(old) => Follow { staff: takeover, ..old },
                None => Follow {
                    staff: takeover.clone(),
                    external,
                    createtime: now,
                    add_way: 0,
                    state: None,
                    remark: String::new(),
                    tag_ids: Vec::new(),
                    oper_userid: takeover,
                },
            };
            book.put_follow(follow);
        }
    }
    refused
        .into_iter()
        .map(|(takeover, external)| {
            let reason = format!("<FailReason>{}</FailReason>", cdata("customer_refused"));
            callback("transfer_fail", &takeover, &external, &reason)
        })
        .collect()
}
