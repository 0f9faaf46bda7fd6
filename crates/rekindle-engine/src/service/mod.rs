//! Customer service (docs/service.md): the desk of tickets and conversations kept current
//! from the event log, the queue and figures read off it, and the FAQ assistant.

mod assistant;
mod desk;
pub mod queue;

pub use assistant::{Answer, Assistant, MAX_QUESTION};
pub use desk::ServiceDesk;
