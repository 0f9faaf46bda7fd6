//! The live room's planted effects, so the live monitor, the post-stream review (复盘) and the
//! schedule analysis have a truth to find (seed 004: "用户在直播间提问后，如果能在30秒内得到
//! 回复，下单概率会提升将近一倍"; "周二和周六的直播用户留存率明显高于其他时段"):
//!
//! - **Reply time.** The host answers each question after a delay — within
//!   [`REPLY_FAST_SECONDS`] for [`REPLY_FAST_SHARE`] of them, later (up to
//!   [`REPLY_LATE_SECONDS`]) for [`REPLY_LATE_SHARE`], never for the rest — sent as
//!   `Live Replied` on the asker's identity. An asker means to buy what is on show with chance
//!   [`ASKER_INTENT`], besides ordering what runs out as every viewer does; an asker answered
//!   within 30 s orders in that session [`REPLY_ORDER_LIFT`] times as often as one answered
//!   later or never: a question left waiting past 30 s loses the sale with chance
//!   `1 − 1 / REPLY_ORDER_LIFT`.
//! - **Stalls.** [`STALL_SHARE`] of sessions stall once (after minute 20, for 20–90 s): every
//!   viewer in the room then sends `Live Stalled`, and [`STALL_LEAVE`] of them leave when it
//!   ends (their `Live Left` at the stall's start plus its seconds, no heartbeat after it).
//! - **Weekdays that keep viewers.** Whoever watches a session on one of [`KEEPING_WEEKDAYS`]
//!   (Tuesday, Saturday) comes to the next session [`KEEPING_LIFT`] times as readily (capped
//!   at certain), and an order placed in such a session is followed by leaving the store
//!   [`KEEPING_DROPOUT`] times as often; so more of those sessions' viewers watch or order again
//!   within 7 days.
//!
//! The effects draw from the person's own live-room stream (stream 2 of their key), so a
//! person they do not touch lives the same life with them or without them.

use chrono::Weekday;
use serde::Serialize;

/// An answer within this many seconds of the question is fast.
pub const REPLY_FAST_SECONDS: i64 = 30;
/// The soonest a host answers.
pub const REPLY_MIN_SECONDS: i64 = 10;
/// The latest a late answer comes.
pub const REPLY_LATE_SECONDS: i64 = 240;
/// Share of questions answered within [`REPLY_FAST_SECONDS`].
pub const REPLY_FAST_SHARE: f64 = 0.40;
/// Share answered after that, up to [`REPLY_LATE_SECONDS`]; the rest are never answered.
pub const REPLY_LATE_SHARE: f64 = 0.35;
/// The planted effect: how many times as often an asker answered fast orders in the session
/// as one answered later or never ("提升将近一倍").
pub const REPLY_ORDER_LIFT: f64 = 1.9;
/// The chance that an asker means to buy what is on show in the session, besides ordering what
/// runs out (as every viewer does): a question is a sign of interest.
pub const ASKER_INTENT: f64 = 0.3;

/// Share of sessions whose stream stalls once.
pub const STALL_SHARE: f64 = 0.15;
/// A stall starts after this many minutes of the session.
pub const STALL_AFTER_MINUTES: i64 = 20;
/// How long a stall lasts, in seconds (inclusive).
pub const STALL_SECONDS: (i64, i64) = (20, 90);
/// The chance that a viewer in the room at a stall leaves when it ends.
pub const STALL_LEAVE: f64 = 0.35;

/// Sessions on these weekdays keep their viewers better.
pub const KEEPING_WEEKDAYS: [Weekday; 2] = [Weekday::Tue, Weekday::Sat];
/// The planted effect: a viewer of such a session comes to the next session this many times as
/// readily (the chance capped at 1) ...
pub const KEEPING_LIFT: f64 = 3.0;
/// ... and an order they place in it is followed by leaving the store this many times as often.
pub const KEEPING_DROPOUT: f64 = 0.5;

/// The live room's settings, as `simulation.json` records them; the defaults are the
/// constants above. Neutral values (lifts of 1, no stalls) turn an effect off.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct LiveEffects {
    pub reply_fast_seconds: i64,
    pub reply_min_seconds: i64,
    pub reply_late_seconds: i64,
    pub reply_fast_share: f64,
    pub reply_late_share: f64,
    pub reply_order_lift: f64,
    pub asker_intent: f64,
    pub stall_share: f64,
    pub stall_after_minutes: i64,
    pub stall_seconds: (i64, i64),
    pub stall_leave: f64,
    pub keeping_weekdays: Vec<Weekday>,
    pub keeping_lift: f64,
    pub keeping_dropout: f64,
}

impl Default for LiveEffects {
    fn default() -> Self {
        Self {
            reply_fast_seconds: REPLY_FAST_SECONDS,
            reply_min_seconds: REPLY_MIN_SECONDS,
            reply_late_seconds: REPLY_LATE_SECONDS,
            reply_fast_share: REPLY_FAST_SHARE,
            reply_late_share: REPLY_LATE_SHARE,
            reply_order_lift: REPLY_ORDER_LIFT,
            asker_intent: ASKER_INTENT,
            stall_share: STALL_SHARE,
            stall_after_minutes: STALL_AFTER_MINUTES,
            stall_seconds: STALL_SECONDS,
            stall_leave: STALL_LEAVE,
            keeping_weekdays: KEEPING_WEEKDAYS.to_vec(),
            keeping_lift: KEEPING_LIFT,
            keeping_dropout: KEEPING_DROPOUT,
        }
    }
}
