//! Customer service (DESIGN.md capabilities 12 and 13; docs/service.md): after-sales tickets
//! resolved within 48 hours (seed 000), replies within 15 working minutes and 2 hours overall
//! (seed 002), counted on the store's working hours; the desk that folds both from the event
//! log; and the entries of the FAQ knowledge base.

pub mod conversation;
pub mod desk;
pub mod faq;
pub mod figures;
pub mod hours;
pub mod rows;
pub mod settings;
pub mod sla;
pub mod ticket;

pub use conversation::{Ask, Conversation};
pub use desk::Desk;
pub use hours::{Span, WorkingHours};
pub use settings::Settings;
pub use sla::{Reply, Sla};
pub use ticket::{Note, Ticket};
