//! Why a solve stopped, and whether its result can be used (Ceres `TerminationType`).

use serde::{Deserialize, Serialize};

/// The reason the solve loop stopped.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum TerminationReason {
    /// `‖∇L‖∞ ≤ gradient_tolerance · ‖∇L(θ₀)‖∞`.
    GradientTolerance,
    /// `L ≤ loss_tolerance`.
    LossTolerance,
    /// An accepted step changed the loss by at most `tol · L`.
    RelativeLossChange,
    /// A valid step was shorter than `tol · (‖θ‖ + tol)`.
    StepTolerance,
    /// The iteration budget (trials included) ran out.
    MaxIterations,
    /// The wall-clock budget ran out.
    TimeLimit,
    /// No further progress is possible in floating point: λ reached its cap while
    /// trials kept failing, or a line search found no decrease.
    Stalled,
    /// The descent could not be prepared at the iterate: a factorisation or
    /// eigendecomposition of the linear model failed (not for a non-finite input,
    /// which is [`TerminationReason::NonFiniteIterate`]). θ is the last accepted
    /// iterate.
    PreparationFailed,
    /// Too many invalid trials in a row (non-finite residuals, failed factorisation,
    /// non-positive predicted reduction).
    TooManyInvalidSteps,
    /// The user-stop flag was raised or the observer asked to stop.
    UserStop,
    /// Nothing can be computed from the current iterate, because something evaluated
    /// *at* it is not finite:
    /// - the loss `L(θ₀)`, or an entry of θ₀ (found by
    ///   [`Solver::init`](crate::Solver::init), so no iteration runs);
    /// - the loss at the current θ after
    ///   [`LeastSquares::resample`](crate::LeastSquares::resample) drew a new residual
    ///   set;
    /// - `r` or `J`, assembled at a freshly accepted iterate (and at θ₀ before the first
    ///   trial, after a resample, after a method switch) by a method that uses the
    ///   assembled Jacobian (LM, ENGD, GN-CG with assembled `J`);
    /// - `‖∇L‖∞` at such an iterate, for every method (the only check of L-BFGS, Adam
    ///   and matrix-free GN-CG, which never assemble `J`).
    ///
    /// A non-finite *trial* is never this: a trial point whose step `δ` or residuals
    /// `r(θ + δ)` are not finite is never accepted (the trial is invalid, or a line
    /// search moves away from it) and θ stays where it was
    /// ([`TerminationReason::TooManyInvalidSteps`] if invalid trials keep coming).
    NonFiniteIterate,
    /// The configuration failed validation; no iteration was run.
    InvalidConfig(String),
}

impl TerminationReason {
    /// Whether θ is a usable result: every reason but [`Self::NonFiniteIterate`] and
    /// [`Self::InvalidConfig`].
    ///
    /// A usable θ is the last accepted iterate (θ₀ if no trial was accepted), finite and
    /// with a finite loss, however the solve ended: converged, out of a budget, stalled,
    /// stopped by the user or after too many invalid trials. It is not necessarily the
    /// lowest loss seen. On a fixed residual set, LM, GN-CG and L-BFGS accept only steps
    /// that decrease `L`, except that LM's Gauss–Newton polish (`lm.polish_threshold`)
    /// accepts a step whose predicted decrease is below `polish_threshold · L` when it
    /// lowers `‖∇L‖`, whether `L` went down or not; ENGD with
    /// `engd.take_argmin_without_decrease` (the default) moves to the best grid point
    /// even when that raises `L`; Adam takes every step whose residuals are finite. Whether
    /// the run converged is [`Self::is_converged`].
    pub fn is_solution_usable(&self) -> bool {
        !matches!(self, Self::NonFiniteIterate | Self::InvalidConfig(_))
    }

    /// Whether the stop is a convergence criterion (as opposed to a budget or failure).
    pub fn is_converged(&self) -> bool {
        matches!(
            self,
            Self::GradientTolerance
                | Self::LossTolerance
                | Self::RelativeLossChange
                | Self::StepTolerance
                | Self::Stalled
        )
    }

    /// A one-line human explanation.
    pub fn message(&self) -> String {
        match self {
            Self::GradientTolerance => "gradient tolerance reached: ‖∇L‖∞ is below tolerance × its initial value".into(),
            Self::LossTolerance => "loss tolerance reached".into(),
            Self::RelativeLossChange => "relative loss change of an accepted step is below tolerance".into(),
            Self::StepTolerance => "step size is below tolerance relative to ‖θ‖".into(),
            Self::MaxIterations => "maximum number of iterations reached; raise termination.max_iterations to continue".into(),
            Self::TimeLimit => "time limit reached".into(),
            Self::Stalled => {
                "stalled: no decrease is possible at this precision (λ at its cap or the line search found no decrease)".into()
            }
            Self::TooManyInvalidSteps => {
                "too many consecutive invalid steps (non-finite residuals, failed factorisation or non-positive predicted \
                 reduction); check the problem for NaN regions or try a larger initial λ"
                    .into()
            }
            Self::PreparationFailed => {
                "the descent could not be prepared at the iterate (a factorisation or eigendecomposition failed); \
                 try another linear solver or a regularised variant"
                    .into()
            }
            Self::UserStop => "stopped by the user".into(),
            Self::NonFiniteIterate => {
                "the loss, residuals, Jacobian or gradient at the current iterate is not finite; check θ₀ and the problem's residuals and Jacobian".into()
            }
            Self::InvalidConfig(m) => format!("invalid configuration: {m}"),
        }
    }
}
