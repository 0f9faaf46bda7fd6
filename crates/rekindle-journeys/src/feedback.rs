//! Events that tell delivery something: a message delivered, opened or clicked; a person
//! opting out (拒收请回复R) or back in; a mini-program subscription accepted; a coupon used.

use chrono::{DateTime, Utc};
use rekindle_core::WorkspaceId;
use rekindle_core::events;
use rekindle_core::outreach::ChannelKind;
use rekindle_store::{Store, StoredEvent};
use serde_json::Value;

/// A message to mark delivered: (send key, when).
pub type Delivered = (String, DateTime<Utc>);

/// Marks what the event says; events that say nothing to delivery pass through. A delivery
/// (every message sent makes one, or more) is returned for the caller to mark with others in
/// one write (`Store::mark_all_delivered`); the rest are rare and written at once.
pub async fn apply(
    store: &dyn Store,
    ws: WorkspaceId,
    e: &StoredEvent,
    name: &str,
    p: &Value,
) -> rekindle_store::Result<Option<Delivered>> {
    let text = |key: &str| p.get(key).and_then(Value::as_str);
    match name {
        events::MESSAGE_DELIVERED | events::MESSAGE_OPENED | events::MESSAGE_CLICKED => {
            return Ok(text("message_id").map(|key| (key.to_owned(), e.timestamp)));
        }
        "Unsubscribed" | "Resubscribed" => {
            let allowed = name == "Resubscribed";
            let channels: Vec<ChannelKind> = match text("channel").map(str::parse::<ChannelKind>) {
                Some(Ok(c)) => vec![c],
                // No channel named: every channel that reaches the person.
                None => ChannelKind::ALL.into_iter().filter(|c| c.reaches_person()).collect(),
                Some(Err(_)) => vec![],
            };
            for c in channels {
                store.set_consent(ws, e.person, c, allowed, name, e.timestamp).await?;
            }
        }
        // An SMS reply: "R" (or 退订 / TD) refuses marketing SMS, as the text of every one says.
        "SMS Replied" => {
            let reply = text("text").unwrap_or_default().trim().to_uppercase();
            if matches!(reply.as_str(), "R" | "TD" | "T" | "退订" | "N") {
                store.set_consent(ws, e.person, ChannelKind::Sms, false, "sms reply", e.timestamp).await?;
            }
        }
        "Message Subscribed" => {
            if let Some(template) = text("template_id") {
                store.add_subscription(ws, e.person, template, &e.message_id, e.timestamp).await?;
            }
        }
        events::COUPON_REDEEMED => {
            if let Some(code) = text("coupon_id") {
                store.redeem_coupon(ws, code, text("order_id"), e.timestamp).await?;
            }
        }
        events::ORDER_COMPLETED => {
            if let Some(code) = text("coupon") {
                store.redeem_coupon(ws, code, text("order_id"), e.timestamp).await?;
            }
        }
        _ => {}
    }
    Ok(None)
}
