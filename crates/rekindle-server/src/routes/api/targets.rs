//! Team targets (docs/reports.md, "Team targets"): the retention rate each team is judged on,
//! the share the owner set, and where the store stands — computed by the engine over the
//! audience it keeps, with the reports' definitions.

use axum::Json;
use axum::extract::State;
use chrono::NaiveDate;
use rekindle_core::access::Permission;
use rekindle_core::targets::{Kpi, Team, TeamTarget, check};
use rekindle_engine::measure::targets::{Reading, progress};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::{Body, WorkspaceParam};
use crate::auth::{Access, Can, perm};
use crate::error::ApiError;
use crate::state::AppState;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(list_targets, put_targets))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TargetsInput {
    pub targets: Vec<TeamTarget>,
}

/// A rate over local days: `part` of `whole`.
#[derive(Serialize, ToSchema)]
pub struct ReadingView {
    pub from: NaiveDate,
    pub to: NaiveDate,
    pub part: u64,
    pub whole: u64,
    pub rate: Option<f64>,
}

#[derive(Serialize, ToSchema)]
pub struct TargetProgress {
    pub team: Team,
    pub kpi: Kpi,
    pub target: f64,
    /// The latest 30 days whose outcome is known.
    pub current: ReadingView,
    /// The 30 days before them.
    pub previous: ReadingView,
    /// The current rate reached the target; null without one.
    pub met: Option<bool>,
}

#[derive(Serialize, ToSchema)]
pub struct TargetsView {
    pub targets: Vec<TargetProgress>,
    pub time_zone: String,
}

fn reading(r: Reading) -> ReadingView {
    ReadingView { from: r.from, to: r.to, part: r.part, whole: r.whole, rate: r.rate }
}

async fn answer(state: &AppState, access: &Access) -> Result<TargetsView, ApiError> {
    let ws = access.ws();
    let targets = state.store.team_targets(ws).await?;
    let audience = state.engine.audience(ws).await?;
    let tz = audience.context.calendar.tz.name().to_string();
    // A pass over everyone per target: off the async threads.
    let computed = tokio::task::spawn_blocking(move || {
        let people = || audience.members.iter().map(|m| &*m.profile);
        let cal = &audience.context.calendar;
        progress(people, cal, &audience.context.judging.lifecycle, audience.now, &targets)
    })
    .await
    .map_err(|e| ApiError::internal(&e))?;
    let targets = computed
        .into_iter()
        .map(|p| TargetProgress {
            team: p.team,
            kpi: p.kpi,
            target: p.target,
            current: reading(p.current),
            previous: reading(p.previous),
            met: p.met,
        })
        .collect();
    Ok(TargetsView { targets, time_zone: tz })
}

/// The store's team targets and each one's progress.
#[utoipa::path(get, path = "/api/v1/targets", tag = "reports", security(("bearer" = []), ("session" = [])),
    params(WorkspaceParam), responses((status = 200, body = TargetsView)))]
async fn list_targets(access: Access, State(state): State<AppState>) -> Result<Json<TargetsView>, ApiError> {
    access.require(Permission::PeopleRead)?;
    Ok(Json(answer(&state, &access).await?))
}

/// Replace the store's team targets (each team and rate once, a share from 0 to 1).
#[utoipa::path(put, path = "/api/v1/targets", tag = "reports", security(("bearer" = []), ("session" = [])),
    params(WorkspaceParam), request_body = TargetsInput,
    responses((status = 200, body = TargetsView), (status = 400, body = ApiError), (status = 403, body = ApiError)))]
async fn put_targets(
    access: Can<perm::WorkspaceManage>,
    State(state): State<AppState>,
    Body(input): Body<TargetsInput>,
) -> Result<Json<TargetsView>, ApiError> {
    check(&input.targets)?;
    state.store.put_team_targets(access.ws(), &input.targets, state.engine.now()).await?;
    let summary = input.targets.iter().map(|t| format!("{}.{}={}", t.team.as_str(), t.kpi.as_str(), t.target));
    access.audit(&state, "targets.update", summary.collect::<Vec<_>>().join(", ")).await;
    Ok(Json(answer(&state, &access).await?))
}
