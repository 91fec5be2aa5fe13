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
use super::secant::{SecantPair, first_length, negate_or_steepest, scaled};
use super::{Descent, Linearization, Meter};
use crate::control::Boldness;
use crate::linalg::LinearSolveError;
use crate::problem::LeastSquares;
use crate::state::{PartState, StateError};

/// L-BFGS direction state.
pub struct TwoLoop {
    memory: LbfgsMemory,
    pair: SecantPair,
    direction: Vec<f64>,
}

impl TwoLoop {
    /// Memory of `m` pairs for `p` parameters.
    pub fn new(p: usize, m: usize) -> Self {
        Self {
            memory: LbfgsMemory::new(p, m, CurvatureSafeguard::default()),
            pair: SecantPair::new(p),
            direction: vec![0.0; p],
        }
    }

    /// Forgets all pairs.
    pub fn reset(&mut self) {
        self.memory.reset();
        self.pair.forget();
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
        if self.pair.advance(lin.theta, g) {
            self.memory.push(&self.pair.s, &self.pair.y);
        }
        self.pair.remember(lin.theta, g);
        self.memory.apply_inverse_hessian(g, &mut self.direction);
        if !negate_or_steepest(&mut self.direction, g) {
            self.memory.reset();
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
        scaled(out, boldness.length(), &self.direction);
        Ok(0)
    }

    fn first_step_length(&self, step_norm: f64) -> f64 {
        first_length(self.is_empty(), step_norm)
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
        self.pair
            .save_into(self.memory.save_into(PartState::new(self.name())))
            .with_vector("direction", &self.direction)
    }

    fn load(&mut self, state: &PartState) -> Result<(), StateError> {
        state.expect_part(self.name())?;
        self.memory.load_from(state)?;
        self.pair.load_from(state)?;
        state.vector_into("direction", &mut self.direction)
    }
}
