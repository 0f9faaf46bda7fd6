//! Customer groups (社群, docs/groups.md): who is in each group and whether it still talks,
//! and posts to groups under each group's daily ceiling of promotional posts (seed 002: a
//! group flooded with ads empties within a week).

use axum::Json;
use axum::extract::State;
use chrono::NaiveDate;
use rekindle_core::PersonId;
use rekindle_core::access::Permission;
use rekindle_core::groups::{GroupPostInput, GroupRow, PostRules};
use rekindle_core::outreach::local_day;
use rekindle_delivery::wecom::Attachment;
use rekindle_store::{GroupPost, GroupQueued, NewGroupPost};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::redact::{shown_name, shown_text};
use super::{ApiPath, Body, Params, WorkspaceParam};
use crate::auth::{Access, Can, perm};
use crate::error::{ApiError, ErrorCode};
use crate::state::AppState;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_groups))
        .routes(routes!(one_group))
        .routes(routes!(list_posts, create_posts))
}

/// Members a group's view lists.
const MEMBERS: usize = 200;

/// A group with today's promotional posts against its ceiling.
#[derive(Serialize, ToSchema)]
pub struct GroupView {
    #[serde(flatten)]
    pub group: GroupRow,
    /// Promotional posts queued or sent today (store's day), and the ceiling.
    pub promotional_today: usize,
    pub ceiling: u32,
}

#[derive(Serialize, ToSchema)]
pub struct GroupsView {
    pub groups: Vec<GroupView>,
    /// Groups where nobody wrote in 15 days.
    pub silent: usize,
    pub rules: PostRules,
}

async fn today_counts(state: &AppState, access: &Access, day: NaiveDate) -> Result<Vec<GroupPost>, ApiError> {
    let posts = state.store.group_posts(access.ws(), None, 5000).await?;
    Ok(posts
        .into_iter()
        .filter(|p| p.day == day && p.promotional && p.state != rekindle_store::GroupPostState::Failed)
        .collect())
}

/// The store's groups, largest first, silent ones flagged.
#[utoipa::path(get, path = "/api/v1/groups", tag = "groups", security(("bearer" = []), ("session" = [])),
    params(WorkspaceParam), responses((status = 200, body = GroupsView), (status = 403, body = ApiError)))]
async fn list_groups(access: Access, State(state): State<AppState>) -> Result<Json<GroupsView>, ApiError> {
    access.require(Permission::PeopleRead)?;
    let now = state.engine.now();
    let rows = state.groups.look(access.ws(), |g| g.rows(now)).await?;
    let today = today_counts(&state, &access, local_day(now, access.time_zone())).await?;
    let rules = state.journeys.group_posts;
    let groups: Vec<GroupView> = rows
        .into_iter()
        .map(|mut group| {
            group.name = group.name.map(|n| shown_text(&access, n));
            let promotional_today = today.iter().filter(|p| p.group_id == group.id).count();
            GroupView { group, promotional_today, ceiling: rules.promotional_per_day }
        })
        .collect();
    let silent = groups.iter().filter(|g| g.group.silent).count();
    Ok(Json(GroupsView { groups, silent, rules }))
}

#[derive(Serialize, ToSchema)]
pub struct Member {
    #[schema(value_type = String)]
    pub person: PersonId,
    pub name: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct GroupDetail {
    #[serde(flatten)]
    pub group: GroupRow,
    /// Its members, at most 200 (`members` is how many there are).
    pub people: Vec<Member>,
    /// Its latest posts, newest first.
    pub posts: Vec<GroupPost>,
}

/// One group: its members and the latest posts to it.
#[utoipa::path(get, path = "/api/v1/groups/{group}", tag = "groups", security(("bearer" = []), ("session" = [])),
    params(("group" = String, Path, description = "Group (chat) id"), WorkspaceParam),
    responses((status = 200, body = GroupDetail), (status = 404, body = ApiError)))]
async fn one_group(
    access: Access,
    State(state): State<AppState>,
    ApiPath(id): ApiPath<String>,
) -> Result<Json<GroupDetail>, ApiError> {
    access.require(Permission::PeopleRead)?;
    let now = state.engine.now();
    let found = state
        .groups
        .look(access.ws(), |g| g.groups.get(&id).map(|g| (g.row(now), g.members().take(MEMBERS).collect::<Vec<_>>())))
        .await?;
    let Some((mut group, people)) = found else { return Err(ApiError::not_found(format!("group {id}"))) };
    group.name = group.name.map(|n| shown_text(&access, n));
    let mut members = Vec::with_capacity(people.len());
    for person in people {
        members.push(Member { person, name: shown_name(&state, &access, person).await? });
    }
    let mut posts = state.store.group_posts(access.ws(), Some(&id), 50).await?;
    for p in &mut posts {
        p.text = shown_text(&access, std::mem::take(&mut p.text));
    }
    Ok(Json(GroupDetail { group, people: members, posts }))
}

#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PostsParams {
    /// One group's posts only.
    group: Option<String>,
    /// At most this many (default 100, at most 500).
    limit: Option<u32>,
}

/// Posts to groups, newest first.
#[utoipa::path(get, path = "/api/v1/groups/posts", tag = "groups", security(("bearer" = []), ("session" = [])),
    params(PostsParams, WorkspaceParam),
    responses((status = 200, body = Vec<GroupPost>), (status = 400, body = ApiError), (status = 403, body = ApiError)))]
async fn list_posts(
    access: Access,
    State(state): State<AppState>,
    Params(p): Params<PostsParams>,
) -> Result<Json<Vec<GroupPost>>, ApiError> {
    access.require(Permission::PeopleRead)?;
    let limit = p.limit.unwrap_or(100);
    if !(1..=500).contains(&limit) {
        return Err(ApiError::field(ErrorCode::InvalidField, "limit", "must be between 1 and 500"));
    }
    let mut posts = state.store.group_posts(access.ws(), p.group.as_deref(), limit).await?;
    for p in &mut posts {
        p.text = shown_text(&access, std::mem::take(&mut p.text));
    }
    Ok(Json(posts))
}

/// What became of a post to one group.
#[derive(Serialize, ToSchema)]
pub struct PostOutcome {
    pub group: String,
    /// `queued`; `again` (this key was posted before); `capped` (the group has had today's
    /// promotional posts).
    pub outcome: String,
    pub id: Option<i64>,
}

/// Post to groups: queued for WeCom per group, where the group's promotional posts today are
/// under the store's ceiling; the owner confirms it in WeCom. Once per key and group.
#[utoipa::path(post, path = "/api/v1/groups/posts", tag = "groups", security(("bearer" = []), ("session" = [])),
    params(WorkspaceParam), request_body = GroupPostInput,
    responses((status = 200, body = Vec<PostOutcome>), (status = 400, body = ApiError), (status = 403, body = ApiError)))]
async fn create_posts(
    access: Can<perm::JourneysManage>,
    State(state): State<AppState>,
    Body(post): Body<GroupPostInput>,
) -> Result<Json<Vec<PostOutcome>>, ApiError> {
    if let Some(e) = post.check().into_iter().next() {
        return Err(e.into());
    }
    let attachments: Vec<Attachment> = post.attachments.iter().map(Into::into).collect();
    let attachments = serde_json::to_value(&attachments).map_err(|e| ApiError::internal(&e))?;
    let now = state.engine.now();
    let day = local_day(now, access.time_zone());
    let ceiling = state.journeys.group_posts.promotional_per_day;
    let mut out = Vec::with_capacity(post.groups.len());
    for group in &post.groups {
        let new = NewGroupPost {
            send_key: format!("{}:{group}", post.key),
            group_id: group.clone(),
            day,
            promotional: post.promotional,
            sender: post.sender.clone(),
            text: post.text.clone(),
            attachments: attachments.clone(),
            at: now,
        };
        let (outcome, id) = match state.store.queue_group_post(access.ws(), &new, ceiling).await? {
            GroupQueued::Queued(id) => ("queued", Some(id)),
            GroupQueued::Again(id) => ("again", Some(id)),
            GroupQueued::Capped => ("capped", None),
        };
        out.push(PostOutcome { group: group.clone(), outcome: outcome.into(), id });
    }
    let queued = out.iter().filter(|o| o.outcome == "queued").count();
    access.audit(&state, "groups.post", format!("{queued} of {} groups", out.len())).await;
    Ok(Json(out))
}
