//! Subscriptions (定期购, DESIGN.md capability 13): periodic delivery of one product, confirmed
//! before each shipment. Pure: the engine folds the events into a [`Book`], passes `now` and the
//! store's zone, appends what [`answer`] and the sent confirmations ([`due`]) say.
//!
//! - [`plan`]: one subscription's facts, folded in any arrival order;
//! - [`schedule`]: the shipments those facts give, and the list for the order system;
//! - [`confirm`]: when a confirmation is asked and until when it is answered; what is due now;
//! - [`answer`]: confirm, skip, move, pause, resume, cancel → the event, or a [`Refusal`];
//! - [`figures`]: subscribers, churn, survival by start month, answers, deliveries;
//! - [`regular`]: whether a buyer's own cycle is steady enough to offer a subscription.
//!
//! Policy: a shipment nobody answered for by its cut-off does not go out and counts as a miss
//! ([`OnNoAnswer::Hold`]); a store may choose [`OnNoAnswer::Ship`].

pub mod answer;
pub mod book;
pub mod confirm;
pub mod figures;
pub mod plan;
pub mod refusal;
pub mod regular;
pub mod schedule;
pub mod settings;

#[cfg(test)]
mod tests;

pub use answer::{Action, NewEvent, answer};
pub use book::Book;
pub use confirm::{Due, due};
pub use figures::{SubscriptionFigures, figures};
pub use plan::{Plan, Subscription};
pub use refusal::Refusal;
pub use regular::{Cycle, Regularity, cycle};
pub use schedule::{Shipment, ShipmentRow, ShipmentStatus, Status, Timeline, schedule, timeline, timeline_from};
pub use settings::{OnNoAnswer, Settings};
