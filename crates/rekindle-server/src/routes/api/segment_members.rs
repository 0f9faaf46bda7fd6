//! Who is in a segment: a preview for a rule being written, the members of a saved one (paged
//! and as CSV) and their entries and exits (docs/segments.md).

use axum::Json;
use axum::extract::State;
use axum::response::Response;
use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use rekindle_core::access::Permission;
use rekindle_core::money::yuan_text;
use rekindle_core::{PersonId, SegmentId, csv_cell};
use rekindle_engine::Audience;
use rekindle_store::PersonRef;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::export_words::LangParam;
use super::input::checked_rule;
use super::segments::found;
use super::{ApiPath, Body, Limit, Params, WorkspaceParam};
use crate::auth::{Access, Can, perm};
use crate::error::ApiError;
use crate::state::AppState;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(preview))
        .routes(routes!(members))
        .routes(routes!(members_csv))
        .routes(routes!(changes))
}

/// People shown in a preview.
const SAMPLE: usize = 10;

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
    let (_, rule) = checked_rule("rule", &input.rule, access.lang)?;
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
    ApiPath(id): ApiPath<SegmentId>,
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

/// Every member as CSV for Excel: person, nickname, phone (masked for roles without
/// pii.read), stage, tier, orders, spend in yuan, last order, member since; headers and words
/// in the operator's language, times in the store's time zone, UTF-8 with a BOM.
#[utoipa::path(get, path = "/api/v1/segments/{id}/members.csv", tag = "segments", security(("bearer" = []), ("session" = [])),
    params(("id" = i64, Path, description = "Segment id"), WorkspaceParam, LangParam),
    responses((status = 200, content_type = "text/csv", body = String), (status = 404, body = ApiError)))]
async fn members_csv(
    access: Access,
    State(state): State<AppState>,
    ApiPath(id): ApiPath<SegmentId>,
    Params(LangParam { lang }): Params<LangParam>,
) -> Result<Response, ApiError> {
    access.require(Permission::PeopleRead)?;
    let segment = found(&state, &access, id).await?;
    let ws = access.ws();
    let lang = lang.unwrap_or_default();
    let tz: Tz = access.time_zone();
    let local = |t: DateTime<Utc>| t.with_timezone(&tz).format("%Y-%m-%d %H:%M:%S").to_string();
    let audience = state.engine.audience(ws).await?;
    let mut out = super::csv_file::writer();
    let write_err = |e: csv::Error| ApiError::internal(&e);
    out.write_record(lang.member_columns()).map_err(write_err)?;
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
                lang.stage(member.map(|x| x.stage)).into(),
                lang.tier(member.map(|x| x.tier)).into(),
                csv_cell::number(profile.map_or(0, |p| p.order_count())),
                yuan_text(profile.map_or(0, |p| p.spend_fen())),
                profile.and_then(|p| p.last_order()).map(local).unwrap_or_default(),
                local(m.since),
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
    Ok(super::csv_file::response(&format!("segment-{id}"), bytes))
}

/// People entering and leaving the segment, newest first.
#[utoipa::path(get, path = "/api/v1/segments/{id}/changes", tag = "segments", security(("bearer" = []), ("session" = [])),
    params(("id" = i64, Path, description = "Segment id"), WorkspaceParam, Limit),
    responses((status = 200, body = ChangeList), (status = 404, body = ApiError)))]
async fn changes(
    access: Access,
    State(state): State<AppState>,
    ApiPath(id): ApiPath<SegmentId>,
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
