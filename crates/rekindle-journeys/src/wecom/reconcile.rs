//! Reconcile the friendships WeCom lists with the log. WeCom sends no callback for changes
//! made through its API (a transfer, a bulk delete) and a callback can be lost, so the list of
//! every staff member's customers (`get_follow_user_list`, `batch/get_by_user`) is read
//! periodically; what the log lacks is written as `Contact Added` / `Contact Removed`
//! (`via: reconcile`), each under a message id that makes a second run a no-op.

use std::collections::{BTreeMap, HashSet};

use chrono::{DateTime, Utc};
use rekindle_core::contacts::reconcile::{Fix, Listed, fixes, source_of};
use rekindle_core::contacts::{Relationships, RemovedBy};
use rekindle_core::{IdentifierKind, Message, PersonId, WorkspaceId, events};
use rekindle_delivery::WecomClient;
use rekindle_delivery::wecom::Relationship;
use rekindle_engine::Engine;
use rekindle_ingest::Ingestor;
use rekindle_store::{PersonRef, Source, Store};
use serde::Serialize;
use serde_json::json;

use super::{contact_event, person_of};
use crate::person::contacts_of;

/// What a reconcile found.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Reconciled {
    /// Staff members with the customer-contact permission, and the friendships WeCom listed.
    pub staff: usize,
    pub listed: usize,
    /// Friendships the log lacked, and friendships the log held that WeCom no longer lists.
    pub added: usize,
    pub removed: usize,
}

const LIBRARY: &str = "rekindle-wecom-reconcile";

fn messages(
    external: &str,
    ours: &Relationships,
    listed: &[Listed<'_>],
    staff: &HashSet<&str>,
    now: DateTime<Utc>,
    out: &mut Vec<Message>,
    found: &mut Reconciled,
) {
    for fix in fixes(ours, listed, now) {
        let made = match fix {
            Fix::Added { staff, at, state } => {
                found.added += 1;
                let props = json!({"staff_id": staff, "source": state.map_or("unknown", source_of), "code": state, "via": "reconcile"});
                let id = format!("wecom:reconcile:add:{external}:{staff}:{}", at.timestamp_millis());
                contact_event(events::CONTACT_ADDED, external, props, id, at, LIBRARY)
            }
            // A departed staff member is not listed, but their customers wait for 离职继承:
            // only staff members WeCom listed lose friendships here.
            Fix::Removed { staff: s, .. } if !staff.contains(s) => continue,
            Fix::Removed { staff, since } => {
                found.removed += 1;
                let props = json!({"staff_id": staff, "by": RemovedBy::Unknown.as_str(), "via": "reconcile"});
                let since = since.map_or(0, |t| t.timestamp_millis());
                contact_event(
                    events::CONTACT_REMOVED,
                    external,
                    props,
                    format!("wecom:reconcile:remove:{external}:{staff}:{since}"),
                    now,
                    LIBRARY,
                )
            }
        };
        match made {
            Ok(m) => out.push(m),
            Err(e) => tracing::warn!(external, error = %e, "a reconciled friendship is not recorded"),
        }
    }
}

/// Read WeCom's friendships and write what the log lacks. People the engine holds as friends
/// of a listed staff member whom WeCom no longer lists at all lose those friendships too.
pub async fn reconcile(
    store: &dyn Store,
    engine: &Engine,
    wecom: &WecomClient,
    ingestor: &Ingestor,
    ws: WorkspaceId,
    now: DateTime<Utc>,
) -> Result<Reconciled, super::Error> {
    let staff_ids = wecom.follow_users().await?;
    let listed: Vec<Relationship> = wecom.relationships(&staff_ids).await?;
    let staff: HashSet<&str> = staff_ids.iter().map(String::as_str).collect();
    let mut found = Reconciled { staff: staff_ids.len(), listed: listed.len(), ..Default::default() };
    let mut by_customer: BTreeMap<&str, Vec<Listed<'_>>> = BTreeMap::new();
    for r in &listed {
        by_customer.entry(&r.external_userid).or_default().push(Listed {
            staff: &r.staff,
            added_at: r.added_at.min(now),
            state: r.state.as_deref().filter(|s| !s.is_empty()),
        });
    }
    let mut out = Vec::new();
    let mut seen = HashSet::new();
    for (external, rows) in &by_customer {
        let ours = match person_of(store, ws, external).await? {
            Some(p) => {
                seen.insert(p);
                contacts_of(store, ws, p).await?
            }
            None => Relationships::default(),
        };
        messages(external, &ours, rows, &staff, now, &mut out, &mut found);
    }
    // Friends by the engine's last refresh whom WeCom did not list under any staff member.
    let audience = engine.audience(ws).await?;
    let gone: Vec<PersonId> = audience
        .members
        .iter()
        .filter(|m| !seen.contains(&m.person) && m.profile.contacts.friends().any(|(s, _)| staff.contains(s)))
        .map(|m| m.person)
        .collect();
    drop(audience);
    for person in gone {
        let Some(record) = store.person(ws, &PersonRef::Id(person)).await? else { continue };
        let ours = contacts_of(store, ws, person).await?;
        let externals = record.identities.iter().filter(|i| i.identifier.kind == IdentifierKind::WecomExternalUserid);
        for external in externals.map(|i| i.identifier.value.clone()).collect::<Vec<_>>() {
            if !by_customer.contains_key(external.as_str()) {
                messages(&external, &ours, &[], &staff, now, &mut out, &mut found);
            }
        }
    }
    if !out.is_empty() {
        ingestor.submit(ws, Source("wecom_reconcile".into()), out).await?;
    }
    Ok(found)
}
