//! A trust region whose radius is chosen each iteration from a window of probes: many
//! trial radii are tried at once and the step is taken at the largest radius whose
//! reduction ratio is still at a deliberately low target ρ*. After Webb, Jerad &
//! Cartis, "Sketched Gauss–Newton with a target reduction ratio" (arXiv 2607.02194,
//! 2026), whose trust-region Gauss–Newton reaches rel L2 8e-14 on Burgers.
//!
//! # One iteration
//! 1. A window of `n` radii, geometric in `[Δ/w, Δ·w]` around the current radius Δ
//!    (clipped to the radius bounds).
//! 2. For each radius Δᵢ, the damping λᵢ with `‖D̃δ(λᵢ)‖ = Δᵢ` comes from the
//!    descent's factorisation ([`Trials::damping_for_radius`]; for the SVD solver a
//!    Newton iteration on the secular equation, `O(P)`), the step δᵢ costs `O(P²)`,
//!    its model decrease one `J·δ`, and its loss one residual sweep.
//! 3. `ρᵢ = actual/predicted`, clipped to `[−1, 1]` (−1 for a probe that could not be
//!    evaluated) and made non-increasing in the radius by a running minimum — a larger
//!    step should not fit the model better.
//! 4. The chosen radius is where the monotone cubic Hermite interpolant (PCHIP,
//!    Fritsch & Carlson 1980) of ρ against log Δ crosses ρ* (the largest radius with
//!    ρ ≥ ρ*); the window's top when every probe is above ρ*, its bottom when none is.
//!    A low target (0.075, where classic trust regions want ρ ≥ ¼) takes long steps
//!    whenever the model still predicts a decrease.
//! 5. The step at the chosen radius is evaluated and accepted when it decreases the
//!    loss. The next window centres on the chosen radius after an acceptance and on
//!    the window's bottom after a rejection.
//!
//! The probes' steps are formed one after another, and their trial points evaluated
//! together in one batch ([`Trials::evaluate_batch`]); nothing in the rule depends on
//! the order.

use super::{Boldness, Candidate, Decision, Purpose, StepControl, TrialReport, Trials, Verdict};
use crate::config::{ConfigError, check};
use crate::record::InvalidReason;
use crate::state::{PartState, StateError};
use crate::termination::TerminationReason;
use serde::{Deserialize, Serialize};

/// The control's constants (the `probe` section of the solver configuration).
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ProbeParams {
    /// Radii per window (≥ 2).
    pub probes: usize,
    /// The window is `[Δ/w, Δ·w]` (w > 1).
    pub window: f64,
    /// The target reduction ratio ρ* in (0, 1).
    pub target_ratio: f64,
    /// The first radius.
    pub initial_radius: f64,
    /// The smallest radius.
    pub min_radius: f64,
    /// The largest radius.
    pub max_radius: f64,
    /// Sketch sizes: when present the model is the doubly sketched one
    /// ([`crate::descent::SketchedGaussNewton`]) and `J` is never assembled; absent,
    /// the unsketched SVD of `J`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sketch: Option<crate::linalg::SketchParams>,
}

impl Default for ProbeParams {
    /// The published defaults: 24 probes, w = 3, ρ* = 0.075, radii in [1e-8, 1e3].
    fn default() -> Self {
        Self {
            probes: 24,
            window: 3.0,
            target_ratio: 0.075,
            initial_radius: 1.0,
            min_radius: 1e-8,
            max_radius: 1e3,
            sketch: None,
        }
    }
}

impl ProbeParams {
    /// Checks every constant, naming the option (`probe.…`) that is out of range.
    ///
    /// # Errors
    /// The first constant out of range.
    pub fn validate(&self) -> Result<(), ConfigError> {
        check(
            (2..=1000).contains(&self.probes),
            "probe.probes",
            self.probes,
            "in [2, 1000]",
        )?;
        check(
            self.window.is_finite() && self.window > 1.0,
            "probe.window",
            self.window,
            "finite and > 1",
        )?;
        check(
            self.target_ratio > 0.0 && self.target_ratio < 1.0,
            "probe.target_ratio",
            self.target_ratio,
            "in (0, 1)",
        )?;
        check(
            self.min_radius.is_finite() && self.min_radius > 0.0,
            "probe.min_radius",
            self.min_radius,
            "finite and > 0",
        )?;
        check(
            self.max_radius.is_finite() && self.max_radius >= self.min_radius,
            "probe.max_radius",
            self.max_radius,
            "finite and ≥ min_radius",
        )?;
        check(
            self.initial_radius.is_finite() && self.initial_radius > 0.0,
            "probe.initial_radius",
            self.initial_radius,
            "finite and > 0",
        )?;
        self.sketch.map_or(Ok(()), |s| s.validate())
    }
}

/// The probe-selected trust region (see the module documentation).
pub struct ProbeRadius {
    params: ProbeParams,
    radius: f64,
}

impl ProbeRadius {
    /// Starts at `params.initial_radius` (clipped to the bounds).
    pub fn new(params: ProbeParams) -> Self {
        let radius = params
            .initial_radius
            .clamp(params.min_radius, params.max_radius);
        Self { params, radius }
    }

    /// The radius the next window centres on.
    pub fn radius(&self) -> f64 {
        self.radius
    }

    /// The window's radii, increasing.
    fn window(&self) -> Vec<f64> {
        let ProbeParams {
            probes,
            window,
            min_radius,
            max_radius,
            ..
        } = self.params;
        let n = probes.max(2);
        (0..n)
            .map(|i| {
                let e = -1.0 + 2.0 * i as f64 / (n - 1) as f64;
                (self.radius * window.powf(e)).clamp(min_radius, max_radius)
            })
            .collect()
    }
}

/// One evaluated step: its reduction ratio (clipped; −1 when invalid).
struct Probe {
    rho: f64,
}

/// The step at `radius`: `(λ, ‖δ‖, ρ, trial loss, actual reduction)`, or why it is invalid.
fn try_radius(
    trials: &mut dyn Trials,
    radius: f64,
) -> Result<(f64, f64, f64, f64, f64), InvalidReason> {
    let lambda = trials
        .damping_for_radius(radius)
        .ok_or(InvalidReason::LinearSolverFailed)?;
    let info = trials.compute_step(Boldness::from_damping(lambda))?;
    let predicted = trials.predicted_reduction();
    if predicted.is_nan() || predicted <= 0.0 {
        return Err(InvalidReason::NonPositivePredictedReduction);
    }
    let value = trials
        .evaluate(1.0, Purpose::Trial)
        .ok_or(InvalidReason::NonFiniteResiduals)?;
    let rho = value.actual_reduction / predicted;
    Ok((lambda, info.norm, rho, value.loss, value.actual_reduction))
}

/// The step at `radius`, pushed into the trial batch: `(index in the batch, predicted
/// reduction)`, or why it is invalid (then nothing is pushed).
fn probe_step(trials: &mut dyn Trials, radius: f64) -> Result<(usize, f64), InvalidReason> {
    let lambda = trials
        .damping_for_radius(radius)
        .ok_or(InvalidReason::LinearSolverFailed)?;
    trials.compute_step(Boldness::from_damping(lambda))?;
    let predicted = trials.predicted_reduction();
    if predicted.is_nan() || predicted <= 0.0 {
        return Err(InvalidReason::NonPositivePredictedReduction);
    }
    Ok((trials.push_trial(1.0), predicted))
}

/// `log Δ` where the monotone interpolant of `(log Δᵢ, ρᵢ)` (ρ non-increasing) crosses
/// `target`: the largest radius with ρ ≥ target.
pub fn crossing_radius(radii: &[f64], rho: &[f64], target: f64) -> f64 {
    let n = radii.len();
    if rho[0] < target {
        return radii[0];
    }
    let Some(k) = (1..n).find(|&i| rho[i] < target) else {
        return radii[n - 1];
    };
    let x: Vec<f64> = radii.iter().map(|r| r.ln()).collect();
    let slopes = pchip_slopes(&x, rho);
    let (x0, x1) = (x[k - 1], x[k]);
    if x1 <= x0 {
        return radii[k - 1];
    }
    let h = x1 - x0;
    let eval = |t: f64| {
        // Cubic Hermite on [x0, x1] in the unit variable t.
        let (t2, t3) = (t * t, t * t * t);
        (2.0 * t3 - 3.0 * t2 + 1.0) * rho[k - 1]
            + (t3 - 2.0 * t2 + t) * h * slopes[k - 1]
            + (-2.0 * t3 + 3.0 * t2) * rho[k]
            + (t3 - t2) * h * slopes[k]
    };
    // The interpolant is monotone on the interval: bisection for its crossing.
    let (mut lo, mut hi) = (0.0, 1.0);
    for _ in 0..60 {
        let mid = 0.5 * (lo + hi);
        if eval(mid) >= target {
            lo = mid;
        } else {
            hi = mid;
        }
    }
    (x0 + lo * h).exp()
}

/// Fritsch–Carlson derivatives of the monotone piecewise cubic Hermite interpolant
/// through `(x, y)` (x increasing): harmonic means of neighbouring secants where they
/// agree in sign, 0 at local extrema, one-sided three-point values at the ends.
pub fn pchip_slopes(x: &[f64], y: &[f64]) -> Vec<f64> {
    let n = x.len();
    if n < 2 {
        return vec![0.0; n];
    }
    let h: Vec<f64> = x.windows(2).map(|w| w[1] - w[0]).collect();
    let delta: Vec<f64> = (0..n - 1)
        .map(|i| {
            if h[i] > 0.0 {
                (y[i + 1] - y[i]) / h[i]
            } else {
                0.0
            }
        })
        .collect();
    if n == 2 {
        return vec![delta[0]; 2];
    }
    let mut d = vec![0.0; n];
    for i in 1..n - 1 {
        if delta[i - 1] * delta[i] > 0.0 {
            let (w1, w2) = (2.0 * h[i] + h[i - 1], h[i] + 2.0 * h[i - 1]);
            d[i] = (w1 + w2) / (w1 / delta[i - 1] + w2 / delta[i]);
        }
    }
    let end = |h0: f64, h1: f64, d0: f64, d1: f64| {
        let s = ((2.0 * h0 + h1) * d0 - h0 * d1) / (h0 + h1);
        if s * d0 <= 0.0 {
            0.0
        } else if d0 * d1 <= 0.0 && s.abs() > 3.0 * d0.abs() {
            3.0 * d0
        } else {
            s
        }
    };
    d[0] = end(h[0], h[1], delta[0], delta[1]);
    d[n - 1] = end(h[n - 2], h[n - 3], delta[n - 2], delta[n - 3]);
    d
}

impl StepControl for ProbeRadius {
    fn name(&self) -> &'static str {
        "probe_radius"
    }

    fn run(&mut self, trials: &mut dyn Trials) -> Verdict {
        let ProbeParams {
            target_ratio,
            min_radius,
            max_radius,
            ..
        } = self.params;
        let radii = self.window();
        // Every probe's step and model decrease first (each step is formed into the
        // batch when pushed), then all probe points in one batched evaluation.
        let pending: Vec<Option<(usize, f64)>> =
            radii.iter().map(|&r| probe_step(trials, r).ok()).collect();
        let values = trials.evaluate_batch(Purpose::Trial);
        let probes: Vec<Probe> = pending
            .iter()
            .map(|p| Probe {
                rho: p
                    .and_then(|(j, predicted)| {
                        values[j].map(|v| (v.actual_reduction / predicted).clamp(-1.0, 1.0))
                    })
                    .unwrap_or(-1.0),
            })
            .collect();
        let mut monotone: Vec<f64> = probes.iter().map(|p| p.rho).collect();
        for i in 1..monotone.len() {
            monotone[i] = monotone[i].min(monotone[i - 1]);
        }
        let chosen = crossing_radius(&radii, &monotone, target_ratio);
        let bottom = radii[0];
        let mut report = TrialReport {
            inner_iterations: radii.len(),
            ..TrialReport::default()
        };
        let decision = match try_radius(trials, chosen) {
            Ok((lambda, norm, rho, loss, actual)) => {
                report.lambda = Some(lambda);
                report.step_norm = norm;
                report.rho = Some(rho);
                report.trial_loss = loss;
                if actual > 0.0 {
                    Decision::Accept {
                        candidate: Candidate::Last,
                        test_change: true,
                    }
                } else {
                    Decision::Reject
                }
            }
            Err(why) => Decision::Invalid(why),
        };
        let accepted = matches!(decision, Decision::Accept { .. });
        let was_at_min = self.radius <= min_radius;
        self.radius = if accepted { chosen } else { bottom }.clamp(min_radius, max_radius);
        let mut verdict = Verdict::new(decision, report);
        if accepted {
            verdict.step_test_after = Some(report.step_norm);
        } else if was_at_min {
            verdict.stop = Some(TerminationReason::Stalled);
        }
        verdict
    }

    fn save(&self) -> PartState {
        PartState::new(self.name()).with_scalar("radius", self.radius)
    }

    fn load(&mut self, state: &PartState) -> Result<(), StateError> {
        state.expect_part(self.name())?;
        self.radius = state.scalar("radius")?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::super::fake::FakeTrials;
    use super::*;

    #[test]
    fn pchip_is_monotone_and_interpolates() {
        let x = [0.0, 1.0, 2.5, 3.0, 5.0];
        let y = [1.0, 0.9, 0.2, 0.19, -1.0];
        let d = pchip_slopes(&x, &y);
        assert!(d.iter().all(|s| *s <= 0.0), "{d:?}");
        // A flat pair gives zero slopes at its ends' shared point.
        let flat = pchip_slopes(&[0.0, 1.0, 2.0], &[1.0, 1.0, 0.0]);
        assert_eq!(flat[1], 0.0);
        // Linear data: slopes equal the line's.
        let lin = pchip_slopes(&[0.0, 1.0, 3.0, 4.0], &[0.0, -2.0, -6.0, -8.0]);
        for s in lin {
            assert!((s + 2.0).abs() < 1e-14, "{s}");
        }
    }

    #[test]
    fn crossing_radius_cases() {
        let radii = [1.0, 2.0, 4.0, 8.0];
        // All above the target: the top; none: the bottom.
        assert_eq!(crossing_radius(&radii, &[0.9, 0.8, 0.7, 0.6], 0.075), 8.0);
        assert_eq!(
            crossing_radius(&radii, &[0.05, 0.0, -1.0, -1.0], 0.075),
            1.0
        );
        // ρ linear in log Δ: 0.9 − 0.3·log₂Δ crosses 0.075 at log₂Δ = 2.75.
        let rho: Vec<f64> = radii.iter().map(|r: &f64| 0.9 - 0.3 * r.log2()).collect();
        let got = crossing_radius(&radii, &rho, 0.075);
        assert!((got.log2() - 2.75).abs() < 1e-9, "{got}");
    }

    /// A quadratic model that is exact for short steps and fails beyond a known length:
    /// the control takes the step near the length where ρ reaches the target, accepts
    /// it, and centres the next window there.
    #[test]
    fn takes_the_largest_step_at_the_target_ratio() {
        // Step norm = Δ (the fake's damping-of-radius is the identity map of radii to
        // λ = 1/Δ, and the norm of damping λ is 1/λ). ρ(Δ) = 1 − Δ/2: crosses 0.075
        // at Δ = 1.85. The loss decreases by ρ·pred with pred = Δ.
        let mut t = FakeTrials::new(10.0, |_| Some((0.0, 0.0)));
        t.damping_of_radius = Some(Box::new(|r| 1.0 / r));
        t.norm_of_damping = Some(Box::new(|l| 1.0 / l));
        let mut c = ProbeRadius::new(ProbeParams::default());
        let last_norm = std::rc::Rc::new(std::cell::Cell::new(0.0));
        // The fake evaluates φ at t only; route the current step norm through `asked`.
        let verdict = {
            let mut scripted = Scripted {
                inner: &mut t,
                norm: last_norm.clone(),
                batch: Vec::new(),
            };
            c.run(&mut scripted)
        };
        assert!(matches!(verdict.decision, Decision::Accept { .. }));
        let chosen = verdict.report.step_norm;
        assert!((chosen - 1.85).abs() < 0.05, "chosen radius {chosen}");
        assert!((c.radius() - chosen).abs() < 1e-12);
        assert_eq!(verdict.report.inner_iterations, 24);
    }

    /// Every probe fails: the step at the window's bottom is rejected, the next window
    /// centres there, and at the smallest radius the control stops the solve.
    #[test]
    fn rejections_shrink_the_window_then_stall() {
        let mut t = FakeTrials::new(1.0, |_| Some((2.0, 0.0)));
        t.damping_of_radius = Some(Box::new(|r| 1.0 / r));
        let mut c = ProbeRadius::new(ProbeParams {
            initial_radius: 9.0,
            min_radius: 1.0,
            ..ProbeParams::default()
        });
        let v = c.run(&mut t);
        assert_eq!(v.decision, Decision::Reject);
        assert!((c.radius() - 3.0).abs() < 1e-12);
        assert_eq!(v.stop, None);
        c.run(&mut t);
        assert!((c.radius() - 1.0).abs() < 1e-12);
        let v = c.run(&mut t);
        assert_eq!(v.stop, Some(TerminationReason::Stalled));
        // The radius survives a save/load round trip.
        let mut d = ProbeRadius::new(ProbeParams::default());
        d.load(&c.save()).unwrap();
        assert_eq!(d.radius(), c.radius());
    }

    /// A descent without a radius solve makes every trial invalid.
    #[test]
    fn without_a_radius_solve_the_trial_is_invalid() {
        let mut t = FakeTrials::new(1.0, |_| Some((0.5, 0.0)));
        let mut c = ProbeRadius::new(ProbeParams::default());
        let v = c.run(&mut t);
        assert_eq!(
            v.decision,
            Decision::Invalid(InvalidReason::LinearSolverFailed)
        );
    }

    /// Wraps the fake so that a trial's loss depends on the step norm of the last
    /// `compute_step`: `L⁺ = L − ρ(Δ)·Δ` with `ρ(Δ) = 1 − Δ/2` and predicted `Δ`.
    struct Scripted<'a> {
        inner: &'a mut FakeTrials,
        norm: std::rc::Rc<std::cell::Cell<f64>>,
        /// The step norm of each pushed trial point, captured when it was pushed.
        batch: Vec<f64>,
    }

    impl Trials for Scripted<'_> {
        fn loss(&self) -> f64 {
            self.inner.loss()
        }
        fn gradient_norm(&self) -> f64 {
            self.inner.gradient_norm()
        }
        fn compute_step(
            &mut self,
            boldness: Boldness,
        ) -> Result<super::super::StepInfo, InvalidReason> {
            let info = self.inner.compute_step(boldness)?;
            self.norm.set(info.norm);
            Ok(info)
        }
        fn damping_for_radius(&self, radius: f64) -> Option<f64> {
            self.inner.damping_for_radius(radius)
        }
        fn slope(&self) -> f64 {
            self.inner.slope()
        }
        fn iterate_scaled_norm(&self) -> f64 {
            self.inner.iterate_scaled_norm()
        }
        fn predicted_reduction(&mut self) -> f64 {
            self.norm.get()
        }
        fn evaluate(&mut self, t: f64, purpose: Purpose) -> Option<super::super::TrialValue> {
            self.inner.evaluate(t, purpose)?;
            let d = self.norm.get();
            let actual = (1.0 - d / 2.0) * d;
            Some(super::super::TrialValue {
                loss: self.inner.loss() - actual,
                actual_reduction: actual,
            })
        }
        fn trial_gradient(&mut self, purpose: Purpose) -> super::super::TrialGradient {
            self.inner.trial_gradient(purpose)
        }
        fn keep(&mut self) {
            self.inner.keep();
        }
        fn push_trial(&mut self, t: f64) -> usize {
            let j = self.inner.push_trial(t);
            self.batch.truncate(j);
            self.batch.push(self.norm.get());
            j
        }
        fn evaluate_batch(&mut self, purpose: Purpose) -> Vec<Option<super::super::TrialValue>> {
            let loss = self.inner.loss();
            let values = self.inner.evaluate_batch(purpose);
            values
                .iter()
                .zip(&self.batch)
                .map(|(v, &d)| {
                    v.map(|_| {
                        let actual = (1.0 - d / 2.0) * d;
                        super::super::TrialValue {
                            loss: loss - actual,
                            actual_reduction: actual,
                        }
                    })
                })
                .collect()
        }
        fn keep_from_batch(&mut self, j: usize) {
            self.inner.keep_from_batch(j);
        }
        fn is_tiny(&self, step_norm: f64) -> bool {
            self.inner.is_tiny(step_norm)
        }
    }
}
