//! Customer service for the service role (docs/service.md): the after-sales queue (tickets from
//! `Ticket Opened` / `Ticket Resolved` events and opened, assigned, noted and resolved here),
//! the conversations waiting for a first reply, the figures against the store's promises, and
//! its working hours. Everything written here is an event about the person, down the one road
//! into the log, so the queue, the timeline and the journeys all read the same thing.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use chrono::Duration;
use rekindle_core::access::Permission;
use rekindle_core::events;
use rekindle_core::service::Settings;
use rekindle_core::service::figures::{ReplyFigures, TicketFigures};
use rekindle_core::service::rows::{LineRow, TicketRow, WaitingRow};
use rekindle_engine::service::queue::{self, People, Status};
use rekindle_store::{Person, Source};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::people::find;
use super::redact::shown_text;
use super::{ApiPath, Body, Params, WorkspaceParam};
use crate::auth::Principal;
use crate::auth::{Access, Can, perm};
use crate::error::{ApiError, ErrorCode};
use crate::state::AppState;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_tickets, open_ticket))
        .routes(routes!(update_ticket))
        .routes(routes!(resolve_ticket))
        .routes(routes!(service_figures))
        .routes(routes!(waiting))
        .routes(routes!(conversation))
        .routes(routes!(record_message))
        .routes(routes!(get_settings, put_settings))
}

/// Longest free text (a note, a resolution, a message), in characters.
const MAX_TEXT: usize = 2000;
/// Longest name (an assignee, a staff id, a channel, an order id), in characters.
const MAX_NAME: usize = 100;
/// What a ticket opened in the console may give as its reason.
pub const REASONS: [&str; 4] = ["late", "spoiled", "short_weight", "other"];

fn text_field(field: &str, value: &str, max: usize) -> Result<(), ApiError> {
    let n = value.trim().chars().count();
    if n == 0 || n > max {
        return Err(ApiError::field(ErrorCode::InvalidField, field, format!("must be 1 to {max} characters")));
    }
    if value.chars().any(|c| c.is_control() && c != '\n' && c != '\t') {
        return Err(ApiError::field(ErrorCode::InvalidField, field, "must not hold control characters"));
    }
    Ok(())
}

fn fresh_key() -> String {
    rekindle_core::ids::Uuid::now_v7().simple().to_string()
}

fn optional(field: &str, value: Option<&str>, max: usize) -> Result<(), ApiError> {
    value.map_or(Ok(()), |v| text_field(field, v, max))
}

/// Who did it, as a note names them: the signed-in operator's name.
pub(super) fn by(access: &Access) -> Option<String> {
    match &access.caller.principal {
        Principal::User(u) => Some(if u.name.is_empty() { u.email.clone() } else { u.name.clone() }),
        Principal::Admin => None,
    }
}

/// Write an event about `person` into the log and wait until it is applied, so what the
/// request answers (read off the desk) holds it.
pub(super) async fn record(
    state: &AppState,
    access: &Access,
    person: &Person,
    event: &str,
    message_id: &str,
    properties: Value,
) -> Result<(), ApiError> {
    let now = state.engine.now();
    let message =
        rekindle_engine::addressed::track(person, event, message_id, properties, now, now)?.ok_or_else(|| {
            ApiError::field(ErrorCode::InvalidField, "person", "holds no identifier to write an event to")
        })?;
    let source = Source(format!("console:{}", by(access).unwrap_or_else(|| "admin".into())));
    state
        .ingestor
        .submit(access.ws(), source, vec![message])
        .await
        .map_err(|e| ApiError::new(ErrorCode::Unavailable, e.to_string()))?;
    if !state.ingestor.settled(crate::auth::SETTLE_WAIT).await {
        tracing::warn!("answering before ingestion caught up");
    }
    Ok(())
}

/// Mask what a row holds for roles without `pii.read`: names and free text, by what they hold.
fn shown_ticket(access: &Access, mut row: TicketRow) -> TicketRow {
    row.name = row.name.map(|n| shown_text(access, n));
    row.order_id = row.order_id.map(|n| shown_text(access, n));
    row.resolution = row.resolution.map(|n| shown_text(access, n));
    for n in &mut row.notes {
        n.text = shown_text(access, std::mem::take(&mut n.text));
    }
    row
}

#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct TicketParams {
    /// `open` (default, the longest waiting first), `overdue`, `resolved` (latest first) or `all`.
    status: Option<String>,
    /// Only tickets assigned to this name.
    assignee: Option<String>,
    /// At most this many (default 100, 1 to 500).
    limit: Option<u32>,
}

#[derive(Serialize, ToSchema)]
pub struct TicketList {
    pub tickets: Vec<TicketRow>,
    /// How many match, however many are listed.
    pub total: usize,
    pub open: usize,
    pub overdue: usize,
    /// Hours a ticket has to be resolved (the store's promise).
    pub resolve_hours: u32,
}

pub(super) async fn rows(
    state: &AppState,
    access: &Access,
    tickets: Vec<rekindle_core::service::Ticket>,
    settings: &Settings,
) -> Result<Vec<TicketRow>, ApiError> {
    let people: Vec<_> = tickets.iter().map(|t| t.person).collect();
    let people = People::load(&*state.store, access.ws(), &people).await?;
    let audience = state.engine.latest(access.ws());
    let now = state.engine.now();
    Ok(tickets
        .iter()
        .map(|t| shown_ticket(access, queue::ticket_row(t, settings, audience.as_deref(), &people, now)))
        .collect())
}

/// The after-sales queue: each ticket with the person behind it (tier, spend, predicted value,
/// journeys walking), its age against the promise, assignee, notes and resolution.
#[utoipa::path(get, path = "/api/v1/service/tickets", tag = "service", security(("bearer" = []), ("session" = [])),
    params(TicketParams, WorkspaceParam),
    responses((status = 200, body = TicketList), (status = 400, body = ApiError), (status = 403, body = ApiError)))]
async fn list_tickets(
    access: Access,
    State(state): State<AppState>,
    Params(p): Params<TicketParams>,
) -> Result<Json<TicketList>, ApiError> {
    access.require(Permission::PeopleRead)?;
    let status = match p.status.as_deref() {
        None => Status::Open,
        Some(s) => Status::parse(s).ok_or_else(|| {
            ApiError::field(ErrorCode::InvalidField, "status", "must be open, overdue, resolved or all")
        })?,
    };
    let limit = p.limit.unwrap_or(100);
    if !(1..=500).contains(&limit) {
        return Err(ApiError::field(ErrorCode::InvalidField, "limit", "must be between 1 and 500"));
    }
    let settings = state.store.service_settings(access.ws()).await?;
    let now = state.engine.now();
    let assignee = p.assignee.as_deref();
    let (listed, total, open, overdue) = state
        .desk
        .look(access.ws(), |desk| {
            let (listed, total) = queue::select(desk, &settings, status, assignee, now, limit as usize);
            let listed: Vec<_> = listed.into_iter().cloned().collect();
            let open = queue::select(desk, &settings, Status::Open, None, now, 0).1;
            let overdue = queue::select(desk, &settings, Status::Overdue, None, now, 0).1;
            (listed, total, open, overdue)
        })
        .await?;
    let tickets = rows(&state, &access, listed, &settings).await?;
    Ok(Json(TicketList { tickets, total, open, overdue, resolve_hours: settings.sla.resolve_hours }))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TicketInput {
    /// The customer: a person id or any identifier (a phone in any written form, a user id…).
    pub person: String,
    /// `late`, `spoiled`, `short_weight` or `other`.
    pub reason: String,
    pub order_id: Option<String>,
    /// What the customer said, or what was done first.
    pub note: Option<String>,
    pub assignee: Option<String>,
}

async fn ticket(state: &AppState, access: &Access, id: &str) -> Result<TicketRow, ApiError> {
    let settings = state.store.service_settings(access.ws()).await?;
    let found = state.desk.look(access.ws(), |d| d.tickets.get(id).filter(|t| t.opened_at.is_some()).cloned()).await?;
    let t = found.ok_or_else(|| ApiError::not_found(format!("ticket {id}")))?;
    Ok(rows(state, access, vec![t], &settings).await?.remove(0))
}

/// Open a ticket for a customer (an after-sales complaint taken by phone or chat).
#[utoipa::path(post, path = "/api/v1/service/tickets", tag = "service", security(("bearer" = []), ("session" = [])),
    params(WorkspaceParam), request_body = TicketInput,
    responses((status = 201, body = TicketRow), (status = 400, body = ApiError), (status = 403, body = ApiError), (status = 404, body = ApiError)))]
async fn open_ticket(
    access: Can<perm::ServiceManage>,
    State(state): State<AppState>,
    Body(input): Body<TicketInput>,
) -> Result<(StatusCode, Json<TicketRow>), ApiError> {
    if !REASONS.contains(&input.reason.as_str()) {
        return Err(ApiError::field(ErrorCode::InvalidField, "reason", "must be late, spoiled, short_weight or other"));
    }
    optional("order_id", input.order_id.as_deref(), MAX_NAME)?;
    optional("note", input.note.as_deref(), MAX_TEXT)?;
    optional("assignee", input.assignee.as_deref(), MAX_NAME)?;
    let person = find(&state, &access, &input.person).await?;
    // A v7 uuid's tail is random: ten hex digits tell a store's tickets apart.
    let id = format!("k{}", &fresh_key()[22..]);
    let props = json!({
        "ticket_id": id, "reason": input.reason, "order_id": input.order_id,
        "note": input.note, "assignee": input.assignee, "by": by(&access),
    });
    record(&state, &access, &person, events::TICKET_OPENED, &format!("rekindle:ticket-opened:{id}"), props).await?;
    access.audit(&state, "service.ticket.open", id.clone()).await;
    Ok((StatusCode::CREATED, Json(ticket(&state, &access, &id).await?)))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TicketUpdate {
    /// Assign to this name ("" to unassign).
    pub assignee: Option<String>,
    pub note: Option<String>,
}

async fn person_of_ticket(state: &AppState, access: &Access, id: &str) -> Result<(Person, bool), ApiError> {
    let found = state
        .desk
        .look(access.ws(), |d| d.tickets.get(id).filter(|t| t.opened_at.is_some()).map(|t| (t.person, t.is_open())))
        .await?;
    let (person, open) = found.ok_or_else(|| ApiError::not_found(format!("ticket {id}")))?;
    let person = state
        .store
        .person(access.ws(), &rekindle_store::PersonRef::Id(person))
        .await?
        .ok_or_else(|| ApiError::not_found(format!("ticket {id}")))?;
    Ok((person, open))
}

/// Assign a ticket, or add a note to it.
#[utoipa::path(post, path = "/api/v1/service/tickets/{id}/updates", tag = "service", security(("bearer" = []), ("session" = [])),
    params(("id" = String, Path, description = "Ticket id"), WorkspaceParam), request_body = TicketUpdate,
    responses((status = 200, body = TicketRow), (status = 400, body = ApiError), (status = 403, body = ApiError), (status = 404, body = ApiError)))]
async fn update_ticket(
    access: Can<perm::ServiceManage>,
    State(state): State<AppState>,
    ApiPath(id): ApiPath<String>,
    Body(input): Body<TicketUpdate>,
) -> Result<Json<TicketRow>, ApiError> {
    if input.assignee.is_none() && input.note.is_none() {
        return Err(ApiError::field(ErrorCode::InvalidField, "body", "give an assignee, a note or both"));
    }
    if let Some(a) = input.assignee.as_deref().filter(|a| !a.is_empty()) {
        text_field("assignee", a, MAX_NAME)?;
    }
    optional("note", input.note.as_deref(), MAX_TEXT)?;
    let (person, _) = person_of_ticket(&state, &access, &id).await?;
    let props = json!({"ticket_id": id, "assignee": input.assignee, "note": input.note, "by": by(&access)});
    let key = fresh_key();
    record(&state, &access, &person, events::TICKET_UPDATED, &format!("rekindle:ticket-updated:{key}"), props).await?;
    access.audit(&state, "service.ticket.update", id.clone()).await;
    Ok(Json(ticket(&state, &access, &id).await?))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TicketResolution {
    /// What was done: a refund, a replacement, an apology.
    pub resolution: String,
}

/// Resolve a ticket. A ticket resolves once: resolving it again is a `409`.
#[utoipa::path(post, path = "/api/v1/service/tickets/{id}/resolution", tag = "service", security(("bearer" = []), ("session" = [])),
    params(("id" = String, Path, description = "Ticket id"), WorkspaceParam), request_body = TicketResolution,
    responses((status = 200, body = TicketRow), (status = 400, body = ApiError), (status = 403, body = ApiError),
               (status = 404, body = ApiError), (status = 409, body = ApiError)))]
async fn resolve_ticket(
    access: Can<perm::ServiceManage>,
    State(state): State<AppState>,
    ApiPath(id): ApiPath<String>,
    Body(input): Body<TicketResolution>,
) -> Result<Json<TicketRow>, ApiError> {
    text_field("resolution", &input.resolution, MAX_TEXT)?;
    let (person, open) = person_of_ticket(&state, &access, &id).await?;
    if !open {
        return Err(ApiError::new(ErrorCode::Conflict, format!("ticket {id} is already resolved")));
    }
    let props = json!({"ticket_id": id, "resolution": input.resolution, "by": by(&access)});
    record(&state, &access, &person, events::TICKET_RESOLVED, &format!("rekindle:ticket-resolved:{id}"), props).await?;
    access.audit(&state, "service.ticket.resolve", id.clone()).await;
    Ok(Json(ticket(&state, &access, &id).await?))
}

#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct FiguresParams {
    /// The last this many days, up to now (default 30; 1 to 366).
    pub(super) days: Option<i64>,
}

#[derive(Serialize, ToSchema)]
pub struct ServiceFigures {
    pub from: chrono::DateTime<chrono::Utc>,
    pub to: chrono::DateTime<chrono::Utc>,
    pub tickets: TicketFigures,
    pub replies: ReplyFigures,
    /// Days after an incident a person who has not ordered counts as lost.
    pub churn_days: i64,
    pub settings: Settings,
}

/// The service against its promises over the last days: after-sales resolved within the
/// promise, churn by how fast incidents were resolved, first replies within the working-time
/// and wall-clock promises, overall and per staff member.
#[utoipa::path(get, path = "/api/v1/service/figures", tag = "service", security(("bearer" = []), ("session" = [])),
    params(FiguresParams, WorkspaceParam),
    responses((status = 200, body = ServiceFigures), (status = 400, body = ApiError), (status = 403, body = ApiError)))]
async fn service_figures(
    access: Access,
    State(state): State<AppState>,
    Params(p): Params<FiguresParams>,
) -> Result<Json<ServiceFigures>, ApiError> {
    access.require(Permission::PeopleRead)?;
    Ok(Json(figures(&state, &access, p.days).await?))
}

/// The figures of the last `days` (default 30).
pub(super) async fn figures(state: &AppState, access: &Access, days: Option<i64>) -> Result<ServiceFigures, ApiError> {
    let days = days.unwrap_or(30);
    if !(1..=366).contains(&days) {
        return Err(ApiError::field(ErrorCode::InvalidField, "days", "must be between 1 and 366"));
    }
    let settings = state.store.service_settings(access.ws()).await?;
    let audience = state.engine.audience(access.ws()).await?;
    let tz = audience.context.calendar.tz;
    let now = audience.now;
    let from = now - Duration::days(days);
    // Churn needs incidents whose 30 days have passed: they are looked for a month further back.
    let churn_from = from - Duration::days(rekindle_core::service::figures::CHURN_DAYS);
    let (tickets, churn, replies) = state
        .desk
        .look(access.ws(), |desk| {
            (
                queue::ticket_figures(desk, &settings, Some(&audience), from, now, now),
                queue::ticket_figures(desk, &settings, Some(&audience), churn_from, now, now).churn_by_speed,
                queue::reply_figures(desk, &settings, tz, from, now, now),
            )
        })
        .await?;
    let tickets = TicketFigures { churn_by_speed: churn, ..tickets };
    Ok(ServiceFigures {
        from,
        to: now,
        tickets,
        replies,
        churn_days: rekindle_core::service::figures::CHURN_DAYS,
        settings,
    })
}

#[derive(Serialize, ToSchema)]
pub struct WaitingList {
    /// Oldest wait first.
    pub waiting: Vec<WaitingRow>,
    pub total: usize,
}

/// Conversations waiting for a first reply, the oldest first, each against both promises and
/// with what the knowledge base would answer.
#[utoipa::path(get, path = "/api/v1/service/conversations", tag = "service", security(("bearer" = []), ("session" = [])),
    params(super::Limit, WorkspaceParam),
    responses((status = 200, body = WaitingList), (status = 403, body = ApiError)))]
async fn waiting(
    access: Access,
    State(state): State<AppState>,
    Params(limit): Params<super::Limit>,
) -> Result<Json<WaitingList>, ApiError> {
    access.require(Permission::PeopleRead)?;
    let settings = state.store.service_settings(access.ws()).await?;
    let tz = state.store.calendar(access.ws()).await?.tz;
    let now = state.engine.now();
    let audience = state.engine.latest(access.ws());
    let (mut rows, total) = state
        .desk
        .look(access.ws(), |d| queue::waiting(d, &settings, tz, audience.as_deref(), now, limit.get() as usize))
        .await?;
    let people: Vec<_> = rows.iter().map(|r| r.person).collect();
    let people = People::load(&*state.store, access.ws(), &people).await?;
    for r in &mut rows {
        r.name = people.name(r.person).map(|n| shown_text(&access, n));
        r.suggestion = state.assistant.ask(access.ws(), &r.latest, 1).await?.given().cloned();
        r.text = shown_text(&access, std::mem::take(&mut r.text));
        r.latest = shown_text(&access, std::mem::take(&mut r.latest));
    }
    Ok(Json(WaitingList { waiting: rows, total }))
}

#[derive(Serialize, ToSchema)]
pub struct Thread {
    pub person: String,
    pub name: Option<String>,
    /// The latest 200 messages, in time order.
    pub lines: Vec<LineRow>,
}

/// A person's conversation with the service.
#[utoipa::path(get, path = "/api/v1/service/conversations/{person}", tag = "service", security(("bearer" = []), ("session" = [])),
    params(("person" = String, Path, description = "Person id or identifier"), WorkspaceParam),
    responses((status = 200, body = Thread), (status = 404, body = ApiError)))]
async fn conversation(
    access: Access,
    State(state): State<AppState>,
    ApiPath(who): ApiPath<String>,
) -> Result<Json<Thread>, ApiError> {
    let person = find(&state, &access, &who).await?;
    let mut lines = state.desk.look(access.ws(), |d| queue::thread(d, person.id, 200)).await?;
    for l in &mut lines {
        l.text = shown_text(&access, std::mem::take(&mut l.text));
    }
    Ok(Json(Thread { person: person.id.to_string(), name: person.nickname().map(|n| shown_text(&access, n)), lines }))
}

#[derive(Deserialize, ToSchema, Clone, Copy, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum Direction {
    /// The customer wrote.
    Inbound,
    /// A staff member replied.
    Reply,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MessageInput {
    /// The customer: a person id or any identifier.
    pub person: String,
    pub direction: Direction,
    pub text: String,
    /// The staff member written to, or who replied.
    pub staff_id: Option<String>,
    /// wecom, wechat, miniprogram, phone…
    pub channel: Option<String>,
    /// Makes the message once however often it is sent (a provider's message id).
    pub message_id: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct Recorded {
    /// For an inbound message: what the knowledge base would answer, when it is confident.
    pub suggestion: Option<rekindle_core::service::faq::Suggestion>,
}

/// Record a message of a conversation: what a customer wrote, or a staff member's reply (from
/// a chat bridge, or typed in by the service). An inbound message is asked of the knowledge
/// base and logged; it waits for a person's reply either way.
#[utoipa::path(post, path = "/api/v1/service/messages", tag = "service", security(("bearer" = []), ("session" = [])),
    params(WorkspaceParam), request_body = MessageInput,
    responses((status = 202, body = Recorded), (status = 400, body = ApiError), (status = 403, body = ApiError), (status = 404, body = ApiError)))]
async fn record_message(
    access: Can<perm::ServiceManage>,
    State(state): State<AppState>,
    Body(input): Body<MessageInput>,
) -> Result<(StatusCode, Json<Recorded>), ApiError> {
    text_field("text", &input.text, MAX_TEXT)?;
    optional("staff_id", input.staff_id.as_deref(), MAX_NAME)?;
    optional("channel", input.channel.as_deref(), MAX_NAME)?;
    optional("message_id", input.message_id.as_deref(), MAX_NAME)?;
    let person = find(&state, &access, &input.person).await?;
    let (event, kind) = match input.direction {
        Direction::Inbound => (events::MESSAGE_RECEIVED, "received"),
        Direction::Reply => (events::MESSAGE_REPLIED, "replied"),
    };
    let key = input.message_id.clone().unwrap_or_else(fresh_key);
    let props = json!({"text": input.text, "staff_id": input.staff_id, "channel": input.channel});
    record(&state, &access, &person, event, &format!("rekindle:message-{kind}:{key}"), props).await?;
    let suggestion = match input.direction {
        Direction::Inbound => {
            let now = state.engine.now();
            state.assistant.answer(access.ws(), &input.text, Some(person.id), "message", now).await?.given().cloned()
        }
        Direction::Reply => None,
    };
    Ok((StatusCode::ACCEPTED, Json(Recorded { suggestion })))
}

/// The store's service settings: promises, working hours and the FAQ threshold.
#[utoipa::path(get, path = "/api/v1/service/settings", tag = "service", security(("bearer" = []), ("session" = [])),
    params(WorkspaceParam), responses((status = 200, body = Settings), (status = 403, body = ApiError)))]
async fn get_settings(access: Access, State(state): State<AppState>) -> Result<Json<Settings>, ApiError> {
    access.require(Permission::PeopleRead)?;
    Ok(Json(state.store.service_settings(access.ws()).await?))
}

/// Replace the store's service settings. Every problem is named by its field.
#[utoipa::path(put, path = "/api/v1/service/settings", tag = "service", security(("bearer" = []), ("session" = [])),
    params(WorkspaceParam), request_body = Settings,
    responses((status = 200, body = Settings), (status = 400, body = ApiError), (status = 403, body = ApiError)))]
async fn put_settings(
    access: Can<perm::ServiceManage>,
    State(state): State<AppState>,
    Body(settings): Body<Settings>,
) -> Result<Json<Settings>, ApiError> {
    if let Some(e) = settings.check().into_iter().next() {
        return Err(e.into());
    }
    state.store.put_service_settings(access.ws(), &settings, state.engine.now()).await?;
    state.assistant.forget(access.ws());
    access.audit(&state, "service.settings.update", None).await;
    Ok(Json(settings))
}
