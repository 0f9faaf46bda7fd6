//! BG/NBD (Fader, Hardie & Lee 2005, "Counting your customers the easy way"): while alive a
//! customer buys at a Poisson rate λ ~ Gamma(r, α); after each purchase they drop out with
//! probability p ~ Beta(a, b). From (x, t_x, T) per customer it gives P(alive) and the purchases
//! to expect.

use statrs::function::gamma::ln_gamma;

use crate::ModelError;
use crate::fit::{Fitted, maximise};
use crate::hyp2f1::hyp2f1;
use crate::summary::Customer;

/// Fewer customers than this cannot say anything about four parameters.
pub const MIN_CUSTOMERS: usize = 10;

#[derive(Debug, Clone, Copy, PartialEq)]
pub struct BgNbd {
    pub r: f64,
    pub alpha: f64,
    pub a: f64,
    pub b: f64,
}

/// Customers with the same (x, t_x, T) weigh in together: the likelihood is a sum over
/// customers, and real data (whole days, few purchases) repeats the same triples a lot.
struct Grouped {
    /// (x, t_x, T, how many, index into `xs`)
    groups: Vec<(f64, f64, f64, f64, usize)>,
    xs: Vec<f64>,
}

fn group(customers: &[Customer]) -> Grouped {
    let mut sorted: Vec<(f64, f64, f64)> = customers.iter().map(|c| (c.x, c.t_x, c.t)).collect();
    sorted.sort_by(|a, b| a.partial_cmp(b).unwrap_or(std::cmp::Ordering::Equal));
    let mut groups: Vec<(f64, f64, f64, f64, usize)> = Vec::new();
    let mut xs: Vec<f64> = Vec::new();
    for (x, t_x, t) in sorted {
        match groups.last_mut() {
            Some(g) if (g.0, g.1, g.2) == (x, t_x, t) => g.3 += 1.0,
            _ => {
                if xs.last() != Some(&x) {
                    xs.push(x);
                }
                groups.push((x, t_x, t, 1.0, xs.len() - 1));
            }
        }
    }
    Grouped { groups, xs }
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

fn log_sum_exp(a: f64, b: f64) -> f64 {
    let m = a.max(b);
    m + ((a - m).exp() + (b - m).exp()).ln()
}

impl Grouped {
    /// MBG/NBD (Batislam, Denizel & Filiztekin 2007): as BG/NBD, but a customer may also drop
    /// out right after their first purchase, so a one-time buyer's P(alive) falls as they stay
    /// silent (BG/NBD holds it at 1).
    fn log_likelihood_modified(&self, p: &[f64]) -> f64 {
        let (r, alpha, a, b) = (p[0], p[1], p[2], p[3]);
        let common = r * alpha.ln() + ln_gamma(a + b) - ln_gamma(r) - ln_gamma(b);
        let by_x: Vec<(f64, f64)> = self
            .xs
            .iter()
            .map(|&x| {
                let c1 = common + ln_gamma(r + x) + ln_gamma(b + x + 1.0) - ln_gamma(a + b + x + 1.0);
                (c1, a.ln() - (b + x).ln())
            })
            .collect();
        self.groups
            .iter()
            .map(|&(x, t_x, t, n, i)| {
                let (c1, c4) = by_x[i];
                n * (c1 + log_sum_exp(-(r + x) * (alpha + t).ln(), c4 - (r + x) * (alpha + t_x).ln()))
            })
            .sum()
    }

    fn log_likelihood(&self, p: &[f64]) -> f64 {
        let (r, alpha, a, b) = (p[0], p[1], p[2], p[3]);
        let common = r * alpha.ln() + ln_gamma(a + b) - ln_gamma(r) - ln_gamma(b);
        // The terms that depend on x alone, once per distinct x.
        let by_x: Vec<(f64, f64)> = self
            .xs
            .iter()
            .map(|&x| {
                let c1 = common + ln_gamma(r + x) + ln_gamma(b + x) - ln_gamma(a + b + x);
                let c4 = if x > 0.0 { a.ln() - (b + x - 1.0).ln() } else { f64::NEG_INFINITY };
                (c1, c4)
            })
            .collect();
        self.groups
            .iter()
            .map(|&(x, t_x, t, n, i)| {
                let (c1, c4) = by_x[i];
                let a3 = -(r + x) * (alpha + t).ln();
                let ll = if x > 0.0 { c1 + log_sum_exp(a3, c4 - (r + x) * (alpha + t_x).ln()) } else { c1 + a3 };
                n * ll
            })
            .sum()
    }
}

impl BgNbd {
    /// Fit by maximum likelihood (see [`crate::fit`] for the optimiser and its checks).
    pub fn fit(customers: &[Customer]) -> Result<Fitted<4>, ModelError> {
        check(customers)?;
        let grouped = group(customers);
        let mean_t = customers.iter().map(|c| c.t).sum::<f64>() / customers.len() as f64;
        maximise(|p| grouped.log_likelihood(p), [1.0, mean_t.max(1e-3), 1.0, 1.0])
    }

    /// Fit the MBG/NBD variant (see `Grouped::log_likelihood_modified`); its P(alive) is
    /// [`BgNbd::p_alive_modified`].
    pub fn fit_modified(customers: &[Customer]) -> Result<Fitted<4>, ModelError> {
        check(customers)?;
        let grouped = group(customers);
        let mean_t = customers.iter().map(|c| c.t).sum::<f64>() / customers.len() as f64;
        maximise(|p| grouped.log_likelihood_modified(p), [1.0, mean_t.max(1e-3), 1.0, 1.0])
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
        group(customers).log_likelihood(&[self.r, self.alpha, self.a, self.b])
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

    #[test]
    fn grouping_does_not_change_the_likelihood() {
        let m = BgNbd { r: 0.5, alpha: 3.0, a: 0.8, b: 2.0 };
        let cs = customers(40);
        let one_by_one: f64 = cs.iter().map(|c| group(&[*c]).log_likelihood(&[m.r, m.alpha, m.a, m.b])).sum();
        assert!((m.log_likelihood(&cs) - one_by_one).abs() < 1e-9);
    }

    #[test]
    fn p_alive_falls_with_silence() {
        let m = BgNbd { r: 0.243, alpha: 4.414, a: 0.793, b: 2.426 };
        let recent = m.p_alive(&Customer { x: 3.0, t_x: 30.0, t: 32.0 });
        let silent = m.p_alive(&Customer { x: 3.0, t_x: 5.0, t: 32.0 });
        assert!(recent > silent && (0.0..=1.0).contains(&silent), "{recent} {silent}");
    }
}
