//! Referral (docs/referral.md): invitations resolved to their inviters, kept for rules as a
//! [`Board`](rekindle_core::referral::Board), and the rewards they earn written to the log as
//! `Referral Qualified` events for the referral journeys to trigger on.

mod board;
mod resolve;
mod review;

pub use board::ReferralCache;
pub use resolve::{Found, code_for, resolve};
pub use review::ReferralReview;
