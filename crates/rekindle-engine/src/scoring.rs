//! Predictions per person (docs/models.md): BG/NBD and Gamma-Gamma fitted over everyone who
//! ordered, then P(alive), expected orders, CLV, churn risk, when each category runs out and
//! the category to suggest next.

use std::collections::{BTreeMap, HashMap};

use chrono::{DateTime, Duration, SubsecRound, Utc};
use rekindle_core::calendar::Calendar;
use rekindle_core::lifecycle::LifecycleConfig;
use rekindle_core::profile::Profile;
use rekindle_core::scores::{ModelConfig, Risk, RunOut, Scores};
use rekindle_models::ModelError;
use rekindle_models::bgnbd::BgNbd;
use rekindle_models::depletion::depletion;
use rekindle_models::gamma_gamma::{GammaGamma, Spend, clv};
use rekindle_models::summary::Customer;

const DAY_SECONDS: f64 = 86_400.0;
/// Without a live visit, a message touch or any event in this many days, a person is
/// disengaged.
const ENGAGED_DAYS: i64 = 30;

/// The models fitted over a workspace at one moment.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct ModelFit {
    pub as_of: DateTime<Utc>,
    pub bgnbd: BgNbd,
    pub log_likelihood: f64,
    pub iterations: u64,
    /// MBG/NBD, fitted beside BG/NBD for P(alive): BG/NBD holds a one-time buyer's P(alive) at
    /// 1 however long they stay away (docs/models.md has the effect on churn AUC).
    pub mbgnbd: Option<BgNbd>,
    /// None when too few people bought twice for spend to be modelled.
    pub gamma_gamma: Option<GammaGamma>,
    pub customers: usize,
    pub repeat_buyers: usize,
}

impl ModelFit {
    /// As the store keeps it for the other nodes (`Predictions::put_fit`).
    pub fn stored(&self) -> rekindle_store::StoredFit {
        rekindle_store::StoredFit {
            as_of: self.as_of,
            fit: serde_json::to_value(self).expect("a fit is plain numbers"),
        }
    }

    pub fn from_stored(stored: rekindle_store::StoredFit) -> Result<Self, serde_json::Error> {
        serde_json::from_value(stored.fit)
    }
}

/// A buyer's (x, t_x, T) in the store's local days, as of `now`: purchases are the local days
/// with an order up to `now`, observed to the end of `now`'s local day (the summary of Fader
/// & Hardie's CDNOW results, counted in days).
pub fn customer(p: &Profile, now: DateTime<Utc>, cal: &Calendar) -> Option<Customer> {
    let times: Vec<f64> =
        p.orders.iter().filter(|(_, o)| o.at <= now).map(|(_, o)| cal.day_number(o.at) as f64).collect();
    Customer::from_purchases(&times, cal.day_number(now) as f64, 1.0)
}

/// A buyer's repeat purchases (local days after the first) and their average value, in fen.
pub fn spend(p: &Profile, now: DateTime<Utc>, cal: &Calendar) -> Spend {
    let mut by_day: BTreeMap<i64, i64> = BTreeMap::new();
    for (_, o) in p.orders.iter().filter(|(_, o)| o.at <= now) {
        let day = by_day.entry(cal.day_number(o.at)).or_default();
        *day = day.saturating_add(o.revenue_fen);
    }
    let repeats: Vec<i64> = by_day.values().skip(1).copied().collect();
    let x = repeats.len() as f64;
    Spend {
        x,
        mean: if repeats.is_empty() { 0.0 } else { rekindle_core::money::total(repeats.iter().copied()) as f64 / x },
    }
}

pub fn fit<'a>(
    profiles: impl Iterator<Item = &'a Profile>,
    now: DateTime<Utc>,
    cal: &Calendar,
) -> Result<ModelFit, ModelError> {
    let mut customers = Vec::new();
    let mut spends = Vec::new();
    for p in profiles {
        if let Some(c) = customer(p, now, cal) {
            customers.push(c);
            let s = spend(p, now, cal);
            if s.x > 0.0 && s.mean > 0.0 {
                spends.push(s);
            }
        }
    }
    let fitted = BgNbd::fit(&customers)?;
    let mbgnbd = BgNbd::fit_modified(&customers).ok().map(|f| BgNbd::params(&f));
    let gamma_gamma = GammaGamma::fit(&spends).ok().map(|f| GammaGamma::params(&f)).filter(|g| g.q > 1.0);
    Ok(ModelFit {
        // To the millisecond, as every store keeps a time: a fit read back is the same fit.
        as_of: now.trunc_subsecs(3),
        bgnbd: BgNbd::params(&fitted),
        log_likelihood: fitted.log_likelihood,
        iterations: fitted.iterations,
        mbgnbd,
        gamma_gamma,
        customers: customers.len(),
        repeat_buyers: customers.iter().filter(|c| c.x > 0.0).count(),
    })
}

/// What people who buy one category also buy: for next-category suggestions.
#[derive(Debug, Default)]
pub struct CoPurchase {
    buyers: HashMap<String, usize>,
    both: HashMap<(String, String), usize>,
    /// People who bought anything.
    total: usize,
}

/// People who must have bought both categories before one suggests the other.
const MIN_SUPPORT: usize = 20;

impl CoPurchase {
    pub fn of<'a>(profiles: impl Iterator<Item = &'a Profile>) -> Self {
        let mut out = Self::default();
        for p in profiles {
            let bought: Vec<String> = p.categories().into_keys().collect();
            out.total += usize::from(!bought.is_empty());
            for a in &bought {
                *out.buyers.entry(a.clone()).or_default() += 1;
                for b in &bought {
                    if a != b {
                        *out.both.entry((a.clone(), b.clone())).or_default() += 1;
                    }
                }
            }
        }
        out
    }

    /// The unbought category with the highest P(bought it | bought one of theirs), suggested
    /// only with support: at least [`MIN_SUPPORT`] people bought both, and buying theirs makes
    /// it likelier than among buyers at large (lift above 1). Otherwise nothing: a guess such
    /// as "cereal" for someone who only bought lychees tells an operator nothing.
    pub fn next(&self, bought: &[String]) -> Option<String> {
        let base = |c: &String| self.buyers.get(c).copied().unwrap_or(0) as f64 / self.total.max(1) as f64;
        self.buyers
            .keys()
            .filter(|c| !bought.contains(c))
            .filter_map(|c| {
                let best = bought
                    .iter()
                    .filter_map(|a| {
                        let together = self.both.get(&(a.clone(), c.clone())).copied().unwrap_or(0);
                        let n = self.buyers.get(a).copied().unwrap_or(0).max(1) as f64;
                        let p = together as f64 / n;
                        (together >= MIN_SUPPORT && p > base(c)).then_some(p)
                    })
                    .fold(None, |m: Option<f64>, p| Some(m.map_or(p, |m| m.max(p))))?;
                Some((c, best))
            })
            .max_by(|a, b| a.1.total_cmp(&b.1).then_with(|| b.0.cmp(a.0)))
            .map(|(c, _)| c.clone())
    }
}

/// What scoring reads besides the profile.
pub struct Scoring<'a> {
    pub fit: &'a ModelFit,
    pub config: ModelConfig,
    pub lifecycle: &'a LifecycleConfig,
    /// Standard packs per SKU (the catalogue's pack sizes).
    pub packs: &'a HashMap<String, u32>,
    pub co_purchase: &'a CoPurchase,
    pub calendar: &'a Calendar,
}

impl Scoring<'_> {
    /// None for people who never ordered: the models say nothing about them.
    pub fn score(&self, p: &Profile, now: DateTime<Utc>) -> Option<Scores> {
        let c = customer(p, now, self.calendar)?;
        let m = &self.fit.bgnbd;
        let p_alive = self.fit.mbgnbd.map_or_else(|| m.p_alive(&c), |mbg| mbg.p_alive_modified(&c));
        let clv_fen = self.fit.gamma_gamma.map_or(0.0, |g| {
            clv(m, &g, &c, &spend(p, now, self.calendar), self.config.clv_months, 30.0, self.config.monthly_discount)
        });
        let bought: Vec<String> = p.categories().into_keys().collect();
        Some(Scores {
            p_alive,
            expected_orders_30d: m.expected_purchases(&c, 30.0),
            clv_fen: clv_fen.round() as i64,
            churn_risk: risk(p_alive, p, now),
            run_outs: self.run_outs(p),
            next_category: self.co_purchase.next(&bought),
        })
    }

    fn run_outs(&self, p: &Profile) -> Vec<RunOut> {
        // Per category: each order's time and the packs it held.
        let mut by_category: BTreeMap<&str, Vec<(DateTime<Utc>, f64)>> = BTreeMap::new();
        for (_, o) in &p.orders {
            let mut packs: BTreeMap<&str, f64> = BTreeMap::new();
            for item in o.items.iter() {
                let Some(category) = item.category() else { continue };
                let pack = item.sku().and_then(|s| self.packs.get(s)).copied().unwrap_or(1);
                *packs.entry(category).or_default() += (item.units.max(1) as f64) * f64::from(pack.max(1));
            }
            for (category, n) in packs {
                by_category.entry(category).or_default().push((o.at, n));
            }
        }
        by_category
            .into_iter()
            .map(|(category, mut orders)| {
                orders.sort_by_key(|(at, _)| *at);
                let paces: Vec<f64> =
                    orders.windows(2).map(|w| (w[1].0 - w[0].0).num_seconds() as f64 / DAY_SECONDS / w[0].1).collect();
                let prior = self
                    .lifecycle
                    .category_cycle_days
                    .get(category)
                    .copied()
                    .unwrap_or(self.lifecycle.default_cycle_days);
                let (last, packs) = *orders.last().expect("a category has an order");
                let d = depletion(&paces, prior, packs);
                let after = |days: f64| last + Duration::seconds((days * DAY_SECONDS) as i64);
                RunOut {
                    category: category.to_string(),
                    at: after(d.days),
                    low: after(d.low_days),
                    high: after(d.high_days),
                }
            })
            .collect()
    }
}

/// Low, medium or high: P(alive) first (MBG/NBD, so one-time buyers who stay away count),
/// raised when the person has stopped engaging (no live visit, message touch or event in 30
/// days) or has an after-sales ticket open.
fn risk(p_alive: f64, p: &Profile, now: DateTime<Utc>) -> Risk {
    let recent = |t: Option<DateTime<Utc>>| t.is_some_and(|t| now - t <= Duration::days(ENGAGED_DAYS));
    let disengaged = !(recent(p.last_live) || recent(p.last_touch) || recent(p.last_seen));
    let ticket = p.open_tickets().next().is_some();
    if p_alive < 0.25 || (p_alive < 0.5 && disengaged) {
        Risk::High
    } else if p_alive < 0.6 || disengaged || ticket {
        Risk::Medium
    } else {
        Risk::Low
    }
}

/// Predicted against actual purchases in a holdout period, by repeat purchases in the
/// calibration period: the model fitted on everything before the last `holdout_days`, asked
/// how many orders each customer places in them.
#[derive(Debug, Clone)]
pub struct Calibration {
    pub holdout_days: u32,
    pub fit: ModelFit,
    /// (repeat purchases — the last group is this many or more —, customers, mean predicted,
    /// mean actual)
    pub groups: Vec<(u32, usize, f64, f64)>,
}

/// Groups beyond this many repeat purchases are pooled.
const CALIBRATION_GROUPS: u32 = 7;

pub fn calibration<'a>(
    profiles: impl Iterator<Item = &'a Profile> + Clone,
    now: DateTime<Utc>,
    holdout_days: u32,
    cal: &Calendar,
) -> Result<Calibration, ModelError> {
    let cut = now - Duration::days(i64::from(holdout_days));
    let fit = fit(profiles.clone(), cut, cal)?;
    let mut groups = vec![(0usize, 0.0, 0.0); CALIBRATION_GROUPS as usize + 1];
    for p in profiles {
        let Some(c) = customer(p, cut, cal) else { continue };
        let predicted = fit.bgnbd.expected_purchases(&c, f64::from(holdout_days));
        let mut days: Vec<i64> =
            p.orders.iter().filter(|(_, o)| o.at > cut && o.at <= now).map(|(_, o)| cal.day_number(o.at)).collect();
        days.sort_unstable();
        days.dedup();
        let g = &mut groups[(c.x as u32).min(CALIBRATION_GROUPS) as usize];
        g.0 += 1;
        g.1 += predicted;
        g.2 += days.len() as f64;
    }
    let groups = groups
        .into_iter()
        .enumerate()
        .filter(|(_, g)| g.0 > 0)
        .map(|(x, (n, predicted, actual))| (x as u32, n, predicted / n as f64, actual / n as f64))
        .collect();
    Ok(Calibration { holdout_days, fit, groups })
}

#[cfg(test)]
mod co_purchase_tests {
    use super::*;

    fn co(buyers: &[(&str, usize)], both: &[(&str, &str, usize)], total: usize) -> CoPurchase {
        let mut c = CoPurchase { total, ..Default::default() };
        c.buyers = buyers.iter().map(|(k, n)| ((*k).to_string(), *n)).collect();
        for (a, b, n) in both {
            c.both.insert(((*a).to_string(), (*b).to_string()), *n);
            c.both.insert(((*b).to_string(), (*a).to_string()), *n);
        }
        c
    }

    /// Issue 16: "可能想买：谷物" for someone who only bought lychees.
    #[test]
    fn a_next_category_needs_support_and_lift() {
        let lychees = vec!["荔枝".to_string()];
        // Half of all buyers buy cereal; of 40 lychee buyers, 20 did too: no lift, no suggestion.
        let no_lift = co(&[("荔枝", 40), ("谷物", 500)], &[("荔枝", "谷物", 20)], 1000);
        assert_eq!(no_lift.next(&lychees), None);
        // Of 40 lychee buyers, 5 bought mangoes against 1% of buyers: a lift, but too few.
        let thin = co(&[("荔枝", 40), ("芒果", 10)], &[("荔枝", "芒果", 5)], 1000);
        assert_eq!(thin.next(&lychees), None);
        // 30 of 40 lychee buyers bought mangoes against 10% of all buyers: suggested.
        let strong =
            co(&[("荔枝", 40), ("芒果", 100), ("谷物", 500)], &[("荔枝", "芒果", 30), ("荔枝", "谷物", 20)], 1000);
        assert_eq!(strong.next(&lychees).as_deref(), Some("芒果"));
    }
}
