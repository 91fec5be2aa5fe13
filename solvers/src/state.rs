//! The solver's state as one value: what a resume needs to continue a solve exactly
//! where it stopped.
//!
//! [`SolverState`] splits into the [`Iterate`] (θ, its loss, whether the descent must
//! be prepared afresh), the [`Ledger`] (counters and the one history), the [`Budget`]
//! (what the stop tests measure against), and the [`PhaseState`] (which method of a
//! switch runs, and the state its descent and step control carry between iterations:
//! λ and the damping rule's ν, L-BFGS pairs, Adam's moments, CG's warm start). Each
//! descent and control writes its own part as a [`PartState`] of named numbers, so a
//! new method needs no change here.
//!
//! Everything derives serde; floats are stored as `f64`, so a format that prints
//! shortest round-trip decimals (TOML, JSON with exact float parsing, bincode) brings
//! every bit back. What a problem keeps for a resume (e.g. its resampling random
//! generator) stays with the problem.

use crate::config::Method;
use crate::record::{EvaluationCounts, IterationRecord, StepOutcome, TimeSplit};
use crate::termination::TerminationReason;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// A state that cannot be loaded.
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
pub enum StateError {
    /// The part was written by another descent or control.
    #[error("state of `{found}` cannot be loaded into `{expected}`")]
    WrongPart {
        /// The part loading.
        expected: String,
        /// The part that wrote the state.
        found: String,
    },
    /// An entry is missing.
    #[error("state of `{part}` has no entry `{key}`")]
    Missing {
        /// The part.
        part: String,
        /// The entry.
        key: String,
    },
    /// An entry has the wrong length.
    #[error("state of `{part}`: `{key}` has length {found}, expected {expected}")]
    Length {
        /// The part.
        part: String,
        /// The entry.
        key: String,
        /// Length expected.
        expected: usize,
        /// Length found.
        found: usize,
    },
    /// The configuration given with the state is invalid.
    #[error(transparent)]
    Config(#[from] crate::config::ConfigError),
    /// The state does not fit the problem or configuration it is loaded with.
    #[error("state does not fit: {0}")]
    Mismatch(String),
}

/// The state of one descent or step control: named scalars, vectors, counts and flags.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct PartState {
    /// The part's name ([`crate::control::StepControl::name`] or the descent's).
    pub part: String,
    /// Named scalars.
    #[serde(default)]
    pub scalars: BTreeMap<String, f64>,
    /// Named vectors.
    #[serde(default)]
    pub vectors: BTreeMap<String, Vec<f64>>,
    /// Named counts.
    #[serde(default)]
    pub counts: BTreeMap<String, u64>,
    /// Named flags.
    #[serde(default)]
    pub flags: BTreeMap<String, bool>,
}

impl PartState {
    /// An empty state of part `part`.
    pub fn new(part: &str) -> Self {
        Self {
            part: part.to_string(),
            ..Self::default()
        }
    }

    /// Checks that the state was written by `part`.
    ///
    /// # Errors
    /// [`StateError::WrongPart`].
    pub fn expect_part(&self, part: &str) -> Result<(), StateError> {
        if self.part == part {
            Ok(())
        } else {
            Err(StateError::WrongPart {
                expected: part.to_string(),
                found: self.part.clone(),
            })
        }
    }

    fn missing(&self, key: &str) -> StateError {
        StateError::Missing {
            part: self.part.clone(),
            key: key.to_string(),
        }
    }

    /// Adds a scalar.
    pub fn with_scalar(mut self, key: &str, v: f64) -> Self {
        self.scalars.insert(key.to_string(), v);
        self
    }
    /// Adds a vector.
    pub fn with_vector(mut self, key: &str, v: &[f64]) -> Self {
        self.vectors.insert(key.to_string(), v.to_vec());
        self
    }
    /// Adds a count.
    pub fn with_count(mut self, key: &str, v: u64) -> Self {
        self.counts.insert(key.to_string(), v);
        self
    }
    /// Adds a flag.
    pub fn with_flag(mut self, key: &str, v: bool) -> Self {
        self.flags.insert(key.to_string(), v);
        self
    }

    /// A scalar.
    ///
    /// # Errors
    /// [`StateError::Missing`].
    pub fn scalar(&self, key: &str) -> Result<f64, StateError> {
        self.scalars
            .get(key)
            .copied()
            .ok_or_else(|| self.missing(key))
    }
    /// A count.
    ///
    /// # Errors
    /// [`StateError::Missing`].
    pub fn count(&self, key: &str) -> Result<u64, StateError> {
        self.counts
            .get(key)
            .copied()
            .ok_or_else(|| self.missing(key))
    }
    /// A flag.
    ///
    /// # Errors
    /// [`StateError::Missing`].
    pub fn flag(&self, key: &str) -> Result<bool, StateError> {
        self.flags
            .get(key)
            .copied()
            .ok_or_else(|| self.missing(key))
    }
    /// Copies a vector into `out`, which must have its length.
    ///
    /// # Errors
    /// [`StateError::Missing`] or [`StateError::Length`].
    pub fn vector_into(&self, key: &str, out: &mut [f64]) -> Result<(), StateError> {
        let v = self.vectors.get(key).ok_or_else(|| self.missing(key))?;
        if v.len() != out.len() {
            return Err(StateError::Length {
                part: self.part.clone(),
                key: key.to_string(),
                expected: out.len(),
                found: v.len(),
            });
        }
        out.copy_from_slice(v);
        Ok(())
    }
}

/// The iterate and what the loop knows about it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Iterate {
    /// θ.
    pub theta: Vec<f64>,
    /// `L(θ)` on the current residual set.
    pub loss: f64,
    /// `‖∇L(θ)‖₂` at the last linearisation.
    pub gradient_norm: f64,
    /// `‖∇L(θ₀)‖∞`, the reference of the gradient test (NaN before the first
    /// linearisation).
    pub initial_gradient_inf: f64,
    /// Whether the next iteration linearises at θ (true after an acceptance, a
    /// resample, a restart); when false, the descent's preparation at θ is still valid
    /// and a resume re-derives it.
    pub needs_linearization: bool,
}

/// Counters and the history.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Ledger {
    /// Iterations run (trials count as iterations).
    pub iteration: usize,
    /// Accepted trials.
    pub accepted: usize,
    /// Rejected trials.
    pub rejected: usize,
    /// Invalid trials.
    pub invalid: usize,
    /// Invalid trials since the last valid one.
    pub consecutive_invalid: usize,
    /// `L(θ₀)`.
    pub initial_loss: f64,
    /// Evaluation counts.
    pub counts: EvaluationCounts,
    /// Time split of all iterations.
    pub time: TimeSplit,
    /// Wall time of earlier sessions of this solve, seconds.
    pub earlier_seconds: f64,
    /// Methods run, in order.
    pub methods: Vec<Method>,
    /// One record per iteration.
    pub history: Vec<IterationRecord>,
}

impl Ledger {
    /// Counts one iteration's outcome.
    pub fn tally(&mut self, outcome: StepOutcome) {
        match outcome {
            StepOutcome::Accepted => self.accepted += 1,
            StepOutcome::Rejected => self.rejected += 1,
            StepOutcome::Invalid(_) => self.invalid += 1,
        }
        if matches!(outcome, StepOutcome::Invalid(_)) {
            self.consecutive_invalid += 1;
        } else {
            self.consecutive_invalid = 0;
        }
    }
}

/// What the stop tests measure against.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Budget {
    /// Iterations allowed in all (trials included).
    pub max_iterations: usize,
    /// Wall-clock seconds allowed per session (`None`: none).
    pub time_limit_seconds: Option<f64>,
    /// Why the solve stopped, once it has.
    pub termination: Option<TerminationReason>,
}

/// The running method and the state of its parts.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PhaseState {
    /// The method running.
    pub method: Method,
    /// Whether the configured switch has happened.
    pub switched: bool,
    /// The descent's state.
    pub descent: PartState,
    /// The step control's state.
    pub control: PartState,
}

/// The whole state of a solve.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SolverState {
    /// `N`, checked on load.
    pub n_residuals: usize,
    /// `P`, checked on load.
    pub n_params: usize,
    /// θ and what is known at θ.
    pub iterate: Iterate,
    /// Counters and history.
    pub ledger: Ledger,
    /// Budgets and the stop reason.
    pub budget: Budget,
    /// The method and its parts.
    pub phase: PhaseState,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn part_state_reports_missing_wrong_and_misshapen_entries() {
        let s = PartState::new("x")
            .with_scalar("a", 1.5)
            .with_vector("v", &[1.0, 2.0])
            .with_count("n", 3)
            .with_flag("f", true);
        assert_eq!(s.scalar("a"), Ok(1.5));
        assert_eq!(s.count("n"), Ok(3));
        assert_eq!(s.flag("f"), Ok(true));
        let mut out = [0.0; 2];
        s.vector_into("v", &mut out).unwrap();
        assert_eq!(out, [1.0, 2.0]);
        assert!(matches!(s.scalar("b"), Err(StateError::Missing { .. })));
        assert!(matches!(
            s.vector_into("v", &mut [0.0; 3]),
            Err(StateError::Length {
                expected: 3,
                found: 2,
                ..
            })
        ));
        assert!(s.expect_part("x").is_ok());
        assert!(matches!(
            s.expect_part("y"),
            Err(StateError::WrongPart { .. })
        ));
    }
}
