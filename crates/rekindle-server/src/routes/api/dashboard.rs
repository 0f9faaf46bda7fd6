//! The console's first page: the store at a glance, by day in the store's time zone, compared
//! with the period before, with its people by lifecycle stage and value tier. Computed by the
//! engine from the folded profiles (`rekindle_engine::measure::dashboard`).

use axum::Json;
use axum::extract::State;
use chrono::{Duration, NaiveDate};
use rekindle_core::access::Permission;
use rekindle_engine::measure::dashboard::{Period, report};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::{LiveSessionView, Params, WorkspaceParam};
use crate::auth::Access;
use crate::error::{ApiError, ErrorCode};
use crate::state::AppState;

/// Live sessions shown.
const RECENT_SESSIONS: usize = 8;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(dashboard))
}

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct Window {
    /// Days to show, ending today or, in a quiet store, on the day of its latest event (default 30, at most 366).
    days: Option<u32>,
}

#[derive(Serialize, ToSchema)]
pub struct Totals {
    /// People in the store (all time).
    pub people: u64,
    /// Events in the store (all time).
    pub events: u64,
    /// Orders in the window.
    pub orders: u64,
    /// Gross merchandise value of the window's orders, in fen.
    pub gmv_fen: i64,
}

/// What happened in a window of days.
#[derive(Serialize, ToSchema)]
pub struct PeriodView {
    /// First and last local day.
    pub from: NaiveDate,
    pub to: NaiveDate,
    /// People whose first event fell in the window.
    pub new_people: u64,
    /// People who did anything in the window.
    pub active_people: u64,
    pub orders: u64,
    pub gmv_fen: i64,
    /// Average order value, in fen.
    #[schema(required = true)]
    pub aov_fen: Option<i64>,
    pub buyers: u64,
    /// Buyers with at least two orders in the window.
    pub repeat_buyers: u64,
    /// repeat_buyers / buyers (复购率).
    #[schema(required = true)]
    pub repurchase_rate: Option<f64>,
}

impl PeriodView {
    fn new(p: &Period, from: NaiveDate, to: NaiveDate) -> Self {
        Self {
            from,
            to,
            new_people: p.new_people,
            active_people: p.active_people,
            orders: p.orders,
            gmv_fen: p.gmv_fen,
            aov_fen: p.aov_fen(),
            buyers: p.buyers,
            repeat_buyers: p.repeat_buyers,
            repurchase_rate: p.repurchase_rate(),
        }
    }
}

#[derive(Serialize, ToSchema)]
pub struct Day {
    /// Local date in the store's time zone.
    pub date: NaiveDate,
    /// People whose first event fell on this day.
    pub new_people: u64,
    pub orders: u64,
    pub gmv_fen: i64,
}

#[derive(Serialize, ToSchema)]
pub struct SessionSummary {
    #[serde(flatten)]
    pub session: LiveSessionView,
    /// People who entered the live room.
    pub viewers: u64,
    pub orders: u64,
    pub gmv_fen: i64,
}

#[derive(Serialize, ToSchema)]
pub struct StageCount {
    /// prospect, new, active, silent, churned or reactivated
    #[schema(value_type = rekindle_core::lifecycle::Stage)]
    pub stage: String,
    pub count: u64,
}

#[derive(Serialize, ToSchema)]
pub struct TierCount {
    /// high, potential or edge
    #[schema(value_type = rekindle_core::lifecycle::Tier)]
    pub tier: String,
    pub count: u64,
}

#[derive(Serialize, ToSchema)]
pub struct Dashboard {
    pub time_zone: String,
    /// The last day shown: today, or the day of the latest event when the store has been
    /// quiet since, so charts end at the data.
    pub as_of: NaiveDate,
    pub totals: Totals,
    /// The window's figures, and the same number of days just before it to compare with.
    pub current: PeriodView,
    pub previous: PeriodView,
    pub days: Vec<Day>,
    pub recent_live_sessions: Vec<SessionSummary>,
    /// People per lifecycle stage, as of the latest event (docs/segments.md).
    pub lifecycle: Vec<StageCount>,
    /// People per value tier (top 10% / next 30% / the rest by 365-day spend).
    pub tiers: Vec<TierCount>,
}

/// People, new people, orders and GMV by day, and the latest live sessions.
#[utoipa::path(get, path = "/api/v1/dashboard", tag = "dashboard", security(("bearer" = []), ("session" = [])),
    params(Window, WorkspaceParam),
    responses((status = 200, body = Dashboard), (status = 400, body = ApiError), (status = 401, body = ApiError)))]
async fn dashboard(
    access: Access,
    State(state): State<AppState>,
    Params(window): Params<Window>,
) -> Result<Json<Dashboard>, ApiError> {
    access.require(Permission::PeopleRead)?;
    let days = window.days.unwrap_or(30);
    if !(1..=366).contains(&days) {
        return Err(ApiError::field(ErrorCode::InvalidField, "days", "must be between 1 and 366"));
    }
    let ws = access.ws();
    let audience = state.engine.audience(ws).await?;
    let cal = audience.context.calendar;
    let r = report(&audience, state.engine.now(), days);
    let first_day = r.last_day - Duration::days(i64::from(days) - 1);
    let to = cal.midnight(r.last_day + Duration::days(1));

    let mut sessions = state.store.live_sessions(ws).await?;
    sessions.retain(|s| s.scheduled_start < to);
    sessions.sort_by_key(|s| std::cmp::Reverse(s.scheduled_start));
    sessions.truncate(RECENT_SESSIONS);
    let recent = sessions
        .into_iter()
        .map(|s| {
            let f = r.sessions.get(s.id.as_str()).copied().unwrap_or_default();
            SessionSummary { session: s.into(), viewers: f.viewers, orders: f.orders, gmv_fen: f.gmv_fen }
        })
        .collect();

    let lifecycle = audience
        .stage_counts()
        .into_iter()
        .map(|(s, n)| StageCount { stage: s.as_str().into(), count: n as u64 })
        .collect();
    let tiers = audience
        .tier_counts()
        .into_iter()
        .map(|(t, n)| TierCount { tier: t.as_str().into(), count: n as u64 })
        .collect();
    let totals = state.store.totals(ws).await?;
    let previous_last = first_day - Duration::days(1);
    Ok(Json(Dashboard {
        time_zone: cal.tz.name().into(),
        as_of: r.last_day,
        totals: Totals {
            people: totals.people,
            events: totals.events,
            orders: r.current.orders,
            gmv_fen: r.current.gmv_fen,
        },
        current: PeriodView::new(&r.current, first_day, r.last_day),
        previous: PeriodView::new(&r.previous, previous_last - Duration::days(i64::from(days) - 1), previous_last),
        days: r
            .days
            .iter()
            .map(|(date, p)| Day { date: *date, new_people: p.new_people, orders: p.orders, gmv_fen: p.gmv_fen })
            .collect(),
        recent_live_sessions: recent,
        lifecycle,
        tiers,
    }))
}
