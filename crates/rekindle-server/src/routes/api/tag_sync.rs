//! Tags both ways with WeCom's corporate tags (docs/relationships.md): what a store syncs,
//! and a sync on demand (it also runs with each reconcile).

use axum::Json;
use axum::extract::State;
use rekindle_core::access::Permission;
use rekindle_core::contacts::tag_sync::TagSync;
use rekindle_journeys::wecom::tags::{MARK_BUDGET, Synced, sync};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::{Body, WorkspaceParam};
use crate::auth::{Access, Can, perm};
use crate::error::{ApiError, ErrorCode};
use crate::state::AppState;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(get_tag_sync, put_tag_sync)).routes(routes!(run_tag_sync))
}

const MAX_TAGS: usize = 200;

/// What the store syncs with WeCom.
#[utoipa::path(get, path = "/api/v1/contacts/tag-sync", tag = "contacts", security(("bearer" = []), ("session" = [])),
    params(WorkspaceParam), responses((status = 200, body = TagSync), (status = 403, body = ApiError)))]
async fn get_tag_sync(access: Access, State(state): State<AppState>) -> Result<Json<TagSync>, ApiError> {
    access.require(Permission::PeopleRead)?;
    Ok(Json(state.store.tag_sync(access.ws()).await?))
}

/// Choose what is synced: Rekindle tags pushed into the group, staff's tags pulled.
#[utoipa::path(put, path = "/api/v1/contacts/tag-sync", tag = "contacts", security(("bearer" = []), ("session" = [])),
    params(WorkspaceParam), request_body = TagSync,
    responses((status = 200, body = TagSync), (status = 400, body = ApiError), (status = 403, body = ApiError)))]
async fn put_tag_sync(
    access: Can<perm::ContactsManage>,
    State(state): State<AppState>,
    Body(mut input): Body<TagSync>,
) -> Result<Json<TagSync>, ApiError> {
    input.group_name = input.group_name.trim().to_owned();
    if input.group_name.is_empty() || input.group_name.chars().count() > 30 {
        return Err(ApiError::field(ErrorCode::InvalidField, "group_name", "1 to 30 characters"));
    }
    if input.tags.len() > MAX_TAGS {
        return Err(ApiError::field(ErrorCode::InvalidField, "tags", format!("at most {MAX_TAGS}")));
    }
    let known: Vec<String> = state.store.tags(access.ws()).await?.into_iter().map(|t| t.name).collect();
    if let Some(i) = input.tags.iter().position(|t| !known.contains(t)) {
        return Err(ApiError::field(ErrorCode::InvalidField, format!("tags[{i}]"), "no such tag"));
    }
    input.tags.sort();
    input.tags.dedup();
    state.store.put_tag_sync(access.ws(), &input, state.engine.now()).await?;
    access.audit(&state, "contacts.tag_sync", format!("{} tags into {}", input.tags.len(), input.group_name)).await;
    Ok(Json(input))
}

/// Sync now.
#[utoipa::path(post, path = "/api/v1/contacts/tag-sync/run", tag = "contacts", security(("bearer" = []), ("session" = [])),
    params(WorkspaceParam),
    responses((status = 200, body = Synced), (status = 403, body = ApiError), (status = 404, body = ApiError), (status = 409, body = ApiError), (status = 503, body = ApiError)))]
async fn run_tag_sync(
    access: Can<perm::ContactsManage>,
    State(state): State<AppState>,
) -> Result<Json<Synced>, ApiError> {
    let ws = access.ws();
    let settings = state.store.tag_sync(ws).await?;
    if !settings.enabled {
        return Err(ApiError::field(ErrorCode::Conflict, "enabled", "the tag sync is off"));
    }
    let wecom = state.wecom(ws).await?;
    let done = sync(&*state.store, &state.engine, &wecom, ws, &settings, MARK_BUDGET)
        .await
        .map_err(|e| ApiError::new(ErrorCode::Unavailable, e.to_string()))?;
    if done.pulled + done.unpulled > 0 {
        // Tags changed: segments and rules read them at the next refresh, which is now.
        state.engine.refresh(ws).await?;
    }
    Ok(Json(done))
}
