//! The Gauss hypergeometric function ₂F₁(a, b; c; z) for 0 ≤ z < 1, which the BG/NBD
//! expectation needs. No maintained Rust crate offers it (statrs does not), and for the
//! arguments the model produces (z < 1, positive parameters) the power series converges, so
//! it is summed here directly.

pub fn hyp2f1(a: f64, b: f64, c: f64, z: f64) -> f64 {
    debug_assert!((0.0..1.0).contains(&z));
    let mut term = 1.0;
    let mut sum = 1.0;
    for n in 0..100_000 {
        let n = n as f64;
        term *= (a + n) * (b + n) / ((c + n) * (n + 1.0)) * z;
        sum += term;
        if term.abs() < 1e-15 * sum.abs() {
            break;
        }
    }
    sum
}

#[cfg(test)]
mod tests {
    use super::hyp2f1;

    #[test]
    fn known_values() {
        // ₂F₁(1, 1; 2; z) = -ln(1 - z) / z
        let z: f64 = 0.5;
        assert!((hyp2f1(1.0, 1.0, 2.0, z) - (-(1.0 - z).ln() / z)).abs() < 1e-12);
        // ₂F₁(a, b; b; z) = (1 - z)^-a
        assert!((hyp2f1(2.5, 3.0, 3.0, 0.3) - 0.7f64.powf(-2.5)).abs() < 1e-12);
        assert_eq!(hyp2f1(1.0, 2.0, 3.0, 0.0), 1.0);
    }
}
