//! Subscriptions (定期购, docs/subscriptions.md): the list, one subscription's timeline, a
//! person's subscriptions, the shipment schedule for the order system (JSON and CSV), the
//! figures, the store's settings, whom to offer one; and the actions of the mini-program or
//! the order system. Every action is the event `answer()` returns, addressed to the
//! subscriber, down the one road into the log; the request waits until it is applied.

use axum::Json;
use axum::extract::State;
use axum::response::Response;
use chrono::{DateTime, Days, NaiveDate, Utc};
use chrono_tz::Tz;
use rekindle_core::IdentifierKind;
use rekindle_core::access::Permission;
use rekindle_core::csv_cell::{number, text};
use rekindle_core::money::yuan_text;
use rekindle_core::subscription::schedule::Terms;
use rekindle_core::subscription::{
    Action, Refusal, Regularity, Settings, Shipment, ShipmentRow, ShipmentStatus, Status, Subscription,
    SubscriptionFigures, Timeline, answer, figures, schedule, timeline,
};
use rekindle_core::{PersonId, WorkspaceId};
use rekindle_store::{Person, PersonRef, Source};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::export_words::LangParam;
use super::people::find;
use super::redact::{shown, shown_text};
use super::{ApiPath, Body, Lang, Params, WorkspaceParam};
use crate::auth::{Access, Can, perm};
use crate::error::{ApiError, ErrorCode};
use crate::state::AppState;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_subscriptions))
        .routes(routes!(shipment_schedule))
        .routes(routes!(schedule_csv))
        .routes(routes!(subscription_figures))
        .routes(routes!(get_subscription_settings, put_subscription_settings))
        .routes(routes!(subscription_offers))
        .routes(routes!(get_subscription))
        .routes(routes!(subscription_action))
        .routes(routes!(person_subscriptions))
}

/// How far ahead a timeline lists shipments.
const AHEAD_DAYS: u64 = 90;
/// The longest schedule or figures window, in days.
const MAX_WINDOW_DAYS: i64 = 366;
/// Rows one schedule holds at most.
const MAX_ROWS: usize = 50_000;

/// What the store's subscriptions are read with: its settings, zone and now.
pub(crate) struct Frame {
    pub settings: Settings,
    pub tz: Tz,
    pub now: DateTime<Utc>,
}

impl Frame {
    pub(crate) async fn of(state: &AppState, ws: WorkspaceId) -> Result<Self, ApiError> {
        Ok(Self {
            settings: state.store.subscription_settings(ws).await?,
            tz: state.store.calendar(ws).await?.tz,
            now: state.engine.now(),
        })
    }

    fn today(&self) -> NaiveDate {
        rekindle_core::outreach::local_day(self.now, self.tz)
    }

    fn timeline(&self, sub: &Subscription) -> Timeline {
        let horizon = self.today().checked_add_days(Days::new(AHEAD_DAYS)).unwrap_or(NaiveDate::MAX);
        timeline(sub, &self.settings, self.tz, horizon)
    }
}

#[derive(Serialize, ToSchema)]
pub struct NextShipment {
    pub ship_on: NaiveDate,
    pub status: ShipmentStatus,
    pub quantity: u32,
    /// Answers are taken until then.
    pub cutoff_at: DateTime<Utc>,
}

#[derive(Serialize, ToSchema)]
pub struct SubscriptionRow {
    pub id: String,
    pub person: String,
    /// The subscriber's nickname (masked without `pii.read`).
    pub name: Option<String>,
    pub status: Option<Status>,
    pub terms: Option<Terms>,
    pub started_at: Option<DateTime<Utc>>,
    /// The first shipment not past its cut-off.
    pub next_shipment: Option<NextShipment>,
}

fn row(f: &Frame, sub: &Subscription, tl: &Timeline, name: Option<String>) -> SubscriptionRow {
    let next = tl.shipments.iter().find(|s| f.settings.cutoff(s.ship_on, f.tz) > f.now).map(|s| NextShipment {
        ship_on: s.ship_on,
        status: s.status(&f.settings, f.tz, f.now),
        quantity: s.quantity,
        cutoff_at: f.settings.cutoff(s.ship_on, f.tz),
    });
    SubscriptionRow {
        id: sub.id.clone(),
        person: sub.person.to_string(),
        name,
        status: tl.status(),
        terms: tl.terms.clone(),
        started_at: tl.started_at,
        next_shipment: if tl.status() == Some(Status::Active) { next } else { None },
    }
}

async fn person(state: &AppState, ws: WorkspaceId, id: PersonId) -> Result<Option<Person>, ApiError> {
    Ok(state.store.person(ws, &PersonRef::Id(id)).await?)
}

fn name_of(access: &Access, p: Option<&Person>) -> Option<String> {
    p.and_then(Person::nickname).map(|n| shown_text(access, n))
}

async fn rows(
    state: &AppState,
    access: &Access,
    f: &Frame,
    subs: Vec<Subscription>,
    status: Option<Status>,
    limit: usize,
) -> Result<(Vec<SubscriptionRow>, usize), ApiError> {
    let mut picked: Vec<(Subscription, Timeline)> = subs
        .into_iter()
        .map(|s| {
            let tl = f.timeline(&s);
            (s, tl)
        })
        .filter(|(_, tl)| tl.status().is_some() && status.is_none_or(|st| tl.status() == Some(st)))
        .collect();
    picked.sort_by(|a, b| (b.1.started_at, &a.0.id).cmp(&(a.1.started_at, &b.0.id)));
    let total = picked.len();
    let mut out = Vec::new();
    for (s, tl) in picked.into_iter().take(limit) {
        let p = person(state, access.ws(), s.person).await?;
        out.push(row(f, &s, &tl, name_of(access, p.as_ref())));
    }
    Ok((out, total))
}

#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ListParams {
    /// `active`, `paused` or `cancelled`; every one when omitted.
    status: Option<String>,
    /// At most this many (default 100, 1 to 1000).
    limit: Option<u32>,
}

#[derive(Serialize, ToSchema)]
pub struct SubscriptionList {
    /// The latest started first.
    pub subscriptions: Vec<SubscriptionRow>,
    pub total: usize,
}

fn status_param(s: Option<&str>, lang: Lang) -> Result<Option<Status>, ApiError> {
    match s {
        None => Ok(None),
        Some("active") => Ok(Some(Status::Active)),
        Some("paused") => Ok(Some(Status::Paused)),
        Some("cancelled") => Ok(Some(Status::Cancelled)),
        Some(_) => Err(ApiError::field(
            ErrorCode::InvalidField,
            "status",
            match lang {
                Lang::Zh => "应为 active、paused 或 cancelled",
                Lang::En => "must be active, paused or cancelled",
            },
        )),
    }
}

/// The store's subscriptions with their status and next shipment.
#[utoipa::path(get, path = "/api/v1/subscriptions", tag = "subscriptions", security(("bearer" = []), ("session" = [])),
    params(ListParams, WorkspaceParam),
    responses((status = 200, body = SubscriptionList), (status = 400, body = ApiError), (status = 403, body = ApiError)))]
async fn list_subscriptions(
    access: Access,
    State(state): State<AppState>,
    Params(p): Params<ListParams>,
) -> Result<Json<SubscriptionList>, ApiError> {
    access.require(Permission::PeopleRead)?;
    let status = status_param(p.status.as_deref(), access.lang)?;
    let limit = p.limit.unwrap_or(100);
    if !(1..=1000).contains(&limit) {
        return Err(ApiError::field(ErrorCode::InvalidField, "limit", "must be between 1 and 1000"));
    }
    let f = Frame::of(&state, access.ws()).await?;
    let subs = state.subscriptions.look(access.ws(), |b| b.subscriptions.values().cloned().collect()).await?;
    let (subscriptions, total) = rows(&state, &access, &f, subs, status, limit as usize).await?;
    Ok(Json(SubscriptionList { subscriptions, total }))
}

#[derive(Serialize, ToSchema)]
pub struct Transition {
    pub at: DateTime<Utc>,
    pub status: Status,
}

#[derive(Serialize, ToSchema)]
pub struct ShipmentView {
    #[serde(flatten)]
    pub shipment: Shipment,
    pub status: ShipmentStatus,
    /// Whether it goes out; `None` while it can still be answered.
    pub goes_out: Option<bool>,
    pub ask_at: DateTime<Utc>,
    pub cutoff_at: DateTime<Utc>,
    pub amount_fen: i64,
}

#[derive(Serialize, ToSchema)]
pub struct SubscriptionDetail {
    #[serde(flatten)]
    pub subscription: SubscriptionRow,
    pub transitions: Vec<Transition>,
    pub cancel_reason: Option<String>,
    /// Every shipment from the first to 90 days ahead.
    pub shipments: Vec<ShipmentView>,
}

async fn subscription(state: &AppState, ws: WorkspaceId, id: &str) -> Result<Subscription, ApiError> {
    let found = state.subscriptions.look(ws, |b| b.subscriptions.get(id).cloned()).await?;
    found.filter(|s| s.started().is_some()).ok_or_else(|| ApiError::not_found(format!("subscription {id}")))
}

async fn detail(state: &AppState, access: &Access, id: &str) -> Result<SubscriptionDetail, ApiError> {
    let f = Frame::of(state, access.ws()).await?;
    let sub = subscription(state, access.ws(), id).await?;
    let tl = f.timeline(&sub);
    let p = person(state, access.ws(), sub.person).await?;
    let shipments = tl
        .shipments
        .iter()
        .map(|s| ShipmentView {
            shipment: s.clone(),
            status: s.status(&f.settings, f.tz, f.now),
            goes_out: s.goes_out(&f.settings, f.tz, f.now),
            ask_at: f.settings.ask_moment(s.ship_on, f.tz),
            cutoff_at: f.settings.cutoff(s.ship_on, f.tz),
            amount_fen: s.amount_fen(),
        })
        .collect();
    Ok(SubscriptionDetail {
        subscription: row(&f, &sub, &tl, name_of(access, p.as_ref())),
        transitions: tl.transitions.iter().map(|(at, status)| Transition { at: *at, status: *status }).collect(),
        cancel_reason: tl.cancel_reason.clone().map(|r| shown_text(access, r)),
        shipments,
    })
}

/// One subscription's timeline: its status changes and every shipment with its answer.
#[utoipa::path(get, path = "/api/v1/subscriptions/{id}", tag = "subscriptions", security(("bearer" = []), ("session" = [])),
    params(("id" = String, Path, description = "Subscription id"), WorkspaceParam),
    responses((status = 200, body = SubscriptionDetail), (status = 403, body = ApiError), (status = 404, body = ApiError)))]
async fn get_subscription(
    access: Access,
    State(state): State<AppState>,
    ApiPath(id): ApiPath<String>,
) -> Result<Json<SubscriptionDetail>, ApiError> {
    access.require(Permission::PeopleRead)?;
    Ok(Json(detail(&state, &access, &id).await?))
}

/// A person's subscriptions.
#[utoipa::path(get, path = "/api/v1/people/{person}/subscriptions", tag = "subscriptions", security(("bearer" = []), ("session" = [])),
    params(("person" = String, Path, description = "Person id or identifier"), WorkspaceParam),
    responses((status = 200, body = SubscriptionList), (status = 403, body = ApiError), (status = 404, body = ApiError)))]
async fn person_subscriptions(
    access: Access,
    State(state): State<AppState>,
    ApiPath(who): ApiPath<String>,
) -> Result<Json<SubscriptionList>, ApiError> {
    access.require(Permission::PeopleRead)?;
    let p = find(&state, &access, &who).await?;
    let f = Frame::of(&state, access.ws()).await?;
    let subs = state.subscriptions.look(access.ws(), |b| b.of(p.id).into_iter().cloned().collect()).await?;
    let (subscriptions, total) = rows(&state, &access, &f, subs, None, 1000).await?;
    Ok(Json(SubscriptionList { subscriptions, total }))
}

/// Why an action was refused, as the API says it: the field it is about, 400 for a date
/// that cannot be, 409 for a state that does not allow it.
pub(crate) fn refused(r: &Refusal, action: &Action, tz: Tz, lang: Lang) -> ApiError {
    let date_field = match action {
        Action::Resume { .. } => "next_ship_on",
        _ => "to",
    };
    let (code, field) = match r {
        Refusal::NotStarted | Refusal::Cancelled | Refusal::Paused => (ErrorCode::Conflict, "action"),
        Refusal::PastCutoff { .. } => (ErrorCode::Conflict, "ship_on"),
        Refusal::UnknownShipDate { .. } => (ErrorCode::InvalidField, "ship_on"),
        Refusal::DateInPast { .. } | Refusal::TooSoon { .. } => (ErrorCode::InvalidField, date_field),
        Refusal::BeyondNextShipment { .. } | Refusal::BeforePreviousShipment { .. } => (ErrorCode::InvalidField, "to"),
    };
    let message = match lang {
        Lang::Zh => r.zh(tz),
        Lang::En => r.en(tz),
    };
    ApiError::field(code, field, format!("{message} ({})", r.code()))
}

/// What an action did.
pub(crate) enum Acted {
    /// The event appended.
    Appended(&'static str),
    /// It was already so: nothing appended.
    AlreadySo,
}

/// Apply `action` to subscription `id` of `ws`: the event `answer()` returns, addressed to the
/// subscriber and written through the ingestor, waited for until applied.
pub(crate) async fn apply(
    state: &AppState,
    ws: WorkspaceId,
    id: &str,
    action: &Action,
    source: Source,
    lang: Lang,
) -> Result<Acted, ApiError> {
    let f = Frame::of(state, ws).await?;
    let sub = subscription(state, ws, id).await?;
    let Some(event) = answer(&sub, action, &f.settings, f.tz, f.now).map_err(|r| refused(&r, action, f.tz, lang))?
    else {
        return Ok(Acted::AlreadySo);
    };
    let p = person(state, ws, sub.person).await?.ok_or_else(|| ApiError::not_found(format!("subscription {id}")))?;
    let key = format!("rekindle:subscription:{}", rekindle_core::ids::Uuid::now_v7().simple());
    let message =
        rekindle_engine::addressed::track(&p, event.name, &key, event.properties, f.now, f.now)?.ok_or_else(|| {
            ApiError::field(ErrorCode::InvalidField, "person", "holds no identifier to write an event to")
        })?;
    state
        .ingestor
        .submit(ws, source, vec![message])
        .await
        .map_err(|e| ApiError::new(ErrorCode::Unavailable, e.to_string()))?;
    if !state.ingestor.settled(crate::auth::SETTLE_WAIT).await {
        tracing::warn!("answering before ingestion caught up");
    }
    Ok(Acted::Appended(event.name))
}

#[derive(Serialize, ToSchema)]
pub struct ActionResult {
    /// The event appended; `None` when it was already so (nothing appended).
    pub appended: Option<String>,
    pub subscription: SubscriptionDetail,
}

/// Confirm, skip or move a shipment; pause, resume or cancel the subscription (the
/// mini-program or the order system, with an API token). Doing what is already so appends
/// nothing. A refusal names its field: `400` for a date that cannot be, `409` for a
/// subscription or shipment that no longer takes it.
#[utoipa::path(post, path = "/api/v1/subscriptions/{id}/actions", tag = "subscriptions", security(("bearer" = []), ("session" = [])),
    params(("id" = String, Path, description = "Subscription id"), WorkspaceParam), request_body = Action,
    responses((status = 200, body = ActionResult), (status = 400, body = ApiError), (status = 403, body = ApiError),
               (status = 404, body = ApiError), (status = 409, body = ApiError)))]
async fn subscription_action(
    access: Can<perm::ServiceManage>,
    State(state): State<AppState>,
    ApiPath(id): ApiPath<String>,
    Body(action): Body<Action>,
) -> Result<Json<ActionResult>, ApiError> {
    if let Action::Cancel { reason: Some(r) } = &action
        && (r.chars().count() > 200 || r.chars().any(char::is_control))
    {
        return Err(ApiError::field(
            ErrorCode::InvalidField,
            "reason",
            "must be at most 200 characters, no control characters",
        ));
    }
    let by = match &access.caller.principal {
        crate::auth::Principal::User(u) => u.email.clone(),
        crate::auth::Principal::Admin => "admin".into(),
    };
    let source = Source(format!("api:{by}"));
    let acted = apply(&state, access.ws(), &id, &action, source, access.lang).await?;
    let appended = match acted {
        Acted::Appended(name) => {
            access.audit(&state, "subscription.action", id.clone()).await;
            Some(name.to_owned())
        }
        Acted::AlreadySo => None,
    };
    Ok(Json(ActionResult { appended, subscription: detail(&state, &access, &id).await? }))
}

#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct WindowParams {
    /// First store day (default today).
    from: Option<NaiveDate>,
    /// Last store day, included (default `from` + 13 days; at most 366 days after `from`).
    to: Option<NaiveDate>,
}

fn window(p: &WindowParams, f: &Frame, default_days: u64) -> Result<(NaiveDate, NaiveDate), ApiError> {
    let from = p.from.unwrap_or_else(|| f.today());
    let to = p.to.unwrap_or_else(|| from.checked_add_days(Days::new(default_days)).unwrap_or(from));
    if to < from {
        return Err(ApiError::field(ErrorCode::InvalidField, "to", "must not be before from"));
    }
    if (to - from).num_days() > MAX_WINDOW_DAYS {
        return Err(ApiError::field(
            ErrorCode::InvalidField,
            "to",
            format!("at most {MAX_WINDOW_DAYS} days after from"),
        ));
    }
    Ok((from, to))
}

#[derive(Serialize, ToSchema)]
pub struct ScheduleRow {
    #[serde(flatten)]
    pub shipment: ShipmentRow,
    /// The subscriber's userId, for the order system (masked without `pii.read`).
    pub user_id: Option<String>,
    pub name: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct ShipmentSchedule {
    pub from: NaiveDate,
    pub to: NaiveDate,
    /// By ship date.
    pub shipments: Vec<ScheduleRow>,
    /// Of those, the ones that go out (confirmed, or unanswered under `on_no_answer: ship`).
    pub going_out: usize,
    pub settings: Settings,
}

async fn schedule_of(state: &AppState, access: &Access, p: &WindowParams) -> Result<ShipmentSchedule, ApiError> {
    let f = Frame::of(state, access.ws()).await?;
    let (from, to) = window(p, &f, 13)?;
    let list = state.subscriptions.look(access.ws(), |b| schedule(b, &f.settings, f.tz, from, to, f.now)).await?;
    let mut people: std::collections::HashMap<PersonId, Option<Person>> = Default::default();
    let mut shipments = Vec::new();
    for r in list.into_iter().take(MAX_ROWS) {
        if let std::collections::hash_map::Entry::Vacant(e) = people.entry(r.person) {
            e.insert(person(state, access.ws(), r.person).await?);
        }
        let p = people[&r.person].as_ref();
        let user_id = p
            .and_then(|p| p.identities.iter().find(|i| i.identifier.kind == IdentifierKind::UserId))
            .map(|i| shown(access, IdentifierKind::UserId, i.identifier.value.clone()));
        shipments.push(ScheduleRow { user_id, name: name_of(access, p), shipment: r });
    }
    let going_out = shipments.iter().filter(|r| r.shipment.goes_out == Some(true)).count();
    Ok(ShipmentSchedule { from, to, shipments, going_out, settings: f.settings })
}

/// The shipment schedule for the order system: every shipment with a ship date in the window,
/// its answer and whether it goes out.
#[utoipa::path(get, path = "/api/v1/subscriptions/schedule", tag = "subscriptions", security(("bearer" = []), ("session" = [])),
    params(WindowParams, WorkspaceParam),
    responses((status = 200, body = ShipmentSchedule), (status = 400, body = ApiError), (status = 403, body = ApiError)))]
async fn shipment_schedule(
    access: Access,
    State(state): State<AppState>,
    Params(p): Params<WindowParams>,
) -> Result<Json<ShipmentSchedule>, ApiError> {
    access.require(Permission::PeopleRead)?;
    Ok(Json(schedule_of(&state, &access, &p).await?))
}

fn status_words(s: ShipmentStatus, lang: Lang) -> &'static str {
    match (s, lang) {
        (ShipmentStatus::Scheduled, Lang::Zh) => "待询问",
        (ShipmentStatus::AwaitingAnswer, Lang::Zh) => "待确认",
        (ShipmentStatus::Confirmed, Lang::Zh) => "已确认",
        (ShipmentStatus::Skipped, Lang::Zh) => "已跳过",
        (ShipmentStatus::NoAnswer, Lang::Zh) => "未回复",
        (ShipmentStatus::Scheduled, Lang::En) => "scheduled",
        (ShipmentStatus::AwaitingAnswer, Lang::En) => "awaiting answer",
        (ShipmentStatus::Confirmed, Lang::En) => "confirmed",
        (ShipmentStatus::Skipped, Lang::En) => "skipped",
        (ShipmentStatus::NoAnswer, Lang::En) => "no answer",
    }
}

/// The schedule as CSV for Excel: headers in the operator's language, UTF-8 with a BOM.
#[utoipa::path(get, path = "/api/v1/subscriptions/schedule.csv", tag = "subscriptions", security(("bearer" = []), ("session" = [])),
    params(WindowParams, LangParam, WorkspaceParam),
    responses((status = 200, content_type = "text/csv", body = String), (status = 400, body = ApiError), (status = 403, body = ApiError)))]
async fn schedule_csv(
    access: Access,
    State(state): State<AppState>,
    Params(p): Params<WindowParams>,
    Params(LangParam { lang }): Params<LangParam>,
) -> Result<Response, ApiError> {
    access.require(Permission::PeopleRead)?;
    let s = schedule_of(&state, &access, &p).await?;
    let lang = lang.unwrap_or(access.lang);
    let words: &[(&str, &str)] = &[
        ("发货日", "ship on"),
        ("原定日", "due on"),
        ("定期购编号", "subscription"),
        ("用户ID", "user id"),
        ("顾客", "customer"),
        ("商品编码", "sku"),
        ("数量", "quantity"),
        ("单价（元）", "unit price (yuan)"),
        ("金额（元）", "amount (yuan)"),
        ("状态", "status"),
        ("是否发货", "goes out"),
    ];
    let mut w = super::csv_file::writer();
    let header: Vec<&str> = words.iter().map(|(zh, en)| if lang == Lang::Zh { *zh } else { *en }).collect();
    w.write_record(&header).map_err(|e| ApiError::internal(&e))?;
    let goes = |g: Option<bool>| match (g, lang) {
        (Some(true), Lang::Zh) => "是",
        (Some(false), Lang::Zh) => "否",
        (None, Lang::Zh) => "待定",
        (Some(true), Lang::En) => "yes",
        (Some(false), Lang::En) => "no",
        (None, Lang::En) => "pending",
    };
    for r in &s.shipments {
        let x = &r.shipment;
        let cell = |v: &Option<String>| v.as_deref().map(|t| text(t).into_owned()).unwrap_or_default();
        w.write_record([
            x.ship_on.to_string(),
            x.due_on.to_string(),
            text(&x.subscription_id).into_owned(),
            cell(&r.user_id),
            cell(&r.name),
            text(&x.sku).into_owned(),
            number(u64::from(x.quantity)),
            yuan_text(x.unit_price_fen),
            yuan_text(x.amount_fen),
            status_words(x.status, lang).to_owned(),
            goes(x.goes_out).to_owned(),
        ])
        .map_err(|e| ApiError::internal(&e))?;
    }
    let bytes = w.into_inner().map_err(|e| ApiError::internal(&e))?;
    access.audit(&state, "subscriptions.export", None).await;
    Ok(super::csv_file::response(&format!("subscriptions-{}-{}", s.from, s.to), bytes))
}

#[derive(Serialize, ToSchema)]
pub struct FiguresView {
    pub from: NaiveDate,
    pub to: NaiveDate,
    #[serde(flatten)]
    pub figures: SubscriptionFigures,
}

/// Subscribers now; per store month the starts, pauses, resumes, cancellations, churn and
/// deliveries; how shipments were answered; survival by start month (docs/subscriptions.md).
#[utoipa::path(get, path = "/api/v1/subscriptions/figures", tag = "subscriptions", security(("bearer" = []), ("session" = [])),
    params(WindowParams, WorkspaceParam),
    responses((status = 200, body = FiguresView), (status = 400, body = ApiError), (status = 403, body = ApiError)))]
async fn subscription_figures(
    access: Access,
    State(state): State<AppState>,
    Params(p): Params<WindowParams>,
) -> Result<Json<FiguresView>, ApiError> {
    access.require(Permission::PeopleRead)?;
    let f = Frame::of(&state, access.ws()).await?;
    let p = WindowParams {
        from: p.from.or_else(|| f.today().checked_sub_days(Days::new(89))),
        to: p.to.or(Some(f.today())),
    };
    let (from, to) = window(&p, &f, 0)?;
    let figures = state.subscriptions.look(access.ws(), |b| figures(b, &f.settings, f.tz, from, to, f.now)).await?;
    Ok(Json(FiguresView { from, to, figures }))
}

/// The store's subscription settings: when a confirmation is asked, the cut-off, and what a
/// shipment nobody answered does.
#[utoipa::path(get, path = "/api/v1/subscriptions/settings", tag = "subscriptions", security(("bearer" = []), ("session" = [])),
    params(WorkspaceParam), responses((status = 200, body = Settings), (status = 403, body = ApiError)))]
async fn get_subscription_settings(access: Access, State(state): State<AppState>) -> Result<Json<Settings>, ApiError> {
    access.require(Permission::PeopleRead)?;
    Ok(Json(state.store.subscription_settings(access.ws()).await?))
}

/// Replace the store's subscription settings (owner, operator). Every problem is named by
/// its field.
#[utoipa::path(put, path = "/api/v1/subscriptions/settings", tag = "subscriptions", security(("bearer" = []), ("session" = [])),
    params(WorkspaceParam), request_body = Settings,
    responses((status = 200, body = Settings), (status = 400, body = ApiError), (status = 403, body = ApiError)))]
async fn put_subscription_settings(
    access: Can<perm::JourneysManage>,
    State(state): State<AppState>,
    Body(settings): Body<Settings>,
) -> Result<Json<Settings>, ApiError> {
    if let Some(e) = settings.check().into_iter().next() {
        return Err(e.into());
    }
    state.store.put_subscription_settings(access.ws(), &settings, state.engine.now()).await?;
    access.audit(&state, "subscriptions.settings.update", None).await;
    Ok(Json(settings))
}

#[derive(Serialize, ToSchema)]
pub struct OfferRow {
    pub person: String,
    pub name: Option<String>,
    pub sku: String,
    pub product_name: Option<String>,
    pub purchases: usize,
    pub last_purchase: DateTime<Utc>,
    pub cycle: rekindle_core::subscription::Cycle,
    /// The cadence to offer, days.
    pub every_days: u16,
}

#[derive(Serialize, ToSchema)]
pub struct OfferList {
    /// The steadiest cycles first.
    pub offers: Vec<OfferRow>,
    pub total: usize,
    pub rule: Regularity,
}

/// Whom to offer a subscription: people whose own repurchase cycle of a product is regular,
/// with the cadence to suggest; products they already subscribe to are left out.
#[utoipa::path(get, path = "/api/v1/subscriptions/offers", tag = "subscriptions", security(("bearer" = []), ("session" = [])),
    params(super::Limit, WorkspaceParam),
    responses((status = 200, body = OfferList), (status = 403, body = ApiError)))]
async fn subscription_offers(
    access: Access,
    State(state): State<AppState>,
    Params(limit): Params<super::Limit>,
) -> Result<Json<OfferList>, ApiError> {
    access.require(Permission::PeopleRead)?;
    let f = Frame::of(&state, access.ws()).await?;
    let audience = state.engine.audience(access.ws()).await?;
    let rule = Regularity::default();
    let all = state
        .subscriptions
        .look(access.ws(), |b| rekindle_engine::subscription::offers(&audience, b, &f.settings, f.tz, &rule))
        .await?;
    let total = all.len();
    let mut offers = Vec::new();
    for o in all.into_iter().take(limit.get() as usize) {
        let p = person(&state, access.ws(), o.person).await?;
        offers.push(OfferRow {
            person: o.person.to_string(),
            name: name_of(&access, p.as_ref()),
            sku: o.sku,
            product_name: o.product_name,
            purchases: o.purchases,
            last_purchase: o.last_purchase,
            cycle: o.cycle,
            every_days: o.every_days,
        });
    }
    Ok(Json(OfferList { offers, total, rule }))
}
