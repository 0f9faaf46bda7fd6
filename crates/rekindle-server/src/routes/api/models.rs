//! The fitted models of a workspace: diagnostics, churn-risk counts and a calibration check
//! (docs/models.md).

use axum::Json;
use axum::extract::State;
use chrono::{DateTime, Utc};
use rekindle_core::access::Permission;
use rekindle_core::scores::{ActionGroup, Risk};
use serde::Serialize;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::WorkspaceParam;
use crate::auth::Access;
use crate::error::ApiError;
use crate::state::AppState;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(models))
}

/// Days held out of the fit for the calibration check.
const HOLDOUT_DAYS: u32 = 30;

#[derive(Serialize, ToSchema)]
pub struct BgNbdView {
    pub r: f64,
    pub alpha: f64,
    pub a: f64,
    pub b: f64,
}

#[derive(Serialize, ToSchema)]
pub struct GammaGammaView {
    pub p: f64,
    pub q: f64,
    pub gamma: f64,
}

#[derive(Serialize, ToSchema)]
pub struct RiskCount {
    /// low, medium or high
    #[schema(value_type = rekindle_core::scores::Risk)]
    pub risk: String,
    pub count: usize,
}

/// Buyers by what to do with them (`rekindle_core::scores::ActionGroup`).
#[derive(Serialize, ToSchema)]
pub struct ActionGroupView {
    #[schema(value_type = rekindle_core::scores::ActionGroup)]
    pub group: String,
    pub count: usize,
    /// What they are expected to bring over the CLV horizon, in fen: the value at stake.
    pub clv_fen: i64,
    /// The segment rule that selects them.
    pub rule: String,
}

#[derive(Serialize, ToSchema)]
pub struct CalibrationGroup {
    /// Repeat purchases in the calibration period; the last group is this many or more.
    pub repeat_purchases: u32,
    pub customers: usize,
    /// Mean purchases per customer in the holdout period, predicted and actual.
    pub predicted: f64,
    pub actual: f64,
}

#[derive(Serialize, ToSchema)]
pub struct CalibrationView {
    pub holdout_days: u32,
    pub groups: Vec<CalibrationGroup>,
}

#[derive(Serialize, ToSchema)]
pub struct ModelsView {
    pub as_of: DateTime<Utc>,
    pub customers: usize,
    pub repeat_buyers: usize,
    pub bgnbd: BgNbdView,
    pub log_likelihood: f64,
    pub iterations: u64,
    #[schema(required = true)]
    pub gamma_gamma: Option<GammaGammaView>,
    pub risk_counts: Vec<RiskCount>,
    /// Buyers by what to do with them, most urgent first.
    pub groups: Vec<ActionGroupView>,
    /// Null when the store is too young or too sparse to hold a period out.
    #[schema(required = true)]
    pub calibration: Option<CalibrationView>,
}

/// The models people are scored with, how they fit, and how their predictions for the last
/// 30 days compare with what happened when fitted without them. 404 until a model is fitted.
#[utoipa::path(get, path = "/api/v1/models", tag = "people", security(("bearer" = []), ("session" = [])),
    params(WorkspaceParam), responses((status = 200, body = ModelsView), (status = 404, body = ApiError)))]
async fn models(access: Access, State(state): State<AppState>) -> Result<Json<ModelsView>, ApiError> {
    access.require(Permission::PeopleRead)?;
    let audience = state.engine.audience(access.ws()).await?;
    let fit = audience.context.fit.clone().ok_or_else(|| ApiError::not_found("a fitted model"))?;
    let risk_counts = [Risk::Low, Risk::Medium, Risk::High]
        .into_iter()
        .map(|risk| RiskCount {
            risk: risk.as_str().into(),
            count: audience.members.iter().filter(|m| m.scores.as_ref().is_some_and(|s| s.churn_risk == risk)).count(),
        })
        .collect();
    let now = audience.now;
    let mut groups: Vec<ActionGroupView> = ActionGroup::ALL
        .iter()
        .map(|g| ActionGroupView { group: g.as_str().into(), count: 0, clv_fen: 0, rule: g.rule().into() })
        .collect();
    for m in &audience.members {
        if let Some(scores) = &m.scores {
            let at = ActionGroup::ALL.iter().position(|g| *g == ActionGroup::of(scores, m.tier, now)).unwrap_or(0);
            groups[at].count += 1;
            groups[at].clv_fen = groups[at].clv_fen.saturating_add(scores.clv_fen);
        }
    }
    let profiles: Vec<_> = audience.members.iter().map(|m| m.profile.clone()).collect();
    let calendar = audience.context.calendar;
    let calibration = tokio::task::spawn_blocking(move || {
        rekindle_engine::scoring::calibration(profiles.iter().map(|p| &**p), now, HOLDOUT_DAYS, &calendar).ok()
    })
    .await
    .map_err(|e| ApiError::internal(&e))?
    .map(|c| CalibrationView {
        holdout_days: c.holdout_days,
        groups: c
            .groups
            .into_iter()
            .map(|(repeat_purchases, customers, predicted, actual)| CalibrationGroup {
                repeat_purchases,
                customers,
                predicted,
                actual,
            })
            .collect(),
    });
    let m = fit.bgnbd;
    Ok(Json(ModelsView {
        as_of: fit.as_of,
        customers: fit.customers,
        repeat_buyers: fit.repeat_buyers,
        bgnbd: BgNbdView { r: m.r, alpha: m.alpha, a: m.a, b: m.b },
        log_likelihood: fit.log_likelihood,
        iterations: fit.iterations,
        gamma_gamma: fit.gamma_gamma.map(|g| GammaGammaView { p: g.p, q: g.q, gamma: g.gamma }),
        risk_counts,
        groups,
        calibration,
    }))
}
