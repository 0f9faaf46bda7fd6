//! Everyone, a page at a time: the list an operator browses before searching, sorted and
//! filtered by what the engine judged (stage, tier, orders, spend, when they were seen).

use axum::Json;
use axum::extract::State;
use chrono::{DateTime, Utc};
use rekindle_core::PersonId;
use rekindle_core::access::Permission;
use rekindle_core::lifecycle::{Stage, Tier};
use rekindle_engine::{Browse, SortBy};
use rekindle_store::PersonRef;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::{Params, WorkspaceParam};
use crate::auth::Access;
use crate::error::{ApiError, ErrorCode};
use crate::state::AppState;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(list_people))
}

/// The most people one page holds.
const MAX_PAGE: usize = 200;

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ListParams {
    /// last_seen (the default), first_seen, last_order, orders or spend.
    sort: Option<String>,
    /// desc (the default: newest or largest first) or asc.
    order: Option<String>,
    /// Only people in this lifecycle stage.
    #[param(value_type = Option<rekindle_core::lifecycle::Stage>)]
    stage: Option<String>,
    /// Only people in this value tier.
    #[param(value_type = Option<rekindle_core::lifecycle::Tier>)]
    tier: Option<String>,
    /// Page number from 1.
    page: Option<u32>,
    /// People per page (default 50, at most 200).
    per_page: Option<u32>,
}

#[derive(Serialize, ToSchema)]
pub struct ListedPerson {
    #[schema(value_type = String)]
    pub id: PersonId,
    #[schema(required = true)]
    pub name: Option<String>,
    /// Masked for roles without `pii.read`.
    #[schema(required = true)]
    pub phone: Option<String>,
    #[schema(value_type = rekindle_core::lifecycle::Stage)]
    pub stage: String,
    #[schema(value_type = rekindle_core::lifecycle::Tier)]
    pub tier: String,
    pub orders: usize,
    pub spend_fen: i64,
    /// Their first and latest event, by the events' own times (not when they were imported).
    #[schema(required = true)]
    pub first_seen: Option<DateTime<Utc>>,
    #[schema(required = true)]
    pub last_seen: Option<DateTime<Utc>>,
    #[schema(required = true)]
    pub last_order: Option<DateTime<Utc>>,
}

#[derive(Serialize, ToSchema)]
pub struct PeoplePage {
    /// Everyone the filter matched.
    pub total: usize,
    pub page: u32,
    pub per_page: u32,
    pub people: Vec<ListedPerson>,
}

fn browse(p: &ListParams) -> Result<(Browse, u32, u32), ApiError> {
    let bad = |field: &str, reason: String| ApiError::field(ErrorCode::InvalidField, field, reason);
    let sort = match p.sort.as_deref() {
        None => SortBy::default(),
        Some(s) => SortBy::parse(s).ok_or_else(|| bad("sort", format!("must be one of {}", SortBy::WORDS)))?,
    };
    let ascending = match p.order.as_deref() {
        None | Some("desc") => false,
        Some("asc") => true,
        Some(_) => return Err(bad("order", "must be asc or desc".into())),
    };
    let stage = p.stage.as_deref().map(|s| s.parse::<Stage>().map_err(|e| bad("stage", e.to_string()))).transpose()?;
    let tier = p.tier.as_deref().map(|t| t.parse::<Tier>().map_err(|e| bad("tier", e.to_string()))).transpose()?;
    let page = p.page.unwrap_or(1);
    let per_page = p.per_page.unwrap_or(50);
    if page == 0 || page > 1_000_000 {
        return Err(bad("page", "must be between 1 and 1000000".into()));
    }
    if per_page == 0 || per_page as usize > MAX_PAGE {
        return Err(bad("per_page", format!("must be between 1 and {MAX_PAGE}")));
    }
    let offset = (page as usize - 1) * per_page as usize;
    Ok((Browse { stage, tier, sort, ascending, offset, limit: per_page as usize }, page, per_page))
}

/// Everyone the engine judged, a page at a time, sorted and filtered.
#[utoipa::path(get, path = "/api/v1/people/list", tag = "people", security(("bearer" = []), ("session" = [])),
    params(ListParams, WorkspaceParam),
    responses((status = 200, body = PeoplePage), (status = 400, body = ApiError), (status = 401, body = ApiError)))]
async fn list_people(
    access: Access,
    State(state): State<AppState>,
    Params(params): Params<ListParams>,
) -> Result<Json<PeoplePage>, ApiError> {
    access.require(Permission::PeopleRead)?;
    let (b, page, per_page) = browse(&params)?;
    let audience = state.engine.audience(access.ws()).await?;
    let found = audience.browse(&b);
    let mut people = Vec::with_capacity(found.members.len());
    for m in found.members {
        let person = state.store.person(access.ws(), &PersonRef::Id(m.person)).await?;
        let phone = person.as_ref().and_then(|p| p.phone());
        let p = &m.profile;
        people.push(ListedPerson {
            id: m.person,
            name: person.and_then(|p| p.nickname()),
            phone,
            stage: m.stage.as_str().into(),
            tier: m.tier.as_str().into(),
            orders: p.order_count(),
            spend_fen: p.spend_fen(),
            first_seen: p.first_seen,
            last_seen: p.last_seen,
            last_order: p.last_order(),
        });
    }
    let people = super::for_role(people, &access);
    Ok(Json(PeoplePage { total: found.total, page, per_page, people }))
}
