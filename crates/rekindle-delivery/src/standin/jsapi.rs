//! WeCom stand-in: `GET cgi-bin/ticket/get?access_token=…&type=agent_config`, the application
//! jsapi ticket a chat-sidebar page's `wx.agentConfig` is signed with. The token is checked as
//! on every route; any other `type` is refused with 40058. Each ticket issued is kept, so tests
//! count fetches ([`StandIn::tickets_issued`](super::StandIn::tickets_issued)) and recompute
//! signatures ([`StandIn::agent_tickets`](super::StandIn::agent_tickets)).

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};

use axum::Router;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use serde_json::json;

use super::Fault;
use super::state::{HOLD, Shared};
use super::wecom::{ok, refuse, token_refusal};

/// The application tickets issued, oldest first.
#[derive(Debug, Default)]
pub(crate) struct Tickets {
    issued: Mutex<Vec<String>>,
}

impl Tickets {
    pub(crate) fn issued(&self) -> Vec<String> {
        self.issued.lock().unwrap_or_else(PoisonError::into_inner).clone()
    }

    fn issue(&self) -> String {
        // WeCom's look like base64 of random bytes; these say where they came from.
        let ticket = format!("standin-agent-ticket-{}", hex::encode(rand::random::<[u8; 12]>()));
        self.issued.lock().unwrap_or_else(PoisonError::into_inner).push(ticket.clone());
        ticket
    }
}

pub(super) fn routes(shared: Arc<Shared>, tickets: Arc<Tickets>) -> Router {
    Router::new().route("/cgi-bin/ticket/get", get(ticket_get)).with_state((shared, tickets))
}

/// Queued faults apply: ServerError 500, Throttle 45033, Timeout held after issuing.
async fn ticket_get(
    State((shared, tickets)): State<(Arc<Shared>, Arc<Tickets>)>,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    shared.begin().await;
    if let Some(refusal) = token_refusal(&shared, &q) {
        return refusal;
    }
    if q.get("type").map(String::as_str) != Some("agent_config") {
        return refuse(40058, "invalid type, expected agent_config");
    }
    let mut hold = false;
    match shared.fault("") {
        Some(Fault::ServerError) => return (StatusCode::INTERNAL_SERVER_ERROR, "internal error").into_response(),
        Some(Fault::Throttle) => return refuse(45033, "api concurrent out of limit"),
        Some(Fault::Timeout) => hold = true,
        Some(Fault::Quota | Fault::Refused | Fault::InvalidRecipient) | None => {}
    }
    let ticket = tickets.issue();
    if hold {
        tokio::time::sleep(HOLD).await;
    }
    ok(json!({"ticket": ticket, "expires_in": 7200}))
}
