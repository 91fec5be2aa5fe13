//! When to write a checkpoint: every N iterations and/or every T seconds, whichever
//! comes first, counted from the last write (or the start of the run).
//!
//! The decision ([`Checkpointer::is_due`]) is pure, taking the current iteration and
//! time as arguments, so it is tested without sleeping; [`Checkpointer::maybe_write`]
//! adds the (atomic) write. Each checkpoint replaces the result file whole, so a run
//! killed at any point leaves the last complete checkpoint on disk.

use std::path::Path;
use std::time::Instant;

use super::error::OutputError;
use super::hdf5::write_atomic;
use super::result::RunResult;

/// A checkpoint interval that cannot be honoured.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum CheckpointConfigError {
    #[error("checkpoint every_iters must be at least 1, got 0")]
    ZeroIterations,
    #[error("checkpoint every_secs must be finite and > 0, got {0}")]
    BadSeconds(f64),
}

/// Checkpoint schedule plus the time and iteration of the last write.
#[derive(Debug, Clone)]
pub struct Checkpointer {
    every_iters: Option<u64>,
    every_secs: Option<f64>,
    last_iter: u64,
    last_time: Instant,
}

impl Checkpointer {
    /// A schedule starting at iteration 0 and time `start`. With both intervals `None`
    /// no checkpoint is ever due (only the final file is written).
    ///
    /// # Errors
    /// `every_iters == Some(0)`, or `every_secs` not finite and positive.
    pub fn new(
        every_iters: Option<u64>,
        every_secs: Option<f64>,
        start: Instant,
    ) -> Result<Self, CheckpointConfigError> {
        if every_iters == Some(0) {
            return Err(CheckpointConfigError::ZeroIterations);
        }
        if let Some(s) = every_secs
            && !(s.is_finite() && s > 0.0)
        {
            return Err(CheckpointConfigError::BadSeconds(s));
        }
        Ok(Self {
            every_iters,
            every_secs,
            last_iter: 0,
            last_time: start,
        })
    }

    /// The iteration interval.
    pub fn every_iters(&self) -> Option<u64> {
        self.every_iters
    }

    /// The time interval in seconds.
    pub fn every_secs(&self) -> Option<f64> {
        self.every_secs
    }

    /// Whether a checkpoint is due after `iteration` at time `now`: at least
    /// `every_iters` iterations or `every_secs` seconds since the last write.
    pub fn is_due(&self, iteration: u64, now: Instant) -> bool {
        let by_iters = self
            .every_iters
            .is_some_and(|n| iteration.saturating_sub(self.last_iter) >= n);
        let by_time = self
            .every_secs
            .is_some_and(|t| now.saturating_duration_since(self.last_time).as_secs_f64() >= t);
        by_iters || by_time
    }

    /// Records that a checkpoint was written after `iteration` at `now`.
    pub fn mark_written(&mut self, iteration: u64, now: Instant) {
        self.last_iter = iteration;
        self.last_time = now;
    }

    /// If a checkpoint is due, builds the result (only then: `build` may be costly,
    /// e.g. evaluating the network on the grid), writes it atomically to `path` and
    /// marks it written. Returns whether a checkpoint was written.
    ///
    /// # Errors
    /// Those of [`write_atomic`]; the schedule is then left unchanged, so the next call
    /// tries again.
    pub fn maybe_write(
        &mut self,
        path: &Path,
        iteration: u64,
        now: Instant,
        build: impl FnOnce() -> RunResult,
    ) -> Result<bool, OutputError> {
        if !self.is_due(iteration, now) {
            return Ok(false);
        }
        write_atomic(path, &build())?;
        self.mark_written(iteration, now);
        Ok(true)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn rejects_bad_intervals() {
        let t = Instant::now();
        assert_eq!(
            Checkpointer::new(Some(0), None, t).unwrap_err(),
            CheckpointConfigError::ZeroIterations
        );
        for s in [0.0, -1.0, f64::NAN, f64::INFINITY] {
            assert!(matches!(
                Checkpointer::new(None, Some(s), t),
                Err(CheckpointConfigError::BadSeconds(_))
            ));
        }
    }

    #[test]
    fn never_due_without_intervals() {
        let t = Instant::now();
        let c = Checkpointer::new(None, None, t).unwrap();
        assert!(!c.is_due(1_000_000, t + Duration::from_secs(86_400)));
    }

    #[test]
    fn every_n_iterations_counts_from_last_write() {
        let t = Instant::now();
        let mut c = Checkpointer::new(Some(10), None, t).unwrap();
        let due: Vec<u64> = (1..=35)
            .filter(|&k| {
                let d = c.is_due(k, t);
                if d {
                    c.mark_written(k, t);
                }
                d
            })
            .collect();
        assert_eq!(due, [10, 20, 30]);
        // A late write (iteration 37) restarts the count there.
        c.mark_written(37, t);
        assert!(!c.is_due(46, t));
        assert!(c.is_due(47, t));
    }

    #[test]
    fn every_t_seconds_and_whichever_comes_first() {
        let t0 = Instant::now();
        let s = |x: f64| t0 + Duration::from_secs_f64(x);
        let mut c = Checkpointer::new(None, Some(2.5), t0).unwrap();
        assert!(!c.is_due(1, s(2.4)));
        assert!(c.is_due(1, s(2.5)));
        c.mark_written(1, s(2.6));
        assert!(!c.is_due(2, s(5.0)));
        assert!(c.is_due(2, s(5.1)));

        let c = Checkpointer::new(Some(100), Some(1.0), t0).unwrap();
        assert!(c.is_due(3, s(1.0)), "time first");
        assert!(c.is_due(100, s(0.1)), "iterations first");
        assert!(!c.is_due(99, s(0.9)));
    }
}
