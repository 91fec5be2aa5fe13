//! Multi-stage training (Wang & Lai, "Multi-stage neural networks: function approximator
//! of machine precision", J. Comput. Phys. 2024): stage 1 trains the problem's network
//! `N_1`; stage `k ≥ 2` trains a fresh network `N_k` so that `Σ_{j≤k} ε_j N_j` solves the
//! problem, the earlier stages frozen ([`crate::residual::frozen`]). A single network
//! stalls at an approximation floor; the correction starts where that floor is and, with
//! its own scale, has the whole f64 range for the remaining error.
//!
//! # The scale `ε_k` (the paper's section 3)
//! The correction should be `O(1)` in its own network, so `ε_k` is the size of what is
//! left to correct. Without assuming an exact solution we estimate it from the residual:
//!
//! ```text
//!   ε_k = RMS(N_sum) · sqrt(L(sum) / L(0))
//! ```
//!
//! with `N_sum = Σ_{j<k} ε_j N_j` at the evaluation points, `L(sum)` the loss of the sum
//! and `L(0)` the loss of the zero network (whose residual is the data: the forcing,
//! boundary and initial values). For a linear problem the residual is the operator
//! applied to the error, so the ratio of residual norms is the ratio of the error to the
//! solution, measured in the operator's norm; times the size of the solution it is the
//! size of the error. The error itself would need the exact solution, which the training
//! must not see (it is known only for benchmarks); the residual is known everywhere. The
//! value used is stored (`/stages/stage_<k>@epsilon`).
//!
//! # The first-layer scale `κ_k`
//! The remaining error oscillates faster than the solution; a `sin` network whose first
//! layer has Xavier-sized weights represents only slow functions at first. So the
//! dominant frequency `f_d` of the previous sum's PDE residual at its collocation points
//! is measured and the first layer's initial weights are multiplied by `κ = max(1, 2π
//! f_d)` (`f_d` in cycles per unit length), as the paper does. The points are scattered,
//! so the spectrum is a Schuster periodogram along each axis: for axis `j` of length
//! `L_j` and the frequencies `f = m / (2 L_j)`, `m = 1 … M` (`M = min(64, ⌊N^{1/d}⌋)`:
//! about `N^{1/d}` scattered points per axis resolve no more half-cycles per side),
//! `P_j(f) = |Σ_i (r_i − r̄) e^{−2πi f x_ij}|²`, and `f_d` is the frequency of the
//! largest `P_j(f) / (2πf)^{2p}` over all axes, `p` the PDE's derivative order: the
//! residual is the operator applied to the error, which multiplies a mode of frequency
//! `f` by about `(2πf)^p`, so dividing by the symbol's square turns the residual's
//! spectrum into the error's, whose frequency the correction must represent. `κ` is applied for `sin` only (other activations keep
//! `κ = 1`); both `f_d` and `κ` are stored.

use std::ops::ControlFlow;
use std::time::Instant;

use faer::MatRef;
use pinn_solvers::{IterationRecord, LeastSquares, SolverConfig};

use crate::model::Activation;
use crate::output::{StageRecord, StagesRecord};
use crate::problem::{Problem, StageSetup};
use crate::residual::{BlockKind, FrozenStage, FrozenStages};
use crate::run::{RunOutcome, run};

/// The highest periodogram index `M` (frequencies up to `M / (2 L_j)`).
pub const MAX_FREQUENCY_INDEX: usize = 64;

/// `ε_k = RMS(N_sum) · sqrt(L(sum) / L(0))` (see the module docs); 1 when either
/// factor is zero or not finite (nothing to scale by).
pub fn stage_scale(rms_sum: f64, loss_sum: f64, loss_zero: f64) -> f64 {
    let eps = rms_sum * (loss_sum / loss_zero).sqrt();
    if eps.is_finite() && eps > 0.0 {
        eps
    } else {
        1.0
    }
}

/// The dominant frequency (cycles per unit length) of the values `r` at the scattered
/// `points` (`N × d`) in a box with side lengths `lengths`: the peak of the Schuster
/// periodogram along each axis divided by `(2πf)^(2·order)` (see the module docs). 0 for
/// constant values.
pub fn dominant_frequency(
    points: MatRef<'_, f64>,
    r: &[f64],
    lengths: &[f64],
    order: usize,
) -> f64 {
    let n = r.len();
    if n == 0 {
        return 0.0;
    }
    let mean = r.iter().sum::<f64>() / n as f64;
    // About n^(1/d) points per axis resolve m ≤ n^(1/d) half-cycles per side (Nyquist).
    let per_axis = (n as f64).powf(1.0 / lengths.len().max(1) as f64).floor() as usize;
    let top = MAX_FREQUENCY_INDEX.min(per_axis).max(1);
    let (mut best, mut f_best) = (0.0, 0.0);
    for (j, &len) in lengths.iter().enumerate() {
        if len <= 0.0 {
            continue;
        }
        for m in 1..=top {
            let f = m as f64 / (2.0 * len);
            let w = 2.0 * std::f64::consts::PI * f;
            let (mut re, mut im) = (0.0, 0.0);
            for (i, ri) in r.iter().enumerate() {
                let (s, c) = (w * points[(i, j)]).sin_cos();
                re += (ri - mean) * c;
                im -= (ri - mean) * s;
            }
            let p = (re * re + im * im) / w.powi(2 * order as i32);
            if p > best {
                (best, f_best) = (p, f);
            }
        }
    }
    f_best
}

/// The PDE residual of `problem`'s sum at `theta` at the points of its largest `pde`
/// block (first equation), with those points; `None` without a `pde` block.
fn pde_residual(problem: &Problem, theta: &[f64]) -> Option<(faer::Mat<f64>, Vec<f64>, usize)> {
    let model = problem.residual_model();
    let b = (0..model.blocks().len())
        .filter(|&b| matches!(model.blocks()[b].kind(), BlockKind::Pde { .. }))
        .max_by_key(|&b| model.blocks()[b].n_points())?;
    let mut r = vec![0.0; model.n_residuals()];
    model.residuals(theta, &mut r);
    let rows = model.block_rows(b);
    let n = model.blocks()[b].n_points();
    let block = &model.blocks()[b];
    let order = block
        .row_groups()
        .iter()
        .flat_map(|g| &g.terms)
        .flat_map(|t| t.residual.channels())
        .map(channel_order)
        .max()
        .unwrap_or(0);
    let points = block.points().to_owned();
    Some((points, r[rows.start..rows.start + n].to_vec(), order))
}

/// The derivative order of a channel.
fn channel_order(c: &crate::residual::Channel) -> usize {
    use crate::residual::Channel;
    match c {
        Channel::Value { .. } => 0,
        Channel::First { .. } => 1,
        Channel::Second { .. } | Channel::Laplacian { .. } => 2,
        Channel::Higher { vars, .. } => vars.order(),
    }
}

/// `ε`, `κ` and `f_d` for the stage after the sum `problem` at `theta` (whose zero
/// network has loss `loss_zero`).
pub fn next_stage_scales(
    problem: &Problem,
    theta: &[f64],
    loss_zero: f64,
    activation: Activation,
) -> (f64, f64, f64) {
    let n_sum = problem.network_sum(theta, problem.evaluation.as_ref());
    let count = (n_sum.nrows() * n_sum.ncols()).max(1) as f64;
    let rms = (n_sum.norm_l2().powi(2) / count).sqrt();
    let loss = problem.residual_model().loss(theta);
    let eps = stage_scale(rms, loss, loss_zero);
    let lengths: Vec<f64> = problem
        .domain
        .lo()
        .iter()
        .zip(problem.domain.hi())
        .map(|(lo, hi)| hi - lo)
        .collect();
    let freq = pde_residual(problem, theta).map_or(0.0, |(p, r, order)| {
        dominant_frequency(p.as_ref(), &r, &lengths, order)
    });
    let kappa = if activation == Activation::Sin {
        (2.0 * std::f64::consts::PI * freq).max(1.0)
    } else {
        1.0
    };
    (eps, kappa, freq)
}

/// The initial θ of a stage: its seeded initialisation with the first layer's weights
/// multiplied by `κ`.
pub fn stage_initial_params(setup: &StageSetup, kappa: f64) -> Vec<f64> {
    let mut theta = setup.mlp.init(setup.init, setup.init_seed);
    let (n_in, n_out) = (setup.mlp.layers()[0], setup.mlp.layers()[1]);
    let off = setup.mlp.layer_offset(0);
    theta[off..off + n_in * n_out]
        .iter_mut()
        .for_each(|w| *w *= kappa);
    theta
}

fn record(
    problem: &Problem,
    out: &RunOutcome,
    preset: &str,
    (epsilon, kappa, frequency): (f64, f64, f64),
) -> StageRecord {
    StageRecord {
        layers: problem.mlp.layers().to_vec(),
        activation: format!("{:?}", problem.mlp.activation()).to_lowercase(),
        params: out.theta.clone(),
        epsilon,
        kappa,
        frequency,
        preset: preset.to_string(),
        iterations: out.result.metrics.iterations,
        final_loss: out.summary.final_loss,
        termination: out.result.metrics.termination.clone(),
        rel_l2: out.result.metrics.rel_l2.unwrap_or(f64::NAN),
        wall_time_s: out.result.metrics.wall_time_s,
        history: out.result.history.clone(),
    }
}

/// Runs `count ≥ 1` stages of `problem` (stage `k ≥ 2` set up by
/// [`Problem::stage_setup`]): stage 1 from `theta0` with `config`, stage `k` from
/// [`stage_initial_params`] with `stage_config(k, its settings)`. `on_iteration(k, …)`
/// sees every iteration of stage `k`; returning `Break` ends that stage and the run. The
/// outcome's result is that of the last stage kept (its evaluation, metrics and loss are
/// those of the sum) with `/stages` filled in. A stage whose final loss is not below the
/// loss of the sum without it is left out, the stages after it are not run, and the
/// outcome's notes say so.
///
/// # Errors
/// An invalid solver configuration, or a stage whose problem does not build.
pub fn run_stages(
    problem: &Problem,
    config: &SolverConfig,
    theta0: &[f64],
    count: usize,
    stage_config: impl Fn(usize, &SolverConfig) -> SolverConfig,
    mut on_iteration: impl FnMut(usize, &IterationRecord, &[f64], Option<f64>) -> ControlFlow<()>,
) -> Result<RunOutcome, String> {
    let clock = Instant::now();
    let mut stopped = false;
    let first = run(problem, config, theta0, None, |rec, theta, rel| {
        let flow = on_iteration(1, rec, theta, rel);
        stopped |= flow.is_break();
        flow
    })?;
    let make = |setup: &StageSetup, frozen: FrozenStages| {
        problem
            .stage_problem(setup, frozen)
            .map_err(|e| e.to_string())
    };
    let (mut out, records) = if stopped {
        let records = vec![record(
            problem,
            &first,
            &problem.preset,
            (1.0, 1.0, f64::NAN),
        )];
        (first, records)
    } else {
        run_corrections(
            problem,
            first,
            count,
            make,
            stage_config,
            on_iteration,
            |_| {},
        )?
    };
    out.result.metrics.iterations = records.iter().map(|r| r.iterations).sum();
    out.result.metrics.wall_time_s = clock.elapsed().as_secs_f64();
    // A multi-stage run is not resumed (its solver state is the last stage's only).
    out.result.state = None;
    out.result.stages = Some(StagesRecord { stages: records });
    Ok(out)
}

/// Stages `2 ..= count` after `first`, the outcome of stage 1 on `problem`: stage `k`'s
/// problem is `make(setup, frozen)` (the stages before it frozen), its solver settings
/// `stage_config(k, the setup's settings)`, its start [`stage_initial_params`]. Returns
/// the outcome of the last stage kept (with the notes of a stage left out, and
/// `zero_loss` that of stage 1) and every kept stage's record, stage 1's first. A
/// stage's `on_iteration` returning `Break` ends it and runs no more stages; `observe`
/// sees the outcome of every correction run, kept or not.
///
/// # Errors
/// An invalid solver configuration, or a stage whose problem does not build.
pub fn run_corrections(
    problem: &Problem,
    first: RunOutcome,
    count: usize,
    make: impl Fn(&StageSetup, FrozenStages) -> Result<Problem, String>,
    stage_config: impl Fn(usize, &SolverConfig) -> SolverConfig,
    mut on_iteration: impl FnMut(usize, &IterationRecord, &[f64], Option<f64>) -> ControlFlow<()>,
    mut observe: impl FnMut(&RunOutcome),
) -> Result<(RunOutcome, Vec<StageRecord>), String> {
    let mut stopped = false;
    let mut out = first;
    let loss_zero = out.zero_loss;
    let mut records = vec![record(problem, &out, &problem.preset, (1.0, 1.0, f64::NAN))];
    let mut frozen = vec![FrozenStage {
        mlp: problem.mlp.clone(),
        theta: out.theta.clone(),
        epsilon: 1.0,
    }];
    let mut current: Option<Problem> = None;
    let mut notes = Vec::new();
    for k in 2..=count {
        if stopped {
            break;
        }
        let setup = problem.stage_setup(k);
        let prev = current.as_ref().unwrap_or(problem);
        let scales = next_stage_scales(prev, &out.theta, loss_zero, setup.mlp.activation());
        let stage = make(
            &setup,
            FrozenStages {
                stages: frozen.clone(),
                epsilon: scales.0,
            },
        )
        .map_err(|e| format!("stage {k}: {e}"))?;
        let theta0 = stage_initial_params(&setup, scales.1);
        let cfg = stage_config(k, &stage.config);
        let staged = run(&stage, &cfg, &theta0, None, |rec, theta, rel| {
            let flow = on_iteration(k, rec, theta, rel);
            stopped |= flow.is_break();
            flow
        })?;
        observe(&staged);
        // The correction's all-zero parameters give the previous sum exactly (a zero
        // output layer), so `zero_loss` is the previous sum's loss on the stage's final
        // points. A correction that ends above it (its random start never recovered)
        // would make the result worse than not running it: leave it out.
        let lowered = staged.summary.final_loss < staged.zero_loss; // false for NaN too
        if !lowered {
            notes.push(format!(
                "stage {k} did not lower the loss of the sum ({:.3e} with it, {:.3e} without \
                 it, on its points): it is left out and the result is the sum of stages 1 to {}{}",
                staged.summary.final_loss,
                staged.zero_loss,
                k - 1,
                if k < count {
                    "; the later stages were not run"
                } else {
                    ""
                }
            ));
            break;
        }
        out = staged;
        records.push(record(&stage, &out, &setup.preset, scales));
        frozen.push(FrozenStage {
            mlp: setup.mlp.clone(),
            theta: out.theta.clone(),
            epsilon: scales.0,
        });
        current = Some(stage);
    }
    out.notes.extend(notes);
    out.zero_loss = loss_zero;
    Ok((out, records))
}

/// The activation a result file names (`tanh`, `sin`, `softplus`, `sigmoid`).
fn activation_named(name: &str) -> Option<Activation> {
    [
        Activation::Tanh,
        Activation::Sin,
        Activation::Softplus,
        Activation::Sigmoid,
    ]
    .into_iter()
    .find(|a| format!("{a:?}").to_lowercase() == name)
}

/// The frozen stages `0 … upto − 1` of a stored run, their networks rebuilt from the
/// stored widths and activation with `problem`'s input embedding.
///
/// # Errors
/// A stored network that does not fit (unknown activation, widths, parameter count).
pub fn stored_frozen(
    problem: &Problem,
    record: &StagesRecord,
    upto: usize,
    epsilon: f64,
) -> Result<FrozenStages, String> {
    let mut stages = Vec::with_capacity(upto);
    for (k, st) in record.stages.iter().take(upto).enumerate() {
        stages.push(FrozenStage {
            mlp: stored_network(problem, st).map_err(|e| format!("stage {}: {e}", k + 1))?,
            theta: st.params.clone(),
            epsilon: st.epsilon,
        });
    }
    Ok(FrozenStages { stages, epsilon })
}

pub(crate) fn stored_network(
    problem: &Problem,
    st: &StageRecord,
) -> Result<crate::model::Mlp, String> {
    let act = activation_named(&st.activation)
        .ok_or_else(|| format!("unknown activation `{}`", st.activation))?;
    let mut layers = st.layers.clone();
    layers[0] = problem.mlp.n_inputs();
    let mlp = crate::model::Mlp::with_embedding(&layers, act, problem.mlp.embedding().clone())
        .map_err(|e| e.to_string())?;
    if mlp.layers() != st.layers.as_slice() || mlp.n_params() != st.params.len() {
        return Err(format!(
            "the stored network has layers {:?} and {} parameters, the problem builds {:?} \
             and {}",
            st.layers,
            st.params.len(),
            mlp.layers(),
            mlp.n_params()
        ));
    }
    Ok(mlp)
}

/// The problem of the last stage of a stored multi-stage run: `problem` (stage 1, as
/// rebuilt from the stored text) with the stored stages frozen before the last one and
/// the last one's network trainable, on the last stage's collocation points. Its
/// [`Problem::solution`] at the last stage's parameters is the stored sum.
///
/// # Errors
/// A stored stage whose network does not fit, or a problem that no longer builds.
pub fn stored_problem(problem: &Problem, record: &StagesRecord) -> Result<Option<Problem>, String> {
    let n = record.stages.len();
    if n < 2 {
        return Ok(None);
    }
    let last = &record.stages[n - 1];
    let frozen = stored_frozen(problem, record, n - 1, last.epsilon)?;
    let mut setup = problem.stage_setup(n);
    setup.mlp = stored_network(problem, last).map_err(|e| format!("stage {n}: {e}"))?;
    problem
        .stage_problem(&setup, frozen)
        .map(Some)
        .map_err(|e| e.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_periodogram_finds_the_frequency_of_scattered_samples() {
        // 3 cycles per unit length along y on [0, 2] × [0, 1], scattered points.
        let n = 200;
        let pts = faer::Mat::from_fn(n, 2, |i, j| {
            let t = ((i * 37 + 11) % n) as f64 / n as f64;
            if j == 0 {
                2.0 * t
            } else {
                ((i * 61 + 7) % n) as f64 / n as f64
            }
        });
        let r: Vec<f64> = (0..n)
            .map(|i| (2.0 * std::f64::consts::PI * 3.0 * pts[(i, 1)]).sin() + 0.5)
            .collect();
        let f = dominant_frequency(pts.as_ref(), &r, &[2.0, 1.0], 0);
        assert_eq!(f, 3.0);
        let flat = vec![1.0; n];
        assert_eq!(dominant_frequency(pts.as_ref(), &flat, &[2.0, 1.0], 0), 0.0);
        // Through a second-order operator the residual's 3 cycles weigh 81 times less
        // than a 1-cycle error of the same residual power: the error's frequency wins.
        let mixed: Vec<f64> = (0..n)
            .map(|i| {
                let y = pts[(i, 1)];
                (2.0 * std::f64::consts::PI * 3.0 * y).sin()
                    + 0.3 * (2.0 * std::f64::consts::PI * y).sin()
            })
            .collect();
        assert_eq!(
            dominant_frequency(pts.as_ref(), &mixed, &[2.0, 1.0], 0),
            3.0
        );
        // (A sine of 1 cycle leaks into the half-cycle of the periodogram's grid, which
        // the weight favours: the peak is at or below the error's frequency.)
        let f2 = dominant_frequency(pts.as_ref(), &mixed, &[2.0, 1.0], 2);
        assert!(f2 > 0.0 && f2 <= 1.0, "{f2}");
    }

    #[test]
    fn the_scale_is_the_solution_size_times_the_residual_ratio() {
        assert_eq!(stage_scale(2.0, 1e-8, 1e-2), 2.0 * 1e-3);
        assert_eq!(stage_scale(0.0, 1e-8, 1e-2), 1.0);
        assert_eq!(stage_scale(1.0, 1.0, 0.0), 1.0);
    }
}
