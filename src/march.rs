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

use crate::output::StageRecord;
use crate::output::{
    Evaluation, History, Metrics, RunResult, SlabRecord, SlabsRecord, rel_l2, write_atomic,
};
use crate::problem::Problem;
use crate::residual::FrozenStage;
use crate::run::{
    CheckpointPlan, RunOutcome, SlabOutcome, SlabStageOutcome, Start, result_file, run_from,
};
use crate::stages::{run_corrections, stored_network};

/// The networks of every slab of `records` (a stored or running march): slab `k`'s
/// network sum, its parameters' network first (`ε = 1`) and then its correction stages
/// ([`crate::residual::frozen`]).
///
/// # Errors
/// A stored correction whose network does not fit the problem.
pub fn slab_sums(
    problem: &Problem,
    records: &[SlabRecord],
) -> Result<Vec<Vec<FrozenStage>>, String> {
    records
        .iter()
        .enumerate()
        .map(|(k, r)| {
            let mut sum = vec![FrozenStage {
                mlp: problem.mlp.clone(),
                theta: r.params.clone(),
                epsilon: 1.0,
            }];
            for (s, st) in r.corrections.iter().enumerate() {
                sum.push(FrozenStage {
                    mlp: stored_network(problem, st)
                        .map_err(|e| format!("slab {} stage {}: {e}", k + 1, s + 2))?,
                    theta: st.params.clone(),
                    epsilon: st.epsilon,
                });
            }
            Ok(sum)
        })
        .collect()
}

/// The solution on the evaluation points of a march that trained `sums.len()` slabs
/// (slab `k` with the network sum `sums[k]`, [`slab_sums`]): every point is evaluated
/// by the slab its time belongs to ([`crate::problem::TimeSlabs::slab_of`]); points of
/// slabs not trained yet are left out. With the exact solution, when known.
pub fn slab_evaluation(problem: &Problem, sums: &[Vec<FrozenStage>]) -> Evaluation {
    let slabs = problem
        .time_slabs
        .as_ref()
        .expect("a problem with [time_slabs]");
    let all = problem.evaluation.as_ref();
    let owner = slabs.assign(all);
    let keep: Vec<usize> = (0..all.nrows())
        .filter(|&i| owner[i] < sums.len())
        .collect();
    let points = Mat::from_fn(keep.len(), all.ncols(), |i, j| all[(keep[i], j)]);
    let u = solution_by_slab(problem, sums, points.as_ref());
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

/// The solution at `points` of a march that trained `sums.len()` slabs: each point by
/// the network sum of the slab its time belongs to.
///
/// # Panics
/// On a point of a slab not trained, or a problem without `[time_slabs]`.
pub fn solution_by_slab(
    problem: &Problem,
    sums: &[Vec<FrozenStage>],
    points: MatRef<'_, f64>,
) -> Mat<f64> {
    let slabs = problem
        .time_slabs
        .as_ref()
        .expect("a problem with [time_slabs]");
    let owner = slabs.assign(points);
    assert!(
        owner.iter().all(|&k| k < sums.len()),
        "every point lies in a trained slab"
    );
    let mut u = Mat::zeros(points.nrows(), problem.context.outputs().len());
    for k in 0..sums.len() {
        let rows: Vec<usize> = (0..points.nrows()).filter(|&i| owner[i] == k).collect();
        let pts = Mat::from_fn(rows.len(), points.ncols(), |i, j| points[(rows[i], j)]);
        let uk = if slabs.built_in_handover {
            problem.slab_solution_of_sums(k, sums, pts.as_ref())
        } else {
            problem.solution(&sums[k][0].theta, pts.as_ref())
        };
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
    let sums = slab_sums(problem, &records)
        .expect("a march's own correction networks rebuild from their records");
    r.evaluation = slab_evaluation(problem, &sums);
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
    checkpoint: Option<CheckpointPlan<'_>>,
    mut on_iteration: impl FnMut(usize, &IterationRecord, &[f64], Option<f64>) -> ControlFlow<()>,
) -> Result<RunOutcome, String> {
    run_slabs_staged(
        problem,
        config,
        theta0,
        1,
        |_, c| c.clone(),
        checkpoint,
        |k, _, rec, theta, rel| on_iteration(k, rec, theta, rel),
    )
}

/// [`run_slabs`] with `stages ≥ 1` stages in every slab (multi-stage training,
/// [`crate::stages`]; needs the built-in hand-over when `stages > 1`): slab `k` trains
/// its network as [`run_slabs`] does, then the correction stages `2 ..= stages` on the
/// slab's problem with the earlier stages frozen (stage `s`'s solver settings
/// `stage_config(s, its settings)`), and the next slab starts from the slab's network
/// sum. With a time limit, slab `k`'s time is split among its stages by
/// [`crate::problem::TimeSlabs::stage_share`]. `on_iteration(k, s, …)` sees every
/// iteration of stage `s` (1-based) of slab `k`. Checkpoints are written during a slab's
/// first stage only (its iterate is the slab's network then).
///
/// # Errors
/// An invalid solver configuration, or a slab or stage problem that cannot be built.
#[allow(clippy::too_many_lines)]
pub fn run_slabs_staged(
    problem: &Problem,
    config: &SolverConfig,
    theta0: &[f64],
    stages: usize,
    stage_config: impl Fn(usize, &SolverConfig) -> SolverConfig,
    mut checkpoint: Option<CheckpointPlan<'_>>,
    mut on_iteration: impl FnMut(usize, usize, &IterationRecord, &[f64], Option<f64>) -> ControlFlow<()>,
) -> Result<RunOutcome, String> {
    let slabs = problem
        .time_slabs
        .as_ref()
        .expect("a problem with [time_slabs]");
    assert!(
        stages == 1 || slabs.built_in_handover,
        "correction stages in slabs need the built-in hand-over"
    );
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
        let slab = if slabs.built_in_handover {
            let sums = slab_sums(problem, &records)?;
            problem.slab_problem_after_sums(k, &sums)
        } else {
            let earlier: Vec<Vec<f64>> = records.iter().map(|r| r.params.clone()).collect();
            problem.slab_problem_after(k, &earlier)
        }
        .map_err(|e| e.to_string())?;
        let mut cfg = slabs.slab_config(k, config);
        let slab_start = Instant::now();
        let mut slab_time = None;
        if let Some(total) = config.termination.time_limit_seconds {
            let left = (total - start.elapsed().as_secs_f64()).max(1e-3);
            let (share, rest) = slabs.time_share(k);
            let t = left * share / rest;
            slab_time = Some(t);
            cfg.termination.time_limit_seconds = Some(if stages > 1 {
                let (v, vs) = slabs.stage_share(1, stages);
                t * v / vs
            } else {
                t
            });
        }
        let stop = Cell::new(false);
        let offset = start.elapsed().as_secs_f64();
        let finished = records.clone();
        let history_so_far = History::from_columns(columns.clone()).ok();
        let start_from = match &memory {
            Some(earlier) => Start::WithMemory(&theta, earlier),
            None => Start::Params(&theta),
        };
        let first = run_from(&slab, &cfg, start_from, None, None, |rec, th, rel| {
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
                        corrections: Vec::new(),
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
            let flow = on_iteration(k, 1, &whole, th, rel);
            if flow.is_break() {
                stop.set(true);
            }
            flow
        })?;
        let s1 = first.summary.clone();
        accepted += s1.accepted_steps;
        rejected += s1.rejected_steps;
        invalid += s1.invalid_steps;
        initial_loss.get_or_insert(s1.initial_loss);
        let slab_theta = first.theta.clone();
        let (outcome, stage_records) = if stages > 1 && !stop.get() {
            let steps = Cell::new((0, 0, 0));
            let (out, recs) = run_corrections(
                &slab,
                first,
                stages,
                |setup, frozen| Ok(slab.correction_problem(setup, frozen)),
                |s, c| {
                    let mut c = stage_config(s, c);
                    if let Some(t) = slab_time {
                        let left = (t - slab_start.elapsed().as_secs_f64()).max(1e-3);
                        let (v, vs) = slabs.stage_share(s, stages);
                        c.termination.time_limit_seconds = Some(left * v / vs);
                    }
                    c
                },
                |s, rec, th, rel| {
                    let mut whole = rec.clone();
                    whole.total_time = start.elapsed().as_secs_f64();
                    let flow = on_iteration(k, s, &whole, th, rel);
                    if flow.is_break() {
                        stop.set(true);
                    }
                    flow
                },
                |o| {
                    let (a, r, i) = steps.get();
                    steps.set((
                        a + o.summary.accepted_steps,
                        r + o.summary.rejected_steps,
                        i + o.summary.invalid_steps,
                    ));
                },
            )?;
            let (a, r, i) = steps.get();
            accepted += a;
            rejected += r;
            invalid += i;
            (out, Some(recs))
        } else {
            (first, None)
        };
        // The slab's history: each stage's, in order, on the march's clock.
        let stage_histories: Vec<(History, f64)> = match &stage_records {
            None => vec![(outcome.result.history.clone(), offset)],
            Some(recs) => {
                let mut at = offset;
                recs.iter()
                    .map(|r| {
                        let h = (r.history.clone(), at);
                        at += r.wall_time_s;
                        h
                    })
                    .collect()
            }
        };
        for (hist, shift_by) in &stage_histories {
            let n = hist.len();
            let mut names: Vec<String> = hist.columns().map(|(c, _)| c.to_string()).collect();
            names.push("slab".into());
            if columns.is_empty() {
                columns = names.iter().map(|c| (c.clone(), Vec::new())).collect();
            }
            for (c, v) in hist.columns() {
                let shift = if c == "wall_time_s" { *shift_by } else { 0.0 };
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
        }
        let s = &outcome.summary;
        let corrections: Vec<StageRecord> = stage_records
            .as_ref()
            .map(|r| r[1..].to_vec())
            .unwrap_or_default();
        let iterations = match &stage_records {
            None => s.iterations as u64,
            Some(recs) => recs.iter().map(|r| r.iterations).sum(),
        };
        done_iterations += iterations;
        records.push(SlabRecord {
            params: slab_theta.clone(),
            iterations,
            final_loss: s.final_loss,
            termination: format!("{:?}", s.termination),
            corrections,
        });
        outcomes.push(SlabOutcome {
            interval: slabs.interval(k),
            iterations: usize::try_from(iterations).unwrap_or(usize::MAX),
            final_loss: s.final_loss,
            termination: format!("{:?}", s.termination),
            rel_l2: None,
            stages: stage_records
                .iter()
                .flatten()
                .map(|r| SlabStageOutcome {
                    iterations: r.iterations,
                    final_loss: r.final_loss,
                    epsilon: r.epsilon,
                })
                .collect(),
        });
        theta = slab_theta;
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
