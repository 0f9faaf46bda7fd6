//! BG/NBD (Fader, Hardie & Lee 2005, "Counting your customers the easy way"): while alive a
//! customer buys at a Poisson rate λ ~ Gamma(r, α); after each purchase they drop out with
//! probability p ~ Beta(a, b). From (x, t_x, T) per customer it gives P(alive) and the purchases
//! to expect.

use statrs::function::gamma::{digamma, ln_gamma};

use crate::ModelError;
use crate::fit::{Fitted, maximise};
use crate::hyp2f1::hyp2f1;
use crate::summary::Customer;

/// Fewer customers than this cannot say anything about four parameters.
pub const MIN_CUSTOMERS: usize = 10;

#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct BgNbd {
    pub r: f64,
    pub alpha: f64,
    pub a: f64,
    pub b: f64,
}

/// Customers with the same (x, t_x, T) weigh in together: the likelihood is a sum over
/// customers, and real data (whole days, few purchases) repeats the same triples a lot. Each
/// of x, t_x and T is also replaced by its index among its distinct values, so the logarithms
/// of α + T and α + t_x are taken once per distinct value, and the terms of x alone once per
/// distinct x, at each evaluation.
struct Grouped {
    /// Distinct x, and how many customers have each.
    xs: Vec<f64>,
    customers_by_x: Vec<f64>,
    /// Distinct T and t_x.
    ts: Vec<f64>,
    t_xs: Vec<f64>,
    groups: Vec<Group>,
}

#[derive(Clone, Copy)]
struct Group {
    x: u32,
    t_x: u32,
    t: u32,
    /// How many customers.
    n: f64,
}

/// The key a value sorts by: for non-negative floats (`check` ensures them) the bits order as
/// the values do, and integers compare faster than floats. `+ 0.0` makes −0 into +0.
fn key(v: f64) -> u64 {
    (v + 0.0).to_bits()
}

fn index_of(values: &[f64], v: f64) -> u32 {
    values.binary_search_by_key(&key(v), |d| key(*d)).expect("a value of the table") as u32
}

/// Whole numbers below 2^21 (days: 5,700 years) pack into one u64, which sorts two to three
/// times faster than three of them; summaries in whole days always do.
fn packed(c: &Customer) -> Option<u64> {
    let fits = |v: f64| v.fract() == 0.0 && (0.0..(1u64 << 21) as f64).contains(&v);
    (fits(c.x) && fits(c.t_x) && fits(c.t)).then_some(((c.x as u64) << 42) | ((c.t_x as u64) << 21) | c.t as u64)
}

fn group(customers: &[Customer]) -> Grouped {
    // (x, t_x, T, how many), in order of (x, t_x, T).
    let mut triples: Vec<(f64, f64, f64, f64)> = Vec::new();
    let mut add = |x: f64, t_x: f64, t: f64| match triples.last_mut() {
        Some(g) if (key(g.0), key(g.1), key(g.2)) == (key(x), key(t_x), key(t)) => g.3 += 1.0,
        _ => triples.push((x, t_x, t, 1.0)),
    };
    if let Some(mut keys) = customers.iter().map(packed).collect::<Option<Vec<u64>>>() {
        keys.sort_unstable();
        let field = |k: u64, shift: u32| ((k >> shift) & ((1 << 21) - 1)) as f64;
        keys.iter().for_each(|&k| add(field(k, 42), field(k, 21), field(k, 0)));
    } else {
        let mut sorted: Vec<(u64, u64, u64)> = customers.iter().map(|c| (key(c.x), key(c.t_x), key(c.t))).collect();
        sorted.sort_unstable();
        sorted.iter().for_each(|&(x, t_x, t)| add(f64::from_bits(x), f64::from_bits(t_x), f64::from_bits(t)));
    }
    let distinct = |pick: fn(&(f64, f64, f64, f64)) -> f64| {
        let mut values: Vec<f64> = triples.iter().map(pick).collect();
        values.sort_unstable_by_key(|v| key(*v));
        values.dedup_by_key(|v| key(*v));
        values
    };
    let (xs, t_xs, ts) = (distinct(|g| g.0), distinct(|g| g.1), distinct(|g| g.2));
    let mut customers_by_x = vec![0.0; xs.len()];
    let groups = triples
        .iter()
        .map(|&(x, t_x, t, n)| {
            let x = index_of(&xs, x);
            customers_by_x[x as usize] += n;
            Group { x, t_x: index_of(&t_xs, t_x), t: index_of(&ts, t), n }
        })
        .collect();
    Grouped { xs, customers_by_x, ts, t_xs, groups }
}

fn check(customers: &[Customer]) -> Result<(), ModelError> {
    if customers.len() < MIN_CUSTOMERS {
        return Err(ModelError::TooFewCustomers { found: customers.len(), needed: MIN_CUSTOMERS });
    }
    if let Some(c) = customers
        .iter()
        .find(|c| !(c.x.is_finite() && c.t_x.is_finite() && c.t.is_finite()) || c.x < 0.0 || c.t_x < 0.0 || c.t_x > c.t)
    {
        return Err(ModelError::InvalidData(format!("x = {}, t_x = {}, T = {}", c.x, c.t_x, c.t)));
    }
    if customers.iter().all(|c| c.x == 0.0) {
        return Err(ModelError::NoRepeatBuyers);
    }
    if customers.iter().all(|c| c.t == 0.0) {
        return Err(ModelError::InvalidData("no customer has been observed for any time (T = 0)".into()));
    }
    Ok(())
}

/// Which model's likelihood.
#[derive(Clone, Copy, PartialEq)]
enum Variant {
    BgNbd,
    /// MBG/NBD (Batislam, Denizel & Filiztekin 2007): as BG/NBD, but a customer may also drop
    /// out right after their first purchase, so a one-time buyer's P(alive) falls as they stay
    /// silent (BG/NBD holds it at 1).
    Modified,
}

/// What depends on x alone, at given parameters.
struct ByX {
    r_x: f64,
    /// ln of the chance of having dropped out after the last purchase, against alive: ln a −
    /// ln(b + x − 1) (BG/NBD; none without repeats) or ln a − ln(b + x) (MBG/NBD).
    ln_odds: Option<f64>,
    /// ∂(ln odds)/∂b.
    d_odds_b: f64,
}

impl Grouped {
    /// The log-likelihood at `p` = [r, α, a, b], and its gradient with respect to `p` in
    /// `gradient`, in one pass. Per customer (FHL 2005, eq. 6; Batislam et al. 2007):
    ///
    /// ln L = c(x) + ln(e^A + e^(o(x) + B)), A = −(r + x) ln(α + T), B = −(r + x) ln(α + t_x),
    ///
    /// c(x) = r ln α + lnΓ(r + x) − lnΓ(r) + lnΓ(a + b) + lnΓ(b + x + s) − lnΓ(b) − lnΓ(a + b + x + s),
    /// o(x) = ln a − ln(b + x + s − 1), with s = 0 for BG/NBD (and no second term when x = 0),
    /// s = 1 for MBG/NBD. With w the weight of the second term, e^(o+B) / (e^A + e^(o+B)), the
    /// derivative of the log-sum-exp is the w-weighted mix of its two terms' derivatives.
    fn evaluate(&self, variant: Variant, p: &[f64], gradient: &mut [f64]) -> f64 {
        let (r, alpha, a, b) = (p[0], p[1], p[2], p[3]);
        let s = if variant == Variant::Modified { 1.0 } else { 0.0 };
        let (ln_alpha, psi_r, psi_ab, psi_b) = (alpha.ln(), digamma(r), digamma(a + b), digamma(b));
        let common = r * ln_alpha + ln_gamma(a + b) - ln_gamma(r) - ln_gamma(b);
        let (mut ll, mut d_r, mut d_alpha, mut d_a, mut d_b) = (0.0, 0.0, 0.0, 0.0, 0.0);
        let by_x: Vec<ByX> = self
            .xs
            .iter()
            .zip(&self.customers_by_x)
            .map(|(&x, &n)| {
                let (bx, abx) = (b + x + s, a + b + x + s);
                ll += n * (common + ln_gamma(r + x) + ln_gamma(bx) - ln_gamma(abx));
                d_r += n * (ln_alpha - psi_r + digamma(r + x));
                d_a += n * (psi_ab - digamma(abx));
                d_b += n * (psi_ab - psi_b + digamma(bx) - digamma(abx));
                let second = x + s > 0.0;
                ByX {
                    r_x: r + x,
                    ln_odds: second.then(|| a.ln() - (bx - 1.0).ln()),
                    d_odds_b: if second { -1.0 / (bx - 1.0) } else { 0.0 },
                }
            })
            .collect();
        d_alpha += r / alpha * self.customers_by_x.iter().sum::<f64>();
        let logs = |values: &[f64]| -> Vec<(f64, f64)> {
            values.iter().map(|v| ((alpha + v).ln(), 1.0 / (alpha + v))).collect()
        };
        let (ts, t_xs) = (logs(&self.ts), logs(&self.t_xs));
        // Σ n·ln(1 + e) over the groups is kept as the logarithm of a running product, taken
        // when the product grows large: one `ln` per few hundred groups instead of one per
        // group (each factor is in (1, 2], so a factor to a power of at most 32 cannot
        // overflow a product below 1e280).
        let (mut product, mut sum_w) = (1.0, 0.0);
        for g in &self.groups {
            let x = &by_x[g.x as usize];
            let (ln_t, inv_t) = ts[g.t as usize];
            let n = g.n;
            match x.ln_odds {
                None => {
                    ll -= n * x.r_x * ln_t;
                    d_r -= n * ln_t;
                    d_alpha -= n * x.r_x * inv_t;
                }
                Some(ln_odds) => {
                    let (ln_tx, inv_tx) = t_xs[g.t_x as usize];
                    // ln(e^A + e^(o+B)) = A + max(d, 0) + ln(1 + e^−|d|), d = o + B − A:
                    // no overflow whatever the sign of d.
                    let d = ln_odds + x.r_x * (ln_t - ln_tx);
                    let e = (-d.abs()).exp();
                    let factor = 1.0 + e;
                    let w = if d > 0.0 { 1.0 / factor } else { e / factor };
                    ll += n * (d.max(0.0) - x.r_x * ln_t);
                    if n <= 32.0 {
                        product *= factor.powi(n as i32);
                        if product > 1e280 {
                            ll += product.ln();
                            product = 1.0;
                        }
                    } else {
                        ll += n * factor.ln();
                    }
                    d_r -= n * (ln_t + w * (ln_tx - ln_t));
                    d_alpha -= n * x.r_x * (inv_t + w * (inv_tx - inv_t));
                    sum_w += n * w;
                    d_b += n * w * x.d_odds_b;
                }
            }
        }
        ll += product.ln();
        d_a += sum_w / a;
        gradient.copy_from_slice(&[d_r, d_alpha, d_a, d_b]);
        ll
    }

    fn log_likelihood(&self, variant: Variant, p: &[f64]) -> f64 {
        self.evaluate(variant, p, &mut [0.0; 4])
    }
}

/// Where every fit starts: α at the customers' mean observation time.
fn start(customers: &[Customer]) -> [f64; 4] {
    let mean_t = customers.iter().map(|c| c.t).sum::<f64>() / customers.len() as f64;
    [1.0, mean_t.max(1e-3), 1.0, 1.0]
}

impl BgNbd {
    /// Fit by maximum likelihood (see [`crate::fit`] for the optimiser and its checks).
    pub fn fit(customers: &[Customer]) -> Result<Fitted<4>, ModelError> {
        check(customers)?;
        let grouped = group(customers);
        maximise(|p, g| grouped.evaluate(Variant::BgNbd, p, g), start(customers))
    }

    /// Fit the MBG/NBD variant (see `Variant::Modified`); its P(alive) is
    /// [`BgNbd::p_alive_modified`].
    pub fn fit_modified(customers: &[Customer]) -> Result<Fitted<4>, ModelError> {
        check(customers)?;
        let grouped = group(customers);
        maximise(|p, g| grouped.evaluate(Variant::Modified, p, g), start(customers))
    }

    /// P(alive) under MBG/NBD parameters: defined for one-time buyers too.
    pub fn p_alive_modified(&self, c: &Customer) -> f64 {
        let odds = (self.a / (self.b + c.x)) * ((self.alpha + c.t) / (self.alpha + c.t_x)).powf(self.r + c.x);
        1.0 / (1.0 + odds)
    }

    pub fn params(f: &Fitted<4>) -> Self {
        let [r, alpha, a, b] = f.params;
        Self { r, alpha, a, b }
    }

    /// The log-likelihood of these parameters for `customers`.
    pub fn log_likelihood(&self, customers: &[Customer]) -> f64 {
        group(customers).log_likelihood(Variant::BgNbd, &[self.r, self.alpha, self.a, self.b])
    }

    /// The gradient of [`BgNbd::log_likelihood`] with respect to (r, α, a, b): zero at the
    /// maximum-likelihood fit.
    pub fn gradient(&self, customers: &[Customer]) -> [f64; 4] {
        let mut gradient = [0.0; 4];
        group(customers).evaluate(Variant::BgNbd, &[self.r, self.alpha, self.a, self.b], &mut gradient);
        gradient
    }

    /// The chance the customer is still alive at the end of their observation (FHL 2005, eq. 13 of
    /// the technical note). 1 without repeat purchases: the model assumes nobody drops out before
    /// their first repeat.
    pub fn p_alive(&self, c: &Customer) -> f64 {
        if c.x == 0.0 {
            return 1.0;
        }
        let odds = (self.a / (self.b + c.x - 1.0)) * ((self.alpha + c.t) / (self.alpha + c.t_x)).powf(self.r + c.x);
        1.0 / (1.0 + odds)
    }

    /// Purchases to expect from the customer in the next `t` (FHL 2005, eq. 10).
    pub fn expected_purchases(&self, c: &Customer, t: f64) -> f64 {
        let BgNbd { r, alpha, a, b } = *self;
        let (x, t_x, big_t) = (c.x, c.t_x, c.t);
        let z = t / (alpha + big_t + t);
        let ratio = ((alpha + big_t) / (alpha + big_t + t)).powf(r + x);
        let numerator = (a + b + x - 1.0) / (a - 1.0) * (1.0 - ratio * hyp2f1(r + x, b + x, a + b + x - 1.0, z));
        let denominator =
            if x > 0.0 { 1.0 + (a / (b + x - 1.0)) * ((alpha + big_t) / (alpha + t_x)).powf(r + x) } else { 1.0 };
        numerator / denominator
    }

    /// Purchases to expect in `t` from a customer just acquired (FHL 2005, eq. 7): for
    /// calibration plots of the population.
    pub fn expected_purchases_new(&self, t: f64) -> f64 {
        let BgNbd { r, alpha, a, b } = *self;
        let z = t / (alpha + t);
        (a + b - 1.0) / (a - 1.0) * (1.0 - (alpha / (alpha + t)).powf(r) * hyp2f1(r, b, a + b - 1.0, z))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn customers(n: usize) -> Vec<Customer> {
        (0..n).map(|i| Customer { x: (i % 4) as f64, t_x: (i % 4) as f64 * 2.0, t: 10.0 }).collect()
    }

    #[test]
    fn degenerate_inputs_are_errors_not_nans() {
        assert_eq!(BgNbd::fit(&customers(1)), Err(ModelError::TooFewCustomers { found: 1, needed: MIN_CUSTOMERS }));
        let no_repeats: Vec<Customer> = (0..50).map(|_| Customer { x: 0.0, t_x: 0.0, t: 5.0 }).collect();
        assert_eq!(BgNbd::fit(&no_repeats), Err(ModelError::NoRepeatBuyers));
        let zeros: Vec<Customer> = (0..50).map(|_| Customer { x: 0.0, t_x: 0.0, t: 0.0 }).collect();
        assert_eq!(BgNbd::fit(&zeros), Err(ModelError::NoRepeatBuyers));
        let mut bad = customers(20);
        bad[3].t_x = 11.0;
        assert!(matches!(BgNbd::fit(&bad), Err(ModelError::InvalidData(_))));
        bad[3].t_x = f64::NAN;
        assert!(matches!(BgNbd::fit(&bad), Err(ModelError::InvalidData(_))));
    }

    /// The per-customer likelihood as written in the papers, without grouping or tables.
    fn direct(variant: Variant, p: &[f64], c: &Customer) -> f64 {
        let (r, alpha, a, b) = (p[0], p[1], p[2], p[3]);
        let s = if variant == Variant::Modified { 1.0 } else { 0.0 };
        let x = c.x;
        let base = ln_gamma(r + x) - ln_gamma(r) + r * alpha.ln() + ln_gamma(a + b) + ln_gamma(b + x + s)
            - ln_gamma(b)
            - ln_gamma(a + b + x + s);
        let first = (alpha + c.t).powf(-(r + x));
        let second = if x + s > 0.0 { a / (b + x + s - 1.0) * (alpha + c.t_x).powf(-(r + x)) } else { 0.0 };
        base + (first + second).ln()
    }

    /// Customers drawn from BG/NBD with CDNOW-like parameters in days, observed 1–365 days,
    /// summarised to whole days (as `rekindle bench models` draws them).
    pub(crate) fn simulate(n: usize, seed: u64) -> Vec<Customer> {
        use rand::{Rng, SeedableRng};
        use rand_distr::{Beta, Distribution, Exp, Gamma};
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(seed);
        let lambda = Gamma::new(0.243, 1.0 / (4.414 * 7.0)).unwrap();
        let dropout = Beta::new(0.793, 2.426).unwrap();
        (0..n)
            .map(|_| {
                let age = f64::from(rng.random_range(1..=365u32));
                let rate: f64 = lambda.sample(&mut rng);
                let wait = Exp::new(rate.max(1e-12)).unwrap();
                let p = dropout.sample(&mut rng);
                let (mut times, mut t) = (vec![0.0], 0.0);
                loop {
                    t += wait.sample(&mut rng);
                    if t > age {
                        break;
                    }
                    times.push(t);
                    if rng.random_bool(p) {
                        break;
                    }
                }
                Customer::from_purchases(&times, age, 1.0).unwrap()
            })
            .collect()
    }

    #[test]
    fn grouping_does_not_change_the_likelihood() {
        let m = BgNbd { r: 0.5, alpha: 3.0, a: 0.8, b: 2.0 };
        let p = [m.r, m.alpha, m.a, m.b];
        let mut cs = customers(40);
        cs.extend(simulate(300, 1));
        for variant in [Variant::BgNbd, Variant::Modified] {
            let one_by_one: f64 = cs.iter().map(|c| direct(variant, &p, c)).sum();
            let grouped = group(&cs).log_likelihood(variant, &p);
            assert!((grouped - one_by_one).abs() < 1e-9 * one_by_one.abs(), "{grouped} {one_by_one}");
        }
    }

    #[test]
    fn whole_and_fractional_times_group_alike() {
        let whole = simulate(2_000, 4);
        // The same customers a quarter-day later: no longer whole numbers, so not packed.
        let shifted: Vec<Customer> = whole.iter().map(|c| Customer { t: c.t + 0.25, ..*c }).collect();
        assert!(whole.iter().all(|c| packed(c).is_some()) && packed(&shifted[0]).is_none());
        let (a, b) = (group(&whole), group(&shifted));
        assert_eq!(
            (a.groups.len(), &a.xs, &a.t_xs, &a.customers_by_x),
            (b.groups.len(), &b.xs, &b.t_xs, &b.customers_by_x)
        );
        for (g, h) in a.groups.iter().zip(&b.groups) {
            assert_eq!((g.x, g.t_x, g.n, a.ts[g.t as usize] + 0.25), (h.x, h.t_x, h.n, b.ts[h.t as usize]));
        }
    }

    /// Relative error of the analytic gradient against central differences of the value.
    fn gradient_error(variant: Variant, grouped: &Grouped, p: [f64; 4]) -> f64 {
        let mut analytic = [0.0; 4];
        grouped.evaluate(variant, &p, &mut analytic);
        crate::gradient_check::gradient_error(p, |p| grouped.log_likelihood(variant, p), analytic)
    }

    #[test]
    fn the_gradient_agrees_with_finite_differences_at_the_optimum() {
        let cs = simulate(5_000, 3);
        let grouped = group(&cs);
        for (variant, fitted) in [(Variant::BgNbd, BgNbd::fit(&cs)), (Variant::Modified, BgNbd::fit_modified(&cs))] {
            let fitted = fitted.unwrap();
            let error = gradient_error(variant, &grouped, fitted.params);
            assert!(error < 1e-8, "{error}");
            // And the gradient vanishes there (per unit of ln p, relative to the likelihood).
            let mut g = [0.0; 4];
            grouped.evaluate(variant, &fitted.params, &mut g);
            for (gi, pi) in g.iter().zip(fitted.params) {
                assert!((gi * pi / fitted.log_likelihood).abs() < 1e-7, "{g:?}");
            }
        }
    }

    /// L-BFGS and the derivative-free Nelder–Mead reach the same optimum.
    #[test]
    fn lbfgs_reaches_the_nelder_mead_optimum() {
        for seed in [6, 5] {
            let cs = simulate(20_000, seed);
            let grouped = group(&cs);
            for variant in [Variant::BgNbd, Variant::Modified] {
                let quasi_newton = maximise(|p, g| grouped.evaluate(variant, p, g), start(&cs)).unwrap();
                let nelder_mead =
                    crate::fit::maximise_nelder_mead(|p| grouped.log_likelihood(variant, p), start(&cs)).unwrap();
                let gap = (quasi_newton.log_likelihood - nelder_mead.log_likelihood) / nelder_mead.log_likelihood.abs();
                assert!(gap.abs() < 1e-8, "seed {seed}: {quasi_newton:?} against {nelder_mead:?}");
                assert!(quasi_newton.restarts >= 1);
                assert!(quasi_newton.evaluations * 3 < nelder_mead.evaluations, "{quasi_newton:?} {nelder_mead:?}");
            }
        }
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(64))]

        #[test]
        fn the_gradient_agrees_with_finite_differences(
            r in 0.05f64..5.0, alpha in 0.5f64..100.0, a in 0.1f64..5.0, b in 0.2f64..10.0,
            seed in 0u64..1_000, modified: bool,
        ) {
            let cs = simulate(200, seed);
            let variant = if modified { Variant::Modified } else { Variant::BgNbd };
            let error = gradient_error(variant, &group(&cs), [r, alpha, a, b]);
            proptest::prop_assert!(error < 1e-7, "{}", error);
        }
    }

    #[test]
    fn p_alive_falls_with_silence() {
        let m = BgNbd { r: 0.243, alpha: 4.414, a: 0.793, b: 2.426 };
        let recent = m.p_alive(&Customer { x: 3.0, t_x: 30.0, t: 32.0 });
        let silent = m.p_alive(&Customer { x: 3.0, t_x: 5.0, t: 32.0 });
        assert!(recent > silent && (0.0..=1.0).contains(&silent), "{recent} {silent}");
    }
}
