//! The L-BFGS direction `d = −H∇L` (Nocedal & Wright 2006, Alg. 7.4), from the
//! loop-independent [`LbfgsMemory`] of the quasi-Newton components. `prepare` offers
//! the pair `s = θ − θ_prev`, `y = ∇L − ∇L_prev` from the last accepted step (skipped
//! or damped by the memory's safeguard) and forms `d`; if `d` is not a descent direction
//! (`∇Lᵀd ≥ 0`) the memory is reset and `d = −∇L`. `step(α) = α d`.
//!
//! After a resample the pair mixes two residual sets; the memory is reset then, so
//! curvature is only ever estimated on one set.

use super::{Descent, Linearization, Meter};
use crate::linalg::LinearSolveError;
use crate::problem::LeastSquares;
use crate::quasi_newton::{CurvatureSafeguard, LbfgsMemory};

/// L-BFGS direction state.
pub struct TwoLoop {
    memory: LbfgsMemory,
    prev_theta: Vec<f64>,
    prev_grad: Vec<f64>,
    have_prev: bool,
    s: Vec<f64>,
    y: Vec<f64>,
    direction: Vec<f64>,
}

impl TwoLoop {
    /// Memory of `m` pairs for `p` parameters.
    pub fn new(p: usize, m: usize) -> Self {
        Self {
            memory: LbfgsMemory::new(p, m, CurvatureSafeguard::default()),
            prev_theta: vec![0.0; p],
            prev_grad: vec![0.0; p],
            have_prev: false,
            s: vec![0.0; p],
            y: vec![0.0; p],
            direction: vec![0.0; p],
        }
    }

    /// Forgets all pairs (after a failed line search or a resample).
    pub fn reset(&mut self) {
        self.memory.reset();
        self.have_prev = false;
    }

    /// Whether no pair is stored (the direction is steepest descent).
    pub fn is_empty(&self) -> bool {
        self.memory.is_empty()
    }
}

impl Descent for TwoLoop {
    fn needs_jacobian(&self) -> bool {
        false
    }

    fn prepare<P: LeastSquares>(
        &mut self,
        _problem: &P,
        lin: &Linearization<'_>,
        _meter: Meter<'_>,
    ) -> Result<(), LinearSolveError> {
        let g = lin.gradient;
        if self.have_prev {
            for (s, (t, pt)) in self
                .s
                .iter_mut()
                .zip(lin.theta.iter().zip(&self.prev_theta))
            {
                *s = t - pt;
            }
            for (y, (gi, pg)) in self.y.iter_mut().zip(g.iter().zip(&self.prev_grad)) {
                *y = gi - pg;
            }
            self.memory.push(&self.s, &self.y);
        }
        self.prev_theta.copy_from_slice(lin.theta);
        self.prev_grad.copy_from_slice(g);
        self.have_prev = true;
        self.memory.apply_inverse_hessian(g, &mut self.direction);
        let mut slope = 0.0;
        for (d, gi) in self.direction.iter_mut().zip(g) {
            *d = -*d;
            slope += *d * gi;
        }
        if slope.is_nan() || slope >= 0.0 || !self.direction.iter().all(|v| v.is_finite()) {
            self.memory.reset();
            for (d, gi) in self.direction.iter_mut().zip(g) {
                *d = -gi;
            }
        }
        Ok(())
    }

    fn step<P: LeastSquares>(
        &mut self,
        _problem: &P,
        _lin: &Linearization<'_>,
        alpha: f64,
        out: &mut [f64],
        _meter: Meter<'_>,
    ) -> Result<usize, LinearSolveError> {
        for (o, d) in out.iter_mut().zip(&self.direction) {
            *o = alpha * d;
        }
        Ok(0)
    }
}
