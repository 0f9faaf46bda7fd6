//! UGC (晒单, docs/ugc.md): recipes, photos and videos customers share after their fresh food
//! arrives (seed 001), folded from `UGC Submitted` and `UGC Reviewed` in any arrival order;
//! the approved ones by product make a library messages can point to.

mod library;

pub use library::{Decision, Item, Library, Review, Status};
