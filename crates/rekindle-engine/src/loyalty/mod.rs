//! Loyalty in the engine (docs/loyalty.md): the follower that awards what events earn, the
//! points and growth rules read, the judging of levels, and the program's figures. The rules
//! themselves live in `rekindle_core::loyalty`.

pub(crate) mod facts;
mod figures;
mod follower;
mod levels;
mod reading;

pub use figures::figures;
pub use follower::{Followed, PointsFollower};
pub use levels::LevelReview;
