//! Adam (Kingma & Ba 2015), the first-order baseline, with bias correction and an
//! optional learning-rate schedule: the update rule ([`Adam::update`]) and the descent
//! that runs it in the solve loop. As a descent, `step` runs one update on a copy of θ
//! and returns the difference, so the loop can check the step for finiteness before
//! taking it; the always-accept control then takes every valid step, which is what the
//! papers' Adam baselines do. The moments fold in a fresh gradient at every iteration.
//!
//! # Math
//! Kingma & Ba (2015), Algorithm 1. With gradient `gₜ` at step `t = 1, 2, …`:
//!
//! ```text
//! mₜ = β₁ mₜ₋₁ + (1 − β₁) gₜ              first-moment estimate
//! vₜ = β₂ vₜ₋₁ + (1 − β₂) gₜ²             second raw-moment estimate (elementwise)
//! m̂ₜ = mₜ / (1 − β₁ᵗ),  v̂ₜ = vₜ / (1 − β₂ᵗ)     bias correction (their §3)
//! θₜ = θₜ₋₁ − ηₜ m̂ₜ / (√v̂ₜ + ε)
//! ```
//!
//! `m₀ = v₀ = 0`, so without the correction the first steps would be biased towards
//! zero by the factors `1 − β₁ᵗ`, `1 − β₂ᵗ`. The learning rate `ηₜ` follows a
//! [`Schedule`]. We use Algorithm 1's placement of `ε` (outside the corrected root, as
//! PyTorch and TensorFlow do), not the "more efficient" reordering at the end of their
//! §2, which moves `ε` inside the correction.
//!
//! # References
//! - D. P. Kingma and J. Ba, "Adam: A method for stochastic optimization", ICLR 2015
//!   (defaults η = 0.001, β₁ = 0.9, β₂ = 0.999, ε = 10⁻⁸).

use super::{Descent, Linearization, Meter};
use crate::config::AdamConfig;
use crate::control::Boldness;
use crate::linalg::LinearSolveError;
use crate::problem::LeastSquares;
use crate::state::{PartState, StateError};
use thiserror::Error;

/// Learning-rate schedule `ηₜ` as a function of the step count `t` (number of steps
/// already taken, starting at 0 for the first step).
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Schedule {
    /// `ηₜ = η₀`.
    Constant,
    /// Smooth exponential decay `ηₜ = η₀ · rate^(t / decay_steps)` (the form of
    /// TensorFlow's `ExponentialDecay` without staircase).
    ExponentialDecay {
        /// Factor applied every `decay_steps` steps, in `(0, 1]`.
        rate: f64,
        /// Number of steps over which the rate is applied once, `≥ 1`.
        decay_steps: usize,
    },
    /// Piecewise constant `ηₜ = η₀ · factor^⌊t / every⌋` (PyTorch `StepLR`).
    Step {
        /// Factor applied every `every` steps, in `(0, 1]`.
        factor: f64,
        /// Period in steps, `≥ 1`.
        every: usize,
    },
}

impl Schedule {
    /// The multiplier `ηₜ / η₀` for `t` steps already taken.
    pub fn factor(&self, t: u64) -> f64 {
        match *self {
            Self::Constant => 1.0,
            Self::ExponentialDecay { rate, decay_steps } => {
                rate.powf(t as f64 / decay_steps as f64)
            }
            Self::Step { factor, every } => {
                let k = t / every as u64;
                factor.powf(k as f64)
            }
        }
    }
}

/// Adam hyper-parameters. Defaults are Kingma & Ba's (2015, Algorithm 1).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct AdamParams {
    /// Initial learning rate `η₀` (default `1e-3`).
    pub learning_rate: f64,
    /// First-moment decay `β₁ ∈ [0, 1)` (default `0.9`).
    pub beta1: f64,
    /// Second-moment decay `β₂ ∈ [0, 1)` (default `0.999`).
    pub beta2: f64,
    /// Denominator offset `ε > 0` (default `1e-8`).
    pub eps: f64,
    /// Learning-rate schedule (default constant).
    pub schedule: Schedule,
}

impl Default for AdamParams {
    fn default() -> Self {
        Self {
            learning_rate: 1e-3,
            beta1: 0.9,
            beta2: 0.999,
            eps: 1e-8,
            schedule: Schedule::Constant,
        }
    }
}

/// Errors of the Adam component.
#[derive(Clone, Copy, Debug, PartialEq, Error)]
pub enum AdamError {
    /// A hyper-parameter violates its constraint.
    #[error("Adam parameter `{name}` = {value:e} violates {constraint}")]
    InvalidParameter {
        /// Parameter name.
        name: &'static str,
        /// Its value.
        value: f64,
        /// The violated constraint.
        constraint: &'static str,
    },
    /// The gradient has a non-finite entry; the step was not taken and the moment
    /// estimates are unchanged. Usually the loss overflowed: lower the learning rate.
    #[error(
        "the gradient entry {index} is {value}; the Adam step was not taken \
         (the loss may have overflowed: lower the learning rate)"
    )]
    NonFiniteGradient {
        /// Index of the first non-finite entry.
        index: usize,
        /// Its value.
        value: f64,
    },
}

impl AdamParams {
    /// Checks `η₀ > 0`, `β₁, β₂ ∈ [0, 1)`, `ε > 0` and the schedule's constants.
    ///
    /// # Errors
    /// [`AdamError::InvalidParameter`] naming the first violation.
    pub fn validate(&self) -> Result<(), AdamError> {
        let bad = |name, value, constraint| {
            Err(AdamError::InvalidParameter {
                name,
                value,
                constraint,
            })
        };
        if !(self.learning_rate > 0.0 && self.learning_rate.is_finite()) {
            return bad(
                "learning_rate",
                self.learning_rate,
                "0 < learning_rate < inf",
            );
        }
        if !(0.0..1.0).contains(&self.beta1) {
            return bad("beta1", self.beta1, "0 <= beta1 < 1");
        }
        if !(0.0..1.0).contains(&self.beta2) {
            return bad("beta2", self.beta2, "0 <= beta2 < 1");
        }
        if !(self.eps > 0.0 && self.eps.is_finite()) {
            return bad("eps", self.eps, "0 < eps < inf");
        }
        match self.schedule {
            Schedule::Constant => {}
            Schedule::ExponentialDecay { rate, decay_steps } => {
                if !(rate > 0.0 && rate <= 1.0) {
                    return bad("schedule.rate", rate, "0 < rate <= 1");
                }
                if decay_steps == 0 {
                    return bad("schedule.decay_steps", 0.0, "decay_steps >= 1");
                }
            }
            Schedule::Step { factor, every } => {
                if !(factor > 0.0 && factor <= 1.0) {
                    return bad("schedule.factor", factor, "0 < factor <= 1");
                }
                if every == 0 {
                    return bad("schedule.every", 0.0, "every >= 1");
                }
            }
        }
        Ok(())
    }
}

/// Adam state: the moment estimates `m`, `v` (allocated once in [`Adam::new`]) and the
/// step count. [`Adam::update`] allocates nothing.
#[derive(Clone, Debug)]
pub struct Adam {
    params: AdamParams,
    m: Vec<f64>,
    v: Vec<f64>,
    t: u64,
    /// `β₁ᵗ`, `β₂ᵗ`, kept as running products.
    beta1_pow: f64,
    beta2_pow: f64,
    /// θ moved by one update, for the descent's step.
    scratch: Vec<f64>,
}

impl Adam {
    /// State for `n` parameters.
    ///
    /// # Errors
    /// [`AdamError::InvalidParameter`] (see [`AdamParams::validate`]).
    pub fn new(n: usize, params: AdamParams) -> Result<Self, AdamError> {
        params.validate()?;
        Ok(Self {
            params,
            m: vec![0.0; n],
            v: vec![0.0; n],
            t: 0,
            beta1_pow: 1.0,
            beta2_pow: 1.0,
            scratch: vec![0.0; n],
        })
    }

    /// The descent for `p` parameters with a solver configuration's Adam options
    /// (constant learning rate). The options were validated by
    /// [`crate::SolverConfig::validate`] with the same constraints.
    pub fn from_config(p: usize, c: &AdamConfig) -> Self {
        let params = AdamParams {
            learning_rate: c.learning_rate,
            beta1: c.beta1,
            beta2: c.beta2,
            eps: c.epsilon,
            schedule: Schedule::Constant,
        };
        Self::new(p, params).expect("validated by SolverConfig::validate")
    }

    /// The hyper-parameters.
    pub fn params(&self) -> &AdamParams {
        &self.params
    }

    /// Number of steps taken.
    pub fn steps_taken(&self) -> u64 {
        self.t
    }

    /// The learning rate the next step will use, `η₀ · schedule.factor(t)`.
    pub fn learning_rate(&self) -> f64 {
        self.params.learning_rate * self.params.schedule.factor(self.t)
    }

    /// First-moment estimate `mₜ` (uncorrected).
    pub fn first_moment(&self) -> &[f64] {
        &self.m
    }

    /// Second-moment estimate `vₜ` (uncorrected).
    pub fn second_moment(&self) -> &[f64] {
        &self.v
    }

    /// Forgets the moments and the step count (e.g. after resampling the collocation
    /// points, if the caller wants a fresh start).
    pub fn reset(&mut self) {
        self.m.fill(0.0);
        self.v.fill(0.0);
        self.t = 0;
        self.beta1_pow = 1.0;
        self.beta2_pow = 1.0;
    }

    /// One Adam step: updates `m`, `v` with `grad` and moves `theta` in place.
    ///
    /// # Errors
    /// [`AdamError::NonFiniteGradient`] if `grad` has a NaN or infinite entry; then
    /// neither `theta` nor the state changes.
    ///
    /// # Panics
    /// If `grad` or `theta` does not have the length given to [`Adam::new`].
    #[track_caller]
    pub fn update(&mut self, grad: &[f64], theta: &mut [f64]) -> Result<(), AdamError> {
        assert_eq!(grad.len(), self.m.len(), "grad has the wrong length");
        assert_eq!(theta.len(), self.m.len(), "theta has the wrong length");
        if let Some((index, &value)) = grad.iter().enumerate().find(|(_, g)| !g.is_finite()) {
            return Err(AdamError::NonFiniteGradient { index, value });
        }
        let lr = self.learning_rate();
        let AdamParams {
            beta1, beta2, eps, ..
        } = self.params;
        self.t += 1;
        self.beta1_pow *= beta1;
        self.beta2_pow *= beta2;
        let c1 = 1.0 / (1.0 - self.beta1_pow);
        let c2 = 1.0 / (1.0 - self.beta2_pow);
        for (((th, &g), m), v) in theta
            .iter_mut()
            .zip(grad)
            .zip(self.m.iter_mut())
            .zip(self.v.iter_mut())
        {
            *m = beta1 * *m + (1.0 - beta1) * g;
            *v = beta2 * *v + (1.0 - beta2) * g * g;
            let m_hat = *m * c1;
            let v_hat = *v * c2;
            *th -= lr * m_hat / (v_hat.sqrt() + eps);
        }
        Ok(())
    }
}

impl Descent for Adam {
    fn name(&self) -> &'static str {
        "adam"
    }

    fn needs_jacobian(&self) -> bool {
        false
    }

    fn linearize_every_iteration(&self) -> bool {
        true
    }

    fn prepare(
        &mut self,
        _problem: &dyn LeastSquares,
        _lin: &Linearization<'_>,
        _meter: Meter<'_>,
    ) -> Result<(), LinearSolveError> {
        Ok(())
    }

    fn step(
        &mut self,
        _problem: &dyn LeastSquares,
        lin: &Linearization<'_>,
        _boldness: Boldness,
        out: &mut [f64],
        _meter: Meter<'_>,
    ) -> Result<usize, LinearSolveError> {
        let mut moved = std::mem::take(&mut self.scratch);
        moved.copy_from_slice(lin.theta);
        let res = self.update(lin.gradient, &mut moved);
        for ((o, new), old) in out.iter_mut().zip(&moved).zip(lin.theta) {
            *o = new - old;
        }
        self.scratch = moved;
        res.map(|()| 0).map_err(|_| LinearSolveError::NonFinite)
    }

    fn save(&self) -> PartState {
        PartState::new(self.name())
            .with_vector("m", &self.m)
            .with_vector("v", &self.v)
            .with_count("t", self.t)
            .with_scalar("beta1_pow", self.beta1_pow)
            .with_scalar("beta2_pow", self.beta2_pow)
    }

    fn load(&mut self, state: &PartState) -> Result<(), StateError> {
        state.expect_part(self.name())?;
        state.vector_into("m", &mut self.m)?;
        state.vector_into("v", &mut self.v)?;
        self.t = state.count("t")?;
        self.beta1_pow = state.scalar("beta1_pow")?;
        self.beta2_pow = state.scalar("beta2_pow")?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::record::{EvaluationCounts, TimeSplit};

    #[test]
    fn first_step_by_hand() {
        // After one step m̂ = g and v̂ = g², so Δθ = −η g/(|g| + ε) ≈ −η sign(g).
        let p = AdamParams {
            learning_rate: 0.1,
            ..AdamParams::default()
        };
        let mut adam = Adam::new(3, p).unwrap();
        let g = [2.0, -0.5, 0.0];
        let mut theta = [1.0, 1.0, 1.0];
        adam.update(&g, &mut theta).unwrap();
        let expect = |th: f64, g: f64| th - 0.1 * g / (g.abs() + 1e-8);
        for i in 0..3 {
            assert!((theta[i] - expect(1.0, g[i])).abs() < 1e-15, "{i}");
        }
        let m = adam.first_moment();
        assert!((m[0] - 0.2).abs() < 1e-16 && (m[1] + 0.05).abs() < 1e-16 && m[2] == 0.0);
        assert!((adam.second_moment()[0] - 0.004).abs() < 1e-15 * 0.004);
    }

    #[test]
    fn second_step_by_hand() {
        let p = AdamParams {
            learning_rate: 0.01,
            beta1: 0.5,
            beta2: 0.75,
            eps: 1e-3,
            schedule: Schedule::Constant,
        };
        let mut adam = Adam::new(1, p).unwrap();
        let mut theta = [0.0];
        adam.update(&[1.0], &mut theta).unwrap();
        adam.update(&[3.0], &mut theta).unwrap();
        // m₁ = 0.5, v₁ = 0.25; m₂ = 0.25 + 1.5 = 1.75, v₂ = 0.1875 + 2.25 = 2.4375.
        // m̂₂ = 1.75/0.75, v̂₂ = 2.4375/(1 − 0.5625) = 5.5714…
        let step1 = 0.01 * 1.0 / (1.0 + 1e-3);
        let m_hat = 1.75 / 0.75;
        let v_hat: f64 = 2.4375 / 0.4375;
        let step2 = 0.01 * m_hat / (v_hat.sqrt() + 1e-3);
        assert!((theta[0] - (-step1 - step2)).abs() < 1e-15);
        assert_eq!(adam.steps_taken(), 2);
    }

    #[test]
    fn converges_on_a_convex_quadratic() {
        // f = ½ Σ dᵢ (θᵢ − cᵢ)², condition number 100.
        let d = [1.0, 10.0, 100.0, 0.5];
        let c = [1.0, -2.0, 0.5, 3.0];
        let p = AdamParams {
            learning_rate: 0.05,
            schedule: Schedule::ExponentialDecay {
                rate: 0.5,
                decay_steps: 500,
            },
            ..AdamParams::default()
        };
        let mut adam = Adam::new(4, p).unwrap();
        let mut theta = [0.0; 4];
        let mut g = [0.0; 4];
        for _ in 0..5000 {
            for i in 0..4 {
                g[i] = d[i] * (theta[i] - c[i]);
            }
            adam.update(&g, &mut theta).unwrap();
        }
        for i in 0..4 {
            assert!((theta[i] - c[i]).abs() < 1e-4, "θ{i} = {}", theta[i]);
        }
    }

    #[test]
    fn schedules() {
        assert_eq!(Schedule::Constant.factor(1000), 1.0);
        let e = Schedule::ExponentialDecay {
            rate: 0.1,
            decay_steps: 100,
        };
        assert!((e.factor(50) - 0.1f64.sqrt()).abs() < 1e-15);
        assert!((e.factor(200) - 0.01).abs() < 1e-15);
        let s = Schedule::Step {
            factor: 0.5,
            every: 10,
        };
        assert_eq!(
            [s.factor(0), s.factor(9), s.factor(10), s.factor(25)],
            [1.0, 1.0, 0.5, 0.25]
        );
        // The optimiser uses the schedule with t = steps already taken.
        let mut adam = Adam::new(
            1,
            AdamParams {
                learning_rate: 1.0,
                schedule: s,
                ..AdamParams::default()
            },
        )
        .unwrap();
        let mut th = [0.0];
        for _ in 0..10 {
            adam.update(&[1.0], &mut th).unwrap();
        }
        assert_eq!(adam.learning_rate(), 0.5);
    }

    #[test]
    fn non_finite_gradient_leaves_state_alone() {
        let mut adam = Adam::new(2, AdamParams::default()).unwrap();
        let mut th = [1.0, 2.0];
        let err = adam.update(&[0.0, f64::NAN], &mut th).unwrap_err();
        assert!(matches!(err, AdamError::NonFiniteGradient { index: 1, .. }));
        assert_eq!(th, [1.0, 2.0]);
        assert_eq!(adam.steps_taken(), 0);
        assert_eq!(adam.first_moment(), &[0.0, 0.0]);
    }

    #[test]
    fn parameters_are_validated() {
        let d = AdamParams::default();
        let cases = [
            (
                AdamParams {
                    learning_rate: 0.0,
                    ..d
                },
                "learning_rate",
            ),
            (AdamParams { beta1: 1.0, ..d }, "beta1"),
            (AdamParams { beta2: -0.1, ..d }, "beta2"),
            (AdamParams { eps: 0.0, ..d }, "eps"),
            (
                AdamParams {
                    schedule: Schedule::Step {
                        factor: 0.5,
                        every: 0,
                    },
                    ..d
                },
                "schedule.every",
            ),
            (
                AdamParams {
                    schedule: Schedule::ExponentialDecay {
                        rate: 1.5,
                        decay_steps: 10,
                    },
                    ..d
                },
                "schedule.rate",
            ),
        ];
        for (p, field) in cases {
            match Adam::new(1, p) {
                Err(AdamError::InvalidParameter { name, .. }) => assert_eq!(name, field),
                other => panic!("{field}: {other:?}"),
            }
        }
    }

    use super::super::NoProblem as Dummy;

    #[test]
    fn first_step_is_learning_rate_times_sign() {
        // After one update, m̂ = g and v̂ = g², so the step is −α g/(|g| + ε).
        let mut a = Adam::from_config(2, &AdamConfig::default());
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
            Boldness::unit(),
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
