//! The features rules read, one row per person, a vector per feature.

use chrono::{DateTime, Utc};
use fixedbitset::FixedBitSet;

use rekindle_core::lifecycle::{Stage, Tier};
use rekindle_core::money::total;
use rekindle_core::scores::Risk;

use crate::ast::{Metric, RfmAxis};
use crate::eval::Subject;

/// A time column's value for "never" (no order, no ticket open): below every real time.
pub(crate) const NEVER: i64 = i64::MIN;
/// A count column's value for "no value" (`to_next_level` at the top, `clv` unpredicted).
pub(crate) const NO_I32: i32 = i32::MIN;

pub(crate) const TIERS: [Tier; 3] = [Tier::High, Tier::Potential, Tier::Edge];
pub(crate) const RISKS: [Risk; 3] = [Risk::Low, Risk::Medium, Risk::High];

/// The features rules read as a struct of arrays, one row per person: what
/// [`super::Compiled::select`] scans. Counts and amounts are stored as [`Metric::value`] gives
/// them (narrowed only when that loses nothing), times as nanoseconds since the epoch so that
/// conditions on "now" are compared when a rule is evaluated and never go stale, the stage,
/// tier and churn risk as small integers.
///
/// A row is written from a [`Subject`] ([`Columns::set`], [`Columns::push`]) whenever the
/// person's profile, stage, tier, RFM, points or predictions change. A value a column cannot
/// hold exactly (a time before 1678 or after 2261, a count past `u32`) marks the row *exotic*:
/// every rule then asks [`crate::Rule::matches`] for it, so it is slow but never wrong.
#[derive(Debug, Clone, Default)]
pub struct Columns {
    len: usize,
    pub(crate) orders: Vec<u32>,
    /// All time, net of refunds (`spend`).
    pub(crate) spend: Vec<i64>,
    /// Every order's revenue, not net: `spend(window)` when the window holds every order.
    pub(crate) gross: Vec<i64>,
    pub(crate) first_order: Vec<i64>,
    pub(crate) last_order: Vec<i64>,
    pub(crate) last_seen: Vec<i64>,
    pub(crate) last_live: Vec<i64>,
    /// When the oldest ticket still open was opened.
    pub(crate) open_since: Vec<i64>,
    /// Seconds watched over all sessions.
    pub(crate) watched: Vec<u32>,
    pub(crate) comments: Vec<u32>,
    pub(crate) shares: Vec<u32>,
    pub(crate) categories: Vec<u32>,
    pub(crate) points: Vec<i32>,
    pub(crate) level: Vec<u32>,
    pub(crate) to_next_level: Vec<i32>,
    pub(crate) invited: Vec<u32>,
    pub(crate) clv: Vec<i32>,
    pub(crate) p_alive: Vec<f64>,
    /// 0 without a prediction, else 1 + the index in [`RISKS`].
    pub(crate) risk: Vec<u8>,
    /// The index in [`Stage::ALL`].
    pub(crate) stage: Vec<u8>,
    /// The index in [`TIERS`].
    pub(crate) tier: Vec<u8>,
    pub(crate) rfm: [Vec<u8>; 3],
    pub(crate) invited_by: FixedBitSet,
    pub(crate) friend: FixedBitSet,
    pub(crate) exotic: FixedBitSet,
}

/// One row, before it is stored.
struct Row {
    orders: u32,
    spend: i64,
    gross: i64,
    first_order: i64,
    last_order: i64,
    last_seen: i64,
    last_live: i64,
    open_since: i64,
    watched: u32,
    comments: u32,
    shares: u32,
    categories: u32,
    points: i32,
    level: u32,
    to_next_level: i32,
    invited: u32,
    clv: i32,
    p_alive: f64,
    risk: u8,
    stage: u8,
    tier: u8,
    rfm: [u8; 3],
    invited_by: bool,
    friend: bool,
}

impl Row {
    /// The row for a person, or `None` when a column cannot hold one of their values exactly.
    fn of(s: &Subject) -> Option<Row> {
        let p = s.profile;
        // Counts and amounts do not depend on the moment: any `now` gives the same value.
        let value = |m: Metric| m.value(s, DateTime::UNIX_EPOCH);
        let scored = s.scores;
        Some(Row {
            orders: exact(value(Metric::Orders))?,
            spend: exact(value(Metric::Spend(None)))?,
            // What `Profile::spend_within` sums when every order is in the window.
            gross: total(p.orders.iter().map(|(_, o)| o.revenue_fen)),
            first_order: nanos(p.first_order())?,
            last_order: nanos(p.last_order())?,
            last_seen: nanos(p.last_seen)?,
            last_live: nanos(p.last_live)?,
            open_since: nanos(p.open_tickets().min())?,
            watched: exact(value(Metric::Watched(None)))?,
            comments: exact(value(Metric::Comments))?,
            shares: exact(value(Metric::Shares))?,
            categories: exact(value(Metric::Categories))?,
            points: exact(value(Metric::Points))?,
            level: exact(value(Metric::Level))?,
            to_next_level: maybe(value(Metric::ToNextLevel))?,
            invited: exact(value(Metric::Invited))?,
            clv: if scored.is_some() { maybe(value(Metric::Clv))? } else { NO_I32 },
            p_alive: value(Metric::PAlive),
            risk: scored.map_or(0, |x| 1 + RISKS.iter().position(|r| *r == x.churn_risk).unwrap_or(0) as u8),
            stage: Stage::ALL.iter().position(|x| *x == s.stage).unwrap_or(0) as u8,
            tier: TIERS.iter().position(|x| *x == s.tier).unwrap_or(0) as u8,
            rfm: [
                exact(value(Metric::Rfm(RfmAxis::Recency)))?,
                exact(value(Metric::Rfm(RfmAxis::Frequency)))?,
                exact(value(Metric::Rfm(RfmAxis::Monetary)))?,
            ],
            invited_by: s.invited_by,
            friend: p.reachable(),
        })
    }

    /// What an exotic row stores: nothing reads it.
    fn blank() -> Row {
        Row {
            orders: 0,
            spend: 0,
            gross: 0,
            first_order: NEVER,
            last_order: NEVER,
            last_seen: NEVER,
            last_live: NEVER,
            open_since: NEVER,
            watched: 0,
            comments: 0,
            shares: 0,
            categories: 0,
            points: 0,
            level: 0,
            to_next_level: NO_I32,
            invited: 0,
            clv: NO_I32,
            p_alive: f64::NAN,
            risk: 0,
            stage: 0,
            tier: 0,
            rfm: [0; 3],
            invited_by: false,
            friend: false,
        }
    }
}

/// A whole number as an integer type that holds it exactly.
fn exact<T: TryFrom<i64>>(v: f64) -> Option<T> {
    let i = v as i64;
    if i as f64 == v && v.fract() == 0.0 { T::try_from(i).ok() } else { None }
}

/// Like [`exact`], with NaN (no value) as [`NO_I32`].
fn maybe(v: f64) -> Option<i32> {
    if v.is_nan() { Some(NO_I32) } else { exact::<i32>(v).filter(|x| *x != NO_I32) }
}

/// A time as nanoseconds, [`NEVER`] for none; `None` when out of range.
fn nanos(t: Option<DateTime<Utc>>) -> Option<i64> {
    match t {
        None => Some(NEVER),
        Some(t) => t.timestamp_nanos_opt().filter(|x| *x != NEVER),
    }
}

impl Columns {
    pub fn new() -> Self {
        Self::default()
    }

    /// Room for `rows` people without growing (and without a growing vector's slack).
    pub fn with_capacity(rows: usize) -> Self {
        fn v<T>(rows: usize) -> Vec<T> {
            Vec::with_capacity(rows)
        }
        Columns {
            len: 0,
            orders: v(rows),
            spend: v(rows),
            gross: v(rows),
            first_order: v(rows),
            last_order: v(rows),
            last_seen: v(rows),
            last_live: v(rows),
            open_since: v(rows),
            watched: v(rows),
            comments: v(rows),
            shares: v(rows),
            categories: v(rows),
            points: v(rows),
            level: v(rows),
            to_next_level: v(rows),
            invited: v(rows),
            clv: v(rows),
            p_alive: v(rows),
            risk: v(rows),
            stage: v(rows),
            tier: v(rows),
            rfm: [v(rows), v(rows), v(rows)],
            invited_by: FixedBitSet::with_capacity(rows),
            friend: FixedBitSet::with_capacity(rows),
            exotic: FixedBitSet::with_capacity(rows),
        }
    }

    /// How many rows.
    pub fn len(&self) -> usize {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Rows some value of which no column holds exactly: rules ask `Rule::matches` for them.
    pub fn exotic(&self) -> &FixedBitSet {
        &self.exotic
    }

    /// Add a person as the next row, returning its index.
    pub fn push(&mut self, s: &Subject) -> usize {
        let row = self.len;
        self.set(row, s);
        row
    }

    /// Write a person's row, overwriting what it held; `row` may be [`Columns::len`] to add one.
    ///
    /// # Panics
    /// When `row` is past the end.
    pub fn set(&mut self, row: usize, s: &Subject) {
        assert!(row <= self.len, "row {row} of {} rows", self.len);
        let (r, exotic) = match Row::of(s) {
            Some(r) => (r, false),
            None => (Row::blank(), true),
        };
        if row == self.len {
            self.len += 1;
            for bits in [&mut self.invited_by, &mut self.friend, &mut self.exotic] {
                bits.grow(self.len);
            }
            self.orders.push(r.orders);
            self.spend.push(r.spend);
            self.gross.push(r.gross);
            self.first_order.push(r.first_order);
            self.last_order.push(r.last_order);
            self.last_seen.push(r.last_seen);
            self.last_live.push(r.last_live);
            self.open_since.push(r.open_since);
            self.watched.push(r.watched);
            self.comments.push(r.comments);
            self.shares.push(r.shares);
            self.categories.push(r.categories);
            self.points.push(r.points);
            self.level.push(r.level);
            self.to_next_level.push(r.to_next_level);
            self.invited.push(r.invited);
            self.clv.push(r.clv);
            self.p_alive.push(r.p_alive);
            self.risk.push(r.risk);
            self.stage.push(r.stage);
            self.tier.push(r.tier);
            for (col, x) in self.rfm.iter_mut().zip(r.rfm) {
                col.push(x);
            }
        } else {
            self.orders[row] = r.orders;
            self.spend[row] = r.spend;
            self.gross[row] = r.gross;
            self.first_order[row] = r.first_order;
            self.last_order[row] = r.last_order;
            self.last_seen[row] = r.last_seen;
            self.last_live[row] = r.last_live;
            self.open_since[row] = r.open_since;
            self.watched[row] = r.watched;
            self.comments[row] = r.comments;
            self.shares[row] = r.shares;
            self.categories[row] = r.categories;
            self.points[row] = r.points;
            self.level[row] = r.level;
            self.to_next_level[row] = r.to_next_level;
            self.invited[row] = r.invited;
            self.clv[row] = r.clv;
            self.p_alive[row] = r.p_alive;
            self.risk[row] = r.risk;
            self.stage[row] = r.stage;
            self.tier[row] = r.tier;
            for (col, x) in self.rfm.iter_mut().zip(r.rfm) {
                col[row] = x;
            }
        }
        self.invited_by.set(row, r.invited_by);
        self.friend.set(row, r.friend);
        self.exotic.set(row, exotic);
    }

    /// The memory the columns hold, in bytes.
    pub fn heap_bytes(&self) -> usize {
        fn v<T>(x: &Vec<T>) -> usize {
            x.capacity() * size_of::<T>()
        }
        let bits = |b: &FixedBitSet| size_of_val(b.as_slice());
        v(&self.orders)
            + v(&self.spend)
            + v(&self.gross)
            + v(&self.first_order)
            + v(&self.last_order)
            + v(&self.last_seen)
            + v(&self.last_live)
            + v(&self.open_since)
            + v(&self.watched)
            + v(&self.comments)
            + v(&self.shares)
            + v(&self.categories)
            + v(&self.points)
            + v(&self.level)
            + v(&self.to_next_level)
            + v(&self.invited)
            + v(&self.clv)
            + v(&self.p_alive)
            + v(&self.risk)
            + v(&self.stage)
            + v(&self.tier)
            + self.rfm.iter().map(v).sum::<usize>()
            + bits(&self.invited_by)
            + bits(&self.friend)
            + bits(&self.exotic)
    }
}
