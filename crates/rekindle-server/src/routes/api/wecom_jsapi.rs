//! The JS-SDK application signature for a WeCom chat-sidebar (聊天工具栏) page: it calls
//! `wx.agentConfig` with this answer before `wx.invoke('getCurExternalContact')`, then reads
//! the customer through `/api/v1/sidebar`.

use axum::Json;
use axum::extract::State;
use rekindle_core::access::Permission;
use rekindle_delivery::wecom::{AgentConfig, INVALID_URL, MAX_URL_BYTES};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::{Params, WorkspaceParam};
use crate::auth::Access;
use crate::error::{ApiError, ErrorCode};
use crate::state::AppState;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(jsapi_config))
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct JsapiConfigParams {
    /// The page's `location.href`: http(s), at most 1024 bytes; the `#` fragment is not signed.
    url: Option<String>,
}

/// What `wx.agentConfig({corpid: corp_id, agentid: agent_id, timestamp, nonceStr: nonce_str,
/// signature, jsApiList})` takes, signed with WeCom's application jsapi ticket.
#[derive(Debug, Serialize, ToSchema)]
pub struct WecomAgentConfig {
    pub corp_id: String,
    /// The self-built app's AgentId.
    pub agent_id: String,
    /// Seconds since the epoch, as signed.
    pub timestamp: i64,
    pub nonce_str: String,
    /// Lowercase hex SHA-1 of `jsapi_ticket=…&noncestr=…&timestamp=…&url=…`.
    pub signature: String,
}

impl From<AgentConfig> for WecomAgentConfig {
    fn from(c: AgentConfig) -> Self {
        Self {
            corp_id: c.corp_id,
            agent_id: c.agent_id,
            timestamp: c.timestamp,
            nonce_str: c.nonce_str,
            signature: c.signature,
        }
    }
}

/// `wx.agentConfig`'s parameters for a chat-sidebar page. 404 when WeCom is not configured or
/// has no `agent_id`; 503 when WeCom's ticket cannot be had.
#[utoipa::path(get, path = "/api/v1/wecom/jsapi-config", tag = "contacts", security(("bearer" = []), ("session" = [])),
    params(JsapiConfigParams, WorkspaceParam),
    responses((status = 200, body = WecomAgentConfig), (status = 400, body = ApiError), (status = 403, body = ApiError),
        (status = 404, body = ApiError), (status = 503, body = ApiError)))]
async fn jsapi_config(
    access: Access,
    State(state): State<AppState>,
    Params(p): Params<JsapiConfigParams>,
) -> Result<Json<WecomAgentConfig>, ApiError> {
    access.require(Permission::PeopleRead)?;
    let wecom = state.wecom(access.ws()).await?;
    if wecom.agent_id().is_none() {
        return Err(ApiError::new(
            ErrorCode::NotFound,
            "WeCom has no agent_id ([channels.wecom] agent_id, the self-built app's AgentId)",
        ));
    }
    let url = p.url.as_deref().unwrap_or_default();
    if url.is_empty() {
        return Err(ApiError::field(ErrorCode::InvalidField, "url", "is required: the page's location.href"));
    }
    if url.len() > MAX_URL_BYTES {
        // Not repeated back.
        return Err(ApiError::field(ErrorCode::InvalidField, "url", format!("is longer than {MAX_URL_BYTES} bytes")));
    }
    match wecom.agent_config(url).await {
        Ok(config) => Ok(Json(config.into())),
        Err(e) if e.code() == INVALID_URL => {
            let reason = e.message().strip_prefix("url: ").unwrap_or(e.message());
            Err(ApiError::field(ErrorCode::InvalidField, "url", reason))
        }
        Err(e) => {
            tracing::warn!(error = %e, "WeCom's application jsapi ticket could not be had");
            Err(ApiError::new(ErrorCode::Unavailable, format!("WeCom did not answer with a ticket: {e}")))
        }
    }
}
