//! The loop's side of one iteration: the buffers allocated once per solve and the
//! [`Trials`] a step control runs its trials through.
//!
//! # Invariants
//! - The step buffer is filled with NaN before every descent step, so a silently
//!   failing solver cannot leak stale values (Ceres `InvalidateArray`); a step with a
//!   non-finite entry is an invalid trial.
//! - Trials are evaluated into `theta_trial`/`r_trial` (and kept in `r_best`); the
//!   iterate is only read here.
//! - `grad_trial_ready` says that `grad_trial` is the gradient at `theta_trial` from
//!   `r_trial`, formed with the residuals ([`LoopTrials::fused`]) or asked for by the
//!   control; it is cleared whenever `theta_trial` or `r_trial` change otherwise, so a
//!   trial's gradient is formed at most once and handed to the iterate on acceptance
//!   (`grad_ready`: `grad` is what `vjp` gives at the iterate).
//! - Reductions are formed without cancellation: the predicted one as
//!   `−(Jδ)ᵀ(r + Jδ/2)` (Ceres `ComputeTrustRegionStep`), the actual one as
//!   `½Σ(rᵢ − rᵢ⁺)(rᵢ + rᵢ⁺)`.

use crate::control::{Boldness, Purpose, StepInfo, TrialGradient, TrialValue, Trials};
use crate::descent::{Descent, Linearization, Meter};
use crate::linalg::fixed_order;
use crate::problem::{LeastSquares, half_squared_norm};
use crate::record::{EvaluationCounts, InvalidReason, TimeSplit};
use faer::{Mat, Par};
use rayon::prelude::*;
use std::time::Instant;

/// Residual entries of a trial batch from which [`LoopTrials`] forms the trial losses in
/// parallel: at ENGD's 31 × 900 (2.8e4) the line search took 3.1–3.2 ms of wall time
/// per iteration against 2.5 ms for its residual sweep alone, the losses being summed on
/// one thread while the other idled.
const PARALLEL_BATCH_ENTRIES: usize = 1 << 14;

/// Buffers allocated once (Ceres `TrustRegionMinimizer::Init`).
pub(crate) struct Workspace {
    pub theta_trial: Vec<f64>,
    pub r: Vec<f64>,
    pub r_trial: Vec<f64>,
    pub r_best: Vec<f64>,
    pub jac: Mat<f64>,
    pub grad: Vec<f64>,
    pub delta: Vec<f64>,
    pub jdelta: Vec<f64>,
    pub grad_trial: Vec<f64>,
    /// Whether `grad_trial` is `∇L` at `theta_trial`, formed from `r_trial`.
    pub grad_trial_ready: bool,
    /// Whether `grad` is `∇L` at the iterate as [`LeastSquares::vjp`] forms it from `r`
    /// (not as `Jᵀr` from an assembled `J`), so that linearising needs no `vjp`.
    pub grad_ready: bool,
    pub batch: Batch,
}

/// The trial points of one batched evaluation and their residuals, `K·P` and `K·N`
/// entries (row `j` is point `j`). Cleared, never shrunk, so after the first iteration
/// a batch of the same size allocates nothing.
#[derive(Default)]
pub(crate) struct Batch {
    thetas: Vec<f64>,
    r: Vec<f64>,
    t: Vec<f64>,
    actual: Vec<Option<f64>>,
    evaluated: bool,
}

impl Workspace {
    /// Buffers for `n` residuals and `p` parameters; `J` only when `with_jacobian`.
    pub fn new(n: usize, p: usize, with_jacobian: bool) -> Self {
        let (jr, jc) = if with_jacobian { (n, p) } else { (0, 0) };
        Self {
            theta_trial: vec![0.0; p],
            r: vec![0.0; n],
            r_trial: vec![0.0; n],
            r_best: vec![0.0; n],
            jac: Mat::zeros(jr, jc),
            grad: vec![0.0; p],
            delta: vec![0.0; p],
            jdelta: vec![0.0; n],
            grad_trial: vec![0.0; p],
            grad_trial_ready: false,
            grad_ready: false,
            batch: Batch::default(),
        }
    }
}

/// `‖x‖₂`, scaled and pairwise (faer).
pub fn norm2(x: &[f64]) -> f64 {
    faer::ColRef::from_slice(x).norm_l2()
}

/// `‖x‖∞`, NaN if any entry is NaN.
pub fn norm_inf(x: &[f64]) -> f64 {
    x.iter().fold(
        0.0,
        |m: f64, v| if v.is_nan() { f64::NAN } else { m.max(v.abs()) },
    )
}

/// `½ Σ (rᵢ − rᵢ⁺)(rᵢ + rᵢ⁺) = L − L⁺` without subtracting two large sums.
pub fn actual_reduction(r: &[f64], r_new: &[f64]) -> f64 {
    0.5 * r
        .iter()
        .zip(r_new)
        .map(|(a, b)| (a - b) * (a + b))
        .sum::<f64>()
}

/// `−(Jδ)ᵀ(r + Jδ/2) = L − ½‖r + Jδ‖²`, the Gauss–Newton model decrease, without
/// subtracting two sums of squares (Ceres).
pub fn predicted_reduction(r: &[f64], jdelta: &[f64]) -> f64 {
    -r.iter()
        .zip(jdelta)
        .map(|(r, j)| j * (r + 0.5 * j))
        .sum::<f64>()
}

/// `θ + t·δ` into `out`.
pub(crate) fn move_along(out: &mut [f64], theta: &[f64], t: f64, delta: &[f64]) {
    for ((o, th), d) in out.iter_mut().zip(theta).zip(delta) {
        *o = th + t * d;
    }
}

/// One iteration's trials at the iterate `theta`.
pub(crate) struct LoopTrials<'a> {
    pub problem: &'a dyn LeastSquares,
    pub descent: &'a mut (dyn Descent + Send),
    pub ws: &'a mut Workspace,
    pub theta: &'a [f64],
    pub loss: f64,
    pub gradient_norm: f64,
    pub counts: &'a mut EvaluationCounts,
    pub time: &'a mut TimeSplit,
    pub step_tolerance: f64,
    pub par: Par,
    /// Whether [`Trials::evaluate`] forms each trial's gradient with its residuals, in
    /// one [`LeastSquares::residuals_and_gradient`] (counted as a residual evaluation
    /// and a `vjp`, timed as the evaluation): for a descent without a Jacobian under a
    /// control that uses its trials' gradients ([`crate::control::StepControl::uses_trial_gradients`]).
    pub fused: bool,
    /// `(t, actual reduction)` of the last evaluated trial, if finite.
    pub last: Option<(f64, f64)>,
    /// `(t, actual reduction)` of the kept trial.
    pub kept: Option<(f64, f64)>,
}

impl LoopTrials<'_> {
    fn book(&mut self, purpose: Purpose, seconds: f64) {
        match purpose {
            Purpose::Trial => self.time.residual_jacobian += seconds,
            Purpose::LineSearch => self.time.line_search += seconds,
        }
    }
}

impl Trials for LoopTrials<'_> {
    fn loss(&self) -> f64 {
        self.loss
    }

    fn gradient_norm(&self) -> f64 {
        self.gradient_norm
    }

    fn damping_for_radius(&self, radius: f64) -> Option<f64> {
        self.descent.damping_for_radius(radius)
    }

    fn compute_step(&mut self, boldness: Boldness) -> Result<StepInfo, InvalidReason> {
        let ws = &mut *self.ws;
        ws.delta.fill(f64::NAN);
        let with_jac = self.descent.needs_jacobian();
        let lin = Linearization {
            theta: self.theta,
            residuals: &ws.r,
            jacobian: with_jac.then(|| ws.jac.as_ref()),
            gradient: &ws.grad,
            loss: self.loss,
        };
        let meter = Meter {
            time: self.time,
            counts: self.counts,
        };
        let inner = self
            .descent
            .step(self.problem, &lin, boldness, &mut ws.delta, meter)
            .map_err(|_| InvalidReason::LinearSolverFailed)?;
        if !ws.delta.iter().all(|v| v.is_finite()) {
            return Err(InvalidReason::NonFiniteStep);
        }
        let norm = norm2(&ws.delta);
        Ok(StepInfo {
            norm,
            scaled_norm: self.descent.scaled_norm(&ws.delta),
            inner_iterations: inner,
            first_length: self.descent.first_step_length(norm),
        })
    }

    fn slope(&self) -> f64 {
        self.ws
            .grad
            .iter()
            .zip(&self.ws.delta)
            .map(|(g, d)| g * d)
            .sum()
    }

    fn iterate_scaled_norm(&self) -> f64 {
        self.descent.scaled_norm(self.theta)
    }

    fn predicted_reduction(&mut self) -> f64 {
        if let Some(decrease) = self.descent.model_decrease() {
            return decrease;
        }
        let t = Instant::now();
        let (n, p) = (self.ws.r.len(), self.ws.delta.len());
        if self.descent.needs_jacobian() {
            debug_assert_eq!((self.ws.jdelta.len(), self.ws.delta.len()), (n, p));
            fixed_order::mat_vec(
                &mut self.ws.jdelta,
                self.ws.jac.as_ref(),
                &self.ws.delta,
                1.0,
                self.par,
            );
            self.time.matrix += t.elapsed().as_secs_f64();
        } else {
            self.problem
                .jvp(self.theta, &self.ws.delta, &mut self.ws.jdelta);
            self.counts.jvps += 1;
            self.time.residual_jacobian += t.elapsed().as_secs_f64();
        }
        predicted_reduction(&self.ws.r, &self.ws.jdelta)
    }

    fn evaluate(&mut self, t: f64, purpose: Purpose) -> Option<TrialValue> {
        let ws = &mut *self.ws;
        move_along(&mut ws.theta_trial, self.theta, t, &ws.delta);
        let clock = Instant::now();
        if self.fused {
            self.problem.residuals_and_gradient(
                &ws.theta_trial,
                &mut ws.r_trial,
                &mut ws.grad_trial,
            );
            self.counts.vjps += 1;
        } else {
            self.problem.residuals(&ws.theta_trial, &mut ws.r_trial);
        }
        self.counts.residuals += 1;
        self.book(purpose, clock.elapsed().as_secs_f64());
        let ws = &mut *self.ws;
        let finite = ws.r_trial.iter().all(|v| v.is_finite());
        ws.grad_trial_ready = self.fused && finite;
        if !finite {
            self.last = None;
            return None;
        }
        let actual = actual_reduction(&ws.r, &ws.r_trial);
        self.last = Some((t, actual));
        Some(TrialValue {
            loss: half_squared_norm(&ws.r_trial),
            actual_reduction: actual,
        })
    }

    /// The gradient formed with the trial's residuals, or else `vjp` at the trial now.
    fn trial_gradient(&mut self, purpose: Purpose) -> TrialGradient {
        if !self.ws.grad_trial_ready {
            let clock = Instant::now();
            let ws = &mut *self.ws;
            self.problem
                .vjp(&ws.theta_trial, &ws.r_trial, &mut ws.grad_trial);
            ws.grad_trial_ready = true;
            self.counts.vjps += 1;
            self.book(purpose, clock.elapsed().as_secs_f64());
        }
        let ws = &*self.ws;
        TrialGradient {
            slope: ws
                .grad_trial
                .iter()
                .zip(&ws.delta)
                .map(|(g, d)| g * d)
                .sum(),
            norm: norm2(&ws.grad_trial),
        }
    }

    fn keep(&mut self) {
        std::mem::swap(&mut self.ws.r_best, &mut self.ws.r_trial);
        self.ws.grad_trial_ready = false;
        self.kept = self.last;
    }

    fn push_trial(&mut self, t: f64) -> usize {
        let ws = &mut *self.ws;
        let b = &mut ws.batch;
        if b.evaluated {
            b.thetas.clear();
            b.t.clear();
            b.evaluated = false;
        }
        let p = self.theta.len();
        let start = b.thetas.len();
        b.thetas.resize(start + p, 0.0);
        move_along(&mut b.thetas[start..], self.theta, t, &ws.delta);
        b.t.push(t);
        b.t.len() - 1
    }

    fn evaluate_batch(&mut self, purpose: Purpose) -> Vec<Option<TrialValue>> {
        let ws = &mut *self.ws;
        let b = &mut ws.batch;
        if b.evaluated {
            // Nothing was pushed since the last evaluation: an empty batch.
            b.thetas.clear();
            b.t.clear();
        }
        b.evaluated = true;
        ws.grad_trial_ready = false;
        let (k, n, p) = (b.t.len(), ws.r.len(), self.theta.len());
        if k == 0 {
            return Vec::new();
        }
        b.r.resize(k * n, 0.0);
        let thetas: Vec<&[f64]> = (0..k).map(|j| &b.thetas[j * p..(j + 1) * p]).collect();
        let clock = Instant::now();
        self.problem.residuals_many(&thetas, &mut b.r);
        self.counts.residuals += k;
        let seconds = clock.elapsed().as_secs_f64();
        // Each vector's loss and reduction on its own (the same arithmetic on any
        // thread), side by side when the batch is large enough to pay for the tasks.
        let value = |rj: &[f64]| {
            let finite = rj.iter().all(|v| v.is_finite());
            finite.then(|| TrialValue {
                loss: half_squared_norm(rj),
                actual_reduction: actual_reduction(&ws.r, rj),
            })
        };
        let values: Vec<Option<TrialValue>> = if k * n >= PARALLEL_BATCH_ENTRIES {
            (0..k)
                .into_par_iter()
                .map(|j| value(&b.r[j * n..(j + 1) * n]))
                .collect()
        } else {
            (0..k).map(|j| value(&b.r[j * n..(j + 1) * n])).collect()
        };
        b.actual.clear();
        b.actual
            .extend(values.iter().map(|v| v.map(|v| v.actual_reduction)));
        // The batch's last point is the last evaluated trial, as after `evaluate`.
        let last = k - 1;
        ws.theta_trial
            .copy_from_slice(&b.thetas[last * p..(last + 1) * p]);
        ws.r_trial.copy_from_slice(&b.r[last * n..(last + 1) * n]);
        self.last = values[last].map(|v| (b.t[last], v.actual_reduction));
        self.book(purpose, seconds);
        values
    }

    fn keep_from_batch(&mut self, j: usize) {
        let ws = &mut *self.ws;
        let n = ws.r.len();
        ws.r_best.copy_from_slice(&ws.batch.r[j * n..(j + 1) * n]);
        self.kept = ws.batch.actual[j].map(|actual| (ws.batch.t[j], actual));
    }

    fn is_tiny(&self, step_norm: f64) -> bool {
        let tol = self.step_tolerance;
        step_norm <= tol * (norm2(self.theta) + tol)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reductions_match_their_definitions_and_avoid_cancellation() {
        // Exact in binary: L = ½(9 + 16) = 12.5, L⁺ = ½(4 + 1) = 2.5.
        let (r, r_new) = ([3.0, -4.0], [2.0, -1.0]);
        assert_eq!(actual_reduction(&r, &r_new), 10.0);
        // m(δ) = ½‖r + Jδ‖²: with Jδ = (−1, 3), ½‖(2, −1)‖² = 2.5, so L − m = 10.
        assert_eq!(predicted_reduction(&r, &[-1.0, 3.0]), 10.0);
        // A change far below ulp(L): r = 1e4 moved by 2⁻³⁰ in each entry. Both
        // factored forms are exact here ((a − b) and (a + b) are representable), and
        // equal to the exact value 2⁻³⁰(2·10⁴ − 2⁻³⁰).
        let d = 2f64.powi(-30);
        let big = [1e4, -1e4];
        let moved = [1e4 - d, -1e4 + d];
        let exact = d * (2e4 - d);
        assert_eq!(actual_reduction(&big, &moved), exact);
        assert_eq!(predicted_reduction(&big, &[-d, d]), exact);
    }
}
