//! Time marching: a problem with `[time_slabs]` is solved one slab after the other
//! (see [`crate::problem::slabs`]), each slab a complete run of [`crate::run::run`] on
//! the slab's problem, started from the previous slab's final parameters (and, with
//! `curvature = "carried"`, from its solver's final curvature memory).
//!
//! Budget: `max_iterations` holds per slab; a time limit is for the whole march, and
//! each slab gets the time still left divided by the number of slabs still to run (an
//! equal share when every slab uses its share).

use std::cell::Cell;
use std::ops::ControlFlow;
use std::time::Instant;

use faer::{Mat, MatRef};
use pinn_solvers::{IterationRecord, SolverConfig, SolverState};

use crate::output::{
    Evaluation, History, Metrics, RunResult, SlabRecord, SlabsRecord, rel_l2, write_atomic,
};
use crate::problem::Problem;
use crate::run::{CheckpointPlan, RunOutcome, SlabOutcome, Start, result_file, run_from};

/// The solution on the evaluation points of a march that trained `thetas.len()` slabs
/// (slab `k` with `thetas[k]`): every point is evaluated by the slab its time belongs to
/// ([`crate::problem::TimeSlabs::slab_of`]); points of slabs not trained yet are left
/// out. With the exact solution, when known.
pub fn slab_evaluation(problem: &Problem, thetas: &[Vec<f64>]) -> Evaluation {
    let slabs = problem
        .time_slabs
        .as_ref()
        .expect("a problem with [time_slabs]");
    let all = problem.evaluation.as_ref();
    let owner = slabs.assign(all);
    let keep: Vec<usize> = (0..all.nrows())
        .filter(|&i| owner[i] < thetas.len())
        .collect();
    let points = Mat::from_fn(keep.len(), all.ncols(), |i, j| all[(keep[i], j)]);
    let u = solution_by_slab(problem, thetas, points.as_ref());
    let exact = problem
        .exact
        .as_ref()
        .and_then(|e| e.at(all))
        .map(|ex| Mat::from_fn(keep.len(), ex.ncols(), |i, o| ex[(keep[i], o)]));
    Evaluation::new(
        problem.domain.names().to_vec(),
        problem.context.outputs().to_vec(),
        points,
        u,
        exact,
    )
}

/// The solution at `points` of a march that trained `thetas.len()` slabs: each point
/// by the network of the slab its time belongs to.
///
/// # Panics
/// On a point of a slab not trained, or a problem without `[time_slabs]`.
pub fn solution_by_slab(
    problem: &Problem,
    thetas: &[Vec<f64>],
    points: MatRef<'_, f64>,
) -> Mat<f64> {
    let slabs = problem
        .time_slabs
        .as_ref()
        .expect("a problem with [time_slabs]");
    let owner = slabs.assign(points);
    assert!(
        owner.iter().all(|&k| k < thetas.len()),
        "every point lies in a trained slab"
    );
    let mut u = Mat::zeros(points.nrows(), problem.context.outputs().len());
    for k in 0..thetas.len() {
        let rows: Vec<usize> = (0..points.nrows()).filter(|&i| owner[i] == k).collect();
        let pts = Mat::from_fn(rows.len(), points.ncols(), |i, j| points[(rows[i], j)]);
        let uk = problem.slab_solution(k, thetas, pts.as_ref());
        for (i, &r) in rows.iter().enumerate() {
            for o in 0..uk.ncols() {
                u[(r, o)] = uk[(i, o)];
            }
        }
    }
    u
}

/// The rel L2 error of each trained slab on its own evaluation points (`None` without an
/// exact solution or without points in the slab).
pub fn per_slab_rel_l2(problem: &Problem, evaluation: &Evaluation, n: usize) -> Vec<Option<f64>> {
    let slabs = problem
        .time_slabs
        .as_ref()
        .expect("a problem with [time_slabs]");
    let owner = slabs.assign(evaluation.points.as_ref());
    (0..n)
        .map(|k| {
            let ex = evaluation.u_exact.as_ref()?;
            let rows: Vec<usize> = (0..owner.len()).filter(|&i| owner[i] == k).collect();
            if rows.is_empty() {
                return None;
            }
            let pick = |m: &Mat<f64>| Mat::from_fn(rows.len(), m.ncols(), |i, o| m[(rows[i], o)]);
            Some(rel_l2(&pick(&evaluation.u), &pick(ex)))
        })
        .collect()
}

/// The result file of a march that trained `records` (parameters in each record):
/// `/model/params` and `/collocation` are those of the last slab stored, `/evaluation`
/// covers the trained slabs, `/metrics` holds the last slab's loss and termination and
/// the total iterations.
#[allow(clippy::too_many_arguments)]
fn march_result(
    problem: &Problem,
    config_text: &str,
    records: Vec<SlabRecord>,
    collocation: Vec<(String, Mat<f64>)>,
    history: History,
    wall_time_s: f64,
) -> RunResult {
    let slabs = problem
        .time_slabs
        .as_ref()
        .expect("a problem with [time_slabs]");
    let last = records.last().expect("at least one slab");
    let iterations = records.iter().map(|r| r.iterations).sum();
    let mut r = result_file(
        problem,
        config_text,
        &last.params,
        collocation,
        history,
        last.final_loss,
        iterations,
        &last.termination,
        wall_time_s,
    );
    let thetas: Vec<Vec<f64>> = records.iter().map(|r| r.params.clone()).collect();
    r.evaluation = slab_evaluation(problem, &thetas);
    r.metrics = Metrics::from_evaluation(
        &r.evaluation,
        last.final_loss,
        iterations,
        last.termination.clone(),
        wall_time_s,
    );
    let initial_data = if slabs.built_in_handover {
        // The initial data's expressions may read the file's constants.
        r.transform_constants = problem.context.constants().to_vec();
        problem.initial_values()
    } else {
        Vec::new()
    };
    r.time_slabs = Some(SlabsRecord {
        boundaries: slabs.boundaries.clone(),
        time_variable: slabs.time_var,
        slabs: records,
        initial_data,
    });
    r
}

/// Runs `config` on every slab of `problem` in turn, slab 0 from `theta0`.
/// `on_iteration(k, record, θ, rel_l2)` sees every iteration of slab `k` (rel L2 on the
/// slab's evaluation points, when measured), its `total_time` counted from the start of
/// the march as in the history, since the time limit is the whole march's; returning
/// `Break` stops the march after that slab's result. Checkpoints, when due, hold the
/// finished slabs and the current iterate of the running one (their history: the
/// finished slabs' only).
///
/// # Errors
/// An invalid solver configuration, or a slab problem that cannot be built.
pub fn run_slabs(
    problem: &Problem,
    config: &SolverConfig,
    theta0: &[f64],
    mut checkpoint: Option<CheckpointPlan<'_>>,
    mut on_iteration: impl FnMut(usize, &IterationRecord, &[f64], Option<f64>) -> ControlFlow<()>,
) -> Result<RunOutcome, String> {
    let slabs = problem
        .time_slabs
        .as_ref()
        .expect("a problem with [time_slabs]");
    let count = slabs.count();
    let start = Instant::now();
    let config_text =
        toml::to_string(config).unwrap_or_else(|e| format!("# cannot serialise: {e}"));
    let has_exact = problem.exact.is_some();
    let mut columns: Vec<(String, Vec<f64>)> = Vec::new();
    let mut records: Vec<SlabRecord> = Vec::new();
    let mut outcomes: Vec<SlabOutcome> = Vec::new();
    let mut theta = theta0.to_vec();
    let mut memory: Option<SolverState> = None;
    let mut last: Option<RunOutcome> = None;
    let mut accepted = 0;
    let mut rejected = 0;
    let mut invalid = 0;
    let mut initial_loss = None;
    let mut done_iterations = 0u64;
    for k in 0..count {
        let earlier: Vec<Vec<f64>> = records.iter().map(|r| r.params.clone()).collect();
        let slab = problem
            .slab_problem_after(k, &earlier)
            .map_err(|e| e.to_string())?;
        let mut cfg = slabs.slab_config(k, config);
        if let Some(total) = config.termination.time_limit_seconds {
            let left = (total - start.elapsed().as_secs_f64()).max(1e-3);
            let (share, rest) = slabs.time_share(k);
            cfg.termination.time_limit_seconds = Some(left * share / rest);
        }
        let stop = Cell::new(false);
        let offset = start.elapsed().as_secs_f64();
        let finished = records.clone();
        let history_so_far = History::from_columns(columns.clone()).ok();
        let start_from = match &memory {
            Some(earlier) => Start::WithMemory(&theta, earlier),
            None => Start::Params(&theta),
        };
        let outcome = run_from(&slab, &cfg, start_from, None, None, |rec, th, rel| {
            if let Some(plan) = checkpoint.as_mut() {
                let now = Instant::now();
                let it = done_iterations + rec.iteration as u64 + 1;
                if plan.schedule.is_due(it, now) {
                    let mut recs = finished.clone();
                    recs.push(SlabRecord {
                        params: th.to_vec(),
                        iterations: rec.iteration as u64 + 1,
                        final_loss: rec.loss,
                        termination: "Checkpoint".into(),
                    });
                    let history = history_so_far.clone().unwrap_or_else(|| {
                        History::new(has_exact, &["inner_iterations", "trial_loss", "slab"])
                    });
                    let partial = march_result(
                        problem,
                        &config_text,
                        recs,
                        Vec::new(),
                        history,
                        start.elapsed().as_secs_f64(),
                    );
                    match write_atomic(plan.path, &partial) {
                        Ok(()) => plan.schedule.mark_written(it, now),
                        Err(e) => eprintln!("warning: checkpoint not written: {e}"),
                    }
                }
            }
            let mut whole = rec.clone();
            whole.total_time += offset;
            let flow = on_iteration(k, &whole, th, rel);
            if flow.is_break() {
                stop.set(true);
            }
            flow
        })?;
        let hist = &outcome.result.history;
        let n = hist.len();
        let mut names: Vec<String> = hist.columns().map(|(c, _)| c.to_string()).collect();
        names.push("slab".into());
        if columns.is_empty() {
            columns = names.iter().map(|c| (c.clone(), Vec::new())).collect();
        }
        for (c, v) in hist.columns() {
            let shift = if c == "wall_time_s" { offset } else { 0.0 };
            let col = columns
                .iter_mut()
                .find(|(name, _)| name == c)
                .expect("every slab's history has the same columns");
            col.1.extend(v.iter().map(|x| x + shift));
        }
        columns
            .iter_mut()
            .find(|(name, _)| name == "slab")
            .expect("the slab column")
            .1
            .extend(std::iter::repeat_n(k as f64, n));
        let s = &outcome.summary;
        accepted += s.accepted_steps;
        rejected += s.rejected_steps;
        invalid += s.invalid_steps;
        initial_loss.get_or_insert(s.initial_loss);
        done_iterations += s.iterations as u64;
        records.push(SlabRecord {
            params: outcome.theta.clone(),
            iterations: s.iterations as u64,
            final_loss: s.final_loss,
            termination: format!("{:?}", s.termination),
        });
        outcomes.push(SlabOutcome {
            interval: slabs.interval(k),
            iterations: s.iterations,
            final_loss: s.final_loss,
            termination: format!("{:?}", s.termination),
            rel_l2: None,
        });
        theta = outcome.theta.clone();
        if slabs.carry_curvature {
            memory = Some(outcome.state.clone());
        }
        let collocation = outcome.result.collocation.clone();
        let mut result = march_result(
            problem,
            &config_text,
            records.clone(),
            collocation,
            History::from_columns(columns.clone()).map_err(|e| e.to_string())?,
            start.elapsed().as_secs_f64(),
        );
        result.collocation_weights = outcome.result.collocation_weights.clone();
        last = Some(RunOutcome { result, ..outcome });
        if stop.get() {
            break;
        }
    }
    let mut out = last.expect("at least one slab");
    let rels = per_slab_rel_l2(problem, &out.result.evaluation, outcomes.len());
    for (o, r) in outcomes.iter_mut().zip(rels) {
        o.rel_l2 = r;
    }
    // The summary speaks for the whole march: the last slab's solver summary with the
    // counts, the wall time and the starting loss of all slabs together.
    out.summary.accepted_steps = accepted;
    out.summary.rejected_steps = rejected;
    out.summary.invalid_steps = invalid;
    out.summary.iterations = usize::try_from(done_iterations).unwrap_or(usize::MAX);
    out.summary.initial_loss = initial_loss.unwrap_or(out.summary.initial_loss);
    out.summary.total_time = start.elapsed().as_secs_f64();
    out.theta = theta;
    out.slabs = outcomes;
    Ok(out)
}
