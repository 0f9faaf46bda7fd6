//! The workspace's message providers: which channels can send (for everyone who configures or
//! publishes a journey), and the owner's settings for each provider. Secrets are write-only:
//! an answer says whether one is set, never what it is.

use axum::Json;
use axum::extract::State;
use rekindle_core::access::Permission;
use rekindle_core::outreach::ChannelKind;
use rekindle_delivery::ConfigError;
use rekindle_journeys::dispatch::{Built, DirectoryError, PROVIDERS};
use serde::Serialize;
use serde_json::{Map, Value};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::{ApiPath, Body, WorkspaceParam};
use crate::auth::{Access, Can, perm};
use crate::error::{ApiError, ErrorCode};
use crate::state::AppState;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(list_channels)).routes(routes!(set_provider, remove_provider))
}

/// A provider's fields that are secrets: never answered, kept when a change leaves them out.
fn secrets(provider: &str) -> &'static [&'static str] {
    match provider {
        "aliyun_sms" => &["access_key_secret"],
        "tencent_sms" => &["secret_key"],
        "wecom" => &["secret", "callback_token", "encoding_aes_key"],
        "miniprogram" => &["app_secret"],
        "webhook" => &["secret"],
        _ => &[],
    }
}

fn kind_of(provider: &str) -> ChannelKind {
    match provider {
        "aliyun_sms" | "tencent_sms" => ChannelKind::Sms,
        "wecom" => ChannelKind::Wecom,
        "miniprogram" => ChannelKind::Miniprogram,
        _ => ChannelKind::Webhook,
    }
}

#[derive(Serialize, ToSchema)]
pub struct ChannelReadiness {
    #[schema(value_type = String)]
    pub kind: ChannelKind,
    /// A provider is configured: messages on this channel can go out.
    pub ready: bool,
    /// Which provider sends them.
    #[schema(required = true)]
    pub provider: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct ProviderView {
    /// aliyun_sms, tencent_sms, wecom, miniprogram or webhook
    pub name: String,
    #[schema(value_type = String)]
    pub kind: ChannelKind,
    /// Set in the console, in the configuration file, or not at all.
    #[schema(required = true)]
    pub source: Option<String>,
    /// The settings that are not secrets.
    #[schema(value_type = Object)]
    pub settings: Map<String, Value>,
    /// Each secret's name and whether it is set.
    pub secrets: Vec<SecretState>,
}

#[derive(Serialize, ToSchema)]
pub struct SecretState {
    pub name: String,
    pub set: bool,
}

#[derive(Serialize, ToSchema)]
pub struct ChannelsView {
    pub channels: Vec<ChannelReadiness>,
    /// The providers and their settings: only for who may change them (`workspace.manage`).
    pub providers: Vec<ProviderView>,
}

fn view(built: &Built, access: &Access) -> ChannelsView {
    let channels = [ChannelKind::Sms, ChannelKind::Wecom, ChannelKind::Miniprogram, ChannelKind::Webhook]
        .into_iter()
        .map(|kind| {
            let provider = built.channels.get(kind).map(|c| c.provider().to_string());
            ChannelReadiness { kind, ready: provider.is_some(), provider }
        })
        .collect();
    let providers = if access.role.permits(Permission::WorkspaceManage) {
        let config = serde_json::to_value(&built.config).unwrap_or_default();
        PROVIDERS
            .iter()
            .map(|name| {
                let section = config.get(*name).and_then(Value::as_object);
                let source = match (section, built.console.contains(name)) {
                    (None, _) => None,
                    (Some(_), true) => Some("console".to_string()),
                    (Some(_), false) => Some("file".to_string()),
                };
                let hidden = secrets(name);
                let settings = section
                    .map(|s| {
                        s.iter().filter(|(k, _)| !hidden.contains(&k.as_str())).map(|(k, v)| (k.clone(), v.clone()))
                    })
                    .into_iter()
                    .flatten()
                    .collect();
                let secrets = hidden
                    .iter()
                    .map(|s| SecretState {
                        name: (*s).to_string(),
                        set: section.and_then(|x| x.get(*s)).and_then(Value::as_str).is_some_and(|v| !v.is_empty()),
                    })
                    .collect();
                ProviderView { name: (*name).to_string(), kind: kind_of(name), source, settings, secrets }
            })
            .collect()
    } else {
        Vec::new()
    };
    ChannelsView { channels, providers }
}

fn refused(provider: &str, e: DirectoryError) -> ApiError {
    match e {
        DirectoryError::Store(e) => e.into(),
        DirectoryError::Config(ConfigError::Missing { field }) => {
            ApiError::field(ErrorCode::InvalidField, field, format!("{field} is required"))
        }
        DirectoryError::Config(ConfigError::Invalid { field, reason }) => {
            // A section that does not deserialize names the section; serde says which key.
            let field = if field == "channels" { provider.to_string() } else { field.to_string() };
            ApiError::field(ErrorCode::InvalidField, field, reason)
        }
    }
}

fn unknown(provider: &str) -> Result<&'static str, ApiError> {
    PROVIDERS.iter().find(|p| **p == provider).copied().ok_or_else(|| {
        ApiError::field(ErrorCode::InvalidField, "provider", format!("must be one of {}", PROVIDERS.join(", ")))
    })
}

/// Which channels can send for this workspace, and (for its owners) each provider's settings.
#[utoipa::path(get, path = "/api/v1/channels", tag = "journeys", security(("bearer" = []), ("session" = [])),
    params(WorkspaceParam),
    responses((status = 200, body = ChannelsView), (status = 401, body = ApiError)))]
async fn list_channels(access: Access, State(state): State<AppState>) -> Result<Json<ChannelsView>, ApiError> {
    access.require(Permission::PeopleRead)?;
    let built = state.channels.of(access.ws()).await.map_err(|e| refused("channels", e))?;
    Ok(Json(view(&built, &access)))
}

/// Set a provider for this workspace, in place of the configuration file's. A secret left out
/// (or empty) keeps the one set before. Setting an SMS provider makes it the one that sends SMS.
#[utoipa::path(put, path = "/api/v1/channels/{provider}", tag = "journeys", security(("bearer" = []), ("session" = [])),
    params(("provider" = String, Path, description = "aliyun_sms, tencent_sms, wecom, miniprogram or webhook"), WorkspaceParam),
    request_body = Object,
    responses((status = 200, body = ChannelsView), (status = 400, body = ApiError), (status = 403, body = ApiError)))]
async fn set_provider(
    access: Can<perm::WorkspaceManage>,
    State(state): State<AppState>,
    ApiPath(provider): ApiPath<String>,
    Body(mut section): Body<Map<String, Value>>,
) -> Result<Json<ChannelsView>, ApiError> {
    let provider = unknown(&provider)?;
    let ws = access.ws();
    let current = state.channels.of(ws).await.map_err(|e| refused(provider, e))?;
    let before = serde_json::to_value(&current.config).unwrap_or_default();
    for secret in secrets(provider) {
        let left_out = section.get(*secret).is_none_or(|v| v.as_str() == Some(""));
        if left_out {
            match before.get(provider).and_then(|s| s.get(*secret)) {
                Some(kept) if !kept.is_null() => section.insert((*secret).to_string(), kept.clone()),
                _ => {
                    let field = format!("{provider}.{secret}");
                    return Err(ApiError::field(ErrorCode::InvalidField, field, "is required"));
                }
            };
        }
    }
    let mut saved = state.channels.saved(ws).await.map_err(|e| refused(provider, e))?;
    let Value::Object(sections) = &mut saved else { return Err(ApiError::new(ErrorCode::Internal, "bad settings")) };
    sections.insert(provider.to_string(), Value::Object(section));
    if kind_of(provider) == ChannelKind::Sms {
        sections.insert("sms_provider".into(), Value::String(provider.trim_end_matches("_sms").into()));
    }
    let built = state.channels.save(ws, &saved, state.engine.now()).await.map_err(|e| refused(provider, e))?;
    access.audit(&state, "channels.update", provider.to_string()).await;
    Ok(Json(view(&built, &access)))
}

/// Remove the console's setting of a provider: the configuration file's, if any, sends again.
#[utoipa::path(delete, path = "/api/v1/channels/{provider}", tag = "journeys", security(("bearer" = []), ("session" = [])),
    params(("provider" = String, Path, description = "aliyun_sms, tencent_sms, wecom, miniprogram or webhook"), WorkspaceParam),
    responses((status = 200, body = ChannelsView), (status = 400, body = ApiError), (status = 403, body = ApiError)))]
async fn remove_provider(
    access: Can<perm::WorkspaceManage>,
    State(state): State<AppState>,
    ApiPath(provider): ApiPath<String>,
) -> Result<Json<ChannelsView>, ApiError> {
    let provider = unknown(&provider)?;
    let ws = access.ws();
    let mut saved = state.channels.saved(ws).await.map_err(|e| refused(provider, e))?;
    if let Value::Object(sections) = &mut saved {
        sections.remove(provider);
        if sections.get("sms_provider").and_then(Value::as_str) == Some(provider.trim_end_matches("_sms")) {
            sections.remove("sms_provider");
        }
    }
    let built = state.channels.save(ws, &saved, state.engine.now()).await.map_err(|e| refused(provider, e))?;
    access.audit(&state, "channels.remove", provider.to_string()).await;
    Ok(Json(view(&built, &access)))
}
