//! Take every valid step, as the first-order baselines of the PINN literature run
//! Adam: the descent's unit step becomes the iterate whenever the residuals there are
//! finite, whether or not the loss went down. The step test is applied at the new
//! iterate.

use super::{Boldness, Candidate, Decision, Purpose, StepControl, TrialReport, Trials, Verdict};
use crate::record::InvalidReason;

/// The always-accept control.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct AlwaysAccept;

impl StepControl for AlwaysAccept {
    fn name(&self) -> &'static str {
        "always_accept"
    }

    /// Every finite trial becomes the iterate, whose gradient the next step needs.
    fn uses_trial_gradients(&self) -> bool {
        true
    }

    fn run(&mut self, trials: &mut dyn Trials) -> Verdict {
        let mut report = TrialReport {
            step_size: Some(1.0),
            ..TrialReport::default()
        };
        let step = match trials.compute_step(Boldness::unit()) {
            Ok(s) => s,
            Err(why) => return Verdict::invalid(why, report),
        };
        report.step_norm = step.norm;
        let Some(value) = trials.evaluate(1.0, Purpose::Trial) else {
            return Verdict::invalid(InvalidReason::NonFiniteResiduals, report);
        };
        report.trial_loss = value.loss;
        Verdict {
            step_test_after: Some(step.norm),
            ..Verdict::new(
                Decision::Accept {
                    candidate: Candidate::Last,
                    test_change: false,
                },
                report,
            )
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::fake::FakeTrials;
    use super::*;

    #[test]
    fn accepts_an_increase_and_refuses_only_non_finite_trials() {
        let mut t = FakeTrials::new(1.0, |_| Some((5.0, 0.0)));
        let v = AlwaysAccept.run(&mut t);
        assert_eq!(
            v.decision,
            Decision::Accept {
                candidate: Candidate::Last,
                test_change: false
            }
        );
        assert_eq!(v.report.trial_loss, 5.0);
        assert_eq!(v.step_test_after, Some(1.0));
        let mut t = FakeTrials::new(1.0, |_| None);
        assert_eq!(
            AlwaysAccept.run(&mut t).decision,
            Decision::Invalid(InvalidReason::NonFiniteResiduals)
        );
        let mut t = FakeTrials::new(1.0, |_| Some((0.0, 0.0)));
        t.step = Err(InvalidReason::NonFiniteStep);
        let v = AlwaysAccept.run(&mut t);
        assert_eq!(v.decision, Decision::Invalid(InvalidReason::NonFiniteStep));
        assert!(t.evaluated.is_empty());
    }
}
