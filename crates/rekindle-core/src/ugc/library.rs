//! Every piece of shared content of a store, with its review.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use serde::Serialize;
use serde_json::Value;

use crate::profile::text;
use crate::{PersonId, events};

/// Longest text and most media kept from a submission.
const MAX_TEXT: usize = 2000;
const MAX_MEDIA: usize = 9;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "openapi", schema(as = UgcDecision))]
#[serde(rename_all = "snake_case")]
pub enum Decision {
    Approved,
    Rejected,
}

impl Decision {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Approved => "approved",
            Self::Rejected => "rejected",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        [Self::Approved, Self::Rejected].into_iter().find(|d| d.as_str() == s)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "openapi", schema(as = UgcStatus))]
#[serde(rename_all = "snake_case")]
pub enum Status {
    Pending,
    Approved,
    Rejected,
}

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "openapi", schema(as = UgcReview))]
pub struct Review {
    pub at: DateTime<Utc>,
    pub decision: Decision,
    pub by: Option<String>,
    pub reason: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "openapi", schema(as = UgcItem))]
pub struct Item {
    pub id: String,
    #[cfg_attr(feature = "openapi", schema(value_type = String))]
    pub person: PersonId,
    /// `recipe`, `photo`, `video`, `review` or what the sender said.
    pub kind: String,
    pub text: Option<String>,
    /// Picture and video addresses, at most 9.
    pub media: Vec<String>,
    pub order_id: Option<String>,
    /// The products it is about: `sku`, or the skus of `products[]`.
    pub skus: Vec<String>,
    /// When it was submitted; `None` for a review that arrived before its submission.
    pub submitted_at: Option<DateTime<Utc>>,
    /// The latest review.
    pub review: Option<Review>,
}

impl Item {
    pub fn status(&self) -> Status {
        match self.review.as_ref().map(|r| r.decision) {
            None => Status::Pending,
            Some(Decision::Approved) => Status::Approved,
            Some(Decision::Rejected) => Status::Rejected,
        }
    }
}

/// Every item of a store, by id.
#[derive(Debug, Clone, Default)]
pub struct Library {
    pub items: HashMap<String, Item>,
}

fn skus(p: &Value) -> Vec<String> {
    let mut out: Vec<String> = text(p.get("sku")).into_iter().collect();
    if let Some(products) = p.get("products").and_then(Value::as_array) {
        out.extend(products.iter().filter_map(|x| text(x.get("sku"))));
    }
    out.sort();
    out.dedup();
    out
}

impl Library {
    pub const NAMES: [&'static str; 2] = [events::UGC_SUBMITTED, events::UGC_REVIEWED];

    pub fn apply(&mut self, person: PersonId, at: DateTime<Utc>, name: &str, p: &Value) {
        if !Self::NAMES.contains(&name) {
            return;
        }
        let Some(id) = text(p.get("ugc_id")) else { return };
        let item = self.items.entry(id.clone()).or_insert_with(|| Item {
            id,
            person,
            kind: String::new(),
            text: None,
            media: Vec::new(),
            order_id: None,
            skus: Vec::new(),
            submitted_at: None,
            review: None,
        });
        if name == events::UGC_SUBMITTED {
            // The earliest submission is the item; a resend changes nothing.
            if item.submitted_at.is_some_and(|t| t <= at) {
                return;
            }
            item.person = person;
            item.submitted_at = Some(at);
            item.kind = text(p.get("kind")).unwrap_or_else(|| "photo".into());
            item.text = text(p.get("text")).map(|t| t.chars().take(MAX_TEXT).collect());
            item.media = p
                .get("media")
                .and_then(Value::as_array)
                .map(|m| m.iter().filter_map(|u| text(Some(u))).take(MAX_MEDIA).collect())
                .unwrap_or_default();
            item.order_id = text(p.get("order_id"));
            item.skus = skus(p);
        } else if let Some(decision) = p.get("decision").and_then(Value::as_str).and_then(Decision::parse) {
            let review = Review { at, decision, by: text(p.get("by")), reason: text(p.get("reason")) };
            // The latest review wins; on a tie the larger, so arrival order never matters.
            item.review = item.review.clone().max(Some(review));
        }
    }

    /// `from` was merged into `into`.
    pub fn merge(&mut self, from: PersonId, into: PersonId) {
        for i in self.items.values_mut().filter(|i| i.person == from) {
            i.person = into;
        }
    }

    /// Submitted items of a status (all when `None`), oldest first for pending ones (the queue)
    /// and newest first otherwise.
    pub fn list(&self, status: Option<Status>) -> Vec<&Item> {
        let mut out: Vec<&Item> = self
            .items
            .values()
            .filter(|i| i.submitted_at.is_some() && status.is_none_or(|s| i.status() == s))
            .collect();
        out.sort_by(|a, b| (a.submitted_at, &a.id).cmp(&(b.submitted_at, &b.id)));
        if status != Some(Status::Pending) {
            out.reverse();
        }
        out
    }

    /// Approved items about a product, newest first: what a message may attach.
    pub fn approved_for(&self, sku: &str) -> Vec<&Item> {
        self.list(Some(Status::Approved)).into_iter().filter(|i| i.skus.iter().any(|s| s == sku)).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn at(min: i64) -> DateTime<Utc> {
        "2026-05-01T00:00:00Z".parse::<DateTime<Utc>>().unwrap() + chrono::Duration::minutes(min)
    }
    fn id(n: u128) -> PersonId {
        PersonId(uuid::Uuid::from_u128(n))
    }

    fn events() -> Vec<(u128, i64, &'static str, Value)> {
        vec![
            (
                1,
                0,
                events::UGC_SUBMITTED,
                json!({"ugc_id": "u1", "kind": "recipe", "text": "草莓酸奶杯", "media": ["https://x/1.jpg"], "order_id": "o1", "products": [{"sku": "berry"}]}),
            ),
            (2, 5, events::UGC_SUBMITTED, json!({"ugc_id": "u2", "kind": "photo", "sku": "berry"})),
            (1, 10, events::UGC_REVIEWED, json!({"ugc_id": "u1", "decision": "rejected", "reason": "图片模糊"})),
            (1, 20, events::UGC_REVIEWED, json!({"ugc_id": "u1", "decision": "approved", "by": "小王"})),
            (3, 30, events::UGC_SUBMITTED, json!({"ugc_id": "u3", "sku": "oat"})),
        ]
    }

    fn fold(evs: &[(u128, i64, &'static str, Value)]) -> Library {
        let mut l = Library::default();
        for (p, t, n, props) in evs {
            l.apply(id(*p), at(*t), n, props);
        }
        l
    }

    #[test]
    fn the_latest_review_decides_in_any_order() {
        let mut evs = events();
        let forward = fold(&evs);
        evs.reverse();
        let backward = fold(&evs);
        for l in [&forward, &backward] {
            assert_eq!(l.items["u1"].status(), Status::Approved);
            assert_eq!(l.items["u1"].skus, ["berry"]);
            assert_eq!(l.list(Some(Status::Pending)).iter().map(|i| i.id.as_str()).collect::<Vec<_>>(), ["u2", "u3"]);
            assert_eq!(l.approved_for("berry").len(), 1);
            assert!(l.approved_for("oat").is_empty());
        }
        assert_eq!(forward.items["u1"], backward.items["u1"]);
    }

    #[test]
    fn a_review_before_its_submission_waits_for_it() {
        let mut l = Library::default();
        l.apply(id(1), at(10), events::UGC_REVIEWED, &json!({"ugc_id": "u9", "decision": "approved"}));
        assert!(l.list(None).is_empty(), "nothing submitted yet");
        l.apply(id(1), at(0), events::UGC_SUBMITTED, &json!({"ugc_id": "u9", "kind": "video"}));
        assert_eq!(l.list(Some(Status::Approved)).len(), 1);
    }
}
