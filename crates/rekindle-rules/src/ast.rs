//! What a rule says, once parsed.

use chrono::Duration;

use rekindle_core::lifecycle::{Stage, Tier};
use rekindle_core::scores::Risk;

#[derive(Debug, Clone, PartialEq)]
pub enum Rule {
    And(Box<Rule>, Box<Rule>),
    Or(Box<Rule>, Box<Rule>),
    Not(Box<Rule>),
    /// Bought an item the text names (SKU, category, or part of its name), at all or within
    /// the last `within`.
    Bought {
        what: String,
        within: Option<Duration>,
    },
    /// Bought a product the catalogue tags with `tag` (large_pack, organic, …), at all or
    /// within the last `within`.
    BoughtTagged {
        tag: String,
        within: Option<Duration>,
    },
    /// Was in a live room (any session, or the one named) at all or within the last `within`.
    Watched {
        session: Option<Session>,
        within: Option<Duration>,
    },
    /// Ordered in a live room (any session, or the one named), at all or within the last
    /// `within`.
    LiveOrdered {
        session: Option<Session>,
        within: Option<Duration>,
    },
    Lifecycle {
        stages: Vec<Stage>,
        negated: bool,
    },
    Tier {
        tier: Tier,
        negated: bool,
    },
    Tag {
        tag: String,
    },
    ChurnRisk {
        risks: Vec<Risk>,
        negated: bool,
    },
    /// Predicted to run out (of the named category, or of anything) between now and `within`.
    Depletes {
        category: Option<String>,
        within: Duration,
    },
    /// Came on a friend's invitation (docs/referral.md): an inviter resolved, not themselves.
    InvitedBy,
    /// A WeCom friend of some staff member now, or of the named one (docs/relationships.md).
    WecomFriend {
        staff: Option<String>,
    },
    /// Did the event (by name, any name the log holds) at all, within the last `when`, or
    /// since entering the journey asking. Reads the person's event history, which only a
    /// journey supplies (docs/segments.md: refused in segments and tags).
    Did {
        event: String,
        when: DidWhen,
    },
    /// A message on the channel would reach the person now: an address, no opt-out, on WeCom
    /// a friendship the owner rule finds. Read from the person's record, which only a journey
    /// walk supplies (like `did`).
    Reachable {
        channel: rekindle_core::outreach::ChannelKind,
    },
    Compare {
        metric: Metric,
        op: Op,
        value: f64,
    },
}

/// The window a [`Rule::Did`] looks in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DidWhen {
    Ever,
    Within(Duration),
    SinceEntry,
}

impl Rule {
    /// Whether any part of the rule reads the person's event history (`did`), which only a
    /// journey walk supplies.
    pub fn uses_history(&self) -> bool {
        match self {
            Rule::And(a, b) | Rule::Or(a, b) => a.uses_history() || b.uses_history(),
            Rule::Not(a) => a.uses_history(),
            Rule::Did { .. } | Rule::Reachable { .. } => true,
            _ => false,
        }
    }

    /// Whether any part of the rule asks which channels reach the person (`reachable`).
    pub fn uses_reach(&self) -> bool {
        match self {
            Rule::And(a, b) | Rule::Or(a, b) => a.uses_reach() || b.uses_reach(),
            Rule::Not(a) => a.uses_reach(),
            Rule::Reachable { .. } => true,
            _ => false,
        }
    }

    /// The event names `did` terms ask about.
    pub fn history_events<'a>(&'a self, out: &mut Vec<&'a str>) {
        match self {
            Rule::And(a, b) | Rule::Or(a, b) => {
                a.history_events(out);
                b.history_events(out);
            }
            Rule::Not(a) => a.history_events(out),
            Rule::Did { event, .. } => out.push(event),
            _ => {}
        }
    }

    /// Whether any part of the rule reads tags (a tag's own rule must not, or tags could
    /// depend on each other in a circle).
    pub fn uses_tags(&self) -> bool {
        match self {
            Rule::And(a, b) | Rule::Or(a, b) => a.uses_tags() || b.uses_tags(),
            Rule::Not(a) => a.uses_tags(),
            Rule::Tag { .. } => true,
            _ => false,
        }
    }
}

/// A live session a rule names: by its id, or the store's latest one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Session {
    Id(String),
    /// The latest session that has started (running or ended).
    Latest,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Op {
    Lt,
    Le,
    Eq,
    Ne,
    Ge,
    Gt,
}

impl Op {
    pub fn holds(self, a: f64, b: f64) -> bool {
        match self {
            Self::Lt => a < b,
            Self::Le => a <= b,
            Self::Eq => a == b,
            Self::Ne => a != b,
            Self::Ge => a >= b,
            Self::Gt => a > b,
        }
    }
}

/// A number a person has. The value compared is in the metric's unit: fen for money,
/// seconds for durations, a count otherwise.
#[derive(Debug, Clone, PartialEq)]
pub enum Metric {
    Orders,
    /// Spend in fen: all time net of refunds, or orders within the window.
    Spend(Option<Duration>),
    Aov,
    DaysSinceOrder,
    DaysSinceSeen,
    /// Seconds watched: all sessions, or the one named.
    Watched(Option<Session>),
    /// How many of the store's latest `n` sessions (all when `None`) the person was in.
    Attended(Option<u32>),
    /// The longest, in seconds, a question the person asked in a live room waited for the
    /// host's first answer (until now when unanswered), of those asked within the window (all
    /// when `None`); people who asked none match no comparison.
    QuestionWait(Option<Duration>),
    /// The points balance.
    Points,
    /// The member level's number (L1 is 1).
    Level,
    /// Points that expire within the window from now.
    PointsExpiring(Duration),
    /// Growth still needed for the next member level; members at the top match no comparison.
    ToNextLevel,
    Comments,
    Shares,
    /// Age in seconds of the person's oldest open after-sales ticket (0 without one).
    OpenTicketAge,
    /// How many different categories the person has bought.
    Categories,
    /// An RFM score, 1–5 (0 for people who never ordered).
    Rfm(RfmAxis),
    /// The chance the person is still a customer, 0–1 (people without a prediction match no
    /// comparison).
    PAlive,
    /// Lifetime value in fen.
    Clv,
    /// Friends attributed to the person's invitations.
    Invited,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RfmAxis {
    Recency,
    Frequency,
    Monetary,
}

/// The unit a metric is written in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Unit {
    Count,
    Money,
    Duration,
    Days,
}

impl Metric {
    /// The metric a word names when it takes no argument (`orders`, `rfm_r`); the parser
    /// reads these, and templates name profile figures by them.
    pub fn plain(word: &str) -> Option<Metric> {
        Some(match word {
            "orders" => Metric::Orders,
            "spend" => Metric::Spend(None),
            "points" => Metric::Points,
            "to_next_level" => Metric::ToNextLevel,
            "aov" => Metric::Aov,
            "days_since_order" => Metric::DaysSinceOrder,
            "days_since_seen" => Metric::DaysSinceSeen,
            "comments" => Metric::Comments,
            "shares" => Metric::Shares,
            "open_ticket_age" => Metric::OpenTicketAge,
            "categories" => Metric::Categories,
            "rfm_r" => Metric::Rfm(RfmAxis::Recency),
            "rfm_f" => Metric::Rfm(RfmAxis::Frequency),
            "rfm_m" => Metric::Rfm(RfmAxis::Monetary),
            "p_alive" => Metric::PAlive,
            "clv" => Metric::Clv,
            "invited" => Metric::Invited,
            _ => return None,
        })
    }

    pub fn unit(&self) -> Unit {
        match self {
            Self::Spend(_) | Self::Aov | Self::Clv => Unit::Money,
            Self::PAlive => Unit::Count,
            Self::Watched(_) | Self::OpenTicketAge | Self::QuestionWait(_) => Unit::Duration,
            Self::DaysSinceOrder | Self::DaysSinceSeen => Unit::Days,
            Self::Orders
            | Self::Comments
            | Self::Shares
            | Self::Categories
            | Self::Rfm(_)
            | Self::Attended(_)
            | Self::Points
            | Self::Level
            | Self::PointsExpiring(_)
            | Self::ToNextLevel
            | Self::Invited => Unit::Count,
        }
    }
}
