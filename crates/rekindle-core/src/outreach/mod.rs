//! The rules of reaching out to a person, with no IO: which channel, what a template renders to, how many
//! touches a person may get per calendar day, when quiet hours end, what a coupon is worth.
//!
//! Journeys ask these questions; the store counts what was sent; `rekindle-delivery` speaks
//! to the providers.

mod attachment;
pub mod booked;
mod caps;
mod channel;
mod coupon;
pub(crate) mod local_time;
pub mod queueing;
mod quiet;
mod rate;
pub mod send_time;
mod template;
pub mod tracked;

pub use attachment::{Attachment, MAX_ATTACHMENTS};
pub use caps::{
    CapDecision, CapsConfig, Counted, MAX_WINDOW_DAYS, Outgoing, RollingCap, Skip, WecomMassLimit, WindowCap,
    month_days,
};
pub use channel::ChannelKind;
pub use coupon::{CouponDefinition, CouponValue};
pub use local_time::{LocalTime, local_day, next_local, next_local_on, resolve_local};
pub use quiet::QuietHours;
pub use rate::{SendRates, TokenBucket};
pub use template::{
    MessageTemplate, PROFILE_VARIABLES, Rendered, SMS_OPT_OUT, TemplateParam, VARIABLES, Vars, is_variable,
};
