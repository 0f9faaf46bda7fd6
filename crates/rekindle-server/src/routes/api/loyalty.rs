//! Loyalty for operators (docs/loyalty.md): the program (earn rules, what points are worth,
//! expiry, levels and benefits), a person's points with their ledger, level and progress, and
//! an operator's adjustment.

use axum::Json;
use axum::extract::State;
use chrono::{DateTime, Duration, Utc};
use rekindle_core::access::Permission;
use rekindle_core::calendar::Grain;
use rekindle_core::loyalty::entries::{MAX_REASON_CHARS, check_key};
use rekindle_core::loyalty::program::MAX_POINTS;
use rekindle_core::loyalty::{Benefits, Entry, Figures, Ledger, Posted, Program, Standing, Summary, growth};
use rekindle_core::{FieldError, PersonId, WorkspaceId};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::people::find;
use super::redact::shown_text;
use super::{ApiPath, Body, Params, WorkspaceParam};
use crate::auth::{Access, Can, perm};
use crate::error::{ApiError, ErrorCode};
use crate::state::AppState;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(get_program, put_program))
        .routes(routes!(loyalty_figures))
        .routes(routes!(person_points))
        .routes(routes!(adjust_points))
}

/// Entries a person's view lists, newest first.
const LISTED: usize = 500;

/// A person's points as a member sees them, and the ledger behind them.
#[derive(Serialize, ToSchema)]
pub struct PointsView {
    pub summary: Summary,
    /// What the balance is worth at redemption, in fen.
    pub worth_fen: i64,
    /// Points that expire within the next 30 days.
    pub expiring_30d: i64,
    pub standing: Standing,
    pub benefits: Benefits,
    /// Newest first, at most 500.
    pub entries: Vec<Entry>,
}

/// A person's points, level and ledger, as of now.
pub async fn points_of(
    state: &AppState,
    ws: WorkspaceId,
    person: PersonId,
    program: &Program,
) -> Result<PointsView, ApiError> {
    let entries = state.store.points_entries(ws, person).await?;
    let now = state.engine.now();
    // What the member holds is read back from their profile (their last `Level Changed`).
    let audience = state.engine.latest(ws);
    let held = audience.as_deref().and_then(|a| a.member(person)).and_then(|m| program.held(m.profile.level()));
    let standing = program.standing(held, growth(&entries, program, now), now);
    let benefits = program.levels.get(standing.level).map(|l| l.benefits.clone()).unwrap_or_default();
    let ledger = Ledger::new(entries);
    let summary = ledger.summary();
    let mut entries = ledger.entries().to_vec();
    entries.reverse();
    entries.truncate(LISTED);
    Ok(PointsView {
        worth_fen: program.value_fen(summary.balance),
        expiring_30d: summary.expiring_within(now, Duration::days(30)),
        summary,
        standing,
        benefits,
        entries,
    })
}

/// The store's loyalty program; the defaults (the seeds' numbers) until one is saved.
#[utoipa::path(get, path = "/api/v1/loyalty/program", tag = "loyalty", security(("bearer" = []), ("session" = [])),
    params(WorkspaceParam), responses((status = 200, body = Program), (status = 403, body = ApiError)))]
async fn get_program(access: Access, State(state): State<AppState>) -> Result<Json<Program>, ApiError> {
    access.require(Permission::PeopleRead)?;
    Ok(Json(state.store.loyalty_program(access.ws()).await?))
}

/// Replace the store's loyalty program. Every problem is named by its field; levels must
/// start at 0 and rise.
#[utoipa::path(put, path = "/api/v1/loyalty/program", tag = "loyalty", security(("bearer" = []), ("session" = [])),
    params(WorkspaceParam), request_body = Program,
    responses((status = 200, body = Program), (status = 400, body = ApiError), (status = 403, body = ApiError)))]
async fn put_program(
    access: Can<perm::WorkspaceManage>,
    State(state): State<AppState>,
    Body(program): Body<Program>,
) -> Result<Json<Program>, ApiError> {
    if let Some(e) = program.check().into_iter().next() {
        return Err(e.into());
    }
    state.store.put_loyalty_program(access.ws(), &program, state.engine.now()).await?;
    access.audit(&state, "loyalty.program.update", format!("{} levels", program.levels.len())).await;
    Ok(Json(program))
}

#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct FiguresParams {
    /// `day`, `week` or `month` (default).
    grain: Option<String>,
    /// How many periods, up to now (default 12; 1 to 60).
    periods: Option<i64>,
}

/// The program's figures: points issued, redeemed, expired and taken back per period of the
/// store's calendar, the redemption rate, members per level at each period's end, and what
/// members hold now.
#[utoipa::path(get, path = "/api/v1/loyalty/figures", tag = "loyalty", security(("bearer" = []), ("session" = [])),
    params(FiguresParams, WorkspaceParam),
    responses((status = 200, body = Figures), (status = 400, body = ApiError), (status = 403, body = ApiError)))]
async fn loyalty_figures(
    access: Access,
    State(state): State<AppState>,
    Params(p): Params<FiguresParams>,
) -> Result<Json<Figures>, ApiError> {
    access.require(Permission::PeopleRead)?;
    let grain = match p.grain.as_deref() {
        None => Grain::Month,
        Some(g) => Grain::parse(g)
            .ok_or_else(|| ApiError::field(ErrorCode::InvalidField, "grain", "must be day, week or month"))?,
    };
    let periods = p.periods.unwrap_or(12);
    if !(1..=60).contains(&periods) {
        return Err(ApiError::field(ErrorCode::InvalidField, "periods", "must be between 1 and 60"));
    }
    let audience = state.engine.audience(access.ws()).await?;
    let calendar = audience.context.calendar;
    let now = audience.now;
    drop(audience);
    let figures =
        rekindle_engine::loyalty::figures(&*state.store, access.ws(), &calendar, grain, periods as usize, now).await?;
    Ok(Json(figures))
}

/// A person's points: balance, what it is worth, what expires soon, their level and the way
/// to the next, and the ledger (newest first).
#[utoipa::path(get, path = "/api/v1/people/{person}/points", tag = "loyalty", security(("bearer" = []), ("session" = [])),
    params(("person" = String, Path, description = "Person id or identifier"), WorkspaceParam),
    responses((status = 200, body = PointsView), (status = 404, body = ApiError)))]
async fn person_points(
    access: Access,
    State(state): State<AppState>,
    ApiPath(person): ApiPath<String>,
) -> Result<Json<PointsView>, ApiError> {
    let person = find(&state, &access, &person).await?;
    let program = state.store.loyalty_program(access.ws()).await?;
    let mut view = points_of(&state, access.ws(), person.id, &program).await?;
    // An operator's reason is free text: masked by what it holds for roles without pii.read.
    for e in &mut view.entries {
        e.reason = shown_text(&access, std::mem::take(&mut e.reason));
    }
    Ok(Json(view))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AdjustInput {
    /// Makes the adjustment once however often it is sent.
    pub key: String,
    /// Added (above zero) or taken (below zero); a deduction larger than the balance is refused.
    pub points: i64,
    pub reason: String,
}

impl AdjustInput {
    fn check(&self) -> Result<(), FieldError> {
        check_key("key", &self.key)?;
        if self.points == 0 || self.points.abs() > MAX_POINTS {
            return Err(FieldError::new("points", format!("must not be 0, and at most {MAX_POINTS} either way")));
        }
        let n = self.reason.trim().chars().count();
        if n == 0 || n > MAX_REASON_CHARS {
            return Err(FieldError::new("reason", format!("must be 1 to {MAX_REASON_CHARS} characters")));
        }
        Ok(())
    }
}

/// An operator's correction of a person's points, once per key.
#[utoipa::path(post, path = "/api/v1/people/{person}/points/adjustments", tag = "loyalty", security(("bearer" = []), ("session" = [])),
    params(("person" = String, Path, description = "Person id or identifier"), WorkspaceParam), request_body = AdjustInput,
    responses((status = 200, body = PointsView), (status = 400, body = ApiError), (status = 403, body = ApiError),
               (status = 404, body = ApiError), (status = 409, body = ApiError)))]
async fn adjust_points(
    access: Can<perm::JourneysManage>,
    State(state): State<AppState>,
    ApiPath(person): ApiPath<String>,
    Body(input): Body<AdjustInput>,
) -> Result<Json<PointsView>, ApiError> {
    input.check()?;
    let person = find(&state, &access, &person).await?;
    let ws = access.ws();
    let program = state.store.loyalty_program(ws).await?;
    let now: DateTime<Utc> = state.engine.now();
    let entry = program.adjustment(&input.key, input.points, &input.reason, now, access.time_zone());
    match state.store.post_points(ws, person.id, &[entry]).await?[..] {
        [Posted::Refused { balance }] => {
            return Err(ApiError::field(
                ErrorCode::Conflict,
                "points",
                format!("the balance is {balance} points: a deduction cannot take it below zero"),
            ));
        }
        [Posted::Written] => {
            access.audit(&state, "points.adjust", format!("{} {:+} ({})", person.id, input.points, input.key)).await;
        }
        _ => {}
    }
    Ok(Json(points_of(&state, ws, person.id, &program).await?))
}
