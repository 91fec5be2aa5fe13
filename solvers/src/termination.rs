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
    /// The loss or Jacobian at the current iterate is not finite (at θ₀, or after a
    /// resample); nothing can be computed from here.
    NonFiniteIterate,
    /// The configuration failed validation; no iteration was run.
    InvalidConfig(String),
}

impl TerminationReason {
    /// Whether θ is a usable result: converged by some tolerance, or stopped by a budget
    /// or the user with every accepted step a verified decrease.
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
                "the loss or Jacobian at the current iterate is not finite; check θ₀ and the problem's residuals".into()
            }
            Self::InvalidConfig(m) => format!("invalid configuration: {m}"),
        }
    }
}
