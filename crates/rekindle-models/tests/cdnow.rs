//! The published CDNOW results, reproduced from the transaction log.
//!
//! Fixture: `CDNOW_sample.txt`, the 1/10th sample of CDNOW's customers who first bought in the
//! first quarter of 1997 (2,357 people; columns: customer, -, date, CDs, dollars), as
//! distributed by Fader & Hardie and in the `lifetimes` package. Calibration: 1997-01-01 to
//! 1997-09-30 (39 weeks); times in weeks.
//!
//! Published: BG/NBD r = 0.243, α = 4.414, a = 0.793, b = 2.426, LL = −9582.4 (Fader, Hardie &
//! Lee 2005, "Counting your customers the easy way"); Gamma-Gamma p = 6.25, q = 3.74, γ = 15.44
//! (Fader, Hardie & Lee 2005, "RFM and CLV").

use std::collections::BTreeMap;

use chrono::NaiveDate;
use rekindle_models::bgnbd::BgNbd;
use rekindle_models::gamma_gamma::{GammaGamma, Spend};
use rekindle_models::summary::Customer;

const DATA: &str = include_str!("fixtures/CDNOW_sample.txt");

/// Per customer: dollars per purchase day, by day number since 1997-01-01.
fn purchases() -> BTreeMap<u32, BTreeMap<i64, f64>> {
    let origin = NaiveDate::from_ymd_opt(1997, 1, 1).unwrap();
    let mut out: BTreeMap<u32, BTreeMap<i64, f64>> = BTreeMap::new();
    for line in DATA.lines().filter(|l| !l.trim().is_empty()) {
        let f: Vec<&str> = line.split_whitespace().collect();
        let id: u32 = f[0].parse().unwrap();
        let day = (NaiveDate::parse_from_str(f[2], "%Y%m%d").unwrap() - origin).num_days();
        *out.entry(id).or_default().entry(day).or_default() += f[4].parse::<f64>().unwrap();
    }
    out
}

const END: f64 = 272.0; // 1997-09-30, in days since 1997-01-01

fn calibration() -> (Vec<Customer>, Vec<Spend>) {
    let mut customers = Vec::new();
    let mut spends = Vec::new();
    for days in purchases().values() {
        let times: Vec<f64> = days.keys().map(|d| *d as f64).collect();
        let c = Customer::from_purchases(&times, END, 1.0).expect("everyone bought in the first quarter");
        customers.push(Customer { x: c.x, t_x: c.t_x / 7.0, t: c.t / 7.0 });
        let repeats: Vec<f64> = days.iter().filter(|(d, _)| **d as f64 <= END).skip(1).map(|(_, v)| *v).collect();
        if !repeats.is_empty() {
            spends.push(Spend { x: repeats.len() as f64, mean: repeats.iter().sum::<f64>() / repeats.len() as f64 });
        }
    }
    (customers, spends)
}

fn round(v: f64, places: i32) -> f64 {
    let k = 10f64.powi(places);
    (v * k).round() / k
}

#[test]
fn bgnbd_reproduces_the_published_fit() {
    let (customers, _) = calibration();
    assert_eq!(customers.len(), 2357);
    assert_eq!(customers.iter().filter(|c| c.x > 0.0).count(), 946, "repeat buyers in the calibration period");
    let fitted = BgNbd::fit(&customers).unwrap();
    let m = BgNbd::params(&fitted);
    println!("{m:?} LL {} after {} iterations, {} restarts", fitted.log_likelihood, fitted.iterations, fitted.restarts);
    assert_eq!([round(m.r, 3), round(m.alpha, 3), round(m.a, 3), round(m.b, 3)], [0.243, 4.414, 0.793, 2.426]);
    assert_eq!(round(fitted.log_likelihood, 1), -9582.4);

    // At the optimum the analytic gradient vanishes and agrees with central differences.
    let gradient = m.gradient(&customers);
    let p = [m.r, m.alpha, m.a, m.b];
    for i in 0..4 {
        let h = 1e-5 * p[i];
        let at = |d: f64| {
            let mut q = p;
            q[i] += d;
            BgNbd { r: q[0], alpha: q[1], a: q[2], b: q[3] }.log_likelihood(&customers)
        };
        let numeric = (at(h) - at(-h)) / (2.0 * h);
        // Per unit of ln p, relative to the log-likelihood, as the optimiser sees it.
        assert!(((numeric - gradient[i]) * p[i] / fitted.log_likelihood).abs() < 1e-9, "{gradient:?} {numeric}");
        assert!((gradient[i] * p[i] / fitted.log_likelihood).abs() < 1e-7, "{gradient:?}");
    }
}

#[test]
fn gamma_gamma_reproduces_the_published_fit() {
    let (_, spends) = calibration();
    assert_eq!(spends.len(), 946, "repeat buyers, as in the paper");
    let fitted = GammaGamma::fit(&spends).unwrap();
    let m = GammaGamma::params(&fitted);
    println!("{m:?} LL {} after {} iterations, {} restarts", fitted.log_likelihood, fitted.iterations, fitted.restarts);
    assert_eq!([round(m.p, 2), round(m.q, 2), round(m.gamma, 2)], [6.25, 3.74, 15.44]);
}

/// The paper's worked example: a customer with 2 repeat purchases, the last at week 30.43,
/// observed for 38.86 weeks, is expected to buy 1.226 times in the next 39 weeks.
#[test]
fn conditional_expectation_matches_the_worked_example() {
    let m = BgNbd { r: 0.243, alpha: 4.414, a: 0.793, b: 2.426 };
    let c = Customer { x: 2.0, t_x: 30.43, t: 38.86 };
    assert_eq!(round(m.expected_purchases(&c, 39.0), 3), 1.226);
    let alive = m.p_alive(&c);
    assert!(alive > m.p_alive(&Customer { t_x: 10.0, ..c }), "longer silence, lower P(alive)");
    assert!((0.0..=1.0).contains(&alive));
}
