//! The log-grid line search of energy natural gradient descent (Müller & Zeinhofer,
//! "Achieving high accuracy with PINNs via energy natural gradient descent", ICML
//! 2023): evaluate the loss at `θ + η·d` for every `η ∈ {base⁻ᵏ, k = 0…steps}` and
//! move to the grid's best point. The grid is evaluated as one batch
//! ([`Trials::evaluate_batch`]), which a problem may sweep in one pass over its points.
//!
//! When no grid point lowers the loss, the authors' `grid_line_search_update` moves to
//! the argmin anyway (the loss may rise); with `take_argmin_without_decrease = false`
//! the iteration is rejected instead and the descent is asked to restart (ENGD's
//! direction has no memory to forget, so on a fixed residual set that stalls the
//! solve: the next iteration would repeat this one exactly). A non-finite grid point is
//! never taken. The step test is applied at the iterate after the move.

use super::{Boldness, Candidate, Purpose, StepControl, TrialReport, Trials, Verdict};
use crate::record::InvalidReason;

/// The log-grid control.
#[derive(Clone, Debug, PartialEq)]
pub struct LogGrid {
    steps: usize,
    base: f64,
    take_argmin_without_decrease: bool,
}

impl LogGrid {
    /// The grid `η = base⁻ᵏ`, `k = 0…steps`.
    pub fn new(steps: usize, base: f64, take_argmin_without_decrease: bool) -> Self {
        Self {
            steps,
            base,
            take_argmin_without_decrease,
        }
    }
}

impl StepControl for LogGrid {
    fn name(&self) -> &'static str {
        "log_grid"
    }

    fn run(&mut self, trials: &mut dyn Trials) -> Verdict {
        let mut report = TrialReport::default();
        let step = match trials.compute_step(Boldness::unit()) {
            Ok(s) => s,
            Err(why) => return Verdict::invalid(why, report),
        };
        // (loss, actual reduction, η) of the best point so far.
        // Every grid point is evaluated in one batch (one sweep over the problem's
        // points), then scanned in order: the first of equal losses wins, as it would
        // evaluating them one by one.
        let mut etas = Vec::with_capacity(self.steps + 1);
        let mut eta = 1.0;
        for _ in 0..=self.steps {
            trials.push_trial(eta);
            etas.push(eta);
            eta /= self.base;
        }
        let values = trials.evaluate_batch(Purpose::LineSearch);
        let mut best: Option<(f64, f64, f64, usize)> = None;
        for (j, (v, &eta)) in values.iter().zip(&etas).enumerate() {
            if let Some(v) = v
                && best.is_none_or(|(bl, _, _, _)| v.loss < bl)
            {
                best = Some((v.loss, v.actual_reduction, eta, j));
            }
        }
        if let Some((_, _, _, j)) = best {
            trials.keep_from_batch(j);
        }
        let best = best.map(|(l, a, e, _)| (l, a, e));
        report.inner_iterations = self.steps + 1;
        let Some((best_loss, actual, best_eta)) = best else {
            return Verdict::invalid(InvalidReason::NonFiniteResiduals, report);
        };
        report.step_size = Some(best_eta);
        report.trial_loss = best_loss;
        let step_norm = best_eta * step.norm;
        report.step_norm = step_norm;
        Verdict::line_search(
            actual > 0.0 || self.take_argmin_without_decrease,
            Candidate::Kept,
            actual > 0.0,
            report,
            step_norm,
        )
    }
}

#[cfg(test)]
mod tests {
    use super::super::Decision;
    use super::super::fake::FakeTrials;
    use super::*;

    #[test]
    fn takes_the_best_grid_point() {
        // φ(η) = (η − 1/4)² + 1 with L = 2: best at η = 1/4 (k = 2).
        let mut c = LogGrid::new(5, 2.0, true);
        let mut t = FakeTrials::new(2.0, |e| Some(((e - 0.25) * (e - 0.25) + 1.0, 0.0)));
        let v = c.run(&mut t);
        assert_eq!(
            v.decision,
            Decision::Accept {
                candidate: Candidate::Kept,
                test_change: true
            }
        );
        let etas: Vec<f64> = t.evaluated.iter().map(|e| e.0).collect();
        assert_eq!(etas, vec![1.0, 0.5, 0.25, 0.125, 0.0625, 0.03125]);
        assert!(t.evaluated.iter().all(|e| e.1 == Purpose::LineSearch));
        assert_eq!(t.kept, Some(0.25));
        assert_eq!(v.report.step_size, Some(0.25));
        assert_eq!(v.report.trial_loss, 1.0);
        assert_eq!(v.report.inner_iterations, 6);
        assert_eq!(v.step_test_after, Some(0.25));
        assert_eq!(t.asked, vec![Boldness::unit()]);
    }

    #[test]
    fn without_a_decrease_moves_to_the_argmin_or_restarts() {
        let rising = |e: f64| Some((3.0 + e, 0.0));
        let mut t = FakeTrials::new(2.0, rising);
        let v = LogGrid::new(3, 2.0, true).run(&mut t);
        assert_eq!(
            v.decision,
            Decision::Accept {
                candidate: Candidate::Kept,
                test_change: false
            }
        );
        assert_eq!(t.kept, Some(0.125));
        let mut t = FakeTrials::new(2.0, rising);
        let v = LogGrid::new(3, 2.0, false).run(&mut t);
        assert_eq!(v.decision, Decision::Reject);
        assert!(v.restart_descent);
    }

    #[test]
    fn non_finite_points_are_never_taken() {
        let mut t = FakeTrials::new(2.0, |e| (e < 0.3).then_some((1.0 + e, 0.0)));
        let v = LogGrid::new(3, 2.0, true).run(&mut t);
        assert_eq!(t.kept, Some(0.125));
        assert_eq!(v.report.trial_loss, 1.125);
        let mut t = FakeTrials::new(2.0, |_| None);
        let v = LogGrid::new(3, 2.0, true).run(&mut t);
        assert_eq!(
            v.decision,
            Decision::Invalid(InvalidReason::NonFiniteResiduals)
        );
        assert_eq!(t.kept, None);
    }
}
