//! What the console's service pages list: a ticket of the after-sales queue with the person
//! behind it, and a conversation waiting for its first reply.

use chrono::{DateTime, Utc};
use serde::Serialize;

use super::faq::Suggestion;
use super::sla::Reply;
use super::ticket::Note;
use crate::PersonId;
use crate::lifecycle::Tier;

#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct TicketRow {
    pub id: String,
    #[cfg_attr(feature = "openapi", schema(value_type = String))]
    pub person: PersonId,
    pub name: Option<String>,
    pub tier: Option<Tier>,
    /// Spend net of refunds, all time.
    pub spend_fen: i64,
    /// Predicted value over the model's horizon, once the models are fitted.
    pub clv_fen: Option<i64>,
    /// Journeys the person is walking now (marketing waits while a ticket is open).
    pub open_journeys: Vec<String>,
    pub reason: Option<String>,
    pub order_id: Option<String>,
    pub source: Option<String>,
    pub opened_at: DateTime<Utc>,
    /// Open: time since it opened; resolved: time it took.
    pub age_seconds: i64,
    /// When the resolution promise runs out.
    pub due_at: DateTime<Utc>,
    /// Open past its promise, or resolved after it.
    pub late: bool,
    pub assignee: Option<String>,
    pub notes: Vec<Note>,
    pub resolved_at: Option<DateTime<Utc>>,
    pub resolution: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct WaitingRow {
    #[cfg_attr(feature = "openapi", schema(value_type = String))]
    pub person: PersonId,
    pub name: Option<String>,
    pub tier: Option<Tier>,
    /// When the wait began, and the message that began it.
    pub asked_at: DateTime<Utc>,
    pub text: String,
    /// The latest message, if others followed.
    pub latest: String,
    pub staff: Option<String>,
    pub channel: Option<String>,
    /// Where the wait stands against both promises.
    pub reply: Reply,
    /// What the knowledge base would answer, when it is confident enough.
    pub suggestion: Option<Suggestion>,
    /// An after-sales ticket of theirs is open.
    pub open_ticket: bool,
}

/// One message of a conversation, as the desk shows it.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct LineRow {
    pub at: DateTime<Utc>,
    pub inbound: bool,
    pub staff: Option<String>,
    pub channel: Option<String>,
    pub text: String,
}
