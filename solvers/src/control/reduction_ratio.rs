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
//!
//! **Trust-region bound** (optional; on for Levenberg–Marquardt). As MINPACK's
//! `lmder`, the scaled step is kept inside a radius, `‖D̃δ‖ ≤ Δ` (to 10 %), with
//! `Δ₀ = factor·‖D̃θ₀‖` (or `factor` when that is 0) and Δ updated from ρ after every
//! trial ([`super::trust_radius`]). The rule's λ is the floor: when its step is longer
//! than the radius, the trial uses the larger λ whose step fits, found by
//! [`super::radius_search::lambda_for_radius_with`] (a few more linear solves); the
//! rule itself moves as if the trial had been at its own λ (handing the bound's λ
//! back to the rule lost NIST's MGH17 from start 1). An invalid trial leaves Δ alone:
//! it never moves the iterate, and the rule's growing λ answers it (shrinking Δ as
//! well made λ explode on MGH17's early non-finite trials). A λ-rule alone accepts any
//! step with `act > η·pred`, so from a poor start it can accept steps that move θ by
//! orders of magnitude at ρ ≈ 0.1 and never come back; the bound forbids such steps
//! (Moré 1978, "The Levenberg–Marquardt algorithm: implementation and theory").

use super::damping_rule::{AnyDampingRule, DampingRule};
use super::radius_search::{self, SearchHints};
use super::trust_radius::{self, TrustRadius};
use super::{
    Boldness, Candidate, Decision, Purpose, StepControl, StepInfo, TrialReport, Trials, Verdict,
};
use crate::record::InvalidReason;
use crate::state::{PartState, StateError};
use crate::termination::TerminationReason;

/// The trust-region bound's state.
#[derive(Clone, Debug, PartialEq)]
struct Bound {
    factor: f64,
    /// Made at the first trial, from `‖D̃θ₀‖`.
    radius: Option<TrustRadius>,
    /// A starting λ for the next radius search (MINPACK carries its λ over).
    guess: Option<f64>,
}

/// The reduction-ratio control.
#[derive(Clone, Debug, PartialEq)]
pub struct ReductionRatio {
    rule: AnyDampingRule,
    acceptance: f64,
    polish: f64,
    bound: Option<Bound>,
}

impl ReductionRatio {
    /// A control with damping rule `rule`, acceptance threshold `acceptance` (η in
    /// `act > η·pred`) and polish threshold `polish` (0 disables the polish), without
    /// a trust-region bound.
    pub fn new(rule: AnyDampingRule, acceptance: f64, polish: f64) -> Self {
        Self {
            rule,
            acceptance,
            polish,
            bound: None,
        }
    }

    /// The same control with the trust-region bound `‖D̃δ‖ ≤ Δ`,
    /// `Δ₀ = factor·‖D̃θ₀‖`; `factor = 0` leaves it off.
    pub fn with_trust_region(mut self, factor: f64) -> Self {
        self.bound = (factor > 0.0).then_some(Bound {
            factor,
            radius: None,
            guess: None,
        });
        self
    }

    /// The current trust radius, once the bounded control has run a trial.
    pub fn radius(&self) -> Option<f64> {
        self.bound
            .as_ref()
            .and_then(|b| b.radius.as_ref())
            .map(TrustRadius::radius)
    }

    /// The damping the next trial uses.
    pub fn lambda(&self) -> f64 {
        self.rule.lambda()
    }

    /// The step for the trial: the rule's λ, or, when its step leaves the trust region,
    /// the larger λ whose step fits. Returns the λ used, the step, and whether the
    /// radius left the rule's λ alone.
    fn bounded_step(
        &mut self,
        trials: &mut dyn Trials,
        lambda: f64,
    ) -> (f64, Result<StepInfo, InvalidReason>, bool) {
        let floor = trials.compute_step(Boldness::from_damping(lambda));
        let Some(bound) = self.bound.as_mut() else {
            return (lambda, floor, true);
        };
        let radius = bound
            .radius
            .get_or_insert_with(|| TrustRadius::new(bound.factor, trials.iterate_scaled_norm()))
            .radius();
        let Ok(step) = floor else {
            return (lambda, floor, true);
        };
        if step.scaled_norm <= (1.0 + radius_search::RADIUS_TOLERANCE) * radius {
            return (lambda, floor, true);
        }
        let mut last = floor;
        let hints = SearchHints {
            guess: bound.guess.filter(|&g| g > lambda),
            scaled_gradient_norm: None,
        };
        let found = radius_search::lambda_for_radius_with(radius, lambda, hints, |l| {
            last = trials.compute_step(Boldness::from_damping(l));
            last.ok().map(|s| s.scaled_norm)
        });
        match found {
            Ok(f) => (f.lambda, last, f.at_floor),
            Err(_) => (lambda, Err(InvalidReason::LinearSolverFailed), true),
        }
    }

    /// Moves the radius after a trial at λ (a no-op without the bound).
    fn update_radius(
        &mut self,
        trials: &dyn Trials,
        (lambda, at_floor): (f64, bool),
        decision: Decision,
        report: &TrialReport,
        step: Option<StepInfo>,
        actual: f64,
    ) {
        let Some(bound) = self.bound.as_mut() else {
            return;
        };
        let Some(radius) = bound.radius.as_mut() else {
            return;
        };
        let change = match (report.rho, step) {
            (Some(rho), Some(step)) => radius.update(&trust_radius::Trial {
                rho,
                scaled_step_norm: step.scaled_norm,
                loss: trials.loss(),
                actual_reduction: actual,
                directional_derivative: trials.slope(),
                at_floor,
                accepted: matches!(decision, Decision::Accept { .. }),
            }),
            // An invalid trial never moves the iterate; the rule's λ answers it.
            _ => trust_radius::RadiusChange::Unchanged,
        };
        bound.guess = (!at_floor).then(|| lambda * change.lambda_hint_factor());
    }

    /// The trial at λ with its step: its decision and a stop.
    fn trial(
        &self,
        trials: &mut dyn Trials,
        step: Result<StepInfo, InvalidReason>,
        report: &mut TrialReport,
        actual_out: &mut f64,
    ) -> (Decision, Option<TerminationReason>) {
        let step = match step {
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
        *actual_out = actual;
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
        let (used, step, at_floor) = self.bounded_step(trials, lambda);
        let mut report = TrialReport {
            lambda: Some(used),
            ..TrialReport::default()
        };
        let mut actual = f64::NAN;
        let (decision, mut stop) = self.trial(trials, step, &mut report, &mut actual);
        self.update_radius(
            trials,
            (used, at_floor),
            decision,
            &report,
            step.ok(),
            actual,
        );
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
        let mut s = self.rule.save_into(PartState::new(self.name()));
        if let Some(b) = &self.bound {
            if let Some(r) = &b.radius {
                s = r.save_into(s);
            }
            if let Some(g) = b.guess {
                s = s.with_scalar("radius_lambda_guess", g);
            }
        }
        s
    }

    fn load(&mut self, state: &PartState) -> Result<(), StateError> {
        state.expect_part(self.name())?;
        self.rule.load_from(state)?;
        if let Some(b) = &mut self.bound {
            b.radius = if state.scalars.contains_key("radius") {
                Some(TrustRadius::load_from(state)?)
            } else {
                None
            };
            b.guess = state.scalars.get("radius_lambda_guess").copied();
        }
        Ok(())
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
    fn the_trust_region_replaces_a_step_longer_than_the_radius() {
        // ‖D̃δ(λ)‖ = 1/(1 + λ), ‖D̃θ₀‖ = 0.01: Δ₀ = 100·0.01 = 1 > ‖D̃δ(λ_rule)‖, so
        // the first trial is the rule's; an accepted step with ρ = 1 resets
        // Δ = 2‖D̃δ‖.
        let mut c = control(1e-3, 1e32, 0.0).with_trust_region(100.0);
        let mut t = FakeTrials::new(4.0, |_| Some((3.0, 0.0)));
        t.norm_of_damping = Some(Box::new(|l| 1.0 / (1.0 + l)));
        t.theta_norm = 0.01;
        let v = c.run(&mut t);
        assert_eq!(v.report.lambda, Some(1e-3));
        assert_eq!(t.asked.len(), 1);
        assert_eq!(c.radius(), Some(2.0 / (1.0 + 1e-3)));
        // A poor acceptance (ρ = 0.1) shrinks Δ to ½·min(Δ, 10‖D̃δ‖).
        let mut t = FakeTrials::new(4.0, |_| Some((3.9, 0.0)));
        t.norm_of_damping = Some(Box::new(|l| 1.0 / (1.0 + l)));
        let before = c.radius().unwrap();
        let v = c.run(&mut t);
        assert!(matches!(v.decision, Decision::Accept { .. }));
        assert_eq!(
            c.radius(),
            Some(0.5 * before.min(10.0 / (1.0 + c.lambda() * 3.0)))
        );
        // Now a step longer than Δ: the trial uses the larger λ whose step fits.
        let radius = c.radius().unwrap();
        let mut t = FakeTrials::new(4.0, |_| Some((3.0, 0.0)));
        t.norm_of_damping = Some(Box::new(|l| 100.0 / (1.0 + l)));
        let v = c.run(&mut t);
        let used = v.report.lambda.unwrap();
        assert!(used > t.asked[0].damping());
        assert!(100.0 / (1.0 + used) <= 1.1 * radius);
        assert_eq!(t.asked.last().unwrap().damping(), used);
        // An invalid trial leaves the radius alone.
        let r = c.radius();
        let mut t = FakeTrials::new(4.0, |_| None);
        t.norm_of_damping = Some(Box::new(|l| 1e-3 / (1.0 + l)));
        c.run(&mut t);
        assert_eq!(c.radius(), r);
        // The radius is part of the saved state.
        let mut d = control(1e-3, 1e32, 0.0).with_trust_region(100.0);
        d.load(&c.save()).unwrap();
        assert_eq!(d, c);
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
