//! Attribution (docs/reports.md, "Journeys"): for each journey and variant, what the people it
//! entered bought within the conversion window, against its holdout; what its coupons cost; and
//! store-wide, last-touch credit beside the holdout-incremental revenue, so an operator sees
//! how much of what a journey "touched" it actually caused.

use std::collections::{BTreeMap, HashMap};

use chrono::{DateTime, Duration, Utc};
use rekindle_core::calendar::Calendar;
use rekindle_core::journey::{Action, HOLDOUT, coupon_enrollment};
use rekindle_core::outreach::CouponDefinition;
use rekindle_core::profile::Profile;
use rekindle_core::{JourneyId, PersonId, WorkspaceId};
use rekindle_models::experiment::{ExperimentConfig, MeanStats, compare_means};
use rekindle_store::{CouponRecord, JourneyEntry, JourneyTouch, Store};
use serde::Serialize;

use super::Window;
use super::table::{Column, Table, rate_cell};

/// A journey as attribution reads it: its name and, when its published version splits, each
/// arm's intended share (the holdout included), for the sample-ratio check.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Plan {
    pub name: String,
    pub arms: Vec<(String, f64)>,
}

/// What attribution is computed from besides the profiles: the store's rows over the window.
#[derive(Debug, Clone, Default)]
pub struct Facts {
    pub journeys: BTreeMap<JourneyId, Plan>,
    pub entries: Vec<JourneyEntry>,
    /// Oldest first.
    pub touches: Vec<JourneyTouch>,
    pub coupons: Vec<CouponRecord>,
    pub coupon_values: HashMap<String, CouponDefinition>,
    pub opt_outs: HashMap<PersonId, Vec<DateTime<Utc>>>,
    /// The store's live sessions (for the schedule analysis).
    pub sessions: Vec<rekindle_core::objects::LiveSession>,
}

impl Facts {
    /// Entries on the window's days; touches from `days` before it (an order on its first day
    /// can credit them) to `now`; coupons and opt-outs from its first day to `now`.
    pub async fn load(
        store: &dyn Store,
        ws: WorkspaceId,
        cal: &Calendar,
        window: Window,
        days: i64,
        now: DateTime<Utc>,
    ) -> rekindle_store::Result<Self> {
        let from = cal.midnight(window.from);
        let to = cal.midnight(window.to + Duration::days(1));
        let until = now + Duration::milliseconds(1);
        let mut journeys = BTreeMap::new();
        for j in store.journeys(ws).await? {
            let mut plan = Plan { name: j.name, arms: Vec::new() };
            if let Some(v) = j.version
                && let Some(version) = store.journey_version(ws, j.id, v).await?
            {
                plan.arms = split_arms(&version.definition);
            }
            journeys.insert(j.id, plan);
        }
        let mut opt_outs: HashMap<PersonId, Vec<DateTime<Utc>>> = HashMap::new();
        for o in store.opt_outs_since(ws, from).await? {
            opt_outs.entry(o.person).or_default().push(o.at);
        }
        Ok(Facts {
            journeys,
            entries: store.journey_entries(ws, from, to).await?,
            touches: store.journey_touches(ws, from - Duration::days(days), until).await?,
            coupons: store.issued_coupons(ws, from, until).await?,
            coupon_values: store.coupons(ws).await?.into_iter().map(|c| (c.name.clone(), c)).collect(),
            opt_outs,
            sessions: Vec::new(),
        })
    }
}

/// The arms of a definition's first split with their shares (percent / 100).
fn split_arms(d: &rekindle_core::journey::Definition) -> Vec<(String, f64)> {
    d.steps
        .iter()
        .find_map(|s| match &s.action {
            Action::Split { variants, holdout_percent, .. } => {
                let mut arms: Vec<(String, f64)> =
                    variants.iter().map(|v| (v.name.clone(), f64::from(v.percent) / 100.0)).collect();
                if *holdout_percent > 0 {
                    arms.push((HOLDOUT.to_owned(), f64::from(*holdout_percent) / 100.0));
                }
                Some(arms)
            }
            _ => None,
        })
        .unwrap_or_default()
}

/// One arm of a journey (a variant, the holdout, or everyone when it does not split).
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Arm {
    /// The variant; none for a journey without a split.
    pub variant: Option<String>,
    pub entered: u64,
    /// Entries whose conversion window has closed: the figures below are theirs.
    pub measured: u64,
    /// Measured entries who ordered within the window.
    pub buyers: u64,
    pub orders: u64,
    pub revenue_fen: i64,
    pub coupons_issued: u64,
    pub coupons_redeemed: u64,
    /// What the redeemed coupons took off (a percentage coupon: estimated on the order's
    /// revenue).
    pub coupon_cost_fen: i64,
    /// Per measured entry: revenue in the window and spend in the 30 days before entering
    /// (yuan), for the experiment readout's CUPED.
    #[serde(skip)]
    pub outcomes: Vec<Outcome>,
}

/// One measured entry's outcome.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize)]
pub struct Outcome {
    pub ordered: bool,
    pub revenue_yuan: f64,
    pub pre_spend_yuan: f64,
    pub opted_out: bool,
    pub removed: bool,
}

impl Arm {
    pub fn is_holdout(&self) -> bool {
        self.variant.as_deref() == Some(HOLDOUT)
    }

    pub fn revenue(&self) -> MeanStats {
        let mut s = MeanStats::default();
        for o in &self.outcomes {
            s.push(o.revenue_yuan);
        }
        s
    }
}

/// Revenue the journey caused: treated people's revenue per head above the holdout's, times
/// the treated, with the interval of that difference.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Incremental {
    pub revenue_fen: i64,
    pub low_fen: Option<i64>,
    pub high_fen: Option<i64>,
    pub p_value: Option<f64>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct JourneyAttribution {
    pub journey: JourneyId,
    pub name: String,
    pub arms: Vec<Arm>,
    /// None without a holdout, or while either side has fewer than two measured entries.
    pub incremental: Option<Incremental>,
    /// Coupons of the treated arms.
    pub coupon_cost_fen: i64,
    /// Incremental revenue per yuan of coupons; none without either.
    pub roi: Option<f64>,
    /// Orders in the window whose latest journey message in the `days` before was this
    /// journey's, and their revenue.
    pub last_touch_orders: u64,
    pub last_touch_revenue_fen: i64,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Attribution {
    /// The conversion window, in days.
    pub days: i64,
    pub journeys: Vec<JourneyAttribution>,
}

/// Attribute every journey's entries in the window (`days` of conversion window) and, last
/// touch, the window's orders.
pub fn attribute<'a>(
    profile: impl Fn(PersonId) -> Option<&'a Profile>,
    facts: &Facts,
    cal: &Calendar,
    window: Window,
    days: i64,
    now: DateTime<Utc>,
) -> Attribution {
    let span = Duration::days(days);
    let mut arms: BTreeMap<(JourneyId, Option<&str>), Arm> = BTreeMap::new();
    let mut entry_arm: HashMap<i64, (JourneyId, Option<&str>)> = HashMap::new();
    for e in &facts.entries {
        let key = (e.journey, e.variant.as_deref());
        entry_arm.insert(e.enrollment, key);
        let arm = arms.entry(key).or_insert_with(|| Arm { variant: e.variant.clone(), ..Arm::default() });
        arm.entered += 1;
        if e.entered_at + span > now {
            continue;
        }
        let p = profile(e.person);
        let mut outcome = Outcome::default();
        for o in p.into_iter().flat_map(|p| p.orders.iter().map(|(_, o)| o)) {
            if o.at >= e.entered_at && o.at < e.entered_at + span {
                outcome.ordered = true;
                outcome.revenue_yuan += o.revenue_fen as f64 / 100.0;
                arm.orders += 1;
                arm.revenue_fen = arm.revenue_fen.saturating_add(o.revenue_fen);
            } else if o.at < e.entered_at && o.at >= e.entered_at - Duration::days(30) {
                outcome.pre_spend_yuan += o.revenue_fen as f64 / 100.0;
            }
        }
        let after = |t: DateTime<Utc>| t >= e.entered_at && t < e.entered_at + span;
        outcome.opted_out = facts.opt_outs.get(&e.person).is_some_and(|ts| ts.iter().any(|t| after(*t)));
        outcome.removed = p.and_then(|p| p.contacts.last_removed()).is_some_and(after);
        arm.measured += 1;
        arm.buyers += u64::from(outcome.ordered);
        arm.outcomes.push(outcome);
    }
    for c in &facts.coupons {
        let Some(key) = coupon_enrollment(&c.issue_key).and_then(|id| entry_arm.get(&id)) else { continue };
        let Some(arm) = arms.get_mut(key) else { continue };
        arm.coupons_issued += 1;
        if c.issued.redeemed_at.is_some() {
            arm.coupons_redeemed += 1;
            arm.coupon_cost_fen = arm.coupon_cost_fen.saturating_add(coupon_cost(facts, c, &profile));
        }
    }
    let credit = last_touch(&profile, facts, cal, window, span);
    // Journeys by id: those that entered someone, and those with only last-touch credit.
    let mut by_journey: BTreeMap<JourneyId, JourneyAttribution> = BTreeMap::new();
    let blank = |journey: JourneyId| JourneyAttribution {
        journey,
        name: facts.journeys.get(&journey).map_or_else(|| journey.0.to_string(), |p| p.name.clone()),
        arms: Vec::new(),
        incremental: None,
        coupon_cost_fen: 0,
        roi: None,
        last_touch_orders: 0,
        last_touch_revenue_fen: 0,
    };
    for ((journey, _), arm) in arms {
        by_journey.entry(journey).or_insert_with(|| blank(journey)).arms.push(arm);
    }
    for (journey, (orders, revenue)) in credit {
        let j = by_journey.entry(journey).or_insert_with(|| blank(journey));
        (j.last_touch_orders, j.last_touch_revenue_fen) = (orders, revenue);
    }
    let mut out: Vec<JourneyAttribution> = by_journey.into_values().collect();
    for j in &mut out {
        j.coupon_cost_fen = j.arms.iter().filter(|a| !a.is_holdout()).map(|a| a.coupon_cost_fen).sum();
        j.incremental = incremental(&j.arms);
        j.roi =
            j.incremental.filter(|_| j.coupon_cost_fen > 0).map(|i| i.revenue_fen as f64 / j.coupon_cost_fen as f64);
    }
    Attribution { days, journeys: out }
}

/// What a redeemed coupon took off its order.
fn coupon_cost<'a>(facts: &Facts, c: &CouponRecord, profile: &impl Fn(PersonId) -> Option<&'a Profile>) -> i64 {
    let Some(def) = facts.coupon_values.get(&c.issued.coupon) else { return 0 };
    let order = c.issued.order_id.as_deref().and_then(|id| profile(c.issued.person)?.order(id));
    match (def.value, order) {
        (rekindle_core::outreach::CouponValue::Amount { fen }, None) => fen,
        (_, Some(o)) => def.discount_fen(o.revenue_fen),
        (_, None) => 0,
    }
}

/// Treated arms pooled against the holdout, on revenue per measured entry.
fn incremental(arms: &[Arm]) -> Option<Incremental> {
    let holdout = arms.iter().find(|a| a.is_holdout())?;
    let mut treated = MeanStats::default();
    for a in arms.iter().filter(|a| !a.is_holdout()) {
        for o in &a.outcomes {
            treated.push(o.revenue_yuan);
        }
    }
    let n = treated.n as f64;
    let c = compare_means(&holdout.revenue(), &treated, &ExperimentConfig::default())?;
    let fen = |yuan: f64| (yuan * n * 100.0).round() as i64;
    Some(Incremental {
        revenue_fen: fen(c.absolute.estimate),
        low_fen: c.absolute.ci.map(|i| fen(i.low)),
        high_fen: c.absolute.ci.map(|i| fen(i.high)),
        p_value: c.p_value,
    })
}

/// Each order placed on a window day goes to the journey of the person's latest message sent
/// in the `span` before it (none: not credited).
fn last_touch<'a>(
    profile: &impl Fn(PersonId) -> Option<&'a Profile>,
    facts: &Facts,
    cal: &Calendar,
    window: Window,
    span: Duration,
) -> BTreeMap<JourneyId, (u64, i64)> {
    let mut by_person: HashMap<PersonId, Vec<&JourneyTouch>> = HashMap::new();
    for t in &facts.touches {
        by_person.entry(t.person).or_default().push(t);
    }
    let mut credit: BTreeMap<JourneyId, (u64, i64)> = BTreeMap::new();
    for (person, touches) in by_person {
        let Some(p) = profile(person) else { continue };
        for (_, o) in &p.orders {
            if !window.contains(cal.day(o.at)) {
                continue;
            }
            let latest = touches.iter().rev().find(|t| t.at <= o.at && t.at > o.at - span);
            if let Some(t) = latest {
                let c = credit.entry(t.journey).or_default();
                c.0 += 1;
                c.1 = c.1.saturating_add(o.revenue_fen);
            }
        }
    }
    credit
}

impl Attribution {
    /// One row per journey and arm, then the journey's totals.
    pub fn table(&self) -> Table {
        const COLUMNS: [Column; 15] = [
            Column::new("journey", "旅程", "journey"),
            Column::words("variant", "分组", "variant"),
            Column::new("entered", "进入人数", "entered"),
            Column::new("measured", "已满观察期", "measured"),
            Column::new("buyers", "下单人数", "buyers"),
            Column::new("conversion", "下单率", "conversion"),
            Column::new("orders", "订单数", "orders"),
            Column::new("revenue_fen", "销售额(分)", "revenue_fen"),
            Column::new("coupons_redeemed", "用券数", "coupons_redeemed"),
            Column::new("coupon_cost_fen", "券成本(分)", "coupon_cost_fen"),
            Column::new("incremental_fen", "增量销售额(分)", "incremental_fen"),
            Column::new("incremental_low_fen", "增量下限(分)", "incremental_low_fen"),
            Column::new("incremental_high_fen", "增量上限(分)", "incremental_high_fen"),
            Column::new("roi", "投入产出比", "roi"),
            Column::new("last_touch_revenue_fen", "末次触达销售额(分)", "last_touch_revenue_fen"),
        ];
        let opt = |v: Option<i64>| v.map(|v| v.to_string()).unwrap_or_default();
        let mut rows = Vec::new();
        for j in &self.journeys {
            for a in &j.arms {
                rows.push(vec![
                    j.name.clone(),
                    a.variant.clone().unwrap_or_default(),
                    a.entered.to_string(),
                    a.measured.to_string(),
                    a.buyers.to_string(),
                    rate_cell(super::rate(a.buyers, a.measured)),
                    a.orders.to_string(),
                    a.revenue_fen.to_string(),
                    a.coupons_redeemed.to_string(),
                    a.coupon_cost_fen.to_string(),
                    String::new(),
                    String::new(),
                    String::new(),
                    String::new(),
                    String::new(),
                ]);
            }
            let sum = |f: fn(&Arm) -> u64| j.arms.iter().map(f).sum::<u64>();
            let (measured, buyers) = (sum(|a| a.measured), sum(|a| a.buyers));
            rows.push(vec![
                j.name.clone(),
                "all".into(),
                sum(|a| a.entered).to_string(),
                measured.to_string(),
                buyers.to_string(),
                rate_cell(super::rate(buyers, measured)),
                sum(|a| a.orders).to_string(),
                j.arms.iter().map(|a| a.revenue_fen).sum::<i64>().to_string(),
                sum(|a| a.coupons_redeemed).to_string(),
                j.coupon_cost_fen.to_string(),
                opt(j.incremental.map(|i| i.revenue_fen)),
                opt(j.incremental.and_then(|i| i.low_fen)),
                opt(j.incremental.and_then(|i| i.high_fen)),
                j.roi.map(|r| format!("{r:.2}")).unwrap_or_default(),
                j.last_touch_revenue_fen.to_string(),
            ]);
        }
        Table { columns: COLUMNS.to_vec(), rows }
    }
}
