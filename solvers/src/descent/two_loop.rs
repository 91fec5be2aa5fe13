//! The L-BFGS direction `d = −H∇L` (Nocedal & Wright 2006, Alg. 7.4), from the pairs
//! in [`LbfgsMemory`]. `prepare` offers the pair `s = θ − θ_prev`, `y = ∇L − ∇L_prev`
//! from the last accepted step (skipped or damped by the memory's safeguard) and forms
//! `d`; if `d` is not a descent direction (`∇Lᵀd ≥ 0`) the memory is reset and
//! `d = −∇L`. `step(α) = α d`. While the memory is empty the direction is steepest
//! descent and the first trial length is `min(1, 1/‖d‖)` (Nocedal & Wright 2006, §3.5).
//!
//! When a line search finds no decrease, [`Descent::restart`] forgets the pairs (the
//! next direction is steepest descent); from steepest descent there is nothing to
//! forget, and the solve stalls. After a resample the pair would mix two residual
//! sets, so the memory is reset then too: curvature is only ever estimated on one set.

use super::lbfgs_memory::{CurvatureSafeguard, LbfgsMemory};
use super::{Descent, Linearization, Meter};
use crate::control::Boldness;
use crate::linalg::LinearSolveError;
use crate::problem::LeastSquares;
use crate::state::{PartState, StateError};

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

    /// Forgets all pairs.
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
    fn name(&self) -> &'static str {
        "lbfgs_two_loop"
    }

    fn needs_jacobian(&self) -> bool {
        false
    }

    fn prepare(
        &mut self,
        _problem: &dyn LeastSquares,
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

    fn step(
        &mut self,
        _problem: &dyn LeastSquares,
        _lin: &Linearization<'_>,
        boldness: Boldness,
        out: &mut [f64],
        _meter: Meter<'_>,
    ) -> Result<usize, LinearSolveError> {
        let alpha = boldness.length();
        for (o, d) in out.iter_mut().zip(&self.direction) {
            *o = alpha * d;
        }
        Ok(0)
    }

    fn first_step_length(&self, step_norm: f64) -> f64 {
        if self.is_empty() {
            (1.0 / step_norm).min(1.0)
        } else {
            1.0
        }
    }

    fn restart(&mut self) -> bool {
        if self.is_empty() {
            false
        } else {
            self.reset();
            true
        }
    }

    fn residual_set_changed(&mut self) {
        self.reset();
    }

    /// The direction is part of the saved state, so nothing is re-derived (preparing
    /// again would offer the memory the last pair a second time).
    fn reprepare(
        &mut self,
        _problem: &dyn LeastSquares,
        _lin: &Linearization<'_>,
        _meter: Meter<'_>,
    ) -> Result<(), LinearSolveError> {
        Ok(())
    }

    fn save(&self) -> PartState {
        self.memory
            .save_into(PartState::new(self.name()))
            .with_vector("previous_theta", &self.prev_theta)
            .with_vector("previous_gradient", &self.prev_grad)
            .with_flag("have_previous", self.have_prev)
            .with_vector("direction", &self.direction)
    }

    fn load(&mut self, state: &PartState) -> Result<(), StateError> {
        state.expect_part(self.name())?;
        self.memory.load_from(state)?;
        state.vector_into("previous_theta", &mut self.prev_theta)?;
        state.vector_into("previous_gradient", &mut self.prev_grad)?;
        self.have_prev = state.flag("have_previous")?;
        state.vector_into("direction", &mut self.direction)
    }
}
