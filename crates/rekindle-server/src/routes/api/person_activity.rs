//! A person's orders and live-session participation, read from their events.

use std::collections::BTreeMap;

use axum::Json;
use axum::extract::State;
use chrono::{DateTime, Utc};
use rekindle_core::money::Amounts;
use rekindle_core::profile::text;
use rekindle_store::{EventQuery, StoredEvent};
use serde::Serialize;
use serde_json::Value;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::ApiPath;
use super::events::all_events;
use super::people::find;
use super::{WorkspaceParam, for_role};
use crate::auth::Access;
use crate::error::ApiError;
use crate::state::AppState;
use rekindle_core::events;

/// Most events of one person read for these views.
const PERSON_EVENT_CAP: usize = 20_000;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(person_orders)).routes(routes!(person_live))
}

#[derive(Serialize, ToSchema)]
pub struct OrderItem {
    #[schema(required = true)]
    pub sku: Option<String>,
    #[schema(required = true)]
    pub name: Option<String>,
    #[schema(required = true)]
    pub category: Option<String>,
    pub price_fen: i64,
    pub quantity: i64,
}

#[derive(Serialize, ToSchema)]
pub struct OrderView {
    pub order_id: String,
    pub timestamp: DateTime<Utc>,
    pub revenue_fen: i64,
    #[schema(required = true)]
    pub currency: Option<String>,
    #[schema(required = true)]
    pub coupon: Option<String>,
    #[schema(required = true)]
    pub session_id: Option<String>,
    /// Refunded so far (`Order Refunded` events for this order).
    pub refunded_fen: i64,
    pub items: Vec<OrderItem>,
}

/// An `Order Completed` event as an order.
pub fn order(e: &StoredEvent) -> OrderView {
    let amounts = Amounts::of(&e.payload);
    let items = e
        .property("products")
        .and_then(Value::as_array)
        .map(|ps| {
            ps.iter()
                .enumerate()
                .map(|(i, p)| OrderItem {
                    sku: text(p.get("sku")),
                    name: text(p.get("name")),
                    category: text(p.get("category")),
                    price_fen: amounts.get(&format!("products[{i}].price"), p.get("price")).get(),
                    quantity: p.get("quantity").and_then(Value::as_i64).unwrap_or(1),
                })
                .collect()
        })
        .unwrap_or_default();
    OrderView {
        order_id: text(e.property("order_id")).unwrap_or_else(|| e.message_id.clone()),
        timestamp: e.timestamp,
        revenue_fen: amounts.get("revenue", e.property("revenue")).get(),
        currency: text(e.property("currency")),
        coupon: text(e.property("coupon")),
        session_id: text(e.property("session_id")),
        refunded_fen: 0,
        items,
    }
}

async fn named(
    state: &AppState,
    access: &Access,
    person: rekindle_core::PersonId,
    name: &str,
) -> Result<Vec<StoredEvent>, ApiError> {
    let query = EventQuery { person: Some(person), name: Some(name.into()), ..Default::default() };
    all_events(state, access.ws(), query, PERSON_EVENT_CAP).await
}

/// A person's orders with their line items, newest first.
#[utoipa::path(get, path = "/api/v1/people/{person}/orders", tag = "people", security(("bearer" = []), ("session" = [])),
    params(("person" = String, Path, description = "Person id or identifier"), WorkspaceParam),
    responses((status = 200, body = Vec<OrderView>), (status = 404, body = ApiError)))]
async fn person_orders(
    access: Access,
    State(state): State<AppState>,
    ApiPath(person): ApiPath<String>,
) -> Result<Json<Vec<OrderView>>, ApiError> {
    let person = find(&state, &access, &person).await?;
    let mut refunds: BTreeMap<String, i64> = BTreeMap::new();
    for e in named(&state, &access, person.id, events::ORDER_REFUNDED).await? {
        if let Some(id) = text(e.property("order_id")) {
            let refunded = refunds.entry(id).or_default();
            *refunded = refunded.saturating_add(e.amount_fen("amount"));
        }
    }
    let orders = named(&state, &access, person.id, events::ORDER_COMPLETED)
        .await?
        .iter()
        .map(|e| {
            let mut o = order(e);
            o.refunded_fen = refunds.get(&o.order_id).copied().unwrap_or(0);
            o
        })
        .collect::<Vec<_>>();
    Ok(Json(for_role(orders, &access)))
}

#[derive(Serialize, ToSchema, Default)]
pub struct LiveParticipation {
    pub session_id: String,
    /// The session's title, when the schedule has it.
    #[schema(required = true)]
    pub title: Option<String>,
    /// First sign of the person in the session.
    #[schema(required = true)]
    pub entered_at: Option<DateTime<Utc>>,
    pub watched_seconds: i64,
    pub comments: u32,
    pub likes: u32,
    pub shares: u32,
    pub orders: u32,
}

/// The live sessions a person took part in, newest first: time watched, comments, likes,
/// shares and orders placed during each.
#[utoipa::path(get, path = "/api/v1/people/{person}/live", tag = "people", security(("bearer" = []), ("session" = [])),
    params(("person" = String, Path, description = "Person id or identifier"), WorkspaceParam),
    responses((status = 200, body = Vec<LiveParticipation>), (status = 404, body = ApiError)))]
async fn person_live(
    access: Access,
    State(state): State<AppState>,
    ApiPath(person): ApiPath<String>,
) -> Result<Json<Vec<LiveParticipation>>, ApiError> {
    let person = find(&state, &access, &person).await?;
    let query = EventQuery { person: Some(person.id), ..Default::default() };
    let events = all_events(&state, access.ws(), query, PERSON_EVENT_CAP).await?;
    let mut by_session: BTreeMap<String, LiveParticipation> = BTreeMap::new();
    for e in &events {
        let (Some(name), Some(session)) = (e.name.as_deref(), text(e.property("session_id"))) else { continue };
        if !name.starts_with("Live ") && name != events::ORDER_COMPLETED {
            continue;
        }
        let p = by_session
            .entry(session.clone())
            .or_insert_with(|| LiveParticipation { session_id: session, ..Default::default() });
        if name.starts_with("Live ") {
            p.entered_at = Some(p.entered_at.map_or(e.timestamp, |t| t.min(e.timestamp)));
        }
        match name {
            events::LIVE_WATCHED => p.watched_seconds += e.property("seconds").and_then(Value::as_i64).unwrap_or(0),
            events::LIVE_COMMENTED => p.comments += 1,
            events::LIVE_LIKED => p.likes += 1,
            events::LIVE_SHARED => p.shares += 1,
            events::ORDER_COMPLETED => p.orders += 1,
            _ => {}
        }
    }
    let titles: BTreeMap<String, String> =
        state.store.live_sessions(access.ws()).await?.into_iter().map(|s| (s.id, s.title)).collect();
    let mut out: Vec<LiveParticipation> = by_session
        .into_values()
        .filter(|p| p.entered_at.is_some())
        .map(|mut p| {
            p.title = titles.get(&p.session_id).cloned();
            p
        })
        .collect();
    out.sort_by_key(|p| std::cmp::Reverse(p.entered_at));
    Ok(Json(out))
}
