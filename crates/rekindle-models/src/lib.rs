//! Rekindle's predictive models (docs/models.md), pure computation with no IO:
//!
//! - [`bgnbd`]: the BG/NBD model of Fader, Hardie & Lee (2005): from each customer's repeat
//!   purchases, the chance they are still "alive" and how many purchases to expect.
//! - [`gamma_gamma`]: the Gamma-Gamma model of spend per transaction (Fader, Hardie & Lee,
//!   2005, "RFM and CLV"), and customer lifetime value from the two.
//!
//! Both are fitted by maximum likelihood with L-BFGS on analytic gradients over
//! log-parameters ([`fit`]).
//!
//! - [`experiment`]: experiment readouts: lifts with intervals and p-values, CUPED, the
//!   sample-ratio check and p-values adjusted across metrics.

pub mod bgnbd;
pub mod depletion;
pub mod experiment;
pub mod fit;
pub mod gamma_gamma;
#[cfg(test)]
mod gradient_check;
mod hyp2f1;
pub mod lift;
pub mod summary;

/// Why a model could not be fitted. Never a NaN in a profile: callers get one of these.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ModelError {
    #[error("too few customers to fit: {found} (at least {needed})")]
    TooFewCustomers { found: usize, needed: usize },
    #[error("no customer made a repeat purchase, so how often people buy cannot be estimated")]
    NoRepeatBuyers,
    #[error("invalid customer data: {0}")]
    InvalidData(String),
    #[error("the fit did not converge: {0}")]
    NotConverged(String),
}
