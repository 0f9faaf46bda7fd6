//! The live room (DESIGN.md, Capabilities 10; docs/live.md): live-room events read
//! ([`signal`]), folded into one session's room ([`room`]), the post-stream review computed from
//! it ([`review`]) and the schedule analysis across sessions ([`schedule`]).

pub mod moments;
pub mod monitor;
pub mod review;
pub mod room;
pub mod signal;
#[cfg(test)]
mod testing;

pub use room::{Room, presence_timeout};
pub use signal::{Signal, read};

/// A question answered within this many seconds counts as answered fast (seed 004: "在30秒内
/// 得到回复，下单概率会提升将近一倍").
pub const FAST_REPLY_SECONDS: i64 = 30;
