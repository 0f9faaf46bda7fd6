//! Who is whose customer: the staff members with the customer-contact permission
//! (`get_follow_user_list`), their customers a page at a time (`batch/get_by_user`) and one
//! customer's staff members (`externalcontact/get`), read into [`Relationship`]s. Callbacks are
//! not sent for changes made through the API, so a reconcile reads these.
//!
//! Also the helpers the other contact-layer calls share: calls whose errcodes are classified for
//! this layer, and answers read into typed structs.

use std::time::Duration;

use chrono::{DateTime, Utc};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use super::WecomClient;
use super::codes;
use crate::error::Class;
use crate::wechat::WechatApi;
use crate::{FailureKind, SendError};

/// Staff userids one `batch/get_by_user` call names at most.
pub const MAX_STAFF_PER_CALL: usize = 100;
/// Relationships one `batch/get_by_user` page holds at most (and what
/// [`WecomClient::relationships`] asks for).
pub const MAX_RELATIONSHIPS_PER_PAGE: u32 = 100;
/// Pages read at most by one paging method: a guard against a cursor that never ends.
const MAX_PAGES: usize = 10_000;

/// One staff member's relationship with one customer (WeCom's `follow_info` / `follow_user`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Relationship {
    pub external_userid: String,
    /// Only when the corp bound a WeChat developer account, and only for WeChat users.
    pub unionid: Option<String>,
    /// The customer's WeChat nickname (or WeCom name).
    pub name: String,
    /// The staff member's userid.
    pub staff: String,
    /// When they became contacts (`createtime`).
    pub added_at: DateTime<Utc>,
    /// How the customer was added: 0 unknown, 1 a QR code scanned, 2 a phone number searched, …
    pub add_way: i64,
    /// The channel code's `state` when added through one.
    pub state: Option<String>,
    /// The corporate tags the staff member put on the customer.
    pub tag_ids: Vec<String>,
    /// Who added whom: the staff member's userid when the staff added the customer, the
    /// customer's external userid when the customer added the staff member.
    pub oper_userid: Option<String>,
}

/// One `batch/get_by_user` page.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RelationshipPage {
    pub relationships: Vec<Relationship>,
    /// Where the next page starts; empty on the last page.
    pub next_cursor: String,
}

#[derive(Deserialize)]
struct WireContact {
    external_userid: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    unionid: String,
}

#[derive(Deserialize)]
struct WireFollow {
    userid: String,
    #[serde(default)]
    createtime: i64,
    #[serde(default)]
    add_way: i64,
    #[serde(default)]
    state: String,
    #[serde(default)]
    oper_userid: String,
    /// `batch/get_by_user`: the tag ids.
    #[serde(default)]
    tag_id: Vec<String>,
    /// `externalcontact/get`: the tags with their names.
    #[serde(default)]
    tags: Vec<WireTag>,
}

#[derive(Deserialize)]
struct WireTag {
    #[serde(default)]
    tag_id: String,
}

impl WireFollow {
    fn relationship(self, contact: &WireContact) -> Relationship {
        let tag_ids = if self.tag_id.is_empty() {
            // Personal tags (type 2) carry no tag id: only corporate and rule tags are kept.
            self.tags.into_iter().map(|t| t.tag_id).filter(|id| !id.is_empty()).collect()
        } else {
            self.tag_id
        };
        Relationship {
            external_userid: contact.external_userid.clone(),
            unionid: present(&contact.unionid),
            name: contact.name.clone(),
            staff: self.userid,
            added_at: DateTime::from_timestamp(self.createtime, 0).unwrap_or_default(),
            add_way: self.add_way,
            state: present(&self.state),
            tag_ids,
            oper_userid: present(&self.oper_userid),
        }
    }
}

impl WecomClient {
    /// The staff members with the customer-contact permission (`get_follow_user_list`).
    pub async fn follow_users(&self) -> Result<Vec<String>, SendError> {
        #[derive(Deserialize)]
        struct Answer {
            #[serde(default)]
            follow_user: Vec<String>,
        }
        let reply = get(&self.api, "cgi-bin/externalcontact/get_follow_user_list", &[]).await?;
        Ok(read::<Answer>(reply, "get_follow_user_list")?.follow_user)
    }

    /// One page of `batch/get_by_user`: the relationships of up to [`MAX_STAFF_PER_CALL`] staff
    /// members after `cursor` (the previous page's `next_cursor`), at most `limit` (1 to
    /// [`MAX_RELATIONSHIPS_PER_PAGE`]).
    pub async fn relationships_page(
        &self,
        staff: &[String],
        cursor: Option<&str>,
        limit: u32,
    ) -> Result<RelationshipPage, SendError> {
        #[derive(Deserialize)]
        struct Answer {
            #[serde(default)]
            external_contact_list: Vec<Entry>,
            #[serde(default)]
            next_cursor: String,
        }
        #[derive(Deserialize)]
        struct Entry {
            external_contact: WireContact,
            follow_info: WireFollow,
        }
        if staff.is_empty() || staff.len() > MAX_STAFF_PER_CALL {
            let message = format!("batch/get_by_user takes 1 to {MAX_STAFF_PER_CALL} userids; {} given", staff.len());
            return Err(SendError::rejected(FailureKind::Misconfigured, "userid_list", message));
        }
        let body = json!({
            "userid_list": staff,
            "cursor": cursor.unwrap_or_default(),
            "limit": limit.clamp(1, MAX_RELATIONSHIPS_PER_PAGE),
        });
        let reply = post(&self.api, "cgi-bin/externalcontact/batch/get_by_user", &body).await?;
        let answer: Answer = read(reply, "batch/get_by_user")?;
        let relationships =
            answer.external_contact_list.into_iter().map(|e| e.follow_info.relationship(&e.external_contact)).collect();
        Ok(RelationshipPage { relationships, next_cursor: answer.next_cursor })
    }

    /// Every relationship of the `staff` members, any number of them (asked
    /// [`MAX_STAFF_PER_CALL`] at a time), every page read.
    pub async fn relationships(&self, staff: &[String]) -> Result<Vec<Relationship>, SendError> {
        let mut all = Vec::new();
        for chunk in staff.chunks(MAX_STAFF_PER_CALL) {
            let mut cursor = String::new();
            for _ in 0..MAX_PAGES {
                let page = self.relationships_page(chunk, Some(&cursor), MAX_RELATIONSHIPS_PER_PAGE).await?;
                all.extend(page.relationships);
                if page.next_cursor.is_empty() {
                    break;
                }
                cursor = page.next_cursor;
            }
        }
        Ok(all)
    }

    /// One customer's relationships, one per staff member who has them (`externalcontact/get`,
    /// every page). Empty when the customer is no staff member's contact (any more): 84061.
    pub async fn customer_relationships(&self, external_userid: &str) -> Result<Vec<Relationship>, SendError> {
        #[derive(Deserialize)]
        struct Answer {
            external_contact: WireContact,
            #[serde(default)]
            follow_user: Vec<WireFollow>,
            #[serde(default)]
            next_cursor: String,
        }
        let mut all = Vec::new();
        let mut cursor = String::new();
        for _ in 0..MAX_PAGES {
            let mut query = vec![("external_userid", external_userid)];
            if !cursor.is_empty() {
                query.push(("cursor", cursor.as_str()));
            }
            let reply = match get(&self.api, "cgi-bin/externalcontact/get", &query).await {
                Err(e) if e.code() == "84061" => break,
                other => other?,
            };
            let answer: Answer = read(reply, "externalcontact/get")?;
            all.extend(answer.follow_user.into_iter().map(|f| f.relationship(&answer.external_contact)));
            if answer.next_cursor.is_empty() {
                break;
            }
            cursor = answer.next_cursor;
        }
        Ok(all)
    }
}

/// POST through the contact layer's classification.
pub(super) async fn post(api: &WechatApi, path: &str, body: &Value) -> Result<Value, SendError> {
    api.post(path, body).await.map_err(classified)
}

/// GET through the contact layer's classification.
pub(super) async fn get(api: &WechatApi, path: &str, query: &[(&str, &str)]) -> Result<Value, SendError> {
    api.get(path, query).await.map_err(classified)
}

/// An accepted answer read into `T`; one that does not read is an error naming the call.
pub(super) fn read<T: DeserializeOwned>(reply: Value, call: &str) -> Result<T, SendError> {
    serde_json::from_value(reply)
        .map_err(|e| SendError::uncertain(FailureKind::ProviderError, "unreadable", format!("{call}: {e}")))
}

/// How long to wait after WeCom's frequency (45009) and concurrency (45033) limits.
const FREQUENCY_WAIT: Duration = Duration::from_secs(60);
const CONCURRENCY_WAIT: Duration = Duration::from_secs(1);

/// The errcodes of the contact layer that the send-side classification leaves generic, and the
/// wait the limits ask for.
pub(super) fn classified(e: SendError) -> SendError {
    let Ok(errcode) = e.code().parse::<i64>() else { return e };
    match errcode {
        45009 => e.with_retry_after(Some(FREQUENCY_WAIT)),
        45033 => e.with_retry_after(Some(CONCURRENCY_WAIT)),
        _ => match contact_class(errcode) {
            Some((class, kind)) => class.error(kind, e.code().to_string(), e.message().to_string()),
            None => e,
        },
    }
}

/// The errcode of one entry of a per-customer list (a transfer's `customer[].errcode`) as an
/// error, classified as a call's would be.
pub(super) fn entry_error(errcode: i64, what: &str) -> SendError {
    let (class, kind) = contact_class(errcode).unwrap_or_else(|| codes::classify(errcode));
    classified(class.error(kind, errcode.to_string(), what.to_string()))
}

/// Contact-layer errcodes (developer.work.weixin.qq.com/document/path/90313).
fn contact_class(errcode: i64) -> Option<(Class, FailureKind)> {
    Some(match errcode {
        // An invalid (or deleted) corporate tag id; too many corporate tags.
        40068 | 40071 | 40126 => (Class::Rejected, FailureKind::Misconfigured),
        // A staff userid that does not exist (any more) or was never activated.
        60111 | 41054 => (Class::Rejected, FailureKind::Misconfigured),
        // Transfers: the handover has not left; already being transferred; handover and
        // takeover the same; not the handover's customer.
        40097 | 40129 | 40130 | 40131 => (Class::Rejected, FailureKind::Misconfigured),
        // Transferred as often as WeCom allows in 90 days; the takeover's customers at the limit.
        40128 | 40099 => (Class::Rejected, FailureKind::QuotaExhausted),
        // An invalid channel code ("联系我") config_id.
        41044 => (Class::Rejected, FailureKind::Misconfigured),
        _ => return None,
    })
}

fn present(value: &str) -> Option<String> {
    Some(value.trim()).filter(|v| !v.is_empty()).map(str::to_string)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn contact_codes_are_classified_and_limits_wait() {
        let tag = classified(SendError::rejected(FailureKind::ProviderError, "40068", "invalid tagid"));
        assert_eq!((tag.kind(), tag.code(), tag.message()), (FailureKind::Misconfigured, "40068", "invalid tagid"));
        let busy = classified(SendError::retryable(FailureKind::Throttled, "45009", "api freq out of limit"));
        assert_eq!(busy.retry_after(), Some(FREQUENCY_WAIT));
        let friend = entry_error(84061, "not a friend");
        assert!(matches!(friend, SendError::Rejected { kind: FailureKind::UserRefused, .. }));
        let unknown = entry_error(77777, "something new");
        assert_eq!((unknown.kind(), unknown.code()), (FailureKind::ProviderError, "77777"));
        assert!(unknown.to_string().contains("77777") && unknown.to_string().contains("something new"));
        assert_eq!(entry_error(40128, "x").kind(), FailureKind::QuotaExhausted);
        let transport = SendError::uncertain(FailureKind::Timeout, "timeout", "late");
        assert_eq!(classified(transport.clone()), transport);
    }

    #[test]
    fn follows_read_from_either_answer() {
        let contact = WireContact { external_userid: "wm1".into(), name: "小李".into(), unionid: String::new() };
        let batch: WireFollow = serde_json::from_value(json!({
            "userid": "zhangsan", "remark": "", "createtime": 1700000000, "tag_id": ["et1"],
            "add_way": 1, "state": "live-0501", "oper_userid": "wm1"
        }))
        .unwrap();
        let r = batch.relationship(&contact);
        assert_eq!((r.staff.as_str(), r.add_way, r.state.as_deref()), ("zhangsan", 1, Some("live-0501")));
        assert_eq!((r.unionid, r.tag_ids, r.added_at.timestamp()), (None, vec!["et1".to_string()], 1700000000));
        let single: WireFollow = serde_json::from_value(json!({
            "userid": "lisi", "createtime": 1700000001, "add_way": 0,
            "tags": [{"group_name": "g", "tag_name": "VIP", "tag_id": "et2", "type": 1},
                     {"group_name": "", "tag_name": "mine", "type": 2}]
        }))
        .unwrap();
        let r = single.relationship(&contact);
        assert_eq!((r.tag_ids, r.state, r.oper_userid), (vec!["et2".to_string()], None, None));
    }
}
