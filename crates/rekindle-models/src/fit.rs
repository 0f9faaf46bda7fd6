//! Maximum likelihood over the logarithms of the parameters, which keeps every parameter
//! positive without constraints.
//!
//! [`maximise`]: L-BFGS (argmin, with a Moré–Thuente line search) on the analytic gradient. The
//! objective is the negative log-likelihood divided by its size at the start, so a step of one
//! in the first (steepest-descent) iteration is a sensible length whatever the number of
//! customers. It stops when the gradient (with respect to the log-parameters, in that unit) is
//! below `1e-7`, when an iteration gains less than `1e-12` (the likelihood's own rounding is
//! 1e-15 to 1e-13 of it, and below it line searches only flail), or when the line search can
//! gain nothing more. At a gradient of 1e-7 the gain left is about g²/2λ, below 1e-10 unless
//! the curvature λ is under 1e-4 (a flat ridge, which the restart catches). Then, as a check, it restarts from
//! the optimum moved by 0.1 in every log-parameter with a fresh L-BFGS memory, and accepts only
//! when a restart gains less than `1e-10` of the log-likelihood's size (a line search that
//! stalled or a flat ridge shows as a gain); the optimum must be finite. If the line search
//! cannot start at all (a likelihood that is not finite around the start), it falls back to
//! Nelder–Mead.
//!
//! [`maximise_nelder_mead`]: the derivative-free Nelder–Mead, kept as the fallback and as the
//! reference the L-BFGS fit is tested against. The simplex must shrink until the spread of its
//! values is below `1e-11` of the log-likelihood's size; the search is then restarted from the
//! optimum with a fresh simplex until a restart improves it by less than `1e-10` of its size.

use std::cell::{Cell, RefCell};

use argmin::core::{CostFunction, Executor, Gradient, State};
use argmin::solver::linesearch::MoreThuenteLineSearch;
use argmin::solver::neldermead::NelderMead;
use argmin::solver::quasinewton::LBFGS;

use crate::ModelError;

/// How a fit went.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Fitted<const N: usize> {
    pub params: [f64; N],
    pub log_likelihood: f64,
    /// Optimiser iterations (L-BFGS or Nelder–Mead) over all restarts.
    pub iterations: u64,
    /// Restarts after the first convergence: 1 when the first confirming restart gained nothing.
    pub restarts: u32,
    /// Evaluations of the likelihood (with its gradient, for L-BFGS).
    pub evaluations: u64,
}

/// A restart that gains less than this much of the log-likelihood's size confirms the optimum.
const RESTART_GAIN: f64 = 1e-10;
const MAX_RESTARTS: u32 = 20;
/// Calls of the objective one L-BFGS run may make. argmin runs each line search without an
/// iteration limit, and on a likelihood whose optimum lies at infinity (Gamma-Gamma on a
/// handful of customers) Moré–Thuente could ask for the same points forever; past this the
/// run fails, and the fit falls back to Nelder–Mead or reports no convergence.
const MAX_CALLS: u64 = 20_000;

/// The negative log-likelihood, as a function of log-parameters.
struct Objective<'a, F: Fn(&[f64]) -> f64> {
    log_likelihood: &'a F,
    evaluations: &'a Cell<u64>,
}

impl<F: Fn(&[f64]) -> f64> CostFunction for Objective<'_, F> {
    type Param = Vec<f64>;
    type Output = f64;

    fn cost(&self, log_params: &Vec<f64>) -> Result<f64, argmin::core::Error> {
        self.evaluations.set(self.evaluations.get() + 1);
        let params: Vec<f64> = log_params.iter().map(|p| p.exp()).collect();
        let value = -(self.log_likelihood)(&params);
        // A NaN or infinity (parameters far out of range) is a very bad point, not an error.
        Ok(if value.is_finite() { value } else { f64::MAX })
    }
}

/// Maximise `log_likelihood(params)` from `start` (positive parameters) by Nelder–Mead.
pub fn maximise_nelder_mead<const N: usize>(
    log_likelihood: impl Fn(&[f64]) -> f64,
    start: [f64; N],
) -> Result<Fitted<N>, ModelError> {
    let mut at: Vec<f64> = start.iter().map(|p| p.ln()).collect();
    let scale = log_likelihood(&start).abs().max(1.0);
    if !scale.is_finite() {
        return Err(ModelError::NotConverged("the likelihood is not finite at the start".into()));
    }
    let evaluations = Cell::new(1);
    let mut best = f64::MAX;
    let mut iterations = 0;
    for restarts in 0..MAX_RESTARTS {
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
        let objective = Objective { log_likelihood: &log_likelihood, evaluations: &evaluations };
        let result = Executor::new(objective, solver)
            .configure(|s| s.max_iters(20_000))
            .run()
            .map_err(|e| ModelError::NotConverged(e.to_string()))?;
        let state = result.state();
        iterations += state.get_iter();
        let cost = state.get_best_cost();
        at = state.get_best_param().cloned().ok_or_else(|| ModelError::NotConverged("no optimum".into()))?;
        let improved = best - cost;
        best = cost;
        if improved.abs() < RESTART_GAIN * scale {
            return finish(&at, -best, iterations, restarts, evaluations.get());
        }
    }
    Err(ModelError::NotConverged(format!("still improving after {MAX_RESTARTS} restarts")))
}

fn finish<const N: usize>(
    log_params: &[f64],
    log_likelihood: f64,
    iterations: u64,
    restarts: u32,
    evaluations: u64,
) -> Result<Fitted<N>, ModelError> {
    let params: Vec<f64> = log_params.iter().map(|p| p.exp()).collect();
    if !log_likelihood.is_finite() || log_likelihood == -f64::MAX || params.iter().any(|p| !p.is_finite()) {
        return Err(ModelError::NotConverged("the optimum is not finite".into()));
    }
    let mut out = [0.0; N];
    out.copy_from_slice(&params);
    Ok(Fitted { params: out, log_likelihood, iterations, restarts, evaluations })
}

/// The negative log-likelihood and its gradient, as functions of log-parameters, divided by
/// `scale`. The line search asks for the cost and the gradient at the same point one after
/// the other; both come from one pass, so the last point is kept.
struct Smooth<'a, F: Fn(&[f64], &mut [f64]) -> f64> {
    log_likelihood: &'a F,
    scale: f64,
    /// The last point: (log-parameters, cost, gradient).
    last: &'a RefCell<(Vec<f64>, f64, Vec<f64>)>,
    evaluations: &'a Cell<u64>,
    /// Calls in this run, cached or not (see [`MAX_CALLS`]).
    calls: Cell<u64>,
}

/// The cost of a point where the likelihood is not finite: far above any real one (costs are
/// about 1 in the scaled unit) yet finite, so the line search's interpolation stays finite and
/// steps back.
const NOT_FINITE: f64 = 1e100;

impl<F: Fn(&[f64], &mut [f64]) -> f64> Smooth<'_, F> {
    fn evaluate(&self, log_params: &[f64]) -> Result<(f64, Vec<f64>), argmin::core::Error> {
        self.calls.set(self.calls.get() + 1);
        if self.calls.get() > MAX_CALLS {
            return Err(argmin::core::Error::msg("the line search did not settle"));
        }
        let mut last = self.last.borrow_mut();
        if last.0 != log_params {
            self.evaluations.set(self.evaluations.get() + 1);
            let params: Vec<f64> = log_params.iter().map(|p| p.exp()).collect();
            let mut gradient = vec![0.0; params.len()];
            let value = (self.log_likelihood)(&params, &mut gradient);
            // d/d ln p = p · d/dp, and the sign and scale of the cost.
            let gradient: Vec<f64> = gradient.iter().zip(&params).map(|(g, p)| -g * p / self.scale).collect();
            *last = if value.is_finite() && gradient.iter().all(|g| g.is_finite()) {
                (log_params.to_vec(), -value / self.scale, gradient)
            } else {
                (log_params.to_vec(), NOT_FINITE, vec![0.0; params.len()])
            };
        }
        Ok((last.1, last.2.clone()))
    }
}

impl<F: Fn(&[f64], &mut [f64]) -> f64> CostFunction for Smooth<'_, F> {
    type Param = Vec<f64>;
    type Output = f64;

    fn cost(&self, log_params: &Vec<f64>) -> Result<f64, argmin::core::Error> {
        Ok(self.evaluate(log_params)?.0)
    }
}

impl<F: Fn(&[f64], &mut [f64]) -> f64> Gradient for Smooth<'_, F> {
    type Param = Vec<f64>;
    type Gradient = Vec<f64>;

    fn gradient(&self, log_params: &Vec<f64>) -> Result<Vec<f64>, argmin::core::Error> {
        Ok(self.evaluate(log_params)?.1)
    }
}

/// Maximise `log_likelihood(params, gradient)` from `start` (positive parameters) by L-BFGS.
/// The function returns the log-likelihood at `params` and writes its partial derivatives
/// with respect to `params` into `gradient`.
pub fn maximise<const N: usize>(
    log_likelihood: impl Fn(&[f64], &mut [f64]) -> f64,
    start: [f64; N],
) -> Result<Fitted<N>, ModelError> {
    let scale = log_likelihood(&start, &mut [0.0; N]).abs().max(1.0);
    if !scale.is_finite() {
        return Err(ModelError::NotConverged("the likelihood is not finite at the start".into()));
    }
    let last = RefCell::new((Vec::new(), 0.0, Vec::new()));
    let evaluations = Cell::new(1);
    let run = |from: Vec<f64>| -> Result<(Vec<f64>, f64, u64), ModelError> {
        let solver = LBFGS::new(MoreThuenteLineSearch::new(), 7)
            .with_tolerance_grad(1e-7)
            .and_then(|s| s.with_tolerance_cost(1e-12))
            .map_err(|e| ModelError::NotConverged(e.to_string()))?;
        let objective = Smooth {
            log_likelihood: &log_likelihood,
            scale,
            last: &last,
            evaluations: &evaluations,
            calls: Cell::new(0),
        };
        let result = Executor::new(objective, solver)
            .configure(|s| s.param(from).max_iters(1_000))
            .run()
            .map_err(|e| ModelError::NotConverged(e.to_string()))?;
        let state = result.state();
        let at = state.get_best_param().cloned().ok_or_else(|| ModelError::NotConverged("no optimum".into()))?;
        Ok((at, state.get_best_cost(), state.get_iter()))
    };
    let (mut at, mut best, mut iterations) = match run(start.iter().map(|p| p.ln()).collect()) {
        Ok((at, cost, iterations)) if cost < NOT_FINITE => (at, cost, iterations),
        _ => return maximise_nelder_mead(|p| log_likelihood(p, &mut [0.0; N]), start),
    };
    for restarts in 1..=MAX_RESTARTS {
        let moved: Vec<f64> = at.iter().map(|p| p + 0.1).collect();
        let (again, cost, more) = run(moved)?;
        iterations += more;
        let gained = (best - cost) * scale;
        if cost < best {
            (at, best) = (again, cost);
        }
        if gained < RESTART_GAIN * scale {
            return finish(&at, -best * scale, iterations, restarts, evaluations.get());
        }
    }
    Err(ModelError::NotConverged(format!("still improving after {MAX_RESTARTS} restarts")))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A concave function of known maximum, with very different curvatures per parameter.
    fn bowl(p: &[f64], g: &mut [f64]) -> f64 {
        let centre: [f64; 3] = [0.3, 40.0, 2.0];
        let weight = [1000.0, 1.0, 30.0];
        let mut value = -5.0;
        for i in 0..3 {
            let d = p[i].ln() - centre[i].ln();
            value -= weight[i] * d * d;
            g[i] = -2.0 * weight[i] * d / p[i];
        }
        value
    }

    #[test]
    fn finds_a_known_maximum_and_confirms_it() {
        let fitted = maximise(bowl, [1.0, 1.0, 1.0]).unwrap();
        for (got, want) in fitted.params.iter().zip([0.3, 40.0, 2.0]) {
            assert!((got / want - 1.0).abs() < 1e-6, "{:?}", fitted.params);
        }
        assert!((fitted.log_likelihood + 5.0).abs() < 1e-9);
        assert!(fitted.restarts >= 1, "at least one confirming restart");
        let nm = maximise_nelder_mead(|p| bowl(p, &mut [0.0; 3]), [1.0, 1.0, 1.0]).unwrap();
        // Nelder–Mead stops within 1e-11 of the size at the start (about 1500) of its optimum.
        assert!((nm.log_likelihood - fitted.log_likelihood).abs() < 1e-7, "{nm:?}");
        assert!(fitted.evaluations < nm.evaluations, "{} against {}", fitted.evaluations, nm.evaluations);
    }

    #[test]
    fn a_likelihood_that_is_not_finite_at_the_start_is_an_error() {
        let nan = |_: &[f64], _: &mut [f64]| f64::NAN;
        assert!(matches!(maximise(nan, [1.0, 1.0]), Err(ModelError::NotConverged(_))));
    }

    #[test]
    fn steps_into_non_finite_regions_are_stepped_back_from() {
        // Finite only for p < 5, with the maximum at 4.
        let edge = |p: &[f64], g: &mut [f64]| -> f64 {
            if p[0] >= 5.0 {
                return f64::NEG_INFINITY;
            }
            g[0] = 8.0 / p[0] - 2.0;
            8.0 * p[0].ln() - 2.0 * p[0]
        };
        let fitted = maximise(edge, [0.01]).unwrap();
        assert!((fitted.params[0] - 4.0).abs() < 1e-6, "{:?}", fitted.params);
    }
}
