use axum::Json;
use axum::extract::State;
use chrono::{DateTime, Utc};
use rekindle_core::{MessageKind, WorkspaceId};
use rekindle_store::EventQuery;
use serde::Deserialize;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::{EventPage, Params, WorkspaceParam, decode_cursor, encode_cursor, for_role};
use crate::auth::Access;
use crate::error::{ApiError, ErrorCode};
use crate::state::AppState;
use rekindle_core::access::Permission;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(list_events))
}

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct EventFilter {
    /// Event name, e.g. `Order Completed`.
    name: Option<String>,
    /// Message type: identify, track, page, screen, group, alias.
    #[serde(rename = "type")]
    kind: Option<String>,
    /// Events at or after this time (ISO 8601).
    from: Option<String>,
    /// Events before this time (ISO 8601).
    to: Option<String>,
    /// The `next` value of the previous page.
    before: Option<String>,
    /// Page size (default 50, at most 1000).
    limit: Option<u32>,
}

fn time(field: &str, value: &Option<String>) -> Result<Option<DateTime<Utc>>, ApiError> {
    value
        .as_deref()
        .map(|s| {
            rekindle_core::time::parse_timestamp(s).map_err(|r| ApiError::field(ErrorCode::InvalidField, field, r))
        })
        .transpose()
}

impl EventFilter {
    pub fn to_query(&self) -> Result<EventQuery, ApiError> {
        let kind = self
            .kind
            .as_deref()
            .map(|k| k.parse::<MessageKind>().map_err(|r| ApiError::field(ErrorCode::InvalidField, "type", r)))
            .transpose()?;
        let before = self
            .before
            .as_deref()
            .map(|b| {
                decode_cursor(b).ok_or_else(|| {
                    ApiError::field(ErrorCode::InvalidField, "before", "not a cursor from a previous page")
                })
            })
            .transpose()?;
        let limit = self.limit.unwrap_or(50);
        if limit == 0 || limit > 1000 {
            return Err(ApiError::field(ErrorCode::InvalidField, "limit", "must be between 1 and 1000"));
        }
        Ok(EventQuery {
            person: None,
            name: self.name.clone(),
            kind,
            from: time("from", &self.from)?,
            to: time("to", &self.to)?,
            before,
            limit,
        })
    }
}

pub async fn page(state: &AppState, ws: WorkspaceId, query: EventQuery) -> Result<EventPage, ApiError> {
    let limit = query.limit as usize;
    let events = state.store.events(ws, &query).await?;
    let next = (events.len() == limit).then(|| events.last().map(|e| encode_cursor(e.cursor()))).flatten();
    Ok(EventPage { events: events.into_iter().map(Into::into).collect(), next })
}

/// Events of the whole workspace, newest first, filtered by name, type and time.
#[utoipa::path(get, path = "/api/v1/events", tag = "events", security(("bearer" = []), ("session" = [])),
    params(EventFilter, WorkspaceParam),
    responses((status = 200, body = EventPage), (status = 400, body = ApiError), (status = 401, body = ApiError)))]
async fn list_events(
    access: Access,
    State(state): State<AppState>,
    Params(filter): Params<EventFilter>,
) -> Result<Json<EventPage>, ApiError> {
    access.require(Permission::EventsRead)?;
    Ok(Json(for_role(page(&state, access.ws(), filter.to_query()?).await?, &access)))
}

/// Every event `query` matches, newest first, fetched a page at a time, up to `cap`.
pub async fn all_events(
    state: &AppState,
    ws: WorkspaceId,
    mut query: EventQuery,
    cap: usize,
) -> Result<Vec<rekindle_store::StoredEvent>, ApiError> {
    query.limit = 1000;
    let mut out = Vec::new();
    loop {
        let page = state.store.events(ws, &query).await?;
        let full = page.len() == query.limit as usize;
        query.before = page.last().map(|e| e.cursor());
        out.extend(page);
        if !full || out.len() >= cap {
            return Ok(out);
        }
    }
}
