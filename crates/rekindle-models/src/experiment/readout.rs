//! One experiment's metrics read together: each compared, the p-values adjusted across them,
//! and a verdict per metric that knows which way is good. Guardrails are metrics where a rise
//! is bad (opt-outs, complaints); they are called on their raw p-value, as GrowthBook leaves
//! guardrails out of its corrections: a harm should show as early as it can.

use serde::{Deserialize, Serialize};

use super::{
    Comparison, CupedStats, ExperimentConfig, MeanStats, Proportion, SampleRatio, benjamini_hochberg, compare_cuped,
    compare_means, compare_proportions, sample_ratio_mismatch,
};

/// Which way the metric should move.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Goal {
    Increase,
    Decrease,
}

#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum MetricData {
    Proportion {
        control: Proportion,
        treatment: Proportion,
    },
    Mean {
        control: MeanStats,
        treatment: MeanStats,
    },
    /// A mean metric with its pre-period values, read with CUPED.
    Cuped {
        control: CupedStats,
        treatment: CupedStats,
    },
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Metric {
    pub name: String,
    pub goal: Goal,
    /// A metric that must not get worse, rather than one the experiment means to move.
    pub guardrail: bool,
    pub data: MetricData,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    /// Significant, in the metric's good direction.
    Better,
    /// Significant, in its bad direction.
    Worse,
    /// Not significant.
    Inconclusive,
    /// Too small to conclude (the comparison's `too_small` says why).
    TooSmall,
    /// No comparison: an arm had fewer than two units or the data was invalid.
    NotComputable,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct MetricReadout {
    pub name: String,
    pub goal: Goal,
    pub guardrail: bool,
    /// CUPED-adjusted for a CUPED metric.
    pub comparison: Option<Comparison>,
    /// For a CUPED metric: the comparison without adjustment, θ and the variance removed.
    pub unadjusted: Option<Comparison>,
    pub theta: Option<f64>,
    pub variance_reduction: Option<f64>,
    /// Benjamini–Hochberg across the experiment's metrics that have a p-value.
    pub adjusted_p_value: Option<f64>,
    pub verdict: Verdict,
    /// A guardrail that got significantly worse.
    pub guardrail_worsened: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Readout {
    /// None when the units or weights per arm could not be checked (see
    /// [`sample_ratio_mismatch`]).
    pub sample_ratio: Option<SampleRatio>,
    /// The split is off: assignment or logging is broken and no figure below can be trusted.
    pub sample_ratio_mismatch: bool,
    pub metrics: Vec<MetricReadout>,
    /// Any guardrail got significantly worse.
    pub guardrail_worsened: bool,
}

/// Reads an experiment: `units` per arm and the arms' intended `weights` for the sample-ratio
/// check, and the metrics (control against treatment). Goal metrics are called on their
/// adjusted p-value, guardrails on their raw one; a metric too small to conclude gets no call.
pub fn readout(units: &[u64], weights: &[f64], metrics: &[Metric], config: &ExperimentConfig) -> Readout {
    let compared: Vec<_> = metrics.iter().map(|m| compare_metric(&m.data, config)).collect();
    let tested: Vec<(usize, f64)> = compared.iter().enumerate().filter_map(|(i, c)| Some((i, c.0?.p_value?))).collect();
    let adjusted = benjamini_hochberg(&tested.iter().map(|(_, p)| *p).collect::<Vec<_>>());
    let mut adjusted_p = vec![None; metrics.len()];
    for ((i, _), p) in tested.iter().zip(adjusted) {
        adjusted_p[*i] = Some(p);
    }
    let metrics: Vec<MetricReadout> = metrics
        .iter()
        .zip(compared)
        .zip(adjusted_p)
        .map(|((metric, (comparison, cuped)), adjusted_p_value)| {
            let verdict = verdict(metric, comparison.as_ref(), adjusted_p_value, config.alpha);
            MetricReadout {
                name: metric.name.clone(),
                goal: metric.goal,
                guardrail: metric.guardrail,
                comparison,
                unadjusted: cuped.map(|c| c.0),
                theta: cuped.map(|c| c.1),
                variance_reduction: cuped.and_then(|c| c.2),
                adjusted_p_value,
                verdict,
                guardrail_worsened: metric.guardrail && verdict == Verdict::Worse,
            }
        })
        .collect();
    let sample_ratio = sample_ratio_mismatch(units, weights);
    Readout {
        sample_ratio_mismatch: sample_ratio.as_ref().is_some_and(|s| s.mismatch),
        sample_ratio,
        guardrail_worsened: metrics.iter().any(|m| m.guardrail_worsened),
        metrics,
    }
}

type CupedExtra = (Comparison, f64, Option<f64>);

fn compare_metric(data: &MetricData, config: &ExperimentConfig) -> (Option<Comparison>, Option<CupedExtra>) {
    match data {
        MetricData::Proportion { control, treatment } => (compare_proportions(*control, *treatment, config), None),
        MetricData::Mean { control, treatment } => (compare_means(control, treatment, config), None),
        MetricData::Cuped { control, treatment } => match compare_cuped(control, treatment, config) {
            Some(c) => (Some(c.adjusted), Some((c.unadjusted, c.theta, c.variance_reduction))),
            None => (None, None),
        },
    }
}

fn verdict(metric: &Metric, comparison: Option<&Comparison>, adjusted_p: Option<f64>, alpha: f64) -> Verdict {
    let Some(c) = comparison else { return Verdict::NotComputable };
    if !c.enough_data {
        return Verdict::TooSmall;
    }
    let p = if metric.guardrail { c.p_value } else { adjusted_p };
    if !p.is_some_and(|p| p < alpha) {
        return Verdict::Inconclusive;
    }
    let up = c.absolute.estimate > 0.0;
    if up == (metric.goal == Goal::Increase) { Verdict::Better } else { Verdict::Worse }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn proportion(name: &str, goal: Goal, guardrail: bool, c: u64, t: u64) -> Metric {
        let data = MetricData::Proportion {
            control: Proportion { n: 5000, conversions: c },
            treatment: Proportion { n: 5000, conversions: t },
        };
        Metric { name: name.into(), goal, guardrail, data }
    }

    #[test]
    fn a_win_with_a_guardrail_broken() {
        let metrics = [
            proportion("orders", Goal::Increase, false, 400, 520),
            proportion("opt_outs", Goal::Decrease, true, 50, 95),
            proportion("clicks", Goal::Increase, false, 1000, 1010),
            proportion("complaints", Goal::Decrease, true, 2, 3),
        ];
        let r = readout(&[5000, 5000], &[0.5, 0.5], &metrics, &ExperimentConfig::default());
        let verdicts: Vec<Verdict> = r.metrics.iter().map(|m| m.verdict).collect();
        assert_eq!(verdicts, [Verdict::Better, Verdict::Worse, Verdict::Inconclusive, Verdict::TooSmall]);
        assert!(r.metrics[1].guardrail_worsened && r.guardrail_worsened);
        assert!(!r.sample_ratio_mismatch);
        for m in &r.metrics {
            let (raw, adjusted) = (m.comparison.unwrap().p_value.unwrap(), m.adjusted_p_value.unwrap());
            assert!(adjusted >= raw && adjusted <= 1.0);
        }
        let json = serde_json::to_value(&r).unwrap();
        assert_eq!(json["metrics"][3]["comparison"]["too_small"]["reason"], "few_conversions");
        assert_eq!(json["metrics"][1]["verdict"], "worse");
    }

    #[test]
    fn a_lower_is_better_metric_that_fell_is_better() {
        let r = readout(
            &[5000, 5000],
            &[1.0, 1.0],
            &[proportion("refunds", Goal::Decrease, false, 300, 200)],
            &ExperimentConfig::default(),
        );
        assert_eq!(r.metrics[0].verdict, Verdict::Better);
        assert!(!r.guardrail_worsened);
    }

    #[test]
    fn a_skewed_split_and_an_empty_arm() {
        let empty = Metric {
            name: "revenue".into(),
            goal: Goal::Increase,
            guardrail: false,
            data: MetricData::Mean { control: MeanStats::default(), treatment: MeanStats::from_values(&[1.0, 2.0]) },
        };
        let r = readout(&[5000, 5600], &[0.5, 0.5], &[empty], &ExperimentConfig::default());
        assert!(r.sample_ratio_mismatch);
        assert_eq!((r.metrics[0].verdict, r.metrics[0].adjusted_p_value), (Verdict::NotComputable, None));
    }
}
