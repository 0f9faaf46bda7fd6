//! Events Rekindle writes about a person (a level change, a ticket opened in the console, a
//! staff reply): addressed by an identifier the person holds, so they go down the one road
//! into the log and resolve to that person like any other event.

use rekindle_core::message::Arrival;
use rekindle_core::{IdentifierKind, Message};
use rekindle_store::Person;
use serde_json::{Value, json};

/// Address a message to `person`: by their user id or anonymous id as itself, else by any
/// other identifier as a trait beside an id of Rekindle's own (as a send's timeline event
/// is). `false` when there is nothing to address them by.
pub fn address(json: &mut Value, person: &Person) -> bool {
    let ids = || person.identities.iter().map(|i| (i.identifier.kind, i.identifier.value.as_str()));
    for (kind, key) in [(IdentifierKind::UserId, "userId"), (IdentifierKind::AnonymousId, "anonymousId")] {
        if let Some((_, v)) = ids().find(|(k, _)| *k == kind) {
            json[key] = v.into();
            return true;
        }
    }
    let Some((kind, v)) = ids().find(|(k, _)| *k != IdentifierKind::PreviousId) else { return false };
    json["anonymousId"] = format!("rekindle:{}", person.id).into();
    json["context"]["traits"] = json!({ kind.as_str(): v });
    true
}

/// A track call about `person` as a message that happened at `at` and arrives `now`.
/// `None` when they hold no identifier; `Err` with the field and reason when the ingestion
/// rules refuse it.
pub fn track(
    person: &Person,
    event: &str,
    message_id: &str,
    properties: Value,
    at: chrono::DateTime<chrono::Utc>,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<Option<Message>, rekindle_core::FieldError> {
    let mut json = json!({
        "type": "track",
        "event": event,
        "messageId": message_id,
        "timestamp": at.to_rfc3339(),
        "properties": properties,
        "context": {"library": {"name": "rekindle"}},
    });
    if !address(&mut json, person) {
        return Ok(None);
    }
    let arrival = Arrival { historical: true, ..Arrival::live(now) };
    Message::parse(&json.to_string(), None, &arrival).map(Some)
}
