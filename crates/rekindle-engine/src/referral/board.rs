//! Invitations resolved once per invitee and kept between refreshes: a refresh looks up only
//! the invitations it has not decided yet.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use chrono::{DateTime, Utc};
use rekindle_core::profile::Profile;
use rekindle_core::referral::{Board, Pair, self_referral};
use rekindle_core::{Identifier, PersonId, WorkspaceId};
use rekindle_store::{PersonRef, Store};

use super::resolve;

/// Invitations naming nobody known yet are looked up again, this many per refresh: the inviter
/// may identify later, and a store full of unknown names must not cost every refresh a query each.
const RETRIES_PER_REFRESH: usize = 100;

#[derive(Debug, Clone, PartialEq, Eq)]
enum Decision {
    /// The inviter, and since when they were known by what the invitation names.
    Inviter(PersonId, Option<DateTime<Utc>>),
    /// The inviter is the invitee, or shares their phone, unionid or device.
    SelfReferral,
    /// Nobody holds what the invitation names (yet).
    Unknown,
}

#[derive(Debug, Clone)]
struct Decided {
    by: Box<str>,
    decision: Decision,
}

/// Per workspace, each invitee's decided invitation.
#[derive(Default)]
pub struct ReferralCache(Mutex<HashMap<WorkspaceId, HashMap<PersonId, Decided>>>);

impl ReferralCache {
    /// Who invited whom among `profiles`, deciding the invitations not decided before.
    pub async fn board(
        &self,
        store: &dyn Store,
        ws: WorkspaceId,
        profiles: &HashMap<PersonId, Arc<Profile>>,
    ) -> rekindle_store::Result<Arc<Board>> {
        let mut decided = self.0.lock().unwrap_or_else(|p| p.into_inner()).remove(&ws).unwrap_or_default();
        decided.retain(|person, _| profiles.contains_key(person));
        let mut retries = 0;
        for (person, profile) in profiles {
            let Some(invitation) = profile.invitation() else { continue };
            let again = match decided.get(person) {
                None => true,
                Some(d) if d.by != invitation.by => true,
                // An inviter merged away or erased since: decided again.
                Some(Decided { decision: Decision::Inviter(i, _), .. }) => !profiles.contains_key(i),
                Some(Decided { decision: Decision::Unknown, .. }) => {
                    retries += 1;
                    retries <= RETRIES_PER_REFRESH
                }
                Some(_) => false,
            };
            if again {
                let decision = decide(store, ws, *person, &invitation.by).await?;
                decided.insert(*person, Decided { by: invitation.by.clone(), decision });
            }
        }
        let pairs = decided.iter().filter_map(|(invitee, d)| match d.decision {
            Decision::Inviter(inviter, known_at) => {
                let invitation = profiles.get(invitee)?.invitation()?.clone();
                Some(Pair { invitee: *invitee, inviter, known_at: known_at.unwrap_or(invitation.at), invitation })
            }
            _ => None,
        });
        let board = Arc::new(Board::new(pairs));
        self.0.lock().unwrap_or_else(|p| p.into_inner()).insert(ws, decided);
        Ok(board)
    }
}

async fn decide(store: &dyn Store, ws: WorkspaceId, invitee: PersonId, by: &str) -> rekindle_store::Result<Decision> {
    let Some(super::Found { person: inviter, known_at }) = resolve(store, ws, by).await? else {
        return Ok(Decision::Unknown);
    };
    if inviter.id == invitee {
        return Ok(Decision::SelfReferral);
    }
    let Some(person) = store.person(ws, &PersonRef::Id(invitee)).await? else { return Ok(Decision::Unknown) };
    let ids =
        |p: &rekindle_store::Person| p.identities.iter().map(|i| i.identifier.clone()).collect::<Vec<Identifier>>();
    if let Some(shared) = self_referral(&ids(&inviter), &ids(&person)) {
        tracing::info!(%invitee, inviter = %inviter.id, kind = %shared.kind, "a self-referral earns nothing");
        return Ok(Decision::SelfReferral);
    }
    Ok(Decision::Inviter(inviter.id, known_at))
}
