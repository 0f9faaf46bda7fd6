//! The WeCom chat sidebar (docs/relationships.md): what a staff member chatting with a
//! customer should know — profile, tier and level, predictions, open tickets, their
//! friendships — and a few scripts to start from, within the caller's masking.

use axum::Json;
use axum::extract::State;
use chrono::{DateTime, Utc};
use rekindle_core::access::Permission;
use rekindle_core::contacts::SenderRule;
use rekindle_core::contacts::scripts::{Facts, Script, suggest};
use rekindle_core::scores::{Risk, RunOut};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::contacts::Friendship;
use super::export_words::Lang;
use super::loyalty::points_of;
use super::people::find;
use super::redact::shown_name;
use super::{Params, WorkspaceParam};
use crate::auth::Access;
use crate::error::{ApiError, ErrorCode};
use crate::state::AppState;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(sidebar))
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct SidebarParams {
    /// The customer: their WeCom external userid (what `getCurExternalContact` gives), a
    /// person id or any identifier.
    customer: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct SidebarTicket {
    pub ticket_id: String,
    pub opened_at: Option<DateTime<Utc>>,
    pub reason: Option<String>,
}

/// One customer, for the staff member chatting with them.
#[derive(Serialize, ToSchema)]
pub struct SidebarView {
    #[schema(value_type = String)]
    pub person: rekindle_core::PersonId,
    pub name: Option<String>,
    pub stage: String,
    pub tier: String,
    /// Member level and points balance, when the store runs a loyalty programme.
    pub level: Option<String>,
    pub points: Option<i64>,
    pub orders: usize,
    pub spend_fen: i64,
    pub last_order_at: Option<DateTime<Utc>>,
    pub reachable: bool,
    /// Who sends to them by default.
    pub owner: Option<String>,
    pub friendships: Vec<Friendship>,
    pub churn_risk: Option<Risk>,
    pub p_alive: Option<f64>,
    pub next_category: Option<String>,
    pub run_outs: Vec<RunOut>,
    pub open_tickets: Vec<SidebarTicket>,
    /// Most pressing first.
    pub scripts: Vec<Script>,
}

/// The customer a staff member is chatting with.
#[utoipa::path(get, path = "/api/v1/sidebar", tag = "contacts", security(("bearer" = []), ("session" = [])),
    params(SidebarParams, WorkspaceParam),
    responses((status = 200, body = SidebarView), (status = 400, body = ApiError), (status = 404, body = ApiError)))]
async fn sidebar(
    access: Access,
    State(state): State<AppState>,
    Params(p): Params<SidebarParams>,
) -> Result<Json<SidebarView>, ApiError> {
    access.require(Permission::PeopleRead)?;
    let who = p.customer.as_deref().map(str::trim).filter(|c| !c.is_empty());
    let who = who.ok_or_else(|| ApiError::field(ErrorCode::InvalidField, "customer", "is required"))?;
    // A bare WeCom id (wm…/wo…) is what the sidebar hands over.
    let qualified = if who.contains(':') { who.to_owned() } else { format!("wecom_external_userid:{who}") };
    let person = match find(&state, &access, &qualified).await {
        Ok(p) => p,
        Err(_) if qualified != who => find(&state, &access, who).await?,
        Err(e) => return Err(e),
    };
    let ws = access.ws();
    let program = state.store.loyalty_program(ws).await?;
    let points = points_of(&state, ws, person.id, &program).await?;
    let open: Vec<SidebarTicket> = state
        .desk
        .look(ws, |d| {
            let mut open: Vec<_> = d
                .tickets
                .values()
                .filter(|t| t.person == person.id && t.opened_at.is_some() && t.resolved_at.is_none())
                .map(|t| SidebarTicket { ticket_id: t.id.clone(), opened_at: t.opened_at, reason: t.reason.clone() })
                .collect();
            open.sort_by_key(|t| t.opened_at);
            open
        })
        .await?;
    let name = shown_name(&state, &access, person.id).await?;
    let audience = state.engine.audience(ws).await?;
    let now = audience.now;
    let member = audience.member(person.id);
    let none = rekindle_core::profile::Profile::default();
    let profile = member.map_or(&none, |m| &*m.profile);
    let scores = member.and_then(|m| m.scores.as_deref().cloned());
    let contacts = &profile.contacts;
    let facts = Facts {
        nickname: name.as_deref(),
        open_ticket: !open.is_empty(),
        run_outs: scores.iter().flat_map(|s| s.run_outs.iter().map(|r| (r.category.as_str(), r.at))).collect(),
        churn_risk: scores.as_ref().map(|s| s.churn_risk),
        next_category: scores.as_ref().and_then(|s| s.next_category.as_deref()),
        next_level: points.standing.next.as_deref().zip(points.standing.yuan_to_next),
        days_since_order: profile.last_order().map(|t| (now - t).num_days()),
    };
    let scripts = suggest(&facts, now, access.lang == Lang::Zh);
    let friendships = Friendship::list(contacts);
    let view = SidebarView {
        person: person.id,
        name: name.clone(),
        stage: member.map_or("prospect", |m| m.stage.as_str()).into(),
        tier: member.map_or("edge", |m| m.tier.as_str()).into(),
        level: (!program.levels.is_empty()).then(|| points.standing.name.clone()),
        points: Some(points.summary.balance),
        orders: profile.order_count(),
        spend_fen: profile.spend_fen(),
        last_order_at: profile.last_order(),
        reachable: contacts.reachable(),
        owner: SenderRule::Owner.choose(contacts).filter(|s| !s.is_empty()).map(str::to_owned),
        friendships,
        churn_risk: scores.as_ref().map(|s| s.churn_risk),
        p_alive: scores.as_ref().map(|s| s.p_alive),
        next_category: scores.as_ref().and_then(|s| s.next_category.clone()),
        run_outs: scores.map(|s| s.run_outs).unwrap_or_default(),
        open_tickets: open,
        scripts,
    };
    Ok(Json(view))
}
