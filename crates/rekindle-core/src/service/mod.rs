//! Customer service (DESIGN.md capabilities 12 and 13; docs/service.md): after-sales tickets
//! resolved within 48 hours (seed 000), replies within 15 working minutes and 2 hours overall
//! (seed 002), counted on the store's working hours.

pub mod hours;
pub mod sla;

pub use hours::{Span, WorkingHours};
pub use sla::{Reply, Sla};
