//! Handing customers to another staff member (docs/relationships.md): a departed staff
//! member's customers (离职继承) or those of one changing role (在职转接). Each customer's
//! transfer is a pair of events on them — `Contact Transfer Requested` when the operator asks,
//! `Contact Transfer Updated` as WeCom answers — folded here in any arrival order.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::PersonId;
use crate::events;

/// Which WeCom transfer it is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum TransferKind {
    /// 在职转接: the handing-over staff member still works here; the customer may refuse.
    OnJob,
    /// 离职继承: the staff member left.
    Resigned,
}

impl TransferKind {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::OnJob => "on_job",
            Self::Resigned => "resigned",
        }
    }
}

/// Where a customer's transfer stands. Ordered by how far it got, so two updates at the
/// same instant fold the same way whichever arrives first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum TransferStatus {
    /// Asked in Rekindle, not yet sent to WeCom.
    Requested,
    /// WeCom accepted it; the customer moves within 24 hours unless they refuse.
    Waiting,
    /// The customer now belongs to the taking-over staff member.
    Done,
    /// The customer refused (在职转接 only).
    Refused,
    /// The taking-over staff member has as many customers as WeCom allows.
    TakeoverFull,
    /// WeCom refused the request (see the error code).
    Failed,
}

impl TransferStatus {
    pub fn parse(s: &str) -> Option<Self> {
        serde_json::from_value(Value::String(s.to_owned())).ok()
    }

    pub fn finished(self) -> bool {
        !matches!(self, Self::Requested | Self::Waiting)
    }
}

/// One customer's transfer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Transfer {
    pub id: String,
    /// The request it was part of (one operator action).
    pub batch: String,
    #[cfg_attr(feature = "openapi", schema(value_type = String))]
    pub person: PersonId,
    /// The customer's WeCom id, as the request named them.
    pub external_userid: String,
    pub kind: TransferKind,
    pub handover: String,
    pub takeover: String,
    pub status: TransferStatus,
    /// WeCom's error code when it refused.
    pub errcode: Option<i64>,
    pub requested_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// Every transfer of a store, by id.
#[derive(Debug, Clone, Default)]
pub struct Transfers {
    by_id: HashMap<String, Transfer>,
    /// Updates that arrived before their request, by transfer id.
    early: HashMap<String, (DateTime<Utc>, TransferStatus, Option<i64>)>,
}

fn text(p: &Value, k: &str) -> Option<String> {
    p.get(k).and_then(Value::as_str).map(str::trim).filter(|s| !s.is_empty()).map(str::to_owned)
}

impl Transfers {
    pub const NAMES: [&'static str; 2] = [events::CONTACT_TRANSFER_REQUESTED, events::CONTACT_TRANSFER_UPDATED];

    pub fn apply(&mut self, person: PersonId, at: DateTime<Utc>, name: &str, p: &Value) {
        let Some(id) = text(p, "transfer_id") else { return };
        match name {
            events::CONTACT_TRANSFER_REQUESTED => {
                let kind = match p.get("kind").and_then(Value::as_str) {
                    Some("resigned") => TransferKind::Resigned,
                    _ => TransferKind::OnJob,
                };
                let (Some(handover), Some(takeover)) = (text(p, "handover"), text(p, "takeover")) else { return };
                let mut t = Transfer {
                    batch: text(p, "batch_id").unwrap_or_else(|| id.clone()),
                    id: id.clone(),
                    person,
                    external_userid: text(p, "external_userid").unwrap_or_default(),
                    kind,
                    handover,
                    takeover,
                    status: TransferStatus::Requested,
                    errcode: None,
                    requested_at: at,
                    updated_at: at,
                };
                if let Some(early) = self.early.remove(&id) {
                    update(&mut t, early);
                }
                // The first request of an id stands.
                let kept = self.by_id.entry(id).or_insert(t.clone());
                if t.requested_at < kept.requested_at {
                    *kept = t;
                }
            }
            events::CONTACT_TRANSFER_UPDATED => {
                let Some(status) = p.get("status").and_then(Value::as_str).and_then(TransferStatus::parse) else {
                    return;
                };
                let errcode = p.get("errcode").and_then(Value::as_i64);
                match self.by_id.get_mut(&id) {
                    Some(t) => update(t, (at, status, errcode)),
                    None => {
                        let e = self.early.entry(id).or_insert((at, status, errcode));
                        if (at, status) > (e.0, e.1) {
                            *e = (at, status, errcode);
                        }
                    }
                }
            }
            _ => {}
        }
    }

    pub fn merge(&mut self, from: PersonId, into: PersonId) {
        for t in self.by_id.values_mut().filter(|t| t.person == from) {
            t.person = into;
        }
    }

    pub fn get(&self, id: &str) -> Option<&Transfer> {
        self.by_id.get(id)
    }

    /// All transfers, latest request first.
    pub fn list(&self) -> Vec<&Transfer> {
        let mut all: Vec<_> = self.by_id.values().collect();
        all.sort_by(|a, b| b.requested_at.cmp(&a.requested_at).then(a.id.cmp(&b.id)));
        all
    }

    /// Transfers WeCom has not settled yet, oldest first.
    pub fn open(&self) -> Vec<&Transfer> {
        let mut open: Vec<_> = self.by_id.values().filter(|t| !t.status.finished()).collect();
        open.sort_by(|a, b| a.requested_at.cmp(&b.requested_at).then(a.id.cmp(&b.id)));
        open
    }

    /// A customer already on their way to someone else (asked or waiting).
    pub fn in_flight(&self, external_userid: &str) -> bool {
        self.by_id.values().any(|t| t.external_userid == external_userid && !t.status.finished())
    }
}

/// The latest update wins; on a tie the one further along.
fn update(t: &mut Transfer, (at, status, errcode): (DateTime<Utc>, TransferStatus, Option<i64>)) {
    if t.status == TransferStatus::Requested || (at, status) > (t.updated_at, t.status) {
        t.status = status;
        t.errcode = errcode;
        t.updated_at = at.max(t.requested_at);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;
    use serde_json::json;

    fn t(h: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 11, 1, h, 0, 0).unwrap()
    }

    fn request(id: &str) -> Value {
        json!({"transfer_id": id, "batch_id": "b1", "kind": "resigned", "handover": "guide-6", "takeover": "guide-1", "external_userid": "wm-1"})
    }

    #[test]
    fn a_transfer_moves_from_asked_to_done_in_any_order() {
        let p = PersonId::new_v7();
        let events = [
            (t(0), events::CONTACT_TRANSFER_REQUESTED, request("x1")),
            (t(1), events::CONTACT_TRANSFER_UPDATED, json!({"transfer_id": "x1", "status": "waiting"})),
            (t(5), events::CONTACT_TRANSFER_UPDATED, json!({"transfer_id": "x1", "status": "done"})),
        ];
        for order in [[0, 1, 2], [2, 1, 0], [1, 2, 0]] {
            let mut book = Transfers::default();
            for i in order {
                let (at, name, p_) = &events[i];
                book.apply(p, *at, name, p_);
            }
            let x = book.get("x1").unwrap();
            assert_eq!((x.status, x.updated_at, x.kind), (TransferStatus::Done, t(5), TransferKind::Resigned));
            assert!(book.open().is_empty() && !book.in_flight("wm-1"));
        }
    }

    #[test]
    fn open_transfers_and_merges() {
        let (a, b) = (PersonId::new_v7(), PersonId::new_v7());
        let mut book = Transfers::default();
        book.apply(a, t(0), events::CONTACT_TRANSFER_REQUESTED, &request("x1"));
        book.apply(
            a,
            t(1),
            events::CONTACT_TRANSFER_UPDATED,
            &json!({"transfer_id": "x1", "status": "failed", "errcode": 40096}),
        );
        book.apply(b, t(2), events::CONTACT_TRANSFER_REQUESTED, &request("x2"));
        assert_eq!(book.open().iter().map(|t| t.id.as_str()).collect::<Vec<_>>(), ["x2"]);
        assert_eq!(book.get("x1").unwrap().errcode, Some(40096));
        assert!(book.in_flight("wm-1"));
        book.merge(b, a);
        assert!(book.list().iter().all(|t| t.person == a));
        // Nonsense is passed by.
        book.apply(a, t(3), events::CONTACT_TRANSFER_UPDATED, &json!({"transfer_id": "x2", "status": "teleported"}));
        book.apply(a, t(3), events::CONTACT_TRANSFER_REQUESTED, &json!({"transfer_id": "x3"}));
        assert_eq!((book.get("x2").unwrap().status, book.list().len()), (TransferStatus::Requested, 2));
    }
}
