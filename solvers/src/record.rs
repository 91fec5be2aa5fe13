//! The per-iteration record and the end-of-solve summary (Ceres `Summary` /
//! `FullReport`). The same [`IterationRecord`] feeds the live log, the
//! history written to disk and an argmin adapter.

use crate::config::{LinearSolverKind, Method};
use crate::termination::TerminationReason;
use serde::{Deserialize, Serialize};
use std::fmt::Write;

/// Wall time in seconds, split by phase.
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct TimeSplit {
    /// Evaluating residuals, Jacobians, `J·v`, `Jᵀ·w` (outside line searches).
    pub residual_jacobian: f64,
    /// Forming matrices (`JᵀJ`, `J Jᵀ`, QR of `J`, eigendecompositions).
    pub matrix: f64,
    /// Per-trial linear solves (factorisations for a given λ, CG).
    pub solve: f64,
    /// Line-search trial evaluations: the residuals and, where the search asks for them
    /// or the residuals and gradient are formed together, the gradients. A gradient formed
    /// at a trial that becomes the iterate is not formed again, so its time is here and
    /// not in the next iteration's `residual_jacobian`.
    pub line_search: f64,
}

impl TimeSplit {
    /// Component-wise sum.
    pub fn add(&mut self, o: &TimeSplit) {
        self.residual_jacobian += o.residual_jacobian;
        self.matrix += o.matrix;
        self.solve += o.solve;
        self.line_search += o.line_search;
    }
}

/// What happened to the trial of one iteration.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum StepOutcome {
    /// The trial decreased the loss enough and became the iterate.
    Accepted,
    /// The trial was valid but did not decrease the loss enough.
    Rejected,
    /// The trial could not be computed or evaluated; the iterate is unchanged.
    Invalid(InvalidReason),
}

/// Why a trial was invalid (Ceres `StepIsInvalid`): a trial that cannot be judged is
/// never taken, and the reason is logged.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum InvalidReason {
    /// The linear solver failed (non-positive pivot, singular triangular factor, …).
    LinearSolverFailed,
    /// The step contained NaN or ±∞.
    NonFiniteStep,
    /// The model predicted no decrease (`−(Jδ)ᵀ(r + Jδ/2) ≤ 0`).
    NonPositivePredictedReduction,
    /// The residuals at the trial point were not finite.
    NonFiniteResiduals,
}

/// One row of the history: one trial of the one loop.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct IterationRecord {
    /// 0-based iteration index (trials count as iterations).
    pub iteration: usize,
    /// The method that ran this iteration (changes at a switch).
    pub method: Method,
    /// Loss at the iterate after this iteration.
    pub loss: f64,
    /// Loss at the trial point (NaN when it could not be evaluated).
    pub trial_loss: f64,
    /// `‖∇L‖₂` at the iterate this iteration started from.
    pub gradient_norm: f64,
    /// `‖δ‖₂` of the trial (NaN when invalid before a step existed).
    pub step_norm: f64,
    /// Damping λ used by the trial (reduction-ratio methods).
    pub lambda: Option<f64>,
    /// Step size η or α (line-search methods).
    pub step_size: Option<f64>,
    /// Reduction ratio actual/predicted (for the log only; the accept test is
    /// multiplicative).
    pub rho: Option<f64>,
    /// Inner iterations: CG iterations or line-search evaluations.
    pub inner_iterations: usize,
    /// What happened to the trial.
    pub outcome: StepOutcome,
    /// The problem drew a new residual set before this iteration.
    pub resampled: bool,
    /// Time split of this iteration.
    pub time: TimeSplit,
    /// Wall time of this iteration, seconds.
    pub iteration_time: f64,
    /// Wall time since the start of the solve, seconds.
    pub total_time: f64,
}

impl IterationRecord {
    /// Whether the trial became the iterate.
    pub fn accepted(&self) -> bool {
        self.outcome == StepOutcome::Accepted
    }

    /// Header of the fixed-column live log (Ceres `callbacks.cc` style).
    pub fn log_header() -> &'static str {
        "iter      loss         |grad|      |step|      rho        lambda/eta  lin_it  accept  t_iter    t_total"
    }

    /// One fixed-column log line.
    pub fn log_line(&self) -> String {
        let opt =
            |x: Option<f64>| x.map_or_else(|| "      -    ".to_string(), |v| format!("{v:11.4e}"));
        let acc = match self.outcome {
            StepOutcome::Accepted => "yes",
            StepOutcome::Rejected => "no",
            StepOutcome::Invalid(_) => "inv",
        };
        format!(
            "{:4}  {:12.6e}  {:10.3e}  {:10.3e}  {}  {}  {:6}  {:>6}  {:8.2e}  {:8.2e}",
            self.iteration,
            self.loss,
            self.gradient_norm,
            self.step_norm,
            opt(self.rho),
            opt(self.lambda.or(self.step_size)),
            self.inner_iterations,
            acc,
            self.iteration_time,
            self.total_time
        )
    }
}

/// Evaluation counts over a solve.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct EvaluationCounts {
    /// Residual evaluations: calls to `residuals`, and to `residuals_and_gradient`
    /// (each also counted as one `vjp`); `residuals_many` counts one per vector.
    pub residuals: usize,
    /// Calls to `residuals_and_jacobian`.
    pub jacobians: usize,
    /// Calls to `jvp`.
    pub jvps: usize,
    /// Gradients `Jᵀw` formed: calls to `vjp` and to `residuals_and_gradient`. A trial's
    /// gradient that the iterate takes over when the trial is accepted is formed once and
    /// counted once.
    pub vjps: usize,
}

/// The end-of-solve summary.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SolveSummary {
    /// Why the loop stopped.
    pub termination: TerminationReason,
    /// `L(θ₀)`.
    pub initial_loss: f64,
    /// `L(θ)` at the returned θ (on the last residual set).
    pub final_loss: f64,
    /// Iterations run (trials included).
    pub iterations: usize,
    /// One record per iteration.
    pub history: Vec<IterationRecord>,
    /// Methods run, in order (two entries after a switch).
    pub methods: Vec<Method>,
    /// Linear solver requested (LM only).
    pub linear_solver_given: Option<LinearSolverKind>,
    /// Linear solver used after `Auto` selection (LM only).
    pub linear_solver_used: Option<LinearSolverKind>,
    /// `P`.
    pub n_params: usize,
    /// `N`.
    pub n_residuals: usize,
    /// Threads given to the dense kernels (0 = all of rayon's).
    pub threads: usize,
    /// Accepted, rejected and invalid trials.
    pub accepted_steps: usize,
    /// See `accepted_steps`.
    pub rejected_steps: usize,
    /// See `accepted_steps`.
    pub invalid_steps: usize,
    /// Evaluation counts.
    pub evaluations: EvaluationCounts,
    /// Total time split.
    pub time: TimeSplit,
    /// Total wall time, seconds.
    pub total_time: f64,
}

impl SolveSummary {
    /// The summary of a solve that stopped before its first evaluation (e.g. an
    /// invalid configuration).
    pub fn not_started(
        termination: TerminationReason,
        config: &crate::config::SolverConfig,
        n_residuals: usize,
        n_params: usize,
    ) -> Self {
        Self {
            termination,
            initial_loss: f64::NAN,
            final_loss: f64::NAN,
            iterations: 0,
            history: Vec::new(),
            methods: vec![config.method],
            linear_solver_given: None,
            linear_solver_used: None,
            n_params,
            n_residuals,
            threads: config.threads,
            accepted_steps: 0,
            rejected_steps: 0,
            invalid_steps: 0,
            evaluations: EvaluationCounts::default(),
            time: TimeSplit::default(),
            total_time: 0.0,
        }
    }

    /// Whether the returned θ can be used (see [`TerminationReason::is_solution_usable`]).
    pub fn is_solution_usable(&self) -> bool {
        self.termination.is_solution_usable()
    }

    /// One line, as Ceres's `BriefReport`.
    pub fn brief(&self) -> String {
        format!(
            "{}: initial loss {:.6e}, final loss {:.6e}, iterations {} ({} accepted), time {:.3} s, termination: {:?}",
            self.methods
                .iter()
                .map(|m| format!("{m:?}"))
                .collect::<Vec<_>>()
                .join("→"),
            self.initial_loss,
            self.final_loss,
            self.iterations,
            self.accepted_steps,
            self.total_time,
            self.termination
        )
    }

    /// A multi-line report, as Ceres's `FullReport`.
    pub fn full(&self) -> String {
        let mut s = String::new();
        let _ = writeln!(s, "Solver summary (pinn-solvers)");
        let _ = writeln!(
            s,
            "  method(s)                 {}",
            self.methods
                .iter()
                .map(|m| format!("{m:?}"))
                .collect::<Vec<_>>()
                .join(" → ")
        );
        let _ = writeln!(s, "  parameters P              {}", self.n_params);
        let _ = writeln!(s, "  residuals N               {}", self.n_residuals);
        if let (Some(g), Some(u)) = (self.linear_solver_given, self.linear_solver_used) {
            let _ = writeln!(s, "  linear solver given/used  {g:?} / {u:?}");
        }
        let _ = writeln!(
            s,
            "  threads                   {}",
            if self.threads == 0 {
                "all".to_string()
            } else {
                self.threads.to_string()
            }
        );
        let _ = writeln!(s, "Loss");
        let _ = writeln!(s, "  initial                   {:.16e}", self.initial_loss);
        let _ = writeln!(s, "  final                     {:.16e}", self.final_loss);
        let _ = writeln!(
            s,
            "  change                    {:.16e}",
            self.initial_loss - self.final_loss
        );
        let _ = writeln!(s, "Steps");
        let _ = writeln!(s, "  iterations                {}", self.iterations);
        let _ = writeln!(s, "  accepted                  {}", self.accepted_steps);
        let _ = writeln!(s, "  rejected                  {}", self.rejected_steps);
        let _ = writeln!(s, "  invalid                   {}", self.invalid_steps);
        let e = &self.evaluations;
        let _ = writeln!(s, "Evaluations");
        let _ = writeln!(
            s,
            "  residuals / Jacobians     {} / {}",
            e.residuals, e.jacobians
        );
        let _ = writeln!(s, "  J·v / Jᵀ·w                {} / {}", e.jvps, e.vjps);
        let t = &self.time;
        let _ = writeln!(s, "Time (seconds)");
        let _ = writeln!(s, "  residual + Jacobian       {:.6}", t.residual_jacobian);
        let _ = writeln!(s, "  matrix                    {:.6}", t.matrix);
        let _ = writeln!(s, "  linear solve              {:.6}", t.solve);
        let _ = writeln!(s, "  line search               {:.6}", t.line_search);
        let _ = writeln!(s, "  total                     {:.6}", self.total_time);
        let _ = writeln!(
            s,
            "Termination: {:?} — {}",
            self.termination,
            self.termination.message()
        );
        let _ = writeln!(s, "Iterate usable (finite): {}", self.is_solution_usable());
        s
    }
}
