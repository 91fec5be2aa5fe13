//! The one solve loop (after optimistix's `iterative_solve` and Ceres's
//! `TrustRegionMinimizer::Minimize`). Per iteration: stop tests at the iterate →
//! (method switch, resample) → linearise if the iterate is new → the step control
//! runs its trials (compute step → evaluate → judge) → the loop applies the verdict
//! (accept or reject) → record → observer. Every iteration — accepted, rejected or
//! invalid — is one [`IterationRecord`]. No descent or control is named here: a
//! method's parts come from [`crate::presets`], and the loop talks to them through the
//! [`Descent`] and [`StepControl`] traits only.
//!
//! The loop is exposed step-wise ([`Solver::init`], [`Solver::step`],
//! [`Solver::terminated`]) so that an argmin adapter can delegate each `next_iter`, a
//! CLI can draw progress and checkpoint from the observer, and [`solve`] is just the
//! loop around `step`. [`Solver::save`] and [`Solver::resume`] turn the whole state
//! into one serialisable [`SolverState`] and back, so that `k` iterations, a save, a
//! resume and `n − k` more give the bits of `n` uninterrupted iterations.
//!
//! # Invariants
//! - The iterate (θ, r, L) only changes when the loop applies an acceptance, after the
//!   trial residuals were checked finite; a control cannot write it.
//! - Losses are compared only on one residual set: [`LeastSquares::resample`] is called
//!   at the start of an iteration, and if the set changed, `r` and `L` are re-evaluated
//!   at θ before any trial.

use crate::config::{ConfigError, LinearSolverKind, Method, SolverConfig};
use crate::control::{Candidate, Decision, StepControl, Verdict};
use crate::descent::{Descent, Linearization, Meter};
use crate::linalg::{self, LinearSolveError};
use crate::presets::{self, Pairing};
use crate::problem::{LeastSquares, half_squared_norm};
use crate::record::{IterationRecord, SolveSummary, StepOutcome, TimeSplit};
use crate::state::{Budget, Iterate, Ledger, PhaseState, SolverState, StateError};
use crate::termination::TerminationReason;
use crate::trial::{LoopTrials, Workspace, move_along, norm_inf, norm2};
use faer::linalg::matmul::matmul;
use faer::{Accum, MatMut, MatRef, Par};
use std::ops::ControlFlow;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Instant;

pub use crate::trial::{actual_reduction, predicted_reduction};

/// Per-iteration observer: sees the record and θ after the iteration; returning
/// `ControlFlow::Break(())` stops the solve with [`TerminationReason::UserStop`].
pub type Observer<'o> = Box<dyn FnMut(&IterationRecord, &[f64]) -> ControlFlow<()> + 'o>;

/// Below this many multiply-adds in `JᵀJ` (`N·P²`) the dense linear algebra of an
/// iteration runs on the calling thread: at `N = 900`, `P = 129` (1.5e7) faer's
/// parallel `JᵀJ` and Cholesky took longer on two threads than on one (the LM
/// "matrix" time 0.5–0.66 ms against 0.31 ms), the cost of handing blocks of a 129 × 129
/// product to the pool exceeding the work saved.
pub const SEQUENTIAL_DENSE_WORK: usize = 1 << 25;

/// The `Par` of the dense linear algebra for an `n × p` problem on `threads` threads
/// (0 = all): sequential for one thread or below [`SEQUENTIAL_DENSE_WORK`]. Every
/// parallel product and factorisation the solvers use rounds the same on any number of
/// threads, so this choice never changes a bit of the iterates.
pub fn dense_par(threads: usize, n: usize, p: usize) -> Par {
    let work = n.saturating_mul(p).saturating_mul(p);
    if threads == 1 || work < SEQUENTIAL_DENSE_WORK {
        Par::Seq
    } else {
        Par::rayon(threads)
    }
}

/// The step-wise solver: `init` (or `resume`), then `step` until `terminated()`.
pub struct Solver<'o> {
    config: SolverConfig,
    par: Par,
    n: usize,
    p: usize,
    ws: Workspace,
    method: Method,
    switched: bool,
    descent: Box<dyn Descent + Send>,
    control: Box<dyn StepControl + Send>,
    linear_solver: Option<(LinearSolverKind, LinearSolverKind)>,
    iterate: Iterate,
    ledger: Ledger,
    budget: Budget,
    start: Instant,
    stop: Arc<AtomicBool>,
    observer: Option<Observer<'o>>,
}

impl<'o> Solver<'o> {
    /// Validates the configuration and the problem's sizes, builds the running
    /// method's parts and allocates every buffer, all at θ; evaluates nothing.
    fn assemble(
        problem: &dyn LeastSquares,
        theta: &[f64],
        config: &SolverConfig,
        switched: bool,
    ) -> Result<Self, ConfigError> {
        config.validate()?;
        let (n, p) = (problem.n_residuals(), problem.n_params());
        assert_eq!(
            theta.len(),
            p,
            "θ has length {} but the problem has {p} parameters",
            theta.len()
        );
        let par = dense_par(config.threads, n, p);
        let method = presets::method_in_phase(config, switched);
        let Pairing {
            descent,
            control,
            linear_solver,
        } = presets::pairing(method, n, p, config, par);
        let with_jac = presets::needs_jacobian(config.method, config)
            || config
                .switch
                .as_ref()
                .is_some_and(|s| presets::needs_jacobian(s.then, config));
        let mut methods = vec![config.method];
        if switched {
            methods.push(method);
        }
        Ok(Self {
            config: config.clone(),
            par,
            n,
            p,
            ws: Workspace::new(n, p, with_jac),
            method,
            switched,
            descent,
            control,
            linear_solver,
            iterate: Iterate {
                theta: theta.to_vec(),
                loss: f64::NAN,
                gradient_norm: f64::NAN,
                initial_gradient_inf: f64::NAN,
                needs_linearization: true,
            },
            ledger: Ledger {
                initial_loss: f64::NAN,
                methods,
                ..Ledger::default()
            },
            budget: Budget {
                max_iterations: config.termination.max_iterations,
                time_limit_seconds: config.termination.time_limit_seconds,
                termination: None,
            },
            start: Instant::now(),
            stop: Arc::new(AtomicBool::new(false)),
            observer: None,
        })
    }

    /// Validates the configuration, allocates every buffer and evaluates `L(θ₀)`.
    ///
    /// # Errors
    /// [`ConfigError`] from [`SolverConfig::validate`].
    pub fn init<P: LeastSquares>(
        problem: &mut P,
        theta0: &[f64],
        config: &SolverConfig,
    ) -> Result<Self, ConfigError> {
        let mut s = Self::assemble(problem, theta0, config, false)?;
        s.ledger.time.residual_jacobian += s.evaluate_residuals(problem);
        s.iterate.loss = half_squared_norm(&s.ws.r);
        s.ledger.initial_loss = s.iterate.loss;
        if !s.iterate.loss.is_finite() || !theta0.iter().all(|v| v.is_finite()) {
            s.finish(TerminationReason::NonFiniteIterate);
        }
        Ok(s)
    }

    /// Continues a solve from a [`SolverState`] written by [`Solver::save`], with
    /// `config`'s budgets (so a resume may extend them) and options. Evaluates `r` at
    /// θ (one residual evaluation, counted) and, when the saved iterate was already
    /// prepared, prepares the descent again without side effects. The stop reason of
    /// the saved solve is cleared: a resume is a request to continue.
    ///
    /// # Errors
    /// An invalid configuration, a state for another problem size or method, or a
    /// part state that does not load.
    pub fn resume<P: LeastSquares>(
        problem: &mut P,
        state: &SolverState,
        config: &SolverConfig,
    ) -> Result<Self, StateError> {
        let (n, p) = (problem.n_residuals(), problem.n_params());
        if (state.n_residuals, state.n_params) != (n, p) || state.iterate.theta.len() != p {
            return Err(StateError::Mismatch(format!(
                "the state is for N = {}, P = {}, the problem has N = {n}, P = {p}",
                state.n_residuals, state.n_params
            )));
        }
        let mut s = Self::assemble(problem, &state.iterate.theta, config, state.phase.switched)
            .map_err(StateError::Config)?;
        if s.method != state.phase.method {
            return Err(StateError::Mismatch(format!(
                "the state runs {:?}, the configuration {:?}",
                state.phase.method, s.method
            )));
        }
        s.descent.load(&state.phase.descent)?;
        s.control.load(&state.phase.control)?;
        s.iterate = state.iterate.clone();
        s.ledger = state.ledger.clone();
        s.ledger.time.residual_jacobian += s.evaluate_residuals(problem);
        if !s.iterate.needs_linearization {
            let mut time = TimeSplit::default();
            if let Err(reason) = s.linearize(problem, &mut time, false) {
                s.finish(reason);
            }
            s.ledger.time.add(&time);
        }
        Ok(s)
    }

    /// The whole state, to continue later with [`Solver::resume`].
    pub fn save(&self) -> SolverState {
        let mut ledger = self.ledger.clone();
        ledger.earlier_seconds += self.start.elapsed().as_secs_f64();
        SolverState {
            n_residuals: self.n,
            n_params: self.p,
            iterate: self.iterate.clone(),
            ledger,
            budget: self.budget.clone(),
            phase: PhaseState {
                method: self.method,
                switched: self.switched,
                descent: self.descent.save(),
                control: self.control.save(),
            },
        }
    }

    /// Before the first step: the descent takes over the curvature memory of `earlier`,
    /// the final state of a solve of a related problem with as many parameters (the
    /// previous time slab of a march), when it keeps such memory and `earlier` ran a
    /// descent of its kind (see [`Descent::adopt_memory`]). Returns whether it did.
    /// A dense quasi-Newton method then starts from the earlier `H` instead of `I`.
    ///
    /// # Errors
    /// A state for another number of parameters, or entries that do not fit.
    pub fn adopt_memory(&mut self, earlier: &SolverState) -> Result<bool, StateError> {
        if earlier.n_params != self.p {
            return Err(StateError::Mismatch(format!(
                "the earlier solve had P = {}, this one P = {}",
                earlier.n_params, self.p
            )));
        }
        self.descent.adopt_memory(&earlier.phase.descent)
    }

    /// Installs the per-iteration observer.
    pub fn set_observer(&mut self, observer: Observer<'o>) {
        self.observer = Some(observer);
    }

    /// A flag that, once set (from any thread), stops the solve at the next iteration
    /// boundary with [`TerminationReason::UserStop`].
    pub fn stop_handle(&self) -> Arc<AtomicBool> {
        Arc::clone(&self.stop)
    }

    /// `Some(reason)` once the solve has stopped.
    pub fn terminated(&self) -> Option<&TerminationReason> {
        self.budget.termination.as_ref()
    }

    /// The current iterate.
    pub fn theta(&self) -> &[f64] {
        &self.iterate.theta
    }

    /// Iterations run so far, earlier sessions of a resumed solve included.
    pub fn iterations(&self) -> usize {
        self.ledger.iteration
    }

    /// The loss at the current iterate (on the current residual set).
    pub fn loss(&self) -> f64 {
        self.iterate.loss
    }

    /// The records of the iterations this solver ran, after those of earlier sessions
    /// when the resumed state carried them.
    pub fn history(&self) -> &[IterationRecord] {
        &self.ledger.history
    }

    fn finish(&mut self, reason: TerminationReason) {
        if self.budget.termination.is_none() {
            self.budget.termination = Some(reason);
        }
    }

    /// `r` at the iterate (at the start, on a resume, on new points), with `∇L` formed in
    /// the same sweep when the descent works from the gradient alone: the linearisation
    /// that follows needs it. Returns the seconds taken.
    fn evaluate_residuals(&mut self, problem: &dyn LeastSquares) -> f64 {
        let t = Instant::now();
        let (theta, ws) = (&self.iterate.theta, &mut self.ws);
        let with_gradient = !self.descent.needs_jacobian();
        if with_gradient {
            problem.residuals_and_gradient(theta, &mut ws.r, &mut ws.grad);
            self.ledger.counts.vjps += 1;
        } else {
            problem.residuals(theta, &mut ws.r);
        }
        self.ledger.counts.residuals += 1;
        ws.grad_ready = with_gradient && ws.r.iter().all(|v| v.is_finite());
        t.elapsed().as_secs_f64()
    }

    /// Assembles what the descent needs at the iterate and prepares it (`fresh`), or,
    /// after a resume, prepares it again without its once-per-iterate side effects
    /// and without the stop tests the first preparation already ran.
    fn linearize(
        &mut self,
        problem: &dyn LeastSquares,
        time: &mut TimeSplit,
        fresh: bool,
    ) -> Result<(), TerminationReason> {
        let ws = &mut self.ws;
        let t = Instant::now();
        let with_jac = self.descent.needs_jacobian();
        if with_jac {
            problem.residuals_and_jacobian(&self.iterate.theta, &mut ws.r, ws.jac.as_mut());
            self.ledger.counts.jacobians += 1;
            time.residual_jacobian += t.elapsed().as_secs_f64();
            if !linalg::all_finite(ws.jac.as_ref()) || !ws.r.iter().all(|v| v.is_finite()) {
                return Err(TerminationReason::NonFiniteIterate);
            }
            let t = Instant::now();
            matmul(
                MatMut::from_column_major_slice_mut(&mut ws.grad, self.p, 1),
                Accum::Replace,
                ws.jac.transpose(),
                MatRef::from_column_major_slice(&ws.r, self.n, 1),
                1.0,
                self.par,
            );
            time.matrix += t.elapsed().as_secs_f64();
            ws.grad_ready = false;
        } else if !ws.grad_ready {
            problem.vjp(&self.iterate.theta, &ws.r, &mut ws.grad);
            self.ledger.counts.vjps += 1;
            time.residual_jacobian += t.elapsed().as_secs_f64();
            ws.grad_ready = true;
        }
        let it = &mut self.iterate;
        it.loss = half_squared_norm(&ws.r);
        it.gradient_norm = norm2(&ws.grad);
        let ginf = norm_inf(&ws.grad);
        if !ginf.is_finite() {
            return Err(TerminationReason::NonFiniteIterate);
        }
        if it.initial_gradient_inf.is_nan() {
            it.initial_gradient_inf = ginf;
        }
        let lin = Linearization {
            theta: &it.theta,
            residuals: &ws.r,
            jacobian: with_jac.then(|| ws.jac.as_ref()),
            gradient: &ws.grad,
            loss: it.loss,
        };
        let meter = Meter {
            time,
            counts: &mut self.ledger.counts,
        };
        let prepared = if fresh {
            self.descent.prepare(problem, &lin, meter)
        } else {
            self.descent.reprepare(problem, &lin, meter)
        };
        match prepared {
            Ok(()) => {}
            Err(LinearSolveError::NonFinite) => return Err(TerminationReason::NonFiniteIterate),
            Err(_) => return Err(TerminationReason::PreparationFailed),
        }
        it.needs_linearization = false;
        if fresh && ginf <= self.config.termination.gradient_tolerance * it.initial_gradient_inf {
            return Err(TerminationReason::GradientTolerance);
        }
        Ok(())
    }

    /// The stop tests at the iterate, before any work of an iteration.
    fn stop_before_iteration(&mut self) -> bool {
        let tc = &self.config.termination;
        let reason = if self.stop.load(Ordering::Relaxed) {
            Some(TerminationReason::UserStop)
        } else if self
            .budget
            .time_limit_seconds
            .is_some_and(|l| self.start.elapsed().as_secs_f64() >= l)
        {
            Some(TerminationReason::TimeLimit)
        } else if self.ledger.iteration >= self.budget.max_iterations {
            Some(TerminationReason::MaxIterations)
        } else if self.iterate.loss <= tc.loss_tolerance {
            Some(TerminationReason::LossTolerance)
        } else {
            None
        };
        let stops = reason.is_some();
        if let Some(r) = reason {
            self.finish(r);
        }
        stops
    }

    /// Switches to the configured second method at its iteration.
    fn switch_method_if_due(&mut self) {
        let Some(sw) = self.config.switch.clone() else {
            return;
        };
        if self.switched || self.ledger.iteration < sw.after_iterations {
            return;
        }
        let pairing = presets::pairing(sw.then, self.n, self.p, &self.config, self.par);
        self.descent = pairing.descent;
        self.control = pairing.control;
        if pairing.linear_solver.is_some() {
            self.linear_solver = pairing.linear_solver;
        }
        self.method = sw.then;
        self.ledger.methods.push(sw.then);
        self.switched = true;
        self.iterate.needs_linearization = true;
    }

    /// Runs one iteration (one trial, or one line search). Returns its record, or
    /// `None` if the solve had already stopped or stops before a trial (a tolerance met
    /// at the iterate, a budget, the user-stop flag, or a failed linearisation).
    pub fn step<P: LeastSquares>(&mut self, problem: &mut P) -> Option<IterationRecord> {
        if self.budget.termination.is_some() || self.stop_before_iteration() {
            return None;
        }
        let t_iter = Instant::now();
        let mut time = TimeSplit::default();
        self.switch_method_if_due();
        // Resampling at an iteration boundary: the loss is re-evaluated on the new set.
        let resampled = problem.resample(self.ledger.iteration, &self.iterate.theta);
        if resampled {
            time.residual_jacobian += self.evaluate_residuals(problem);
            self.iterate.loss = half_squared_norm(&self.ws.r);
            self.iterate.needs_linearization = true;
            self.descent.residual_set_changed();
            if !self.iterate.loss.is_finite() {
                self.finish(TerminationReason::NonFiniteIterate);
                return None;
            }
        }
        if self.descent.linearize_every_iteration() {
            self.iterate.needs_linearization = true;
        }
        if self.iterate.needs_linearization
            && let Err(reason) = self.linearize(problem, &mut time, true)
        {
            self.ledger.time.add(&time);
            self.finish(reason);
            return None;
        }
        let mut record = self.trial(problem, &mut time);
        record.time = time;
        record.resampled = resampled;
        record.iteration_time = t_iter.elapsed().as_secs_f64();
        record.total_time = self.ledger.earlier_seconds + self.start.elapsed().as_secs_f64();
        self.ledger.time.add(&time);
        self.ledger.iteration += 1;
        self.ledger.tally(record.outcome);
        if self.ledger.consecutive_invalid >= self.config.termination.max_consecutive_invalid_steps
        {
            self.finish(TerminationReason::TooManyInvalidSteps);
        }
        if let Some(obs) = self.observer.as_mut()
            && obs(&record, &self.iterate.theta).is_break()
        {
            self.finish(TerminationReason::UserStop);
        }
        self.ledger.history.push(record.clone());
        Some(record)
    }

    /// The control's trials, then the verdict applied.
    fn trial(&mut self, problem: &dyn LeastSquares, time: &mut TimeSplit) -> IterationRecord {
        self.ws.grad_trial_ready = false;
        let fused = !self.descent.needs_jacobian() && self.control.uses_trial_gradients();
        let mut trials = LoopTrials {
            problem,
            descent: self.descent.as_mut(),
            ws: &mut self.ws,
            theta: &self.iterate.theta,
            loss: self.iterate.loss,
            gradient_norm: self.iterate.gradient_norm,
            counts: &mut self.ledger.counts,
            time,
            step_tolerance: self.config.termination.step_tolerance,
            par: self.par,
            fused,
            last: None,
            kept: None,
        };
        let verdict = self.control.run(&mut trials);
        let (last, kept) = (trials.last, trials.kept);
        let outcome = self.apply(&verdict, last, kept);
        let r = verdict.report;
        IterationRecord {
            iteration: self.ledger.iteration,
            method: self.method,
            loss: self.iterate.loss,
            trial_loss: r.trial_loss,
            gradient_norm: self.iterate.gradient_norm,
            step_norm: r.step_norm,
            lambda: r.lambda,
            step_size: r.step_size,
            rho: r.rho,
            inner_iterations: r.inner_iterations,
            outcome,
            resampled: false,
            time: TimeSplit::default(),
            iteration_time: 0.0,
            total_time: 0.0,
        }
    }

    /// Applies a verdict in its documented order: decision, descent restart, the
    /// control's stop, the step test at the new iterate.
    fn apply(
        &mut self,
        verdict: &Verdict,
        last: Option<(f64, f64)>,
        kept: Option<(f64, f64)>,
    ) -> StepOutcome {
        let outcome = match verdict.decision {
            Decision::Accept {
                candidate,
                test_change,
            } => {
                let actual = match candidate {
                    Candidate::Last => last.expect("an accepted last trial was evaluated").1,
                    Candidate::Kept => {
                        let (t, actual) = kept.expect("an accepted kept trial was kept");
                        move_along(
                            &mut self.ws.theta_trial,
                            &self.iterate.theta,
                            t,
                            &self.ws.delta,
                        );
                        std::mem::swap(&mut self.ws.r_trial, &mut self.ws.r_best);
                        self.ws.grad_trial_ready = false;
                        actual
                    }
                };
                self.accept_trial(actual, test_change);
                StepOutcome::Accepted
            }
            Decision::Reject => StepOutcome::Rejected,
            Decision::Invalid(why) => StepOutcome::Invalid(why),
        };
        if verdict.restart_descent {
            if self.descent.restart() {
                self.iterate.needs_linearization = true;
            } else {
                self.finish(TerminationReason::Stalled);
            }
        }
        if let Some(reason) = verdict.stop.clone() {
            self.finish(reason);
        }
        if let Some(step_norm) = verdict.step_test_after {
            let tol = self.config.termination.step_tolerance;
            if step_norm <= tol * (norm2(&self.iterate.theta) + tol) {
                self.finish(TerminationReason::StepTolerance);
            }
        }
        outcome
    }

    /// Makes the trial (`theta_trial`, `r_trial`, and its gradient when one was formed)
    /// the iterate by swapping buffers, and, with `test_change`, stops when the actual
    /// reduction is below the relative loss-change tolerance.
    fn accept_trial(&mut self, actual: f64, test_change: bool) {
        let old = self.iterate.loss;
        std::mem::swap(&mut self.iterate.theta, &mut self.ws.theta_trial);
        std::mem::swap(&mut self.ws.r, &mut self.ws.r_trial);
        self.ws.grad_ready = std::mem::take(&mut self.ws.grad_trial_ready);
        if self.ws.grad_ready {
            std::mem::swap(&mut self.ws.grad, &mut self.ws.grad_trial);
        }
        self.iterate.loss = half_squared_norm(&self.ws.r);
        self.iterate.needs_linearization = true;
        if test_change && actual <= self.config.termination.relative_loss_change_tolerance * old {
            self.finish(TerminationReason::RelativeLossChange);
        }
    }

    /// The summary so far (a solve still running is reported as a user stop).
    pub fn summary(&self) -> SolveSummary {
        let l = &self.ledger;
        SolveSummary {
            termination: self
                .budget
                .termination
                .clone()
                .unwrap_or(TerminationReason::UserStop),
            initial_loss: l.initial_loss,
            final_loss: self.iterate.loss,
            iterations: l.iteration,
            history: l.history.clone(),
            methods: l.methods.clone(),
            linear_solver_given: self.linear_solver.map(|s| s.0),
            linear_solver_used: self.linear_solver.map(|s| s.1),
            n_params: self.p,
            n_residuals: self.n,
            threads: self.config.threads,
            accepted_steps: l.accepted,
            rejected_steps: l.rejected,
            invalid_steps: l.invalid,
            evaluations: l.counts,
            time: l.time,
            total_time: l.earlier_seconds + self.start.elapsed().as_secs_f64(),
        }
    }
}

/// Minimises `½‖r(θ)‖²` from `theta`, writing the result back into `theta`.
///
/// An invalid configuration runs no iteration and returns
/// [`TerminationReason::InvalidConfig`]; use [`Solver`] for the step-wise API, an
/// observer, a stop flag, and saving and resuming.
pub fn solve<P: LeastSquares>(
    problem: &mut P,
    theta: &mut [f64],
    config: &SolverConfig,
) -> SolveSummary {
    match Solver::init(problem, theta, config) {
        Ok(mut s) => {
            while s.step(problem).is_some() || s.terminated().is_none() {}
            theta.copy_from_slice(s.theta());
            s.summary()
        }
        Err(e) => SolveSummary::not_started(
            TerminationReason::InvalidConfig(e.to_string()),
            config,
            problem.n_residuals(),
            problem.n_params(),
        ),
    }
}
