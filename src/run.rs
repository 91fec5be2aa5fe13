//! One training run of a problem: the solve loop with a per-iteration hook, then the
//! solution on the evaluation points and the result file's contents.

use std::cell::RefCell;
use std::ops::ControlFlow;
use std::time::Instant;

use faer::Mat;
use pinn_solvers::{
    IterationRecord, LeastSquares, SolveSummary, Solver, SolverConfig, SolverState,
};

use crate::model::Mlp;
use crate::output::{
    Checkpointer, EmbeddingRecord, Evaluation, FourierRecord, History, HistoryRow, Metrics,
    Provenance, RunResult, iso8601_utc, write_atomic,
};
use crate::problem::Problem;
use crate::residual::model::ResidualModel;

/// The activation's name as the result file stores it (`tanh`, `sin`, …).
pub fn activation_name(mlp: &crate::model::Mlp) -> String {
    format!("{:?}", mlp.activation()).to_lowercase()
}

/// The network's outputs and, when known, the exact solution at the evaluation points.
pub fn evaluate(problem: &Problem, theta: &[f64]) -> Evaluation {
    let pts = problem.evaluation.as_ref();
    let u = problem.solution(theta, pts);
    let exact = problem.exact.as_ref().and_then(|e| e.at(pts));
    Evaluation::new(
        problem.domain.names().to_vec(),
        problem.context.outputs().to_vec(),
        problem.evaluation.clone(),
        u,
        exact,
    )
}

/// The network's input embedding as the result file stores it (`None` for the identity).
pub fn embedding_record(mlp: &Mlp) -> Option<EmbeddingRecord> {
    let e = mlp.embedding();
    if e.is_identity() && e.reflections().is_empty() {
        return None;
    }
    let periodic = e
        .periodic_variables()
        .into_iter()
        .map(|(v, p)| (v, p.period, p.harmonics))
        .collect();
    let d1 = e.periodic_width();
    let fourier = e.fourier().map(|f| FourierRecord {
        matrix: Mat::from_fn(f.count, d1, |k, l| f.matrix[k * d1 + l]),
        scale: f.scale,
        seed: f.seed,
    });
    let reflections = e
        .reflections()
        .iter()
        .map(|r| (r.var, r.center, if r.odd { -1 } else { 1 }))
        .collect();
    Some(EmbeddingRecord {
        periodic,
        fourier,
        reflections,
    })
}

/// Whether a stored network (`layers`, `embedding`, `n_params` values of θ) is the one
/// `mlp` describes; otherwise what differs, for an error message.
pub fn check_stored_network(
    mlp: &Mlp,
    layers: &[usize],
    embedding: Option<&EmbeddingRecord>,
    n_params: usize,
) -> Result<(), String> {
    let mine = embedding_record(mlp);
    if mine.as_ref() != embedding {
        let show = |e: Option<&EmbeddingRecord>| match e {
            None => "no embedding".to_string(),
            Some(e) => describe_embedding(e),
        };
        return Err(format!(
            "the stored network has {}, the problem's has {}",
            show(embedding),
            show(mine.as_ref())
        ));
    }
    if layers != mlp.layers() || n_params != mlp.n_params() {
        return Err(format!(
            "the stored network has layers {layers:?} and {n_params} parameters, the problem's {:?} and {}",
            mlp.layers(),
            mlp.n_params()
        ));
    }
    Ok(())
}

/// A one-line description of an embedding, e.g. `periodic x_1 (L = 2, K = 1), 64 Fourier
/// features (σ = 1, seed 0)`.
pub fn describe_embedding(e: &EmbeddingRecord) -> String {
    let mut parts: Vec<String> = e
        .periodic
        .iter()
        .map(|&(v, l, k)| format!("periodic features of variable {v} (period {l}, {k} harmonics)"))
        .collect();
    if let Some(f) = &e.fourier {
        parts.push(format!(
            "{} Fourier frequencies of {} features (scale {}, seed {})",
            f.matrix.nrows(),
            f.matrix.ncols(),
            f.scale,
            f.seed
        ));
    }
    for &(v, c, p) in &e.reflections {
        let parity = if p < 0 { "odd" } else { "even" };
        parts.push(format!("{parity} in variable {v} about {c}"));
    }
    parts.join(" and ")
}

/// `‖u − u*‖₂ / ‖u*‖₂` over the evaluation points, or `None` without an exact solution.
pub fn rel_l2(problem: &Problem, theta: &[f64]) -> Option<f64> {
    let e = evaluate(problem, theta);
    e.u_exact.as_ref().map(|ex| crate::output::rel_l2(&e.u, ex))
}

/// What a run produced.
pub struct RunOutcome {
    /// The final parameters.
    pub theta: Vec<f64>,
    /// The solver's final state (the next time slab may take over its memory).
    pub state: SolverState,
    /// The solver's end-of-solve summary.
    pub summary: SolveSummary,
    /// The result file's contents.
    pub result: RunResult,
    /// The loss of the all-zero parameters on the final residual points: the yardstick
    /// of [`crate::verdict::Verdict`] when no exact solution is known.
    pub zero_loss: f64,
    /// Per time slab, what it did (empty for a run without `[time_slabs]`).
    pub slabs: Vec<SlabOutcome>,
    /// Remarks for the end of the solve that are not failures, e.g. a correction stage
    /// left out of a multi-stage result.
    pub notes: Vec<String>,
}

/// What one time slab of a march did, for the end-of-solve summary.
#[derive(Clone, Debug, PartialEq)]
pub struct SlabOutcome {
    /// `[t_k, t_{k+1}]`.
    pub interval: (f64, f64),
    /// The slab's iterations.
    pub iterations: usize,
    /// Its final loss.
    pub final_loss: f64,
    /// Why it stopped.
    pub termination: String,
    /// The rel L2 error on the evaluation points in the slab, with an exact solution.
    pub rel_l2: Option<f64>,
    /// With correction stages: each stage of the slab in order (the slab's own network
    /// first, `ε = 1`), so that the summary can show what each correction bought; empty
    /// for a slab of one network.
    pub stages: Vec<SlabStageOutcome>,
}

/// One stage of a slab with correction stages (see [`SlabOutcome::stages`]).
#[derive(Clone, Debug, PartialEq)]
pub struct SlabStageOutcome {
    /// The stage's iterations.
    pub iterations: u64,
    /// The loss of the slab's network sum up to this stage, on the stage's final points.
    pub final_loss: f64,
    /// The stage's scale `ε` (1 for the slab's own network).
    pub epsilon: f64,
}

impl RunOutcome {
    /// Whether the network is better than the zero function (see [`crate::verdict`]).
    pub fn verdict(&self) -> crate::verdict::Verdict {
        crate::verdict::Verdict::judge(
            self.result.metrics.rel_l2,
            self.summary.final_loss,
            self.zero_loss,
        )
    }
}

/// How often the rel L2 error is measured during a run (it costs a forward pass over
/// the evaluation points); iterations in between record NaN in `/history/rel_l2`.
pub const REL_L2_EVERY_SECONDS: f64 = 0.25;

/// Where and how often a run writes checkpoints: complete result files of the iterate
/// so far, written atomically to `path` (the final result later replaces the last one).
pub struct CheckpointPlan<'a> {
    /// The result file's path.
    pub path: &'a std::path::Path,
    /// When a checkpoint is due.
    pub schedule: Checkpointer,
}

/// Where a run starts.
pub enum Start<'a> {
    /// From these parameters, at iteration 0.
    Params(&'a [f64]),
    /// Where a stored run stopped: its solver state, points and history.
    Resume(&'a crate::resume::Continuation),
    /// From these parameters, at iteration 0, with the curvature memory of an earlier
    /// solve of a related problem taken over by the descent ([`Solver::adopt_memory`]):
    /// the previous time slab's final state.
    WithMemory(&'a [f64], &'a SolverState),
}

/// The extra history columns every run records, in order.
pub const EXTRA_COLUMNS: [&str; 2] = ["inner_iterations", "trial_loss"];

/// Runs `config` on `problem` from `theta0`, one network over the whole domain (a
/// problem's `[time_slabs]` are marched by [`crate::march::run_slabs`], which calls this
/// once per slab); see [`run_from`].
///
/// # Errors
/// An invalid solver configuration.
pub fn run(
    problem: &Problem,
    config: &SolverConfig,
    theta0: &[f64],
    checkpoint: Option<CheckpointPlan<'_>>,
    on_iteration: impl FnMut(&IterationRecord, &[f64], Option<f64>) -> ControlFlow<()>,
) -> Result<RunOutcome, String> {
    run_from(
        problem,
        config,
        Start::Params(theta0),
        None,
        checkpoint,
        on_iteration,
    )
}

/// Runs `config` on `problem` from `start`. `on_iteration(record, θ, rel_l2)` sees
/// every iteration (rel L2 when it was measured); returning `Break` stops the solve.
/// With `checkpoint`, a complete result file of the current iterate (with the solver
/// state and the points in use, so that it can be resumed) is written whenever one is
/// due (a failure to write one is reported on stderr and the run goes on). Every file
/// carries `provenance` when given.
///
/// # Errors
/// An invalid solver configuration, or a stored state that does not fit.
pub fn run_from(
    problem: &Problem,
    config: &SolverConfig,
    start: Start<'_>,
    provenance: Option<Provenance>,
    mut checkpoint: Option<CheckpointPlan<'_>>,
    mut on_iteration: impl FnMut(&IterationRecord, &[f64], Option<f64>) -> ControlFlow<()>,
) -> Result<RunOutcome, String> {
    let clock = Instant::now();
    let mut model = problem.residual_model();
    let has_exact = problem.exact.is_some();
    let (earlier_seconds, first_iteration, history) = match &start {
        Start::Params(_) | Start::WithMemory(..) => {
            (0.0, 0, History::new(has_exact, &EXTRA_COLUMNS))
        }
        Start::Resume(c) => (
            c.state.ledger.earlier_seconds,
            c.iterations() as u64,
            c.history.clone(),
        ),
    };
    let wall = move || earlier_seconds + clock.elapsed().as_secs_f64();
    let mut last_measure = f64::NEG_INFINITY;
    let rows: RefCell<Vec<(HistoryRow, [f64; 2])>> = RefCell::new(Vec::new());
    let config_text =
        toml::to_string(config).unwrap_or_else(|e| format!("# cannot serialise: {e}"));
    let mut solver = match start {
        Start::Params(theta0) => {
            assert_eq!(
                theta0.len(),
                model.n_params(),
                "θ₀ must have one entry per parameter"
            );
            // RBA weights get their first update at θ₀, before the first loss.
            model.start_point_weights(theta0);
            Solver::init(&mut model, theta0, config).map_err(|e| e.to_string())?
        }
        Start::WithMemory(theta0, earlier) => {
            assert_eq!(
                theta0.len(),
                model.n_params(),
                "θ₀ must have one entry per parameter"
            );
            model.start_point_weights(theta0);
            let mut solver = Solver::init(&mut model, theta0, config).map_err(|e| e.to_string())?;
            solver
                .adopt_memory(earlier)
                .map_err(|e| format!("the earlier solve's memory does not fit: {e}"))?;
            solver
        }
        Start::Resume(c) => {
            for (b, (name, points)) in c.collocation.iter().enumerate() {
                model
                    .set_points(b, points.clone())
                    .map_err(|e| format!("block `{name}`: the stored points do not fit: {e}"))?;
            }
            restore_weights(&mut model, &c.weights)?;
            Solver::resume(&mut model, &c.state, config).map_err(|e| e.to_string())?
        }
    };
    let session_start = Instant::now();
    {
        let rows = &rows;
        solver.set_observer(Box::new(move |rec: &IterationRecord, theta: &[f64]| {
            let now = session_start.elapsed().as_secs_f64();
            let rel = if has_exact && now - last_measure >= REL_L2_EVERY_SECONDS {
                last_measure = now;
                rel_l2(problem, theta)
            } else {
                None
            };
            rows.borrow_mut().push((
                HistoryRow {
                    iteration: rec.iteration as u64,
                    loss: rec.loss,
                    rel_l2: has_exact.then_some(rel.unwrap_or(f64::NAN)),
                    grad_norm: rec.gradient_norm,
                    step_norm: rec.step_norm,
                    damping: rec.lambda.unwrap_or(f64::NAN),
                    step_size: rec.step_size.unwrap_or(f64::NAN),
                    rho: rec.rho.unwrap_or(f64::NAN),
                    accepted: rec.accepted(),
                    wall_time_s: rec.total_time,
                },
                [rec.inner_iterations as f64, rec.trial_loss],
            ));
            on_iteration(rec, theta, rel)
        }));
    }
    let snapshot =
        |solver: &Solver<'_>, model: &ResidualModel, state: &SolverState, termination: &str| {
            let mut h = history.clone();
            for (row, extra) in rows.borrow().iter() {
                h.push(row, extra);
            }
            let mut r = result_file(
                problem,
                &config_text,
                solver.theta(),
                current_points(model),
                h,
                solver.loss(),
                state.ledger.iteration as u64,
                termination,
                wall(),
            );
            r.provenance.clone_from(&provenance);
            r.collocation_weights = current_weights(model);
            match crate::resume::state_record(state) {
                Ok(s) => r.state = Some(s),
                Err(e) => eprintln!("warning: the result cannot be resumed: {e}"),
            }
            r
        };
    while solver.step(&mut model).is_some() {
        if let Some(plan) = checkpoint.as_mut() {
            let now = Instant::now();
            let done = (solver.iterations() as u64).saturating_sub(first_iteration);
            if plan.schedule.is_due(done, now) {
                match write_atomic(
                    plan.path,
                    &snapshot(&solver, &model, &solver.save(), "Checkpoint"),
                ) {
                    Ok(()) => plan.schedule.mark_written(done, now),
                    Err(e) => eprintln!("warning: checkpoint not written: {e}"),
                }
            }
        }
    }
    let summary = solver.summary();
    let state = solver.save();
    let mut result = snapshot(
        &solver,
        &model,
        &state,
        &format!("{:?}", summary.termination),
    );
    result.metrics.wall_time_s = summary.total_time;
    let theta = solver.theta().to_vec();
    drop(solver);
    let zero_loss = model.loss(&vec![0.0; theta.len()]);
    Ok(RunOutcome {
        theta,
        state,
        summary,
        result,
        zero_loss,
        slabs: Vec::new(),
        notes: Vec::new(),
    })
}

/// Puts a stored run's point weights back into `model`: the stored blocks must be
/// exactly the model's weighted blocks, each with one weight per point.
fn restore_weights(model: &mut ResidualModel, stored: &[(String, Vec<f64>)]) -> Result<(), String> {
    let weighted: Vec<usize> = (0..model.blocks().len())
        .filter(|&b| model.point_weights(b).is_some())
        .collect();
    let names = |it: &mut dyn Iterator<Item = String>| it.collect::<Vec<_>>().join(", ");
    let mine = names(
        &mut weighted
            .iter()
            .map(|&b| model.blocks()[b].name().to_string()),
    );
    let theirs = names(&mut stored.iter().map(|(n, _)| n.clone()));
    if mine != theirs {
        return Err(format!(
            "the run stored point weights for [{theirs}], this problem weights [{mine}]"
        ));
    }
    for (&b, (name, w)) in weighted.iter().zip(stored) {
        model
            .set_weight_values(b, w.clone())
            .map_err(|e| format!("block `{name}`: the stored weights do not fit: {e}"))?;
    }
    Ok(())
}

/// The points each block is trained on now.
fn current_points(model: &ResidualModel) -> Vec<(String, Mat<f64>)> {
    model
        .blocks()
        .iter()
        .map(|b| (b.name().to_string(), b.points().to_owned()))
        .collect()
}

/// The point weights of each weighted block now (RBA), by block name.
fn current_weights(model: &ResidualModel) -> Vec<(String, Vec<f64>)> {
    (0..model.blocks().len())
        .filter_map(|b| {
            let w = model.point_weights(b)?;
            Some((model.blocks()[b].name().to_string(), w.to_vec()))
        })
        .collect()
}

/// The result file of `theta`: evaluation, metrics and everything else.
#[allow(clippy::too_many_arguments)]
pub(crate) fn result_file(
    problem: &Problem,
    config_text: &str,
    theta: &[f64],
    collocation: Vec<(String, Mat<f64>)>,
    history: History,
    loss: f64,
    iterations: u64,
    termination: &str,
    wall_time_s: f64,
) -> RunResult {
    let evaluation = evaluate(problem, theta);
    let metrics = Metrics::from_evaluation(&evaluation, loss, iterations, termination, wall_time_s);
    RunResult {
        problem_name: problem.name.clone(),
        pinn_version: env!("CARGO_PKG_VERSION").to_string(),
        created: iso8601_utc(std::time::SystemTime::now()),
        config_problem: problem.text.clone(),
        problem_file: std::path::absolute(&problem.path)
            .ok()
            .map(|p| p.to_string_lossy().into_owned()),
        config_solver: config_text.to_string(),
        layers: problem.mlp.layers().to_vec(),
        embedding: embedding_record(&problem.mlp),
        activation: activation_name(&problem.mlp),
        params: theta.to_vec(),
        transform: problem.transform.sources(),
        transform_constants: if problem.transform.is_identity() {
            Vec::new()
        } else {
            problem.context.constants().to_vec()
        },
        collocation,
        collocation_weights: Vec::new(),
        evaluation,
        metrics,
        history,
        provenance: None,
        state: None,
        time_slabs: None,
        stages: None,
    }
}
