//! The pieces every secant (quasi-Newton) direction shares: the pair
//! `s = θ − θ_prev`, `y = ∇L − ∇L_prev` between consecutive prepared iterates, the
//! descent test that falls back to steepest descent, and the scaled step `α d`.

use crate::state::{PartState, StateError};

/// The last prepared iterate and the pair to the current one.
pub struct SecantPair {
    prev_theta: Vec<f64>,
    prev_grad: Vec<f64>,
    have_prev: bool,
    /// `s = θ − θ_prev` after [`SecantPair::advance`] returned true.
    pub s: Vec<f64>,
    /// `y = ∇L − ∇L_prev` after [`SecantPair::advance`] returned true.
    pub y: Vec<f64>,
}

impl SecantPair {
    /// Empty, for `p` parameters.
    pub fn new(p: usize) -> Self {
        Self {
            prev_theta: vec![0.0; p],
            prev_grad: vec![0.0; p],
            have_prev: false,
            s: vec![0.0; p],
            y: vec![0.0; p],
        }
    }

    /// Forms `s`, `y` against the previous iterate and returns whether there was one;
    /// [`SecantPair::remember`] then makes `(θ, ∇L)` the previous iterate.
    pub fn advance(&mut self, theta: &[f64], g: &[f64]) -> bool {
        let ready = self.have_prev;
        if ready {
            for (s, (t, pt)) in self.s.iter_mut().zip(theta.iter().zip(&self.prev_theta)) {
                *s = t - pt;
            }
            for (y, (gi, pg)) in self.y.iter_mut().zip(g.iter().zip(&self.prev_grad)) {
                *y = gi - pg;
            }
        }
        ready
    }

    /// `∇L` at the previous iterate (valid between [`SecantPair::advance`] and
    /// [`SecantPair::remember`]).
    pub fn previous_gradient(&self) -> &[f64] {
        &self.prev_grad
    }

    /// Makes `(θ, ∇L)` the previous iterate.
    pub fn remember(&mut self, theta: &[f64], g: &[f64]) {
        self.prev_theta.copy_from_slice(theta);
        self.prev_grad.copy_from_slice(g);
        self.have_prev = true;
    }

    /// Drops the previous iterate (the next pair would mix two residual sets, or the
    /// memory was reset).
    pub fn forget(&mut self) {
        self.have_prev = false;
    }

    /// Writes the previous iterate into `state`.
    pub fn save_into(&self, state: PartState) -> PartState {
        state
            .with_vector("previous_theta", &self.prev_theta)
            .with_vector("previous_gradient", &self.prev_grad)
            .with_flag("have_previous", self.have_prev)
    }

    /// Reads what [`SecantPair::save_into`] wrote.
    ///
    /// # Errors
    /// A missing or misshapen entry.
    pub fn load_from(&mut self, state: &PartState) -> Result<(), StateError> {
        state.vector_into("previous_theta", &mut self.prev_theta)?;
        state.vector_into("previous_gradient", &mut self.prev_grad)?;
        self.have_prev = state.flag("have_previous")?;
        Ok(())
    }
}

/// Turns `d = H∇L` into the direction `−H∇L`; if that is not a finite descent
/// direction (`∇Lᵀd ≥ 0`, NaN or ±∞), writes `d = −∇L` instead and returns false (the
/// caller then resets its curvature memory).
pub fn negate_or_steepest(d: &mut [f64], g: &[f64]) -> bool {
    let mut slope = 0.0;
    for (di, gi) in d.iter_mut().zip(g) {
        *di = -*di;
        slope += *di * gi;
    }
    if slope.is_nan() || slope >= 0.0 || !d.iter().all(|v| v.is_finite()) {
        for (di, gi) in d.iter_mut().zip(g) {
            *di = -gi;
        }
        return false;
    }
    true
}

/// The first trial length along a secant direction: `min(1, 1/‖d‖)` while no
/// curvature is known (the direction is steepest descent), else the quasi-Newton
/// step's natural length 1 (Nocedal & Wright 2006, §3.5).
pub fn first_length(no_curvature_yet: bool, step_norm: f64) -> f64 {
    if no_curvature_yet {
        (1.0 / step_norm).min(1.0)
    } else {
        1.0
    }
}

/// `out = α d`.
pub fn scaled(out: &mut [f64], alpha: f64, d: &[f64]) {
    for (o, di) in out.iter_mut().zip(d) {
        *o = alpha * di;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pairs_and_the_descent_test() {
        let mut p = SecantPair::new(2);
        assert!(!p.advance(&[1.0, 2.0], &[0.5, 0.5]));
        p.remember(&[1.0, 2.0], &[0.5, 0.5]);
        assert!(p.advance(&[2.0, 4.0], &[1.5, 0.0]));
        assert_eq!(
            (p.s.clone(), p.y.clone()),
            (vec![1.0, 2.0], vec![1.0, -0.5])
        );
        assert_eq!(p.previous_gradient(), &[0.5, 0.5]);
        let mut d = vec![1.0, 1.0];
        assert!(negate_or_steepest(&mut d, &[1.0, 0.0]));
        assert_eq!(d, vec![-1.0, -1.0]);
        let mut d = vec![-1.0, 0.0];
        assert!(!negate_or_steepest(&mut d, &[1.0, 2.0]));
        assert_eq!(d, vec![-1.0, -2.0]);
        let mut out = [0.0; 2];
        scaled(&mut out, 0.5, &[2.0, -4.0]);
        assert_eq!(out, [1.0, -2.0]);
        assert_eq!(
            (first_length(true, 4.0), first_length(true, 0.5)),
            (0.25, 1.0)
        );
        assert_eq!(first_length(false, 4.0), 1.0);
    }
}
