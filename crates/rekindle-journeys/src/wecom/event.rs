//! An event about a WeCom customer, addressed as the callbacks address them.

use chrono::{DateTime, Utc};
use rekindle_core::message::Arrival;
use rekindle_core::{Identifier, IdentifierKind, Message, PersonId, WorkspaceId};
use rekindle_store::{PersonRef, Store};
use serde_json::{Value, json};

/// `name` on the customer `external`, with `properties` (`channel: wecom` added), stored once
/// under `message_id`. Dated `at`: a reconcile or a transfer knows when things happened.
pub fn contact_event(
    name: &str,
    external: &str,
    mut properties: Value,
    message_id: String,
    at: DateTime<Utc>,
    library: &str,
) -> Result<Message, String> {
    properties["channel"] = json!("wecom");
    let json = json!({
        "type": "track",
        "event": name,
        "anonymousId": format!("wecom:{external}"),
        "messageId": message_id,
        "timestamp": at.to_rfc3339(),
        "properties": properties,
        "context": {"traits": {"wecom_external_userid": external}, "library": {"name": library}},
    });
    Message::parse(&json.to_string(), None, &Arrival { historical: true, ..Arrival::live(at) })
        .map_err(|e| e.to_string())
}

/// The person a WeCom customer id belongs to, if the store knows it (an id that is not one is
/// nobody's).
pub async fn person_of(store: &dyn Store, ws: WorkspaceId, external: &str) -> rekindle_store::Result<Option<PersonId>> {
    let Ok(id) = Identifier::parse(IdentifierKind::WecomExternalUserid, external, "external_userid") else {
        return Ok(None);
    };
    Ok(store.person(ws, &PersonRef::Identifier(id)).await?.map(|p| p.id))
}
