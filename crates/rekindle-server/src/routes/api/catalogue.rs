//! The catalogue and the live-session schedule: objects, read and replaced in bulk.

use axum::Json;
use axum::extract::State;
use rekindle_core::FieldError;
use rekindle_core::objects::{LiveSession, Product};
use serde_json::Value;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::{ListBody, LiveSessionView, ProductView, WorkspaceParam};
use crate::auth::Access;
use crate::auth::{Can, perm};
use crate::error::{ApiError, ErrorCode};
use crate::state::AppState;
use rekindle_core::access::Permission;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(list_products, put_products)).routes(routes!(list_sessions, put_sessions))
}

/// Parse a JSON array of objects, naming the bad one (`[3].price`).
fn parse_all<T>(items: Vec<Value>, parse: fn(&Value) -> Result<T, FieldError>) -> Result<Vec<T>, ApiError> {
    if items.len() > 10_000 {
        return Err(ApiError::field(ErrorCode::BatchTooLarge, "body", "at most 10,000 objects per request"));
    }
    items.iter().enumerate().map(|(i, v)| parse(v).map_err(|e| e.within(&format!("[{i}]")).into())).collect()
}

/// The store's products, by SKU.
#[utoipa::path(get, path = "/api/v1/products", tag = "catalogue", security(("bearer" = []), ("session" = [])),
    params(WorkspaceParam), responses((status = 200, body = Vec<ProductView>), (status = 401, body = ApiError)))]
async fn list_products(access: Access, State(state): State<AppState>) -> Result<Json<Vec<ProductView>>, ApiError> {
    access.require(Permission::PeopleRead)?;
    Ok(Json(state.store.products(access.ws()).await?.into_iter().map(Into::into).collect()))
}

/// Add or replace products (by SKU). Body: a JSON array of products; price in fen.
#[utoipa::path(put, path = "/api/v1/products", tag = "catalogue", security(("bearer" = []), ("session" = [])),
    params(WorkspaceParam), request_body = Vec<ProductView>,
    responses((status = 200, body = Vec<ProductView>), (status = 400, body = ApiError), (status = 401, body = ApiError)))]
async fn put_products(
    access: Can<perm::CatalogueWrite>,
    State(state): State<AppState>,
    ListBody(body): ListBody<Value>,
) -> Result<Json<Vec<ProductView>>, ApiError> {
    let products = parse_all(body, Product::parse)?;
    let count = products.len();
    state.store.put_products(access.ws(), products).await?;
    access.audit(&state, "products.put", format!("{count} products")).await;
    Ok(Json(state.store.products(access.ws()).await?.into_iter().map(Into::into).collect()))
}

/// The live-session schedule, by scheduled start.
#[utoipa::path(get, path = "/api/v1/live-sessions", tag = "catalogue", security(("bearer" = []), ("session" = [])),
    params(WorkspaceParam), responses((status = 200, body = Vec<LiveSessionView>), (status = 401, body = ApiError)))]
async fn list_sessions(access: Access, State(state): State<AppState>) -> Result<Json<Vec<LiveSessionView>>, ApiError> {
    access.require(Permission::PeopleRead)?;
    Ok(Json(state.store.live_sessions(access.ws()).await?.into_iter().map(Into::into).collect()))
}

/// Add or replace live sessions (by id). Body: a JSON array of sessions.
#[utoipa::path(put, path = "/api/v1/live-sessions", tag = "catalogue", security(("bearer" = []), ("session" = [])),
    params(WorkspaceParam), request_body = Vec<LiveSessionView>,
    responses((status = 200, body = Vec<LiveSessionView>), (status = 400, body = ApiError), (status = 401, body = ApiError)))]
async fn put_sessions(
    access: Can<perm::CatalogueWrite>,
    State(state): State<AppState>,
    ListBody(body): ListBody<Value>,
) -> Result<Json<Vec<LiveSessionView>>, ApiError> {
    let sessions = parse_all(body, LiveSession::parse)?;
    let count = sessions.len();
    state.store.put_live_sessions(access.ws(), sessions).await?;
    access.audit(&state, "live_sessions.put", format!("{count} sessions")).await;
    Ok(Json(state.store.live_sessions(access.ws()).await?.into_iter().map(Into::into).collect()))
}
