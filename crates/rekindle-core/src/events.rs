//! The names of the events Rekindle reads or emits (docs/ingestion.md): Segment's e-commerce
//! spec where it has one, plus the live-commerce events. Any other name is stored and shown
//! as it came; these are the ones rules, profiles and journeys give a meaning to.

// Private-domain contact.
pub const CONTACT_ADDED: &str = "Contact Added";
pub const CONTACT_REMOVED: &str = "Contact Removed";
/// A customer's handover to another staff member, asked (transfer_id, batch_id, kind on_job |
/// resigned, handover, takeover, external_userid) and as WeCom answers (transfer_id, status,
/// errcode): written by Rekindle (docs/relationships.md).
pub const CONTACT_TRANSFER_REQUESTED: &str = "Contact Transfer Requested";
pub const CONTACT_TRANSFER_UPDATED: &str = "Contact Transfer Updated";
/// A phone-only buyer handed to a staff member to add on WeCom by phone (batch_id, staff_id,
/// assigned_by): written by Rekindle (docs/relationships.md, "Bulk reach").
pub const REACH_TASK_ASSIGNED: &str = "Reach Task Assigned";
pub const GROUP_JOINED: &str = "Group Joined";
pub const GROUP_LEFT: &str = "Group Left";
/// A member wrote in a customer group (group_id, text): from WeCom's chat archive or a group
/// bot, so Rekindle knows which groups still talk (docs/groups.md).
pub const GROUP_MESSAGED: &str = "Group Messaged";

// The live room.
pub const LIVE_ENTERED: &str = "Live Entered";
pub const LIVE_LEFT: &str = "Live Left";
pub const LIVE_WATCHED: &str = "Live Watched";
pub const LIVE_COMMENTED: &str = "Live Commented";
pub const LIVE_LIKED: &str = "Live Liked";
pub const LIVE_SHARED: &str = "Live Shared";
/// The host answered a viewer's question: on the asker, naming the comment (docs/live.md).
pub const LIVE_REPLIED: &str = "Live Replied";
/// A viewer's player stalled (buffering) for `seconds`.
pub const LIVE_STALLED: &str = "Live Stalled";

// Orders and coupons (Segment's e-commerce spec).
pub const ORDER_COMPLETED: &str = "Order Completed";
pub const ORDER_REFUNDED: &str = "Order Refunded";
pub const COUPON_APPLIED: &str = "Coupon Applied";
pub const COUPON_ISSUED: &str = "Coupon Issued";
pub const COUPON_REDEEMED: &str = "Coupon Redeemed";

// After-sales service.
pub const TICKET_OPENED: &str = "Ticket Opened";
pub const TICKET_RESOLVED: &str = "Ticket Resolved";
/// Assigned or noted in the console (docs/service.md).
pub const TICKET_UPDATED: &str = "Ticket Updated";

// Conversations with the service: what a customer wrote and the staff's replies (text,
// channel, staff_id), from WeCom, the API or a hand-off by the FAQ assistant.
pub const MESSAGE_RECEIVED: &str = "Message Received";
pub const MESSAGE_REPLIED: &str = "Message Replied";

// Messages, emitted by Rekindle itself as they go out and come back.
pub const MESSAGE_SENT: &str = "Message Sent";
pub const MESSAGE_DELIVERED: &str = "Message Delivered";
pub const MESSAGE_OPENED: &str = "Message Opened";
pub const MESSAGE_CLICKED: &str = "Message Clicked";

// Content and subscriptions.
pub const UGC_SUBMITTED: &str = "UGC Submitted";
/// An operator's review of shared content (ugc_id, decision approved|rejected, reason, by):
/// written by Rekindle, the UGC reward journey's trigger (docs/ugc.md).
pub const UGC_REVIEWED: &str = "UGC Reviewed";
pub const SUBSCRIPTION_STARTED: &str = "Subscription Started";
pub const SUBSCRIPTION_PAUSED: &str = "Subscription Paused";
pub const SUBSCRIPTION_CANCELLED: &str = "Subscription Cancelled";
/// A paused subscription starts again (`next_ship_on` optional; docs in `subscription`).
pub const SUBSCRIPTION_RESUMED: &str = "Subscription Resumed";
/// New terms from the next shipment on: `every_days`, `quantity`, `price` (each optional).
pub const SUBSCRIPTION_CHANGED: &str = "Subscription Changed";
/// Emitted by Rekindle when it sends the message asking to confirm the shipment of `ship_on`.
pub const SHIPMENT_CONFIRMATION_REQUESTED: &str = "Shipment Confirmation Requested";
pub const SHIPMENT_CONFIRMED: &str = "Shipment Confirmed";
pub const SHIPMENT_SKIPPED: &str = "Shipment Skipped";
/// One shipment moves from `ship_on` to `to`; the rhythm stays.
pub const SHIPMENT_RESCHEDULED: &str = "Shipment Rescheduled";

/// The events a subscription (定期购) is folded from, each naming its `subscription_id`.
pub const SUBSCRIPTION_EVENTS: &[&str] = &[
    SUBSCRIPTION_STARTED,
    SUBSCRIPTION_PAUSED,
    SUBSCRIPTION_RESUMED,
    SUBSCRIPTION_CHANGED,
    SUBSCRIPTION_CANCELLED,
    SHIPMENT_CONFIRMATION_REQUESTED,
    SHIPMENT_CONFIRMED,
    SHIPMENT_SKIPPED,
    SHIPMENT_RESCHEDULED,
];

// Emitted by Rekindle when a member level changes (a journey trigger).
pub const LEVEL_CHANGED: &str = "Level Changed";
/// Emitted by Rekindle on an invitee when their invitation earned its reward (inviter_id,
/// occasion first_order or group_joined): the referral journeys' trigger (docs/referral.md).
pub const REFERRAL_QUALIFIED: &str = "Referral Qualified";

/// Every name above.
pub const KNOWN: &[&str] = &[
    CONTACT_ADDED,
    CONTACT_REMOVED,
    CONTACT_TRANSFER_REQUESTED,
    CONTACT_TRANSFER_UPDATED,
    REACH_TASK_ASSIGNED,
    GROUP_JOINED,
    GROUP_LEFT,
    GROUP_MESSAGED,
    LIVE_ENTERED,
    LIVE_LEFT,
    LIVE_WATCHED,
    LIVE_COMMENTED,
    LIVE_LIKED,
    LIVE_SHARED,
    LIVE_REPLIED,
    LIVE_STALLED,
    ORDER_COMPLETED,
    ORDER_REFUNDED,
    COUPON_APPLIED,
    COUPON_ISSUED,
    COUPON_REDEEMED,
    TICKET_OPENED,
    TICKET_RESOLVED,
    TICKET_UPDATED,
    MESSAGE_RECEIVED,
    MESSAGE_REPLIED,
    MESSAGE_SENT,
    MESSAGE_DELIVERED,
    MESSAGE_OPENED,
    MESSAGE_CLICKED,
    UGC_SUBMITTED,
    UGC_REVIEWED,
    SUBSCRIPTION_STARTED,
    SUBSCRIPTION_PAUSED,
    SUBSCRIPTION_CANCELLED,
    SUBSCRIPTION_RESUMED,
    SUBSCRIPTION_CHANGED,
    SHIPMENT_CONFIRMATION_REQUESTED,
    SHIPMENT_CONFIRMED,
    SHIPMENT_SKIPPED,
    SHIPMENT_RESCHEDULED,
    LEVEL_CHANGED,
    REFERRAL_QUALIFIED,
];

#[cfg(test)]
mod tests {
    #[test]
    fn names_are_unique() {
        let mut seen = std::collections::HashSet::new();
        assert!(super::KNOWN.iter().all(|n| seen.insert(*n)));
    }

    #[test]
    fn subscription_events_are_known() {
        assert!(super::SUBSCRIPTION_EVENTS.iter().all(|n| super::KNOWN.contains(n)));
    }
}
