//! A person's profile features, lifecycle stage and value tier (docs/segments.md).

use axum::Json;
use axum::extract::State;
use chrono::{DateTime, Utc};
use rekindle_core::profile::Profile;
use serde::Serialize;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::ApiPath;
use super::WorkspaceParam;
use super::people::find;
use crate::auth::Access;
use crate::error::ApiError;
use crate::state::AppState;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(person_profile))
}

#[derive(Serialize, ToSchema)]
pub struct CategoryView {
    pub category: String,
    /// Days with an order of this category.
    pub purchases: usize,
    pub units: i64,
    #[schema(required = true)]
    pub last_purchase: Option<DateTime<Utc>>,
    #[schema(required = true)]
    pub median_interval_days: Option<f64>,
}

#[derive(Serialize, ToSchema)]
pub struct ProfileView {
    /// The moment the profile describes: the workspace's latest event.
    pub as_of: DateTime<Utc>,
    /// prospect, new, active, silent, churned or reactivated
    #[schema(value_type = rekindle_core::lifecycle::Stage)]
    pub stage: String,
    /// high, potential or edge
    #[schema(value_type = rekindle_core::lifecycle::Tier)]
    pub tier: String,
    /// Days between orders expected of this person (their own rhythm, or their categories').
    pub expected_cycle_days: f64,
    #[schema(required = true)]
    pub first_seen: Option<DateTime<Utc>>,
    #[schema(required = true)]
    pub last_seen: Option<DateTime<Utc>>,
    #[schema(required = true)]
    pub first_order: Option<DateTime<Utc>>,
    #[schema(required = true)]
    pub last_order: Option<DateTime<Utc>>,
    pub orders: usize,
    /// All-time spend net of refunds, in fen.
    pub spend_fen: i64,
    pub spend_30d_fen: i64,
    pub spend_90d_fen: i64,
    pub spend_365d_fen: i64,
    #[schema(required = true)]
    pub aov_fen: Option<i64>,
    pub live_watch_seconds: i64,
    pub comments: u32,
    pub likes: u32,
    pub shares: u32,
    #[schema(required = true)]
    pub last_touch: Option<DateTime<Utc>>,
    pub open_tickets: usize,
    /// A WeCom contact that has not been removed.
    pub reachable: bool,
    pub categories: Vec<CategoryView>,
    /// Manual tags and the rule tags whose rule the person meets.
    pub tags: Vec<TagView>,
    /// RFM scores 1–5 among buyers; 0 for people who never ordered.
    pub rfm: RfmView,
    /// Predictions (docs/models.md): P(alive), expected orders in 30 days, CLV in fen, churn
    /// risk, run-out dates per category, next category. Null for people who never ordered or
    /// before the models are fitted.
    #[schema(required = true)]
    pub scores: Option<rekindle_core::scores::Scores>,
}

#[derive(Serialize, ToSchema)]
#[schema(as = PersonTag)]
pub struct TagView {
    pub name: String,
    /// manual or rule
    #[schema(value_type = TagSource)]
    pub source: String,
}

/// How a person came to carry a tag: set by hand, or matched by the tag's rule. Only describes
/// `PersonTag::source` in the OpenAPI document.
#[derive(ToSchema)]
#[schema(rename_all = "lowercase")]
#[allow(dead_code)]
pub enum TagSource {
    Manual,
    Rule,
}

#[derive(Serialize, ToSchema)]
pub struct RfmView {
    pub r: u8,
    pub f: u8,
    pub m: u8,
}

/// Profile features, lifecycle stage and value tier, as of the workspace's latest event.
#[utoipa::path(get, path = "/api/v1/people/{person}/profile", tag = "people", security(("bearer" = []), ("session" = [])),
    params(("person" = String, Path, description = "Person id or identifier"), WorkspaceParam),
    responses((status = 200, body = ProfileView), (status = 404, body = ApiError)))]
async fn person_profile(
    access: Access,
    State(state): State<AppState>,
    ApiPath(person): ApiPath<String>,
) -> Result<Json<ProfileView>, ApiError> {
    let person = find(&state, &access, &person).await?;
    let audience = state.engine.audience(access.ws()).await?;
    let none = Profile::default();
    let lifecycle = state.engine.lifecycle();
    let member = audience.member(person.id);
    let (p, stage, tier) = match member {
        Some(m) => (&*m.profile, m.stage, m.tier),
        // Newer than the audience, or without events: judged on its own.
        None => (&none, lifecycle.stage(&none, audience.now), rekindle_core::lifecycle::Tier::Edge),
    };
    // Manual tags straight from the store, so one just added shows at once.
    let manual: Vec<String> =
        state.store.person_tags(access.ws(), Some(person.id)).await?.into_iter().map(|t| t.tag).collect();
    let by_rule: Vec<String> =
        member.map(|m| m.tags.iter().filter(|t| !manual.contains(t)).cloned().collect()).unwrap_or_default();
    let tag = |source: &'static str| move |name: String| TagView { name, source: source.into() };
    let tags = manual.into_iter().map(tag("manual")).chain(by_rule.into_iter().map(tag("rule"))).collect();
    let rfm = member.map(|m| m.rfm).unwrap_or_default();
    let scores = member.and_then(|m| m.scores.as_deref().cloned());
    let now = audience.now;
    Ok(Json(ProfileView {
        as_of: now,
        stage: stage.as_str().into(),
        tier: tier.as_str().into(),
        expected_cycle_days: lifecycle.expected_cycle_days(p),
        first_seen: p.first_seen,
        last_seen: p.last_seen,
        first_order: p.first_order(),
        last_order: p.last_order(),
        orders: p.order_count(),
        spend_fen: p.spend_fen(),
        spend_30d_fen: p.spend_within(now, 30),
        spend_90d_fen: p.spend_within(now, 90),
        spend_365d_fen: p.spend_within(now, 365),
        aov_fen: p.aov_fen(),
        live_watch_seconds: p.live_watch_seconds,
        comments: p.comments,
        likes: p.likes,
        shares: p.shares,
        last_touch: p.last_touch,
        open_tickets: p.open_tickets().count(),
        reachable: p.reachable(),
        categories: p
            .categories()
            .into_iter()
            .map(|(category, c)| CategoryView {
                purchases: c.purchases(),
                units: c.units,
                last_purchase: c.last_purchase,
                median_interval_days: c.median_interval_days(),
                category,
            })
            .collect(),
        tags,
        rfm: RfmView { r: rfm.r, f: rfm.f, m: rfm.m },
        scores,
    }))
}
