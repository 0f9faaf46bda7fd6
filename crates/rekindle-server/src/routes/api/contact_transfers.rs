//! Customer transfers between staff members (docs/relationships.md): 在职转接 of a staff
//! member's customers (all of them, or named ones) and 离职继承 of a departed one's, each
//! customer's transfer tracked as WeCom answers; and a reconcile with WeCom on demand.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use rekindle_core::contacts::{Transfer, TransferKind, TransferStatus};
use rekindle_core::{IdentifierKind, PersonId, events};
use rekindle_journeys::wecom::contact_event;
use rekindle_journeys::wecom::reconcile::{Reconciled, reconcile};
use rekindle_store::{PersonRef, Source};
use serde::{Deserialize, Serialize};
use serde_json::json;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::people::find;
use super::redact::{shown, shown_name};
use super::{Body, WorkspaceParam};
use crate::auth::{Access, Can, perm};
use crate::error::{ApiError, ErrorCode};
use crate::state::AppState;
use rekindle_core::access::Permission;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(list_transfers, request_transfers)).routes(routes!(reconcile_now))
}

/// Customers one request hands over at most.
const MAX_CUSTOMERS: usize = 5000;
/// Transfers listed, newest first.
const LISTED: usize = 500;
const ID_MAX: usize = 64;

/// One customer's transfer, with who they are (masked for roles without `pii.read`).
#[derive(Serialize, ToSchema)]
pub struct TransferRow {
    #[serde(flatten)]
    pub transfer: Transfer,
    pub name: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct TransferList {
    /// Customers per status across all transfers.
    pub requested: u64,
    pub waiting: u64,
    pub done: u64,
    pub refused: u64,
    pub failed: u64,
    /// Newest first (at most 500).
    pub transfers: Vec<TransferRow>,
}

/// The store's customer transfers.
#[utoipa::path(get, path = "/api/v1/contacts/transfers", tag = "contacts", security(("bearer" = []), ("session" = [])),
    params(WorkspaceParam),
    responses((status = 200, body = TransferList), (status = 403, body = ApiError)))]
async fn list_transfers(access: Access, State(state): State<AppState>) -> Result<Json<TransferList>, ApiError> {
    access.require(Permission::PeopleRead)?;
    let all: Vec<Transfer> = state.transfers.look(access.ws(), |b| b.list().into_iter().cloned().collect()).await?;
    let count = |s: &[TransferStatus]| all.iter().filter(|t| s.contains(&t.status)).count() as u64;
    let mut list = TransferList {
        requested: count(&[TransferStatus::Requested]),
        waiting: count(&[TransferStatus::Waiting]),
        done: count(&[TransferStatus::Done]),
        refused: count(&[TransferStatus::Refused, TransferStatus::TakeoverFull]),
        failed: count(&[TransferStatus::Failed]),
        transfers: Vec::new(),
    };
    for mut t in all.into_iter().take(LISTED) {
        let name = shown_name(&state, &access, t.person).await?;
        t.external_userid = shown(&access, IdentifierKind::WecomExternalUserid, t.external_userid);
        list.transfers.push(TransferRow { transfer: t, name });
    }
    Ok(Json(list))
}

/// What to hand over.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TransferRequest {
    /// `on_job` (在职转接; customers may refuse) or `resigned` (离职继承).
    pub kind: TransferKind,
    /// The staff member handing over and the one taking over (WeCom userids).
    pub handover: String,
    pub takeover: String,
    /// Customers to hand over (person ids or any identifier); all of the handing-over staff
    /// member's customers when absent.
    #[serde(default)]
    pub customers: Option<Vec<String>>,
}

#[derive(Serialize, ToSchema)]
pub struct TransferRequested {
    pub batch: String,
    /// Customers asked for, and those left out (already on their way to someone, no WeCom id,
    /// not the handing-over staff member's friend).
    pub requested: usize,
    pub skipped: usize,
}

fn staff_id(field: &str, s: &str) -> Result<String, ApiError> {
    let s = s.trim();
    let ok = !s.is_empty() && s.len() <= ID_MAX && s.chars().all(|c| c.is_ascii_alphanumeric() || "-_.@".contains(c));
    if !ok {
        return Err(ApiError::field(ErrorCode::InvalidField, field, "a WeCom userid: letters, digits and - _ . @"));
    }
    Ok(s.to_owned())
}

/// Hand customers to another staff member. Each customer's transfer is recorded at once
/// (`requested`); the WeCom loop sends it and follows WeCom's answer.
#[utoipa::path(post, path = "/api/v1/contacts/transfers", tag = "contacts", security(("bearer" = []), ("session" = [])),
    params(WorkspaceParam), request_body = TransferRequest,
    responses((status = 202, body = TransferRequested), (status = 400, body = ApiError), (status = 403, body = ApiError), (status = 404, body = ApiError)))]
async fn request_transfers(
    access: Can<perm::ContactsManage>,
    State(state): State<AppState>,
    Body(input): Body<TransferRequest>,
) -> Result<(StatusCode, Json<TransferRequested>), ApiError> {
    let handover = staff_id("handover", &input.handover)?;
    let takeover = staff_id("takeover", &input.takeover)?;
    if handover == takeover {
        return Err(ApiError::field(ErrorCode::InvalidField, "takeover", "must differ from handover"));
    }
    let ws = access.ws();
    let people: Vec<PersonId> = match &input.customers {
        Some(list) => {
            if list.is_empty() || list.len() > MAX_CUSTOMERS {
                return Err(ApiError::field(ErrorCode::InvalidField, "customers", format!("1 to {MAX_CUSTOMERS}")));
            }
            let mut people = Vec::with_capacity(list.len());
            for (i, who) in list.iter().enumerate() {
                let p = find(&state, &access, who).await.map_err(|mut e| {
                    e.field = Some(format!("customers[{i}]"));
                    e
                })?;
                people.push(p.id);
            }
            people
        }
        None => {
            let audience = state.engine.audience(ws).await?;
            let mine = audience.members.iter().filter(|m| m.profile.contacts.is_friend(&handover));
            mine.map(|m| m.person).take(MAX_CUSTOMERS).collect()
        }
    };
    let in_flight: Vec<String> =
        state.transfers.look(ws, |b| b.open().into_iter().map(|t| t.external_userid.clone()).collect()).await?;
    let now = state.engine.now();
    let batch = format!("b{}-{:08x}", now.timestamp_millis(), rand::random::<u32>());
    let (mut out, mut skipped) = (Vec::new(), 0usize);
    for person in people {
        let record = state.store.person(ws, &PersonRef::Id(person)).await?;
        let external = record
            .as_ref()
            .and_then(|p| p.identities.iter().rev().find(|i| i.identifier.kind == IdentifierKind::WecomExternalUserid));
        let Some(external) = external.map(|i| i.identifier.value.clone()) else {
            skipped += 1;
            continue;
        };
        let friend = rekindle_journeys::person_contacts(&*state.store, ws, person).await?.is_friend(&handover);
        // 离职继承 reaches customers WeCom still lists under the departed staff member.
        if in_flight.contains(&external) || (input.kind == TransferKind::OnJob && !friend) {
            skipped += 1;
            continue;
        }
        let id = format!("{batch}-{}", out.len());
        let props = json!({"transfer_id": id, "batch_id": batch, "kind": input.kind.as_str(), "handover": handover,
            "takeover": takeover, "external_userid": external});
        let m = contact_event(
            events::CONTACT_TRANSFER_REQUESTED,
            &external,
            props,
            format!("transfer:{id}:requested"),
            now,
            "rekindle",
        )
        .map_err(|e| ApiError::new(ErrorCode::InvalidField, e))?;
        out.push(m);
    }
    let requested = out.len();
    if requested > 0 {
        state
            .ingestor
            .submit(ws, Source("rekindle".into()), out)
            .await
            .map_err(|e| ApiError::new(ErrorCode::Unavailable, e.to_string()))?;
    }
    access
        .audit(
            &state,
            "contacts.transfer",
            format!("{requested} customers {handover} → {takeover} ({})", input.kind.as_str()),
        )
        .await;
    Ok((StatusCode::ACCEPTED, Json(TransferRequested { batch, requested, skipped })))
}

/// Reconcile WeCom's friendships with the log now (it also runs on its own every few hours).
#[utoipa::path(post, path = "/api/v1/contacts/reconcile", tag = "contacts", security(("bearer" = []), ("session" = [])),
    params(WorkspaceParam),
    responses((status = 200, body = Reconciled), (status = 403, body = ApiError), (status = 404, body = ApiError), (status = 503, body = ApiError)))]
async fn reconcile_now(
    access: Can<perm::ContactsManage>,
    State(state): State<AppState>,
) -> Result<Json<Reconciled>, ApiError> {
    let ws = access.ws();
    let wecom = state.wecom(ws).await?;
    let found = reconcile(&*state.store, &state.engine, &wecom, &state.ingestor, ws, state.engine.now())
        .await
        .map_err(|e| ApiError::new(ErrorCode::Unavailable, e.to_string()))?;
    access.audit(&state, "contacts.reconcile", format!("+{} -{}", found.added, found.removed)).await;
    Ok(Json(found))
}
