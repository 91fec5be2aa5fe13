//! `pinn validate` of a time-slab result: every stored slab's network re-evaluated on
//! the evaluation points its slab owns, the errors recomputed, and each slab's loss
//! recomputed on its own problem (whose initial data come from the stored previous
//! slab).

use super::validate::{TOLERANCE, agree};
use crate::march::{per_slab_rel_l2, slab_evaluation};
use crate::output::RunResult;
use crate::problem::Problem;

/// Checks the slab part of `r` against `problem`, reporting through
/// `line(what, stored, recomputed, good)`.
pub(super) fn check(
    problem: &Problem,
    r: &RunResult,
    stored_error: Option<&faer::Mat<f64>>,
    line: &mut dyn FnMut(&str, String, String, bool),
) {
    let (Some(slabs), Some(stored)) = (&problem.time_slabs, &r.time_slabs) else {
        line(
            "time slabs",
            format!("{}", r.time_slabs.is_some()),
            format!("{}", problem.time_slabs.is_some()),
            false,
        );
        return;
    };
    let same_plan = slabs.boundaries == stored.boundaries && slabs.time_var == stored.time_variable;
    line(
        "time slab boundaries",
        format!("{:?}", stored.boundaries),
        format!("{:?}", slabs.boundaries),
        same_plan,
    );
    if !same_plan {
        return;
    }
    let last = stored.slabs.last().expect("the reader requires a slab");
    line(
        "/model/params",
        "last slab's".into(),
        if last.params == r.params {
            "same"
        } else {
            "differs"
        }
        .into(),
        last.params == r.params,
    );
    let sums = match crate::march::slab_sums(problem, &stored.slabs) {
        Ok(s) => s,
        Err(e) => {
            line("slab networks", "stored".into(), e, false);
            return;
        }
    };
    let mine = slab_evaluation(problem, &sums);
    let ev = &r.evaluation;
    let same_points = mine.points.nrows() == ev.points.nrows()
        && mine.points.ncols() == ev.points.ncols()
        && (0..ev.points.nrows()).all(|i| {
            (0..ev.points.ncols())
                .all(|j| mine.points[(i, j)].to_bits() == ev.points[(i, j)].to_bits())
        });
    line(
        "evaluation points",
        format!("{}", ev.points.nrows()),
        format!("{}", mine.points.nrows()),
        same_points,
    );
    if !same_points || mine.u.ncols() != ev.u.ncols() {
        return;
    }
    let du = (0..ev.u.nrows())
        .flat_map(|i| (0..ev.u.ncols()).map(move |k| (i, k)))
        .map(|(i, k)| (mine.u[(i, k)] - ev.u[(i, k)]).abs() / ev.u[(i, k)].abs().max(1.0))
        .fold(0.0, f64::max);
    line(
        "u at evaluation points",
        "/evaluation/u".into(),
        format!("max rel diff {du:.1e} (per slab)"),
        du <= TOLERANCE,
    );
    match (&mine.u_exact, &ev.u_exact) {
        (Some(exact), Some(stored_exact)) => {
            super::validate::check_errors(r, &mine.u, exact, stored_exact, stored_error, line);
            for (k, e) in per_slab_rel_l2(problem, &mine, sums.len())
                .into_iter()
                .enumerate()
            {
                if let Some(e) = e {
                    outln!("  slab {}: rel L2 {e:.3e} on its evaluation points", k + 1);
                }
            }
        }
        (None, None) => outln!("(no exact solution: no errors to check)"),
        _ => line(
            "exact solution present",
            format!("{}", ev.u_exact.is_some()),
            format!("{}", mine.u_exact.is_some()),
            false,
        ),
    }
    if problem.resample_every.is_some() {
        return;
    }
    // Each slab's loss on its own points, with the initial data of the stored slab
    // before it.
    for (k, s) in stored.slabs.iter().enumerate() {
        let what = format!("slab {} final_loss", k + 1);
        let slab = if slabs.built_in_handover {
            problem.slab_problem_after_sums(k, &sums[..k])
        } else {
            let earlier: Vec<Vec<f64>> =
                stored.slabs[..k].iter().map(|s| s.params.clone()).collect();
            problem.slab_problem_after(k, &earlier)
        };
        match slab {
            Ok(slab) => {
                // With corrections, the loss of the sum: the last stage trainable, the
                // ones before it frozen.
                let loss = match sums[k].split_last() {
                    Some((last, before)) if !before.is_empty() => {
                        let mut setup = slab.stage_setup(sums[k].len());
                        setup.mlp = last.mlp.clone();
                        let frozen = crate::residual::FrozenStages {
                            stages: before.to_vec(),
                            epsilon: last.epsilon,
                        };
                        slab.correction_problem(&setup, frozen)
                            .residual_model()
                            .loss(&last.theta)
                    }
                    _ => slab.residual_model().loss(&s.params),
                };
                line(
                    &what,
                    format!("{:.16e}", s.final_loss),
                    format!("{loss:.16e}"),
                    agree(s.final_loss, loss)
                        || (s.final_loss - loss).abs() <= 1e-12 * loss.max(1e-300) + 1e-30,
                );
            }
            Err(e) => line(&what, format!("{:.3e}", s.final_loss), e.to_string(), false),
        }
    }
}
