//! Descents: how to move, given a [`Boldness`]. Each descent does its
//! boldness-independent work once per accepted iterate in [`Descent::prepare`] and
//! produces a trial step for one boldness in [`Descent::step`]: a damped direction
//! reads it as `λ`, a direction with a step length as `η`, and a step control decides
//! which boldness to ask for (see [`crate::control`]).
//!
//! - [`damped_gauss_newton`]: `argmin ‖Jδ + r‖² + λ‖D̃δ‖²` through a dense linear solver;
//! - [`accumulated_gauss_newton`]: the same on normal equations accumulated over
//!   re-drawn residual sets with a forgetting factor;
//! - [`sketched_gauss_newton`]: the same in a random subspace, fitted to sketched
//!   residuals, with `J` swept in row blocks;
//! - [`truncated_cg`]: the same system by preconditioned CG on `J·v`, `Jᵀ·w`;
//! - [`gramian`]: ENGD's `−η G⁺∇L`;
//! - [`two_loop`]: L-BFGS's `−α H∇L`, from the pairs in [`lbfgs_memory`];
//! - [`dense_quasi_newton`]: BFGS, SSBFGS and SSBroyden with a dense inverse Hessian;
//! - [`adam`]: Adam's moment-normalised step;
//! - [`secant`]: what the secant directions share.

pub mod accumulated_gauss_newton;
pub mod adam;
pub mod cg_nystrom;
pub mod damped_gauss_newton;
pub mod dense_quasi_newton;
pub mod gramian;
pub mod lbfgs_memory;
pub mod secant;
pub mod sketched_gauss_newton;
pub mod symmetric_dense;
pub mod truncated_cg;
pub mod two_loop;

use crate::control::Boldness;
use crate::linalg::LinearSolveError;
use crate::problem::LeastSquares;
use crate::record::{EvaluationCounts, TimeSplit};
use crate::state::{PartState, StateError};
use faer::MatRef;

pub use adam::Adam;
pub use damped_gauss_newton::DampedGaussNewton;
pub use gramian::GramianDescent;
pub use sketched_gauss_newton::SketchedGaussNewton;
pub use truncated_cg::TruncatedCg;
pub use two_loop::TwoLoop;

/// `‖D̃x‖₂` for a diagonal scaling given by its squares `d2` (`D̃² = diag(d2)`): the
/// trust-region metric of the damped Gauss–Newton descents.
pub(crate) fn diagonally_scaled_norm(x: &[f64], d2: &[f64]) -> f64 {
    let scaled: Vec<f64> = x.iter().zip(d2).map(|(v, d)| v * d.sqrt()).collect();
    faer::ColRef::from_slice(&scaled).norm_l2()
}

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
    /// The descent's name, for saved state.
    fn name(&self) -> &'static str;
    /// Whether the loop must assemble `J` at each accepted iterate.
    fn needs_jacobian(&self) -> bool;
    /// Once per accepted iterate.
    ///
    /// # Errors
    /// A failed factorisation or eigendecomposition.
    fn prepare(
        &mut self,
        problem: &dyn LeastSquares,
        lin: &Linearization<'_>,
        meter: Meter<'_>,
    ) -> Result<(), LinearSolveError>;
    /// Per trial: writes the step for `boldness` into `out` and returns the number of
    /// inner iterations (CG iterations; 0 for direct solvers).
    ///
    /// # Errors
    /// A failed solve for this boldness; the loop counts the trial as invalid.
    fn step(
        &mut self,
        problem: &dyn LeastSquares,
        lin: &Linearization<'_>,
        boldness: Boldness,
        out: &mut [f64],
        meter: Meter<'_>,
    ) -> Result<usize, LinearSolveError>;

    /// Whether the descent must see a fresh gradient at every iteration, even when the
    /// iterate did not move (Adam folds each gradient into its moments).
    fn linearize_every_iteration(&self) -> bool {
        false
    }
    /// The length a line search should try first along a step of norm `step_norm`.
    fn first_step_length(&self, step_norm: f64) -> f64 {
        let _ = step_norm;
        1.0
    }
    /// `‖D̃x‖₂` in the metric the descent damps (for a trust-region bound on the
    /// step); the Euclidean norm unless the descent scales its damping.
    fn scaled_norm(&self, x: &[f64]) -> f64 {
        faer::ColRef::from_slice(x).norm_l2()
    }
    /// The damping whose step has scaled norm `radius` (see
    /// [`crate::linalg::AugmentedSolver::damping_for_radius`]), when the descent can
    /// say without a search; `None` otherwise (the default).
    fn damping_for_radius(&self, radius: f64) -> Option<f64> {
        let _ = radius;
        None
    }
    /// The decrease of the descent's own model at the last step, when that model is not
    /// the Gauss–Newton model `½‖r‖² − ½‖r + Jδ‖²` the loop forms from `J·δ` (a sketched
    /// model predicts from its sketches); `None` (the default) lets the loop form it.
    fn model_decrease(&self) -> Option<f64> {
        None
    }
    /// No decrease exists along the last direction: start afresh (forget memory) and
    /// return `true`, or return `false` when a fresh start would give the same
    /// direction (the solve then stalls).
    fn restart(&mut self) -> bool {
        false
    }
    /// The problem drew a new residual set: forget what mixes two sets.
    fn residual_set_changed(&mut self) {}
    /// Before the first iteration: takes over the curvature memory that `earlier` (the
    /// saved state of a descent of the same kind, at the end of a solve of a related
    /// problem with the same parameters, e.g. the previous time slab) built, and
    /// returns whether it did. Only what approximates the loss's curvature in θ is
    /// taken, nothing tied to the earlier iterate. The default keeps nothing.
    ///
    /// # Errors
    /// A state of this kind whose entries do not fit.
    fn adopt_memory(&mut self, _earlier: &PartState) -> Result<bool, StateError> {
        Ok(false)
    }
    /// After a resume at an iterate whose preparation was still valid: re-derive what
    /// `prepare` computed without its once-per-iterate side effects (e.g. without
    /// offering the L-BFGS memory a pair twice). The default prepares again.
    ///
    /// # Errors
    /// As [`Descent::prepare`].
    fn reprepare(
        &mut self,
        problem: &dyn LeastSquares,
        lin: &Linearization<'_>,
        meter: Meter<'_>,
    ) -> Result<(), LinearSolveError> {
        self.prepare(problem, lin, meter)
    }
    /// The state the descent carries between iterates.
    fn save(&self) -> PartState {
        PartState::new(self.name())
    }
    /// Restores what [`Descent::save`] wrote.
    ///
    /// # Errors
    /// A state of another descent, or a missing or misshapen entry.
    fn load(&mut self, state: &PartState) -> Result<(), StateError> {
        state.expect_part(self.name())
    }
}

/// A problem for unit tests of descents that never evaluate it (their `prepare` and
/// `step` read the [`Linearization`] only).
#[cfg(test)]
pub(crate) struct NoProblem;

#[cfg(test)]
impl LeastSquares for NoProblem {
    fn n_params(&self) -> usize {
        0
    }
    fn n_residuals(&self) -> usize {
        0
    }
    fn residuals(&self, _: &[f64], _: &mut [f64]) {}
    fn residuals_and_jacobian(&self, _: &[f64], _: &mut [f64], _: faer::MatMut<'_, f64>) {}
}
