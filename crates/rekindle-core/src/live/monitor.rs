//! What the live monitor shows of a room while it runs (docs/live.md), and how a session's
//! review compares with the sessions before it.

use chrono::{DateTime, Utc};
use serde::Serialize;

use super::review::{CurvePoint, ProductLine, Questions, Review};
use crate::PersonId;
use crate::lifecycle::Tier;

#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Monitor {
    pub session_id: String,
    /// The moment the figures describe.
    pub at: DateTime<Utc>,
    /// Minutes since the session started.
    pub minute: u32,
    /// In the room now.
    pub concurrent: u32,
    /// Everyone who has been in the room.
    pub viewers: u32,
    pub buyers: u32,
    pub orders: u32,
    pub gmv_fen: i64,
    /// The last 30 minutes, minute by minute; the last point is the minute running.
    pub recent: Vec<CurvePoint>,
    /// The last whole minute, and the average minute of the ten before it.
    pub last_minute: Option<Pace>,
    pub last_ten: Option<Pace>,
    /// Earlier sessions of this store at the same minute and in all.
    pub earlier: Option<Earlier>,
    /// Who is in the room now.
    pub composition: Vec<Share>,
    pub top_products: Vec<ProductLine>,
    pub questions: Questions,
    /// Questions not answered: the private domain's first, then the oldest.
    pub waiting: Vec<Waiting>,
    /// Loyal viewers in the room now, to thank by name: most sessions attended, best tier.
    pub loyal: Vec<Loyal>,
}

/// Per minute.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Pace {
    pub viewers: f64,
    pub comments: f64,
    pub likes: f64,
    pub orders: f64,
    pub gmv_fen: f64,
}

impl Pace {
    pub fn of(points: &[CurvePoint]) -> Option<Pace> {
        let n = points.len() as f64;
        let avg = |f: fn(&CurvePoint) -> f64| points.iter().map(f).sum::<f64>() / n;
        (!points.is_empty()).then(|| Pace {
            viewers: avg(|p| f64::from(p.viewers)),
            comments: avg(|p| f64::from(p.comments)),
            likes: avg(|p| f64::from(p.likes)),
            orders: avg(|p| f64::from(p.orders)),
            gmv_fen: avg(|p| p.gmv_fen as f64),
        })
    }
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Earlier {
    pub sessions: u32,
    /// The median of their viewers in the room at this minute.
    pub viewers_at_minute: Option<f64>,
    pub median_viewers: Option<f64>,
    pub median_conversion_rate: Option<f64>,
    pub median_fast_share: Option<f64>,
}

/// How many of the viewers in the room belong to a group: `dimension` is `persona`,
/// `segment`, `tier`, `stage`, `visit` (new / returning), `identity` (known / anonymous) or
/// `domain` (private / public).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Share {
    pub dimension: String,
    pub key: String,
    pub viewers: u32,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Waiting {
    pub comment_id: String,
    pub text: String,
    pub asked_at: DateTime<Utc>,
    pub age_seconds: i64,
    #[cfg_attr(feature = "openapi", schema(value_type = String))]
    pub person: PersonId,
    pub name: Option<String>,
    pub tier: Option<Tier>,
    pub private: bool,
    /// What the store's knowledge base would answer, for the host to read out (docs/service.md).
    pub suggestion: Option<crate::service::faq::Suggestion>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Loyal {
    #[cfg_attr(feature = "openapi", schema(value_type = String))]
    pub person: PersonId,
    pub name: Option<String>,
    /// Sessions attended, this one included.
    pub sessions: u32,
    pub tier: Option<Tier>,
    pub spend_fen: i64,
}

/// One figure of a review against the sessions before it.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Compared {
    /// `viewers`, `peak_concurrent`, `average_watch_seconds`, `interaction_rate`,
    /// `conversion_rate`, `gpm_fen`, `fast_share`.
    pub figure: String,
    pub value: Option<f64>,
    /// Earlier sessions with the figure.
    pub sessions: u32,
    pub median: Option<f64>,
    /// Share of earlier sessions below this one (ties count half), 0–100.
    pub percentile: Option<f64>,
    /// Earlier sessions in the same slot (weekday and hour): how many, and their median.
    pub same_slot_sessions: u32,
    pub same_slot_median: Option<f64>,
}

/// How a compared figure is read from a review.
type Read = fn(&Review) -> Option<f64>;

/// The figures a review is compared on.
pub const COMPARED: [(&str, Read); 7] = [
    ("viewers", |r| Some(f64::from(r.viewers))),
    ("peak_concurrent", |r| Some(f64::from(r.peak_concurrent))),
    ("average_watch_seconds", |r| Some(r.average_watch_seconds)),
    ("interaction_rate", |r| r.interaction_rate),
    ("conversion_rate", |r| r.conversion_rate),
    ("gpm_fen", |r| r.gpm_fen.map(|g| g as f64)),
    ("fast_share", |r| r.questions.fast_share),
];

/// `this` against `earlier` sessions, each marked whether it was in the same slot.
pub fn compare(this: &Review, earlier: &[(&Review, bool)]) -> Vec<Compared> {
    COMPARED
        .iter()
        .map(|(figure, read)| {
            let value = read(this);
            let all: Vec<f64> = earlier.iter().filter_map(|(r, _)| read(r)).collect();
            let slot: Vec<f64> = earlier.iter().filter(|(_, same)| *same).filter_map(|(r, _)| read(r)).collect();
            let percentile = value.filter(|_| !all.is_empty()).map(|v| {
                let below = all.iter().filter(|&&x| x < v).count() as f64;
                let ties = all.iter().filter(|&&x| x == v).count() as f64;
                100.0 * (below + ties / 2.0) / all.len() as f64
            });
            Compared {
                figure: (*figure).to_owned(),
                value,
                sessions: all.len() as u32,
                median: median(all.clone()),
                percentile,
                same_slot_sessions: slot.len() as u32,
                same_slot_median: median(slot),
            }
        })
        .collect()
}

pub fn median(mut xs: Vec<f64>) -> Option<f64> {
    xs.sort_by(f64::total_cmp);
    let n = xs.len();
    match n {
        0 => None,
        _ if n % 2 == 1 => Some(xs[n / 2]),
        _ => Some((xs[n / 2 - 1] + xs[n / 2]) / 2.0),
    }
}
