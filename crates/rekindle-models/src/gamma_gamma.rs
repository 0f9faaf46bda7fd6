//! Gamma-Gamma spend per transaction (Fader, Hardie & Lee 2005, "RFM and CLV: using iso-value
//! curves"): a customer's transactions vary around their own mean spend ν, which varies across
//! customers; fitted on customers with repeat purchases, from their count and average spend.

use statrs::function::gamma::ln_gamma;

use crate::ModelError;
use crate::bgnbd::BgNbd;
use crate::fit::{Fitted, maximise};
use crate::summary::Customer;

#[derive(Debug, Clone, Copy, PartialEq)]
pub struct GammaGamma {
    pub p: f64,
    pub q: f64,
    pub gamma: f64,
}

/// A repeat buyer's spend: how many repeat transactions, and their average value.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Spend {
    pub x: f64,
    pub mean: f64,
}

impl GammaGamma {
    pub fn fit(spends: &[Spend]) -> Result<Fitted<3>, ModelError> {
        let usable: Vec<Spend> = spends.iter().copied().filter(|s| s.x > 0.0).collect();
        if usable.is_empty() {
            return Err(ModelError::NoRepeatBuyers);
        }
        if usable.len() < crate::bgnbd::MIN_CUSTOMERS {
            return Err(ModelError::TooFewCustomers { found: usable.len(), needed: crate::bgnbd::MIN_CUSTOMERS });
        }
        if let Some(s) = usable.iter().find(|s| !(s.mean.is_finite() && s.mean > 0.0 && s.x.is_finite())) {
            return Err(ModelError::InvalidData(format!("average spend {} over {} transactions", s.mean, s.x)));
        }
        let ll = |params: &[f64]| {
            let (p, q, g) = (params[0], params[1], params[2]);
            let common = q * g.ln() - ln_gamma(q);
            usable
                .iter()
                .map(|s| {
                    let px = p * s.x;
                    ln_gamma(px + q) - ln_gamma(px) + common + (px - 1.0) * s.mean.ln() + px * s.x.ln()
                        - (px + q) * (g + s.mean * s.x).ln()
                })
                .sum::<f64>()
        };
        maximise(ll, [1.0, 1.0, 1.0])
    }

    pub fn params(f: &Fitted<3>) -> Self {
        let [p, q, gamma] = f.params;
        Self { p, q, gamma }
    }

    /// The spend per transaction to expect from a customer (eq. 5): their own average, shrunk
    /// toward the population's by how few transactions it rests on.
    pub fn expected_spend(&self, s: &Spend) -> f64 {
        if s.x == 0.0 {
            // The population mean, E[ν]·p = pγ/(q−1) (defined for q > 1).
            return self.p * self.gamma / (self.q - 1.0);
        }
        (self.gamma + s.mean * s.x) * self.p / (self.p * s.x + self.q - 1.0)
    }
}

/// Lifetime value over `periods` future periods of `period` time units each, discounted at
/// `discount` per period: expected purchases in each period times expected spend, each
/// period's value divided by (1 + discount)^k.
pub fn clv(
    bgnbd: &BgNbd,
    spend: &GammaGamma,
    c: &Customer,
    s: &Spend,
    periods: u32,
    period: f64,
    discount: f64,
) -> f64 {
    let per_purchase = spend.expected_spend(s);
    let mut before = 0.0;
    let mut value = 0.0;
    for k in 1..=periods {
        let expected = bgnbd.expected_purchases(c, period * f64::from(k));
        value += (expected - before) * per_purchase / (1.0 + discount).powi(k as i32);
        before = expected;
    }
    value
}
