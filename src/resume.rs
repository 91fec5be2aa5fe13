//! Continuing a stored run exactly where it stopped.
//!
//! A result file (or checkpoint) holds everything the continuation needs: the solver's
//! whole state (`/state`: iterate, counters, history, budget, the method running and
//! its descent's and step control's memory), the solver settings (`/config/solver`),
//! the collocation points in use (`/collocation`) with their residual-based attention
//! weights (`/collocation_weights`) and the history so far (`/history`).
//! The points are restored into the residual model rather than drawn again: a
//! residual-based draw depends on the iterate it was made at. Later draws are functions
//! of the seed, the iteration and the iterate only, so they repeat as in an
//! uninterrupted run, and `k` stored iterations plus `n` resumed ones give the bits of
//! `k + n` straight ones.
//!
//! A file for another problem is refused here, with what differs: the network
//! (layers, embedding, activation), the output transform, the residual blocks (names
//! and point shapes), the solver method, or a state that does not fit them.

use std::path::{Path, PathBuf};

use faer::Mat;
use pinn_solvers::{SolverConfig, SolverState};

use crate::output::{History, RunResult, StateRecord, read};
use crate::problem::Problem;
use crate::run::{EXTRA_COLUMNS, check_stored_network};

/// A stored run, checked against the problem, ready to continue.
pub struct Continuation {
    /// The file it was read from.
    pub path: PathBuf,
    /// The solver state at the stored iterate.
    pub state: SolverState,
    /// The solver settings the run used.
    pub config: SolverConfig,
    /// The collocation points in use at the stored iterate, per block in order.
    pub collocation: Vec<(String, Mat<f64>)>,
    /// The residual-based attention weights in use at the stored iterate, per weighted
    /// block in order (empty without).
    pub weights: Vec<(String, Vec<f64>)>,
    /// The history so far (one row per stored iteration).
    pub history: History,
    /// The file's `created` stamp.
    pub created: String,
    /// The stored run's identifier, when the file records one.
    pub run_id: Option<String>,
    /// Whether the problem text differs from the one the run was trained with (allowed,
    /// since a comment or a budget may change; the caller may warn).
    pub problem_text_differs: bool,
}

impl Continuation {
    /// Iterations already run.
    pub fn iterations(&self) -> usize {
        self.state.ledger.iteration
    }
}

/// The prefix of a vector's name in [`StateRecord::vectors`]: the iterate's θ, or a
/// vector of the descent's or the step control's state.
const THETA: &str = "iterate.theta";
const DESCENT: &str = "descent.";
const CONTROL: &str = "control.";

/// The state as the result file stores it: TOML text, with θ and the parts' vectors
/// moved out into [`StateRecord::vectors`], and without the solver's per-iteration
/// records (`ledger.history`).
///
/// The records are left out because `/history` already holds one row per iteration,
/// and because their TOML text grows with the run: at 30 000 iterations of a 30-minute
/// SSBroyden run it took 8 s to write, at every checkpoint (every 30 s by default), while
/// the optimiser waited. Nothing of a continued solve depends on them: the solver keeps
/// its counters apart (`ledger.iteration`, the accepted, rejected and invalid counts), so
/// a resumed run takes the same steps, and its new records start where the stored
/// `/history` ends.
pub fn state_record(state: &SolverState) -> Result<StateRecord, String> {
    let mut s = state.clone();
    s.ledger.history = Vec::new();
    let mut vectors = vec![(THETA.to_string(), std::mem::take(&mut s.iterate.theta))];
    for (prefix, part) in [
        (DESCENT, &mut s.phase.descent),
        (CONTROL, &mut s.phase.control),
    ] {
        for (k, v) in std::mem::take(&mut part.vectors) {
            vectors.push((format!("{prefix}{k}"), v));
        }
    }
    let solver =
        toml::to_string(&s).map_err(|e| format!("the solver state cannot be serialised: {e}"))?;
    Ok(StateRecord { solver, vectors })
}

/// The state a [`StateRecord`] holds: the TOML text parsed, the vectors put back.
///
/// # Errors
/// Text that is not a solver state, or a vector name of no known part.
pub fn solver_state(record: &StateRecord) -> Result<SolverState, String> {
    let mut s: SolverState = toml::from_str(&record.solver)
        .map_err(|e| format!("/state/solver is not a solver state: {e}"))?;
    for (name, v) in &record.vectors {
        if name == THETA {
            s.iterate.theta = v.clone();
        } else if let Some(k) = name.strip_prefix(DESCENT) {
            s.phase.descent.vectors.insert(k.to_string(), v.clone());
        } else if let Some(k) = name.strip_prefix(CONTROL) {
            s.phase.control.vectors.insert(k.to_string(), v.clone());
        } else {
            return Err(format!(
                "/state/{name}: not a vector of the iterate, the descent or the step control"
            ));
        }
    }
    Ok(s)
}

/// Reads `path` and checks that it continues `problem` solved by `wanted`'s method.
///
/// # Errors
/// A message naming the file: unreadable, no solver state (an older file), or a run of
/// another problem or method.
pub fn load(path: &Path, problem: &Problem, wanted: &SolverConfig) -> Result<Continuation, String> {
    let at = |e: String| format!("{}: cannot resume: {e}", path.display());
    let r = read(path).map_err(|e| format!("cannot resume: {e}"))?;
    let Some(record) = &r.state else {
        return Err(at(
            "the file holds no solver state (it was written by an older pinn); \
             start a new run from its parameters with --init instead"
                .to_string(),
        ));
    };
    check_problem(&r, problem).map_err(at)?;
    let config: SolverConfig = toml::from_str(&r.config_solver)
        .map_err(|e| at(format!("/config/solver is not a solver configuration: {e}")))?;
    if (config.method, &config.switch) != (wanted.method, &wanted.switch) {
        return Err(at(format!(
            "the run was solved with {}, this problem (or --solver) asks for {}; \
             resume with the run's method, or start a new run from its parameters with --init",
            describe_method(&config),
            describe_method(wanted)
        )));
    }
    let state = solver_state(record).map_err(at)?;
    check_state(&state, &r, problem).map_err(at)?;
    let history = fit_history(r.history, problem.exact.is_some()).map_err(at)?;
    Ok(Continuation {
        path: path.to_path_buf(),
        state,
        config,
        problem_text_differs: r.config_problem != problem.text,
        collocation: r.collocation,
        weights: r.collocation_weights,
        history,
        created: r.created,
        run_id: r.provenance.map(|p| p.run_id),
    })
}

/// The stored history with the columns this run records: the standard ones, `rel_l2`
/// exactly when the problem has an exact solution (NaN for the stored rows when the run
/// had none: it was not measured), then [`EXTRA_COLUMNS`].
///
/// # Errors
/// Other extra columns (a history written by another version).
fn fit_history(h: History, with_rel_l2: bool) -> Result<History, String> {
    let extras: Vec<&str> = h
        .columns()
        .map(|(n, _)| n)
        .filter(|n| !History::STANDARD.contains(n) && *n != History::REL_L2)
        .collect();
    if extras != EXTRA_COLUMNS {
        return Err(format!(
            "/history has the extra columns [{}], this version records [{}]",
            extras.join(", "),
            EXTRA_COLUMNS.join(", ")
        ));
    }
    let k = h.len();
    let mut cols: Vec<(String, Vec<f64>)> = h
        .columns()
        .filter(|(n, _)| *n != History::REL_L2)
        .map(|(n, c)| (n.to_string(), c.to_vec()))
        .collect();
    if with_rel_l2 {
        let rel = h
            .column(History::REL_L2)
            .map_or_else(|| vec![f64::NAN; k], <[f64]>::to_vec);
        cols.push((History::REL_L2.to_string(), rel));
    }
    History::from_columns(cols).map_err(|e| format!("/history: {e}"))
}

/// `Lm`, or `Adam, then Lbfgs after 1000 iterations`.
fn describe_method(c: &SolverConfig) -> String {
    match &c.switch {
        None => format!("{:?}", c.method),
        Some(s) => format!(
            "{:?}, then {:?} after {} iterations",
            c.method, s.then, s.after_iterations
        ),
    }
}

/// The network, transform and blocks of the stored run are the problem's.
fn check_problem(r: &RunResult, problem: &Problem) -> Result<(), String> {
    check_stored_network(
        &problem.mlp,
        &r.layers,
        r.embedding.as_ref(),
        r.params.len(),
    )?;
    let activation = format!("{:?}", problem.mlp.activation()).to_lowercase();
    if r.activation != activation {
        return Err(format!(
            "the stored network uses the activation {}, the problem's {activation}",
            r.activation
        ));
    }
    let transform = problem.transform.sources();
    if r.transform != transform {
        return Err(format!(
            "the run was trained with the output transform [{}], this problem has [{}]",
            r.transform.join(", "),
            transform.join(", ")
        ));
    }
    let stored: Vec<String> = r
        .collocation
        .iter()
        .map(|(n, m)| format!("{n} ({} × {})", m.nrows(), m.ncols()))
        .collect();
    let mine: Vec<String> = problem
        .blocks
        .iter()
        .map(|b| format!("{} ({} × {})", b.name(), b.n_points(), b.dim()))
        .collect();
    if stored != mine {
        return Err(format!(
            "the run's residual blocks are [{}], this problem's [{}]",
            stored.join(", "),
            mine.join(", ")
        ));
    }
    Ok(())
}

/// The state fits the stored file and the problem: its θ is `/model/params`, its
/// sizes the problem's, its iteration count the history's length.
fn check_state(s: &SolverState, r: &RunResult, problem: &Problem) -> Result<(), String> {
    let n: usize = problem.blocks.iter().map(|b| b.n_rows()).sum();
    let p = problem.mlp.n_params();
    if (s.n_residuals, s.n_params) != (n, p) {
        return Err(format!(
            "the solver state is for {} residuals and {} parameters, the problem has {n} and {p}",
            s.n_residuals, s.n_params
        ));
    }
    let same_bits = s.iterate.theta.len() == r.params.len()
        && s.iterate
            .theta
            .iter()
            .zip(&r.params)
            .all(|(a, b)| a.to_bits() == b.to_bits());
    if !same_bits {
        return Err("the solver state's parameters are not /model/params".to_string());
    }
    // Files written before the records were left out hold one per row.
    let records_fit = s.ledger.history.is_empty() || s.ledger.history.len() == r.history.len();
    if s.ledger.iteration != r.history.len() || !records_fit {
        return Err(format!(
            "the solver state has run {} iterations, /history has {} rows",
            s.ledger.iteration,
            r.history.len()
        ));
    }
    Ok(())
}

/// The thread count the run stored in `path` was solved with (`threads` of its
/// `/config/solver`, 0 meaning one per core); `None` when the file cannot be read or
/// holds no solver configuration, which [`load`] then reports. `pinn solve --resume`
/// needs it before the problem file is read, so that the memory estimate made while
/// reading counts the threads the resumed run will have.
pub fn stored_threads(path: &Path) -> Option<usize> {
    let text = crate::output::read_stored_solver_config(path).ok()?;
    toml::from_str::<SolverConfig>(&text)
        .ok()
        .map(|c| c.threads)
}

/// The settings of the continued run: the stored ones, with this session's budget.
/// `max_iters` is the number of further iterations (`None`: the stored run's own total,
/// so that an interrupted run finishes what it was asked to do); `time_limit` limits
/// this session's seconds (`None`: the stored limit, which applied per session);
/// `threads` replaces the stored thread count when given.
pub fn resumed_config(
    c: &Continuation,
    max_iters: Option<usize>,
    time_limit: Option<f64>,
    threads: Option<usize>,
) -> SolverConfig {
    let mut config = c.config.clone();
    config.termination.max_iterations = match max_iters {
        Some(n) => c.iterations().saturating_add(n),
        None => c.state.budget.max_iterations,
    };
    config.termination.time_limit_seconds = time_limit.or(c.state.budget.time_limit_seconds);
    if let Some(t) = threads {
        config.threads = t;
    }
    config
}

#[cfg(test)]
mod tests {
    use super::*;
    use pinn_solvers::state::{Budget, Iterate, Ledger, PartState, PhaseState};

    fn state() -> SolverState {
        SolverState {
            n_residuals: 4,
            n_params: 3,
            iterate: Iterate {
                theta: vec![1.0, -0.0, 5e-324],
                loss: 0.25,
                gradient_norm: f64::NAN,
                initial_gradient_inf: 2.0,
                needs_linearization: false,
            },
            ledger: Ledger::default(),
            budget: Budget {
                max_iterations: 10,
                time_limit_seconds: Some(3.5),
                termination: None,
            },
            phase: PhaseState {
                method: pinn_solvers::Method::Lbfgs,
                switched: false,
                descent: PartState::new("two_loop")
                    .with_vector("s", &[0.1, 0.123456789, f64::MAX])
                    .with_count("len", 1),
                control: PartState::new("wolfe")
                    .with_scalar("step", 0.5)
                    .with_vector("g", &[3.0]),
            },
        }
    }

    #[test]
    fn a_state_record_round_trips_bit_for_bit_with_the_vectors_apart() {
        let s = state();
        let rec = state_record(&s).unwrap();
        let names: Vec<&str> = rec.vectors.iter().map(|(n, _)| n.as_str()).collect();
        assert_eq!(names, ["iterate.theta", "descent.s", "control.g"]);
        assert!(
            !rec.solver.contains("0.123456789"),
            "vectors are not in the text"
        );
        let back = solver_state(&rec).unwrap();
        // NaN ≠ NaN: compare the debug form, which prints every bit that matters.
        assert_eq!(format!("{back:?}"), format!("{s:?}"));
        assert_eq!(back.iterate.theta[1].to_bits(), (-0.0f64).to_bits());
    }

    #[test]
    fn a_resume_budget_counts_further_iterations_and_this_sessions_seconds() {
        let mut s = state();
        s.ledger.iteration = 7;
        let mut config = SolverConfig::lm();
        config.threads = 1;
        let c = Continuation {
            path: PathBuf::from("run.h5"),
            state: s,
            config,
            collocation: Vec::new(),
            weights: Vec::new(),
            history: History::new(false, &[]),
            created: String::new(),
            run_id: None,
            problem_text_differs: false,
        };
        let stored = resumed_config(&c, None, None, None);
        assert_eq!(stored.termination.max_iterations, 10, "the run's own total");
        assert_eq!(stored.termination.time_limit_seconds, Some(3.5));
        assert_eq!(stored.threads, 1);
        let more = resumed_config(&c, Some(5), Some(2.0), Some(4));
        assert_eq!(more.termination.max_iterations, 12, "5 beyond the stored 7");
        assert_eq!(more.termination.time_limit_seconds, Some(2.0));
        assert_eq!(more.threads, 4);
        assert_eq!(more.method, c.config.method);
    }

    #[test]
    fn a_stored_history_gets_the_columns_of_the_continued_run() {
        let mut h = History::new(true, &EXTRA_COLUMNS);
        let row = crate::output::HistoryRow {
            iteration: 0,
            loss: 2.0,
            rel_l2: Some(0.5),
            grad_norm: 1.0,
            step_norm: 1.0,
            damping: 1e-3,
            step_size: f64::NAN,
            rho: 0.9,
            accepted: true,
            wall_time_s: 0.1,
        };
        h.push(&row, &[0.0, 1.5]);
        let same = fit_history(h.clone(), true).unwrap();
        assert_eq!(same.column("rel_l2"), Some(&[0.5][..]));
        let names: Vec<&str> = same.columns().map(|(n, _)| n).collect();
        let want: Vec<&str> = h.columns().map(|(n, _)| n).collect();
        assert_eq!(names, want, "the column order a run writes");
        assert!(!fit_history(h.clone(), false).unwrap().has_rel_l2());
        let without = fit_history(fit_history(h, false).unwrap(), true).unwrap();
        assert!(without.column("rel_l2").unwrap()[0].is_nan());
        let other = History::new(false, &["cg_iterations"]);
        assert!(
            fit_history(other, false)
                .unwrap_err()
                .contains("cg_iterations")
        );
    }

    #[test]
    fn a_state_record_leaves_the_per_iteration_records_to_the_history() {
        let mut s = state();
        s.ledger.iteration = 2;
        s.ledger.history = vec![
            pinn_solvers::IterationRecord {
                iteration: 0,
                method: pinn_solvers::Method::Lbfgs,
                loss: 0.5,
                trial_loss: 0.25,
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
                total_time: 0.01,
            };
            2
        ];
        let rec = state_record(&s).unwrap();
        assert!(!rec.solver.contains("trial_loss"), "no record in the text");
        let back = solver_state(&rec).unwrap();
        assert!(back.ledger.history.is_empty());
        assert_eq!(back.ledger.iteration, 2, "the counters stay");
        s.ledger.history.clear();
        assert_eq!(format!("{back:?}"), format!("{s:?}"));
    }

    #[test]
    fn a_malformed_state_record_is_an_error() {
        let mut rec = state_record(&state()).unwrap();
        rec.vectors.push(("mystery.x".into(), vec![1.0]));
        assert!(solver_state(&rec).unwrap_err().contains("/state/mystery.x"));
        let bad = StateRecord {
            solver: "n_params = 3".into(),
            vectors: vec![],
        };
        assert!(
            solver_state(&bad)
                .unwrap_err()
                .contains("not a solver state")
        );
    }
}
