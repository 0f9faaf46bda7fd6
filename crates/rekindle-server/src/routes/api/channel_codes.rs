//! Channel QR codes (渠道活码, docs/relationships.md): made in WeCom when the store has it
//! configured, listed with who came through each and what they spent.

use std::collections::HashMap;

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use rekindle_core::contacts::{ChannelCode, CodeInput};
use rekindle_store::Tag;
use serde::Serialize;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::export_words::Lang;
use super::{ApiPath, Body, WorkspaceParam};
use crate::auth::{Access, Can, perm};
use crate::error::ApiError;
use crate::state::AppState;
use rekindle_core::access::Permission;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(list_codes, create_code)).routes(routes!(update_code, retire_code))
}

/// Codes a store keeps at most (archived ones included).
const MAX_CODES: usize = 500;

/// A code with who came through it (their first friendship through it), as of the last refresh.
#[derive(Serialize, ToSchema)]
pub struct CodeRow {
    #[serde(flatten)]
    pub code: ChannelCode,
    /// Customers whose friendship came through it, still reachable, who ordered, what they
    /// spent in fen and per customer (LTV to date).
    pub people: u64,
    pub reachable: u64,
    pub buyers: u64,
    pub spend_fen: i64,
    pub ltv_fen: i64,
}

#[derive(Serialize, ToSchema)]
pub struct CodeList {
    /// WeCom is configured: codes are made there and have a QR code.
    pub wecom: bool,
    /// Newest first; archived ones last.
    pub codes: Vec<CodeRow>,
}

#[derive(Default)]
struct Came {
    people: u64,
    reachable: u64,
    buyers: u64,
    spend_fen: i64,
}

async fn wecom(state: &AppState, access: &Access) -> Option<std::sync::Arc<rekindle_delivery::WecomClient>> {
    state.channels.channels(access.ws()).await.ok()?.wecom()
}

/// The store's channel codes.
#[utoipa::path(get, path = "/api/v1/contacts/codes", tag = "contacts", security(("bearer" = []), ("session" = [])),
    params(WorkspaceParam),
    responses((status = 200, body = CodeList), (status = 403, body = ApiError)))]
async fn list_codes(access: Access, State(state): State<AppState>) -> Result<Json<CodeList>, ApiError> {
    access.require(Permission::PeopleRead)?;
    let codes = state.store.channel_codes(access.ws()).await?;
    let audience = state.engine.audience(access.ws()).await?;
    let mut came: HashMap<&str, Came> = HashMap::new();
    for m in &audience.members {
        let p = &m.profile;
        let mut states: Vec<&str> =
            p.contacts.all().filter_map(|(_, l, _)| l.origin().and_then(|(_, _, c)| c)).collect();
        states.dedup();
        for s in states {
            let c = came.entry(s).or_default();
            c.people += 1;
            c.reachable += u64::from(p.reachable());
            c.buyers += u64::from(!p.orders.is_empty());
            c.spend_fen = c.spend_fen.saturating_add(p.spend_fen());
        }
    }
    let mut rows: Vec<CodeRow> = codes
        .into_iter()
        .map(|code| {
            let c = came.remove(code.state.as_str()).unwrap_or_default();
            let ltv_fen = c.spend_fen / c.people.max(1) as i64;
            CodeRow {
                code,
                people: c.people,
                reachable: c.reachable,
                buyers: c.buyers,
                spend_fen: c.spend_fen,
                ltv_fen,
            }
        })
        .collect();
    drop(came);
    drop(audience);
    rows.sort_by(|a, b| a.code.archived.cmp(&b.code.archived).then(b.code.id.cmp(&a.code.id)));
    Ok(Json(CodeList { wecom: wecom(&state, &access).await.is_some(), codes: rows }))
}

/// The code's tags exist as manual tags, so they can be given.
async fn ensure_tags(state: &AppState, access: &Access, input: &CodeInput) -> Result<(), ApiError> {
    let existing = state.store.tags(access.ws()).await?;
    for name in input.tags.iter().filter(|t| !existing.iter().any(|e| &e.name == *t)) {
        let tag = Tag {
            name: name.clone(),
            rule: None,
            description: format!("渠道活码「{}」", input.name),
            created_at: state.engine.now(),
        };
        state.store.put_tag(access.ws(), &tag).await?;
    }
    Ok(())
}

fn checked(access: &Access, mut input: CodeInput) -> Result<CodeInput, ApiError> {
    input.validate(access.lang == Lang::Zh)?;
    Ok(input)
}

/// Make a code: kept at once, made in WeCom when the store has WeCom (its QR code then
/// comes back; a refusal is kept on the code as `error`).
#[utoipa::path(post, path = "/api/v1/contacts/codes", tag = "contacts", security(("bearer" = []), ("session" = [])),
    params(WorkspaceParam), request_body = CodeInput,
    responses((status = 201, body = ChannelCode), (status = 400, body = ApiError), (status = 403, body = ApiError)))]
async fn create_code(
    access: Can<perm::ContactsManage>,
    State(state): State<AppState>,
    Body(input): Body<CodeInput>,
) -> Result<(StatusCode, Json<ChannelCode>), ApiError> {
    let input = checked(&access, input)?;
    let ws = access.ws();
    let mut codes = state.store.channel_codes(ws).await?;
    if codes.len() >= MAX_CODES {
        return Err(ApiError::field(
            crate::error::ErrorCode::Conflict,
            "codes",
            format!("a store keeps at most {MAX_CODES} codes"),
        ));
    }
    ensure_tags(&state, &access, &input).await?;
    let id = codes.iter().map(|c| c.id).max().unwrap_or(0) + 1;
    let mut code = ChannelCode::new(id, input, state.engine.now());
    if let Some(wecom) = wecom(&state, &access).await {
        rekindle_journeys::wecom::codes::make(&wecom, &mut code).await;
    }
    codes.push(code.clone());
    state.store.put_channel_codes(ws, &codes, state.engine.now()).await?;
    access.audit(&state, "contacts.code.create", format!("{} ({})", code.input.name, code.state)).await;
    Ok((StatusCode::CREATED, Json(code)))
}

/// Change a code's name, staff, pick, tags or welcome (its source and kind stay).
#[utoipa::path(put, path = "/api/v1/contacts/codes/{id}", tag = "contacts", security(("bearer" = []), ("session" = [])),
    params(("id" = u32, Path, description = "Code id"), WorkspaceParam), request_body = CodeInput,
    responses((status = 200, body = ChannelCode), (status = 400, body = ApiError), (status = 404, body = ApiError)))]
async fn update_code(
    access: Can<perm::ContactsManage>,
    State(state): State<AppState>,
    ApiPath(id): ApiPath<u32>,
    Body(input): Body<CodeInput>,
) -> Result<Json<ChannelCode>, ApiError> {
    let mut input = checked(&access, input)?;
    let ws = access.ws();
    let mut codes = state.store.channel_codes(ws).await?;
    let code = codes.iter_mut().find(|c| c.id == id).ok_or_else(|| ApiError::not_found(format!("code {id}")))?;
    (input.source, input.kind) = (code.input.source.clone(), code.input.kind);
    if code.input.kind == rekindle_core::contacts::CodeKind::Group {
        input.groups = code.input.groups.clone();
    }
    ensure_tags(&state, &access, &input).await?;
    code.input = input;
    if let Some(wecom) = wecom(&state, &access).await
        && !code.archived
    {
        rekindle_journeys::wecom::codes::update(&wecom, code).await;
    }
    let code = code.clone();
    state.store.put_channel_codes(ws, &codes, state.engine.now()).await?;
    access.audit(&state, "contacts.code.update", code.state.clone()).await;
    Ok(Json(code))
}

/// Retire a code: removed from WeCom (scanning it adds nobody), kept here with its figures.
#[utoipa::path(delete, path = "/api/v1/contacts/codes/{id}", tag = "contacts", security(("bearer" = []), ("session" = [])),
    params(("id" = u32, Path, description = "Code id"), WorkspaceParam),
    responses((status = 200, body = ChannelCode), (status = 404, body = ApiError), (status = 503, body = ApiError)))]
async fn retire_code(
    access: Can<perm::ContactsManage>,
    State(state): State<AppState>,
    ApiPath(id): ApiPath<u32>,
) -> Result<Json<ChannelCode>, ApiError> {
    let ws = access.ws();
    let mut codes = state.store.channel_codes(ws).await?;
    let code = codes.iter_mut().find(|c| c.id == id).ok_or_else(|| ApiError::not_found(format!("code {id}")))?;
    if let Some(wecom) = wecom(&state, &access).await
        && !code.archived
    {
        rekindle_journeys::wecom::codes::retire(&wecom, code)
            .await
            .map_err(|e| ApiError::new(crate::error::ErrorCode::Unavailable, e))?;
    }
    code.archived = true;
    let code = code.clone();
    state.store.put_channel_codes(ws, &codes, state.engine.now()).await?;
    access.audit(&state, "contacts.code.retire", code.state.clone()).await;
    Ok(Json(code))
}
