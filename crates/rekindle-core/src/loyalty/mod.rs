//! Loyalty (DESIGN.md, Capabilities 9; docs/loyalty.md): the points ledger, the program's
//! rules for earning, redeeming and expiring points, and member levels from growth value.
//!
//! A balance is never kept anywhere: it is the sum of the person's ledger entries, always.
//! Every change is an entry with the source that caused it; a source is written once, so
//! every award, redemption and expiry is idempotent. [`Ledger`] holds the rules every store
//! follows when it writes an entry (a debit never takes a balance below zero); the stores do
//! the same inside one transaction, and a conformance test holds them to this model.

pub mod earn;
pub mod entries;
pub mod figures;
pub mod ledger;
pub mod level;
pub mod membership;
pub mod program;

pub use figures::Figures;
pub use ledger::{Entry, Expiring, Kind, Ledger, Posted, Summary, expiring_within};
pub use level::{Standing, growth};
pub use membership::{Change, Held, Reason};
pub use program::{Benefits, Downgrade, EarnRules, Expiry, LevelRule, Program};
