//! The doubly sketched Gauss–Newton direction of Webb, Jerad & Cartis, "Sketched
//! Gauss–Newton with a target reduction ratio" (arXiv 2607.02194, 2026):
//!
//! ```text
//! δ(λ) = Q z,   z = argmin ‖S J Q z + S r‖² + λ‖z‖²,
//! ```
//!
//! `S` a count sketch of the residual rows and `Q` an SRCT of the parameters (see
//! [`crate::linalg::sketched_svd`]). At each accepted iterate both sketches are redrawn
//! (draw `k` of the configured seed) and `S J Q` is accumulated from macro-batches of
//! `J`'s rows ([`LeastSquares::jacobian_rows`]), so the loop never assembles `J`; the
//! gradient comes from the problem's `Jᵀr`. The predicted decrease a step control
//! compares against is the sketched model's, as in the paper.
//!
//! The saved state is the draw counter: a resumed solve redraws exactly the sketches
//! the interrupted one would have used.

use super::{Descent, Linearization, Meter};
use crate::control::Boldness;
use crate::linalg::{LinearSolveError, SketchParams, SketchedSvd};
use crate::problem::LeastSquares;
use crate::state::{PartState, StateError};
use faer::Par;
use std::time::Instant;

/// Sketched damped Gauss–Newton direction (`D̃ = I`).
pub struct SketchedGaussNewton {
    solver: SketchedSvd,
    d2: Vec<f64>,
    /// λ of the last step, for its model decrease.
    last_lambda: Option<f64>,
}

impl SketchedGaussNewton {
    /// Sketches of sizes `params` for an `n × p` problem.
    pub fn new(n: usize, p: usize, params: SketchParams, par: Par) -> Self {
        Self {
            solver: SketchedSvd::new(n, p, params, par),
            d2: vec![1.0; p],
            last_lambda: None,
        }
    }

    /// `(s₁, s₂)` after clipping to the problem's sizes.
    pub fn sizes(&self) -> (usize, usize) {
        self.solver.sizes()
    }

    /// Builds and factors the core with the sketches already drawn.
    fn factor(
        &mut self,
        problem: &dyn LeastSquares,
        lin: &Linearization<'_>,
        meter: Meter<'_>,
    ) -> Result<(), LinearSolveError> {
        let t = Instant::now();
        let mut jacobian_seconds = 0.0;
        let mut r_rows = Vec::new();
        let res = self
            .solver
            .factor_rows(lin.residuals, &self.d2, |rows, out| {
                let clock = Instant::now();
                r_rows.resize(rows.len(), 0.0);
                problem.jacobian_rows(lin.theta, rows, &mut r_rows, out);
                jacobian_seconds += clock.elapsed().as_secs_f64();
            });
        meter.counts.jacobians += 1;
        meter.time.residual_jacobian += jacobian_seconds;
        meter.time.matrix += t.elapsed().as_secs_f64() - jacobian_seconds;
        self.last_lambda = None;
        res
    }
}

impl Descent for SketchedGaussNewton {
    fn name(&self) -> &'static str {
        "sketched_gauss_newton"
    }

    fn needs_jacobian(&self) -> bool {
        false
    }

    fn prepare(
        &mut self,
        problem: &dyn LeastSquares,
        lin: &Linearization<'_>,
        meter: Meter<'_>,
    ) -> Result<(), LinearSolveError> {
        self.solver.redraw_next();
        self.factor(problem, lin, meter)
    }

    /// The sketches of the last preparation, drawn again (the counter does not move).
    fn reprepare(
        &mut self,
        problem: &dyn LeastSquares,
        lin: &Linearization<'_>,
        meter: Meter<'_>,
    ) -> Result<(), LinearSolveError> {
        let draws = self.solver.draws();
        if draws == 0 {
            return self.prepare(problem, lin, meter);
        }
        self.solver.redraw(draws - 1);
        self.factor(problem, lin, meter)
    }

    fn damping_for_radius(&self, radius: f64) -> Option<f64> {
        self.solver.damping_for_radius(radius)
    }

    fn model_decrease(&self) -> Option<f64> {
        self.last_lambda.map(|l| self.solver.model_decrease(l))
    }

    fn step(
        &mut self,
        _problem: &dyn LeastSquares,
        _lin: &Linearization<'_>,
        boldness: Boldness,
        out: &mut [f64],
        meter: Meter<'_>,
    ) -> Result<usize, LinearSolveError> {
        let t = Instant::now();
        let lambda = boldness.damping();
        self.last_lambda = None;
        let res = self.solver.step(lambda, out);
        if res.is_ok() {
            self.last_lambda = Some(lambda);
        }
        meter.time.solve += t.elapsed().as_secs_f64();
        res.map(|()| 0)
    }

    fn save(&self) -> PartState {
        PartState::new(self.name()).with_count("draws", self.solver.draws())
    }

    fn load(&mut self, state: &PartState) -> Result<(), StateError> {
        state.expect_part(self.name())?;
        self.solver.set_draws(state.count("draws")?);
        Ok(())
    }
}
