//! Adam (Kingma & Ba, ICLR 2015) as a descent: `prepare` folds the gradient at the new
//! iterate into the moment estimates, `step(α)` returns `−α m̂ / (√v̂ + ε)` with the
//! bias corrections `m̂ = m/(1 − β₁ᵗ)`, `v̂ = v/(1 − β₂ᵗ)`. The loop always takes the
//! step (unless it is invalid), which is what the papers' Adam baselines do.

use super::{Descent, Linearization, Meter};
use crate::config::AdamConfig;
use crate::linalg::LinearSolveError;
use crate::problem::LeastSquares;

/// Adam moment state.
pub struct Adam {
    c: AdamConfig,
    m: Vec<f64>,
    v: Vec<f64>,
    t: i32,
}

impl Adam {
    /// Zero moments for `p` parameters.
    pub fn new(p: usize, c: &AdamConfig) -> Self {
        Self {
            c: c.clone(),
            m: vec![0.0; p],
            v: vec![0.0; p],
            t: 0,
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
        lin: &Linearization<'_>,
        _meter: Meter<'_>,
    ) -> Result<(), LinearSolveError> {
        self.t = self.t.saturating_add(1);
        let (b1, b2) = (self.c.beta1, self.c.beta2);
        for ((m, v), g) in self.m.iter_mut().zip(&mut self.v).zip(lin.gradient) {
            *m = b1 * *m + (1.0 - b1) * g;
            *v = b2 * *v + (1.0 - b2) * g * g;
        }
        Ok(())
    }

    fn step<P: LeastSquares>(
        &mut self,
        _problem: &P,
        _lin: &Linearization<'_>,
        scale: f64,
        out: &mut [f64],
        _meter: Meter<'_>,
    ) -> Result<usize, LinearSolveError> {
        let c1 = 1.0 - self.c.beta1.powi(self.t);
        let c2 = 1.0 - self.c.beta2.powi(self.t);
        let lr = scale * self.c.learning_rate;
        for ((o, m), v) in out.iter_mut().zip(&self.m).zip(&self.v) {
            *o = -lr * (m / c1) / ((v / c2).sqrt() + self.c.epsilon);
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
            theta: &[0.0, 0.0],
            residuals: &[0.0],
            jacobian: None,
            gradient: &g,
            loss: 0.0,
        };
        let (mut t, mut c) = (TimeSplit::default(), EvaluationCounts::default());
        a.prepare(
            &Dummy,
            &lin,
            Meter {
                time: &mut t,
                counts: &mut c,
            },
        )
        .unwrap();
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
        assert!((out[0] + 1e-3 * 3.0 / (3.0 + 1e-8)).abs() < 1e-18);
        assert!((out[1] - 1e-3 * 0.5 / (0.5 + 1e-8)).abs() < 1e-18);
    }
}
