//! Loyalty in the engine (docs/loyalty.md): the follower that awards what events earn, the
//! points and growth rules read, the judging of levels, and the program's figures. The rules
//! themselves live in `rekindle_core::loyalty`.

pub(crate) mod facts;
mod figures;
mod follower;
mod levels;

/// Everyone's ledger is read again at least this often, by the level review (and when the
/// day turns, since a keep period may end) and by the points rules read (`facts`). Between,
/// only the ledgers that gained entries are: reading every one took 0.5–0.65 s for 100,000
/// members on the project's machine, and under a live room's traffic some ledger moves on
/// nearly every pass (issue 24). It is also what catches an entry PostgreSQL committed after
/// a newer one was read (its ids may commit out of order), and a merge that joined two
/// ledgers.
const EVERYONE_EVERY: chrono::Duration = chrono::Duration::minutes(10);

pub use figures::figures;
pub use follower::{Followed, PointsFollower};
pub use levels::LevelReview;
