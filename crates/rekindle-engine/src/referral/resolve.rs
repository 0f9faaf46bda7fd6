//! From what an invitation names to the inviter: a referral code, or any identifier of theirs.

use chrono::{DateTime, Utc};
use rekindle_core::referral::{code_candidate, looks_like_code};
use rekindle_core::{Identifier, IdentifierKind, PersonId, WorkspaceId};
use rekindle_store::{Person, PersonRef, Store};

/// Candidates offered for a new code: a collision on all of them is vanishingly unlikely.
const CODE_ATTEMPTS: u32 = 8;

/// An inviter found, and since when they could be: when the identifier the invitation names
/// was linked to them (an imported history is dated by its events); `None` for a referral
/// code, which existed before anyone shared it.
pub struct Found {
    pub person: Person,
    pub known_at: Option<DateTime<Utc>>,
}

/// The person `by` names: the owner of the referral code it is (following merges), else
/// whoever holds it as an identifier of any kind, the stronger kind first (a user id before
/// an openid before a device).
pub async fn resolve(store: &dyn Store, ws: WorkspaceId, by: &str) -> rekindle_store::Result<Option<Found>> {
    if let Some(code) = looks_like_code(by)
        && let Some(owner) = store.referral_code_owner(ws, &code).await?
        && let Some(person) = store.person(ws, &PersonRef::Id(owner)).await?
    {
        return Ok(Some(Found { person, known_at: None }));
    }
    let kinds = IdentifierKind::ALL.into_iter().filter(|k| *k != IdentifierKind::PreviousId);
    let ids: Vec<Identifier> = kinds.filter_map(|k| Identifier::parse(k, by, "invited_by").ok()).collect();
    if ids.is_empty() {
        return Ok(None);
    }
    let found = store.search_people(ws, &ids, None, 8).await?;
    // The strongest kind any of them holds the value under decides (ALL is in precedence order).
    let matched = |p: &Person| {
        p.identities
            .iter()
            .filter_map(|i| {
                let rank = ids
                    .iter()
                    .position(|x| x.kind.match_kinds().contains(&i.identifier.kind) && x.value == i.identifier.value)?;
                Some((rank, i.linked_at))
            })
            .min()
    };
    let best = found.into_iter().filter_map(|p| Some((matched(&p)?, p))).min_by_key(|((rank, _), p)| (*rank, p.id));
    Ok(best.map(|((_, linked_at), person)| Found { person, known_at: Some(linked_at) }))
}

/// The person's referral code, made on first asking.
pub async fn code_for(
    store: &dyn Store,
    ws: WorkspaceId,
    person: PersonId,
    at: DateTime<Utc>,
) -> rekindle_store::Result<String> {
    let candidates: Vec<String> = (0..CODE_ATTEMPTS).map(|i| code_candidate(person, i)).collect();
    store.referral_code(ws, person, &candidates, at).await
}
