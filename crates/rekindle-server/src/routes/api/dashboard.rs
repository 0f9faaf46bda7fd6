//! The console's first page: the store at a glance, by day in the store's time zone, with
//! its people by lifecycle stage and value tier.

use std::collections::{BTreeMap, BTreeSet};

use axum::Json;
use axum::extract::State;
use chrono::{DateTime, Duration, NaiveDate, TimeZone, Utc};
use chrono_tz::Tz;
use rekindle_core::access::Permission;
use rekindle_store::EventQuery;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::events::all_events;
use rekindle_core::money::total;

use super::{LiveSessionView, Params, WorkspaceParam};
use crate::auth::Access;
use crate::error::{ApiError, ErrorCode};
use crate::state::AppState;
use rekindle_core::events;

/// Most events of one kind the dashboard reads for its window.
const WINDOW_EVENT_CAP: usize = 500_000;
/// Live sessions shown.
const RECENT_SESSIONS: usize = 8;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(dashboard))
}

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct Window {
    /// Days to show, ending with the day of the latest event (default 30, at most 366).
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
    /// The last day shown: the day of the latest event, so a quiet store still shows its
    /// last activity.
    pub as_of: NaiveDate,
    pub totals: Totals,
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
    let tz: Tz = access.workspace.time_zone.parse().unwrap_or(chrono_tz::Asia::Shanghai);
    let as_of = state.engine.now().with_timezone(&tz).date_naive();
    let first_day = as_of - Duration::days(i64::from(days) - 1);
    let (from, to) = (local_midnight(tz, first_day), local_midnight(tz, as_of + Duration::days(1)));
    let date = |t: DateTime<Utc>| t.with_timezone(&tz).date_naive();

    let mut by_day: BTreeMap<NaiveDate, Day> = (0..days)
        .map(|i| first_day + Duration::days(i64::from(i)))
        .map(|d| (d, Day { date: d, new_people: 0, orders: 0, gmv_fen: 0 }))
        .collect();
    for t in state.store.first_seen(ws, from, to).await? {
        if let Some(d) = by_day.get_mut(&date(t)) {
            d.new_people += 1;
        }
    }
    let window_query =
        |name: &str| EventQuery { name: Some(name.into()), from: Some(from), to: Some(to), ..Default::default() };
    let orders = all_events(&state, ws, window_query(events::ORDER_COMPLETED), WINDOW_EVENT_CAP).await?;
    let mut per_session: BTreeMap<String, (u64, i64)> = BTreeMap::new();
    for o in &orders {
        let revenue = o.amount_fen("revenue");
        if let Some(d) = by_day.get_mut(&date(o.timestamp)) {
            d.orders += 1;
            d.gmv_fen = d.gmv_fen.saturating_add(revenue);
        }
        if let Some(s) = o.property("session_id").and_then(|v| v.as_str()) {
            let e = per_session.entry(s.to_string()).or_default();
            e.0 += 1;
            e.1 = e.1.saturating_add(revenue);
        }
    }

    let mut sessions = state.store.live_sessions(ws).await?;
    sessions.retain(|s| s.scheduled_start < to);
    sessions.sort_by_key(|s| std::cmp::Reverse(s.scheduled_start));
    sessions.truncate(RECENT_SESSIONS);
    let mut recent = Vec::with_capacity(sessions.len());
    for s in sessions {
        // Entries are read around the session's time, not over the whole window.
        let start = s.started_at.unwrap_or(s.scheduled_start) - Duration::hours(1);
        let end = s.ended_at.unwrap_or(s.scheduled_start + Duration::hours(4)) + Duration::hours(1);
        let query = EventQuery {
            name: Some(events::LIVE_ENTERED.into()),
            from: Some(start),
            to: Some(end),
            ..Default::default()
        };
        let viewers: BTreeSet<_> = all_events(&state, ws, query, WINDOW_EVENT_CAP)
            .await?
            .into_iter()
            .filter(|e| e.property("session_id").and_then(|v| v.as_str()) == Some(s.id.as_str()))
            .map(|e| e.person)
            .collect();
        let (orders, gmv_fen) = per_session.get(&s.id).copied().unwrap_or_default();
        recent.push(SessionSummary { session: s.into(), viewers: viewers.len() as u64, orders, gmv_fen });
    }

    let audience = state.engine.audience(ws).await?;
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
    Ok(Json(Dashboard {
        time_zone: tz.name().into(),
        as_of,
        totals: Totals {
            people: totals.people,
            events: totals.events,
            orders: orders.len() as u64,
            gmv_fen: total(orders.iter().map(|o| o.amount_fen("revenue"))),
        },
        days: by_day.into_values().collect(),
        recent_live_sessions: recent,
        lifecycle,
        tiers,
    }))
}

/// The instant a local day starts. A day that starts in a DST gap starts at the first
/// instant that exists.
fn local_midnight(tz: Tz, day: NaiveDate) -> DateTime<Utc> {
    let midnight = day.and_hms_opt(0, 0, 0).expect("midnight exists");
    tz.from_local_datetime(&midnight)
        .earliest()
        .or_else(|| tz.from_local_datetime(&(midnight + Duration::hours(1))).earliest())
        .map_or_else(|| Utc.from_utc_datetime(&midnight), |t| t.with_timezone(&Utc))
}
