//! Maximum likelihood by Nelder–Mead (argmin) over the logarithms of the parameters, which
//! keeps every parameter positive without constraints.
//!
//! Convergence checks: the simplex must shrink until the spread of its values is below
//! `1e-11` of the log-likelihood's size (tighter is below the rounding of a sum of thousands
//! of terms); the search is then restarted from the optimum with a fresh simplex, and repeated
//! until a restart improves the log-likelihood by less than `1e-10` of its size (Nelder–Mead
//! can stall on a ridge; a restart shows whether it did); finally the optimum must be finite.

use argmin::core::{CostFunction, Executor, State};
use argmin::solver::neldermead::NelderMead;

use crate::ModelError;

/// The negative log-likelihood, as a function of log-parameters.
struct Objective<'a, F: Fn(&[f64]) -> f64>(&'a F);

impl<F: Fn(&[f64]) -> f64> CostFunction for Objective<'_, F> {
    type Param = Vec<f64>;
    type Output = f64;

    fn cost(&self, log_params: &Vec<f64>) -> Result<f64, argmin::core::Error> {
        let params: Vec<f64> = log_params.iter().map(|p| p.exp()).collect();
        let value = -(self.0)(&params);
        // A NaN or infinity (parameters far out of range) is a very bad point, not an error.
        Ok(if value.is_finite() { value } else { f64::MAX })
    }
}

/// How a fit went.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Fitted<const N: usize> {
    pub params: [f64; N],
    pub log_likelihood: f64,
    /// Nelder–Mead iterations over all restarts.
    pub iterations: u64,
    pub restarts: u32,
}

/// Maximise `log_likelihood(params)` from `start` (positive parameters).
pub fn maximise<const N: usize>(
    log_likelihood: impl Fn(&[f64]) -> f64,
    start: [f64; N],
) -> Result<Fitted<N>, ModelError> {
    let mut at: Vec<f64> = start.iter().map(|p| p.ln()).collect();
    let scale = log_likelihood(&start).abs().max(1.0);
    if !scale.is_finite() {
        return Err(ModelError::NotConverged("the likelihood is not finite at the start".into()));
    }
    let mut best = f64::MAX;
    let mut iterations = 0;
    for restarts in 0..20 {
        let simplex: Vec<Vec<f64>> = std::iter::once(at.clone())
            .chain((0..N).map(|i| {
                let mut v = at.clone();
                v[i] += 0.5;
                v
            }))
            .collect();
        let solver = NelderMead::new(simplex)
            .with_sd_tolerance(1e-11 * scale)
            .map_err(|e| ModelError::NotConverged(e.to_string()))?;
        let result = Executor::new(Objective(&log_likelihood), solver)
            .configure(|s| s.max_iters(20_000))
            .run()
            .map_err(|e| ModelError::NotConverged(e.to_string()))?;
        let state = result.state();
        iterations += state.get_iter();
        let cost = state.get_best_cost();
        at = state.get_best_param().cloned().ok_or_else(|| ModelError::NotConverged("no optimum".into()))?;
        let improved = best - cost;
        best = cost;
        if improved.abs() < 1e-10 * scale {
            let params: Vec<f64> = at.iter().map(|p| p.exp()).collect();
            if !best.is_finite() || best == f64::MAX || params.iter().any(|p| !p.is_finite()) {
                return Err(ModelError::NotConverged("the optimum is not finite".into()));
            }
            let mut out = [0.0; N];
            out.copy_from_slice(&params);
            return Ok(Fitted { params: out, log_likelihood: -best, iterations, restarts });
        }
    }
    Err(ModelError::NotConverged("still improving after 20 restarts".into()))
}
