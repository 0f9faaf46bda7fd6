//! Points for the store's own systems (the mini-program, the order system), with the write
//! key (docs/loyalty.md, "Redeeming"): a member's balance, level and benefits; redeeming
//! points against an order, held, then confirmed or released. Every call is idempotent by its
//! key, and two redemptions racing on one balance never overspend.

use axum::Json;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use rekindle_core::loyalty::entries::{check_key, check_points};
use rekindle_core::loyalty::{Posted, Program};
use rekindle_core::{Identifier, IdentifierKind, PersonId, WorkspaceId};
use rekindle_store::PersonRef;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::api::{ApiPath, Body};
use crate::auth::basic_username;
use crate::error::{ApiError, ErrorCode};
use crate::routes::api::loyalty::{PointsView, points_of};
use crate::state::AppState;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(points_member))
        .routes(routes!(redeem_points))
        .routes(routes!(confirm_redemption))
        .routes(routes!(release_redemption))
}

async fn workspace(state: &AppState, headers: &HeaderMap) -> Result<WorkspaceId, ApiError> {
    let secret = basic_username(headers).filter(|u| !u.is_empty());
    Ok(state.write_keys.authenticate(&*state.store, secret.as_deref()).await?.workspace)
}

/// The member a `userId` names (the one the store's events carry), as OneID has them now.
async fn member_of(state: &AppState, ws: WorkspaceId, user_id: &str, field: &str) -> Result<PersonId, ApiError> {
    let id = Identifier::parse(IdentifierKind::UserId, user_id, field)?;
    let person = state.store.person(ws, &PersonRef::Identifier(id)).await?;
    person.map(|p| p.id).ok_or_else(|| ApiError::not_found(format!("member {user_id}")))
}

/// A member's points, level, benefits and the way to the next level.
#[utoipa::path(get, path = "/v1/points/members/{user_id}", tag = "loyalty", security(("write_key" = [])),
    params(("user_id" = String, Path, description = "The member's userId")),
    responses((status = 200, body = PointsView), (status = 401, body = ApiError), (status = 404, body = ApiError)))]
async fn points_member(
    State(state): State<AppState>,
    headers: HeaderMap,
    ApiPath(user_id): ApiPath<String>,
) -> Result<Json<PointsView>, ApiError> {
    let ws = workspace(&state, &headers).await?;
    let person = member_of(&state, ws, &user_id, "user_id").await?;
    let program = state.store.loyalty_program(ws).await?;
    Ok(Json(points_of(&state, ws, person, &program).await?))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RedeemInput {
    /// The member's userId.
    pub user_id: String,
    pub points: i64,
    /// One per redemption (the order id will do): sent again, it is the same redemption.
    pub key: String,
}

#[derive(Serialize, ToSchema)]
pub struct RedemptionView {
    pub key: String,
    pub points: i64,
    /// What the points take off the order, in fen.
    pub value_fen: i64,
    /// `held` until confirmed or released.
    pub state: &'static str,
    /// The member's balance after it.
    pub balance: i64,
}

async fn view(state: &AppState, ws: WorkspaceId, key: &str, program: &Program) -> Result<RedemptionView, ApiError> {
    let r = state.store.redemption(ws, key).await?.ok_or_else(|| ApiError::not_found(format!("redemption {key}")))?;
    let balance = state.store.points_entries(ws, r.person).await?.iter().map(|e| e.points).sum();
    let state = match (r.released, r.confirmed_at) {
        (true, _) => "released",
        (false, Some(_)) => "confirmed",
        (false, None) => "held",
    };
    Ok(RedemptionView {
        key: key.to_owned(),
        points: -r.entry.points,
        value_fen: program.value_fen(-r.entry.points),
        state,
        balance,
    })
}

/// Hold points against an order (50 points = ¥1 by default, no threshold). `409` with the
/// balance when it does not cover them; the same key again answers the same redemption.
#[utoipa::path(post, path = "/v1/points/redemptions", tag = "loyalty", security(("write_key" = [])),
    request_body = RedeemInput,
    responses((status = 201, body = RedemptionView), (status = 200, body = RedemptionView, description = "The key was redeemed before"),
               (status = 400, body = ApiError), (status = 404, body = ApiError), (status = 409, body = ApiError)))]
async fn redeem_points(
    State(state): State<AppState>,
    headers: HeaderMap,
    Body(input): Body<RedeemInput>,
) -> Result<(StatusCode, Json<RedemptionView>), ApiError> {
    let ws = workspace(&state, &headers).await?;
    check_key("key", &input.key)?;
    check_points("points", input.points)?;
    let person = member_of(&state, ws, &input.user_id, "user_id").await?;
    let program = state.store.loyalty_program(ws).await?;
    let entry = program.redemption(&input.key, input.points, state.engine.now());
    let posted = state.store.post_points(ws, person, &[entry]).await?;
    match posted[..] {
        [Posted::Refused { balance }] => Err(ApiError::field(
            ErrorCode::Conflict,
            "points",
            format!("the balance is {balance} points, fewer than the {} asked for", input.points),
        )),
        [Posted::Written] => Ok((StatusCode::CREATED, Json(view(&state, ws, &input.key, &program).await?))),
        _ => {
            let earlier = view(&state, ws, &input.key, &program).await?;
            if earlier.points != input.points {
                return Err(ApiError::field(ErrorCode::Conflict, "key", "was used for a redemption of other points"));
            }
            Ok((StatusCode::OK, Json(earlier)))
        }
    }
}

/// Confirm a held redemption: the order went through. Confirming again changes nothing; a
/// released one cannot be confirmed (`409`).
#[utoipa::path(post, path = "/v1/points/redemptions/{key}/confirm", tag = "loyalty", security(("write_key" = [])),
    params(("key" = String, Path, description = "The redemption's key")),
    responses((status = 200, body = RedemptionView), (status = 404, body = ApiError), (status = 409, body = ApiError)))]
async fn confirm_redemption(
    State(state): State<AppState>,
    headers: HeaderMap,
    ApiPath(key): ApiPath<String>,
) -> Result<Json<RedemptionView>, ApiError> {
    let ws = workspace(&state, &headers).await?;
    check_key("key", &key)?;
    let program = state.store.loyalty_program(ws).await?;
    if !state.store.confirm_redemption(ws, &key, state.engine.now()).await? {
        // Unknown (404 from the view), or released.
        view(&state, ws, &key, &program).await?;
        return Err(ApiError::field(ErrorCode::Conflict, "key", "the redemption was released"));
    }
    Ok(Json(view(&state, ws, &key, &program).await?))
}

/// Give a redemption's points back: the order was cancelled before it was confirmed, or
/// refunded after. Once per redemption; releasing again changes nothing.
#[utoipa::path(post, path = "/v1/points/redemptions/{key}/release", tag = "loyalty", security(("write_key" = [])),
    params(("key" = String, Path, description = "The redemption's key")),
    responses((status = 200, body = RedemptionView), (status = 404, body = ApiError)))]
async fn release_redemption(
    State(state): State<AppState>,
    headers: HeaderMap,
    ApiPath(key): ApiPath<String>,
) -> Result<Json<RedemptionView>, ApiError> {
    let ws = workspace(&state, &headers).await?;
    check_key("key", &key)?;
    let program = state.store.loyalty_program(ws).await?;
    let r = state.store.redemption(ws, &key).await?.ok_or_else(|| ApiError::not_found(format!("redemption {key}")))?;
    let tz = state.store.calendar(ws).await?.tz;
    let back = program.release(&key, &r.entry, state.engine.now(), tz);
    state.store.post_points(ws, r.person, &[back]).await?;
    Ok(Json(view(&state, ws, &key, &program).await?))
}
