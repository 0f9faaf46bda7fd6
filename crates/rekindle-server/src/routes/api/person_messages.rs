//! What journeys did to one person: messages (every failure and skip), journeys entered,
//! coupons, opt-outs (docs/journeys.md).

use axum::Json;
use axum::extract::State;
use chrono::{DateTime, Utc};
use serde::Serialize;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::ApiPath;
use super::people::find;
use super::{WorkspaceParam, for_role};
use crate::auth::Access;
use crate::error::ApiError;
use crate::state::AppState;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(person_messages))
}

#[derive(Serialize, ToSchema)]
pub struct MessageView {
    pub send_key: String,
    #[schema(value_type = rekindle_core::outreach::ChannelKind)]
    pub channel: String,
    /// queued, sending, sent, awaiting, delivered, failed, uncertain, skipped
    #[schema(value_type = rekindle_store::OutboxState)]
    pub state: String,
    #[schema(required = true)]
    pub journey: Option<i64>,
    #[schema(required = true)]
    pub step: Option<String>,
    #[schema(required = true)]
    pub variant: Option<String>,
    #[schema(required = true)]
    pub text: Option<String>,
    #[schema(required = true)]
    pub error_kind: Option<String>,
    #[schema(required = true)]
    pub error_code: Option<String>,
    #[schema(required = true)]
    pub error_message: Option<String>,
    pub not_before: DateTime<Utc>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    #[schema(required = true)]
    pub provider_id: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct EnrollmentView {
    pub id: i64,
    pub journey: i64,
    #[schema(required = true)]
    pub journey_name: Option<String>,
    pub version: i32,
    #[schema(value_type = rekindle_store::EnrollmentState)]
    pub state: String,
    #[schema(required = true)]
    pub step: Option<String>,
    #[schema(required = true)]
    pub variant: Option<String>,
    pub entered_at: DateTime<Utc>,
    #[schema(required = true)]
    pub converted_at: Option<DateTime<Utc>>,
}

#[derive(Serialize, ToSchema)]
pub struct CouponView {
    pub code: String,
    pub coupon: String,
    pub issued_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
    #[schema(required = true)]
    pub redeemed_at: Option<DateTime<Utc>>,
    #[schema(required = true)]
    pub order_id: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct PersonMessages {
    pub messages: Vec<MessageView>,
    pub enrollments: Vec<EnrollmentView>,
    pub coupons: Vec<CouponView>,
    /// Channels the person opted out of.
    #[schema(value_type = Vec<rekindle_core::outreach::ChannelKind>)]
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
    ApiPath(person): ApiPath<String>,
) -> Result<Json<PersonMessages>, ApiError> {
    let person = find(&state, &access, &person).await?;
    let ws = access.ws();
    let messages: Vec<MessageView> = state
        .store
        .messages(ws, Some(person.id), 200)
        .await?
        .into_iter()
        .map(|m| MessageView {
            text: m.body.get("text").and_then(|t| t.as_str()).map(str::to_owned),
            send_key: m.send_key,
            channel: m.channel.as_str().into(),
            state: m.state.as_str().into(),
            journey: m.journey.map(|j| j.0),
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
    let names: std::collections::HashMap<rekindle_core::JourneyId, String> =
        state.store.journeys(ws).await?.into_iter().map(|j| (j.id, j.name)).collect();
    let enrollments = state
        .store
        .person_enrollments(ws, person.id)
        .await?
        .into_iter()
        .map(|e| EnrollmentView {
            id: e.id,
            journey_name: names.get(&e.journey).cloned(),
            journey: e.journey.0,
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
    Ok(Json(PersonMessages { messages: for_role(messages, &access), enrollments, coupons, opted_out }))
}
