use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use rekindle_ingest::write_keys;
use serde::Deserialize;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::ApiPath;
use super::Body;
use super::{CreatedWriteKey, WorkspaceParam, WriteKeyView};
use crate::auth::Access;
use crate::auth::{Can, perm};
use crate::error::ApiError;
use crate::state::AppState;
use rekindle_core::access::Permission;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(list_keys, create_key)).routes(routes!(revoke_key))
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewWriteKey {
    /// What the key is for, e.g. `mini-program`; recorded as the source of merges.
    name: String,
}

/// Write keys of the workspace (secrets are never shown again).
#[utoipa::path(get, path = "/api/v1/write-keys", tag = "write keys", security(("bearer" = []), ("session" = [])),
    params(WorkspaceParam), responses((status = 200, body = Vec<WriteKeyView>), (status = 401, body = ApiError)))]
async fn list_keys(access: Access, State(state): State<AppState>) -> Result<Json<Vec<WriteKeyView>>, ApiError> {
    access.require(Permission::KeysManage)?;
    Ok(Json(state.store.write_keys(access.ws()).await?.into_iter().map(Into::into).collect()))
}

/// Create a write key for ingestion.
#[utoipa::path(post, path = "/api/v1/write-keys", tag = "write keys", security(("bearer" = []), ("session" = [])),
    params(WorkspaceParam), request_body = NewWriteKey,
    responses((status = 201, body = CreatedWriteKey), (status = 400, body = ApiError), (status = 401, body = ApiError)))]
async fn create_key(
    access: Can<perm::KeysManage>,
    State(state): State<AppState>,
    Body(body): Body<NewWriteKey>,
) -> Result<(StatusCode, Json<CreatedWriteKey>), ApiError> {
    let (key, info) = write_keys::create(&*state.store, access.ws(), &body.name).await??;
    access.audit(&state, "write_key.create", format!("{} ({})", info.name, info.prefix)).await;
    Ok((StatusCode::CREATED, Json(CreatedWriteKey { key, info: info.into() })))
}

/// Revoke a write key; clients using it are refused within seconds.
#[utoipa::path(delete, path = "/api/v1/write-keys/{id}", tag = "write keys", security(("bearer" = []), ("session" = [])),
    params(("id" = i64, Path, description = "Write key id"), WorkspaceParam),
    responses((status = 204), (status = 404, body = ApiError), (status = 401, body = ApiError)))]
async fn revoke_key(
    access: Access,
    State(state): State<AppState>,
    ApiPath(id): ApiPath<i64>,
) -> Result<StatusCode, ApiError> {
    access.require(Permission::KeysManage)?;
    state.store.revoke_write_key(access.ws(), id).await?;
    access.audit(&state, "write_key.revoke", format!("key {id}")).await;
    Ok(StatusCode::NO_CONTENT)
}
