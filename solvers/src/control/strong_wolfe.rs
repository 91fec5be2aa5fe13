//! A strong Wolfe line search along the descent's direction, by the Moré–Thuente
//! algorithm ([`super::more_thuente`]) driven by reverse communication, so that the
//! loop evaluates (and books) every trial `φ(α) = L(θ + αd)`, `φ'(α) = ∇L(θ + αd)ᵀd`.
//!
//! The first trial length is the descent's choice (1 for a quasi-Newton step; for a
//! first, steepest-descent step `min(1, 1/‖d‖)`, Nocedal & Wright 2006, §3.5). A search
//! that fails falls back to the best decreasing point it saw; with no decrease at all
//! the iteration is rejected and the descent is asked to restart (L-BFGS forgets its
//! pairs and tries steepest descent; a failure from steepest descent stalls the
//! solve). The step test is applied at the iterate after the move.
//!
//! **Fallback curvature constants.** With [`StrongWolfe::with_fallbacks`], a search
//! that finds no decreasing point is repeated along the same direction with each
//! smaller `c₂` in turn before the descent is asked to restart, as the self-scaled
//! quasi-Newton PINN codes do (`c₂` = 0.9, then 0.8, then 0.5; Urbán, Stefanou & Pons,
//! JCP 2025). Every evaluation of every attempt counts in the iteration's record.

use super::more_thuente::{MoreThuente, Next, StrongWolfeParams};
use super::{
    Boldness, Candidate, Decision, Purpose, StepControl, TrialReport, TrialValue, Trials, Verdict,
};
use crate::record::InvalidReason;

/// The strong Wolfe control.
#[derive(Clone, Debug, PartialEq)]
pub struct StrongWolfe {
    search: MoreThuente,
    fallbacks: Vec<MoreThuente>,
}

/// One search's outcome: the chosen point, the last α evaluated and its value.
struct Attempt {
    chosen: Option<super::more_thuente::LineSearchResult>,
    last_alpha: f64,
    last: Option<TrialValue>,
}

impl StrongWolfe {
    /// A control with validated search parameters.
    ///
    /// # Errors
    /// Invalid parameters (see [`StrongWolfeParams::validate`]).
    pub fn new(params: StrongWolfeParams) -> Result<Self, super::more_thuente::LineSearchError> {
        Ok(Self {
            search: MoreThuente::new(params)?,
            fallbacks: Vec::new(),
        })
    }

    /// The same control, retrying a search that found no decrease with each of the
    /// curvature constants `c2s` in turn (each must be in `(c₁, 1)`).
    ///
    /// # Errors
    /// A `c₂` that does not validate.
    pub fn with_fallbacks(
        mut self,
        c2s: &[f64],
    ) -> Result<Self, super::more_thuente::LineSearchError> {
        for &c2 in c2s {
            self.fallbacks.push(MoreThuente::new(StrongWolfeParams {
                c2,
                ..*self.search.params()
            })?);
        }
        Ok(self)
    }

    /// One strong Wolfe search from `φ(0) = phi0`, `φ'(0) = slope`, first trial `alpha0`.
    fn attempt(
        search: &MoreThuente,
        trials: &mut dyn Trials,
        phi0: f64,
        slope: f64,
        alpha0: f64,
        evaluations: &mut usize,
    ) -> Attempt {
        let mut search = search.clone();
        let mut last_alpha = f64::NAN;
        let mut last: Option<TrialValue> = None;
        let result = match search.start(phi0, slope, alpha0) {
            Err(e) => Err(e),
            Ok(mut alpha) => loop {
                *evaluations += 1;
                last_alpha = alpha;
                last = trials.evaluate(alpha, Purpose::LineSearch);
                let (phi, dphi) = match last {
                    Some(v) => (v.loss, trials.trial_gradient(Purpose::LineSearch).slope),
                    None => (f64::NAN, f64::NAN),
                };
                match search.advance(phi, dphi) {
                    Ok(Next::Evaluate(a)) => alpha = a,
                    Ok(Next::Done(res)) => break Ok(res),
                    Err(e) => break Err(e),
                }
            },
        };
        let chosen = match result {
            Ok(res) => Some(res),
            Err(e) => e.best().filter(|b| b.alpha > 0.0 && b.phi < phi0),
        };
        Attempt {
            chosen,
            last_alpha,
            last,
        }
    }
}

impl StepControl for StrongWolfe {
    fn name(&self) -> &'static str {
        "strong_wolfe"
    }

    /// Every trial of the search has its slope `φ'(α)` taken, and the last one is
    /// usually the next iterate.
    fn uses_trial_gradients(&self) -> bool {
        true
    }

    fn run(&mut self, trials: &mut dyn Trials) -> Verdict {
        let mut report = TrialReport::default();
        let step = match trials.compute_step(Boldness::unit()) {
            Ok(s) => s,
            Err(why) => return Verdict::invalid(why, report),
        };
        let slope = trials.slope();
        let phi0 = trials.loss();
        let mut evaluations = 0;
        let mut attempt = Self::attempt(
            &self.search,
            trials,
            phi0,
            slope,
            step.first_length,
            &mut evaluations,
        );
        for fallback in &self.fallbacks {
            if attempt.chosen.is_some() {
                break;
            }
            attempt = Self::attempt(
                fallback,
                trials,
                phi0,
                slope,
                step.first_length,
                &mut evaluations,
            );
        }
        report.inner_iterations = evaluations;
        let Attempt {
            chosen,
            last_alpha,
            mut last,
        } = attempt;
        let Some(best) = chosen else {
            return Verdict {
                restart_descent: true,
                ..Verdict::new(Decision::Reject, report)
            };
        };
        if best.alpha != last_alpha || last.is_none() {
            last = trials.evaluate(best.alpha, Purpose::Trial);
        }
        let Some(value) = last else {
            return Verdict::invalid(InvalidReason::NonFiniteResiduals, report);
        };
        report.step_size = Some(best.alpha);
        let step_norm = best.alpha * step.norm;
        report.step_norm = step_norm;
        report.trial_loss = value.loss;
        Verdict::line_search(
            value.actual_reduction > 0.0,
            Candidate::Last,
            true,
            report,
            step_norm,
        )
    }
}

#[cfg(test)]
mod tests {
    use super::super::fake::FakeTrials;
    use super::*;
    use crate::control::StepInfo;

    fn control() -> StrongWolfe {
        StrongWolfe::new(StrongWolfeParams::default()).unwrap()
    }

    #[test]
    fn exact_step_on_a_quadratic_is_taken_first() {
        // φ(α) = (α − 1)² + 1, φ(0) = 2, φ'(0) = −2: α = 1 is a strong Wolfe point.
        let mut t = FakeTrials::new(2.0, |a| {
            Some(((a - 1.0) * (a - 1.0) + 1.0, 2.0 * (a - 1.0)))
        });
        t.slope = -2.0;
        let v = control().run(&mut t);
        assert_eq!(
            v.decision,
            Decision::Accept {
                candidate: Candidate::Last,
                test_change: true
            }
        );
        assert_eq!(t.evaluated, vec![(1.0, Purpose::LineSearch)]);
        assert_eq!(v.report.step_size, Some(1.0));
        assert_eq!(v.report.inner_iterations, 1);
        assert_eq!(v.step_test_after, Some(1.0));
    }

    #[test]
    fn starts_at_the_descents_first_length() {
        // φ(α) = (α − ¼)² with φ(0) = 1/16; first length ¼ is exact.
        let mut t = FakeTrials::new(1.0 / 16.0, |a| {
            Some(((a - 0.25) * (a - 0.25), 2.0 * (a - 0.25)))
        });
        t.slope = -0.5;
        t.step = Ok(StepInfo {
            norm: 4.0,
            scaled_norm: 4.0,
            inner_iterations: 0,
            first_length: 0.25,
        });
        let v = control().run(&mut t);
        assert_eq!(t.evaluated[0].0, 0.25);
        assert_eq!(v.report.step_size, Some(0.25));
        assert_eq!(v.report.step_norm, 1.0);
    }

    #[test]
    fn fallbacks_retry_along_the_same_direction_before_a_restart() {
        // No decrease anywhere: the primary search and both fallbacks run, then the
        // descent is asked to restart; the step was asked for once.
        let mut t = FakeTrials::new(1.0, |a| Some((1.0 + a, 1.0)));
        t.slope = -1.0;
        let c = control().with_fallbacks(&[0.8, 0.5]).unwrap();
        let mut plain = control();
        let mut one = FakeTrials::new(1.0, |a| Some((1.0 + a, 1.0)));
        one.slope = -1.0;
        plain.run(&mut one);
        let v = c.clone().run(&mut t);
        assert_eq!(v.decision, Decision::Reject);
        assert!(v.restart_descent);
        assert_eq!(t.asked.len(), 1);
        assert_eq!(t.evaluated.len(), 3 * one.evaluated.len());
        assert_eq!(v.report.inner_iterations, t.evaluated.len());
        // A search that succeeds never runs the fallbacks.
        let mut t = FakeTrials::new(2.0, |a| {
            Some(((a - 1.0) * (a - 1.0) + 1.0, 2.0 * (a - 1.0)))
        });
        t.slope = -2.0;
        c.clone().run(&mut t);
        assert_eq!(t.evaluated.len(), 1);
        assert!(control().with_fallbacks(&[1e-5]).is_err());
    }

    #[test]
    fn no_decrease_rejects_and_asks_for_a_restart() {
        // An ascent "direction": the search refuses to start.
        let mut t = FakeTrials::new(1.0, |a| Some((1.0 + a, 1.0)));
        t.slope = 1.0;
        let v = control().run(&mut t);
        assert_eq!(v.decision, Decision::Reject);
        assert!(v.restart_descent);
        assert!(t.evaluated.is_empty());
        // Non-finite everywhere: the search ends without a point.
        let mut t = FakeTrials::new(1.0, |_| None);
        let v = control().run(&mut t);
        assert_eq!(v.decision, Decision::Reject);
        assert!(v.restart_descent);
        assert!(!t.evaluated.is_empty());
    }
}
