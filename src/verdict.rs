//! Whether a trained network is worth anything: the plain statement a solve ends with.
//!
//! A PINN run can end "successfully" (finite loss, budget used up) with a network that
//! is worse than predicting nothing. The yardstick is the zero function:
//!
//! - with an exact or reference solution `u*`, the zero function has rel L2 error
//!   `‖0 − u*‖ / ‖u*‖ = 1` exactly, so a rel L2 error `≥ 1` means the network is no
//!   better than `u ≡ 0`;
//! - without one, the loss of the network whose parameters are all zero (its output is
//!   identically zero, and so are all its derivatives; under an output transform it is
//!   the transform with a zero network) on the same residual points is the yardstick: a
//!   final loss `≥` that loss means the training found nothing the zero network does not
//!   already do.
//!
//! A run in which no step was accepted returns its initial parameters; that is said too
//! (it is not a failure by itself: θ₀ may have been a converged `--init`).

use std::fmt;

/// The verdict on a finished run.
#[derive(Clone, Debug, PartialEq)]
pub enum Verdict {
    /// Better than the zero function by the measure available.
    Useful,
    /// Rel L2 error `≥ 1`: no better than `u ≡ 0`.
    WorseThanZeroError {
        /// The final rel L2 error.
        rel_l2: f64,
    },
    /// No exact solution, and the final loss is at least the zero network's loss.
    WorseThanZeroLoss {
        /// The final loss.
        loss: f64,
        /// The loss of the all-zero parameters on the same points.
        zero_loss: f64,
    },
}

impl Verdict {
    /// Judges a run from its final rel L2 error (when an exact or reference solution is
    /// known), its final loss and the zero network's loss on the same points.
    ///
    /// A non-finite rel L2 or loss counts as no better than zero.
    pub fn judge(rel_l2: Option<f64>, loss: f64, zero_loss: f64) -> Self {
        match rel_l2 {
            Some(rel) if rel >= 1.0 || !rel.is_finite() => {
                Verdict::WorseThanZeroError { rel_l2: rel }
            }
            Some(_) => Verdict::Useful,
            None if loss >= zero_loss || !loss.is_finite() => {
                Verdict::WorseThanZeroLoss { loss, zero_loss }
            }
            None => Verdict::Useful,
        }
    }

    /// Whether the solution is better than zero.
    pub fn is_useful(&self) -> bool {
        matches!(self, Verdict::Useful)
    }
}

impl fmt::Display for Verdict {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Verdict::Useful => write!(f, "the solution is better than the zero function"),
            Verdict::WorseThanZeroError { rel_l2 } => write!(
                f,
                "FAILED: the solution is no better than zero: its rel L2 error {rel_l2:.3e} is \
                 at least 1, the error of u ≡ 0. Try another preset (--solver), a longer \
                 budget, more points or a different network; do not use this result"
            ),
            Verdict::WorseThanZeroLoss { loss, zero_loss } => write!(
                f,
                "FAILED: the solution is no better than zero: its loss {loss:.6e} is at least \
                 {zero_loss:.6e}, the loss of the network with all parameters zero (output \
                 ≡ 0) on the same points. Try another preset (--solver), a longer budget, \
                 more points or a different network; do not use this result"
            ),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rel_l2_at_or_above_one_is_no_better_than_zero() {
        assert_eq!(Verdict::judge(Some(0.3), 1.0, 0.5), Verdict::Useful);
        assert!(!Verdict::judge(Some(1.0), 0.0, 1.0).is_useful());
        assert_eq!(
            Verdict::judge(Some(3.8), 0.0, 1.0),
            Verdict::WorseThanZeroError { rel_l2: 3.8 }
        );
        assert!(!Verdict::judge(Some(f64::NAN), 0.0, 1.0).is_useful());
        // With an error measure, the loss does not decide.
        assert!(Verdict::judge(Some(1e-3), 5.0, 1.0).is_useful());
    }

    #[test]
    fn without_an_error_measure_the_zero_networks_loss_decides() {
        assert!(Verdict::judge(None, 0.1, 0.2).is_useful());
        assert_eq!(
            Verdict::judge(None, 0.2, 0.2),
            Verdict::WorseThanZeroLoss {
                loss: 0.2,
                zero_loss: 0.2
            }
        );
        assert!(!Verdict::judge(None, f64::INFINITY, 0.2).is_useful());
        let msg = Verdict::judge(None, 0.3, 0.2).to_string();
        assert!(
            msg.starts_with("FAILED: the solution is no better than zero"),
            "{msg}"
        );
    }
}
