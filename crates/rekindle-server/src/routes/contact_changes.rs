//! WeCom's "customer contact changed" callbacks (docs/relationships.md): a friendship added
//! (through a channel code, whose source it records, whose tags the customer gets, whose
//! welcome is sent and which turns to its next staff member) or ended, by the customer or the
//! staff member. Each becomes a `Contact Added` / `Contact Removed` event.

use std::sync::Arc;

use rekindle_core::contacts::ChannelCode;
use rekindle_core::contacts::reconcile::source_of;
use rekindle_core::{WorkspaceId, events};
use rekindle_delivery::WecomClient;
use rekindle_delivery::wecom::callback::ContactEvent;
use rekindle_journeys::wecom::{codes, contact_event};
use rekindle_store::{PersonTag, Source};
use serde_json::json;

use crate::error::{ApiError, ErrorCode};
use crate::state::AppState;

const LIBRARY: &str = "rekindle-wecom-callback";

/// Record one change. `timestamp` is the callback's: WeCom retries a callback it got no answer
/// to, and the message id built from it makes the retry a no-op.
pub async fn record(
    state: &AppState,
    ws: WorkspaceId,
    wecom: Arc<WecomClient>,
    change: ContactEvent,
    timestamp: &str,
) -> Result<(), ApiError> {
    let (name, staff, external, mut props, code) = match change {
        ContactEvent::Added { user_id, external_user_id, welcome_code, state: code_state } => {
            let code = match &code_state {
                Some(s) => state.store.channel_codes(ws).await?.into_iter().find(|c| &c.state == s),
                None => None,
            };
            let template =
                code.as_ref().and_then(|c| c.input.welcome.clone()).or(state.journeys.welcome_template.clone());
            if let (Some(welcome_code), Some(template)) = (welcome_code, template) {
                super::callbacks::welcome(state, ws, &template, welcome_code).await?;
            }
            // A channel code's state names its source (`live-20261120` came from a live).
            let source = code_state.as_deref().map(source_of).unwrap_or("unknown");
            let props = json!({"source": source, "code": code_state, "via": "callback"});
            (events::CONTACT_ADDED, user_id, external_user_id, props, code)
        }
        ContactEvent::DeletedByStaff { user_id, external_user_id } => {
            (events::CONTACT_REMOVED, user_id, external_user_id, json!({"by": "staff"}), None)
        }
        ContactEvent::DeletedByCustomer { user_id, external_user_id } => {
            (events::CONTACT_REMOVED, user_id, external_user_id, json!({"by": "customer"}), None)
        }
        // A staff member's edit (remark, tags) is read by the next reconcile; a refused
        // transfer by the next look at the transfer's result.
        ContactEvent::Edited { .. } | ContactEvent::TransferFailed { .. } => return Ok(()),
    };
    props["staff_id"] = json!(staff);
    props["via"] = json!("callback");
    let id = format!("wecom:{name}:{external}:{staff}:{timestamp}");
    let message = contact_event(name, &external, props, id, state.engine.now(), LIBRARY)
        .map_err(|e| ApiError::field(ErrorCode::InvalidField, "ExternalUserID", e))?;
    state
        .ingestor
        .submit(ws, Source("wecom_callback".into()), vec![message])
        .await
        .map_err(|e| ApiError::new(ErrorCode::Unavailable, e.to_string()))?;
    if let Some(code) = code {
        came_through(state, ws, wecom, &code, &staff, &external).await;
    }
    Ok(())
}

/// What a channel code does for whoever came through it: its tags (once the event is in the
/// store, so the person is known), and the next staff member shown. Off the request: WeCom
/// wants its answer within 5 seconds. Failures are logged.
async fn came_through(
    state: &AppState,
    ws: WorkspaceId,
    wecom: Arc<WecomClient>,
    code: &ChannelCode,
    staff: &str,
    external: &str,
) {
    let (state, code, staff, external) = (state.clone(), code.clone(), staff.to_owned(), external.to_owned());
    tokio::spawn(async move {
        match codes::turn(&wecom, &code, &staff).await {
            Ok(Some(next)) => tracing::debug!(code = %code.state, next, "the channel code shows its next staff member"),
            Ok(None) => {}
            Err(e) => tracing::warn!(code = %code.state, error = %e, "the channel code did not turn"),
        }
        if code.input.tags.is_empty() {
            return;
        }
        state.ingestor.settled(SETTLE).await;
        let person = rekindle_journeys::wecom::person_of(&*state.store, ws, &external).await.ok().flatten();
        let Some(person) = person else {
            tracing::warn!(code = %code.state, "the customer a channel code brought is not found; no tags given");
            return;
        };
        for tag in &code.input.tags {
            let tagged = PersonTag { person, tag: tag.clone(), at: state.engine.now() };
            if let Err(e) = state.store.tag_person(ws, &tagged).await {
                tracing::warn!(code = %code.state, %tag, error = %e, "a channel code's tag not given");
            }
        }
    });
}

/// How long tagging waits for the event to reach the store.
const SETTLE: std::time::Duration = std::time::Duration::from_secs(10);
