//! Rewards earned, written down: each invitee's first order (or group join) on an invitation
//! becomes one `Referral Qualified` event on the invitee, naming the inviter, so the referral
//! journeys trigger on it and the timeline shows it. Its message id is the invitation's (when
//! and whom it named), so a merge or a restart cannot earn it twice: the log keeps it once.

use std::collections::{HashMap, HashSet};
use std::hash::{Hash, Hasher};
use std::sync::{Arc, Mutex, Weak};

use rekindle_core::referral::Qualified;
use rekindle_core::{Message, WorkspaceId, events};
use rekindle_store::{PersonRef, Store};
use serde_json::json;

use crate::Engine;
use crate::audience::Audience;

pub struct ReferralReview {
    store: Arc<dyn Store>,
    engine: Arc<Engine>,
    /// Per workspace, events handed out and not yet folded back.
    sent: Mutex<HashMap<WorkspaceId, HashSet<String>>>,
    /// Per workspace, the rewards due by the audience they were read from.
    judged: Mutex<HashMap<WorkspaceId, Judged>>,
}

/// The rewards one audience makes due, each with its event's message id.
struct Judged {
    /// Weak ([`Audience::is`]).
    audience: Weak<Audience>,
    due: Vec<(Qualified, String)>,
}

impl ReferralReview {
    pub fn new(store: Arc<dyn Store>, engine: Arc<Engine>) -> Self {
        Self { store, engine, sent: Mutex::default(), judged: Mutex::default() }
    }

    /// Forget what was handed out: it was not recorded, and is due again.
    pub fn forget(&self, ws: WorkspaceId) {
        self.sent.lock().unwrap_or_else(|p| p.into_inner()).remove(&ws);
    }

    /// The `Referral Qualified` events due now, by the latest audience.
    pub async fn due(&self, ws: WorkspaceId) -> rekindle_store::Result<Vec<Message>> {
        let audience = self.engine.latest(ws);
        let Some(audience) = audience.as_ref() else { return Ok(vec![]) };
        let due = self.qualified(ws, audience);
        {
            // What was folded back is no longer due: forgotten, so the set stays small.
            let mut sent = self.sent.lock().unwrap_or_else(|p| p.into_inner());
            let keys: HashSet<&String> = due.iter().map(|(_, k)| k).collect();
            sent.entry(ws).or_default().retain(|k| keys.contains(k));
        }
        let mut out = Vec::new();
        for (q, key) in due {
            if self.sent.lock().unwrap_or_else(|p| p.into_inner()).entry(ws).or_default().contains(&key) {
                continue;
            }
            let Some(p) = self.store.person(ws, &PersonRef::Id(q.invitee)).await? else { continue };
            let properties = json!({"inviter_id": q.inviter.to_string(), "occasion": q.occasion.as_str()});
            match crate::addressed::track(&p, events::REFERRAL_QUALIFIED, &key, properties, q.at, self.engine.now()) {
                Ok(Some(m)) => {
                    self.sent.lock().unwrap_or_else(|p| p.into_inner()).entry(ws).or_default().insert(key);
                    out.push(m);
                }
                Ok(None) => {}
                Err(e) => {
                    tracing::warn!(invitee = %q.invitee, field = %e.field, reason = %e.reason, "a referral could not be written")
                }
            }
        }
        Ok(out)
    }

    /// The rewards `audience` makes due. What is due moves only with the audience, and the
    /// points loop asks on every append: the board is walked again only when a refresh
    /// replaced the audience, not a few hundred times between two refreshes (issue 24).
    fn qualified(&self, ws: WorkspaceId, audience: &Arc<Audience>) -> Vec<(Qualified, String)> {
        let mut judged = self.judged.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(j) = judged.get(&ws)
            && audience.is(&j.audience)
        {
            return j.due.clone();
        }
        let due = qualified(audience);
        judged.insert(ws, Judged { audience: Arc::downgrade(audience), due: due.clone() });
        due
    }
}

/// The rewards the audience's board makes due and its profiles do not show written yet, each
/// with its event's message id: the invitation's (when and whom it named).
fn qualified(audience: &Audience) -> Vec<(Qualified, String)> {
    let board = &audience.context.referrals;
    let first_order = |p| audience.member(p).and_then(|m| m.profile.first_order());
    let mut due = Vec::new();
    for q in board.qualified(first_order) {
        let Some(m) = audience.member(q.invitee) else { continue };
        let Some(invitation) = m.profile.invitation() else { continue };
        if m.profile.referral_qualified() & q.occasion.bit() != 0 {
            continue;
        }
        let mut h = std::collections::hash_map::DefaultHasher::new();
        invitation.by.hash(&mut h);
        let key = format!(
            "rekindle:referral:{}:{}:{:016x}",
            q.occasion.as_str(),
            invitation.at.timestamp_millis(),
            h.finish()
        );
        due.push((q, key));
    }
    due
}
