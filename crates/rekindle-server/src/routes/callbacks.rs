//! Provider callbacks. WeCom calls `/callbacks/wecom` when a customer adds or removes a staff
//! member: the request is verified (msg_signature) and decrypted (AES) with the callback token
//! and key from `[channels.wecom]`; a new contact gets the welcome message (WeCom allows it
//! within 20 seconds) and both changes become `Contact Added` / `Contact Removed` events.

use axum::Router;
use axum::extract::{Query, State};
use axum::routing::get;
use rekindle_core::message::Arrival;
use rekindle_core::outreach::Vars;
use rekindle_core::{Message, WorkspaceId};
use rekindle_delivery::wecom::callback::{CallbackError, ContactEvent, parse_event};
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

/// The workspace's WeCom app, as its channel settings configure it.
async fn client(state: &AppState, ws: WorkspaceId) -> Result<std::sync::Arc<rekindle_delivery::WecomClient>, ApiError> {
    let channels =
        state.channels.channels(ws).await.map_err(|e| ApiError::new(ErrorCode::Unavailable, e.to_string()))?;
    channels.wecom().ok_or_else(|| ApiError::new(ErrorCode::NotFound, "WeCom is not configured ([channels.wecom])"))
}

/// WeCom's URL check when the callback is set up: answer with the decrypted `echostr`.
async fn verify(State(state): State<AppState>, Query(q): Query<Signed>) -> Result<String, ApiError> {
    let wecom = client(&state, workspace(&state, &q).await?).await?;
    let echo =
        q.echostr.as_deref().ok_or_else(|| ApiError::field(ErrorCode::InvalidField, "echostr", "is required"))?;
    wecom.crypto().verify_url(&q.msg_signature, &q.timestamp, &q.nonce, echo).map_err(refused)
}

async fn event(State(state): State<AppState>, Query(q): Query<Signed>, body: String) -> Result<&'static str, ApiError> {
    let ws = workspace(&state, &q).await?;
    let wecom = client(&state, ws).await?;
    let plain = wecom.crypto().decrypt(&q.msg_signature, &q.timestamp, &q.nonce, &body).map_err(refused)?;
    let Some(change) = parse_event(&plain) else { return Ok("success") };
    let (name, user_id, external, source) = match &change {
        ContactEvent::Added { user_id, external_user_id, welcome_code, state: source } => {
            if let (Some(code), Some(template)) = (welcome_code, &state.journeys.welcome_template) {
                welcome(&state, ws, template, code.clone()).await?;
            }
            (events::CONTACT_ADDED, user_id, external_user_id, source.clone())
        }
        ContactEvent::DeletedByStaff { user_id, external_user_id }
        | ContactEvent::DeletedByCustomer { user_id, external_user_id } => {
            (events::CONTACT_REMOVED, user_id, external_user_id, None)
        }
    };
    // WeCom retries a callback it got no answer to: the message id makes the retry a no-op.
    let json = serde_json::json!({
        "type": "track",
        "event": name,
        "anonymousId": format!("wecom:{external}"),
        "messageId": format!("wecom:{name}:{external}:{user_id}:{}", q.timestamp),
        "properties": {"channel": "wecom", "staff_id": user_id, "source": source},
        "context": {"traits": {"wecom_external_userid": external}, "library": {"name": "rekindle-wecom-callback"}},
    });
    let message = Message::parse(&json.to_string(), None, &Arrival::live(state.engine.now()))
        .map_err(|e| ApiError::field(ErrorCode::InvalidField, e.field, e.reason))?;
    state
        .ingestor
        .submit(ws, Source("wecom_callback".into()), vec![message])
        .await
        .map_err(|e| ApiError::new(ErrorCode::Unavailable, e.to_string()))?;
    Ok("success")
}

/// Send the welcome message now, off the request: WeCom wants its answer within 5 seconds and
/// the welcome within 20. A retried callback brings the same code, which WeCom accepts once.
async fn welcome(state: &AppState, ws: WorkspaceId, template: &str, code: String) -> Result<(), ApiError> {
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
    let wecom = client(state, ws).await?;
    tokio::spawn(async move {
        match wecom.send_welcome(&code, &text).await {
            Ok(()) => tracing::info!("welcome message sent"),
            Err(e) => tracing::warn!(error = %e, "welcome message not sent"),
        }
    });
    Ok(())
}
