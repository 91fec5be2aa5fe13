//! Stop rules of `pinn solve` beyond the solver's own tolerances, checked after every
//! iteration through the run's hook:
//!
//! - `--target-rel-l2 X`: stop once a measured rel L2 error is `≤ X` (it is measured
//!   about every quarter second, so the run may go on for that long past the moment it
//!   got there). Needs an exact solution or a reference.
//! - `--stagnation N`: stop at iteration `k ≥ N` when the lowest loss so far has not
//!   fallen by a relative [`STAGNATION_DECREASE`] over the last `N` iterations:
//!   `min_{i ≤ k} L_i > (1 − 10⁻³) · min_{i ≤ k−N} L_i`. The lowest loss, not the
//!   current one, so that Adam's oscillations and LM's rejected trials neither trigger
//!   nor postpone it.
//!
//! The result file's `/metrics` @`termination` then says `TargetRelL2` or `Stagnation`.

use super::format::{count, sci};

/// The relative decrease of the lowest loss that `--stagnation N` asks for over `N`
/// iterations.
pub const STAGNATION_DECREASE: f64 = 1e-3;

/// Why a stop rule ended the run.
#[derive(Clone, Debug, PartialEq)]
pub enum Stopped {
    /// The measured rel L2 error `reached` is at most `target`.
    TargetRelL2 {
        /// The error measured.
        reached: f64,
        /// `--target-rel-l2`.
        target: f64,
    },
    /// The lowest loss fell from `before` to `now` (not enough) over `window` iterations.
    Stagnation {
        /// `--stagnation`.
        window: usize,
        /// The lowest loss `window` iterations ago.
        before: f64,
        /// The lowest loss now.
        now: f64,
    },
}

impl Stopped {
    /// The termination reason stored in the result file.
    pub fn termination(&self) -> &'static str {
        match self {
            Self::TargetRelL2 { .. } => "TargetRelL2",
            Self::Stagnation { .. } => "Stagnation",
        }
    }

    /// Why, for the summary's "stopped because" line.
    pub fn reason_text(&self) -> String {
        match self {
            Self::TargetRelL2 { reached, target } => format!(
                "the rel L2 error {} reached the target {} (--target-rel-l2)",
                sci(*reached),
                sci(*target)
            ),
            Self::Stagnation {
                window,
                before,
                now,
            } => format!(
                "the lowest loss fell only from {} to {} over the last {} iterations (--stagnation)",
                sci(*before),
                sci(*now),
                count(*window as u64)
            ),
        }
    }
}

/// The stop rules of one run and what they have seen.
#[derive(Debug, Default)]
pub struct StopRules {
    target_rel_l2: Option<f64>,
    window: Option<usize>,
    /// The lowest loss after each iteration so far.
    lowest: Vec<f64>,
    stopped: Option<Stopped>,
}

impl StopRules {
    /// The rules of `--target-rel-l2` and `--stagnation`.
    ///
    /// # Errors
    /// A target that is not a positive finite number, or a window of zero iterations.
    pub fn new(target_rel_l2: Option<f64>, stagnation: Option<usize>) -> Result<Self, String> {
        if let Some(t) = target_rel_l2
            && !(t.is_finite() && t > 0.0)
        {
            return Err(format!(
                "--target-rel-l2 must be a positive number, found {t}"
            ));
        }
        if stagnation == Some(0) {
            return Err("--stagnation must be at least 1 iteration".into());
        }
        Ok(Self {
            target_rel_l2,
            window: stagnation,
            ..Self::default()
        })
    }

    /// Whether a rule needs the rel L2 error.
    pub fn needs_rel_l2(&self) -> bool {
        self.target_rel_l2.is_some()
    }

    /// Sees one iteration (its loss, the rel L2 error if measured); `true` to stop.
    pub fn observe(&mut self, loss: f64, rel: Option<f64>) -> bool {
        if self.stopped.is_some() {
            return true;
        }
        if let (Some(target), Some(r)) = (self.target_rel_l2, rel)
            && r <= target
        {
            self.stopped = Some(Stopped::TargetRelL2 { reached: r, target });
            return true;
        }
        let Some(window) = self.window else {
            return false;
        };
        let prev = self.lowest.last().copied().unwrap_or(f64::INFINITY);
        // A NaN loss never lowers the minimum.
        self.lowest.push(if loss < prev { loss } else { prev });
        let k = self.lowest.len() - 1;
        if k >= window {
            let (before, now) = (self.lowest[k - window], self.lowest[k]);
            if now.is_finite() && now > (1.0 - STAGNATION_DECREASE) * before {
                self.stopped = Some(Stopped::Stagnation {
                    window,
                    before,
                    now,
                });
                return true;
            }
        }
        false
    }

    /// Why a rule stopped the run, if one did.
    pub fn stopped(&self) -> Option<&Stopped> {
        self.stopped.as_ref()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn target_stops_at_the_first_measurement_at_or_below_it() {
        let mut s = StopRules::new(Some(1e-3), None).unwrap();
        assert!(!s.observe(1.0, Some(2e-3)));
        assert!(!s.observe(0.5, None));
        assert!(s.observe(0.4, Some(1e-3)));
        assert_eq!(
            s.stopped(),
            Some(&Stopped::TargetRelL2 {
                reached: 1e-3,
                target: 1e-3
            })
        );
        assert_eq!(s.stopped().unwrap().termination(), "TargetRelL2");
    }

    #[test]
    fn stagnation_compares_the_lowest_loss_over_the_window() {
        let mut s = StopRules::new(None, Some(3)).unwrap();
        // Falling by 10 % per iteration: never stagnant.
        let mut loss = 1.0;
        for _ in 0..20 {
            assert!(!s.observe(loss, None));
            loss *= 0.9;
        }
        // An oscillation above the minimum does not lower it; after 3 iterations stop.
        let low = loss / 0.9;
        assert!(!s.observe(2.0 * low, None));
        assert!(!s.observe(0.5 * low + 0.5 * 2.0 * low, None));
        assert!(s.observe(low * (1.0 - 1e-4), None));
        match s.stopped() {
            Some(Stopped::Stagnation {
                window: 3,
                before,
                now,
            }) => {
                assert_eq!(*before, low);
                assert_eq!(*now, low * (1.0 - 1e-4));
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn a_decrease_of_more_than_the_threshold_keeps_going_and_bad_options_are_errors() {
        let mut s = StopRules::new(None, Some(1)).unwrap();
        assert!(!s.observe(1.0, None));
        assert!(!s.observe(1.0 - 2e-3, None));
        assert!(s.observe(1.0 - 2.5e-3, None));
        assert!(StopRules::new(Some(0.0), None).is_err());
        assert!(StopRules::new(Some(f64::NAN), None).is_err());
        assert!(StopRules::new(None, Some(0)).is_err());
    }
}
