//! Handing customers to another staff member through WeCom (在职转接 `transfer_customer`,
//! 离职继承 `resigned/transfer_customer`). The operator's request is a `Contact Transfer
//! Requested` event per customer; each round sends what is requested, asks WeCom how waiting
//! transfers stand, and writes what it says as `Contact Transfer Updated` — and, once a
//! customer is taken over, their friendship moves: `Contact Removed` from the handing-over
//! staff member (`by: transfer`) and `Contact Added` to the taking-over one (`source:
//! transfer`, `since` the old friendship's start), so journeys and caps follow the new owner.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use rekindle_core::contacts::{Transfer, TransferKind, TransferStatus, Transfers};
use rekindle_core::{Message, WorkspaceId, events};
use rekindle_delivery::WecomClient;
use rekindle_delivery::wecom::TransferStatus as WecomStatus;
use rekindle_ingest::Ingestor;
use rekindle_store::{Source, Store};
use serde::Serialize;
use serde_json::json;

use super::contact_event;
use crate::person::contacts_of;

const LIBRARY: &str = "rekindle-wecom-transfer";

/// What a round did.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Round {
    /// Customers sent to WeCom, and of those refused at once.
    pub sent: usize,
    pub refused: usize,
    /// Customers whose transfer WeCom settled (taken over, refused, full).
    pub settled: usize,
}

fn update(t: &Transfer, status: TransferStatus, errcode: Option<i64>, at: DateTime<Utc>) -> Result<Message, String> {
    let props = json!({"transfer_id": t.id, "status": status, "errcode": errcode});
    let id = format!("transfer:{}:{}", t.id, serde_json::to_value(status).unwrap_or_default().as_str().unwrap_or("?"));
    contact_event(events::CONTACT_TRANSFER_UPDATED, &t.external_userid, props, id, at, LIBRARY)
}

/// The friendship moving once a customer is taken over.
async fn moved(store: &dyn Store, ws: WorkspaceId, t: &Transfer, at: DateTime<Utc>) -> Result<Vec<Message>, String> {
    let since = contacts_of(store, ws, t.person)
        .await
        .map_err(|e| e.to_string())?
        .all()
        .find(|(s, ..)| *s == t.handover)
        .and_then(|(_, l, _)| l.since);
    let removed = json!({"staff_id": t.handover, "by": "transfer", "via": "transfer", "transfer_id": t.id});
    let added = json!({"staff_id": t.takeover, "source": "transfer", "since": since.map(|s| s.to_rfc3339()),
        "via": "transfer", "transfer_id": t.id});
    Ok(vec![
        contact_event(
            events::CONTACT_REMOVED,
            &t.external_userid,
            removed,
            format!("transfer:{}:removed", t.id),
            at,
            LIBRARY,
        )?,
        contact_event(
            events::CONTACT_ADDED,
            &t.external_userid,
            added,
            format!("transfer:{}:added", t.id),
            at,
            LIBRARY,
        )?,
    ])
}

/// The WeCom error code in a refusal ("40129"), when it is one.
fn errcode(e: &rekindle_delivery::SendError) -> Option<i64> {
    e.code().parse().ok()
}

/// One round over the store's open transfers, as of `now`.
pub async fn advance(
    store: &dyn Store,
    wecom: &WecomClient,
    ingestor: &Ingestor,
    ws: WorkspaceId,
    open: Vec<Transfer>,
    now: DateTime<Utc>,
) -> Result<Round, super::Error> {
    let mut round = Round::default();
    let mut out: Vec<Message> = Vec::new();
    fn push(out: &mut Vec<Message>, m: Result<Message, String>) {
        match m {
            Ok(m) => out.push(m),
            Err(e) => tracing::warn!(error = %e, "a transfer's progress is not recorded"),
        }
    }
    // Grouped by the WeCom call that serves them.
    let mut pairs: BTreeMap<(TransferKind, String, String), Vec<Transfer>> = BTreeMap::new();
    for t in open {
        pairs.entry((t.kind, t.handover.clone(), t.takeover.clone())).or_default().push(t);
    }
    for ((kind, handover, takeover), transfers) in pairs {
        let (asked, waiting): (Vec<_>, Vec<_>) =
            transfers.into_iter().partition(|t| t.status == TransferStatus::Requested);
        if !asked.is_empty() {
            let customers: Vec<String> = asked.iter().map(|t| t.external_userid.clone()).collect();
            let outcomes = match kind {
                TransferKind::OnJob => wecom.transfer_customers(&handover, &takeover, &customers, None).await?,
                TransferKind::Resigned => wecom.transfer_resigned_customers(&handover, &takeover, &customers).await?,
            };
            for (t, o) in asked.iter().zip(outcomes) {
                round.sent += 1;
                match o.result {
                    Ok(()) => push(&mut out, update(t, TransferStatus::Waiting, None, now)),
                    // Not sent (a call failed before it): asked again next round.
                    Err(rekindle_delivery::SendError::Retryable { .. }) => round.sent -= 1,
                    Err(e) => {
                        round.refused += 1;
                        push(&mut out, update(t, TransferStatus::Failed, errcode(&e), now));
                    }
                }
            }
        }
        if waiting.is_empty() {
            continue;
        }
        let states = match kind {
            TransferKind::OnJob => wecom.transfer_results(&handover, &takeover).await?,
            TransferKind::Resigned => wecom.resigned_transfer_results(&handover, &takeover).await?,
        };
        for t in &waiting {
            let Some(s) = states.iter().find(|s| s.external_userid == t.external_userid) else { continue };
            let status = match s.status {
                WecomStatus::Done => TransferStatus::Done,
                WecomStatus::Refused => TransferStatus::Refused,
                WecomStatus::TakeoverFull => TransferStatus::TakeoverFull,
                WecomStatus::Waiting | WecomStatus::NoRecord | WecomStatus::Other(_) => continue,
            };
            round.settled += 1;
            let at = s.takeover_time.filter(|t| *t <= now).unwrap_or(now);
            push(&mut out, update(t, status, None, at));
            if status == TransferStatus::Done {
                match moved(store, ws, t, at).await {
                    Ok(m) => out.extend(m),
                    Err(e) => tracing::warn!(transfer = %t.id, error = %e, "a transferred friendship is not recorded"),
                }
            }
        }
    }
    if !out.is_empty() {
        ingestor.submit(ws, Source("wecom_transfer".into()), out).await?;
    }
    Ok(round)
}

/// The open transfers of a store's book.
pub fn open(book: &Transfers) -> Vec<Transfer> {
    book.open().into_iter().cloned().collect()
}
