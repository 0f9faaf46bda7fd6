//! Saved segments: CRUD with versions, a preview for a rule being written, members (paged and
//! as CSV) and their entries and exits (docs/segments.md).

use axum::Json;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Duration, Utc};
use rekindle_core::access::Permission;
use rekindle_core::segment::parse;
use rekindle_core::{PersonId, csv_cell};
use rekindle_engine::Audience;
use rekindle_store::{NewSegment, PersonRef, Segment, SegmentEdit, SegmentKind};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::ApiPath;
use super::Body;
use super::input::{actor, checked_rule, checked_text};
use super::{Limit, Params, WorkspaceParam};
use crate::auth::Access;
use crate::auth::{Can, perm};
use crate::error::ApiError;
use crate::state::AppState;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_segments, create_segment))
        .routes(routes!(get_segment, update_segment, delete_segment))
        .routes(routes!(preview))
        .routes(routes!(members))
        .routes(routes!(members_csv))
        .routes(routes!(changes))
}

/// People shown in a preview.
const SAMPLE: usize = 10;
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

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = SegmentPreviewInput)]
pub struct PreviewInput {
    rule: String,
}

#[derive(Serialize, ToSchema)]
pub struct PersonRow {
    #[schema(value_type = String)]
    pub person: PersonId,
    /// The person's nickname, when they gave one.
    #[schema(required = true)]
    pub name: Option<String>,
    #[schema(value_type = rekindle_core::lifecycle::Stage)]
    pub stage: String,
    #[schema(value_type = rekindle_core::lifecycle::Tier)]
    pub tier: String,
}

#[derive(Serialize, ToSchema)]
pub struct Preview {
    pub count: usize,
    /// Everyone judged.
    pub total: usize,
    pub sample: Vec<PersonRow>,
}

#[derive(Serialize, ToSchema)]
pub struct MemberRow {
    #[serde(flatten)]
    pub person: PersonRow,
    pub since: DateTime<Utc>,
}

#[derive(Serialize, ToSchema)]
pub struct MemberPage {
    pub members: Vec<MemberRow>,
    /// Pass as `after` for the next page; null on the last.
    #[schema(value_type = Option<String>, required = true)]
    pub next: Option<PersonId>,
}

#[derive(Serialize, ToSchema)]
pub struct ChangeView {
    #[schema(value_type = String)]
    pub person: PersonId,
    /// entered or left
    #[schema(value_type = SegmentChange)]
    pub change: String,
    pub at: DateTime<Utc>,
}

/// A person entered or left a segment. Only describes `ChangeView::change` in the OpenAPI
/// document.
#[derive(ToSchema)]
#[schema(rename_all = "lowercase")]
#[allow(dead_code)]
pub enum SegmentChange {
    Entered,
    Left,
}

#[derive(Serialize, ToSchema)]
pub struct ChangeList {
    pub changes: Vec<ChangeView>,
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct MemberParams {
    /// At most this many (default 50, at most 1000).
    pub limit: Option<u32>,
    /// The last person of the previous page.
    #[param(value_type = Option<String>)]
    pub after: Option<PersonId>,
}

async fn view(state: &AppState, access: &Access, s: Segment, detail: bool) -> Result<SegmentView, ApiError> {
    let ws = access.ws();
    let since = Utc::now() - Duration::days(TREND_DAYS);
    let sizes = state.store.segment_sizes(ws, s.id, since).await?;
    // Thinned evenly to at most TREND_POINTS, keeping the newest.
    let step = sizes.len().div_ceil(TREND_POINTS).max(1);
    let trend: Vec<SizePoint> =
        sizes.iter().rev().step_by(step).rev().map(|z| SizePoint { at: z.at, size: z.size }).collect();
    // Recorded sizes are hourly; the size now is counted on the current audience.
    let audience = state.engine.audience(ws).await?;
    let (size, rule_error) = match parse(&s.rule) {
        Ok(rule) => (audience.select(&rule).count() as u64, None),
        Err(e) => (0, Some(ApiError::rule("rule", &e))),
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
        id: s.id,
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

async fn found(state: &AppState, access: &Access, id: i64) -> Result<Segment, ApiError> {
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
    let (rule, _) = checked_rule("rule", input.rule.as_deref().unwrap_or_default())?;
    let new =
        NewSegment { name, description, rule, kind: SegmentKind::Custom, by: Some(actor(&access)), at: Utc::now() };
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
    ApiPath(id): ApiPath<i64>,
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
    ApiPath(id): ApiPath<i64>,
    Body(input): Body<SegmentInput>,
) -> Result<Json<SegmentView>, ApiError> {
    let edit = SegmentEdit {
        name: input.name.as_deref().map(|n| checked_text("name", n, 1, 100)).transpose()?,
        description: input.description.as_deref().map(|d| checked_text("description", d, 0, 500)).transpose()?,
        rule: input.rule.as_deref().map(|r| checked_rule("rule", r).map(|(text, _)| text)).transpose()?,
        by: Some(actor(&access)),
        at: Utc::now(),
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
    ApiPath(id): ApiPath<i64>,
) -> Result<StatusCode, ApiError> {
    access.require(Permission::SegmentsManage)?;
    let segment = found(&state, &access, id).await?;
    state.store.delete_segment(access.ws(), id).await?;
    access.audit(&state, "segment.delete", format!("{} ({})", segment.name, segment.id)).await;
    Ok(StatusCode::NO_CONTENT)
}

async fn row(state: &AppState, access: &Access, audience: &Audience, person: PersonId) -> Result<PersonRow, ApiError> {
    let member = audience.member(person);
    let name = state.store.person(access.ws(), &PersonRef::Id(person)).await?.and_then(|p| p.nickname());
    let row = PersonRow {
        person,
        name,
        stage: member.map_or("prospect", |m| m.stage.as_str()).into(),
        tier: member.map_or("edge", |m| m.tier.as_str()).into(),
    };
    Ok(super::for_role(row, access))
}

/// How many people an unsaved rule selects now, with a few of them. Errors point at the
/// spot in the rule (`position`).
#[utoipa::path(post, path = "/api/v1/segments/preview", operation_id = "preview_segment", tag = "segments", security(("bearer" = []), ("session" = [])),
    params(WorkspaceParam), request_body = PreviewInput,
    responses((status = 200, body = Preview), (status = 400, body = ApiError)))]
async fn preview(
    access: Can<perm::PeopleRead>,
    State(state): State<AppState>,
    Body(input): Body<PreviewInput>,
) -> Result<Json<Preview>, ApiError> {
    let (_, rule) = checked_rule("rule", &input.rule)?;
    let audience = state.engine.audience(access.ws()).await?;
    let selected: Vec<PersonId> = audience.select(&rule).map(|m| m.person).collect();
    let mut sample = Vec::new();
    for p in selected.iter().take(SAMPLE) {
        sample.push(row(&state, &access, &audience, *p).await?);
    }
    Ok(Json(Preview { count: selected.len(), total: audience.members.len(), sample }))
}

/// A segment's members as last recorded, by person id.
#[utoipa::path(get, path = "/api/v1/segments/{id}/members", tag = "segments", security(("bearer" = []), ("session" = [])),
    params(("id" = i64, Path, description = "Segment id"), WorkspaceParam, MemberParams),
    responses((status = 200, body = MemberPage), (status = 404, body = ApiError)))]
async fn members(
    access: Access,
    State(state): State<AppState>,
    ApiPath(id): ApiPath<i64>,
    Params(q): Params<MemberParams>,
) -> Result<Json<MemberPage>, ApiError> {
    access.require(Permission::PeopleRead)?;
    found(&state, &access, id).await?;
    let limit = q.limit.unwrap_or(50).clamp(1, 1000);
    let page = state.store.segment_members(access.ws(), id, q.after, limit).await?;
    let audience = state.engine.audience(access.ws()).await?;
    let mut members = Vec::with_capacity(page.len());
    for m in &page {
        members.push(MemberRow { person: row(&state, &access, &audience, m.person).await?, since: m.since });
    }
    let next = (page.len() == limit as usize).then(|| page.last().map(|m| m.person)).flatten();
    Ok(Json(MemberPage { members, next }))
}

/// Every member as CSV: person, nickname, phone (masked for roles without pii.read), stage,
/// tier, orders, spend in fen, last order, member since.
#[utoipa::path(get, path = "/api/v1/segments/{id}/members.csv", tag = "segments", security(("bearer" = []), ("session" = [])),
    params(("id" = i64, Path, description = "Segment id"), WorkspaceParam),
    responses((status = 200, content_type = "text/csv", body = String), (status = 404, body = ApiError)))]
async fn members_csv(
    access: Access,
    State(state): State<AppState>,
    ApiPath(id): ApiPath<i64>,
) -> Result<Response, ApiError> {
    access.require(Permission::PeopleRead)?;
    let segment = found(&state, &access, id).await?;
    let ws = access.ws();
    let audience = state.engine.audience(ws).await?;
    let mut out = csv::Writer::from_writer(Vec::new());
    let write_err = |e: csv::Error| ApiError::internal(&e);
    out.write_record(["person", "nickname", "phone", "stage", "tier", "orders", "spend_fen", "last_order", "since"])
        .map_err(write_err)?;
    let mut after = None;
    loop {
        let page = state.store.segment_members(ws, id, after, 1000).await?;
        for m in &page {
            let person = state.store.person(ws, &PersonRef::Id(m.person)).await?;
            let nickname = person.as_ref().and_then(|p| p.nickname()).map(|n| super::redact::shown_text(&access, n));
            let phone = person
                .as_ref()
                .and_then(|p| p.identities.iter().find(|i| i.identifier.kind == rekindle_core::IdentifierKind::Phone))
                .map(|i| super::redact::shown(&access, i.identifier.kind, i.identifier.value.clone()));
            let member = audience.member(m.person);
            let profile = member.map(|x| &*x.profile);
            out.write_record([
                m.person.to_string(),
                csv_cell::text(&nickname.unwrap_or_default()).into_owned(),
                csv_cell::text(&phone.unwrap_or_default()).into_owned(),
                member.map_or("prospect", |x| x.stage.as_str()).into(),
                member.map_or("edge", |x| x.tier.as_str()).into(),
                csv_cell::number(profile.map_or(0, |p| p.order_count())),
                csv_cell::number(profile.map_or(0, |p| p.spend_fen())),
                profile.and_then(|p| p.last_order()).map(|t| t.to_rfc3339()).unwrap_or_default(),
                m.since.to_rfc3339(),
            ])
            .map_err(write_err)?;
        }
        if page.len() < 1000 {
            break;
        }
        after = page.last().map(|m| m.person);
    }
    let bytes = out.into_inner().map_err(|e| ApiError::internal(e.error()))?;
    access.audit(&state, "segment.export", format!("{} ({})", segment.name, segment.id)).await;
    let file = format!("attachment; filename=\"segment-{id}.csv\"");
    Ok(([(header::CONTENT_TYPE, "text/csv; charset=utf-8".to_string()), (header::CONTENT_DISPOSITION, file)], bytes)
        .into_response())
}

/// People entering and leaving the segment, newest first.
#[utoipa::path(get, path = "/api/v1/segments/{id}/changes", tag = "segments", security(("bearer" = []), ("session" = [])),
    params(("id" = i64, Path, description = "Segment id"), WorkspaceParam, Limit),
    responses((status = 200, body = ChangeList), (status = 404, body = ApiError)))]
async fn changes(
    access: Access,
    State(state): State<AppState>,
    ApiPath(id): ApiPath<i64>,
    Params(limit): Params<Limit>,
) -> Result<Json<ChangeList>, ApiError> {
    access.require(Permission::PeopleRead)?;
    found(&state, &access, id).await?;
    let changes = state.store.segment_changes(access.ws(), id, limit.get()).await?;
    Ok(Json(ChangeList {
        changes: changes
            .into_iter()
            .map(|c| ChangeView {
                person: c.person,
                change: if c.entered { "entered" } else { "left" }.into(),
                at: c.at,
            })
            .collect(),
    }))
}
