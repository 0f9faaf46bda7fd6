//! Tags: manual ones operators put on people, and rule tags a rule decides.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use rekindle_core::access::Permission;
use rekindle_store::{PersonTag, Tag};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::ApiPath;
use super::Body;
use super::WorkspaceParam;
use super::input::{checked_rule, checked_text};
use super::people::find;
use crate::auth::Access;
use crate::auth::{Can, perm};
use crate::error::{ApiError, ErrorCode};
use crate::state::AppState;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_tags, create_tag))
        .routes(routes!(update_tag, delete_tag))
        .routes(routes!(tag_person))
        .routes(routes!(untag_person))
}

#[derive(Serialize, ToSchema)]
pub struct TagView {
    pub name: String,
    /// The rule that decides who carries it; null for a manual tag.
    #[schema(required = true)]
    pub rule: Option<String>,
    pub description: String,
    /// People carrying it now.
    pub count: usize,
    /// Why the stored rule no longer parses (saved by an older version): nobody carries the
    /// tag until its rule is fixed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rule_error: Option<ApiError>,
}

#[derive(Serialize, ToSchema)]
pub struct TagList {
    pub tags: Vec<TagView>,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TagInput {
    name: Option<String>,
    rule: Option<String>,
    description: Option<String>,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PersonTagInput {
    tag: String,
}

/// A tag's rule: it parses and reads no tags. Empty means a manual tag.
fn tag_rule(text: Option<&str>, lang: super::Lang) -> Result<Option<String>, ApiError> {
    let Some(text) = text.map(str::trim).filter(|t| !t.is_empty()) else { return Ok(None) };
    let (text, rule) = checked_rule("rule", text, lang)?;
    if rule.uses_tags() {
        let mut e = ApiError::field(ErrorCode::InvalidField, "rule", "a tag's rule cannot use other tags");
        let at = [text.find("tag"), text.find("标签")].into_iter().flatten().min();
        e.position = at.map(|byte| text[..byte].chars().count());
        return Err(e);
    }
    Ok(Some(text))
}

async fn counted(state: &AppState, access: &Access, tags: Vec<Tag>) -> Result<Vec<TagView>, ApiError> {
    let audience = state.engine.audience(access.ws()).await?;
    let manual = state.store.person_tags(access.ws(), None).await?;
    Ok(tags
        .into_iter()
        .map(|t| {
            let count = if t.rule.is_some() {
                audience.members.iter().filter(|m| m.tags.binary_search(&t.name).is_ok()).count()
            } else {
                manual.iter().filter(|p| p.tag == t.name).count()
            };
            let rule_error = t.rule.as_deref().and_then(|r| rekindle_rules::parse(r).err());
            let rule_error = rule_error.map(|e| ApiError::rule("rule", &e, access.lang.rules()));
            TagView { name: t.name, rule: t.rule, description: t.description, count, rule_error }
        })
        .collect())
}

/// The workspace's tags and how many people carry each.
#[utoipa::path(get, path = "/api/v1/tags", tag = "segments", security(("bearer" = []), ("session" = [])),
    params(WorkspaceParam), responses((status = 200, body = TagList), (status = 401, body = ApiError)))]
async fn list_tags(access: Access, State(state): State<AppState>) -> Result<Json<TagList>, ApiError> {
    access.require(Permission::PeopleRead)?;
    let tags = state.store.tags(access.ws()).await?;
    Ok(Json(TagList { tags: counted(&state, &access, tags).await? }))
}

/// Define a tag: manual (no rule) or decided by a rule, which may not use other tags.
#[utoipa::path(post, path = "/api/v1/tags", tag = "segments", security(("bearer" = []), ("session" = [])),
    params(WorkspaceParam), request_body = TagInput,
    responses((status = 201, body = TagView), (status = 400, body = ApiError), (status = 409, body = ApiError)))]
async fn create_tag(
    access: Can<perm::SegmentsManage>,
    State(state): State<AppState>,
    Body(input): Body<TagInput>,
) -> Result<(StatusCode, Json<TagView>), ApiError> {
    let name = checked_text("name", input.name.as_deref().unwrap_or_default(), 1, 50)?;
    let rule = tag_rule(input.rule.as_deref(), access.lang)?;
    let description = checked_text("description", input.description.as_deref().unwrap_or_default(), 0, 500)?;
    let ws = access.ws();
    if state.store.tags(ws).await?.iter().any(|t| t.name == name) {
        return Err(ApiError::field(ErrorCode::Conflict, "name", format!("tag {name} exists")));
    }
    let tag = Tag { name, rule, description, created_at: state.engine.now() };
    state.store.put_tag(ws, &tag).await?;
    access.audit(&state, "tag.create", tag.name.clone()).await;
    state.engine.refresh(ws).await?;
    let view = counted(&state, &access, vec![tag]).await?.remove(0);
    Ok((StatusCode::CREATED, Json(view)))
}

/// Change a tag's rule or description. An empty rule makes it a manual tag.
#[utoipa::path(put, path = "/api/v1/tags/{name}", tag = "segments", security(("bearer" = []), ("session" = [])),
    params(("name" = String, Path, description = "Tag name"), WorkspaceParam), request_body = TagInput,
    responses((status = 200, body = TagView), (status = 400, body = ApiError), (status = 404, body = ApiError)))]
async fn update_tag(
    access: Can<perm::SegmentsManage>,
    State(state): State<AppState>,
    ApiPath(name): ApiPath<String>,
    Body(input): Body<TagInput>,
) -> Result<Json<TagView>, ApiError> {
    let ws = access.ws();
    let current = state
        .store
        .tags(ws)
        .await?
        .into_iter()
        .find(|t| t.name == name)
        .ok_or_else(|| ApiError::not_found(format!("tag {name}")))?;
    if input.name.as_deref().is_some_and(|n| n.trim() != name) {
        return Err(ApiError::field(ErrorCode::InvalidField, "name", "a tag cannot be renamed; create a new one"));
    }
    let rule = match input.rule.as_deref() {
        Some(text) => tag_rule(Some(text), access.lang)?,
        None => current.rule,
    };
    let description = match input.description.as_deref() {
        Some(d) => checked_text("description", d, 0, 500)?,
        None => current.description,
    };
    let tag = Tag { rule, description, ..current };
    state.store.put_tag(ws, &tag).await?;
    access.audit(&state, "tag.update", tag.name.clone()).await;
    state.engine.refresh(ws).await?;
    Ok(Json(counted(&state, &access, vec![tag]).await?.remove(0)))
}

/// Delete a tag; it comes off everyone carrying it.
#[utoipa::path(delete, path = "/api/v1/tags/{name}", tag = "segments", security(("bearer" = []), ("session" = [])),
    params(("name" = String, Path, description = "Tag name"), WorkspaceParam),
    responses((status = 204), (status = 404, body = ApiError)))]
async fn delete_tag(
    access: Access,
    State(state): State<AppState>,
    ApiPath(name): ApiPath<String>,
) -> Result<StatusCode, ApiError> {
    access.require(Permission::SegmentsManage)?;
    state.store.delete_tag(access.ws(), &name).await?;
    access.audit(&state, "tag.delete", name).await;
    state.engine.refresh(access.ws()).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Put a manual tag on a person. Tagging twice is no change.
#[utoipa::path(post, path = "/api/v1/people/{person}/tags", tag = "segments", security(("bearer" = []), ("session" = [])),
    params(("person" = String, Path, description = "Person id or identifier"), WorkspaceParam),
    request_body = PersonTagInput,
    responses((status = 204), (status = 400, body = ApiError), (status = 404, body = ApiError)))]
async fn tag_person(
    access: Can<perm::SegmentsManage>,
    State(state): State<AppState>,
    ApiPath(person): ApiPath<String>,
    Body(input): Body<PersonTagInput>,
) -> Result<StatusCode, ApiError> {
    let tag = checked_text("tag", &input.tag, 1, 50)?;
    let person = find(&state, &access, &person).await?;
    let ws = access.ws();
    // Tagging with a new name defines it as a manual tag; a rule tag is never put on by hand.
    match state.store.tags(ws).await?.into_iter().find(|t| t.name == tag) {
        Some(t) if t.rule.is_some() => {
            return Err(ApiError::field(
                ErrorCode::InvalidField,
                "tag",
                format!("{tag} is decided by its rule, not put on by hand"),
            ));
        }
        Some(_) => {}
        None => {
            let defined =
                Tag { name: tag.clone(), rule: None, description: String::new(), created_at: state.engine.now() };
            state.store.put_tag(ws, &defined).await?;
        }
    }
    state.store.tag_person(ws, &PersonTag { person: person.id, tag: tag.clone(), at: state.engine.now() }).await?;
    access.audit(&state, "person.tag", format!("{tag} on {}", person.id)).await;
    state.engine.invalidate(ws).await;
    Ok(StatusCode::NO_CONTENT)
}

/// Take a manual tag off a person.
#[utoipa::path(delete, path = "/api/v1/people/{person}/tags/{tag}", tag = "segments", security(("bearer" = []), ("session" = [])),
    params(("person" = String, Path, description = "Person id or identifier"), ("tag" = String, Path, description = "Tag name"), WorkspaceParam),
    responses((status = 204), (status = 404, body = ApiError)))]
async fn untag_person(
    access: Access,
    State(state): State<AppState>,
    ApiPath((person, tag)): ApiPath<(String, String)>,
) -> Result<StatusCode, ApiError> {
    access.require(Permission::SegmentsManage)?;
    let person = find(&state, &access, &person).await?;
    state.store.untag_person(access.ws(), person.id, &tag).await?;
    access.audit(&state, "person.untag", format!("{tag} on {}", person.id)).await;
    state.engine.invalidate(access.ws()).await;
    Ok(StatusCode::NO_CONTENT)
}
