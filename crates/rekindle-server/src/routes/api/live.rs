//! The live room (docs/live.md): a session's monitor while it runs — one snapshot, or pushed
//! over Server-Sent Events as events arrive — and its review (复盘), as JSON and CSV. All of
//! it comes from the engine's live rooms, which follow the event log.

use std::convert::Infallible;
use std::sync::Arc;
use std::time::Duration;

use axum::Json;
use axum::extract::State;
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use rekindle_core::access::Permission;
use rekindle_core::live::monitor::Monitor;
use rekindle_core::live::review::Review;
use serde::Deserialize;
use utoipa::IntoParams;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::export_words::LangParam;
use super::{ApiPath, Lang, Params, WorkspaceParam};
use crate::auth::Access;
use crate::error::{ApiError, ErrorCode};
use crate::state::AppState;

/// The longest a monitor stream waits without an update: presence and question ages move on
/// with the clock.
const TICK: Duration = Duration::from_secs(1);

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(monitor))
        .routes(routes!(monitor_stream))
        .routes(routes!(review))
        .routes(routes!(review_csv))
}

async fn monitor_of(state: &AppState, access: &Access, id: &str) -> Result<Monitor, ApiError> {
    access.require(Permission::PeopleRead)?;
    let m =
        state.live.monitor(access.ws(), id).await?.ok_or_else(|| ApiError::not_found(format!("live session {id}")))?;
    Ok(super::redact::for_role(Arc::unwrap_or_clone(m), access))
}

/// The room now: who is in it and what they are doing, against the last ten minutes and the
/// store's earlier sessions.
#[utoipa::path(get, path = "/api/v1/live/sessions/{id}/monitor", tag = "live", security(("bearer" = []), ("session" = [])),
    params(("id" = String, Path, description = "The live session's id"), WorkspaceParam),
    responses((status = 200, body = Monitor), (status = 403, body = ApiError), (status = 404, body = ApiError)))]
async fn monitor(
    access: Access,
    State(state): State<AppState>,
    ApiPath(id): ApiPath<String>,
) -> Result<Json<Monitor>, ApiError> {
    Ok(Json(monitor_of(&state, &access, &id).await?))
}

/// The monitor pushed as Server-Sent Events: a `monitor` event with the same body as
/// `/monitor` whenever events reach the room, and at least once a second.
#[utoipa::path(get, path = "/api/v1/live/sessions/{id}/monitor/stream", tag = "live", security(("bearer" = []), ("session" = [])),
    params(("id" = String, Path, description = "The live session's id"), WorkspaceParam),
    responses((status = 200, content_type = "text/event-stream", body = Monitor), (status = 403, body = ApiError), (status = 404, body = ApiError)))]
async fn monitor_stream(
    access: Access,
    State(state): State<AppState>,
    ApiPath(id): ApiPath<String>,
) -> Result<Response, ApiError> {
    // The first snapshot answers the checks: a stream opens only on a session that exists.
    let first = monitor_of(&state, &access, &id).await?;
    let changes = state.live.changes();
    let stream = futures::stream::unfold(
        (Some(first), changes, state, access, id),
        |(first, mut changes, state, access, id)| async move {
            let m = match first {
                Some(m) => m,
                None => {
                    tokio::select! {
                        _ = changes.changed() => {}
                        _ = tokio::time::sleep(TICK) => {}
                    }
                    // A session deleted, or a store that failed: the stream ends and the
                    // browser reconnects.
                    monitor_of(&state, &access, &id).await.ok()?
                }
            };
            let event = Event::default().event("monitor").json_data(&m).ok()?;
            Some((Ok::<_, Infallible>(event), (None, changes, state, access, id)))
        },
    );
    Ok(Sse::new(stream).keep_alive(KeepAlive::default()).into_response())
}

async fn review_of(state: &AppState, access: &Access, id: &str) -> Result<Arc<Review>, ApiError> {
    access.require(Permission::PeopleRead)?;
    state.live.review(access.ws(), id).await?.ok_or_else(|| ApiError::not_found(format!("live session {id}")))
}

/// The post-stream review (复盘): watch time, the in-stream retention curve, interaction,
/// conversion, questions and their answers, against the store's earlier sessions.
#[utoipa::path(get, path = "/api/v1/live/sessions/{id}/review", tag = "live", security(("bearer" = []), ("session" = [])),
    params(("id" = String, Path, description = "The live session's id"), WorkspaceParam),
    responses((status = 200, body = Review), (status = 403, body = ApiError), (status = 404, body = ApiError)))]
async fn review(
    access: Access,
    State(state): State<AppState>,
    ApiPath(id): ApiPath<String>,
) -> Result<Json<Review>, ApiError> {
    Ok(Json(Arc::unwrap_or_clone(review_of(&state, &access, &id).await?)))
}

#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ReviewCsvParams {
    /// `figures` (default: each figure against earlier sessions), `curve` (minute by minute)
    /// or `products`.
    part: Option<String>,
}

/// The review as CSV for Excel: headers in the operator's language, UTF-8 with a BOM.
#[utoipa::path(get, path = "/api/v1/live/sessions/{id}/review/export.csv", tag = "live", security(("bearer" = []), ("session" = [])),
    params(("id" = String, Path, description = "The live session's id"), ReviewCsvParams, LangParam, WorkspaceParam),
    responses((status = 200, content_type = "text/csv", body = String), (status = 400, body = ApiError), (status = 404, body = ApiError)))]
async fn review_csv(
    access: Access,
    State(state): State<AppState>,
    ApiPath(id): ApiPath<String>,
    Params(p): Params<ReviewCsvParams>,
    Params(LangParam { lang }): Params<LangParam>,
) -> Result<Response, ApiError> {
    let part = p.part.as_deref().unwrap_or("figures");
    if !["figures", "curve", "products"].contains(&part) {
        let why = match access.lang {
            Lang::Zh => "应为 figures、curve 或 products",
            Lang::En => "must be figures, curve or products",
        };
        return Err(ApiError::field(ErrorCode::InvalidField, "part", why));
    }
    let r = review_of(&state, &access, &id).await?;
    let lang = lang.unwrap_or(access.lang);
    let rows = match part {
        "curve" => super::live_csv::curve(&r, lang),
        "products" => super::live_csv::products(&r, lang),
        _ => super::live_csv::figures(&r, lang),
    };
    let mut w = super::csv_file::writer();
    for row in rows {
        w.write_record(&row).map_err(|e| ApiError::internal(&e))?;
    }
    let bytes = w.into_inner().map_err(|e| ApiError::internal(&e))?;
    access.audit(&state, "live.review.export", id.clone()).await;
    Ok(super::csv_file::response(&format!("review-{id}-{part}"), bytes))
}
