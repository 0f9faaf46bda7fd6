//! Referral (docs/referral.md): the programme's figures and leaderboard of inviters (seed
//! 003's KOC / 体验官), and a person's code, share link, inviter and friends.

use axum::Json;
use axum::extract::State;
use chrono::{DateTime, Duration, Utc};
use rekindle_core::PersonId;
use rekindle_core::access::Permission;
use rekindle_core::referral::Board;
use rekindle_engine::Audience;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::people::find;
use super::redact::shown_name;
use super::{ApiPath, Params, WorkspaceParam};
use crate::auth::Access;
use crate::error::{ApiError, ErrorCode};
use crate::state::AppState;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(referral_overview)).routes(routes!(person_referral))
}

/// Rows the leaderboard lists by default, and at most.
const BOARD_ROWS: (u32, u32) = (20, 100);
/// Friends a person's view lists, latest first.
const FRIENDS: usize = 100;
/// The window new customers are counted over.
const SHARE_DAYS: i64 = 30;

/// Someone named in a referral view: their id and the name they go by (masked by what it
/// holds for roles without `pii.read`).
#[derive(Serialize, ToSchema)]
pub struct Named {
    #[schema(value_type = String)]
    pub person: PersonId,
    pub name: Option<String>,
}

/// One inviter on the leaderboard.
#[derive(Serialize, ToSchema)]
pub struct InviterRow {
    #[serde(flatten)]
    pub who: Named,
    /// Friends attributed to them.
    pub invited: u32,
    /// Of those, friends who ordered after the invitation.
    pub converted: u32,
    /// What those friends spent, net of refunds, in fen.
    pub revenue_fen: i64,
    /// When their latest friend arrived.
    pub latest: DateTime<Utc>,
}

/// The referral programme at a glance.
#[derive(Serialize, ToSchema)]
pub struct ReferralOverview {
    /// People who came on a resolved invitation (self-referrals refused).
    pub invitees: usize,
    /// Of those, people who ordered after the invitation.
    pub converted: u32,
    /// People who invited at least one friend.
    pub inviters: usize,
    /// New customers (first order) in the last 30 days, and how many came on a friend's word.
    pub new_buyers_30d: u64,
    pub referred_30d: u64,
    pub referral_share_30d: Option<f64>,
    /// Inviters, most converted friends first.
    pub leaderboard: Vec<InviterRow>,
}

#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct BoardParams {
    /// Inviters listed (default 20, 1 to 100).
    limit: Option<u32>,
}

/// What a friend's orders come to: their first order and net spend.
fn bought(audience: &Audience, p: PersonId) -> Option<(DateTime<Utc>, i64)> {
    let m = audience.member(p)?;
    Some((m.profile.first_order()?, m.profile.spend_fen()))
}

async fn named(state: &AppState, access: &Access, person: PersonId) -> Result<Named, ApiError> {
    Ok(Named { person, name: shown_name(state, access, person).await? })
}

/// The programme's figures and its leaderboard of inviters.
#[utoipa::path(get, path = "/api/v1/referrals", tag = "referral", security(("bearer" = []), ("session" = [])),
    params(BoardParams, WorkspaceParam),
    responses((status = 200, body = ReferralOverview), (status = 400, body = ApiError), (status = 403, body = ApiError)))]
async fn referral_overview(
    access: Access,
    State(state): State<AppState>,
    Params(p): Params<BoardParams>,
) -> Result<Json<ReferralOverview>, ApiError> {
    access.require(Permission::PeopleRead)?;
    let limit = p.limit.unwrap_or(BOARD_ROWS.0);
    if !(1..=BOARD_ROWS.1).contains(&limit) {
        return Err(ApiError::field(
            ErrorCode::InvalidField,
            "limit",
            format!("must be between 1 and {}", BOARD_ROWS.1),
        ));
    }
    let audience = state.engine.audience(access.ws()).await?;
    let board: &Board = &audience.context.referrals;
    let rows = board.leaderboard(|p| bought(&audience, p));
    let since = audience.now - Duration::days(SHARE_DAYS);
    let (mut new_buyers, mut referred) = (0, 0);
    for m in &audience.members {
        if m.profile.first_order().is_some_and(|t| t > since && t <= audience.now) {
            new_buyers += 1;
            referred += u64::from(m.profile.referred());
        }
    }
    let converted = rows.iter().map(|r| r.converted).sum();
    let (invitees, inviters) = (board.len(), rows.len());
    let top: Vec<_> = rows.into_iter().take(limit as usize).collect();
    drop(audience);
    let mut leaderboard = Vec::with_capacity(top.len());
    for r in top {
        let who = named(&state, &access, r.person).await?;
        leaderboard.push(InviterRow {
            who,
            invited: r.invited,
            converted: r.converted,
            revenue_fen: r.revenue_fen,
            latest: r.latest,
        });
    }
    Ok(Json(ReferralOverview {
        invitees,
        converted,
        inviters,
        new_buyers_30d: new_buyers,
        referred_30d: referred,
        referral_share_30d: (new_buyers > 0).then(|| referred as f64 / new_buyers as f64),
        leaderboard,
    }))
}

/// A friend someone invited.
#[derive(Serialize, ToSchema)]
pub struct Friend {
    #[serde(flatten)]
    pub who: Named,
    /// When the invitation was first seen.
    pub invited_at: DateTime<Utc>,
    /// Their first order, if they ordered after the invitation.
    pub first_order_at: Option<DateTime<Utc>>,
}

/// A person in the referral programme.
#[derive(Serialize, ToSchema)]
pub struct PersonReferral {
    /// Their referral code (made when first asked for).
    pub code: String,
    /// The link they share, with their code in it.
    pub share_link: String,
    /// Who invited them, if anyone did (resolved, not themselves).
    pub invited_by: Option<Named>,
    pub invited: u32,
    /// Friends who ordered after the invitation.
    pub converted: u32,
    /// Their friends, latest first (at most 100).
    pub friends: Vec<Friend>,
}

/// A person's referral code and share link, who invited them and whom they invited. The code
/// is made on the first request and the same ever after, so the mini-program's back end can
/// ask for it by any identifier (`wechat_openid:…`) when a customer opens the share page.
#[utoipa::path(get, path = "/api/v1/people/{person}/referral", tag = "referral", security(("bearer" = []), ("session" = [])),
    params(("person" = String, Path, description = "Person id or identifier"), WorkspaceParam),
    responses((status = 200, body = PersonReferral), (status = 400, body = ApiError), (status = 404, body = ApiError)))]
async fn person_referral(
    access: Access,
    State(state): State<AppState>,
    ApiPath(person): ApiPath<String>,
) -> Result<Json<PersonReferral>, ApiError> {
    let person = find(&state, &access, &person).await?.id;
    let code = rekindle_engine::referral::code_for(&*state.store, access.ws(), person, state.engine.now()).await?;
    let audience = state.engine.audience(access.ws()).await?;
    let board = &audience.context.referrals;
    let mut friends: Vec<_> = board
        .friends(person)
        .map(|pair| {
            let first = bought(&audience, pair.invitee).map(|(t, _)| t).filter(|t| pair.invitation.precedes(*t));
            (pair.invitee, pair.invitation.at, first)
        })
        .collect();
    friends.sort_by_key(|f| std::cmp::Reverse(f.1));
    let converted = friends.iter().filter(|f| f.2.is_some()).count() as u32;
    let inviter = board.inviter_of(person);
    drop(audience);
    let invited = friends.len() as u32;
    friends.truncate(FRIENDS);
    let invited_by = match inviter {
        Some(p) => Some(named(&state, &access, p).await?),
        None => None,
    };
    let mut listed = Vec::with_capacity(friends.len());
    for (p, invited_at, first_order_at) in friends {
        listed.push(Friend { who: named(&state, &access, p).await?, invited_at, first_order_at });
    }
    Ok(Json(PersonReferral {
        share_link: state.journeys.share_link.replace("{code}", &code),
        code,
        invited_by,
        invited,
        converted,
        friends: listed,
    }))
}
