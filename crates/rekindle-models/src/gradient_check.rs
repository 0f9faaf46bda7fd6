//! Checking an analytic gradient against central differences, for the models' tests.

/// The largest relative error of `gradient` at `p` against central differences of `value`,
/// each step relative to its parameter and the error judged against the size of the value per
/// unit of ln p, as the optimiser (which works over log-parameters) sees it.
pub(crate) fn gradient_error<const N: usize>(p: [f64; N], value: impl Fn(&[f64; N]) -> f64, gradient: [f64; N]) -> f64 {
    let size = value(&p).abs();
    (0..N)
        .map(|i| {
            let h = 1e-5 * p[i];
            let (mut up, mut down) = (p, p);
            up[i] += h;
            down[i] -= h;
            let numeric = (value(&up) - value(&down)) / (2.0 * h);
            ((numeric - gradient[i]) * p[i]).abs() / size
        })
        .fold(0.0, f64::max)
}
