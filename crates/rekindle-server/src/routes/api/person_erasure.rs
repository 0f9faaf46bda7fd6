//! A person's data on their request (PIPL; docs/privacy.md): a copy of everything held about
//! them, and erasure.

use std::collections::BTreeMap;

use axum::Json;
use axum::extract::{Path, State};
use chrono::{DateTime, Utc};
use rekindle_core::access::Permission;
use rekindle_store::PersonExport;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::people::find;
use super::{Params, PersonView, WorkspaceParam};
use crate::auth::Access;
use crate::error::{ApiError, ErrorCode};
use crate::state::AppState;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(erase_person)).routes(routes!(export_person))
}

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct Confirm {
    /// The person's id (as `GET /api/v1/people/{person}` answers it), repeated to confirm an
    /// irreversible erasure.
    confirm: Option<String>,
}

/// What an erasure removed.
#[derive(Serialize, ToSchema)]
pub struct ErasureView {
    /// The person erased.
    pub person: String,
    /// People merged into them, erased with them.
    pub merged: Vec<String>,
    /// Rows deleted, by table.
    pub deleted: BTreeMap<String, u64>,
    /// Rows of others (events, the audit log) whose text named one of the person's
    /// identifiers, scrubbed, by table.
    pub scrubbed: BTreeMap<String, u64>,
    /// The person's orders kept for the store's totals, anonymised.
    pub orders_kept: u64,
}

/// Erase a person and everyone merged into them, irreversibly (owner only; audited). Their
/// orders stay in the store's totals, anonymised; everything else about them goes. A later
/// event with one of their identifiers starts a new person.
#[utoipa::path(delete, path = "/api/v1/people/{person}", tag = "people", security(("bearer" = []), ("session" = [])),
    params(("person" = String, Path, description = "Person id or identifier"), Confirm, WorkspaceParam),
    responses((status = 200, body = ErasureView), (status = 400, body = ApiError), (status = 403, body = ApiError),
        (status = 404, body = ApiError)))]
async fn erase_person(
    access: Access,
    State(state): State<AppState>,
    Path(who): Path<String>,
    Params(confirm): Params<Confirm>,
) -> Result<Json<ErasureView>, ApiError> {
    access.require(Permission::PeopleErase)?;
    let confirm = confirm.confirm.map(|c| c.trim().to_string()).filter(|c| !c.is_empty());
    let Some(confirm) = confirm else {
        return Err(ApiError::field(
            ErrorCode::InvalidField,
            "confirm",
            "erasure is irreversible: repeat the person's id as ?confirm=<id>",
        ));
    };
    let person = find(&state, &access, &who).await?;
    if confirm != person.id.to_string() {
        return Err(ApiError::field(
            ErrorCode::InvalidField,
            "confirm",
            format!("must be the person's id {}", person.id),
        ));
    }
    let report = state.engine.erase(access.ws(), person.id).await?;
    // The desk is built again from the log, which no longer holds their tickets or messages.
    state.desk.reset(access.ws());
    state.groups.reset(access.ws());
    state.ugc.reset(access.ws());
    state.subscriptions.reset(access.ws());
    state.reach.reset(access.ws());
    let merged: Vec<String> = report.merged.iter().map(ToString::to_string).collect();
    let target = if merged.is_empty() {
        report.person.to_string()
    } else {
        format!("{} (with {})", report.person, merged.join(", "))
    };
    access.audit(&state, "person.erase", target).await;
    Ok(Json(ErasureView {
        person: report.person.to_string(),
        merged,
        deleted: report.deleted,
        scrubbed: report.scrubbed,
        orders_kept: report.orders_kept,
    }))
}

/// Everything held about a person, as one document.
#[derive(Serialize, ToSchema)]
pub struct PersonExportView {
    pub exported_at: DateTime<Utc>,
    /// The workspace (store) slug.
    pub workspace: String,
    /// The person, every identifier and trait.
    pub person: PersonView,
    /// People merged into them.
    pub merged: Vec<String>,
    /// How the engine judges them now: stage, value tier, RFM, tags, predictions. Null when
    /// they have no events.
    #[schema(value_type = Option<Object>, required = true)]
    pub judged: Option<Value>,
    /// Every stored row about them, by table: events with their payloads, merges,
    /// memberships, stages, tags, scores, enrollments, messages, coupons, consent,
    /// subscriptions.
    pub records: BTreeMap<String, Vec<Value>>,
}

impl PersonExportView {
    pub fn new(workspace: &str, export: PersonExport, judged: Option<Value>) -> Self {
        Self {
            exported_at: Utc::now(),
            workspace: workspace.to_string(),
            person: export.person.into(),
            merged: export.merged.iter().map(ToString::to_string).collect(),
            judged,
            records: export.records,
        }
    }
}

/// A copy of everything held about a person, unmasked (needs `pii.read`; audited).
#[utoipa::path(get, path = "/api/v1/people/{person}/export", tag = "people", security(("bearer" = []), ("session" = [])),
    params(("person" = String, Path, description = "Person id or identifier"), WorkspaceParam),
    responses((status = 200, body = PersonExportView), (status = 403, body = ApiError), (status = 404, body = ApiError)))]
async fn export_person(
    access: Access,
    State(state): State<AppState>,
    Path(who): Path<String>,
) -> Result<Json<PersonExportView>, ApiError> {
    access.require(Permission::PiiRead)?;
    let person = find(&state, &access, &who).await?;
    let export = state.store.export_person(access.ws(), person.id).await?;
    let audience = state.engine.audience(access.ws()).await?;
    let judged = audience.member(person.id).map(|m| {
        serde_json::json!({
            "stage": m.stage.as_str(),
            "tier": m.tier.as_str(),
            "rfm": {"r": m.rfm.r, "f": m.rfm.f, "m": m.rfm.m},
            "tags": &*m.tags,
            "scores": m.scores.as_deref(),
        })
    });
    access.audit(&state, "person.export", person.id.to_string()).await;
    Ok(Json(PersonExportView::new(&access.workspace.slug, export, judged)))
}
