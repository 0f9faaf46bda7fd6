use axum::Json;
use axum::extract::{Path, Query, State};
use rekindle_store::{EventQuery, lookup};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::events::{EventFilter, page};
use super::{EventPage, Limit, MergeView, PersonView, WorkspaceParam, Ws};
use crate::auth::AdminAuth;
use crate::error::ApiError;
use crate::state::AppState;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(get_person)).routes(routes!(person_events)).routes(routes!(person_merges))
}

async fn find(state: &AppState, ws: Ws, who: &str) -> Result<rekindle_store::Person, ApiError> {
    let refs = lookup::candidates(who).map_err(|e| ApiError::from(e.within("person")))?;
    lookup::find_person(&*state.store, ws.0, &refs).await?.ok_or_else(|| ApiError::not_found(format!("person {who}")))
}

/// A person with every identifier they hold.
#[utoipa::path(get, path = "/api/v1/people/{person}", tag = "people", security(("admin_token" = [])),
    params(("person" = String, Path, description = "Person id, `kind:value` (e.g. `phone:13812345678`), or a bare identifier"), WorkspaceParam),
    responses((status = 200, body = PersonView), (status = 404, body = ApiError), (status = 401, body = ApiError)))]
async fn get_person(
    _: AdminAuth,
    ws: Ws,
    State(state): State<AppState>,
    Path(person): Path<String>,
) -> Result<Json<PersonView>, ApiError> {
    Ok(Json(find(&state, ws, &person).await?.into()))
}

/// A person's events, newest first, with every merged identity's history.
#[utoipa::path(get, path = "/api/v1/people/{person}/events", tag = "people", security(("admin_token" = [])),
    params(("person" = String, Path, description = "Person id or identifier"), EventFilter, WorkspaceParam),
    responses((status = 200, body = EventPage), (status = 404, body = ApiError), (status = 400, body = ApiError)))]
async fn person_events(
    _: AdminAuth,
    ws: Ws,
    State(state): State<AppState>,
    Path(person): Path<String>,
    Query(filter): Query<EventFilter>,
) -> Result<Json<EventPage>, ApiError> {
    let ws_id = ws.0;
    let person = find(&state, ws, &person).await?;
    let query = EventQuery { person: Some(person.id), ..filter.to_query()? };
    page(&state, ws_id, query).await
}

/// The merges that made this person, newest first: which person, through which identifier,
/// from which message.
#[utoipa::path(get, path = "/api/v1/people/{person}/merges", tag = "people", security(("admin_token" = [])),
    params(("person" = String, Path, description = "Person id or identifier"), Limit, WorkspaceParam),
    responses((status = 200, body = Vec<MergeView>), (status = 404, body = ApiError)))]
async fn person_merges(
    _: AdminAuth,
    ws: Ws,
    State(state): State<AppState>,
    Path(person): Path<String>,
    Query(limit): Query<Limit>,
) -> Result<Json<Vec<MergeView>>, ApiError> {
    let ws_id = ws.0;
    let person = find(&state, ws, &person).await?;
    let merges = state.store.merges(ws_id, Some(person.id), limit.get()).await?;
    Ok(Json(merges.into_iter().map(Into::into).collect()))
}
