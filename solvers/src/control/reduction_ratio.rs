//! Reduction-ratio damping: one trial per iteration at the damping λ of a
//! [`DampingRule`], judged by the ratio of the actual to the predicted decrease
//! (Levenberg 1944, Marquardt 1963; in the form of Ceres's `TrustRegionMinimizer`).
//!
//! # Math
//! The step `δ(λ)` comes from the descent at boldness `1/λ`. The Gauss–Newton model
//! predicts `pred = L − ½‖r + Jδ‖² = −(Jδ)ᵀ(r + Jδ/2)` and the trial achieves
//! `act = ½Σ(rᵢ − rᵢ⁺)(rᵢ + rᵢ⁺)`, both without cancellation. The trial is accepted when
//! `act > η·pred` with `pred > 0` (a multiplicative test; `ρ = act/pred` is only
//! logged and drives the rule). Then λ follows the rule: shrink on a good ρ, grow on a
//! rejection or an invalid trial. A rejection or invalid trial with λ already at its
//! cap stalls the solve.
//!
//! **Gauss–Newton polish.** Near a minimiser the decrease `pred` can fall below what
//! `L − L⁺` resolves in floating point; a trial with `pred ≤ polish·L` that the ratio
//! test rejects is accepted when it lowers `‖∇L‖₂` instead, which is linear, not
//! quadratic, in the parameter error. Such an acceptance leaves λ unchanged (ρ = ½ is
//! the fixed point of both rules) instead of letting a noisy ρ inflate it, and is not
//! subjected to the relative-loss-change test.
//!
//! The step test `‖δ‖ ≤ tol·(‖θ‖ + tol)` is taken at the iterate the trial started
//! from, as Ceres's `parameter_tolerance`.

use super::damping_rule::{AnyDampingRule, DampingRule};
use super::{Boldness, Candidate, Decision, Purpose, StepControl, TrialReport, Trials, Verdict};
use crate::record::InvalidReason;
use crate::state::{PartState, StateError};
use crate::termination::TerminationReason;

/// The reduction-ratio control.
#[derive(Clone, Debug, PartialEq)]
pub struct ReductionRatio {
    rule: AnyDampingRule,
    acceptance: f64,
    polish: f64,
}

impl ReductionRatio {
    /// A control with damping rule `rule`, acceptance threshold `acceptance` (η in
    /// `act > η·pred`) and polish threshold `polish` (0 disables the polish).
    pub fn new(rule: AnyDampingRule, acceptance: f64, polish: f64) -> Self {
        Self {
            rule,
            acceptance,
            polish,
        }
    }

    /// The damping the next trial uses.
    pub fn lambda(&self) -> f64 {
        self.rule.lambda()
    }

    /// The trial at λ: its decision, whether it was a polish acceptance, and a stop.
    fn trial(
        &self,
        trials: &mut dyn Trials,
        lambda: f64,
        report: &mut TrialReport,
    ) -> (Decision, Option<TerminationReason>) {
        let step = match trials.compute_step(Boldness::from_damping(lambda)) {
            Ok(s) => s,
            Err(why) => return (Decision::Invalid(why), None),
        };
        report.inner_iterations = step.inner_iterations;
        report.step_norm = step.norm;
        let predicted = trials.predicted_reduction();
        if predicted.partial_cmp(&0.0) != Some(std::cmp::Ordering::Greater) {
            let stop = trials
                .is_tiny(step.norm)
                .then_some(TerminationReason::StepTolerance);
            return (
                Decision::Invalid(InvalidReason::NonPositivePredictedReduction),
                stop,
            );
        }
        let Some(value) = trials.evaluate(1.0, Purpose::Trial) else {
            return (Decision::Invalid(InvalidReason::NonFiniteResiduals), None);
        };
        let actual = value.actual_reduction;
        report.trial_loss = value.loss;
        report.rho = Some(actual / predicted);
        let tiny = trials.is_tiny(step.norm);
        let by_ratio = actual > self.acceptance * predicted;
        let polished = !by_ratio
            && predicted <= self.polish * trials.loss()
            && trials.trial_gradient(Purpose::Trial).norm < trials.gradient_norm();
        let decision = if by_ratio || polished {
            Decision::Accept {
                candidate: Candidate::Last,
                test_change: !polished,
            }
        } else {
            Decision::Reject
        };
        (decision, tiny.then_some(TerminationReason::StepTolerance))
    }
}

impl StepControl for ReductionRatio {
    fn name(&self) -> &'static str {
        "reduction_ratio"
    }

    fn run(&mut self, trials: &mut dyn Trials) -> Verdict {
        let lambda = self.rule.lambda();
        let was_at_max = self.rule.at_max();
        let mut report = TrialReport {
            lambda: Some(lambda),
            ..TrialReport::default()
        };
        let (decision, mut stop) = self.trial(trials, lambda, &mut report);
        match decision {
            Decision::Accept { .. } => self
                .rule
                .accepted(report.rho.filter(|&r| r > self.acceptance).unwrap_or(0.5)),
            Decision::Reject => self.rule.rejected(),
            Decision::Invalid(_) => self.rule.invalid(),
        }
        if !matches!(decision, Decision::Accept { .. }) && was_at_max {
            stop = stop.or(Some(TerminationReason::Stalled));
        }
        Verdict {
            stop,
            ..Verdict::new(decision, report)
        }
    }

    fn save(&self) -> PartState {
        self.rule.save_into(PartState::new(self.name()))
    }

    fn load(&mut self, state: &PartState) -> Result<(), StateError> {
        state.expect_part(self.name())?;
        self.rule.load_from(state)
    }
}

#[cfg(test)]
mod tests {
    use super::super::damping_rule::Nielsen;
    use super::super::fake::FakeTrials;
    use super::*;
    use crate::control::StepInfo;

    fn control(lambda: f64, max: f64, polish: f64) -> ReductionRatio {
        ReductionRatio::new(
            AnyDampingRule::Nielsen(Nielsen::new(lambda, 1e-16, max)),
            1e-4,
            polish,
        )
    }

    #[test]
    fn good_trial_is_accepted_and_lambda_shrinks() {
        // L = 4, L(θ + δ) = 3: act = 1 = pred, ρ = 1 ⇒ λ ← λ/3.
        let mut c = control(3.0, 1e32, 0.0);
        let mut t = FakeTrials::new(4.0, |_| Some((3.0, 0.0)));
        let v = c.run(&mut t);
        assert_eq!(
            v.decision,
            Decision::Accept {
                candidate: Candidate::Last,
                test_change: true
            }
        );
        assert_eq!(t.asked, vec![Boldness::from_damping(3.0)]);
        assert_eq!(t.evaluated, vec![(1.0, Purpose::Trial)]);
        assert_eq!((v.report.lambda, v.report.rho), (Some(3.0), Some(1.0)));
        assert_eq!(v.report.trial_loss, 3.0);
        assert_eq!(c.lambda(), 1.0);
        assert_eq!(v.stop, None);
    }

    #[test]
    fn poor_trial_is_rejected_and_lambda_doubles() {
        let mut c = control(1.0, 1e32, 0.0);
        let mut t = FakeTrials::new(4.0, |_| Some((4.5, 0.0)));
        let v = c.run(&mut t);
        assert_eq!(v.decision, Decision::Reject);
        assert_eq!(v.report.rho, Some(-0.5));
        assert_eq!(c.lambda(), 2.0);
        assert!(!v.restart_descent);
    }

    #[test]
    fn invalid_trials_name_their_reason_and_never_evaluate_twice() {
        // Failed step.
        let mut c = control(1.0, 1e32, 0.0);
        let mut t = FakeTrials::new(4.0, |_| Some((3.0, 0.0)));
        t.step = Err(InvalidReason::LinearSolverFailed);
        let v = c.run(&mut t);
        assert_eq!(
            v.decision,
            Decision::Invalid(InvalidReason::LinearSolverFailed)
        );
        assert!(t.evaluated.is_empty());
        assert_eq!(c.lambda(), 2.0);
        // Non-positive prediction: no evaluation.
        let mut t = FakeTrials::new(4.0, |_| Some((3.0, 0.0)));
        t.predicted = 0.0;
        let v = c.run(&mut t);
        assert_eq!(
            v.decision,
            Decision::Invalid(InvalidReason::NonPositivePredictedReduction)
        );
        assert!(t.evaluated.is_empty());
        // Non-finite residuals.
        let mut t = FakeTrials::new(4.0, |_| None);
        let v = c.run(&mut t);
        assert_eq!(
            v.decision,
            Decision::Invalid(InvalidReason::NonFiniteResiduals)
        );
        assert_eq!(v.report.trial_loss.to_bits(), f64::NAN.to_bits());
    }

    #[test]
    fn rejection_at_the_cap_stalls() {
        let mut c = control(8.0, 8.0, 0.0);
        let mut t = FakeTrials::new(4.0, |_| Some((5.0, 0.0)));
        let v = c.run(&mut t);
        assert_eq!(v.decision, Decision::Reject);
        assert_eq!(v.stop, Some(TerminationReason::Stalled));
    }

    #[test]
    fn tiny_step_stops_before_the_stall() {
        let mut c = control(8.0, 8.0, 0.0);
        let mut t = FakeTrials::new(4.0, |_| Some((5.0, 0.0)));
        t.step = Ok(StepInfo {
            norm: 1e-20,
            scaled_norm: 1e-20,
            inner_iterations: 3,
            first_length: 1.0,
        });
        t.step_tolerance = 1e-15;
        let v = c.run(&mut t);
        assert_eq!(v.stop, Some(TerminationReason::StepTolerance));
        assert_eq!(v.report.inner_iterations, 3);
    }

    #[test]
    fn polish_accepts_below_the_noise_floor_by_the_gradient() {
        // pred = 1e-12 ≤ 1e-10·L; the loss does not move (act = 0) but ‖∇L‖ drops.
        let mut c = control(1.0, 1e32, 1e-10);
        let mut t = FakeTrials::new(1.0, |_| Some((1.0, 0.0)));
        t.predicted = 1e-12;
        t.gradient_norm = 1.0;
        t.trial_gradient_norm = 0.5;
        let v = c.run(&mut t);
        assert_eq!(
            v.decision,
            Decision::Accept {
                candidate: Candidate::Last,
                test_change: false
            }
        );
        // λ unchanged (ρ = ½ is the rule's fixed point).
        assert_eq!(c.lambda(), 1.0);
        // Without a gradient decrease: rejected.
        let mut t = FakeTrials::new(1.0, |_| Some((1.0, 0.0)));
        t.predicted = 1e-12;
        t.trial_gradient_norm = 2.0;
        assert_eq!(c.run(&mut t).decision, Decision::Reject);
    }

    #[test]
    fn saved_state_restores_lambda_and_nu() {
        let mut a = control(1.0, 1e32, 0.0);
        let mut t = FakeTrials::new(4.0, |_| Some((5.0, 0.0)));
        a.run(&mut t);
        a.run(&mut t);
        let mut b = control(1.0, 1e32, 0.0);
        b.load(&a.save()).unwrap();
        assert_eq!(b, a);
        assert!(b.load(&PartState::new("log_grid")).is_err());
    }
}
