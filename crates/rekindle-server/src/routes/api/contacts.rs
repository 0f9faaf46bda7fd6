//! WeCom relationships (docs/relationships.md): reach per staff member and value per source
//! across the store, and one customer's friendships with staff members.

use axum::Json;
use axum::extract::State;
use chrono::{DateTime, Utc};
use rekindle_core::contacts::{ContactFigures, Link, SenderRule};
use serde::Serialize;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::people::find;
use super::{ApiPath, WorkspaceParam};
use crate::auth::Access;
use crate::error::ApiError;
use crate::state::AppState;
use rekindle_core::access::Permission;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(contact_figures)).routes(routes!(person_contacts))
}

/// Reach per staff member (friends now, who only they reach, added and lost in 30 days) and
/// what customers from each source have spent (LTV to date), over the store's customers as of
/// the last refresh.
#[utoipa::path(get, path = "/api/v1/contacts", tag = "contacts", security(("bearer" = []), ("session" = [])),
    params(WorkspaceParam),
    responses((status = 200, body = ContactFigures), (status = 403, body = ApiError)))]
async fn contact_figures(access: Access, State(state): State<AppState>) -> Result<Json<ContactFigures>, ApiError> {
    access.require(Permission::PeopleRead)?;
    let audience = state.engine.audience(access.ws()).await?;
    let customers = audience.members.iter().map(|m| (&m.profile.contacts, m.profile.spend_fen()));
    Ok(Json(ContactFigures::of(customers, audience.now)))
}

/// One staff member's friendship with the customer.
#[derive(Serialize, ToSchema)]
pub struct Friendship {
    pub staff_id: String,
    /// A friend now.
    pub friend: bool,
    /// When the staff member was first added, and most recently.
    pub since: Option<DateTime<Utc>>,
    pub added_at: Option<DateTime<Utc>>,
    /// When the friendship last ended and who ended it: `customer`, `staff`, `transfer` or
    /// `unknown`.
    pub removed_at: Option<DateTime<Utc>>,
    pub removed_by: Option<String>,
    /// Where the first add came from (`live`, `parcel`, `store`, `ads`, …) and its channel code.
    pub source: Option<String>,
    pub code: Option<String>,
}

impl Friendship {
    /// A customer's friendships: friends first, then ended ones; longest-standing first.
    pub fn list(r: &rekindle_core::contacts::Relationships) -> Vec<Self> {
        let mut all: Vec<_> = r.all().map(|(s, l, friend)| Self::of(s, l, friend)).collect();
        all.sort_by(|a, b| b.friend.cmp(&a.friend).then(a.since.cmp(&b.since)).then(a.staff_id.cmp(&b.staff_id)));
        all
    }

    fn of(staff: &str, l: &Link, friend: bool) -> Self {
        Self {
            staff_id: staff.into(),
            friend,
            since: l.since,
            added_at: l.added,
            removed_at: l.removed.map(|(t, _)| t),
            removed_by: l.removed.map(|(_, by)| by.as_str().into()),
            source: l.origin().map(|(_, s, _)| s.into()),
            code: l.origin().and_then(|(_, _, c)| c).map(Into::into),
        }
    }
}

/// A customer's WeCom friendships.
#[derive(Serialize, ToSchema)]
pub struct PersonContacts {
    /// A friend of at least one staff member.
    pub reachable: bool,
    /// Who sends by default (the longest-standing friendship) and who was added last.
    pub owner: Option<String>,
    pub recent: Option<String>,
    /// Friends first, then ended friendships; within each, longest-standing first.
    pub friendships: Vec<Friendship>,
}

/// A customer's friendships with staff members: since when, through which code, who ended
/// each one, and who sends to them. As of the last refresh.
#[utoipa::path(get, path = "/api/v1/people/{person}/contacts", tag = "contacts", security(("bearer" = []), ("session" = [])),
    params(("person" = String, Path, description = "Person id or identifier"), WorkspaceParam),
    responses((status = 200, body = PersonContacts), (status = 400, body = ApiError), (status = 404, body = ApiError)))]
async fn person_contacts(
    access: Access,
    State(state): State<AppState>,
    ApiPath(person): ApiPath<String>,
) -> Result<Json<PersonContacts>, ApiError> {
    let person = find(&state, &access, &person).await?.id;
    let audience = state.engine.audience(access.ws()).await?;
    let Some(member) = audience.member(person) else {
        return Ok(Json(PersonContacts { reachable: false, owner: None, recent: None, friendships: vec![] }));
    };
    let r = &member.profile.contacts;
    let named = |s: Option<&str>| s.filter(|s| !s.is_empty()).map(str::to_owned);
    let friendships = Friendship::list(r);
    Ok(Json(PersonContacts {
        reachable: r.reachable(),
        owner: named(SenderRule::Owner.choose(r)),
        recent: named(SenderRule::Recent.choose(r)),
        friendships,
    }))
}
