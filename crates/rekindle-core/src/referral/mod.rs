//! Referral (裂变 / 老带新, docs/referral.md): who invited whom, and when an invitation has
//! earned its two-sided reward.
//!
//! An invitation is what an event says about who sent the person: an `invited_by` trait or
//! property (any identifier of the inviter, or their referral code) or a `referral_code`
//! property. The earliest one a person carries is theirs ([`Invitation`]). The engine resolves
//! it to the inviter; [`guard`] refuses people inviting themselves; [`board`] counts what the
//! programme brought (invited, converted, the share of new customers, the leaderboard).

pub mod board;
pub mod code;
pub mod guard;
pub mod invitation;

pub use board::{Board, Inviter, Pair, Qualified};
pub use code::{CODE_LEN, code_candidate, looks_like_code};
pub use guard::self_referral;
pub use invitation::{Invitation, Occasion};
