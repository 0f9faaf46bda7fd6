"""The reference for rekindle-models' experiment readouts (crates/rekindle-models/src/experiment):
the same figures computed independently with scipy and statsmodels on fixed data, written to
crates/rekindle-models/tests/fixtures/experiment_reference.json, which
crates/rekindle-models/tests/experiment.rs checks the Rust against. CI does not run Python: the
JSON is the reference; rerun this only to change the cases.

- Welch t-test p-value, degrees of freedom and the CI of the absolute difference:
  scipy.stats.ttest_ind(equal_var=False) and its confidence_interval(), on per-unit values
  (a proportion as 0/1 values);
- the relative lift's delta-method CI, written out plainly in numpy;
- CUPED: θ as the OLS slope of post on pre over both arms pooled (statsmodels), the adjusted
  means and variances from y − θx per unit (numpy), and the Welch test on y − θx (scipy);
- the sample-ratio chi-square: scipy.stats.chisquare;
- Benjamini–Hochberg: statsmodels.stats.multitest.multipletests(method="fdr_bh").

usage:
    python3 -m venv /tmp/refvenv && /tmp/refvenv/bin/pip install scipy statsmodels numpy
    /tmp/refvenv/bin/python scripts/reference/experiment.py
"""
import json
import math
import pathlib

import numpy as np
import scipy
import statsmodels
import statsmodels.api as sm
from scipy import stats
from statsmodels.stats.multitest import multipletests

SEED = 20240601
OUT = (pathlib.Path(__file__).resolve().parents[2]
       / "crates/rekindle-models/tests/fixtures/experiment_reference.json")
# Rekindle's "too small to conclude" rule (ExperimentConfig::default()).
MIN_UNITS, MIN_CONVERSIONS = 100, 30

rng = np.random.default_rng(SEED)


def welch(control, treatment, alpha, relative=None):
    """scipy's Welch test on per-unit values, plus the relative lift. `relative` computes the
    relative lift's (estimate, variance) for CUPED; by default the plain delta method."""
    control, treatment = np.asarray(control, float), np.asarray(treatment, float)
    test = stats.ttest_ind(treatment, control, equal_var=False)
    ci = test.confidence_interval(confidence_level=1 - alpha)
    mc, mt = control.mean(), treatment.mean()
    out = {
        "control_mean": mc,
        "treatment_mean": mt,
        "absolute": mt - mc,
        "absolute_ci": [ci.low, ci.high],
        "p_value": test.pvalue,
        "degrees_of_freedom": test.df,
    }
    if relative is None and mc != 0:
        # Var(t̄/c̄ − 1) ≈ Var(t̄)/c̄² + Var(c̄)·t̄²/c̄⁴ (the delta method; gbstats's TwoSidedTTest).
        var_t = treatment.var(ddof=1) / len(treatment)
        var_c = control.var(ddof=1) / len(control)
        relative = ((mt - mc) / mc, var_t / mc**2 + var_c * mt**2 / mc**4)
    if relative is None:
        out["relative"], out["relative_ci"] = None, None
    else:
        estimate, variance = relative
        half = stats.t.ppf(1 - alpha / 2, test.df) * math.sqrt(variance)
        out["relative"], out["relative_ci"] = estimate, [estimate - half, estimate + half]
    return out


def mean_stats(values):
    values = np.asarray(values, float)
    return {"n": len(values), "sum": math.fsum(values), "sum_squares": math.fsum(values * values)}


def proportion_case(name, n_c, p_c, n_t, p_t, alpha=0.05):
    c_conv, t_conv = int(rng.binomial(n_c, p_c)), int(rng.binomial(n_t, p_t))
    control = np.r_[np.ones(c_conv), np.zeros(n_c - c_conv)]
    treatment = np.r_[np.ones(t_conv), np.zeros(n_t - t_conv)]
    fewest_units = min(n_c, n_t)
    fewest_outcome = min(c_conv, n_c - c_conv, t_conv, n_t - t_conv)
    expected = welch(control, treatment, alpha)
    expected["enough_data"] = fewest_units >= MIN_UNITS and fewest_outcome >= MIN_CONVERSIONS
    return {
        "name": name,
        "alpha": alpha,
        "control": {"n": n_c, "conversions": c_conv},
        "treatment": {"n": n_t, "conversions": t_conv},
        "expected": expected,
    }


def mean_case(name, control, treatment, alpha=0.05, raw=False):
    expected = welch(control, treatment, alpha)
    expected["enough_data"] = min(len(control), len(treatment)) >= MIN_UNITS
    case = {
        "name": name,
        "alpha": alpha,
        "control": mean_stats(control),
        "treatment": mean_stats(treatment),
        "expected": expected,
    }
    if raw:
        case["raw"] = {"control": list(map(float, control)), "treatment": list(map(float, treatment))}
    return case


def revenue_fen(n, buy_rate, scale):
    """Revenue per person in whole fen: most buy nothing, buyers spend a long-tailed amount."""
    buys = rng.random(n) < buy_rate
    return np.where(buys, np.round(rng.lognormal(math.log(scale), 0.8, n)), 0.0)


def cuped_case(name, n_c, n_t, effect, noise, alpha=0.05):
    """Pre-period revenue x; post y = 0.7·x + fresh spend (+ the effect in the treatment)."""
    def arm(n, lift):
        x = revenue_fen(n, 0.4, 9000)
        y = np.round(0.7 * x + revenue_fen(n, 0.3, noise) * lift)
        return x, y

    (xc, yc), (xt, yt) = arm(n_c, 1.0), arm(n_t, 1.0 + effect)
    x, y = np.r_[xc, xt], np.r_[yc, yt]
    theta = sm.OLS(y, sm.add_constant(x)).fit().params[1]
    # The same slope by the covariance formula, as a check on the check.
    assert abs(theta - np.cov(x, y, ddof=1)[0, 1] / x.var(ddof=1)) < 1e-9 * abs(theta)
    x_bar = x.mean()
    zc, zt = yc - theta * xc, yt - theta * xt

    # The delta method on (z̄_t − z̄_c) / ȳ_c, with ȳ_c and x̄_c of the control entering both the
    # numerator and the denominator (gbstats's relative CUPED variance).
    m = yc.mean()
    ratio = yt.mean() / m
    cov_c = np.cov(xc, yc, ddof=1)[0, 1]
    var_t = zt.var(ddof=1) / (n_t * m**2)
    var_c = (yc.var(ddof=1) * ratio**2 - 2 * theta * cov_c * ratio + theta**2 * xc.var(ddof=1)) / (n_c * m**2)
    relative = ((zt.mean() - zc.mean()) / m, var_t + var_c)
    adjusted = welch(zc, zt, alpha, relative)
    # Means adjusted to the pooled pre-period mean: ȳ − θ(x̄ − x̄ pooled); differences unchanged.
    adjusted["control_mean"] = yc.mean() - theta * (xc.mean() - x_bar)
    adjusted["treatment_mean"] = yt.mean() - theta * (xt.mean() - x_bar)
    adjusted["control_variance"] = zc.var(ddof=1)
    adjusted["treatment_variance"] = zt.var(ddof=1)
    plain = yc.var(ddof=1) / n_c + yt.var(ddof=1) / n_t
    reduced = zc.var(ddof=1) / n_c + zt.var(ddof=1) / n_t

    def sums(xs, ys):
        f = math.fsum
        return {"n": len(xs), "sum_x": f(xs), "sum_y": f(ys), "sum_x2": f(xs * xs),
                "sum_y2": f(ys * ys), "sum_xy": f(xs * ys)}

    return {
        "name": name,
        "alpha": alpha,
        "control": sums(xc, yc),
        "treatment": sums(xt, yt),
        "expected": {
            "theta": theta,
            "adjusted": adjusted,
            "unadjusted": welch(yc, yt, alpha),
            "variance_reduction": 1 - reduced / plain,
        },
    }


def srm_case(observed, weights):
    total = sum(observed)
    expected = [total * w / sum(weights) for w in weights]
    test = stats.chisquare(observed, expected)
    return {
        "observed": observed,
        "weights": weights,
        "expected": {
            "expected_counts": expected,
            "chi_square": test.statistic,
            "degrees_of_freedom": len(observed) - 1,
            "p_value": test.pvalue,
            "mismatch": bool(test.pvalue < 0.001),
        },
    }


def bh_case(p_values):
    return {"p_values": p_values, "adjusted": multipletests(p_values, method="fdr_bh")[1].tolist()}


proportions = [
    proportion_case("checkout_conversion", 4000, 0.10, 4100, 0.115),
    proportion_case("opt_out_rate", 6000, 0.02, 6050, 0.028),
    proportion_case("small_repurchase", 150, 0.05, 160, 0.09),
    proportion_case("coupon_use_alpha_10", 2500, 0.30, 2480, 0.31, alpha=0.10),
]
means = [
    mean_case("revenue_fen", revenue_fen(3000, 0.12, 8800), revenue_fen(3100, 0.13, 9400)),
    mean_case("basket_size_small", np.round(rng.normal(3.2, 1.1, 40), 2),
              np.round(rng.normal(3.6, 1.4, 45), 2), raw=True),
    mean_case("zero_control", np.zeros(200), np.round(rng.exponential(2.0, 210))),
    mean_case("watch_minutes_alpha_01", np.round(rng.gamma(2.0, 6.0, 1500), 1),
              np.round(rng.gamma(2.0, 6.4, 1520), 1), alpha=0.01),
]
cuped = [
    cuped_case("revenue_fen_cuped", 2000, 2050, effect=0.25, noise=6000),
    cuped_case("revenue_fen_cuped_weak", 1200, 1180, effect=0.05, noise=30000),
]
srm = [
    srm_case([5000, 5000], [0.5, 0.5]),
    srm_case([5000, 5300], [1.0, 1.0]),
    srm_case([5000, 5600], [50.0, 50.0]),
    srm_case([3300, 3400, 3500], [1.0, 1.0, 1.0]),
    srm_case([8000, 2150], [0.8, 0.2]),
]
metric_ps = [c["expected"]["p_value"] for c in proportions + means if c["expected"]["p_value"] == c["expected"]["p_value"]]
bh = [
    bh_case(metric_ps),
    bh_case([0.01, 0.04, 0.03, 0.005, 0.2, 0.04, 0.9]),
    bh_case([0.5]),
    bh_case([0.001, 0.001, 0.001, 0.049, 0.051]),
    bh_case(rng.uniform(0, 0.1, 12).tolist()),
]


def clean(v):
    """numpy scalars to plain floats; NaN is not JSON and must not be in the reference."""
    if isinstance(v, dict):
        return {k: clean(x) for k, x in v.items()}
    if isinstance(v, (list, tuple)):
        return [clean(x) for x in v]
    if isinstance(v, (np.bool_, bool)):
        return bool(v)
    if isinstance(v, (np.integer, int)):
        return int(v)
    if isinstance(v, (np.floating, float)):
        assert math.isfinite(v), v
        return float(v)
    return v


reference = {
    "generated_by": "scripts/reference/experiment.py",
    "seed": SEED,
    "versions": {"numpy": np.__version__, "scipy": scipy.__version__, "statsmodels": statsmodels.__version__},
    "proportions": proportions,
    "means": means,
    "cuped": cuped,
    "srm": srm,
    "bh": bh,
}
OUT.write_text(json.dumps(clean(reference), indent=1) + "\n")
print(f"wrote {OUT}")
