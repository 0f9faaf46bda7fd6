//! Saved segments: CRUD with versions, sizes and trends (docs/segments.md). Their members are
//! in `segment_members.rs`.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use chrono::{DateTime, Duration, Utc};
use rekindle_core::SegmentId;
use rekindle_core::access::Permission;
use rekindle_rules::parse;
use rekindle_store::{NewSegment, Segment, SegmentEdit, SegmentKind};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::ApiPath;
use super::Body;
use super::WorkspaceParam;
use super::input::{actor, checked_rule, checked_text};
use crate::auth::Access;
use crate::auth::{Can, perm};
use crate::error::ApiError;
use crate::state::AppState;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(list_segments, create_segment)).routes(routes!(
        get_segment,
        update_segment,
        delete_segment
    ))
}

/// How far back a segment's trend reaches, and at most how many points it has.
const TREND_DAYS: i64 = 30;
const TREND_POINTS: usize = 60;

#[derive(Serialize, ToSchema)]
pub struct SizePoint {
    pub at: DateTime<Utc>,
    pub size: u64,
}

#[derive(Serialize, ToSchema)]
pub struct SegmentView {
    pub id: i64,
    pub name: String,
    pub description: String,
    pub rule: String,
    /// custom or persona
    #[schema(value_type = SegmentKind)]
    pub kind: String,
    pub version: i32,
    /// Members now.
    pub size: u64,
    /// Why the stored rule no longer parses (a rule saved before a cap existed, or by an older
    /// version): the segment selects nobody until its rule is fixed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rule_error: Option<ApiError>,
    /// Sizes recorded over the last 30 days, oldest first.
    pub trend: Vec<SizePoint>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    /// Newest first; only on a single segment.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub versions: Option<Vec<VersionView>>,
}

#[derive(Serialize, ToSchema)]
#[schema(as = SegmentVersion)]
pub struct VersionView {
    pub version: i32,
    pub rule: String,
    pub created_at: DateTime<Utc>,
    #[schema(required = true)]
    pub created_by: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct SegmentList {
    pub segments: Vec<SegmentView>,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SegmentInput {
    name: Option<String>,
    description: Option<String>,
    rule: Option<String>,
}

async fn view(state: &AppState, access: &Access, s: Segment, detail: bool) -> Result<SegmentView, ApiError> {
    let ws = access.ws();
    let since = state.engine.now() - Duration::days(TREND_DAYS);
    let sizes = state.store.segment_sizes(ws, s.id, since).await?;
    // Thinned evenly to at most TREND_POINTS, keeping the newest.
    let step = sizes.len().div_ceil(TREND_POINTS).max(1);
    let trend: Vec<SizePoint> =
        sizes.iter().rev().step_by(step).rev().map(|z| SizePoint { at: z.at, size: z.size }).collect();
    // Recorded sizes are hourly; the size now is counted on the current audience.
    let audience = state.engine.audience(ws).await?;
    let (size, rule_error) = match parse(&s.rule) {
        Ok(rule) => (audience.select(&rule).count() as u64, None),
        Err(e) => (0, Some(ApiError::rule("rule", &e, access.lang.rules()))),
    };
    let versions = if detail {
        let versions = state.store.segment_versions(ws, s.id).await?;
        Some(
            versions
                .into_iter()
                .map(|v| VersionView {
                    version: v.version,
                    rule: v.rule,
                    created_at: v.created_at,
                    created_by: v.created_by,
                })
                .collect(),
        )
    } else {
        None
    };
    Ok(SegmentView {
        id: s.id.0,
        name: s.name,
        description: s.description,
        rule: s.rule,
        kind: s.kind.as_str().into(),
        version: s.version,
        size,
        rule_error,
        trend,
        created_at: s.created_at,
        updated_at: s.updated_at,
        versions,
    })
}

pub(super) async fn found(state: &AppState, access: &Access, id: SegmentId) -> Result<Segment, ApiError> {
    state.store.segment(access.ws(), id).await?.ok_or_else(|| ApiError::not_found(format!("segment {id}")))
}

/// Bring membership up to date now, so a saved segment shows its members at once.
async fn refresh(state: &AppState, access: &Access) -> Result<(), ApiError> {
    state.engine.refresh(access.ws()).await?;
    Ok(())
}

/// The workspace's segments with their sizes and trends.
#[utoipa::path(get, path = "/api/v1/segments", tag = "segments", security(("bearer" = []), ("session" = [])),
    params(WorkspaceParam), responses((status = 200, body = SegmentList), (status = 401, body = ApiError)))]
async fn list_segments(access: Access, State(state): State<AppState>) -> Result<Json<SegmentList>, ApiError> {
    access.require(Permission::PeopleRead)?;
    // Brings a new workspace its persona segments and every segment its first size.
    state.engine.audience(access.ws()).await?;
    let mut segments = Vec::new();
    for s in state.store.segments(access.ws()).await? {
        segments.push(view(&state, &access, s, false).await?);
    }
    Ok(Json(SegmentList { segments }))
}

/// Save a segment. Its membership is computed at once and kept live from then on.
#[utoipa::path(post, path = "/api/v1/segments", tag = "segments", security(("bearer" = []), ("session" = [])),
    params(WorkspaceParam), request_body = SegmentInput,
    responses((status = 201, body = SegmentView), (status = 400, body = ApiError), (status = 409, body = ApiError)))]
async fn create_segment(
    access: Can<perm::SegmentsManage>,
    State(state): State<AppState>,
    Body(input): Body<SegmentInput>,
) -> Result<(StatusCode, Json<SegmentView>), ApiError> {
    let name = checked_text("name", input.name.as_deref().unwrap_or_default(), 1, 100)?;
    let description = checked_text("description", input.description.as_deref().unwrap_or_default(), 0, 500)?;
    let (rule, _) = checked_rule("rule", input.rule.as_deref().unwrap_or_default(), access.lang)?;
    let new = NewSegment {
        name,
        description,
        rule,
        kind: SegmentKind::Custom,
        by: Some(actor(&access)),
        at: state.engine.now(),
    };
    let segment = state.store.create_segment(access.ws(), &new).await?;
    access.audit(&state, "segment.create", format!("{} ({})", segment.name, segment.id)).await;
    refresh(&state, &access).await?;
    Ok((StatusCode::CREATED, Json(view(&state, &access, segment, true).await?)))
}

/// A segment with its version history.
#[utoipa::path(get, path = "/api/v1/segments/{id}", tag = "segments", security(("bearer" = []), ("session" = [])),
    params(("id" = i64, Path, description = "Segment id"), WorkspaceParam),
    responses((status = 200, body = SegmentView), (status = 404, body = ApiError)))]
async fn get_segment(
    access: Access,
    State(state): State<AppState>,
    ApiPath(id): ApiPath<SegmentId>,
) -> Result<Json<SegmentView>, ApiError> {
    access.require(Permission::PeopleRead)?;
    let segment = found(&state, &access, id).await?;
    Ok(Json(view(&state, &access, segment, true).await?))
}

/// Change a segment's name, description or rule. A new rule is a new version; membership
/// follows it at once, with the entries and exits it causes recorded.
#[utoipa::path(put, path = "/api/v1/segments/{id}", tag = "segments", security(("bearer" = []), ("session" = [])),
    params(("id" = i64, Path, description = "Segment id"), WorkspaceParam), request_body = SegmentInput,
    responses((status = 200, body = SegmentView), (status = 400, body = ApiError), (status = 404, body = ApiError)))]
async fn update_segment(
    access: Can<perm::SegmentsManage>,
    State(state): State<AppState>,
    ApiPath(id): ApiPath<SegmentId>,
    Body(input): Body<SegmentInput>,
) -> Result<Json<SegmentView>, ApiError> {
    let edit = SegmentEdit {
        name: input.name.as_deref().map(|n| checked_text("name", n, 1, 100)).transpose()?,
        description: input.description.as_deref().map(|d| checked_text("description", d, 0, 500)).transpose()?,
        rule: input.rule.as_deref().map(|r| checked_rule("rule", r, access.lang).map(|(text, _)| text)).transpose()?,
        by: Some(actor(&access)),
        at: state.engine.now(),
    };
    let segment = state.store.update_segment(access.ws(), id, &edit).await?;
    access.audit(&state, "segment.update", format!("{} ({}) v{}", segment.name, segment.id, segment.version)).await;
    refresh(&state, &access).await?;
    Ok(Json(view(&state, &access, segment, true).await?))
}

/// Delete a segment and its membership; the entries and exits recorded stay.
#[utoipa::path(delete, path = "/api/v1/segments/{id}", tag = "segments", security(("bearer" = []), ("session" = [])),
    params(("id" = i64, Path, description = "Segment id"), WorkspaceParam),
    responses((status = 204), (status = 404, body = ApiError)))]
async fn delete_segment(
    access: Access,
    State(state): State<AppState>,
    ApiPath(id): ApiPath<SegmentId>,
) -> Result<StatusCode, ApiError> {
    access.require(Permission::SegmentsManage)?;
    let segment = found(&state, &access, id).await?;
    state.store.delete_segment(access.ws(), id).await?;
    access.audit(&state, "segment.delete", format!("{} ({})", segment.name, segment.id)).await;
    Ok(StatusCode::NO_CONTENT)
}
