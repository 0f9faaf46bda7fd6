//! Bulk reach (批量加好友任务, docs/relationships.md): phone-only buyers handed to staff
//! members in turn as a task list — WeCom has no API to add a customer by phone, so each staff
//! member adds theirs by hand — with each batch's progress as the friendships appear, and the
//! list as a CSV to hand out.

use std::collections::HashMap;

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use rekindle_core::contacts::reach::{self, Assignment, Prospect, ReachInput};
use rekindle_core::contacts::{BatchProgress, Relationships};
use rekindle_core::csv_cell;
use rekindle_core::{IdentifierKind, PersonId, events};
use rekindle_engine::Audience;
use rekindle_store::{Person, PersonRef, Source};
use serde::{Deserialize, Serialize};
use serde_json::json;
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::export_words::LangParam;
use super::redact::{shown, shown_text};
use super::{ApiPath, Body, Lang, Params, WorkspaceParam};
use crate::auth::{Access, Can, Principal, perm};
use crate::error::{ApiError, ErrorCode};
use crate::state::AppState;
use rekindle_core::access::Permission;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(list_batches, assign)).routes(routes!(batch_tasks)).routes(routes!(batch_csv))
}

/// People looked up for a phone number per assignment at most: buyers without one are passed
/// over on the way to `limit` who have one.
const LOOKED_UP: usize = 50_000;

/// One assignment at a time on this node, so two at once do not hand out the same customers.
static ASSIGNING: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

/// How many one staff member was given.
#[derive(Serialize, ToSchema)]
pub struct StaffAssigned {
    pub staff_id: String,
    pub assigned: u64,
}

#[derive(Serialize, ToSchema)]
pub struct ReachAssigned {
    pub batch: String,
    /// Customers handed out (none when nobody is waiting to be added).
    pub assigned: u64,
    /// Per staff member asked for, in the order given.
    pub per_staff: Vec<StaffAssigned>,
}

/// Who ran it: the operator's user id, or `api` for the admin token.
fn assigned_by(access: &Access) -> String {
    match &access.caller.principal {
        Principal::User(u) => u.id.to_string(),
        Principal::Admin => "api".into(),
    }
}

/// Hand phone-only buyers — a phone number, an order, no staff member's WeCom friend, not
/// handed out in the last 14 days — to staff members in turn, most recent order first. Each
/// task is a `Reach Task Assigned` event on the customer.
#[utoipa::path(post, path = "/api/v1/contacts/reach", tag = "contacts", security(("bearer" = []), ("session" = [])),
    params(WorkspaceParam), request_body = ReachInput,
    responses((status = 201, body = ReachAssigned), (status = 400, body = ApiError), (status = 403, body = ApiError), (status = 404, body = ApiError)))]
async fn assign(
    access: Can<perm::ContactsManage>,
    State(state): State<AppState>,
    Body(mut input): Body<ReachInput>,
) -> Result<(StatusCode, Json<ReachAssigned>), ApiError> {
    input.validate(access.lang == Lang::Zh)?;
    let ws = access.ws();
    if let Some(id) = input.segment {
        super::segments::found(&state, &access, id).await.map_err(|mut e| {
            e.field = Some("segment".into());
            e
        })?;
    }
    let _one = ASSIGNING.lock().await;
    let audience = state.engine.audience(ws).await?;
    let now = state.engine.now();
    let within = input.segment.map(|id| audience.context.segments.iter().position(|s| s.id == id));
    let limit = input.limit as usize;

    // Everyone who would be wanted if they had a phone, latest order first; then their phones.
    let assumed = audience
        .members
        .iter()
        .filter(|m| within.is_none_or(|i| i.is_some_and(|i| m.segments.contains(&(i as u16)))))
        .map(|m| prospect(m.person, &m.profile, true));
    let pool = state.reach.look(ws, |tasks| reach::candidates(assumed, tasks, now, usize::MAX)).await?;
    let (mut found, mut people) = (Vec::new(), HashMap::new());
    for person in pool.into_iter().take(LOOKED_UP) {
        let Some(p) = state.store.person(ws, &PersonRef::Id(person)).await? else { continue };
        let Some(m) = audience.member(person) else { continue };
        let mut x = prospect(person, &m.profile, p.phone().is_some());
        x.person = p.id;
        if x.phone {
            found.push(x);
            people.insert(p.id, p);
        }
        if found.len() >= limit {
            break;
        }
    }
    let chosen = state.reach.look(ws, |tasks| reach::candidates(found, tasks, now, limit)).await?;
    let pairs = reach::assign_in_turn(chosen, &input.staff);

    let batch = format!("b{}-{:08x}", now.timestamp_millis(), rand::random::<u32>());
    let by = assigned_by(&access);
    let mut per_staff: Vec<StaffAssigned> =
        input.staff.iter().map(|s| StaffAssigned { staff_id: s.clone(), assigned: 0 }).collect();
    let mut out = Vec::with_capacity(pairs.len());
    for (person, staff) in pairs {
        let Some(p) = people.get(&person) else { continue };
        let props = json!({"batch_id": batch, "staff_id": staff, "assigned_by": by});
        let key = format!("reach:{batch}:{person}");
        let Some(m) = rekindle_engine::addressed::track(p, events::REACH_TASK_ASSIGNED, &key, props, now, now)? else {
            continue;
        };
        out.push(m);
        if let Some(s) = per_staff.iter_mut().find(|s| s.staff_id == staff) {
            s.assigned += 1;
        }
    }
    let assigned = out.len() as u64;
    if !out.is_empty() {
        state
            .ingestor
            .submit(ws, Source("rekindle".into()), out)
            .await
            .map_err(|e| ApiError::new(ErrorCode::Unavailable, e.to_string()))?;
        if !state.ingestor.settled(crate::auth::SETTLE_WAIT).await {
            tracing::warn!("answering before ingestion caught up");
        }
    }
    access
        .audit(&state, "contacts.reach", format!("{assigned} customers to {} ({batch})", input.staff.join(", ")))
        .await;
    Ok((StatusCode::CREATED, Json(ReachAssigned { batch, assigned, per_staff })))
}

fn prospect(person: PersonId, profile: &rekindle_core::profile::Profile, phone: bool) -> Prospect {
    Prospect {
        person,
        phone,
        orders: profile.order_count(),
        reachable: profile.contacts.reachable(),
        last_order: profile.last_order(),
    }
}

fn contacts_of<'a>(audience: &'a Audience) -> impl Fn(PersonId) -> Option<&'a Relationships> {
    |p| audience.member(p).map(|m| &m.profile.contacts)
}

#[derive(Serialize, ToSchema)]
pub struct ReachBatches {
    /// Newest first.
    pub batches: Vec<BatchProgress>,
}

/// Every assignment with its progress per staff member: customers assigned, those whose
/// friendship with the staff member was added since, and those still to add.
#[utoipa::path(get, path = "/api/v1/contacts/reach", tag = "contacts", security(("bearer" = []), ("session" = [])),
    params(WorkspaceParam),
    responses((status = 200, body = ReachBatches), (status = 403, body = ApiError)))]
async fn list_batches(access: Access, State(state): State<AppState>) -> Result<Json<ReachBatches>, ApiError> {
    access.require(Permission::PeopleRead)?;
    let audience = state.engine.audience(access.ws()).await?;
    let batches = state.reach.look(access.ws(), |tasks| reach::progress(tasks, contacts_of(&audience))).await?;
    Ok(Json(ReachBatches { batches }))
}

/// One customer to add.
#[derive(Serialize, ToSchema)]
pub struct ReachTaskRow {
    #[schema(value_type = String)]
    pub person: PersonId,
    /// Masked for roles without `pii.read`.
    pub name: Option<String>,
    pub phone: Option<String>,
    pub staff_id: String,
    pub assigned_at: DateTime<Utc>,
    pub last_order_at: Option<DateTime<Utc>>,
    /// When the customer added the staff member (at or after the assignment); none yet: to do.
    pub added_at: Option<DateTime<Utc>>,
}

#[derive(Serialize, ToSchema)]
pub struct ReachTaskList {
    #[serde(flatten)]
    pub progress: BatchProgress,
    /// In the order handed out.
    pub tasks: Vec<ReachTaskRow>,
}

#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct StaffParam {
    /// Only this staff member's tasks.
    staff: Option<String>,
}

/// A batch id as the server makes them: letters, digits, `-` and `_`, at most 64.
fn batch_id(batch: &str) -> Result<(), ApiError> {
    let ok = !batch.is_empty()
        && batch.len() <= 64
        && batch.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
    if ok {
        Ok(())
    } else {
        Err(ApiError::field(ErrorCode::InvalidField, "batch", "a batch id: letters, digits, - and _"))
    }
}

/// The batch's tasks (one staff member's with `?staff=`), with who each customer is.
async fn tasks(state: &AppState, access: &Access, batch: &str, staff: Option<&str>) -> Result<ReachTaskList, ApiError> {
    batch_id(batch)?;
    let ws = access.ws();
    let audience = state.engine.audience(ws).await?;
    let (progress, tasks): (Option<BatchProgress>, Vec<(PersonId, Assignment)>) = state
        .reach
        .look(ws, |t| {
            let progress = reach::progress(t, contacts_of(&audience)).into_iter().find(|b| b.batch == batch);
            let tasks = t.batch(batch).into_iter().map(|(p, a)| (p, a.clone())).collect();
            (progress, tasks)
        })
        .await?;
    let progress = progress.ok_or_else(|| {
        let mut e = ApiError::not_found(format!("batch {batch}"));
        e.field = Some("batch".into());
        e
    })?;
    let mut rows = Vec::with_capacity(tasks.len());
    for (person, a) in tasks.into_iter().filter(|(_, a)| staff.is_none_or(|s| a.staff == s)) {
        let p: Option<Person> = state.store.person(ws, &PersonRef::Id(person)).await?;
        let member = audience.member(person);
        rows.push(ReachTaskRow {
            person,
            name: p.as_ref().and_then(Person::nickname).map(|n| shown_text(access, n)),
            phone: p.as_ref().and_then(Person::phone).map(|v| shown(access, IdentifierKind::Phone, v)),
            added_at: member.and_then(|m| reach::added_since(&m.profile.contacts, &a.staff, a.at)),
            last_order_at: member.and_then(|m| m.profile.last_order()),
            staff_id: a.staff,
            assigned_at: a.at,
        });
    }
    Ok(ReachTaskList { progress, tasks: rows })
}

/// One batch's task list: who each staff member is to add, by phone, and whether they have.
/// Names and phones are masked for roles without `pii.read`.
#[utoipa::path(get, path = "/api/v1/contacts/reach/{batch}", tag = "contacts", security(("bearer" = []), ("session" = [])),
    params(("batch" = String, Path, description = "Batch id"), StaffParam, WorkspaceParam),
    responses((status = 200, body = ReachTaskList), (status = 400, body = ApiError), (status = 403, body = ApiError), (status = 404, body = ApiError)))]
async fn batch_tasks(
    access: Access,
    State(state): State<AppState>,
    ApiPath(batch): ApiPath<String>,
    Params(q): Params<StaffParam>,
) -> Result<Json<ReachTaskList>, ApiError> {
    access.require(Permission::PeopleRead)?;
    Ok(Json(tasks(&state, &access, &batch, q.staff.as_deref()).await?))
}

fn columns(lang: Lang) -> [&'static str; 8] {
    match lang {
        Lang::Zh => ["用户 ID", "昵称", "手机号", "员工", "分配时间", "最近下单", "状态", "添加时间"],
        Lang::En => ["person", "nickname", "phone", "staff", "assigned_at", "last_order", "status", "added_at"],
    }
}

fn status(added: bool, lang: Lang) -> &'static str {
    match (added, lang) {
        (true, Lang::Zh) => "已添加",
        (false, Lang::Zh) => "待添加",
        (true, Lang::En) => "added",
        (false, Lang::En) => "pending",
    }
}

/// The batch's task list as CSV for Excel (one staff member's with `?staff=`): headers in the
/// operator's language, times in the store's time zone, UTF-8 with a BOM; names and phones
/// masked for roles without `pii.read`.
#[utoipa::path(get, path = "/api/v1/contacts/reach/{batch}/csv", tag = "contacts", security(("bearer" = []), ("session" = [])),
    params(("batch" = String, Path, description = "Batch id"), StaffParam, LangParam, WorkspaceParam),
    responses((status = 200, content_type = "text/csv", body = String), (status = 400, body = ApiError), (status = 403, body = ApiError), (status = 404, body = ApiError)))]
async fn batch_csv(
    access: Access,
    State(state): State<AppState>,
    ApiPath(batch): ApiPath<String>,
    Params(q): Params<StaffParam>,
    Params(LangParam { lang }): Params<LangParam>,
) -> Result<Response, ApiError> {
    access.require(Permission::PeopleRead)?;
    let list = tasks(&state, &access, &batch, q.staff.as_deref()).await?;
    let lang = lang.unwrap_or_default();
    let tz: Tz = access.time_zone();
    let local = |t: DateTime<Utc>| t.with_timezone(&tz).format("%Y-%m-%d %H:%M:%S").to_string();
    let write_err = |e: csv::Error| ApiError::internal(&e);
    let mut out = super::csv_file::writer();
    out.write_record(columns(lang)).map_err(write_err)?;
    for r in &list.tasks {
        out.write_record([
            r.person.to_string(),
            csv_cell::text(r.name.as_deref().unwrap_or_default()).into_owned(),
            csv_cell::text(r.phone.as_deref().unwrap_or_default()).into_owned(),
            csv_cell::text(&r.staff_id).into_owned(),
            local(r.assigned_at),
            r.last_order_at.map(local).unwrap_or_default(),
            status(r.added_at.is_some(), lang).into(),
            r.added_at.map(local).unwrap_or_default(),
        ])
        .map_err(write_err)?;
    }
    let bytes = out.into_inner().map_err(|e| ApiError::internal(e.error()))?;
    access.audit(&state, "contacts.reach.export", batch.clone()).await;
    let name = match q.staff.as_deref() {
        Some(s) => format!("reach-{batch}-{s}"),
        None => format!("reach-{batch}"),
    };
    Ok(super::csv_file::response(&name, bytes))
}
