//! Step controls: how far to trust a descent's direction, and whether the trial it
//! leads to becomes the iterate.
//!
//! A control runs the trials of one iteration through [`Trials`], the loop's narrow
//! interface: it may ask the descent for a step at some [`Boldness`], evaluate the
//! loss along that step, keep the best trial, and read the model's predicted
//! reduction. It answers with a [`Verdict`]: accept (the last or the kept trial),
//! reject, or invalid, plus what to log and whether the solve must stop. Nothing in
//! [`Trials`] can write the iterate; only the loop applies a verdict.
//!
//! One file per control:
//! - [`reduction_ratio`]: trust by the ratio of actual to predicted reduction, with a
//!   damping rule for λ ([`damping_rule`]) — Levenberg–Marquardt and Gauss–Newton–CG;
//! - [`log_grid`]: the best of a geometric grid of step lengths — ENGD;
//! - [`strong_wolfe`]: a strong Wolfe line search ([`more_thuente`]) — L-BFGS;
//! - [`probe_radius`]: a trust radius chosen from a window of probes at a target
//!   reduction ratio — probe-selected trust-region Gauss–Newton;
//! - [`always_accept`]: take every valid step — Adam.

pub mod always_accept;
pub mod damping_rule;
pub mod log_grid;
pub mod more_thuente;
pub mod probe_radius;
pub mod radius_search;
pub mod reduction_ratio;
pub mod strong_wolfe;
pub mod trust_radius;

use crate::record::InvalidReason;
use crate::state::{PartState, StateError};
use crate::termination::TerminationReason;

/// How bold a trial step may be: one ordered scale for every control and descent,
/// bigger = bolder.
///
/// A damped direction reads it as `λ = 1/boldness` ([`Boldness::damping`]), a
/// direction scaled by a step length as `η = boldness` ([`Boldness::length`]). The
/// value is stored in the form it was made from, so that a control that works in λ
/// hands a damped descent exactly its λ, never `1/(1/λ)` rounded twice.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Boldness(Form);

#[derive(Clone, Copy, Debug, PartialEq)]
enum Form {
    Damping(f64),
    Length(f64),
}

impl Boldness {
    /// The boldness of damping `λ > 0`: `1/λ`.
    pub fn from_damping(lambda: f64) -> Self {
        Self(Form::Damping(lambda))
    }

    /// The boldness of step length `η > 0`: `η`.
    pub fn from_length(eta: f64) -> Self {
        Self(Form::Length(eta))
    }

    /// The unit step (length 1), what line searches ask for before scaling it.
    pub fn unit() -> Self {
        Self::from_length(1.0)
    }

    /// The boldness as one number (bigger = bolder).
    pub fn value(self) -> f64 {
        match self.0 {
            Form::Damping(l) => 1.0 / l,
            Form::Length(e) => e,
        }
    }

    /// As a damping `λ` (exact when made by [`Boldness::from_damping`]).
    pub fn damping(self) -> f64 {
        match self.0 {
            Form::Damping(l) => l,
            Form::Length(e) => 1.0 / e,
        }
    }

    /// As a step length `η` (exact when made by [`Boldness::from_length`]).
    pub fn length(self) -> f64 {
        match self.0 {
            Form::Damping(l) => 1.0 / l,
            Form::Length(e) => e,
        }
    }
}

/// Which time bucket an evaluation is booked to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Purpose {
    /// The trial of the iteration (booked as residual evaluation).
    Trial,
    /// One point of a line search (booked as line search).
    LineSearch,
}

/// The descent's step for one boldness.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct StepInfo {
    /// `‖δ‖₂`.
    pub norm: f64,
    /// `‖D̃δ‖₂` in the metric the descent damps (see [`crate::descent::Descent::scaled_norm`]).
    pub scaled_norm: f64,
    /// Inner iterations of the solve (CG iterations; 0 for direct solvers).
    pub inner_iterations: usize,
    /// The length a line search should try first along this step (1, or the
    /// descent's own choice, e.g. `min(1, 1/‖δ‖)` for a first quasi-Newton step).
    pub first_length: f64,
}

/// The loss at a trial point `θ + t·δ`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct TrialValue {
    /// `L(θ + tδ)`.
    pub loss: f64,
    /// `L(θ) − L(θ + tδ)`, summed as `½Σ(rᵢ − rᵢ⁺)(rᵢ + rᵢ⁺)` (no cancellation).
    pub actual_reduction: f64,
}

/// The gradient at the last evaluated trial point.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct TrialGradient {
    /// `∇L(θ + tδ)ᵀδ`, the slope of the line search function.
    pub slope: f64,
    /// `‖∇L(θ + tδ)‖₂`.
    pub norm: f64,
}

/// The loop's side of one iteration, as a control sees it. Every method reads or
/// evaluates; none writes the iterate.
pub trait Trials {
    /// `L(θ)` at the iterate.
    fn loss(&self) -> f64;
    /// `‖∇L(θ)‖₂` at the iterate.
    fn gradient_norm(&self) -> f64;
    /// Asks the descent for its step `δ` at `boldness` (the step buffer is filled with
    /// NaN first; a failed or non-finite step is an error naming why).
    ///
    /// # Errors
    /// The reason the trial is invalid.
    fn compute_step(&mut self, boldness: Boldness) -> Result<StepInfo, InvalidReason>;
    /// The damping λ whose step has scaled norm `radius`, when the descent's
    /// factorisation gives it directly (see [`crate::descent::Descent::damping_for_radius`]).
    fn damping_for_radius(&self, radius: f64) -> Option<f64>;
    /// `∇L(θ)ᵀδ` for the current step.
    fn slope(&self) -> f64;
    /// `‖D̃θ‖₂` of the iterate, in the descent's damping metric.
    fn iterate_scaled_norm(&self) -> f64;
    /// The Gauss–Newton model decrease `−(Jδ)ᵀ(r + Jδ/2)` of the current step (one
    /// `J·δ`).
    fn predicted_reduction(&mut self) -> f64;
    /// Evaluates the loss at `θ + t·δ`; `None` if a residual is not finite.
    fn evaluate(&mut self, t: f64, purpose: Purpose) -> Option<TrialValue>;
    /// The gradient at the last evaluated trial point (one `Jᵀ·w`).
    fn trial_gradient(&mut self, purpose: Purpose) -> TrialGradient;
    /// Keeps the last evaluated trial as the candidate for [`Candidate::Kept`].
    fn keep(&mut self);
    /// Adds `θ + t·δ`, with the current step δ, to the batch of trial points that
    /// [`Trials::evaluate_batch`] evaluates together, and returns its index in the batch.
    /// The point is formed now, so a later [`Trials::compute_step`] does not move it.
    /// The first push after an evaluated batch starts a new batch.
    fn push_trial(&mut self, t: f64) -> usize;
    /// Evaluates every pushed point in one batched sweep over the problem's points
    /// ([`crate::LeastSquares::residuals_many`]), giving bit for bit what
    /// [`Trials::evaluate`] gives for each; `None` where a residual is not finite. The
    /// batch's last point becomes the last evaluated trial.
    fn evaluate_batch(&mut self, purpose: Purpose) -> Vec<Option<TrialValue>>;
    /// Keeps point `j` of the last evaluated batch as the candidate for
    /// [`Candidate::Kept`], as [`Trials::keep`] right after evaluating it would.
    fn keep_from_batch(&mut self, j: usize);
    /// Whether a step of norm `step_norm` is below the step tolerance relative to the
    /// iterate, `‖δ‖ ≤ tol·(‖θ‖ + tol)`.
    fn is_tiny(&self, step_norm: f64) -> bool;
}

/// Which evaluated trial an acceptance takes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Candidate {
    /// The last trial evaluated.
    Last,
    /// The trial saved by the last [`Trials::keep`].
    Kept,
}

/// What the loop does with the iteration.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Decision {
    /// The candidate becomes the iterate. With `test_change`, the relative-loss-change
    /// stop test is applied to its reduction (it is meaningless for a step that was
    /// taken without a decrease).
    Accept {
        /// Which trial.
        candidate: Candidate,
        /// Apply the relative-loss-change test.
        test_change: bool,
    },
    /// The trial was valid but not good enough; the iterate stays.
    Reject,
    /// No valid trial could be formed or evaluated; the iterate stays.
    Invalid(InvalidReason),
}

/// The log fields a control fills for the iteration's record.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct TrialReport {
    /// `L` at the chosen trial (NaN when none was evaluated).
    pub trial_loss: f64,
    /// `‖δ‖₂` of the chosen trial (NaN when no step was formed).
    pub step_norm: f64,
    /// The damping used (reduction-ratio controls).
    pub lambda: Option<f64>,
    /// The step length taken (line searches).
    pub step_size: Option<f64>,
    /// Actual over predicted reduction (for the log only).
    pub rho: Option<f64>,
    /// CG iterations or line-search evaluations.
    pub inner_iterations: usize,
}

impl Default for TrialReport {
    fn default() -> Self {
        Self {
            trial_loss: f64::NAN,
            step_norm: f64::NAN,
            lambda: None,
            step_size: None,
            rho: None,
            inner_iterations: 0,
        }
    }
}

/// A control's answer for one iteration. The loop applies it in this order: the
/// decision (an acceptance may end the solve on the relative-loss-change test), then
/// a descent restart, then `stop`, then the step test of `step_test_after`.
#[derive(Clone, Debug, PartialEq)]
pub struct Verdict {
    /// Accept, reject or invalid.
    pub decision: Decision,
    /// What to log.
    pub report: TrialReport,
    /// No decrease exists along this direction: the descent should start afresh (for
    /// L-BFGS, forget its memory); a descent that cannot stalls the solve.
    pub restart_descent: bool,
    /// The control ends the solve (λ at its cap, a step below tolerance).
    pub stop: Option<TerminationReason>,
    /// A step norm to test against the step tolerance at the iterate *after* the
    /// decision (the line searches' convention; reduction-ratio control tests before
    /// and reports through `stop`).
    pub step_test_after: Option<f64>,
}

impl Verdict {
    /// A verdict with this decision and report, and nothing else.
    pub fn new(decision: Decision, report: TrialReport) -> Self {
        Self {
            decision,
            report,
            restart_descent: false,
            stop: None,
            step_test_after: None,
        }
    }

    /// An invalid trial.
    pub fn invalid(why: InvalidReason, report: TrialReport) -> Self {
        Self::new(Decision::Invalid(why), report)
    }

    /// A line search's answer: move to `candidate` when `take` (testing the relative
    /// loss change when `test_change`), else reject and ask the descent to restart;
    /// either way the step test at the iterate after the decision, for a step of norm
    /// `step_norm`.
    pub fn line_search(
        take: bool,
        candidate: Candidate,
        test_change: bool,
        report: TrialReport,
        step_norm: f64,
    ) -> Self {
        let mut verdict = if take {
            Self::new(
                Decision::Accept {
                    candidate,
                    test_change,
                },
                report,
            )
        } else {
            Self {
                restart_descent: true,
                ..Self::new(Decision::Reject, report)
            }
        };
        verdict.step_test_after = Some(step_norm);
        verdict
    }
}

/// A step control: runs one iteration's trials and judges them.
pub trait StepControl {
    /// The control's name, for logs and saved state.
    fn name(&self) -> &'static str;
    /// Runs the trials of one iteration.
    fn run(&mut self, trials: &mut dyn Trials) -> Verdict;
    /// Whether nearly every trial this control evaluates on its own
    /// ([`Trials::evaluate`]) has its gradient used: asked for by the control (the
    /// curvature test of a Wolfe search) or taken over by the next iteration when the
    /// trial becomes the iterate (a control that accepts it). Then a descent that works
    /// from the gradient alone has every trial's residuals and gradient formed in one
    /// sweep, which costs little more than the residuals; for a control that rejects
    /// many trials without their gradient (a damping or radius control) the sweep would
    /// be wasted, so the default is `false`.
    fn uses_trial_gradients(&self) -> bool {
        false
    }
    /// The control's state between iterations (e.g. λ and the damping rule's state).
    fn save(&self) -> PartState {
        PartState::new(self.name())
    }
    /// Restores what [`StepControl::save`] wrote.
    ///
    /// # Errors
    /// A state written by another control, or with a missing or malformed entry.
    fn load(&mut self, state: &PartState) -> Result<(), StateError> {
        state.expect_part(self.name())
    }
}

#[cfg(test)]
pub(crate) mod fake {
    //! A scripted [`Trials`] for testing controls without the loop.

    use super::*;

    /// One scripted evaluation: the loss at `θ + tδ` as a function of `t`.
    pub struct FakeTrials {
        /// `L(θ)`.
        pub loss: f64,
        /// `‖∇L(θ)‖`.
        pub gradient_norm: f64,
        /// The step the descent returns (or the reason it fails).
        pub step: Result<StepInfo, InvalidReason>,
        /// When set, the step's (scaled) norm as a function of the damping λ.
        pub norm_of_damping: Option<Box<dyn Fn(f64) -> f64>>,
        /// When set, the damping of a trust radius (the inverse of `norm_of_damping`).
        pub damping_of_radius: Option<Box<dyn Fn(f64) -> f64>>,
        /// `∇L(θ)ᵀδ`.
        pub slope: f64,
        /// The model decrease of the step.
        pub predicted: f64,
        /// `t ↦ (L(θ + tδ), ∇L(θ + tδ)ᵀδ)`; `None` = non-finite.
        pub phi: Box<dyn Fn(f64) -> Option<(f64, f64)>>,
        /// `‖∇L‖` at any trial.
        pub trial_gradient_norm: f64,
        /// `‖θ‖`, for the step test.
        pub theta_norm: f64,
        /// Step tolerance.
        pub step_tolerance: f64,
        /// Every `(t, purpose)` evaluated, in order.
        pub evaluated: Vec<(f64, Purpose)>,
        /// Boldness values asked of the descent.
        pub asked: Vec<Boldness>,
        /// The `t` of the last [`Trials::keep`].
        pub kept: Option<f64>,
        last_t: f64,
        batch: Vec<f64>,
        batch_done: bool,
    }

    impl FakeTrials {
        /// A fake at loss `loss` with a descent that returns a unit-norm step.
        pub fn new(loss: f64, phi: impl Fn(f64) -> Option<(f64, f64)> + 'static) -> Self {
            Self {
                loss,
                gradient_norm: 1.0,
                step: Ok(StepInfo {
                    norm: 1.0,
                    scaled_norm: 1.0,
                    inner_iterations: 0,
                    first_length: 1.0,
                }),
                slope: -1.0,
                predicted: 1.0,
                norm_of_damping: None,
                damping_of_radius: None,
                phi: Box::new(phi),
                trial_gradient_norm: 0.5,
                theta_norm: 1.0,
                step_tolerance: 0.0,
                evaluated: Vec::new(),
                asked: Vec::new(),
                kept: None,
                last_t: f64::NAN,
                batch: Vec::new(),
                batch_done: false,
            }
        }
    }

    impl Trials for FakeTrials {
        fn loss(&self) -> f64 {
            self.loss
        }
        fn gradient_norm(&self) -> f64 {
            self.gradient_norm
        }
        fn compute_step(&mut self, boldness: Boldness) -> Result<StepInfo, InvalidReason> {
            self.asked.push(boldness);
            match (&self.norm_of_damping, self.step) {
                (Some(f), Ok(s)) => {
                    let n = f(boldness.damping());
                    Ok(StepInfo {
                        norm: n,
                        scaled_norm: n,
                        ..s
                    })
                }
                (_, s) => s,
            }
        }
        fn damping_for_radius(&self, radius: f64) -> Option<f64> {
            self.damping_of_radius.as_ref().map(|f| f(radius))
        }
        fn slope(&self) -> f64 {
            self.slope
        }
        fn iterate_scaled_norm(&self) -> f64 {
            self.theta_norm
        }
        fn predicted_reduction(&mut self) -> f64 {
            self.predicted
        }
        fn evaluate(&mut self, t: f64, purpose: Purpose) -> Option<TrialValue> {
            self.evaluated.push((t, purpose));
            self.last_t = t;
            (self.phi)(t).map(|(l, _)| TrialValue {
                loss: l,
                actual_reduction: self.loss - l,
            })
        }
        fn trial_gradient(&mut self, _purpose: Purpose) -> TrialGradient {
            TrialGradient {
                slope: (self.phi)(self.last_t).map_or(f64::NAN, |(_, d)| d),
                norm: self.trial_gradient_norm,
            }
        }
        fn keep(&mut self) {
            self.kept = Some(self.last_t);
        }
        fn push_trial(&mut self, t: f64) -> usize {
            if self.batch_done {
                self.batch.clear();
                self.batch_done = false;
            }
            self.batch.push(t);
            self.batch.len() - 1
        }
        fn evaluate_batch(&mut self, purpose: Purpose) -> Vec<Option<TrialValue>> {
            if self.batch_done {
                self.batch.clear();
            }
            self.batch_done = true;
            let ts = self.batch.clone();
            ts.into_iter().map(|t| self.evaluate(t, purpose)).collect()
        }
        fn keep_from_batch(&mut self, j: usize) {
            self.kept = Some(self.batch[j]);
        }
        fn is_tiny(&self, step_norm: f64) -> bool {
            step_norm <= self.step_tolerance * (self.theta_norm + self.step_tolerance)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn boldness_orders_both_forms_and_keeps_them_exact() {
        let lambda = 0.1 + 0.2; // not exactly representable: 1/(1/λ) may round
        let b = Boldness::from_damping(lambda);
        assert_eq!(b.damping().to_bits(), lambda.to_bits());
        assert_eq!(Boldness::from_length(0.3).length(), 0.3);
        // Bigger = bolder in both forms.
        assert!(Boldness::from_damping(1e-3).value() > Boldness::from_damping(1e3).value());
        assert!(Boldness::from_length(1.0).value() > Boldness::from_length(0.5).value());
        assert_eq!(Boldness::unit().length(), 1.0);
        assert_eq!(Boldness::from_length(4.0).damping(), 0.25);
    }
}
