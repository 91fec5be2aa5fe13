//! The one solve loop (STYLE.md L1; optimistix `iterative_solve`, Ceres
//! `TrustRegionMinimizer::Minimize`). A method is a descent (direction for a scalar)
//! plus a step control (reduction-ratio damping, or a line search). Every trial —
//! accepted, rejected or invalid — is one iteration and one [`IterationRecord`].
//!
//! The loop is exposed step-wise ([`Solver::init`], [`Solver::step`],
//! [`Solver::terminated`]) so that an argmin adapter can delegate each `next_iter`, a
//! CLI can draw progress and checkpoint from the observer, and [`solve`] is just the
//! loop around `step`.
//!
//! # Invariants
//! - The iterate (θ, r, L) only changes on an accepted trial, and only after the trial
//!   residuals were checked finite; the step buffer is filled with NaN before every
//!   solve so a silently failing solver cannot leak stale values (Ceres
//!   `InvalidateArray`).
//! - Losses are compared only on one residual set: [`LeastSquares::resample`] is called
//!   at the start of an iteration, and if the set changed, `r` and `L` are re-evaluated
//!   at θ before any trial.
//! - ρ is formed from the predicted reduction `−(Jδ)ᵀ(r + Jδ/2)` (Ceres
//!   `ComputeTrustRegionStep`) and the actual reduction `½Σ(rᵢ − rᵢ⁺)(rᵢ + rᵢ⁺)`, both
//!   free of the cancellation in `L − L⁺`; the accept test is multiplicative
//!   (`actual > η·predicted` with `predicted > 0`), ρ itself is only logged.

use crate::config::{LinearSolverKind, Method, SolverConfig};
use crate::control::damping_rule::{AnyDampingRule, DampingRule};
use crate::descent::adam::Adam;
use crate::descent::two_loop::TwoLoop;
use crate::descent::{
    DampedGaussNewton, Descent, GramianDescent, Linearization, Meter, TruncatedCg,
};
use crate::linalg::{self, LinearSolveError};
use crate::problem::{LeastSquares, half_squared_norm};
use crate::quasi_newton::{MoreThuente, Next, StrongWolfeParams};
use crate::record::{
    EvaluationCounts, InvalidReason, IterationRecord, SolveSummary, StepOutcome, TimeSplit,
};
use crate::termination::TerminationReason;
use faer::linalg::matmul::matmul;
use faer::{Accum, Mat, MatMut, MatRef, Par};
use std::ops::ControlFlow;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Instant;

/// The descent of the running method.
enum AnyDescent {
    GaussNewton(DampedGaussNewton),
    Cg(TruncatedCg),
    Gramian(GramianDescent),
    Adam(Adam),
    Lbfgs(TwoLoop),
}

impl AnyDescent {
    fn needs_jacobian(&self) -> bool {
        match self {
            Self::GaussNewton(d) => d.needs_jacobian(),
            Self::Cg(d) => d.needs_jacobian(),
            Self::Gramian(d) => d.needs_jacobian(),
            Self::Adam(d) => d.needs_jacobian(),
            Self::Lbfgs(d) => d.needs_jacobian(),
        }
    }
    fn prepare<P: LeastSquares>(
        &mut self,
        p: &P,
        lin: &Linearization<'_>,
        m: Meter<'_>,
    ) -> Result<(), LinearSolveError> {
        match self {
            Self::GaussNewton(d) => d.prepare(p, lin, m),
            Self::Cg(d) => d.prepare(p, lin, m),
            Self::Gramian(d) => d.prepare(p, lin, m),
            Self::Adam(d) => d.prepare(p, lin, m),
            Self::Lbfgs(d) => d.prepare(p, lin, m),
        }
    }
    fn step<P: LeastSquares>(
        &mut self,
        p: &P,
        lin: &Linearization<'_>,
        s: f64,
        out: &mut [f64],
        m: Meter<'_>,
    ) -> Result<usize, LinearSolveError> {
        match self {
            Self::GaussNewton(d) => d.step(p, lin, s, out, m),
            Self::Cg(d) => d.step(p, lin, s, out, m),
            Self::Gramian(d) => d.step(p, lin, s, out, m),
            Self::Adam(d) => d.step(p, lin, s, out, m),
            Self::Lbfgs(d) => d.step(p, lin, s, out, m),
        }
    }
}

/// The step control of the running method.
enum Control {
    /// Reduction-ratio damping (LM, GN-CG).
    Damping {
        rule: AnyDampingRule,
        acceptance: f64,
        /// `lm.polish_threshold` (0 for GN-CG).
        polish: f64,
    },
    /// Log-grid line search keeping the best loss (ENGD).
    Grid {
        steps: usize,
        base: f64,
        take_argmin_without_decrease: bool,
    },
    /// Take every valid step (Adam).
    Always,
    /// Moré–Thuente strong Wolfe line search (L-BFGS), driven by reverse communication
    /// so that each trial is evaluated (and timed) by the loop.
    Wolfe(MoreThuente),
}

struct Phase {
    method: Method,
    descent: AnyDescent,
    control: Control,
}

fn build_phase(
    method: Method,
    n: usize,
    p: usize,
    c: &SolverConfig,
    par: Par,
) -> (Phase, Option<(LinearSolverKind, LinearSolverKind)>) {
    match method {
        Method::Lm => {
            let used = linalg::select(c.lm.linear_solver, n, p, c.lm.scaling);
            let solver = linalg::build(used, n, p, par);
            (
                Phase {
                    method,
                    descent: AnyDescent::GaussNewton(DampedGaussNewton::new(
                        solver,
                        c.lm.scaling,
                        p,
                    )),
                    control: Control::Damping {
                        rule: AnyDampingRule::from_config(&c.lm.damping),
                        acceptance: c.lm.damping.acceptance,
                        polish: c.lm.polish_threshold,
                    },
                },
                Some((c.lm.linear_solver, used)),
            )
        }
        Method::GnCg => (
            Phase {
                method,
                descent: AnyDescent::Cg(TruncatedCg::new(n, p, &c.gncg, par)),
                control: Control::Damping {
                    rule: AnyDampingRule::from_config(&c.gncg.damping),
                    acceptance: c.gncg.damping.acceptance,
                    polish: 0.0,
                },
            },
            None,
        ),
        Method::Engd => (
            Phase {
                method,
                descent: AnyDescent::Gramian(GramianDescent::new(
                    n,
                    p,
                    c.engd.solve,
                    c.engd.sample_space_when_wide,
                    par,
                )),
                control: Control::Grid {
                    steps: c.engd.grid_steps,
                    base: c.engd.grid_base,
                    take_argmin_without_decrease: c.engd.take_argmin_without_decrease,
                },
            },
            None,
        ),
        Method::Lbfgs => (
            Phase {
                method,
                descent: AnyDescent::Lbfgs(TwoLoop::new(p, c.lbfgs.memory)),
                control: Control::Wolfe(
                    MoreThuente::new(StrongWolfeParams {
                        c1: c.lbfgs.c1,
                        c2: c.lbfgs.c2,
                        max_evaluations: c.lbfgs.max_line_search_evaluations,
                        ..StrongWolfeParams::default()
                    })
                    .expect("validated by SolverConfig::validate"),
                ),
            },
            None,
        ),
        Method::Adam => (
            Phase {
                method,
                descent: AnyDescent::Adam(Adam::new(p, &c.adam)),
                control: Control::Always,
            },
            None,
        ),
    }
}

/// Per-iteration observer: sees the record and θ after the iteration; returning
/// `ControlFlow::Break(())` stops the solve with [`TerminationReason::UserStop`].
pub type Observer<'o> = Box<dyn FnMut(&IterationRecord, &[f64]) -> ControlFlow<()> + 'o>;

/// Buffers allocated once (Ceres `TrustRegionMinimizer::Init`, STYLE.md L8).
struct Workspace {
    theta: Vec<f64>,
    theta_trial: Vec<f64>,
    r: Vec<f64>,
    r_trial: Vec<f64>,
    r_best: Vec<f64>,
    jac: Mat<f64>,
    grad: Vec<f64>,
    delta: Vec<f64>,
    jdelta: Vec<f64>,
    grad_trial: Vec<f64>,
}

/// The step-wise solver: `init`, then `step` until `terminated()`.
pub struct Solver<'o> {
    config: SolverConfig,
    par: Par,
    n: usize,
    p: usize,
    ws: Workspace,
    phase: Phase,
    switched: bool,
    loss: f64,
    initial_loss: f64,
    grad_norm: f64,
    grad0_inf: f64,
    needs_linearization: bool,
    iteration: usize,
    start: Instant,
    termination: Option<TerminationReason>,
    history: Vec<IterationRecord>,
    counts: EvaluationCounts,
    time: TimeSplit,
    accepted: usize,
    rejected: usize,
    invalid: usize,
    consecutive_invalid: usize,
    methods: Vec<Method>,
    linear_solver: Option<(LinearSolverKind, LinearSolverKind)>,
    stop: Arc<AtomicBool>,
    observer: Option<Observer<'o>>,
}

fn norm2(x: &[f64]) -> f64 {
    faer::ColRef::from_slice(x).norm_l2()
}

fn norm_inf(x: &[f64]) -> f64 {
    x.iter().fold(
        0.0,
        |m: f64, v| if v.is_nan() { f64::NAN } else { m.max(v.abs()) },
    )
}

/// `½ Σ (rᵢ − rᵢ⁺)(rᵢ + rᵢ⁺) = L − L⁺` without subtracting two large sums.
pub fn actual_reduction(r: &[f64], r_new: &[f64]) -> f64 {
    0.5 * r
        .iter()
        .zip(r_new)
        .map(|(a, b)| (a - b) * (a + b))
        .sum::<f64>()
}

/// `−(Jδ)ᵀ(r + Jδ/2) = L − ½‖r + Jδ‖²`, the Gauss–Newton model decrease, without
/// subtracting two sums of squares (Ceres).
pub fn predicted_reduction(r: &[f64], jdelta: &[f64]) -> f64 {
    -r.iter()
        .zip(jdelta)
        .map(|(r, j)| j * (r + 0.5 * j))
        .sum::<f64>()
}

impl<'o> Solver<'o> {
    /// Validates the configuration, allocates every buffer and evaluates `L(θ₀)`.
    ///
    /// # Errors
    /// [`crate::config::ConfigError`] from [`SolverConfig::validate`].
    pub fn init<P: LeastSquares>(
        problem: &mut P,
        theta0: &[f64],
        config: &SolverConfig,
    ) -> Result<Self, crate::config::ConfigError> {
        config.validate()?;
        let (n, p) = (problem.n_residuals(), problem.n_params());
        assert_eq!(
            theta0.len(),
            p,
            "θ₀ has length {} but the problem has {p} parameters",
            theta0.len()
        );
        let par = if config.threads == 1 {
            Par::Seq
        } else {
            Par::rayon(config.threads)
        };
        let (phase, linear_solver) = build_phase(config.method, n, p, config, par);
        let second_needs_jac = config.switch.as_ref().is_some_and(|s| {
            matches!(s.then, Method::Lm | Method::Engd)
                || (s.then == Method::GnCg
                    && config.gncg.jacobian == crate::config::JacobianAccess::Assembled)
        });
        let jac_rows = if phase.descent.needs_jacobian() || second_needs_jac {
            n
        } else {
            0
        };
        let mut s = Self {
            config: config.clone(),
            par,
            n,
            p,
            ws: Workspace {
                theta: theta0.to_vec(),
                theta_trial: vec![0.0; p],
                r: vec![0.0; n],
                r_trial: vec![0.0; n],
                r_best: vec![0.0; n],
                jac: Mat::zeros(jac_rows, if jac_rows > 0 { p } else { 0 }),
                grad: vec![0.0; p],
                delta: vec![0.0; p],
                jdelta: vec![0.0; n],
                grad_trial: vec![0.0; p],
            },
            methods: vec![phase.method],
            phase,
            switched: false,
            loss: f64::NAN,
            initial_loss: f64::NAN,
            grad_norm: f64::NAN,
            grad0_inf: f64::NAN,
            needs_linearization: true,
            iteration: 0,
            start: Instant::now(),
            termination: None,
            history: Vec::new(),
            counts: EvaluationCounts::default(),
            time: TimeSplit::default(),
            accepted: 0,
            rejected: 0,
            invalid: 0,
            consecutive_invalid: 0,
            linear_solver,
            stop: Arc::new(AtomicBool::new(false)),
            observer: None,
        };
        let t = Instant::now();
        problem.residuals(&s.ws.theta, &mut s.ws.r);
        s.counts.residuals += 1;
        s.time.residual_jacobian += t.elapsed().as_secs_f64();
        s.loss = half_squared_norm(&s.ws.r);
        s.initial_loss = s.loss;
        if !s.loss.is_finite() || !theta0.iter().all(|v| v.is_finite()) {
            s.termination = Some(TerminationReason::NonFiniteIterate);
        }
        Ok(s)
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
        self.termination.as_ref()
    }

    /// The current iterate.
    pub fn theta(&self) -> &[f64] {
        &self.ws.theta
    }

    /// The loss at the current iterate (on the current residual set).
    pub fn loss(&self) -> f64 {
        self.loss
    }

    /// Records so far.
    pub fn history(&self) -> &[IterationRecord] {
        &self.history
    }

    /// Makes the trial (`theta_trial`, `r_trial`) the iterate by swapping buffers, and,
    /// with `check_change`, stops when the actual reduction is below the relative
    /// loss-change tolerance. Shared by every method's accept path.
    fn accept_trial(&mut self, actual: f64, check_change: bool) {
        let old = self.loss;
        std::mem::swap(&mut self.ws.theta, &mut self.ws.theta_trial);
        std::mem::swap(&mut self.ws.r, &mut self.ws.r_trial);
        self.loss = half_squared_norm(&self.ws.r);
        self.needs_linearization = true;
        if check_change && actual <= self.config.termination.relative_loss_change_tolerance * old {
            self.finish(TerminationReason::RelativeLossChange);
        }
    }

    fn finish(&mut self, reason: TerminationReason) {
        if self.termination.is_none() {
            self.termination = Some(reason);
        }
    }

    /// Assembles what the descent needs at the accepted iterate and prepares it.
    fn linearize<P: LeastSquares>(
        &mut self,
        problem: &P,
        time: &mut TimeSplit,
    ) -> Result<(), TerminationReason> {
        let ws = &mut self.ws;
        let t = Instant::now();
        let with_jac = self.phase.descent.needs_jacobian();
        if with_jac {
            problem.residuals_and_jacobian(&ws.theta, &mut ws.r, ws.jac.as_mut());
            self.counts.jacobians += 1;
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
        } else {
            problem.vjp(&ws.theta, &ws.r, &mut ws.grad);
            self.counts.vjps += 1;
            time.residual_jacobian += t.elapsed().as_secs_f64();
        }
        self.loss = half_squared_norm(&ws.r);
        self.grad_norm = norm2(&ws.grad);
        let ginf = norm_inf(&ws.grad);
        if !ginf.is_finite() {
            return Err(TerminationReason::NonFiniteIterate);
        }
        if self.grad0_inf.is_nan() {
            self.grad0_inf = ginf;
        }
        let lin = Linearization {
            theta: &ws.theta,
            residuals: &ws.r,
            jacobian: with_jac.then(|| ws.jac.as_ref()),
            gradient: &ws.grad,
            loss: self.loss,
        };
        let meter = Meter {
            time,
            counts: &mut self.counts,
        };
        match self.phase.descent.prepare(problem, &lin, meter) {
            Ok(()) => {}
            Err(LinearSolveError::NonFinite) => return Err(TerminationReason::NonFiniteIterate),
            Err(_) => return Err(TerminationReason::TooManyInvalidSteps),
        }
        self.needs_linearization = false;
        let tc = &self.config.termination;
        if ginf <= tc.gradient_tolerance * self.grad0_inf {
            return Err(TerminationReason::GradientTolerance);
        }
        Ok(())
    }

    /// Runs one iteration (one trial). Returns its record, or `None` if the solve had
    /// already stopped or stops before a trial (a tolerance met at the iterate, a budget,
    /// or the user-stop flag).
    pub fn step<P: LeastSquares>(&mut self, problem: &mut P) -> Option<IterationRecord> {
        if self.termination.is_some() {
            return None;
        }
        let t_iter = Instant::now();
        let tc = self.config.termination.clone();
        if self.stop.load(Ordering::Relaxed) {
            self.finish(TerminationReason::UserStop);
            return None;
        }
        if tc
            .time_limit_seconds
            .is_some_and(|l| self.start.elapsed().as_secs_f64() >= l)
        {
            self.finish(TerminationReason::TimeLimit);
            return None;
        }
        if self.iteration >= tc.max_iterations {
            self.finish(TerminationReason::MaxIterations);
            return None;
        }
        if self.loss <= tc.loss_tolerance {
            self.finish(TerminationReason::LossTolerance);
            return None;
        }
        let mut time = TimeSplit::default();
        // Method switch at an iteration boundary.
        if let Some(sw) = self.config.switch.clone()
            && !self.switched
            && self.iteration >= sw.after_iterations
        {
            let (phase, ls) = build_phase(sw.then, self.n, self.p, &self.config, self.par);
            self.phase = phase;
            if ls.is_some() {
                self.linear_solver = ls;
            }
            self.methods.push(sw.then);
            self.switched = true;
            self.needs_linearization = true;
        }
        // Resampling at an iteration boundary: the loss is re-evaluated on the new set.
        let resampled = problem.resample(self.iteration);
        if resampled {
            let t = Instant::now();
            problem.residuals(&self.ws.theta, &mut self.ws.r);
            self.counts.residuals += 1;
            time.residual_jacobian += t.elapsed().as_secs_f64();
            self.loss = half_squared_norm(&self.ws.r);
            self.needs_linearization = true;
            if let AnyDescent::Lbfgs(d) = &mut self.phase.descent {
                d.reset();
            }
            if !self.loss.is_finite() {
                self.finish(TerminationReason::NonFiniteIterate);
                return None;
            }
        }
        // Adam folds a new gradient into its moments at every iteration.
        if matches!(self.phase.control, Control::Always) {
            self.needs_linearization = true;
        }
        if self.needs_linearization
            && let Err(reason) = self.linearize(problem, &mut time)
        {
            self.time.add(&time);
            self.finish(reason);
            return None;
        }
        let record = match self.phase.control {
            Control::Damping { .. } => self.damped_trial(problem, &mut time),
            Control::Grid {
                steps,
                base,
                take_argmin_without_decrease,
            } => self.grid_trial(
                problem,
                steps,
                base,
                take_argmin_without_decrease,
                &mut time,
            ),
            Control::Always => self.always_trial(problem, &mut time),
            Control::Wolfe(_) => self.wolfe_trial(problem, &mut time),
        };
        let mut record = record;
        record.time = time;
        record.resampled = resampled;
        record.iteration_time = t_iter.elapsed().as_secs_f64();
        record.total_time = self.start.elapsed().as_secs_f64();
        self.time.add(&time);
        self.iteration += 1;
        match record.outcome {
            StepOutcome::Accepted => {
                self.accepted += 1;
                self.consecutive_invalid = 0;
            }
            StepOutcome::Rejected => {
                self.rejected += 1;
                self.consecutive_invalid = 0;
            }
            StepOutcome::Invalid(_) => {
                self.invalid += 1;
                self.consecutive_invalid += 1;
                if self.consecutive_invalid >= tc.max_consecutive_invalid_steps {
                    self.finish(TerminationReason::TooManyInvalidSteps);
                }
            }
        }
        if let Some(obs) = self.observer.as_mut()
            && obs(&record, &self.ws.theta).is_break()
        {
            self.finish(TerminationReason::UserStop);
        }
        self.history.push(record.clone());
        Some(record)
    }

    fn base_record(&self) -> IterationRecord {
        IterationRecord {
            iteration: self.iteration,
            method: self.phase.method,
            loss: self.loss,
            trial_loss: f64::NAN,
            gradient_norm: self.grad_norm,
            step_norm: f64::NAN,
            lambda: None,
            step_size: None,
            rho: None,
            inner_iterations: 0,
            outcome: StepOutcome::Invalid(InvalidReason::NonFiniteStep),
            resampled: false,
            time: TimeSplit::default(),
            iteration_time: 0.0,
            total_time: 0.0,
        }
    }

    /// Computes `δ` for `scale` into `ws.delta` (NaN-filled first) and checks it.
    fn compute_step<P: LeastSquares>(
        &mut self,
        problem: &P,
        scale: f64,
        time: &mut TimeSplit,
    ) -> Result<usize, InvalidReason> {
        let ws = &mut self.ws;
        ws.delta.fill(f64::NAN);
        let with_jac = self.phase.descent.needs_jacobian();
        let lin = Linearization {
            theta: &ws.theta,
            residuals: &ws.r,
            jacobian: with_jac.then(|| ws.jac.as_ref()),
            gradient: &ws.grad,
            loss: self.loss,
        };
        let meter = Meter {
            time,
            counts: &mut self.counts,
        };
        let inner = self
            .phase
            .descent
            .step(problem, &lin, scale, &mut ws.delta, meter)
            .map_err(|_| InvalidReason::LinearSolverFailed)?;
        if ws.delta.iter().all(|v| v.is_finite()) {
            Ok(inner)
        } else {
            Err(InvalidReason::NonFiniteStep)
        }
    }

    /// Evaluates `r(θ + δ)` into `ws.r_trial`; `false` if not finite.
    fn evaluate_trial<P: LeastSquares>(
        &mut self,
        problem: &P,
        eta: f64,
        time: &mut TimeSplit,
    ) -> bool {
        let ws = &mut self.ws;
        for ((t, th), d) in ws.theta_trial.iter_mut().zip(&ws.theta).zip(&ws.delta) {
            *t = th + eta * d;
        }
        let t = Instant::now();
        problem.residuals(&ws.theta_trial, &mut ws.r_trial);
        self.counts.residuals += 1;
        time.residual_jacobian += t.elapsed().as_secs_f64();
        ws.r_trial.iter().all(|v| v.is_finite())
    }

    fn step_is_tiny(&self, step_norm: f64) -> bool {
        let tol = self.config.termination.step_tolerance;
        step_norm <= tol * (norm2(&self.ws.theta) + tol)
    }

    fn damped_trial<P: LeastSquares>(
        &mut self,
        problem: &P,
        time: &mut TimeSplit,
    ) -> IterationRecord {
        let (lambda, acceptance, polish, was_at_max) = match &self.phase.control {
            Control::Damping {
                rule,
                acceptance,
                polish,
            } => (rule.lambda(), *acceptance, *polish, rule.at_max()),
            _ => unreachable!("damped_trial runs only under a damping control"),
        };
        let mut rec = self.base_record();
        rec.lambda = Some(lambda);
        let outcome = self.damped_trial_inner(problem, lambda, acceptance, polish, time, &mut rec);
        let Control::Damping { rule, .. } = &mut self.phase.control else {
            unreachable!()
        };
        match outcome {
            // A polish acceptance (ρ at or below the threshold) leaves λ unchanged
            // (ρ = ½ is the fixed point of both rules) instead of letting a noisy ρ
            // inflate it.
            StepOutcome::Accepted => {
                rule.accepted(rec.rho.filter(|&r| r > acceptance).unwrap_or(0.5))
            }
            StepOutcome::Rejected => rule.rejected(),
            StepOutcome::Invalid(_) => rule.invalid(),
        }
        if outcome != StepOutcome::Accepted && was_at_max {
            self.finish(TerminationReason::Stalled);
        }
        rec.outcome = outcome;
        rec.loss = self.loss;
        rec
    }

    fn damped_trial_inner<P: LeastSquares>(
        &mut self,
        problem: &P,
        lambda: f64,
        acceptance: f64,
        polish: f64,
        time: &mut TimeSplit,
        rec: &mut IterationRecord,
    ) -> StepOutcome {
        match self.compute_step(problem, lambda, time) {
            Ok(inner) => rec.inner_iterations = inner,
            Err(why) => return StepOutcome::Invalid(why),
        }
        let step_norm = norm2(&self.ws.delta);
        rec.step_norm = step_norm;
        // Predicted reduction from Jδ.
        let t = Instant::now();
        if self.phase.descent.needs_jacobian() {
            matmul(
                MatMut::from_column_major_slice_mut(&mut self.ws.jdelta, self.n, 1),
                Accum::Replace,
                self.ws.jac.as_ref(),
                MatRef::from_column_major_slice(&self.ws.delta, self.p, 1),
                1.0,
                self.par,
            );
            time.matrix += t.elapsed().as_secs_f64();
        } else {
            problem.jvp(&self.ws.theta, &self.ws.delta, &mut self.ws.jdelta);
            self.counts.jvps += 1;
            time.residual_jacobian += t.elapsed().as_secs_f64();
        }
        let predicted = predicted_reduction(&self.ws.r, &self.ws.jdelta);
        if predicted.partial_cmp(&0.0) != Some(std::cmp::Ordering::Greater) {
            if self.step_is_tiny(step_norm) {
                self.finish(TerminationReason::StepTolerance);
            }
            return StepOutcome::Invalid(InvalidReason::NonPositivePredictedReduction);
        }
        if !self.evaluate_trial(problem, 1.0, time) {
            return StepOutcome::Invalid(InvalidReason::NonFiniteResiduals);
        }
        let actual = actual_reduction(&self.ws.r, &self.ws.r_trial);
        rec.trial_loss = half_squared_norm(&self.ws.r_trial);
        rec.rho = Some(actual / predicted);
        let tiny = self.step_is_tiny(step_norm);
        let accepted_by_ratio = actual > acceptance * predicted;
        let polished = !accepted_by_ratio && predicted <= polish * self.loss && {
            // Below the loss's noise floor: judge the trial by ‖∇L‖ instead.
            let t = Instant::now();
            problem.vjp(
                &self.ws.theta_trial,
                &self.ws.r_trial,
                &mut self.ws.grad_trial,
            );
            self.counts.vjps += 1;
            time.residual_jacobian += t.elapsed().as_secs_f64();
            norm2(&self.ws.grad_trial) < self.grad_norm
        };
        let outcome = if accepted_by_ratio || polished {
            self.accept_trial(actual, !polished);
            StepOutcome::Accepted
        } else {
            StepOutcome::Rejected
        };
        if tiny {
            self.finish(TerminationReason::StepTolerance);
        }
        outcome
    }

    fn grid_trial<P: LeastSquares>(
        &mut self,
        problem: &P,
        steps: usize,
        base: f64,
        take_argmin_without_decrease: bool,
        time: &mut TimeSplit,
    ) -> IterationRecord {
        let mut rec = self.base_record();
        match self.compute_step(problem, 1.0, time) {
            Ok(_) => {}
            Err(why) => {
                rec.outcome = StepOutcome::Invalid(why);
                return rec;
            }
        }
        let t = Instant::now();
        let mut best: Option<(f64, f64)> = None; // (loss, η)
        let mut eta = 1.0;
        let mut evaluated = 0;
        for _ in 0..=steps {
            evaluated += 1;
            let mut ts = TimeSplit::default();
            if self.evaluate_trial(problem, eta, &mut ts) {
                let l = half_squared_norm(&self.ws.r_trial);
                if best.is_none_or(|(bl, _)| l < bl) {
                    best = Some((l, eta));
                    std::mem::swap(&mut self.ws.r_best, &mut self.ws.r_trial);
                }
            }
            eta /= base;
        }
        time.line_search += t.elapsed().as_secs_f64();
        rec.inner_iterations = evaluated;
        let Some((best_loss, best_eta)) = best else {
            rec.outcome = StepOutcome::Invalid(InvalidReason::NonFiniteResiduals);
            return rec;
        };
        rec.step_size = Some(best_eta);
        rec.trial_loss = best_loss;
        let step_norm = best_eta * norm2(&self.ws.delta);
        rec.step_norm = step_norm;
        let actual = actual_reduction(&self.ws.r, &self.ws.r_best);
        if actual > 0.0 || take_argmin_without_decrease {
            for ((tt, th), d) in self
                .ws
                .theta_trial
                .iter_mut()
                .zip(&self.ws.theta)
                .zip(&self.ws.delta)
            {
                *tt = th + best_eta * d;
            }
            std::mem::swap(&mut self.ws.r_trial, &mut self.ws.r_best);
            // A loss increase is not convergence: the relative-change test only applies
            // to decreases.
            self.accept_trial(actual, actual > 0.0);
            rec.outcome = StepOutcome::Accepted;
        } else {
            // No grid point decreases the loss: on a fixed residual set the next
            // iteration would repeat this one exactly.
            rec.outcome = StepOutcome::Rejected;
            self.finish(TerminationReason::Stalled);
        }
        if self.step_is_tiny(step_norm) {
            self.finish(TerminationReason::StepTolerance);
        }
        rec.loss = self.loss;
        rec
    }

    fn always_trial<P: LeastSquares>(
        &mut self,
        problem: &P,
        time: &mut TimeSplit,
    ) -> IterationRecord {
        let mut rec = self.base_record();
        rec.step_size = Some(1.0);
        match self.compute_step(problem, 1.0, time) {
            Ok(_) => {}
            Err(why) => {
                rec.outcome = StepOutcome::Invalid(why);
                return rec;
            }
        }
        rec.step_norm = norm2(&self.ws.delta);
        if !self.evaluate_trial(problem, 1.0, time) {
            rec.outcome = StepOutcome::Invalid(InvalidReason::NonFiniteResiduals);
            return rec;
        }
        std::mem::swap(&mut self.ws.theta, &mut self.ws.theta_trial);
        std::mem::swap(&mut self.ws.r, &mut self.ws.r_trial);
        self.loss = half_squared_norm(&self.ws.r);
        rec.trial_loss = self.loss;
        rec.loss = self.loss;
        rec.outcome = StepOutcome::Accepted;
        if self.step_is_tiny(rec.step_norm) {
            self.finish(TerminationReason::StepTolerance);
        }
        rec
    }

    /// One strong Wolfe line search along the L-BFGS direction. Every trial is
    /// evaluated here (`φ(α) = L(θ + αd)`, `φ'(α) = ∇L(θ + αd)ᵀd` via one `Jᵀ·w`). A
    /// failed search falls back to the best decreasing point it saw; with no decrease,
    /// the memory is reset (next iteration is steepest descent), and a failure from
    /// steepest descent stops the solve as stalled.
    fn wolfe_trial<P: LeastSquares>(
        &mut self,
        problem: &P,
        time: &mut TimeSplit,
    ) -> IterationRecord {
        let mut rec = self.base_record();
        if let Err(why) = self.compute_step(problem, 1.0, time) {
            rec.outcome = StepOutcome::Invalid(why);
            return rec;
        }
        let t0 = Instant::now();
        let slope: f64 = self
            .ws
            .grad
            .iter()
            .zip(&self.ws.delta)
            .map(|(g, d)| g * d)
            .sum();
        let empty = matches!(&self.phase.descent, AnyDescent::Lbfgs(d) if d.is_empty());
        let alpha0 = if empty {
            (1.0 / norm2(&self.ws.delta)).min(1.0)
        } else {
            1.0
        };
        let phi0 = self.loss;
        let Control::Wolfe(mt) = &mut self.phase.control else {
            unreachable!("wolfe_trial runs only under the Wolfe control")
        };
        let mut mt = mt.clone();
        let mut evaluations = 0;
        let mut last_alpha = f64::NAN;
        let result = match mt.start(phi0, slope, alpha0) {
            Err(e) => Err(e),
            Ok(mut alpha) => loop {
                evaluations += 1;
                last_alpha = alpha;
                let mut ts = TimeSplit::default();
                let (phi, dphi) = if self.evaluate_trial(problem, alpha, &mut ts) {
                    problem.vjp(
                        &self.ws.theta_trial,
                        &self.ws.r_trial,
                        &mut self.ws.grad_trial,
                    );
                    self.counts.vjps += 1;
                    let dphi: f64 = self
                        .ws
                        .grad_trial
                        .iter()
                        .zip(&self.ws.delta)
                        .map(|(g, d)| g * d)
                        .sum();
                    (half_squared_norm(&self.ws.r_trial), dphi)
                } else {
                    (f64::NAN, f64::NAN)
                };
                match mt.advance(phi, dphi) {
                    Ok(Next::Evaluate(a)) => alpha = a,
                    Ok(Next::Done(res)) => break Ok(res),
                    Err(e) => break Err(e),
                }
            },
        };
        time.line_search += t0.elapsed().as_secs_f64();
        rec.inner_iterations = evaluations;
        let chosen = match result {
            Ok(res) => Some(res),
            Err(e) => e.best().filter(|b| b.alpha > 0.0 && b.phi < phi0),
        };
        let Some(best) = chosen else {
            rec.outcome = StepOutcome::Rejected;
            if empty {
                self.finish(TerminationReason::Stalled);
            } else if let AnyDescent::Lbfgs(d) = &mut self.phase.descent {
                d.reset();
                self.needs_linearization = true;
            }
            return rec;
        };
        if best.alpha != last_alpha && !self.evaluate_trial(problem, best.alpha, time) {
            rec.outcome = StepOutcome::Invalid(InvalidReason::NonFiniteResiduals);
            return rec;
        }
        // θ_trial and r_trial now hold the chosen point.
        rec.step_size = Some(best.alpha);
        let step_norm = best.alpha * norm2(&self.ws.delta);
        rec.step_norm = step_norm;
        let actual = actual_reduction(&self.ws.r, &self.ws.r_trial);
        rec.trial_loss = half_squared_norm(&self.ws.r_trial);
        if actual > 0.0 {
            self.accept_trial(actual, true);
            rec.outcome = StepOutcome::Accepted;
        } else {
            rec.outcome = StepOutcome::Rejected;
            if empty {
                self.finish(TerminationReason::Stalled);
            } else if let AnyDescent::Lbfgs(d) = &mut self.phase.descent {
                d.reset();
                self.needs_linearization = true;
            }
        }
        if self.step_is_tiny(step_norm) {
            self.finish(TerminationReason::StepTolerance);
        }
        rec.loss = self.loss;
        rec
    }

    /// Ends the solve (if still running, as a user stop) and returns the summary.
    pub fn summary(&self) -> SolveSummary {
        SolveSummary {
            termination: self
                .termination
                .clone()
                .unwrap_or(TerminationReason::UserStop),
            initial_loss: self.initial_loss,
            final_loss: self.loss,
            iterations: self.iteration,
            history: self.history.clone(),
            methods: self.methods.clone(),
            linear_solver_given: self.linear_solver.map(|l| l.0),
            linear_solver_used: self.linear_solver.map(|l| l.1),
            n_params: self.p,
            n_residuals: self.n,
            threads: self.config.threads,
            accepted_steps: self.accepted,
            rejected_steps: self.rejected,
            invalid_steps: self.invalid,
            evaluations: self.counts,
            time: self.time,
            total_time: self.start.elapsed().as_secs_f64(),
        }
    }
}

/// Minimises `½‖r(θ)‖²` from `theta`, writing the result back into `theta`.
///
/// An invalid configuration runs no iteration and returns
/// [`TerminationReason::InvalidConfig`]; use [`Solver`] for the step-wise API, an
/// observer and a stop flag.
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
        Err(e) => SolveSummary {
            termination: TerminationReason::InvalidConfig(e.to_string()),
            initial_loss: f64::NAN,
            final_loss: f64::NAN,
            iterations: 0,
            history: Vec::new(),
            methods: vec![config.method],
            linear_solver_given: None,
            linear_solver_used: None,
            n_params: problem.n_params(),
            n_residuals: problem.n_residuals(),
            threads: config.threads,
            accepted_steps: 0,
            rejected_steps: 0,
            invalid_steps: 0,
            evaluations: EvaluationCounts::default(),
            time: TimeSplit::default(),
            total_time: 0.0,
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reductions_match_their_definitions_and_avoid_cancellation() {
        // Exact in binary: L = ½(9 + 16) = 12.5, L⁺ = ½(4 + 1) = 2.5.
        let (r, r_new) = ([3.0, -4.0], [2.0, -1.0]);
        assert_eq!(actual_reduction(&r, &r_new), 10.0);
        // m(δ) = ½‖r + Jδ‖²: with Jδ = (−1, 3), ½‖(2, −1)‖² = 2.5, so L − m = 10.
        assert_eq!(predicted_reduction(&r, &[-1.0, 3.0]), 10.0);
        // A change far below ulp(L): r = 1e4 moved by 2⁻³⁰ in each entry. Both
        // factored forms are exact here ((a − b) and (a + b) are representable), and
        // equal to the exact value 2⁻³⁰(2·10⁴ − 2⁻³⁰).
        let d = 2f64.powi(-30);
        let big = [1e4, -1e4];
        let moved = [1e4 - d, -1e4 + d];
        let exact = d * (2e4 - d);
        assert_eq!(actual_reduction(&big, &moved), exact);
        assert_eq!(predicted_reduction(&big, &[-d, d]), exact);
    }
}
