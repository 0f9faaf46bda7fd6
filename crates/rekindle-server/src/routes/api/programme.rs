//! The programme (docs/journeys.md, "Global control group"; docs/reports.md, "Programme"):
//! the store's global control group, kept out of every marketing journey, and the readout of
//! the people it held out against everyone else. The readout is the engine's, over the
//! audience it keeps (`rekindle_engine::measure::programme`).

use axum::Json;
use axum::extract::State;
use rekindle_core::access::Permission;
use rekindle_core::programme::ControlGroup;
use rekindle_engine::measure::programme::{Unread, programme};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::{Body, Params, WorkspaceParam};
use crate::auth::{Access, Can, perm};
use crate::error::{ApiError, ErrorCode};
use crate::state::AppState;

/// The most periods a readout looks back: over 27 years of monthly redraws.
const MAX_PERIOD: u32 = 9999;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(get_control_group, put_control_group)).routes(routes!(programme_readout))
}

/// The store's global control group: the share held out of marketing journeys, how often it
/// is redrawn and the day its first period began.
#[utoipa::path(get, path = "/api/v1/programme/control", tag = "programme", security(("bearer" = []), ("session" = [])),
    params(WorkspaceParam), responses((status = 200, body = ControlGroup), (status = 403, body = ApiError)))]
async fn get_control_group(access: Access, State(state): State<AppState>) -> Result<Json<ControlGroup>, ApiError> {
    access.require(Permission::PeopleRead)?;
    Ok(Json(state.store.control_group(access.ws()).await?))
}

/// Replace the store's global control group (owner, operator). Turning it on without `since`
/// starts the first period today, in the store's time zone. Every problem is named by its
/// field.
#[utoipa::path(put, path = "/api/v1/programme/control", tag = "programme", security(("bearer" = []), ("session" = [])),
    params(WorkspaceParam), request_body = ControlGroup,
    responses((status = 200, body = ControlGroup), (status = 400, body = ApiError), (status = 403, body = ApiError)))]
async fn put_control_group(
    access: Can<perm::JourneysManage>,
    State(state): State<AppState>,
    Body(mut group): Body<ControlGroup>,
) -> Result<Json<ControlGroup>, ApiError> {
    let ws = access.ws();
    let now = state.engine.now();
    if group.percent > 0 && group.since.is_none() {
        group.since = Some(state.store.calendar(ws).await?.day(now));
    }
    if let Some(e) = group.check().into_iter().next() {
        return Err(e.into());
    }
    state.store.put_control_group(ws, &group, now).await?;
    // The runner reads the group with its catalog: the next entry already sees it.
    state.runner.invalidate(ws);
    let target = format!("{}% / {} days", group.percent, group.refresh_days);
    access.audit(&state, "programme.control.update", target).await;
    Ok(Json(group))
}

#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ProgrammeParams {
    /// The period to read, 0 for the first; default the current one.
    period: Option<u32>,
}

#[derive(Serialize, ToSchema)]
pub struct ProgrammeView {
    pub control_group: ControlGroup,
    /// `read`; `off` while no share is held out; `not_begun` before the period's first day.
    pub status: String,
    /// The period's figures (docs/reports.md, "Programme"): `period`, `from`, `to`, `control`
    /// and `treated` (people, ordered, orders, revenue_fen, buyers_before, retained) and the
    /// `readout` per metric (order_rate, orders_per_person, revenue_per_person in yuan,
    /// retention) with intervals, p-values and a verdict.
    #[schema(value_type = Option<Object>)]
    pub programme: Option<serde_json::Value>,
}

/// The programme readout: the treated against the control group, for a period.
#[utoipa::path(get, path = "/api/v1/programme", tag = "programme", security(("bearer" = []), ("session" = [])),
    params(ProgrammeParams, WorkspaceParam),
    responses((status = 200, body = ProgrammeView), (status = 400, body = ApiError), (status = 403, body = ApiError)))]
async fn programme_readout(
    access: Access,
    State(state): State<AppState>,
    Params(p): Params<ProgrammeParams>,
) -> Result<Json<ProgrammeView>, ApiError> {
    access.require(Permission::PeopleRead)?;
    if p.period.is_some_and(|n| n > MAX_PERIOD) {
        let reason = format!("must be between 0 and {MAX_PERIOD}");
        return Err(ApiError::field(ErrorCode::InvalidField, "period", reason));
    }
    let ws = access.ws();
    let group = state.store.control_group(ws).await?;
    let audience = state.engine.audience(ws).await?;
    let g = group.clone();
    // A pass over every profile: off the async threads, like every report.
    let answer = tokio::task::spawn_blocking(move || programme(&audience, ws, &g, p.period))
        .await
        .map_err(|e| ApiError::internal(&e))?;
    let (status, programme) = match answer {
        Ok(r) => ("read", Some(serde_json::to_value(&r).map_err(|e| ApiError::internal(&e))?)),
        Err(Unread::Off) => ("off", None),
        Err(Unread::NotBegun) => ("not_begun", None),
    };
    Ok(Json(ProgrammeView { control_group: group, status: status.into(), programme }))
}
