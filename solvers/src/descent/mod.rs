//! Descents: "how to move, given a scalar" (STYLE.md L1). Each descent does its
//! λ-independent work once per accepted iterate in `prepare`, and produces a trial step
//! for one scalar in `step` (λ for damped methods, η for line-search methods).

pub mod adam;
pub mod damped_gauss_newton;
pub mod gramian;
pub mod truncated_cg;
pub mod two_loop;

use crate::linalg::LinearSolveError;
use crate::problem::LeastSquares;
use crate::record::{EvaluationCounts, TimeSplit};
use faer::MatRef;

pub use damped_gauss_newton::DampedGaussNewton;
pub use gramian::GramianDescent;
pub use truncated_cg::TruncatedCg;

/// The state at an accepted iterate that descents read.
pub struct Linearization<'a> {
    /// θ.
    pub theta: &'a [f64],
    /// `r(θ)`.
    pub residuals: &'a [f64],
    /// `J(θ)` when the loop assembled it.
    pub jacobian: Option<MatRef<'a, f64>>,
    /// `∇L = Jᵀr`.
    pub gradient: &'a [f64],
    /// `L = ½‖r‖²`.
    pub loss: f64,
}

/// Bookkeeping a descent adds to.
pub struct Meter<'a> {
    /// Time split of the current iteration.
    pub time: &'a mut TimeSplit,
    /// Evaluation counts of the solve.
    pub counts: &'a mut EvaluationCounts,
}

/// A direction generator for the one loop.
pub trait Descent {
    /// Whether the loop must assemble `J` at each accepted iterate.
    fn needs_jacobian(&self) -> bool;
    /// Once per accepted iterate.
    ///
    /// # Errors
    /// A failed factorisation or eigendecomposition.
    fn prepare<P: LeastSquares>(
        &mut self,
        problem: &P,
        lin: &Linearization<'_>,
        meter: Meter<'_>,
    ) -> Result<(), LinearSolveError>;
    /// Per trial: writes the step for `scale` into `out` and returns the number of inner
    /// iterations (CG iterations; 0 for direct solvers).
    ///
    /// # Errors
    /// A failed solve for this scale; the loop counts the trial as invalid.
    fn step<P: LeastSquares>(
        &mut self,
        problem: &P,
        lin: &Linearization<'_>,
        scale: f64,
        out: &mut [f64],
        meter: Meter<'_>,
    ) -> Result<usize, LinearSolveError>;
}
