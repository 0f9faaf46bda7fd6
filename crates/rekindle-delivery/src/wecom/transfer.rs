//! Customer transfers: 在职继承 (a staff member's customers handed to a colleague; each customer
//! may refuse within 24 hours) and 离职继承 (a departed staff member's customers, listed by
//! `get_unassigned_list`). A transfer is asked per customer and completes later; its result
//! endpoints say where each customer stands.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::json;

use super::WecomClient;
use super::contacts::{entry_error, post, read};
use crate::wechat::nothing_sent;
use crate::{FailureKind, SendError};

/// Customers one transfer call names at most; the methods split longer lists.
pub const MAX_TRANSFER_CUSTOMERS: usize = 100;
/// The longest `transfer_success_msg`, in characters.
pub const MAX_TRANSFER_MESSAGE_CHARS: usize = 200;
/// Entries one `get_unassigned_list` page holds at most.
pub const MAX_UNASSIGNED_PAGE: u32 = 1000;
const MAX_PAGES: usize = 10_000;

/// Where one customer's transfer stands (`status`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TransferStatus {
    /// 1 接替完毕: the customer is the takeover's now.
    Done,
    /// 2 等待接替: completes within 24 hours unless the customer refuses.
    Waiting,
    /// 3 客户拒绝: the customer stays with the handover.
    Refused,
    /// 4 接替成员客户达到上限: the takeover cannot have more customers.
    TakeoverFull,
    /// 5 无接替记录.
    NoRecord,
    /// A status WeCom did not document when this was written.
    Other(i64),
}

impl TransferStatus {
    pub fn from_code(code: i64) -> Self {
        match code {
            1 => Self::Done,
            2 => Self::Waiting,
            3 => Self::Refused,
            4 => Self::TakeoverFull,
            5 => Self::NoRecord,
            other => Self::Other(other),
        }
    }
}

/// What a transfer call said about one customer: accepted (the transfer started) or why not.
#[derive(Debug, Clone, PartialEq)]
pub struct TransferOutcome {
    pub external_userid: String,
    /// The per-customer errcode as an error (40129 already being transferred, 40128 transferred
    /// as often as 90 days allow, 40131 not the handover's customer, 84061 not a friend, …),
    /// or the call's own failure for every customer it named.
    pub result: Result<(), SendError>,
}

/// One customer in a transfer's result list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TransferState {
    pub external_userid: String,
    pub status: TransferStatus,
    /// When the takeover took (or, waiting, will take) the customer over.
    pub takeover_time: Option<DateTime<Utc>>,
}

/// A departed staff member's customer not yet handed to anyone.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Unassigned {
    pub handover_userid: String,
    pub external_userid: String,
    pub dimission_time: Option<DateTime<Utc>>,
}

/// One `get_unassigned_list` page.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct UnassignedPage {
    pub entries: Vec<Unassigned>,
    pub is_last: bool,
    pub next_cursor: String,
}

/// Which inheritance an endpoint pair serves.
#[derive(Clone, Copy)]
enum Kind {
    InService,
    Resigned,
}

impl Kind {
    fn transfer_path(self) -> &'static str {
        match self {
            Self::InService => "cgi-bin/externalcontact/transfer_customer",
            Self::Resigned => "cgi-bin/externalcontact/resigned/transfer_customer",
        }
    }

    fn result_path(self) -> &'static str {
        match self {
            Self::InService => "cgi-bin/externalcontact/transfer_result",
            Self::Resigned => "cgi-bin/externalcontact/resigned/transfer_result",
        }
    }
}

impl WecomClient {
    /// 在职继承: hand `customers` of `handover` to `takeover`, [`MAX_TRANSFER_CUSTOMERS`] a
    /// call. `message` (at most [`MAX_TRANSFER_MESSAGE_CHARS`]) is what customers are told;
    /// WeCom's default without one. One outcome per customer, in order; after a call fails,
    /// the customers of later calls are not asked and carry that failure as retryable.
    pub async fn transfer_customers(
        &self,
        handover: &str,
        takeover: &str,
        customers: &[String],
        message: Option<&str>,
    ) -> Result<Vec<TransferOutcome>, SendError> {
        if let Some(message) = message
            && message.chars().count() > MAX_TRANSFER_MESSAGE_CHARS
        {
            let message = format!("a transfer message has at most {MAX_TRANSFER_MESSAGE_CHARS} characters");
            return Err(SendError::rejected(FailureKind::ContentRejected, "transfer_message", message));
        }
        self.transfer(Kind::InService, handover, takeover, customers, message.filter(|m| !m.is_empty())).await
    }

    /// 离职继承: hand a departed `handover`'s `customers` to `takeover`; as
    /// [`WecomClient::transfer_customers`], without a message (customers are not asked).
    pub async fn transfer_resigned_customers(
        &self,
        handover: &str,
        takeover: &str,
        customers: &[String],
    ) -> Result<Vec<TransferOutcome>, SendError> {
        self.transfer(Kind::Resigned, handover, takeover, customers, None).await
    }

    /// Where each customer of 在职继承 transfers from `handover` to `takeover` stands, every page.
    pub async fn transfer_results(&self, handover: &str, takeover: &str) -> Result<Vec<TransferState>, SendError> {
        self.results(Kind::InService, handover, takeover).await
    }

    /// As [`WecomClient::transfer_results`], for 离职继承.
    pub async fn resigned_transfer_results(
        &self,
        handover: &str,
        takeover: &str,
    ) -> Result<Vec<TransferState>, SendError> {
        self.results(Kind::Resigned, handover, takeover).await
    }

    /// One page of departed staff members' customers waiting for a takeover, after `cursor`,
    /// at most `page_size` (1 to [`MAX_UNASSIGNED_PAGE`]).
    pub async fn unassigned_page(&self, cursor: Option<&str>, page_size: u32) -> Result<UnassignedPage, SendError> {
        #[derive(Deserialize)]
        struct Answer {
            #[serde(default)]
            info: Vec<Entry>,
            #[serde(default)]
            is_last: bool,
            #[serde(default)]
            next_cursor: String,
        }
        #[derive(Deserialize)]
        struct Entry {
            handover_userid: String,
            external_userid: String,
            #[serde(default)]
            dimission_time: i64,
        }
        let body = json!({"cursor": cursor.unwrap_or_default(), "page_size": page_size.clamp(1, MAX_UNASSIGNED_PAGE)});
        let reply = post(&self.api, "cgi-bin/externalcontact/get_unassigned_list", &body).await?;
        let answer: Answer = read(reply, "get_unassigned_list")?;
        let entries = answer
            .info
            .into_iter()
            .map(|e| Unassigned {
                handover_userid: e.handover_userid,
                external_userid: e.external_userid,
                dimission_time: timestamp(e.dimission_time),
            })
            .collect();
        // An empty cursor ends the list whatever is_last says.
        let is_last = answer.is_last || answer.next_cursor.is_empty();
        Ok(UnassignedPage { entries, is_last, next_cursor: answer.next_cursor })
    }

    /// Every unassigned customer, every page.
    pub async fn unassigned(&self) -> Result<Vec<Unassigned>, SendError> {
        let mut all = Vec::new();
        let mut cursor = String::new();
        for _ in 0..MAX_PAGES {
            let page = self.unassigned_page(Some(&cursor), MAX_UNASSIGNED_PAGE).await?;
            all.extend(page.entries);
            if page.is_last {
                break;
            }
            cursor = page.next_cursor;
        }
        Ok(all)
    }

    async fn transfer(
        &self,
        kind: Kind,
        handover: &str,
        takeover: &str,
        customers: &[String],
        message: Option<&str>,
    ) -> Result<Vec<TransferOutcome>, SendError> {
        #[derive(Deserialize)]
        struct Answer {
            #[serde(default)]
            customer: Vec<Entry>,
        }
        #[derive(Deserialize)]
        struct Entry {
            external_userid: String,
            #[serde(default)]
            errcode: i64,
        }
        if handover.trim().is_empty() || takeover.trim().is_empty() {
            let message = "a transfer needs the handover's and the takeover's userids";
            return Err(SendError::rejected(FailureKind::Misconfigured, "transfer_users", message));
        }
        let mut outcomes = Vec::with_capacity(customers.len());
        let mut failed: Option<SendError> = None;
        for chunk in customers.chunks(MAX_TRANSFER_CUSTOMERS) {
            if let Some(e) = &failed {
                outcomes.extend(chunk.iter().map(|c| outcome(c, Err(nothing_sent(e.clone())))));
                continue;
            }
            let mut body = json!({"handover_userid": handover, "takeover_userid": takeover, "external_userid": chunk});
            if let Some(message) = message {
                body["transfer_success_msg"] = json!(message);
            }
            let answer = match post(&self.api, kind.transfer_path(), &body).await {
                Ok(reply) => read::<Answer>(reply, "transfer_customer"),
                Err(e) => Err(e),
            };
            match answer {
                Ok(answer) => {
                    for customer in chunk {
                        let entry = answer.customer.iter().find(|e| &e.external_userid == customer);
                        let result = match entry.map(|e| e.errcode) {
                            Some(0) => Ok(()),
                            Some(code) => Err(entry_error(code, "WeCom refused to transfer this customer")),
                            None => Err(SendError::uncertain(
                                FailureKind::ProviderError,
                                "unlisted",
                                "the answer does not list this customer",
                            )),
                        };
                        outcomes.push(outcome(customer, result));
                    }
                }
                Err(e) => {
                    outcomes.extend(chunk.iter().map(|c| outcome(c, Err(e.clone()))));
                    failed = Some(e);
                }
            }
        }
        Ok(outcomes)
    }

    async fn results(&self, kind: Kind, handover: &str, takeover: &str) -> Result<Vec<TransferState>, SendError> {
        #[derive(Deserialize)]
        struct Answer {
            #[serde(default)]
            customer: Vec<Entry>,
            #[serde(default)]
            next_cursor: String,
        }
        #[derive(Deserialize)]
        struct Entry {
            external_userid: String,
            status: i64,
            #[serde(default)]
            takeover_time: i64,
        }
        let mut all = Vec::new();
        let mut cursor = String::new();
        for _ in 0..MAX_PAGES {
            let body = json!({"handover_userid": handover, "takeover_userid": takeover, "cursor": cursor});
            let reply = post(&self.api, kind.result_path(), &body).await?;
            let answer: Answer = read(reply, "transfer_result")?;
            all.extend(answer.customer.into_iter().map(|e| TransferState {
                external_userid: e.external_userid,
                status: TransferStatus::from_code(e.status),
                takeover_time: timestamp(e.takeover_time),
            }));
            if answer.next_cursor.is_empty() {
                break;
            }
            cursor = answer.next_cursor;
        }
        Ok(all)
    }
}

fn outcome(customer: &str, result: Result<(), SendError>) -> TransferOutcome {
    TransferOutcome { external_userid: customer.to_string(), result }
}

fn timestamp(seconds: i64) -> Option<DateTime<Utc>> {
    (seconds > 0).then(|| DateTime::from_timestamp(seconds, 0)).flatten()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statuses_follow_the_documented_codes() {
        let read: Vec<_> = (1..=6).map(TransferStatus::from_code).collect();
        assert_eq!(
            read,
            [
                TransferStatus::Done,
                TransferStatus::Waiting,
                TransferStatus::Refused,
                TransferStatus::TakeoverFull,
                TransferStatus::NoRecord,
                TransferStatus::Other(6),
            ]
        );
        assert_eq!(timestamp(0), None);
        assert_eq!(timestamp(1588262400).unwrap().timestamp(), 1588262400);
    }
}
