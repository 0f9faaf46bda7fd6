//! One road to every report: a query (which report, over which days, by what) answered over
//! an audience, for the API, the console and `rekindle report` alike.

use chrono::NaiveDate;
use rekindle_core::calendar::Grain;
use serde::Serialize;

use super::attribution::{Attribution, Facts, attribute};
use super::cohorts::{CohortBy, Cohorts, cohorts};
use super::experiments::{Experiments, experiments};
use super::funnel::{Step, funnel, funnel_table};
use super::rates::{self, Churn, Referral, Repurchase, Tickets, WakeUp, period_table};
use super::schedule::{Schedule, schedule};
use super::{Table, Window};
use crate::audience::Audience;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    Cohorts,
    Repurchase,
    Churn,
    Wakeup,
    Ltv,
    Referral,
    Tickets,
    Funnel,
    Journeys,
    Experiments,
    Schedule,
}

impl Kind {
    pub const ALL: [Kind; 11] = [
        Kind::Cohorts,
        Kind::Repurchase,
        Kind::Churn,
        Kind::Wakeup,
        Kind::Ltv,
        Kind::Referral,
        Kind::Tickets,
        Kind::Funnel,
        Kind::Journeys,
        Kind::Experiments,
        Kind::Schedule,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Cohorts => "cohorts",
            Kind::Repurchase => "repurchase",
            Kind::Churn => "churn",
            Kind::Wakeup => "wakeup",
            Kind::Ltv => "ltv",
            Kind::Referral => "referral",
            Kind::Tickets => "tickets",
            Kind::Funnel => "funnel",
            Kind::Journeys => "journeys",
            Kind::Experiments => "experiments",
            Kind::Schedule => "schedule",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.as_str() == text)
    }

    /// Whether the report reads journeys' entries, messages and coupons ([`Facts`]) besides the
    /// profiles.
    /// Journeys' and experiments' rows over the window.
    pub fn needs_facts(self) -> bool {
        matches!(self, Kind::Journeys | Kind::Experiments)
    }

    /// What the query reads beside the audience: journeys' rows, or the live sessions.
    pub async fn facts(
        self,
        store: &dyn rekindle_store::Store,
        ws: rekindle_core::WorkspaceId,
        cal: &rekindle_core::calendar::Calendar,
        q: &Query,
        now: chrono::DateTime<chrono::Utc>,
    ) -> rekindle_store::Result<Facts> {
        match self {
            _ if self.needs_facts() => Facts::load(store, ws, cal, q.window, q.days, now).await,
            Kind::Schedule => Ok(Facts { sessions: store.live_sessions(ws).await?, ..Facts::default() }),
            _ => Ok(Facts::default()),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Query {
    pub kind: Kind,
    pub window: Window,
    pub grain: Grain,
    pub by: CohortBy,
    /// N of N-day churn, of the wake-up rate's "within N days" and of journeys' conversion
    /// window.
    pub days: i64,
}

/// A report's answer.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Answer {
    /// Cohorts and LTV: the same matrix (LTV reads its revenue).
    Cohorts(Cohorts),
    Repurchase {
        rows: Vec<Period<Repurchase>>,
        total: Repurchase,
    },
    Churn {
        days: i64,
        rows: Vec<Period<Churn>>,
    },
    Wakeup(WakeUp),
    Referral {
        rows: Vec<Period<Referral>>,
    },
    Tickets {
        rows: Vec<Period<Tickets>>,
    },
    Funnel {
        steps: Vec<Step>,
    },
    Journeys(Attribution),
    Experiments(Experiments),
    Schedule(Schedule),
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Period<T> {
    /// The period's first day.
    pub period: NaiveDate,
    #[serde(flatten)]
    pub figures: T,
}

fn periods<T>(rows: Vec<(NaiveDate, T)>) -> Vec<Period<T>> {
    rows.into_iter().map(|(period, figures)| Period { period, figures }).collect()
}

fn pairs<T: Copy>(rows: &[Period<T>]) -> Vec<(NaiveDate, T)> {
    rows.iter().map(|p| (p.period, p.figures)).collect()
}

/// Answer `q` over the audience, as of its moment; journeys and experiments also read `facts`
/// (loaded for the query's window when [`Kind::needs_facts`]).
pub fn answer(audience: &Audience, q: &Query, facts: &Facts) -> Answer {
    let cal = &audience.context.calendar;
    let now = audience.now;
    let today = cal.day(now);
    // People only: erased people's kept orders belong to no cohort, no buyer and no period's
    // new buyers, so they are not in these figures (the dashboard's totals count them).
    let people = || audience.members.iter().map(|m| &*m.profile);
    match q.kind {
        Kind::Cohorts | Kind::Ltv => Answer::Cohorts(cohorts(people(), cal, today, q.window, q.grain, q.by)),
        Kind::Repurchase => {
            let rows = rates::repurchase(people(), cal, today, q.window, q.grain);
            Answer::Repurchase { total: rates::repurchase_total(&rows), rows: periods(rows) }
        }
        Kind::Churn => {
            Answer::Churn { days: q.days, rows: periods(rates::churn(people(), cal, today, q.window, q.grain, q.days)) }
        }
        Kind::Wakeup => {
            Answer::Wakeup(rates::wake_up(people(), cal, &audience.context.judging.lifecycle, now, q.window, q.days))
        }
        Kind::Referral => Answer::Referral { rows: periods(rates::referral(people(), cal, q.window, q.grain)) },
        Kind::Tickets => Answer::Tickets { rows: periods(rates::tickets(people(), cal, now, q.window, q.grain)) },
        Kind::Funnel => Answer::Funnel { steps: funnel(people(), cal, q.window) },
        Kind::Schedule => {
            let people = || Box::new(people()) as Box<dyn Iterator<Item = _>>;
            Answer::Schedule(schedule(people, &facts.sessions, cal, now, q.window, q.days))
        }
        Kind::Journeys | Kind::Experiments => {
            let profile = |p| audience.member(p).map(|m| &*m.profile);
            let attribution = attribute(profile, facts, cal, q.window, q.days, now);
            match q.kind {
                Kind::Journeys => Answer::Journeys(attribution),
                _ => Answer::Experiments(experiments(&attribution, facts)),
            }
        }
    }
}

impl Answer {
    pub fn table(&self) -> Table {
        match self {
            Answer::Cohorts(c) => c.table(),
            Answer::Repurchase { rows, total } => period_table(&pairs(rows), Some(total)),
            Answer::Churn { rows, .. } => period_table(&pairs(rows), None),
            Answer::Wakeup(w) => w.table(),
            Answer::Referral { rows } => period_table(&pairs(rows), None),
            Answer::Tickets { rows } => period_table(&pairs(rows), None),
            Answer::Funnel { steps } => funnel_table(steps),
            Answer::Journeys(a) => a.table(),
            Answer::Experiments(e) => e.table(),
            Answer::Schedule(s) => s.table(),
        }
    }
}
