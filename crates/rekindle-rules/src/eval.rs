//! Evaluating a rule for one person at one moment.

use std::collections::{BTreeSet, HashMap};

use chrono::{DateTime, Utc};

use rekindle_core::lifecycle::{Stage, Tier};
use rekindle_core::profile::Profile;
use rekindle_core::rfm::Rfm;
use rekindle_core::scores::Scores;

use crate::ast::{DidWhen, Metric, RfmAxis, Rule, Session};

/// A person as rules see them: the profile, and what is decided across people or stored
/// beside it (stage, tier, RFM, tags), with the catalogue's product tags.
pub struct Subject<'a> {
    pub profile: &'a Profile,
    pub stage: Stage,
    pub tier: Tier,
    pub rfm: Rfm,
    /// The person's tags, sorted.
    pub tags: &'a [String],
    pub products: &'a ProductTags,
    pub sessions: &'a Sessions,
    /// Their points; `None` for someone with no ledger.
    pub points: Option<&'a PointsFacts>,
    /// Their member level's number, from 1 (`rekindle_core::loyalty::Program::current_level`).
    pub level: u32,
    /// Growth still needed for the next level (none at the top).
    pub to_next_level: Option<i64>,
    /// Predictions, once the models have been fitted.
    pub scores: Option<&'a Scores>,
    /// Friends attributed to their invitations.
    pub invited: u32,
    /// They came on a friend's invitation (resolved, not a self-referral).
    pub invited_by: bool,
    /// Their events, for `did`: only a journey walk supplies them (none matches no `did`).
    pub history: Option<&'a History>,
    /// What `bought` terms name, worked out once for many people (none: asked item by item).
    pub bought: Option<&'a crate::Bought>,
}

impl<'a> Subject<'a> {
    /// A new edge customer with nothing but `profile`: no tags, points, predictions or
    /// invitations. Callers change only what they are about
    /// (`Subject { invited: 2, ..Subject::plain(&p, &products, &sessions) }`).
    pub fn plain(profile: &'a Profile, products: &'a ProductTags, sessions: &'a Sessions) -> Self {
        Subject {
            profile,
            stage: Stage::New,
            tier: Tier::Edge,
            rfm: Rfm::default(),
            tags: &[],
            products,
            sessions,
            points: None,
            level: 1,
            to_next_level: None,
            scores: None,
            invited: 0,
            invited_by: false,
            history: None,
            bought: None,
        }
    }

    /// Their orders with a line `what` names (`bought "what"`).
    pub fn orders_of<'s>(&'s self, what: &'s str) -> impl Iterator<Item = &'a rekindle_core::profile::Order> + 's {
        let names = move |i: &rekindle_core::profile::Item| match self.bought {
            Some(b) => b.names(what, i),
            None => i.is(what),
        };
        self.profile.orders.iter().map(|(_, o)| o).filter(move |o| o.items.iter().any(names))
    }
}

/// What a journey knows of a person's events for `did`: the latest time of each event name
/// its rules ask about, and when they entered the journey.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct History {
    pub last: HashMap<String, DateTime<Utc>>,
    pub entered_at: Option<DateTime<Utc>>,
    /// The channels a message would reach them on now (for `reachable`).
    pub reachable: Vec<rekindle_core::outreach::ChannelKind>,
}

/// The catalogue's tags of each SKU, for `bought tagged`.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ProductTags(HashMap<String, BTreeSet<String>>);

impl ProductTags {
    pub fn new(products: impl IntoIterator<Item = (String, Vec<String>)>) -> Self {
        Self(products.into_iter().map(|(sku, tags)| (sku, tags.into_iter().collect())).collect())
    }

    pub fn has(&self, sku: &str, tag: &str) -> bool {
        self.0.get(sku).is_some_and(|tags| tags.contains(tag))
    }
}

/// A person's points as rules read them.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct PointsFacts {
    pub balance: i64,
    /// Growth value now (`rekindle_core::loyalty::growth`): what the level is judged on.
    pub growth: i64,
    pub expiring: Vec<rekindle_core::loyalty::Expiring>,
}

/// The store's live sessions by when they start, for `attended(n)` and `latest_session`.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Sessions(Vec<(DateTime<Utc>, String)>);

impl Sessions {
    /// Sessions as (start, id), in any order.
    pub fn new(sessions: impl IntoIterator<Item = (DateTime<Utc>, String)>) -> Self {
        let mut all: Vec<_> = sessions.into_iter().collect();
        all.sort();
        Self(all)
    }

    /// The ids of the latest `n` sessions started by `now`, latest first.
    pub fn latest(&self, now: DateTime<Utc>, n: usize) -> impl Iterator<Item = &str> {
        let started = self.0.partition_point(|(at, _)| *at <= now);
        self.0[..started].iter().rev().take(n).map(|(_, id)| id.as_str())
    }

    /// When the first session after `now` starts: `latest_session` and `attended(n)` move then.
    pub fn next_start(&self, now: DateTime<Utc>) -> Option<DateTime<Utc>> {
        self.0.get(self.0.partition_point(|(at, _)| *at <= now)).map(|(at, _)| *at)
    }

    /// The session a rule names, as an id; `None` for the latest when none has started.
    fn resolve<'a>(&'a self, session: &'a Session, now: DateTime<Utc>) -> Option<&'a str> {
        match session {
            Session::Id(id) => Some(id),
            Session::Latest => self.latest(now, 1).next(),
        }
    }
}

impl Rule {
    pub fn matches(&self, s: &Subject, now: DateTime<Utc>) -> bool {
        let p = s.profile;
        match self {
            Rule::And(a, b) => a.matches(s, now) && b.matches(s, now),
            Rule::Or(a, b) => a.matches(s, now) || b.matches(s, now),
            Rule::Not(a) => !a.matches(s, now),
            Rule::Bought { what, within } => {
                s.orders_of(what).any(|o| within.is_none_or(|w| o.at > now - w && o.at <= now))
            }
            Rule::BoughtTagged { tag, within } => p.orders.iter().any(|(_, o)| {
                within.is_none_or(|w| o.at > now - w && o.at <= now)
                    && o.items.iter().any(|i| i.sku().is_some_and(|sku| s.products.has(sku, tag)))
            }),
            Rule::Watched { session: None, within } => p.last_live.is_some_and(|t| within.is_none_or(|w| t > now - w)),
            // Per-session watching is kept as a total, not with times: a named session is one
            // moment, so "within" asks whether the person has watched it at all.
            Rule::Watched { session: Some(session), .. } => {
                // Entering alone is being in the room: the profile keeps the session with 0 s.
                s.sessions.resolve(session, now).is_some_and(|id| p.was_in(id))
            }
            Rule::LiveOrdered { session: None, within } => p.live_ordered(None, now, *within),
            Rule::LiveOrdered { session: Some(session), within } => {
                s.sessions.resolve(session, now).is_some_and(|id| p.live_ordered(Some(id), now, *within))
            }
            Rule::Lifecycle { stages, negated } => stages.contains(&s.stage) != *negated,
            Rule::Tier { tier, negated } => (s.tier == *tier) != *negated,
            Rule::Tag { tag } => s.tags.binary_search(tag).is_ok(),
            // Without a prediction, conditions on predictions match nobody, negated or not.
            Rule::ChurnRisk { risks, negated } => s.scores.is_some_and(|x| risks.contains(&x.churn_risk) != *negated),
            Rule::Depletes { category, within } => s.scores.is_some_and(|x| {
                x.run_outs
                    .iter()
                    .any(|r| category.as_ref().is_none_or(|c| *c == r.category) && r.at >= now && r.at <= now + *within)
            }),
            Rule::InvitedBy => s.invited_by,
            Rule::Reachable { channel } => s.history.is_some_and(|h| h.reachable.contains(channel)),
            Rule::Did { event, when } => s.history.is_some_and(|h| {
                h.last.get(event).is_some_and(|&at| {
                    at <= now
                        && match when {
                            DidWhen::Ever => true,
                            DidWhen::Within(w) => at > now - *w,
                            DidWhen::SinceEntry => h.entered_at.is_some_and(|entered| at >= entered),
                        }
                })
            }),
            Rule::WecomFriend { staff: None } => p.reachable(),
            Rule::WecomFriend { staff: Some(staff) } => p.contacts.is_friend(staff),
            Rule::Compare { metric: Metric::PAlive | Metric::Clv, .. } if s.scores.is_none() => false,
            // Without a question asked, or a latest session, there is nothing to compare.
            Rule::Compare { metric: Metric::QuestionWait(within), .. } if p.question_wait(now, *within).is_none() => {
                false
            }
            Rule::Compare { metric: Metric::Watched(Some(session)), .. }
                if s.sessions.resolve(session, now).is_none() =>
            {
                false
            }
            Rule::Compare { metric, op, value } => op.holds(metric.value(s, now), *value),
        }
    }
}

impl Metric {
    /// The person's value, in the metric's unit (see [`Metric`]).
    pub fn value(&self, s: &Subject, now: DateTime<Utc>) -> f64 {
        let p = s.profile;
        let days_since =
            |t: Option<DateTime<Utc>>| t.map_or(f64::INFINITY, |t| (now - t).num_seconds() as f64 / 86_400.0);
        match self {
            Metric::Orders => p.order_count() as f64,
            Metric::Spend(None) => p.spend_fen() as f64,
            Metric::Spend(Some(d)) => p.spend_within(now, d.num_days()) as f64,
            Metric::Aov => p.aov_fen().unwrap_or(0) as f64,
            Metric::DaysSinceOrder => days_since(p.last_order()),
            Metric::DaysSinceSeen => days_since(p.last_seen),
            Metric::Watched(None) => p.live_watch_seconds as f64,
            Metric::Watched(Some(session)) => {
                s.sessions.resolve(session, now).map_or(f64::NAN, |id| p.watched(id) as f64)
            }
            Metric::Attended(n) => {
                let n = n.map_or(usize::MAX, |n| n as usize);
                s.sessions.latest(now, n).filter(|id| p.was_in(id)).count() as f64
            }
            Metric::Points => s.points.map_or(0.0, |x| x.balance as f64),
            Metric::Level => f64::from(s.level),
            Metric::ToNextLevel => s.to_next_level.map_or(f64::NAN, |x| x as f64),
            Metric::PointsExpiring(within) => {
                s.points.map_or(0.0, |x| rekindle_core::loyalty::expiring_within(&x.expiring, now, *within) as f64)
            }
            Metric::QuestionWait(within) => p.question_wait(now, *within).map_or(f64::NAN, |w| w.num_seconds() as f64),
            Metric::Comments => f64::from(p.comments),
            Metric::Shares => f64::from(p.shares),
            Metric::OpenTicketAge => p.open_tickets().map(|at| (now - at).num_seconds() as f64).fold(0.0, f64::max),
            Metric::Categories => p.categories().len() as f64,
            Metric::PAlive => s.scores.map_or(f64::NAN, |x| x.p_alive),
            Metric::Clv => s.scores.map_or(f64::NAN, |x| x.clv_fen as f64),
            Metric::Invited => f64::from(s.invited),
            Metric::Rfm(axis) => f64::from(match axis {
                RfmAxis::Recency => s.rfm.r,
                RfmAxis::Frequency => s.rfm.f,
                RfmAxis::Monetary => s.rfm.m,
            }),
        }
    }
}
