use axum::Json;
use axum::extract::State;
use std::time::Instant;

use rekindle_core::access::Permission;
use rekindle_core::masking::mask_text;
use rekindle_core::{Identifier, IdentifierKind};
use rekindle_store::{EventQuery, PersonRef, lookup};
use serde::Deserialize;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::ApiPath;
use super::events::{EventFilter, page};
use super::{EventPage, Limit, MergeView, Params, PersonSummary, PersonView, WorkspaceParam, for_role};
use crate::auth::Access;
use crate::error::{ApiError, ErrorCode};
use crate::state::AppState;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(search_people))
        .routes(routes!(get_person))
        .routes(routes!(person_events))
        .routes(routes!(person_merges))
}

/// The person `who` names in the caller's workspace, for a caller who may read people.
pub async fn find(state: &AppState, access: &Access, who: &str) -> Result<rekindle_store::Person, ApiError> {
    access.require(Permission::PeopleRead)?;
    let refs = lookup::candidates(who).map_err(|e| ApiError::from(e.within("person")))?;
    lookup::find_person(&*state.store, access.ws(), &refs)
        .await?
        .ok_or_else(|| ApiError::not_found(format!("person {who}")))
}

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct Search {
    /// Any identifier (a phone in any written form, user id, openid, unionid, external
    /// userid, anonymous id, person id) or part of a nickname. Without it, nobody is found.
    /// For roles without `pii.read`, digits match only a whole phone number and a nickname
    /// only on its masked form. Rate limited per caller (`429 rate_limited`).
    q: Option<String>,
    /// At most this many (default 50, at most 200).
    limit: Option<u32>,
}

/// Find people by any identifier or by nickname, most recently active first.
#[utoipa::path(get, path = "/api/v1/people", tag = "people", security(("bearer" = []), ("session" = [])),
    params(Search, WorkspaceParam),
    responses((status = 200, body = Vec<PersonSummary>), (status = 400, body = ApiError), (status = 401, body = ApiError), (status = 429, body = ApiError)))]
async fn search_people(
    access: Access,
    State(state): State<AppState>,
    Params(search): Params<Search>,
) -> Result<Json<Vec<PersonSummary>>, ApiError> {
    access.require(Permission::PeopleRead)?;
    let q = search.q.as_deref().unwrap_or("").trim();
    if q.is_empty() {
        return Ok(Json(Vec::new()));
    }
    if q.chars().count() > 255 {
        return Err(ApiError::field(ErrorCode::InvalidField, "q", "at most 255 characters"));
    }
    let caller = access.caller.user_id().map_or_else(|| "admin".to_string(), |id| format!("user:{id}"));
    if let Err(wait) = state.search_limiter.take(&caller, Instant::now()) {
        return Err(ApiError::field(
            ErrorCode::RateLimited,
            "q",
            format!("too many searches; try again in {} seconds", wait.as_secs().max(1)),
        ));
    }
    let limit = search.limit.unwrap_or(50).clamp(1, 200);
    let masked = !access.reveals_pii();
    let refs = if masked { masked_candidates(q) } else { lookup::candidates(q).unwrap_or_default() };
    let mut people = Vec::new();
    let mut identifiers = Vec::new();
    for r in refs {
        match r {
            PersonRef::Id(_) => people.extend(state.store.person(access.ws(), &r).await?),
            PersonRef::Identifier(i) => identifiers.push(i),
        }
    }
    // Digits are looked up only as a whole phone for a caller who sees phones masked.
    let text = (!(masked && is_phone_like(q))).then_some(q);
    let mut named = state.store.search_people(access.ws(), &identifiers, text, limit).await?;
    if masked {
        // A nickname matches only on what the caller sees of it, so the hidden digits of a
        // phone written in a nickname cannot be guessed piece by piece.
        named.retain(|p| {
            identifiers.iter().any(|i| p.identities.iter().any(|h| h.identifier.value == i.value))
                || p.nickname().is_some_and(|n| mask_text(&n).contains(q))
        });
    }
    people.extend(named);
    people.dedup_by(|a, b| a.id == b.id);
    let found: Vec<PersonSummary> = people.into_iter().map(Into::into).collect();
    Ok(Json(for_role(found, &access)))
}

/// Whether a query is written like a phone number or part of one: digits (ASCII or
/// full-width) with the separators phones are written with.
fn is_phone_like(q: &str) -> bool {
    q.chars().any(|c| c.is_ascii_digit() || ('\u{FF10}'..='\u{FF19}').contains(&c))
        && q.chars().all(|c| {
            c.is_ascii_digit()
                || ('\u{FF10}'..='\u{FF19}').contains(&c)
                || matches!(c, ' ' | '-' | '+' | '(' | ')' | '.' | '\u{3000}' | '\u{FF0B}')
        })
}

/// What a query may look up for a caller who sees identifiers masked: a phone-like query
/// only the whole phone number it is (never a fragment of one), other text every exact
/// identifier and person id it could be.
fn masked_candidates(q: &str) -> Vec<PersonRef> {
    if is_phone_like(q) {
        return Identifier::parse(IdentifierKind::Phone, q, "q").map(PersonRef::Identifier).into_iter().collect();
    }
    lookup::candidates(q).unwrap_or_default()
}

/// A person with every identifier they hold.
#[utoipa::path(get, path = "/api/v1/people/{person}", tag = "people", security(("bearer" = []), ("session" = [])),
    params(("person" = String, Path, description = "Person id, `kind:value` (e.g. `phone:13812345678`), or a bare identifier"), WorkspaceParam),
    responses((status = 200, body = PersonView), (status = 404, body = ApiError), (status = 401, body = ApiError)))]
async fn get_person(
    access: Access,
    State(state): State<AppState>,
    ApiPath(person): ApiPath<String>,
) -> Result<Json<PersonView>, ApiError> {
    let person: PersonView = find(&state, &access, &person).await?.into();
    Ok(Json(for_role(person, &access)))
}

/// A person's events, newest first, with every merged identity's history.
#[utoipa::path(get, path = "/api/v1/people/{person}/events", tag = "people", security(("bearer" = []), ("session" = [])),
    params(("person" = String, Path, description = "Person id or identifier"), EventFilter, WorkspaceParam),
    responses((status = 200, body = EventPage), (status = 404, body = ApiError), (status = 400, body = ApiError)))]
async fn person_events(
    access: Access,
    State(state): State<AppState>,
    ApiPath(person): ApiPath<String>,
    Params(filter): Params<EventFilter>,
) -> Result<Json<EventPage>, ApiError> {
    let person = find(&state, &access, &person).await?;
    let query = EventQuery { person: Some(person.id), ..filter.to_query()? };
    Ok(Json(for_role(page(&state, access.ws(), query).await?, &access)))
}

/// The merges that made this person, newest first: which person, through which identifier,
/// from which message.
#[utoipa::path(get, path = "/api/v1/people/{person}/merges", tag = "people", security(("bearer" = []), ("session" = [])),
    params(("person" = String, Path, description = "Person id or identifier"), Limit, WorkspaceParam),
    responses((status = 200, body = Vec<MergeView>), (status = 404, body = ApiError)))]
async fn person_merges(
    access: Access,
    State(state): State<AppState>,
    ApiPath(person): ApiPath<String>,
    Params(limit): Params<Limit>,
) -> Result<Json<Vec<MergeView>>, ApiError> {
    let person = find(&state, &access, &person).await?;
    let merges = state.store.merges(access.ws(), Some(person.id), limit.get()).await?;
    let merges: Vec<MergeView> = merges.into_iter().map(Into::into).collect();
    Ok(Json(for_role(merges, &access)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fragments_of_phones_look_nothing_up_for_masked_roles() {
        assert!(masked_candidates("5678").is_empty());
        assert!(masked_candidates("1381234").is_empty());
        assert_eq!(masked_candidates("138 1234 5678").len(), 1, "the whole number is looked up");
        assert!(!masked_candidates("shop-user-1").is_empty(), "other text is looked up as before");
        assert!(is_phone_like("+86 (138) 1234-5678") && is_phone_like("５６７８"));
        assert!(!is_phone_like("小李") && !is_phone_like("-") && !is_phone_like("u5678"));
    }
}
