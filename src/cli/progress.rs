//! What `pinn solve` shows while it runs.
//!
//! - On a terminal: a spinner line (iteration, loss, the last measured rel L2, λ or
//!   the step size) redrawn in place, with the time left when a budget bounds the run:
//!   the time limit, or the iteration budget at the current rate, whichever ends first.
//! - Not on a terminal (a log file, a batch job): one plain line to standard output at
//!   the first iteration and then every `--log-every N` iterations, or, without it,
//!   every [`LOG_EVERY_SECONDS`] seconds, so a log shows that the run is alive.
//! - `--verbose`: the solver's fixed-column line for every iteration, with the rel L2
//!   error appended when it was measured at that iteration.
//! - `--quiet`: nothing.

use std::io::IsTerminal;
use std::time::Duration;

use indicatif::{ProgressBar, ProgressStyle};
use pinn_solvers::IterationRecord;

use super::format::{count, duration, sci};

/// Seconds between two plain log lines when standard error is not a terminal and
/// `--log-every` is not given.
pub const LOG_EVERY_SECONDS: f64 = 10.0;

/// How progress is shown; see the module docs.
pub enum Progress {
    /// Nothing.
    Quiet,
    /// A line per iteration.
    Verbose,
    /// The spinner on a terminal.
    Bar {
        /// The spinner.
        bar: ProgressBar,
        /// The budgets, for the time left.
        budget: Budget,
    },
    /// Plain log lines.
    Log {
        /// Every this many iterations, else every [`LOG_EVERY_SECONDS`].
        every: Option<u64>,
        /// Solve time of the last line.
        last: f64,
        /// The budgets, for the time left.
        budget: Budget,
    },
}

/// The run's budgets.
#[derive(Clone, Copy, Debug)]
pub struct Budget {
    /// `termination.max_iterations`.
    pub max_iterations: usize,
    /// `termination.time_limit_seconds`.
    pub time_limit: Option<f64>,
}

impl Budget {
    /// Seconds until the first budget ends, from `elapsed` seconds into the run after
    /// `done` iterations; `None` without a time limit and before the iteration rate is
    /// known. The iteration budget counts only when it ends before the time limit; a
    /// preset's default budget of 100 000 iterations would otherwise dominate.
    pub fn time_left(&self, done: usize, elapsed: f64) -> Option<f64> {
        let by_time = self.time_limit.map(|t| (t - elapsed).max(0.0));
        let by_iters = (done > 0 && elapsed > 0.0)
            .then(|| elapsed / done as f64 * self.max_iterations.saturating_sub(done) as f64);
        match (by_time, by_iters) {
            (Some(t), Some(i)) => Some(t.min(i)),
            (Some(t), None) => Some(t),
            (None, i) if self.max_iterations < 100_000 => i,
            (None, _) => None,
        }
    }
}

impl Progress {
    /// The display for the given flags, chosen by whether standard error (where the
    /// spinner draws) is a terminal.
    pub fn new(quiet: bool, verbose: bool, log_every: Option<u64>, budget: Budget) -> Self {
        if quiet {
            return Self::Quiet;
        }
        if verbose {
            outln!("{}    rel_l2", IterationRecord::log_header());
            return Self::Verbose;
        }
        if std::io::stderr().is_terminal() {
            let bar = ProgressBar::new_spinner();
            bar.set_style(
                ProgressStyle::with_template("{spinner} [{elapsed_precise}] {msg}")
                    .expect("valid template"),
            );
            bar.enable_steady_tick(Duration::from_millis(200));
            return Self::Bar { bar, budget };
        }
        Self::Log {
            every: log_every,
            last: f64::NEG_INFINITY,
            budget,
        }
    }

    /// Shows iteration `rec`; `rel` is the rel L2 error when measured at this
    /// iteration, `last_rel` the last one measured; `tag` prefixes the line (e.g.
    /// `slab 2/4 ` in a time-slab march, else empty).
    pub fn iteration(
        &mut self,
        tag: &str,
        rec: &IterationRecord,
        rel: Option<f64>,
        last_rel: Option<f64>,
    ) {
        match self {
            Self::Quiet => {}
            Self::Verbose => match rel {
                Some(r) => say(&format!("{tag}{}  {r:10.3e}", rec.log_line())),
                None => say(&format!("{tag}{}", rec.log_line())),
            },
            Self::Bar { bar, budget } => {
                if rec.iteration.is_multiple_of(10) || rel.is_some() {
                    bar.set_message(format!("{tag}{}", line(rec, last_rel, budget)));
                }
            }
            Self::Log {
                every,
                last,
                budget,
            } => {
                let due = match every {
                    Some(n) => (rec.iteration as u64).is_multiple_of((*n).max(1)),
                    None => rec.total_time - *last >= LOG_EVERY_SECONDS,
                };
                if due {
                    *last = rec.total_time;
                    say(&format!("{tag}{}", line(rec, last_rel, budget)));
                }
            }
        }
    }

    /// Stage `k ≥ 2` of a multi-stage run has begun: its iterations count its own time
    /// from 0 and `budget` (the stage's own limits) bounds it. The next iteration gets a
    /// line, and the time left is the stage's.
    pub fn new_stage(&mut self, stage_budget: Budget) {
        match self {
            Self::Quiet | Self::Verbose => {}
            Self::Bar { budget, .. } => *budget = stage_budget,
            Self::Log { last, budget, .. } => {
                *last = f64::NEG_INFINITY;
                *budget = stage_budget;
            }
        }
    }

    /// Removes the spinner before the summary is printed.
    pub fn finish(&self) {
        if let Self::Bar { bar, .. } = self {
            bar.finish_and_clear();
        }
    }
}

/// One line to standard output. A closed pipe (`pinn solve … | head`) must not end the
/// run, whose result is still to be written, so a failed write is ignored.
fn say(line: &str) {
    use std::io::Write as _;
    let _ = writeln!(std::io::stdout(), "{line}");
}

/// `iter 1,230  12.3 s  loss 1.23e-8  rel L2 4.56e-5  λ 1.00e-3  1 min 05 s left`.
fn line(rec: &IterationRecord, rel: Option<f64>, budget: &Budget) -> String {
    let mut s = format!(
        "iter {}  {}  loss {}",
        count(rec.iteration as u64),
        duration(rec.total_time),
        sci(rec.loss)
    );
    if let Some(r) = rel {
        s += &format!("  rel L2 {}", sci(r));
    }
    if let Some(l) = rec.lambda {
        s += &format!("  λ {}", sci(l));
    } else if let Some(e) = rec.step_size {
        s += &format!("  step {}", sci(e));
    }
    if let Some(t) = budget.time_left(rec.iteration + 1, rec.total_time) {
        s += &format!("  {} left", duration(t));
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(iteration: usize, total_time: f64) -> IterationRecord {
        IterationRecord {
            iteration,
            method: pinn_solvers::Method::Lbfgs,
            loss: 1.0,
            trial_loss: 1.0,
            gradient_norm: 1.0,
            step_norm: 0.1,
            lambda: None,
            step_size: Some(1.0),
            rho: None,
            inner_iterations: 1,
            outcome: pinn_solvers::record::StepOutcome::Accepted,
            resampled: false,
            time: Default::default(),
            iteration_time: 0.01,
            total_time,
        }
    }

    /// The times at which a plain log prints a line, for records at `times` (stage
    /// boundaries where `restart` is true).
    fn logged(times: &[(f64, bool)]) -> Vec<usize> {
        let budget = Budget {
            max_iterations: 100,
            time_limit: Some(100.0),
        };
        let mut p = Progress::Log {
            every: None,
            last: f64::NEG_INFINITY,
            budget,
        };
        let mut shown = Vec::new();
        for (i, &(t, restart)) in times.iter().enumerate() {
            if restart {
                p.new_stage(budget);
            }
            let before = match &p {
                Progress::Log { last, .. } => *last,
                _ => unreachable!(),
            };
            p.iteration("", &record(i, t), None, None);
            if let Progress::Log { last, .. } = &p
                && last.to_bits() != before.to_bits()
            {
                shown.push(i);
            }
        }
        shown
    }

    /// A later stage's clock starts again at 0: without the restart its lines would
    /// wait until its time passed the last line of the stage before.
    #[test]
    fn a_new_stage_logs_its_first_iteration_and_every_ten_seconds_after() {
        let times = [
            (0.0, false),
            (5.0, false),
            (12.0, false),
            (95.0, false),
            (0.5, true),
            (3.0, false),
            (11.0, false),
            (15.0, false),
        ];
        assert_eq!(logged(&times), vec![0, 2, 3, 4, 6]);
    }

    #[test]
    fn time_left_follows_the_budget_that_ends_first() {
        let timed = Budget {
            max_iterations: 100_000,
            time_limit: Some(60.0),
        };
        assert_eq!(timed.time_left(10, 15.0), Some(45.0));
        assert_eq!(timed.time_left(10, 70.0), Some(0.0));
        let both = Budget {
            max_iterations: 20,
            time_limit: Some(60.0),
        };
        // 10 iterations in 5 s: the other 10 take 5 s, before the time limit.
        assert_eq!(both.time_left(10, 5.0), Some(5.0));
        let iters = Budget {
            max_iterations: 400,
            time_limit: None,
        };
        assert_eq!(iters.time_left(100, 2.0), Some(6.0));
        assert_eq!(iters.time_left(0, 0.0), None);
        let open = Budget {
            max_iterations: 100_000,
            time_limit: None,
        };
        assert_eq!(open.time_left(100, 2.0), None);
    }
}
