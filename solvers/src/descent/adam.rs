//! Adam (Kingma & Ba, ICLR 2015) as a descent, delegating the update rule to the
//! loop-independent [`crate::quasi_newton::Adam`] component: `step` runs one Adam
//! update on a copy of θ and returns the difference, so the loop can check the step
//! for finiteness before applying it. The loop's `Always` control takes every valid
//! step, which is what the papers' Adam baselines do.

use super::{Descent, Linearization, Meter};
use crate::config::AdamConfig;
use crate::linalg::LinearSolveError;
use crate::problem::LeastSquares;
use crate::quasi_newton::{AdamParams, Schedule};

/// Adam state (moments live in the quasi-Newton component).
pub struct Adam {
    inner: crate::quasi_newton::Adam,
    scratch: Vec<f64>,
}

impl Adam {
    /// Zero moments for `p` parameters. The configuration was validated by
    /// [`crate::SolverConfig::validate`] with the same constraints.
    pub fn new(p: usize, c: &AdamConfig) -> Self {
        let params = AdamParams {
            learning_rate: c.learning_rate,
            beta1: c.beta1,
            beta2: c.beta2,
            eps: c.epsilon,
            schedule: Schedule::Constant,
        };
        Self {
            inner: crate::quasi_newton::Adam::new(p, params)
                .expect("validated by SolverConfig::validate"),
            scratch: vec![0.0; p],
        }
    }
}

impl Descent for Adam {
    fn needs_jacobian(&self) -> bool {
        false
    }

    fn prepare<P: LeastSquares>(
        &mut self,
        _problem: &P,
        _lin: &Linearization<'_>,
        _meter: Meter<'_>,
    ) -> Result<(), LinearSolveError> {
        Ok(())
    }

    fn step<P: LeastSquares>(
        &mut self,
        _problem: &P,
        lin: &Linearization<'_>,
        _scale: f64,
        out: &mut [f64],
        _meter: Meter<'_>,
    ) -> Result<usize, LinearSolveError> {
        self.scratch.copy_from_slice(lin.theta);
        self.inner
            .step(lin.gradient, &mut self.scratch)
            .map_err(|_| LinearSolveError::NonFinite)?;
        for ((o, new), old) in out.iter_mut().zip(&self.scratch).zip(lin.theta) {
            *o = new - old;
        }
        Ok(0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::record::{EvaluationCounts, TimeSplit};

    struct Dummy;
    impl LeastSquares for Dummy {
        fn n_params(&self) -> usize {
            2
        }
        fn n_residuals(&self) -> usize {
            1
        }
        fn residuals(&self, _: &[f64], _: &mut [f64]) {}
        fn residuals_and_jacobian(&self, _: &[f64], _: &mut [f64], _: faer::MatMut<'_, f64>) {}
    }

    #[test]
    fn first_step_is_learning_rate_times_sign() {
        // After one update, m̂ = g and v̂ = g², so the step is −α g/(|g| + ε).
        let mut a = Adam::new(2, &AdamConfig::default());
        let g = [3.0, -0.5];
        let lin = Linearization {
            theta: &[1.0, 2.0],
            residuals: &[0.0],
            jacobian: None,
            gradient: &g,
            loss: 0.0,
        };
        let (mut t, mut c) = (TimeSplit::default(), EvaluationCounts::default());
        let mut out = [0.0; 2];
        a.step(
            &Dummy,
            &lin,
            1.0,
            &mut out,
            Meter {
                time: &mut t,
                counts: &mut c,
            },
        )
        .unwrap();
        assert!((out[0] + 1e-3 * 3.0 / (3.0 + 1e-8)).abs() < 1e-15);
        assert!((out[1] - 1e-3 * 0.5 / (0.5 + 1e-8)).abs() < 1e-15);
    }
}
