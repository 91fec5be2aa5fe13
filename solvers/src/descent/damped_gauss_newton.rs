//! The damped Gauss–Newton (Levenberg–Marquardt) direction:
//! `δ(λ) = argmin ‖Jδ + r‖² + λ‖D̃δ‖²`, through any [`AugmentedSolver`].
//!
//! `D̃² = I` (Levenberg 1944), `D̃² = clamp(diag(JᵀJ), 1e-6, 1e32)` (Marquardt 1963,
//! with Ceres's clamp so that zero columns cannot make the damping vanish nor huge ones
//! overflow), or the running maximum of the latter over the iterates (MINPACK's
//! `lmder`, `mode = 1`). `D̃` is updated at every accepted iterate and reused across
//! rejected trials, as in Ceres `LevenbergMarquardtStrategy::ComputeStep`.

use super::{Descent, Linearization, Meter};
use crate::config::{LinearSolverKind, Scaling};
use crate::control::Boldness;
use crate::linalg::fixed_order::sum_of_squares;
use crate::linalg::{AugmentedSolver, LinearSolveError};
use crate::problem::LeastSquares;
use crate::state::{PartState, StateError};
use std::time::Instant;

/// Ceres's bounds on the Marquardt diagonal.
pub const MARQUARDT_MIN: f64 = 1e-6;
/// See [`MARQUARDT_MIN`].
pub const MARQUARDT_MAX: f64 = 1e32;

/// `‖J e_j‖²`, the Marquardt diagonal entry before the clamp, by
/// [`sum_of_squares`]: unscaled (the clamp to `[1e-6, 1e32]` absorbs an overflow to `+∞`
/// or an underflow to 0), in a fixed order, and without the subnormal intermediates that
/// made faer's scaled `norm_l2` the most expensive step of a small LM iteration.
fn column_sum_of_squares(jac: faer::MatRef<'_, f64>, j: usize) -> f64 {
    match jac.col(j).try_as_col_major() {
        Some(col) => sum_of_squares(col.as_slice()),
        None => sum_of_squares(&jac.col(j).iter().copied().collect::<Vec<f64>>()),
    }
}

/// Damped Gauss–Newton direction.
pub struct DampedGaussNewton {
    solver: Box<dyn AugmentedSolver + Send>,
    scaling: Scaling,
    d2: Vec<f64>,
}

impl DampedGaussNewton {
    /// Wraps a linear solver.
    pub fn new(solver: Box<dyn AugmentedSolver + Send>, scaling: Scaling, n_params: usize) -> Self {
        let start = if scaling == Scaling::MarquardtMax {
            0.0
        } else {
            1.0
        };
        Self {
            solver,
            scaling,
            d2: vec![start; n_params],
        }
    }
    /// The linear solver in use.
    pub fn linear_solver(&self) -> LinearSolverKind {
        self.solver.kind()
    }
}

impl Descent for DampedGaussNewton {
    fn name(&self) -> &'static str {
        "damped_gauss_newton"
    }

    fn needs_jacobian(&self) -> bool {
        true
    }

    fn prepare(
        &mut self,
        _problem: &dyn LeastSquares,
        lin: &Linearization<'_>,
        meter: Meter<'_>,
    ) -> Result<(), LinearSolveError> {
        let t = Instant::now();
        let jac = lin
            .jacobian
            .expect("damped Gauss–Newton needs the assembled Jacobian");
        match self.scaling {
            Scaling::Identity => {}
            Scaling::Marquardt => {
                for (j, d) in self.d2.iter_mut().enumerate() {
                    let c2 = column_sum_of_squares(jac, j);
                    *d = c2.clamp(MARQUARDT_MIN, MARQUARDT_MAX);
                }
            }
            Scaling::MarquardtMax => {
                for (j, d) in self.d2.iter_mut().enumerate() {
                    let c2 = column_sum_of_squares(jac, j);
                    *d = d.max(c2.clamp(MARQUARDT_MIN, MARQUARDT_MAX));
                }
            }
        }
        let res = self.solver.factor(jac, lin.residuals, &self.d2);
        meter.time.matrix += t.elapsed().as_secs_f64();
        res
    }

    /// `‖D̃x‖₂` with `D̃² = diag` of the damping (Marquardt's column norms at the last
    /// prepared iterate, or the identity).
    fn scaled_norm(&self, x: &[f64]) -> f64 {
        super::diagonally_scaled_norm(x, &self.d2)
    }

    fn damping_for_radius(&self, radius: f64) -> Option<f64> {
        self.solver.damping_for_radius(radius)
    }

    fn step(
        &mut self,
        _problem: &dyn LeastSquares,
        lin: &Linearization<'_>,
        boldness: Boldness,
        out: &mut [f64],
        meter: Meter<'_>,
    ) -> Result<usize, LinearSolveError> {
        let t = Instant::now();
        let jac = lin
            .jacobian
            .expect("damped Gauss–Newton needs the assembled Jacobian");
        let res = self.solver.solve(jac, boldness.damping(), out);
        meter.time.solve += t.elapsed().as_secs_f64();
        res.map(|()| 0)
    }

    /// The running maximum of the Marquardt diagonal (the other scalings keep no
    /// state between iterates).
    fn save(&self) -> PartState {
        let s = PartState::new(self.name());
        if self.scaling == Scaling::MarquardtMax {
            s.with_vector("scaling_squared", &self.d2)
        } else {
            s
        }
    }

    fn load(&mut self, state: &PartState) -> Result<(), StateError> {
        state.expect_part(self.name())?;
        if self.scaling == Scaling::MarquardtMax {
            state.vector_into("scaling_squared", &mut self.d2)?;
        }
        Ok(())
    }
}
