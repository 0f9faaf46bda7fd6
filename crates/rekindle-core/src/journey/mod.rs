//! Journeys (SOP / 旅程): what starts them, the steps people walk through, the goal that counts
//! as success and the ways out. Stored as JSON ([`Definition`]), checked before publishing
//! ([`validate_with`], given the rule language by `rekindle_rules::journey::validate`) and
//! walked one person at a time ([`walk`]) without any IO.

mod coupon_key;
mod definition;
mod entry_limits;
pub mod launch;
mod validate;
mod walk;
mod winner;

pub use coupon_key::{coupon_enrollment, coupon_key};
pub use definition::{
    Action, AutoWinner, ChannelChoice, DEFAULT_PRIORITY, DateWait, Definition, Exit, Goal, Limits, Path, Reentry,
    SendTime, Step, Trigger, Undelivered, Variant, WhenCapped,
};
pub use entry_limits::{EntryLimits, EntryRefusal};
pub use validate::{Known, validate_with};
pub(crate) use walk::mix;
pub use walk::{AWAITING, Effect, Facts, HOLDOUT, TIMED_OUT, Walked, bucket, walk};
pub use winner::{Against, VariantFigures, WinnerDecision, WinnerEvidence};
