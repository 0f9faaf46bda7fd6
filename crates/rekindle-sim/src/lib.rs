//! A deterministic simulator of a private-domain fresh-food live-commerce store.
//!
//! People with latent traits (persona, category tastes, purchase rate, a BG/NBD-style dropout
//! chance) are acquired through WeCom, groups, live rooms and referrals; they watch live
//! sessions, comment and ask, order what is running out, meet after-sales trouble, and some
//! leave. The output is Segment messages — identifiers arriving in pieces, as in life — plus
//! the ground truth a model can be scored against.
//!
//! The store runs a win-back programme with a planted effect (a message wins a silent buyer
//! back with a known chance, against a holdout), so measurement can be checked against it; the
//! live room has planted effects too (reply time, stalls, weekdays that keep viewers: [`live`]),
//! members answer a nudge towards the next level with a known lift ([`nudge`]), and the
//! store's marketing as a whole with another, for the programme readout ([`programme`]).
//!
//! WeCom has a roster of staff members (导购, hosts, 团长; one leaves during the window) and
//! channel codes (渠道活码): each `Contact Added` names the staff member, the source, the code
//! and WeCom's `add_way`, each `Contact Removed` the staff member and who removed whom; some
//! customers add a second staff member and remove one of the two, and stay reachable through
//! the other ([`wecom`]). What each acquisition source is worth is planted too
//! ([`SourceLtv`]).
//!
//! Each person is simulated on their own random stream (derived from the seed and their
//! number), so output is byte-identical for a seed and memory stays bounded for any size.

pub mod catalogue;
mod life;
pub mod live;
mod messages;
pub mod nudge;
pub mod person;
pub mod programme;
pub mod schedule;
pub mod send_hour;
pub mod wecom;
mod world;

pub use life::winback::{Arm, Winback, WinbackSilence};
pub use live::LiveEffects;
pub use nudge::LevelNudge;
pub use programme::ProgrammeLift;
pub use send_hour::SendHour;
pub use wecom::{RemovedBy, Role, Source, SourceLtv, SourceSpend, Staff, StaffLink};
pub use world::{Output, SimConfig, Simulation, Truth};
