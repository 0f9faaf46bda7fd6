//! The experiment readouts against an independent reference: scipy and statsmodels on the same
//! data (Welch's t-test and its interval, the delta-method relative interval, CUPED by OLS, the
//! chi-square sample-ratio test, Benjamini–Hochberg).
//!
//! Fixture: `fixtures/experiment_reference.json`, written by `scripts/reference/experiment.py`
//! from seeded data. CI does not run Python; to regenerate it:
//!
//! ```text
//! python3 -m venv /tmp/refvenv && /tmp/refvenv/bin/pip install scipy statsmodels numpy
//! /tmp/refvenv/bin/python scripts/reference/experiment.py
//! ```
//!
//! Every figure must agree to 1e-6 relative (1e-12 absolute near zero): the Rust works from sums
//! where numpy works from values, and statrs's special functions differ from scipy's in the last
//! digits, both far below that (every figure agrees to 1e-9 when this was written).

use rekindle_models::experiment::{
    Comparison, CupedStats, ExperimentConfig, Goal, MeanStats, Metric, MetricData, Proportion, benjamini_hochberg,
    compare_cuped, compare_means, compare_proportions, readout, sample_ratio_mismatch,
};
use serde_json::Value;

const REFERENCE: &str = include_str!("fixtures/experiment_reference.json");

fn reference() -> Value {
    serde_json::from_str(REFERENCE).unwrap()
}

fn close(actual: f64, expected: &Value, what: &str) {
    let expected = expected.as_f64().unwrap_or_else(|| panic!("{what}: no number in the reference"));
    let tolerance = 1e-6 * expected.abs().max(1e-6);
    assert!((actual - expected).abs() <= tolerance, "{what}: {actual} against the reference's {expected}");
}

fn config(case: &Value) -> ExperimentConfig {
    ExperimentConfig { alpha: case["alpha"].as_f64().unwrap(), ..ExperimentConfig::default() }
}

fn parse<T: serde::de::DeserializeOwned>(v: &Value) -> T {
    serde_json::from_value(v.clone()).unwrap()
}

/// Every figure scipy gives for one comparison.
fn check(c: &Comparison, e: &Value, name: &str) {
    close(c.control_mean, &e["control_mean"], &format!("{name} control mean"));
    close(c.treatment_mean, &e["treatment_mean"], &format!("{name} treatment mean"));
    close(c.absolute.estimate, &e["absolute"], &format!("{name} absolute lift"));
    let ci = c.absolute.ci.unwrap();
    close(ci.low, &e["absolute_ci"][0], &format!("{name} absolute CI low"));
    close(ci.high, &e["absolute_ci"][1], &format!("{name} absolute CI high"));
    close(c.p_value.unwrap(), &e["p_value"], &format!("{name} p-value"));
    close(c.degrees_of_freedom.unwrap(), &e["degrees_of_freedom"], &format!("{name} degrees of freedom"));
    match &c.relative {
        None => assert!(e["relative"].is_null(), "{name}: no relative lift, the reference has one"),
        Some(relative) => {
            close(relative.estimate, &e["relative"], &format!("{name} relative lift"));
            let ci = relative.ci.unwrap();
            close(ci.low, &e["relative_ci"][0], &format!("{name} relative CI low"));
            close(ci.high, &e["relative_ci"][1], &format!("{name} relative CI high"));
        }
    }
}

fn check_with_alpha(c: &Comparison, e: &Value, alpha: f64, name: &str) {
    check(c, e, name);
    assert_eq!(c.significant, e["p_value"].as_f64().unwrap() < alpha, "{name}: significance");
    if let Some(enough) = e["enough_data"].as_bool() {
        assert_eq!(c.enough_data, enough, "{name}: enough data");
    }
}

#[test]
fn proportions_agree_with_scipy() {
    let reference = reference();
    for case in reference["proportions"].as_array().unwrap() {
        let name = case["name"].as_str().unwrap();
        let (control, treatment): (Proportion, Proportion) = (parse(&case["control"]), parse(&case["treatment"]));
        let c = compare_proportions(control, treatment, &config(case)).unwrap();
        check_with_alpha(&c, &case["expected"], config(case).alpha, name);
    }
}

#[test]
fn means_agree_with_scipy() {
    let reference = reference();
    for case in reference["means"].as_array().unwrap() {
        let name = case["name"].as_str().unwrap();
        let (control, treatment): (MeanStats, MeanStats) = (parse(&case["control"]), parse(&case["treatment"]));
        let c = compare_means(&control, &treatment, &config(case)).unwrap();
        check_with_alpha(&c, &case["expected"], config(case).alpha, name);
        if let Some(raw) = case.get("raw") {
            let values = |v: &Value| v.as_array().unwrap().iter().map(|x| x.as_f64().unwrap()).collect::<Vec<_>>();
            let from_raw = MeanStats::from_values(&values(&raw["control"]));
            close(from_raw.sum, &case["control"]["sum"], &format!("{name} Σ from the raw values"));
            let c =
                compare_means(&from_raw, &MeanStats::from_values(&values(&raw["treatment"])), &config(case)).unwrap();
            check(&c, &case["expected"], &format!("{name} from the raw values"));
        }
    }
}

#[test]
fn cuped_agrees_with_ols() {
    let reference = reference();
    for case in reference["cuped"].as_array().unwrap() {
        let name = case["name"].as_str().unwrap();
        let (control, treatment): (CupedStats, CupedStats) = (parse(&case["control"]), parse(&case["treatment"]));
        let r = compare_cuped(&control, &treatment, &config(case)).unwrap();
        let e = &case["expected"];
        close(r.theta, &e["theta"], &format!("{name} θ"));
        check_with_alpha(&r.adjusted, &e["adjusted"], config(case).alpha, &format!("{name} adjusted"));
        check_with_alpha(&r.unadjusted, &e["unadjusted"], config(case).alpha, &format!("{name} unadjusted"));
        close(r.variance_reduction.unwrap(), &e["variance_reduction"], &format!("{name} variance reduction"));
        let adjusted = &e["adjusted"];
        close(r.adjusted.control_variance, &adjusted["control_variance"], &format!("{name} adjusted control variance"));
        close(
            r.adjusted.treatment_variance,
            &adjusted["treatment_variance"],
            &format!("{name} adjusted treatment variance"),
        );
    }
}

#[test]
fn sample_ratio_agrees_with_scipy() {
    let reference = reference();
    for case in reference["srm"].as_array().unwrap() {
        let observed: Vec<u64> = parse(&case["observed"]);
        let weights: Vec<f64> = parse(&case["weights"]);
        let s = sample_ratio_mismatch(&observed, &weights).unwrap();
        let e = &case["expected"];
        let what = format!("{observed:?}");
        close(s.chi_square, &e["chi_square"], &format!("{what} χ²"));
        close(s.p_value, &e["p_value"], &format!("{what} p"));
        assert_eq!(s.degrees_of_freedom, e["degrees_of_freedom"].as_u64().unwrap());
        assert_eq!(s.mismatch, e["mismatch"].as_bool().unwrap(), "{what}");
        for (a, x) in s.expected.iter().zip(e["expected_counts"].as_array().unwrap()) {
            close(*a, x, &format!("{what} expected count"));
        }
    }
}

#[test]
fn benjamini_hochberg_agrees_with_statsmodels() {
    let reference = reference();
    for case in reference["bh"].as_array().unwrap() {
        let p: Vec<f64> = parse(&case["p_values"]);
        let adjusted = benjamini_hochberg(&p);
        for (i, (a, e)) in adjusted.iter().zip(case["adjusted"].as_array().unwrap()).enumerate() {
            close(*a, e, &format!("BH {i} of {p:?}"));
        }
    }
}

/// The readout over the reference's proportion and mean metrics adjusts their p-values as
/// statsmodels does (the first BH case is those p-values, in that order).
#[test]
fn a_readout_adjusts_across_its_metrics() {
    let reference = reference();
    let mut metrics = Vec::new();
    for case in reference["proportions"].as_array().unwrap() {
        let data = MetricData::Proportion { control: parse(&case["control"]), treatment: parse(&case["treatment"]) };
        metrics.push(Metric {
            name: case["name"].as_str().unwrap().into(),
            goal: Goal::Increase,
            guardrail: false,
            data,
        });
    }
    for case in reference["means"].as_array().unwrap() {
        let data = MetricData::Mean { control: parse(&case["control"]), treatment: parse(&case["treatment"]) };
        metrics.push(Metric {
            name: case["name"].as_str().unwrap().into(),
            goal: Goal::Increase,
            guardrail: false,
            data,
        });
    }
    let r = readout(&[5000, 5300], &[1.0, 1.0], &metrics, &ExperimentConfig::default());
    let expected = reference["bh"][0]["adjusted"].as_array().unwrap();
    assert_eq!(r.metrics.len(), expected.len());
    for (m, e) in r.metrics.iter().zip(expected) {
        close(m.adjusted_p_value.unwrap(), e, &format!("{} adjusted p", m.name));
    }
    close(r.sample_ratio.as_ref().unwrap().p_value, &reference["srm"][1]["expected"]["p_value"], "readout SRM p");
    // Serialised without a NaN anywhere.
    let json = serde_json::to_string(&r).unwrap();
    assert!(!json.contains("NaN") && !json.contains("inf"), "{json}");
}
