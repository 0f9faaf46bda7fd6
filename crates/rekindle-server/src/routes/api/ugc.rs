//! UGC (晒单, docs/ugc.md): what customers shared, reviewed by an operator (approve / reject),
//! and the approved items by product. A review is an event, `UGC Reviewed`, on the customer:
//! the shipped reward journey triggers on it.

use axum::Json;
use axum::extract::State;
use rekindle_core::access::Permission;
use rekindle_core::events;
use rekindle_core::ugc::{Decision, Item, Status};
use rekindle_store::PersonRef;
use serde::{Deserialize, Serialize};
use serde_json::json;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::redact::{shown_name, shown_text};
use super::service::record;
use super::{ApiPath, Body, Params, WorkspaceParam};
use crate::auth::{Access, Can, perm};
use crate::error::{ApiError, ErrorCode};
use crate::state::AppState;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(list_ugc)).routes(routes!(ugc_library)).routes(routes!(review_ugc))
}

/// Longest reason a reviewer writes.
const MAX_REASON: usize = 200;

#[derive(Serialize, ToSchema)]
pub struct UgcRow {
    #[serde(flatten)]
    pub item: Item,
    pub status: Status,
    /// The customer's name, masked by what it holds for roles without `pii.read`.
    pub name: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct UgcList {
    pub items: Vec<UgcRow>,
    /// Waiting for a review, however many are listed.
    pub pending: usize,
}

#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct UgcParams {
    /// `pending` (default, oldest first), `approved`, `rejected` or `all` (newest first).
    status: Option<String>,
    /// At most this many (default 100, 1 to 500).
    limit: Option<u32>,
}

async fn rows(state: &AppState, access: &Access, items: Vec<Item>) -> Result<Vec<UgcRow>, ApiError> {
    let mut out = Vec::with_capacity(items.len());
    for mut item in items {
        let name = shown_name(state, access, item.person).await?;
        item.text = item.text.map(|t| shown_text(access, t));
        let status = item.status();
        out.push(UgcRow { item, status, name });
    }
    Ok(out)
}

/// Shared content, the review queue first.
#[utoipa::path(get, path = "/api/v1/ugc", tag = "ugc", security(("bearer" = []), ("session" = [])),
    params(UgcParams, WorkspaceParam),
    responses((status = 200, body = UgcList), (status = 400, body = ApiError), (status = 403, body = ApiError)))]
async fn list_ugc(
    access: Access,
    State(state): State<AppState>,
    Params(p): Params<UgcParams>,
) -> Result<Json<UgcList>, ApiError> {
    access.require(Permission::PeopleRead)?;
    let status = match p.status.as_deref().unwrap_or("pending") {
        "pending" => Some(Status::Pending),
        "approved" => Some(Status::Approved),
        "rejected" => Some(Status::Rejected),
        "all" => None,
        _ => {
            return Err(ApiError::field(
                ErrorCode::InvalidField,
                "status",
                "must be pending, approved, rejected or all",
            ));
        }
    };
    let limit = p.limit.unwrap_or(100);
    if !(1..=500).contains(&limit) {
        return Err(ApiError::field(ErrorCode::InvalidField, "limit", "must be between 1 and 500"));
    }
    let (items, pending) = state
        .ugc
        .look(access.ws(), |l| {
            let items: Vec<Item> = l.list(status).into_iter().take(limit as usize).cloned().collect();
            (items, l.list(Some(Status::Pending)).len())
        })
        .await?;
    Ok(Json(UgcList { items: rows(&state, &access, items).await?, pending }))
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct LibraryParams {
    /// The product's SKU.
    sku: String,
}

/// Approved content about a product, newest first: what a message may point to.
#[utoipa::path(get, path = "/api/v1/ugc/library", tag = "ugc", security(("bearer" = []), ("session" = [])),
    params(LibraryParams, WorkspaceParam),
    responses((status = 200, body = Vec<UgcRow>), (status = 400, body = ApiError), (status = 403, body = ApiError)))]
async fn ugc_library(
    access: Access,
    State(state): State<AppState>,
    Params(p): Params<LibraryParams>,
) -> Result<Json<Vec<UgcRow>>, ApiError> {
    access.require(Permission::PeopleRead)?;
    let items =
        state.ugc.look(access.ws(), |l| l.approved_for(&p.sku).into_iter().take(100).cloned().collect()).await?;
    Ok(Json(rows(&state, &access, items).await?))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReviewInput {
    /// `approved` or `rejected`.
    pub decision: String,
    /// Why (shown to the team; say it kindly, a rejection may be told to the customer).
    pub reason: Option<String>,
}

/// Approve or reject a piece of content. Approving starts the UGC reward journey (points, a
/// coupon, the 社区达人 tag); reviewing again replaces the decision.
#[utoipa::path(post, path = "/api/v1/ugc/{id}/review", tag = "ugc", security(("bearer" = []), ("session" = [])),
    params(("id" = String, Path, description = "The content's ugc_id"), WorkspaceParam), request_body = ReviewInput,
    responses((status = 200, body = UgcRow), (status = 400, body = ApiError), (status = 403, body = ApiError), (status = 404, body = ApiError)))]
async fn review_ugc(
    access: Can<perm::JourneysManage>,
    State(state): State<AppState>,
    ApiPath(id): ApiPath<String>,
    Body(input): Body<ReviewInput>,
) -> Result<Json<UgcRow>, ApiError> {
    let decision = Decision::parse(&input.decision)
        .ok_or_else(|| ApiError::field(ErrorCode::InvalidField, "decision", "must be approved or rejected"))?;
    if let Some(r) = &input.reason
        && (r.chars().count() > MAX_REASON || r.chars().any(char::is_control))
    {
        return Err(ApiError::field(
            ErrorCode::InvalidField,
            "reason",
            format!("at most {MAX_REASON} characters, no control characters"),
        ));
    }
    let item = state.ugc.look(access.ws(), |l| l.items.get(&id).filter(|i| i.submitted_at.is_some()).cloned()).await?;
    let Some(item) = item else { return Err(ApiError::not_found(format!("UGC {id}"))) };
    let person = state
        .store
        .person(access.ws(), &PersonRef::Id(item.person))
        .await?
        .ok_or_else(|| ApiError::not_found(format!("UGC {id}")))?;
    let by = super::service::by(&access);
    let message_id = format!("rekindle:ugc-review:{id}:{}", rekindle_core::ids::Uuid::now_v7().simple());
    let properties = json!({"ugc_id": id, "decision": decision.as_str(), "reason": input.reason, "by": by,
        "kind": item.kind, "sku": item.skus.first()});
    record(&state, &access, &person, events::UGC_REVIEWED, &message_id, properties).await?;
    access.audit(&state, "ugc.review", format!("{id} {}", decision.as_str())).await;
    let item = state.ugc.look(access.ws(), |l| l.items.get(&id).cloned()).await?.unwrap_or(item);
    Ok(Json(rows(&state, &access, vec![item]).await?.remove(0)))
}
