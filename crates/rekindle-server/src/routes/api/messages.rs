//! Message templates (with a preview rendered for a real person), coupons, and what a person
//! was sent (docs/journeys.md).

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use chrono::{DateTime, Utc};
use rekindle_core::access::Permission;
use rekindle_core::delivery::{CouponDefinition, MessageTemplate, Vars};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::people::find;
use super::{Body, WorkspaceParam};
use crate::auth::Access;
use crate::error::{ApiError, ErrorCode};
use crate::state::AppState;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_templates))
        .routes(routes!(put_template, delete_template))
        .routes(routes!(preview))
        .routes(routes!(list_coupons))
        .routes(routes!(put_coupon))
        .routes(routes!(person_messages))
}

#[derive(Serialize, ToSchema)]
pub struct TemplateList {
    #[schema(value_type = Vec<Object>)]
    pub templates: Vec<MessageTemplate>,
}

#[derive(Serialize, ToSchema)]
pub struct CouponList {
    #[schema(value_type = Vec<Object>)]
    pub coupons: Vec<CouponDefinition>,
}

/// The first problem with a template, as the API's error.
fn checked(t: &MessageTemplate) -> Result<(), ApiError> {
    match t.check().into_iter().next() {
        Some(p) => Err(ApiError::field(ErrorCode::InvalidField, p.field, p.reason)),
        None => Ok(()),
    }
}

#[utoipa::path(get, path = "/api/v1/message-templates", tag = "journeys", security(("bearer" = []), ("session" = [])),
    params(WorkspaceParam), responses((status = 200, body = TemplateList)))]
async fn list_templates(access: Access, State(state): State<AppState>) -> Result<Json<TemplateList>, ApiError> {
    access.require(Permission::PeopleRead)?;
    Ok(Json(TemplateList { templates: state.store.message_templates(access.ws()).await? }))
}

/// Create or replace a message template; checked against its channel's rules first.
#[utoipa::path(put, path = "/api/v1/message-templates/{name}", tag = "journeys", security(("bearer" = []), ("session" = [])),
    params(("name" = String, Path), WorkspaceParam), request_body = Object,
    responses((status = 200, body = Object), (status = 400, body = ApiError)))]
async fn put_template(
    access: Access,
    State(state): State<AppState>,
    Path(name): Path<String>,
    Body(template): Body<MessageTemplate>,
) -> Result<Json<MessageTemplate>, ApiError> {
    access.require(Permission::JourneysManage)?;
    if template.name != name {
        return Err(ApiError::field(ErrorCode::InvalidField, "name", "must be the name in the path"));
    }
    checked(&template)?;
    state.store.put_message_template(access.ws(), &template).await?;
    state.runner.invalidate(access.ws());
    access.audit(&state, "message_template.put", template.name.clone()).await;
    Ok(Json(template))
}

#[utoipa::path(delete, path = "/api/v1/message-templates/{name}", tag = "journeys", security(("bearer" = []), ("session" = [])),
    params(("name" = String, Path), WorkspaceParam), responses((status = 204), (status = 404, body = ApiError)))]
async fn delete_template(
    access: Access,
    State(state): State<AppState>,
    Path(name): Path<String>,
) -> Result<StatusCode, ApiError> {
    access.require(Permission::JourneysManage)?;
    state.store.delete_message_template(access.ws(), &name).await?;
    state.runner.invalidate(access.ws());
    access.audit(&state, "message_template.delete", name).await;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PreviewInput {
    #[schema(value_type = Object)]
    template: MessageTemplate,
    /// A person id or any identifier (a phone, say).
    person: String,
}

#[derive(Serialize, ToSchema)]
pub struct Rendered {
    pub text: String,
    pub params: Vec<(String, String)>,
    pub link: Option<String>,
    /// How many SMS the text is billed as.
    pub sms_parts: u32,
}

/// The template as this person would read it. Coupons and live sessions, which a journey
/// supplies when it runs, are shown with sample values.
#[utoipa::path(post, path = "/api/v1/message-templates/preview", tag = "journeys", security(("bearer" = []), ("session" = [])),
    params(WorkspaceParam), request_body = PreviewInput,
    responses((status = 200, body = Rendered), (status = 400, body = ApiError), (status = 404, body = ApiError)))]
async fn preview(
    access: Access,
    State(state): State<AppState>,
    Body(input): Body<PreviewInput>,
) -> Result<Json<Rendered>, ApiError> {
    let person = find(&state, &access, &input.person).await?;
    checked(&input.template)?;
    let audience = state.engine.audience(access.ws()).await?;
    let mut vars = Vars::new();
    if let Some(n) = person.nickname() {
        vars.insert("nickname", n);
    }
    if let Some(m) = audience.member(person.id) {
        if let Some(name) = m.profile.last_item(None).and_then(|i| i.name()) {
            vars.insert("last_product", name.to_owned());
        }
        if let Some(r) = m.scores.as_ref().and_then(|s| s.run_outs.iter().min_by_key(|r| r.at)) {
            vars.insert("days_left", (r.at - audience.now).num_days().max(0).to_string());
        }
    }
    vars.insert("coupon", "优惠券（示例）".into());
    vars.insert("coupon_expires", "12月31日".into());
    vars.insert("session_title", "直播（示例）".into());
    vars.insert("session_time", "20:00".into());
    let r = input
        .template
        .render(&vars)
        .map_err(|e| ApiError::field(ErrorCode::InvalidField, format!("template.{}", e.field), e.reason))?;
    Ok(Json(Rendered { text: r.text, params: r.params, link: r.link, sms_parts: r.sms_parts }))
}

#[utoipa::path(get, path = "/api/v1/coupons", tag = "journeys", security(("bearer" = []), ("session" = [])),
    params(WorkspaceParam), responses((status = 200, body = CouponList)))]
async fn list_coupons(access: Access, State(state): State<AppState>) -> Result<Json<CouponList>, ApiError> {
    access.require(Permission::PeopleRead)?;
    Ok(Json(CouponList { coupons: state.store.coupons(access.ws()).await? }))
}

/// Create or replace a coupon definition. Coupons already issued keep their terms.
#[utoipa::path(put, path = "/api/v1/coupons/{name}", tag = "journeys", security(("bearer" = []), ("session" = [])),
    params(("name" = String, Path), WorkspaceParam), request_body = Object,
    responses((status = 200, body = Object), (status = 400, body = ApiError)))]
async fn put_coupon(
    access: Access,
    State(state): State<AppState>,
    Path(name): Path<String>,
    Body(coupon): Body<CouponDefinition>,
) -> Result<Json<CouponDefinition>, ApiError> {
    access.require(Permission::JourneysManage)?;
    if coupon.name != name {
        return Err(ApiError::field(ErrorCode::InvalidField, "name", "must be the name in the path"));
    }
    coupon.check().map_err(ApiError::from)?;
    state.store.put_coupon(access.ws(), &coupon).await?;
    state.runner.invalidate(access.ws());
    access.audit(&state, "coupon.put", coupon.name.clone()).await;
    Ok(Json(coupon))
}

#[derive(Serialize, ToSchema)]
pub struct MessageView {
    pub send_key: String,
    pub channel: String,
    /// queued, sending, sent, awaiting, delivered, failed, uncertain, skipped
    pub state: String,
    pub journey: Option<i64>,
    pub step: Option<String>,
    pub variant: Option<String>,
    pub text: Option<String>,
    pub error_kind: Option<String>,
    pub error_code: Option<String>,
    pub error_message: Option<String>,
    pub not_before: DateTime<Utc>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub provider_id: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct EnrollmentView {
    pub id: i64,
    pub journey: i64,
    pub journey_name: Option<String>,
    pub version: i32,
    pub state: String,
    pub step: Option<String>,
    pub variant: Option<String>,
    pub entered_at: DateTime<Utc>,
    pub converted_at: Option<DateTime<Utc>>,
}

#[derive(Serialize, ToSchema)]
pub struct CouponView {
    pub code: String,
    pub coupon: String,
    pub issued_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
    pub redeemed_at: Option<DateTime<Utc>>,
    pub order_id: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct PersonMessages {
    pub messages: Vec<MessageView>,
    pub enrollments: Vec<EnrollmentView>,
    pub coupons: Vec<CouponView>,
    /// Channels the person opted out of.
    pub opted_out: Vec<String>,
}

/// Everything journeys did to a person: messages (with every failure and skip), journeys
/// entered, coupons, opt-outs.
#[utoipa::path(get, path = "/api/v1/people/{person}/messages", tag = "people", security(("bearer" = []), ("session" = [])),
    params(("person" = String, Path, description = "Person id or identifier"), WorkspaceParam),
    responses((status = 200, body = PersonMessages), (status = 404, body = ApiError)))]
async fn person_messages(
    access: Access,
    State(state): State<AppState>,
    Path(person): Path<String>,
) -> Result<Json<PersonMessages>, ApiError> {
    let person = find(&state, &access, &person).await?;
    let ws = access.ws();
    let messages = state
        .store
        .messages(ws, Some(person.id), 200)
        .await?
        .into_iter()
        .map(|m| MessageView {
            text: m.body.get("text").and_then(|t| t.as_str()).map(str::to_owned),
            send_key: m.send_key,
            channel: m.channel.as_str().into(),
            state: m.state.as_str().into(),
            journey: m.journey,
            step: m.step,
            variant: m.variant,
            error_kind: m.error_kind,
            error_code: m.error_code,
            error_message: m.error_message,
            not_before: m.not_before,
            created_at: m.created_at,
            updated_at: m.updated_at,
            provider_id: m.provider_id,
        })
        .collect();
    let names: std::collections::HashMap<i64, String> =
        state.store.journeys(ws).await?.into_iter().map(|j| (j.id, j.name)).collect();
    let enrollments = state
        .store
        .person_enrollments(ws, person.id)
        .await?
        .into_iter()
        .map(|e| EnrollmentView {
            id: e.id,
            journey_name: names.get(&e.journey).cloned(),
            journey: e.journey,
            version: e.version,
            state: e.state.as_str().into(),
            step: e.step,
            variant: e.variant,
            entered_at: e.entered_at,
            converted_at: e.converted_at,
        })
        .collect();
    let coupons = state
        .store
        .person_coupons(ws, person.id)
        .await?
        .into_iter()
        .map(|c| CouponView {
            code: c.code,
            coupon: c.coupon,
            issued_at: c.issued_at,
            expires_at: c.expires_at,
            redeemed_at: c.redeemed_at,
            order_id: c.order_id,
        })
        .collect();
    let opted_out = state.store.opted_out(ws, person.id).await?.into_iter().map(|c| c.as_str().to_owned()).collect();
    Ok(Json(PersonMessages { messages, enrollments, coupons, opted_out }))
}
