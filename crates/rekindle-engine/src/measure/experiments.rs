//! Experiments (docs/reports.md, "Experiments"): every journey that splits is an experiment.
//! Each variant is read against the control — the holdout when the split keeps one, else the
//! first variant — on the order rate and revenue per person (CUPED with the 30 days' spend
//! before entering), with opt-outs and removed contacts as guardrails; the readout itself
//! (intervals, Benjamini–Hochberg, the sample-ratio check) is `rekindle_models::experiment`.

use rekindle_core::JourneyId;
use rekindle_models::experiment::{
    CupedStats, ExperimentConfig, Goal, Metric, MetricData, Proportion, Readout, Verdict, readout,
};
use serde::Serialize;

use super::attribution::{Arm, Attribution, Facts};
use super::table::{Column, Table};

/// The metrics, by key; the console and CSV name them in the operator's language.
pub const ORDER_RATE: &str = "order_rate";
pub const REVENUE: &str = "revenue_per_person";
pub const OPT_OUT: &str = "opt_out_rate";
pub const REMOVED: &str = "removed_rate";

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Comparison {
    pub variant: String,
    pub control: String,
    /// Measured entries in control and variant.
    pub units: [u64; 2],
    pub readout: Readout,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Experiment {
    pub journey: JourneyId,
    pub name: String,
    pub comparisons: Vec<Comparison>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Experiments {
    pub days: i64,
    pub experiments: Vec<Experiment>,
}

/// Read every split journey of an attribution.
pub fn experiments(attribution: &Attribution, facts: &Facts) -> Experiments {
    let config = ExperimentConfig::default();
    let mut out = Vec::new();
    for j in &attribution.journeys {
        let split: Vec<&Arm> = j.arms.iter().filter(|a| a.variant.is_some()).collect();
        if split.len() < 2 {
            continue;
        }
        let control = split.iter().find(|a| a.is_holdout()).copied().unwrap_or(split[0]);
        let share = |arm: &Arm| {
            let plan = facts.journeys.get(&j.journey)?;
            plan.arms.iter().find(|(name, _)| Some(name) == arm.variant.as_ref()).map(|(_, w)| *w)
        };
        let comparisons = split
            .iter()
            .filter(|a| a.variant != control.variant)
            .map(|arm| {
                let units = [control.measured, arm.measured];
                // Without the plan's shares (a journey edited since), the check is skipped.
                let weights = match (share(control), share(arm)) {
                    (Some(c), Some(t)) => vec![c, t],
                    _ => Vec::new(),
                };
                Comparison {
                    variant: arm.variant.clone().unwrap_or_default(),
                    control: control.variant.clone().unwrap_or_default(),
                    units,
                    readout: readout(&units, &weights, &metrics(control, arm), &config),
                }
            })
            .collect();
        out.push(Experiment { journey: j.journey, name: j.name.clone(), comparisons });
    }
    Experiments { days: attribution.days, experiments: out }
}

fn metrics(control: &Arm, treatment: &Arm) -> Vec<Metric> {
    let proportion = |arm: &Arm, f: fn(&super::attribution::Outcome) -> bool| Proportion {
        n: arm.outcomes.len() as u64,
        conversions: arm.outcomes.iter().filter(|o| f(o)).count() as u64,
    };
    let cuped = |arm: &Arm| {
        let mut s = CupedStats::default();
        for o in &arm.outcomes {
            s.push(o.pre_spend_yuan, o.revenue_yuan);
        }
        s
    };
    let metric = |name: &str, goal, guardrail, data| Metric { name: name.into(), goal, guardrail, data };
    let share = |name: &str, goal, guardrail, f: fn(&super::attribution::Outcome) -> bool| {
        let data = MetricData::Proportion { control: proportion(control, f), treatment: proportion(treatment, f) };
        metric(name, goal, guardrail, data)
    };
    vec![
        share(ORDER_RATE, Goal::Increase, false, |o| o.ordered),
        metric(
            REVENUE,
            Goal::Increase,
            false,
            MetricData::Cuped { control: cuped(control), treatment: cuped(treatment) },
        ),
        share(OPT_OUT, Goal::Decrease, true, |o| o.opted_out),
        share(REMOVED, Goal::Decrease, true, |o| o.removed),
    ]
}

fn verdict(v: Verdict) -> &'static str {
    match v {
        Verdict::Better => "better",
        Verdict::Worse => "worse",
        Verdict::Inconclusive => "inconclusive",
        Verdict::TooSmall => "too_small",
        Verdict::NotComputable => "not_computable",
    }
}

impl Experiments {
    /// One row per journey, variant and metric; the CUPED metric also unadjusted.
    pub fn table(&self) -> Table {
        const COLUMNS: [Column; 15] = [
            Column::new("journey", "旅程", "journey"),
            Column::words("variant", "实验组", "variant"),
            Column::words("control", "对照组", "control"),
            Column::words("metric", "指标", "metric"),
            Column::words("adjusted", "CUPED 调整", "adjusted"),
            Column::new("control_units", "对照人数", "control_units"),
            Column::new("variant_units", "实验人数", "variant_units"),
            Column::new("control_mean", "对照均值", "control_mean"),
            Column::new("variant_mean", "实验均值", "variant_mean"),
            Column::new("absolute", "绝对提升", "absolute"),
            Column::new("ci_low", "区间下限", "ci_low"),
            Column::new("ci_high", "区间上限", "ci_high"),
            Column::new("relative", "相对提升", "relative"),
            Column::new("p_value", "p 值(BH 校正)", "p_value_bh"),
            Column::words("verdict", "结论", "verdict"),
        ];
        let f = |v: Option<f64>| v.map(|v| format!("{v:.4}")).unwrap_or_default();
        let mut rows = Vec::new();
        for e in &self.experiments {
            for c in &e.comparisons {
                for m in &c.readout.metrics {
                    let both = [(m.comparison.as_ref(), true), (m.unadjusted.as_ref(), false)];
                    for (cmp, adjusted) in both.into_iter().filter(|(cmp, _)| cmp.is_some()) {
                        let cmp = cmp.expect("filtered");
                        let cuped = m.unadjusted.is_some();
                        rows.push(vec![
                            e.name.clone(),
                            c.variant.clone(),
                            c.control.clone(),
                            m.name.clone(),
                            if cuped { adjusted.to_string() } else { String::new() },
                            c.units[0].to_string(),
                            c.units[1].to_string(),
                            f(Some(cmp.control_mean)),
                            f(Some(cmp.treatment_mean)),
                            f(Some(cmp.absolute.estimate)),
                            f(cmp.absolute.ci.map(|i| i.low)),
                            f(cmp.absolute.ci.map(|i| i.high)),
                            f(cmp.relative.map(|r| r.estimate)),
                            if adjusted { f(m.adjusted_p_value.or(cmp.p_value)) } else { f(cmp.p_value) },
                            if adjusted { verdict(m.verdict).into() } else { String::new() },
                        ]);
                    }
                }
            }
        }
        Table { columns: COLUMNS.to_vec(), rows }
    }
}
