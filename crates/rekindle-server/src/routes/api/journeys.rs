//! Journeys: drafts edited in the console, validated, published as versions, paused; the
//! shipped templates; each journey's readout (docs/journeys.md).

use rekindle_core::JourneyId;
use std::collections::BTreeMap;

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use chrono::{DateTime, Utc};
use rekindle_core::access::Permission;
use rekindle_core::journey::{Definition, Known};
use rekindle_rules::journey::{over_limit, validate};
use rekindle_store::{Journey, JourneyStatus};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::ApiPath;
use super::input::{actor, checked_text};
use super::{Body, Params, WorkspaceParam};
use crate::auth::Access;
use crate::auth::{Can, perm};
use crate::error::{ApiError, ErrorCode};
use crate::state::AppState;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_journeys, create_journey))
        .routes(routes!(get_journey, update_journey))
        .routes(routes!(publish))
        .routes(routes!(current_members))
        .routes(routes!(set_status))
        .routes(routes!(readout))
        .routes(routes!(shipped_templates))
}

#[derive(Serialize, ToSchema)]
pub struct Problem {
    pub field: String,
    pub message: String,
}

#[derive(Serialize, ToSchema)]
#[schema(as = JourneyVersion)]
pub struct VersionView {
    pub version: i32,
    pub published_at: DateTime<Utc>,
    #[schema(required = true)]
    pub published_by: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct JourneyView {
    pub id: i64,
    pub name: String,
    /// draft, live, paused or archived
    #[schema(value_type = rekindle_store::JourneyStatus)]
    pub status: String,
    /// The version people enter, once published.
    #[schema(required = true)]
    pub version: Option<i32>,
    pub draft: Definition,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub entered: i64,
    pub converted: i64,
    /// Live, and a one-off whose moment has passed: nobody new enters; the people inside
    /// walk on to the end.
    pub spent: bool,
    /// What stops the draft from being published; empty when it can be.
    pub problems: Vec<Problem>,
    /// Newest first; only on a single journey.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub versions: Option<Vec<VersionView>>,
    /// The latest request to publish, when the store asks for an owner's approval
    /// (docs/journeys.md, "Launch safety"); `state` pending is 待审批.
    #[schema(required = true)]
    pub approval: Option<super::launch::ApprovalView>,
}

#[derive(Serialize, ToSchema)]
pub struct JourneyList {
    pub journeys: Vec<JourneyView>,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct JourneyInput {
    name: Option<String>,
    /// The journey as JSON (docs/journeys.md).
    #[schema(value_type = Option<rekindle_core::journey::Definition>)]
    definition: Option<serde_json::Value>,
    /// Create from a shipped template instead (its key, from /api/v1/journey-templates).
    shipped: Option<String>,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct StatusInput {
    /// live, paused or archived
    status: String,
}

#[derive(Serialize, ToSchema)]
pub struct Published {
    /// The version published; null when the publish became a request for an owner's approval.
    #[schema(required = true)]
    pub version: Option<i32>,
    /// The request, when publishing needs an owner's approval and the caller is not one.
    #[schema(required = true)]
    pub approval: Option<super::launch::ApprovalView>,
    /// People entered at once because they were already in the trigger's segment or stage
    /// (`?enter_current=true`).
    pub entered_now: usize,
}

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PublishParams {
    /// Also enter, once, the people already in the segment or stage the journey is triggered
    /// by entering (otherwise only those who enter after publishing are caught).
    #[serde(default)]
    enter_current: bool,
}

#[derive(Serialize, ToSchema)]
pub struct CurrentMembers {
    /// How many people are in the draft trigger's segment or stage now; null for a trigger
    /// that catches only what happens from now on (an event, a date).
    #[schema(required = true)]
    pub count: Option<usize>,
}

/// A definition as sent. A draft may be saved with problems, but not with a rule over the
/// parser's caps: such a rule is refused here, before it is stored.
fn definition(v: serde_json::Value, lang: super::Lang) -> Result<Definition, ApiError> {
    let d: Definition =
        serde_json::from_value(v).map_err(|e| ApiError::field(ErrorCode::InvalidField, "definition", e.to_string()))?;
    if let Some((field, e)) = over_limit(&d) {
        return Err(ApiError::rule(&format!("definition.{field}"), &e, lang.rules()));
    }
    Ok(d)
}

/// What the workspace has that journeys may name.
pub(super) async fn known(state: &AppState, access: &Access) -> Result<Known, ApiError> {
    let ws = access.ws();
    Ok(Known {
        segments: state.store.segments(ws).await?.into_iter().map(|s| s.id).collect(),
        templates: state.store.message_templates(ws).await?.into_iter().map(|t| (t.name, t.channel)).collect(),
        coupons: state.store.coupons(ws).await?.into_iter().map(|c| c.name).collect(),
        tags: state.store.tags(ws).await?.into_iter().map(|t| t.name).collect(),
    })
}

async fn view(state: &AppState, access: &Access, j: Journey, detail: bool) -> Result<JourneyView, ApiError> {
    let ws = access.ws();
    let known = known(state, access).await?;
    let problems =
        validate(&j.draft, &known).into_iter().map(|p| Problem { field: p.field, message: p.reason }).collect();
    let counts = state.store.journey_conversions(ws, j.id).await?;
    let versions = if detail {
        let versions = state.store.journey_versions(ws, j.id).await?;
        Some(
            versions
                .into_iter()
                .map(|v| VersionView { version: v.version, published_at: v.published_at, published_by: v.published_by })
                .collect(),
        )
    } else {
        None
    };
    // The live version's trigger decides, not the draft's.
    let catalog = state.runner.catalog(ws).await?;
    let live = catalog.journeys.iter().find(|l| l.id == j.id);
    let spent = live.is_some_and(|l| l.definition.trigger.spent(state.engine.now()));
    let approval = state.store.latest_approval(ws, j.id).await?.map(|a| super::launch::ApprovalView::of(a, &j.draft));
    Ok(JourneyView {
        approval,
        spent,
        id: j.id.0,
        name: j.name,
        status: j.status.as_str().into(),
        version: j.version,
        draft: j.draft,
        created_at: j.created_at,
        updated_at: j.updated_at,
        entered: counts.iter().map(|c| c.entered).sum(),
        converted: counts.iter().map(|c| c.converted).sum(),
        problems,
        versions,
    })
}

async fn found(state: &AppState, access: &Access, id: JourneyId) -> Result<Journey, ApiError> {
    state.store.journey(access.ws(), id).await?.ok_or_else(|| ApiError::not_found(format!("journey {id}")))
}

/// The workspace's journeys with how many entered and converted.
#[utoipa::path(get, path = "/api/v1/journeys", tag = "journeys", security(("bearer" = []), ("session" = [])),
    params(WorkspaceParam), responses((status = 200, body = JourneyList), (status = 401, body = ApiError)))]
async fn list_journeys(access: Access, State(state): State<AppState>) -> Result<Json<JourneyList>, ApiError> {
    access.require(Permission::PeopleRead)?;
    let mut journeys = Vec::new();
    for j in state.store.journeys(access.ws()).await? {
        journeys.push(view(&state, &access, j, false).await?);
    }
    Ok(Json(JourneyList { journeys }))
}

/// Create a draft, from a definition or a shipped template (whose message templates and
/// coupons are added when missing).
#[utoipa::path(post, path = "/api/v1/journeys", tag = "journeys", security(("bearer" = []), ("session" = [])),
    params(WorkspaceParam), request_body = JourneyInput,
    responses((status = 201, body = JourneyView), (status = 400, body = ApiError), (status = 409, body = ApiError)))]
async fn create_journey(
    access: Can<perm::JourneysManage>,
    State(state): State<AppState>,
    Body(input): Body<JourneyInput>,
) -> Result<(StatusCode, Json<JourneyView>), ApiError> {
    let ws = access.ws();
    let j = match (input.shipped, input.definition) {
        (Some(key), None) => {
            let s = rekindle_journeys::shipped().into_iter().find(|s| s.key == key).ok_or_else(|| {
                ApiError::field(ErrorCode::InvalidField, "shipped", format!("no shipped journey {key:?}"))
            })?;
            let name = checked_text("name", input.name.as_deref().unwrap_or(s.name), 1, 100)?;
            rekindle_journeys::install(&*state.store, ws, &s, &name, state.engine.now()).await?
        }
        (None, Some(d)) => {
            let name = checked_text("name", input.name.as_deref().unwrap_or_default(), 1, 100)?;
            state.store.create_journey(ws, &name, &definition(d, access.lang)?, state.engine.now()).await?
        }
        (Some(_), Some(_)) => {
            return Err(ApiError::field(
                ErrorCode::InvalidField,
                "shipped",
                "give a definition or a shipped key, not both",
            ));
        }
        (None, None) => return Err(ApiError::field(ErrorCode::InvalidField, "definition", "a definition is required")),
    };
    state.runner.invalidate(ws);
    access.audit(&state, "journey.create", format!("{} ({})", j.name, j.id)).await;
    Ok((StatusCode::CREATED, Json(view(&state, &access, j, true).await?)))
}

#[utoipa::path(get, path = "/api/v1/journeys/{id}", tag = "journeys", security(("bearer" = []), ("session" = [])),
    params(("id" = i64, Path), WorkspaceParam), responses((status = 200, body = JourneyView), (status = 404, body = ApiError)))]
async fn get_journey(
    access: Access,
    State(state): State<AppState>,
    ApiPath(id): ApiPath<JourneyId>,
) -> Result<Json<JourneyView>, ApiError> {
    access.require(Permission::PeopleRead)?;
    let j = found(&state, &access, id).await?;
    Ok(Json(view(&state, &access, j, true).await?))
}

/// Change the draft (and/or the name). People in the journey are not affected until it is
/// published, and then only those who enter after.
#[utoipa::path(put, path = "/api/v1/journeys/{id}", tag = "journeys", security(("bearer" = []), ("session" = [])),
    params(("id" = i64, Path), WorkspaceParam), request_body = JourneyInput,
    responses((status = 200, body = JourneyView), (status = 400, body = ApiError), (status = 404, body = ApiError)))]
async fn update_journey(
    access: Can<perm::JourneysManage>,
    State(state): State<AppState>,
    ApiPath(id): ApiPath<JourneyId>,
    Body(input): Body<JourneyInput>,
) -> Result<Json<JourneyView>, ApiError> {
    if input.shipped.is_some() {
        return Err(ApiError::field(ErrorCode::InvalidField, "shipped", "only when creating a journey"));
    }
    let name = input.name.as_deref().map(|n| checked_text("name", n, 1, 100)).transpose()?;
    let draft = input.definition.map(|d| definition(d, access.lang)).transpose()?;
    let j = state.store.update_journey(access.ws(), id, name.as_deref(), draft.as_ref(), state.engine.now()).await?;
    access.audit(&state, "journey.update", format!("{} ({})", j.name, j.id)).await;
    Ok(Json(view(&state, &access, j, true).await?))
}

/// Publish the draft as a new version, once it has no problems. People already inside finish
/// on the version they entered.
#[utoipa::path(post, path = "/api/v1/journeys/{id}/publish", tag = "journeys", security(("bearer" = []), ("session" = [])),
    params(("id" = i64, Path), PublishParams, WorkspaceParam),
    responses((status = 200, body = Published), (status = 400, body = ApiError), (status = 404, body = ApiError)))]
async fn publish(
    access: Access,
    State(state): State<AppState>,
    ApiPath(id): ApiPath<JourneyId>,
    Params(params): Params<PublishParams>,
) -> Result<Json<Published>, ApiError> {
    access.require(Permission::JourneysManage)?;
    let j = found(&state, &access, id).await?;
    if j.status == JourneyStatus::Archived {
        return Err(ApiError::new(ErrorCode::Conflict, "an archived journey is not published again"));
    }
    let known = known(&state, &access).await?;
    if let Some(p) = validate(&j.draft, &known).into_iter().next() {
        return Err(ApiError::field(ErrorCode::InvalidField, format!("definition.{}", p.field), p.reason));
    }
    if super::launch::needs_approval(&state, &access).await? {
        let a = state.store.request_approval(access.ws(), id, &j.draft, &actor(&access), state.engine.now()).await?;
        access.audit(&state, "journey.request_approval", format!("{} ({})", j.name, j.id)).await;
        let approval = Some(super::launch::ApprovalView::of(a, &j.draft));
        return Ok(Json(Published { version: None, approval, entered_now: 0 }));
    }
    let v = state.store.publish_journey(access.ws(), id, Some(&actor(&access)), state.engine.now()).await?;
    state.runner.invalidate(access.ws());
    access.audit(&state, "journey.publish", format!("{} ({}) v{}", j.name, j.id, v.version)).await;
    let entered_now = if params.enter_current {
        let pass = state.runner.enter_current(access.ws(), id).await?;
        access.audit(&state, "journey.enter_current", format!("{} ({}): {}", j.name, j.id, pass.entered)).await;
        pass.entered
    } else {
        0
    };
    Ok(Json(Published { version: Some(v.version), approval: None, entered_now }))
}

/// How many people the draft would enter at once if published with `enter_current`.
#[utoipa::path(get, path = "/api/v1/journeys/{id}/current-members", tag = "journeys", security(("bearer" = []), ("session" = [])),
    params(("id" = i64, Path), WorkspaceParam),
    responses((status = 200, body = CurrentMembers), (status = 404, body = ApiError)))]
async fn current_members(
    access: Access,
    State(state): State<AppState>,
    ApiPath(id): ApiPath<JourneyId>,
) -> Result<Json<CurrentMembers>, ApiError> {
    access.require(Permission::PeopleRead)?;
    let j = found(&state, &access, id).await?;
    let count = state.runner.current_members(access.ws(), &j.draft).await?.map(|p| p.len());
    Ok(Json(CurrentMembers { count }))
}

/// Pause (nobody enters or moves on), resume (`live`) or archive a published journey.
#[utoipa::path(post, path = "/api/v1/journeys/{id}/status", tag = "journeys", security(("bearer" = []), ("session" = [])),
    params(("id" = i64, Path), WorkspaceParam), request_body = StatusInput,
    responses((status = 200, body = JourneyView), (status = 400, body = ApiError), (status = 404, body = ApiError)))]
async fn set_status(
    access: Can<perm::JourneysManage>,
    State(state): State<AppState>,
    ApiPath(id): ApiPath<JourneyId>,
    Body(input): Body<StatusInput>,
) -> Result<Json<JourneyView>, ApiError> {
    let status = match JourneyStatus::parse(&input.status) {
        Some(s @ (JourneyStatus::Live | JourneyStatus::Paused | JourneyStatus::Archived)) => s,
        _ => return Err(ApiError::field(ErrorCode::InvalidField, "status", "must be live, paused or archived")),
    };
    let j = found(&state, &access, id).await?;
    if j.version.is_none() {
        return Err(ApiError::field(ErrorCode::InvalidField, "status", "publish the journey first"));
    }
    let j = state.store.set_journey_status(access.ws(), id, status, state.engine.now()).await?;
    state.runner.invalidate(access.ws());
    access.audit(&state, &format!("journey.{}", status.as_str()), format!("{} ({})", j.name, j.id)).await;
    Ok(Json(view(&state, &access, j, true).await?))
}

#[derive(Serialize, ToSchema)]
pub struct CountRow {
    pub step: String,
    #[schema(required = true)]
    pub variant: Option<String>,
    pub outcome: String,
    pub count: i64,
}

#[derive(Serialize, ToSchema)]
pub struct VariantRow {
    #[schema(required = true)]
    pub variant: Option<String>,
    pub entered: i64,
    pub converted: i64,
    pub rate: f64,
}

#[derive(Serialize, ToSchema)]
pub struct LiftRow {
    pub variant: String,
    pub treated_rate: f64,
    pub holdout_rate: f64,
    /// Conversion rate difference (treated − holdout).
    pub difference: f64,
    pub ci_low: f64,
    pub ci_high: f64,
    #[schema(required = true)]
    pub relative: Option<f64>,
    pub p_value: f64,
}

/// Clicks on a journey's tracked links (docs/journeys.md, "Tracked links").
#[derive(Serialize, ToSchema)]
pub struct ClickRow {
    /// The step; `null` for the journey as a whole (the first row).
    #[schema(required = true)]
    pub step: Option<String>,
    /// People a message went out to (sent or delivered).
    pub reached: i64,
    /// People who clicked at least once.
    pub clickers: i64,
    /// Every click.
    pub clicks: i64,
    /// Click-through: clickers over people reached (0 when nobody was reached).
    pub rate: f64,
}

#[derive(Serialize, ToSchema)]
pub struct Readout {
    /// What happened at each step (entered, assigned, coupon_issued, exited, converted…).
    pub steps: Vec<CountRow>,
    /// Messages by state (sent, delivered, failed:<kind>, skipped:<reason>…).
    pub messages: Vec<CountRow>,
    pub variants: Vec<VariantRow>,
    /// Each variant against the holdout, when a split keeps one.
    pub lift: Vec<LiftRow>,
    /// Clicks and click-through, the journey as a whole first, then by step.
    pub clicks: Vec<ClickRow>,
    /// People the entry limits turned away who have not entered since (因上限未进入).
    pub entry_refusals: Vec<EntryRefusalRow>,
    /// Winners the journey's splits picked automatically, with their evidence (docs/journeys.md,
    /// "Automatic winners").
    pub winners: Vec<rekindle_core::journey::WinnerDecision>,
}

#[derive(Serialize, ToSchema)]
pub struct EntryRefusalRow {
    /// entries_per_day or entries_total: the limit that last turned them away.
    pub reason: String,
    pub people: i64,
}

/// Entered, sent, delivered, converted, by step and variant, with each variant's lift over
/// the holdout, and clicks on the journey's tracked links with click-through.
#[utoipa::path(get, path = "/api/v1/journeys/{id}/readout", tag = "journeys", security(("bearer" = []), ("session" = [])),
    params(("id" = i64, Path), WorkspaceParam), responses((status = 200, body = Readout), (status = 404, body = ApiError)))]
async fn readout(
    access: Access,
    State(state): State<AppState>,
    ApiPath(id): ApiPath<JourneyId>,
) -> Result<Json<Readout>, ApiError> {
    access.require(Permission::PeopleRead)?;
    found(&state, &access, id).await?;
    let ws = access.ws();
    let rows = |r: Vec<rekindle_store::ReadoutRow>| {
        r.into_iter()
            .map(|r| CountRow { step: r.step, variant: r.variant, outcome: r.outcome, count: r.count })
            .collect::<Vec<_>>()
    };
    let steps = rows(state.store.journey_step_counts(ws, id).await?);
    let entry_refusals = state
        .store
        .journey_entry_refusals(ws, id)
        .await?
        .into_iter()
        .map(|(reason, people)| EntryRefusalRow { reason, people })
        .collect();
    let messages = rows(state.store.journey_message_counts(ws, id).await?);
    let counts = state.store.journey_conversions(ws, id).await?;
    let variants: Vec<VariantRow> = counts
        .iter()
        .map(|c| VariantRow {
            variant: c.variant.clone(),
            entered: c.entered,
            converted: c.converted,
            rate: if c.entered > 0 { c.converted as f64 / c.entered as f64 } else { 0.0 },
        })
        .collect();
    let by_variant: BTreeMap<&str, (u64, u64)> =
        counts.iter().filter_map(|c| Some((c.variant.as_deref()?, (c.entered as u64, c.converted as u64)))).collect();
    let holdout = by_variant.get(rekindle_core::journey::HOLDOUT).copied();
    let lift = by_variant
        .iter()
        .filter(|(v, _)| **v != rekindle_core::journey::HOLDOUT)
        .filter_map(|(v, treated)| {
            let l = rekindle_models::lift::lift(*treated, holdout?)?;
            Some(LiftRow {
                variant: (*v).to_owned(),
                treated_rate: l.treated_rate,
                holdout_rate: l.holdout_rate,
                difference: l.difference,
                ci_low: l.ci_low,
                ci_high: l.ci_high,
                relative: l.relative,
                p_value: l.p_value,
            })
        })
        .collect();
    let clicks = state
        .store
        .journey_clicks(ws, id)
        .await?
        .into_iter()
        .map(|c| ClickRow {
            rate: if c.reached > 0 { c.clickers as f64 / c.reached as f64 } else { 0.0 },
            step: c.step,
            reached: c.reached,
            clickers: c.clickers,
            clicks: c.clicks,
        })
        .collect();
    let winners = state.store.journey_winners(ws).await?.into_iter().filter(|w| w.journey == id).collect();
    Ok(Json(Readout { steps, messages, variants, lift, clicks, entry_refusals, winners }))
}

#[derive(Serialize, ToSchema)]
pub struct ShippedList {
    pub templates: Vec<rekindle_journeys::Shipped>,
}

/// The journeys Rekindle ships, with the message templates and coupons each needs.
#[utoipa::path(get, path = "/api/v1/journey-templates", tag = "journeys", security(("bearer" = []), ("session" = [])),
    params(WorkspaceParam), responses((status = 200, body = ShippedList)))]
async fn shipped_templates(access: Access) -> Result<Json<ShippedList>, ApiError> {
    access.require(Permission::PeopleRead)?;
    Ok(Json(ShippedList { templates: rekindle_journeys::shipped() }))
}
