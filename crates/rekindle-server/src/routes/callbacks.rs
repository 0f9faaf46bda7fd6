//! Provider callbacks. WeCom calls `/callbacks/wecom` when a customer adds or removes a staff
//! member: the request is verified (msg_signature) and decrypted (AES) with the callback token
//! and key from `[channels.wecom]`; a new contact gets the welcome message (WeCom allows it
//! within 20 seconds) and both changes become `Contact Added` / `Contact Removed` events.
//!
//! It calls the same URL when 微信客服 (WeChat Customer Service) messages wait
//! (`kf_msg_or_event`): they are pulled with `kf/sync_msg` from where the last pull of that
//! account stopped, and what customers wrote and servicers answered become `Message Received` /
//! `Message Replied` events (channel `wecom_kf`), each stored once by its msgid.

use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::extract::{Query, State};
use axum::routing::get;
use chrono::{DateTime, SecondsFormat, Utc};
use rekindle_core::message::Arrival;
use rekindle_core::outreach::Vars;
use rekindle_core::{Message, WorkspaceId};
use rekindle_delivery::WecomClient;
use rekindle_delivery::wecom::KF_SYNC_LIMIT;
use rekindle_delivery::wecom::callback::{CallbackError, KfEvent, parse_event, parse_kf_event};
use rekindle_delivery::wecom::kf::{KfMessage, KfOrigin};
use rekindle_store::{DEFAULT_WORKSPACE, Source};
use serde::Deserialize;

use crate::error::{ApiError, ErrorCode};
use crate::state::AppState;
use rekindle_core::events;

pub fn router() -> Router<AppState> {
    Router::new().route("/callbacks/wecom", get(verify).post(event))
}

#[derive(Deserialize)]
struct Signed {
    msg_signature: String,
    timestamp: String,
    nonce: String,
    echostr: Option<String>,
    workspace: Option<String>,
}

fn refused(e: CallbackError) -> ApiError {
    ApiError::field(ErrorCode::Unauthorized, "msg_signature", e.to_string())
}

/// The workspace a callback is for (`?workspace=`, the default one without).
async fn workspace(state: &AppState, q: &Signed) -> Result<WorkspaceId, ApiError> {
    let slug = q.workspace.as_deref().unwrap_or(DEFAULT_WORKSPACE);
    Ok(state
        .store
        .workspace_by_slug(slug)
        .await?
        .ok_or_else(|| ApiError::field(ErrorCode::NotFound, "workspace", format!("no workspace {slug}")))?
        .id)
}

/// WeCom's URL check when the callback is set up: answer with the decrypted `echostr`.
async fn verify(State(state): State<AppState>, Query(q): Query<Signed>) -> Result<String, ApiError> {
    let wecom = state.wecom(workspace(&state, &q).await?).await?;
    let echo =
        q.echostr.as_deref().ok_or_else(|| ApiError::field(ErrorCode::InvalidField, "echostr", "is required"))?;
    wecom.crypto().verify_url(&q.msg_signature, &q.timestamp, &q.nonce, echo).map_err(refused)
}

async fn event(State(state): State<AppState>, Query(q): Query<Signed>, body: String) -> Result<&'static str, ApiError> {
    let ws = workspace(&state, &q).await?;
    let wecom = state.wecom(ws).await?;
    let plain = wecom.crypto().decrypt(&q.msg_signature, &q.timestamp, &q.nonce, &body).map_err(refused)?;
    if let Some(kf) = parse_kf_event(&plain) {
        pull_kf(&state, ws, wecom, kf).await;
        return Ok("success");
    }
    let Some(change) = parse_event(&plain) else { return Ok("success") };
    super::contact_changes::record(&state, ws, wecom, change, &q.timestamp).await?;
    Ok("success")
}

/// Send the welcome message now, off the request: WeCom wants its answer within 5 seconds and
/// the welcome within 20. A retried callback brings the same code, which WeCom accepts once.
pub(super) async fn welcome(state: &AppState, ws: WorkspaceId, template: &str, code: String) -> Result<(), ApiError> {
    let templates = state.store.message_templates(ws).await?;
    let Some(t) = templates.into_iter().find(|t| t.name == template) else {
        tracing::warn!(template, "the welcome template does not exist; no welcome sent");
        return Ok(());
    };
    let text = match t.render(&Vars::new()) {
        Ok(r) => r.text,
        Err(e) => {
            tracing::warn!(template, error = %e.reason, "the welcome template does not render without a person");
            return Ok(());
        }
    };
    let wecom = state.wecom(ws).await?;
    tokio::spawn(async move {
        match wecom.send_welcome(&code, &text).await {
            Ok(()) => tracing::info!("welcome message sent"),
            Err(e) => tracing::warn!(error = %e, "welcome message not sent"),
        }
    });
    Ok(())
}

/// The `channel` of the conversation lines 微信客服 messages become.
const KF_CHANNEL: &str = "wecom_kf";
/// Pages of `kf/sync_msg` read per callback at most (1000 messages a page); the rest waits for
/// the next callback, which starts where this pull stopped.
const KF_PAGES: usize = 10;
/// How long the answer waits for the pull: WeCom wants one within 5 seconds, and the pull
/// carries on in the background past it.
const KF_WAIT: Duration = Duration::from_secs(3);

/// Pull the waiting 微信客服 messages off the request, and answer once they are stored or
/// [`KF_WAIT`] has passed. A failed pull is logged; the next callback starts from the same
/// cursor.
async fn pull_kf(state: &AppState, ws: WorkspaceId, wecom: Arc<WecomClient>, kf: KfEvent) {
    let state = state.clone();
    let pull = tokio::spawn(async move {
        let open_kfid = kf.open_kfid.clone().unwrap_or_default();
        match kf_pull(&state, ws, &wecom, &kf).await {
            Ok(stored) => tracing::info!(open_kfid, stored, "微信客服 messages pulled"),
            Err(error) => tracing::warn!(
                open_kfid,
                error = format!("{error:#}"),
                "微信客服 messages not pulled; the next callback tries again from the same cursor"
            ),
        }
    });
    match tokio::time::timeout(KF_WAIT, pull).await {
        Ok(Ok(())) => {}
        Ok(Err(error)) => tracing::error!(%error, "微信客服 pull failed"),
        Err(_) => tracing::info!("微信客服 pull still running; answered WeCom without waiting for it"),
    }
}

/// Read pages from the account's cursor until WeCom has no more (or [`KF_PAGES`]); each page's
/// messages are stored before the cursor moves past them. Returns how many became events.
async fn kf_pull(state: &AppState, ws: WorkspaceId, wecom: &WecomClient, kf: &KfEvent) -> anyhow::Result<usize> {
    let open_kfid = kf.open_kfid.as_deref().unwrap_or("");
    let mut cursor = state.kf_cursors.lock(ws, open_kfid).await;
    let mut stored = 0;
    for _ in 0..KF_PAGES {
        let page = wecom.kf_sync_msg(cursor.as_deref(), kf.token.as_deref(), open_kfid, KF_SYNC_LIMIT).await?;
        let now = state.engine.now();
        let messages: Vec<Message> = page.messages.iter().filter_map(|m| kf_message(m, now)).collect();
        if !messages.is_empty() {
            stored += messages.len();
            state.ingestor.submit(ws, Source("wecom_kf".into()), messages).await?;
        }
        if page.next_cursor.is_empty() {
            break;
        }
        *cursor = Some(page.next_cursor);
        if !page.has_more {
            break;
        }
    }
    Ok(stored)
}

/// The event a 微信客服 message becomes: what the customer wrote (origin 3) or a servicer's
/// answer (origin 5); None for system messages and events. Addressed as the contact callback
/// addresses the customer, and identified by the msgid so a repeated pull stores it once.
fn kf_message(m: &KfMessage, now: DateTime<Utc>) -> Option<Message> {
    let name = match m.origin {
        KfOrigin::Customer => events::MESSAGE_RECEIVED,
        KfOrigin::Servicer => events::MESSAGE_REPLIED,
        KfOrigin::System | KfOrigin::Other(_) => return None,
    };
    let external = m.external_userid.trim();
    if m.msgtype == "event" || external.is_empty() {
        return None;
    }
    let mut json = serde_json::json!({
        "type": "track",
        "event": name,
        "anonymousId": format!("wecom:{external}"),
        "messageId": format!("wecom-kf:{}", m.msgid),
        "properties": {
            "text": m.shown_text(),
            "channel": KF_CHANNEL,
            "staff_id": m.servicer_userid,
            "open_kfid": m.open_kfid,
            "msgtype": m.msgtype,
        },
        "context": {"traits": {"wecom_external_userid": external}, "library": {"name": "rekindle-wecom-kf"}},
    });
    if let Some(at) = m.send_time {
        json["timestamp"] = at.to_rfc3339_opts(SecondsFormat::Secs, true).into();
    }
    match Message::parse(&json.to_string(), None, &Arrival::live(now)) {
        Ok(message) => Some(message),
        Err(e) => {
            tracing::warn!(msgid = m.msgid, field = e.field, reason = %e.reason, "微信客服 message not recorded");
            None
        }
    }
}
