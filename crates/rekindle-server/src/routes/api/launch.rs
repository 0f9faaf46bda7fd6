//! Launch safety (docs/journeys.md): the store's test-send seeds and approval setting, test
//! sends of a journey's step to the seeds, and an owner's decision on a request to publish.

use axum::Json;
use axum::extract::State;
use rekindle_core::JourneyId;
use rekindle_core::access::Permission;
use rekindle_core::journey::Action;
use rekindle_core::journey::launch::LaunchSettings;
use rekindle_core::outreach::ChannelKind;
use rekindle_journeys::test_send::{TestSendError, test_send};
use rekindle_rules::journey::validate;
use rekindle_store::{Approval, ApprovalState};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::input::{actor, checked_text};
use super::{ApiPath, Body, WorkspaceParam};
use crate::auth::{Access, Can, perm};
use crate::error::{ApiError, ErrorCode};
use crate::state::AppState;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(get_launch_settings, put_launch_settings))
        .routes(routes!(send_test))
        .routes(routes!(decide))
}

/// The store's launch settings: who receives test sends, and whether publishing needs an
/// owner's approval (owners and operators).
#[utoipa::path(get, path = "/api/v1/launch-settings", tag = "journeys", security(("bearer" = []), ("session" = [])),
    params(WorkspaceParam), responses((status = 200, body = LaunchSettings), (status = 403, body = ApiError)))]
async fn get_launch_settings(
    access: Can<perm::JourneysManage>,
    State(state): State<AppState>,
) -> Result<Json<LaunchSettings>, ApiError> {
    Ok(Json(state.store.launch_settings(access.ws()).await?))
}

/// Replace the launch settings (owners only: an operator cannot waive the approval they are
/// under). Phones are stored in E.164; each problem is named by its field.
#[utoipa::path(put, path = "/api/v1/launch-settings", tag = "journeys", security(("bearer" = []), ("session" = [])),
    params(WorkspaceParam), request_body = LaunchSettings,
    responses((status = 200, body = LaunchSettings), (status = 400, body = ApiError), (status = 403, body = ApiError)))]
async fn put_launch_settings(
    access: Can<perm::WorkspaceManage>,
    State(state): State<AppState>,
    Body(settings): Body<LaunchSettings>,
) -> Result<Json<LaunchSettings>, ApiError> {
    let settings = settings.checked()?;
    state.store.put_launch_settings(access.ws(), &settings, state.engine.now()).await?;
    let what =
        format!("approval {}, {} seeds", if settings.approval_required { "on" } else { "off" }, settings.seeds.len());
    access.audit(&state, "launch.settings.update", what).await;
    Ok(Json(settings))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TestSendInput {
    /// The id of a send step in the journey's draft.
    step: String,
    /// One of the step's channels (its own or a fallback); the step's own by default.
    #[serde(default)]
    channel: Option<ChannelKind>,
}

#[derive(Serialize, ToSchema)]
pub struct TestSendRow {
    pub seed: String,
    /// The seed's address on the channel (empty when they have none).
    pub to: String,
    /// Null when sent; else `no_address`, `no_provider` or the provider's failure kind.
    #[schema(required = true)]
    pub error: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct TestSendResult {
    pub channel: ChannelKind,
    pub template: String,
    pub sent: usize,
    pub results: Vec<TestSendRow>,
}

/// Send a step of the draft to the store's seed list now, marked 【测试】, with sample values
/// for the person's variables: through the store's providers, to the seeds only, outside caps
/// and outside any enrollment. Nothing is retried.
#[utoipa::path(post, path = "/api/v1/journeys/{id}/test-send", tag = "journeys", security(("bearer" = []), ("session" = [])),
    params(("id" = i64, Path), WorkspaceParam), request_body = TestSendInput,
    responses((status = 200, body = TestSendResult), (status = 400, body = ApiError), (status = 404, body = ApiError)))]
async fn send_test(
    access: Can<perm::JourneysManage>,
    State(state): State<AppState>,
    ApiPath(id): ApiPath<JourneyId>,
    Body(input): Body<TestSendInput>,
) -> Result<Json<TestSendResult>, ApiError> {
    let ws = access.ws();
    let j = state.store.journey(ws, id).await?.ok_or_else(|| ApiError::not_found(format!("journey {id}")))?;
    let step_id = checked_text("step", &input.step, 1, 64)?;
    let step = j.draft.steps.iter().find(|s| s.id == step_id).ok_or_else(|| {
        ApiError::field(ErrorCode::InvalidField, "step", format!("the draft has no step {step_id:?}"))
    })?;
    let Action::Send { channel, template, fallback, .. } = &step.action else {
        return Err(ApiError::field(ErrorCode::InvalidField, "step", "only a send step can be test-sent"));
    };
    let choices =
        std::iter::once((*channel, template.as_str())).chain(fallback.iter().map(|f| (f.channel, f.template.as_str())));
    let (channel, template) = match input.channel {
        None => (*channel, template.as_str()),
        Some(wanted) => choices
            .clone()
            .find(|(c, _)| *c == wanted)
            .ok_or_else(|| ApiError::field(ErrorCode::InvalidField, "channel", "is not one of the step's channels"))?,
    };
    let templates = state.store.message_templates(ws).await?;
    let t = templates.iter().find(|t| t.name == template && t.channel == channel).ok_or_else(|| {
        ApiError::field(ErrorCode::InvalidField, "step", format!("there is no {channel} template {template:?}"))
    })?;
    let seeds = state.store.launch_settings(ws).await?.seeds;
    if seeds.iter().all(|s| s.address(channel).is_none()) {
        return Err(ApiError::field(
            ErrorCode::InvalidField,
            "step",
            format!("nobody on the seed list has a {channel} address (设置 → 上线安全)"),
        ));
    }
    let key = format!("{}:{}:{}", j.id, step_id, state.engine.now().timestamp_millis());
    let results = test_send(&state.channels, ws, channel, t, &seeds, &key).await.map_err(|e| match e {
        TestSendError::Render(field, reason) => {
            ApiError::field(ErrorCode::InvalidField, format!("template.{field}"), reason)
        }
        TestSendError::Channels(e) => ApiError::new(ErrorCode::Conflict, e),
    })?;
    let sent = results.iter().filter(|r| r.error.is_none()).count();
    access.audit(&state, "journey.test_send", format!("{} ({}) {step_id} {channel}: {sent}", j.name, j.id)).await;
    Ok(Json(TestSendResult {
        channel,
        template: template.to_owned(),
        sent,
        results: results.into_iter().map(|r| TestSendRow { seed: r.seed, to: r.to, error: r.error }).collect(),
    }))
}

/// A request to publish, as the journey shows it.
#[derive(Serialize, ToSchema)]
pub struct ApprovalView {
    pub id: i64,
    /// pending (待审批), approved, rejected or withdrawn
    pub state: String,
    pub requested_by: String,
    pub requested_at: chrono::DateTime<chrono::Utc>,
    #[schema(required = true)]
    pub decided_by: Option<String>,
    #[schema(required = true)]
    pub decided_at: Option<chrono::DateTime<chrono::Utc>>,
    /// Why it was rejected.
    #[schema(required = true)]
    pub reason: Option<String>,
    /// The draft was edited after the request: approving would publish something else.
    pub draft_changed: bool,
}

impl ApprovalView {
    pub fn of(a: Approval, draft: &rekindle_core::journey::Definition) -> Self {
        Self {
            draft_changed: a.draft != *draft,
            id: a.id,
            state: a.state.as_str().into(),
            requested_by: a.requested_by,
            requested_at: a.requested_at,
            decided_by: a.decided_by,
            decided_at: a.decided_at,
            reason: a.reason,
        }
    }
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DecisionInput {
    /// approve (publishes the draft as requested) or reject
    decision: String,
    /// Why, for a rejection (required then).
    #[serde(default)]
    reason: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct Decided {
    pub approval: ApprovalView,
    /// The version published, when approved.
    #[schema(required = true)]
    pub version: Option<i32>,
}

/// An owner approves (publishes) or rejects, with a reason, the journey's pending request to
/// publish. Approval publishes the draft as it was requested; a draft edited since is refused
/// (409) so nothing unseen goes live.
#[utoipa::path(post, path = "/api/v1/journeys/{id}/approval", tag = "journeys", security(("bearer" = []), ("session" = [])),
    params(("id" = i64, Path), WorkspaceParam), request_body = DecisionInput,
    responses((status = 200, body = Decided), (status = 400, body = ApiError), (status = 403, body = ApiError),
        (status = 404, body = ApiError), (status = 409, body = ApiError)))]
async fn decide(
    access: Can<perm::WorkspaceManage>,
    State(state): State<AppState>,
    ApiPath(id): ApiPath<JourneyId>,
    Body(input): Body<DecisionInput>,
) -> Result<Json<Decided>, ApiError> {
    let ws = access.ws();
    let approve = match input.decision.as_str() {
        "approve" => true,
        "reject" => false,
        _ => return Err(ApiError::field(ErrorCode::InvalidField, "decision", "must be approve or reject")),
    };
    let reason = match (&input.reason, approve) {
        (Some(r), _) => Some(checked_text("reason", r, 1, 500)?),
        (None, false) => return Err(ApiError::field(ErrorCode::InvalidField, "reason", "say why it is rejected")),
        (None, true) => None,
    };
    let j = state.store.journey(ws, id).await?.ok_or_else(|| ApiError::not_found(format!("journey {id}")))?;
    let pending = state
        .store
        .latest_approval(ws, id)
        .await?
        .filter(|a| a.state == ApprovalState::Pending)
        .ok_or_else(|| ApiError::new(ErrorCode::Conflict, "nothing is waiting for approval"))?;
    if approve {
        if pending.draft != j.draft {
            return Err(ApiError::new(ErrorCode::Conflict, "the draft was edited after the request; ask again"));
        }
        let known = super::journeys::known(&state, &access).await?;
        if let Some(p) = validate(&j.draft, &known).into_iter().next() {
            return Err(ApiError::field(ErrorCode::InvalidField, format!("definition.{}", p.field), p.reason));
        }
    }
    let who = actor(&access);
    let now = state.engine.now();
    let decided = state
        .store
        .decide_approval(ws, pending.id, approve, &who, reason.as_deref(), now)
        .await?
        .ok_or_else(|| ApiError::new(ErrorCode::Conflict, "someone decided first"))?;
    let version = if approve {
        let by = format!("{who} (requested by {})", decided.requested_by);
        let v = state.store.publish_journey(ws, id, Some(&by), now).await?;
        state.runner.invalidate(ws);
        access.audit(&state, "journey.approve", format!("{} ({}) v{}", j.name, j.id, v.version)).await;
        Some(v.version)
    } else {
        let why = reason.as_deref().unwrap_or_default();
        access.audit(&state, "journey.reject", format!("{} ({}): {why}", j.name, j.id)).await;
        None
    };
    Ok(Json(Decided { approval: ApprovalView::of(decided, &j.draft), version }))
}

/// Whether this publish must wait for an owner: the store asks for approval and the caller is
/// not an owner.
pub async fn needs_approval(state: &AppState, access: &Access) -> Result<bool, ApiError> {
    if access.require(Permission::WorkspaceManage).is_ok() {
        return Ok(false);
    }
    Ok(state.store.launch_settings(access.ws()).await?.approval_required)
}
