//! Message templates (with a preview rendered for a real person) and coupons
//! (docs/journeys.md).

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use rekindle_core::access::Permission;
use rekindle_core::outreach::{CouponDefinition, MessageTemplate, Vars};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::ApiPath;
use super::people::find;
use super::{Body, WorkspaceParam};
use crate::auth::Access;
use crate::auth::{Can, perm};
use crate::error::{ApiError, ErrorCode};
use crate::state::AppState;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_templates))
        .routes(routes!(put_template, delete_template))
        .routes(routes!(preview))
        .routes(routes!(list_coupons))
        .routes(routes!(put_coupon))
}

#[derive(Serialize, ToSchema)]
pub struct TemplateList {
    pub templates: Vec<MessageTemplate>,
}

#[derive(Serialize, ToSchema)]
pub struct CouponList {
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
    params(("name" = String, Path), WorkspaceParam), request_body = MessageTemplate,
    responses((status = 200, body = MessageTemplate), (status = 400, body = ApiError)))]
async fn put_template(
    access: Can<perm::JourneysManage>,
    State(state): State<AppState>,
    ApiPath(name): ApiPath<String>,
    Body(template): Body<MessageTemplate>,
) -> Result<Json<MessageTemplate>, ApiError> {
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
    ApiPath(name): ApiPath<String>,
) -> Result<StatusCode, ApiError> {
    access.require(Permission::JourneysManage)?;
    state.store.delete_message_template(access.ws(), &name).await?;
    state.runner.invalidate(access.ws());
    access.audit(&state, "message_template.delete", name).await;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = MessagePreviewInput)]
pub struct PreviewInput {
    template: MessageTemplate,
    /// A person id or any identifier (a phone, say).
    person: String,
}

#[derive(Serialize, ToSchema)]
pub struct Rendered {
    pub text: String,
    pub params: Vec<(String, String)>,
    #[schema(required = true)]
    pub link: Option<String>,
    /// How many SMS the text is billed as.
    pub sms_parts: u32,
}

/// The template as this person would read it. Coupons and live sessions, which a journey
/// supplies when it runs, are shown with sample values.
#[utoipa::path(post, path = "/api/v1/message-templates/preview", operation_id = "preview_message", tag = "journeys", security(("bearer" = []), ("session" = [])),
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
        // Rendered for the caller: a phone written into a nickname stays masked for them.
        vars.insert("nickname", super::redact::shown_text(&access, n));
    }
    if let Some(m) = audience.member(person.id) {
        audience.loyalty_vars(m, &mut vars);
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
    params(("name" = String, Path), WorkspaceParam), request_body = CouponDefinition,
    responses((status = 200, body = CouponDefinition), (status = 400, body = ApiError)))]
async fn put_coupon(
    access: Can<perm::JourneysManage>,
    State(state): State<AppState>,
    ApiPath(name): ApiPath<String>,
    Body(coupon): Body<CouponDefinition>,
) -> Result<Json<CouponDefinition>, ApiError> {
    if coupon.name != name {
        return Err(ApiError::field(ErrorCode::InvalidField, "name", "must be the name in the path"));
    }
    coupon.check().map_err(ApiError::from)?;
    state.store.put_coupon(access.ws(), &coupon).await?;
    state.runner.invalidate(access.ws());
    access.audit(&state, "coupon.put", coupon.name.clone()).await;
    Ok(Json(coupon))
}
