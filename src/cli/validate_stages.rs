//! `pinn validate` of a multi-stage result: the last stage is `/model`, and the error of
//! the partial sum `Σ_{j≤k} ε_j N_j` after every stage is recomputed from the stored
//! networks and compared with the stored `rel_l2` of that stage.

use super::validate::agree;
use crate::output::{RunResult, StagesRecord};
use crate::problem::Problem;
use crate::residual::{FrozenStage, FrozenStages};

/// Checks `/stages` of `r` against `problem` (the last stage's problem, its earlier
/// stages frozen), reporting through `line(what, stored, recomputed, good)`.
pub(super) fn check(
    problem: &Problem,
    r: &RunResult,
    stored: &StagesRecord,
    line: &mut dyn FnMut(&str, String, String, bool),
) {
    let last = stored.stages.last().expect("the reader requires a stage");
    line(
        "/model/params",
        "last stage's".into(),
        if last.params == r.params {
            "same".into()
        } else {
            "differ".into()
        },
        last.params == r.params && last.layers == r.layers,
    );
    // Every stage as a frozen stage: the earlier ones from the problem, the last one from
    // /model.
    let mut all: Vec<FrozenStage> = problem
        .frozen
        .as_ref()
        .map(|f| f.stages.clone())
        .unwrap_or_default();
    all.push(FrozenStage {
        mlp: problem.mlp.clone(),
        theta: r.params.clone(),
        epsilon: last.epsilon,
    });
    let ok_count = all.len() == stored.stages.len();
    line(
        "stages",
        format!("{}", stored.stages.len()),
        format!("{}", all.len()),
        ok_count,
    );
    if !ok_count {
        return;
    }
    let points = r.evaluation.points.as_ref();
    let exact = problem.exact.as_ref().and_then(|e| e.at(points));
    for (k, st) in stored.stages.iter().enumerate() {
        let partial = FrozenStages {
            stages: all[..k].to_vec(),
            epsilon: all[k].epsilon,
        };
        let n = partial.sum(&all[k].mlp, &all[k].theta, points);
        let u = problem.transform.apply(points, n);
        let (stored_rel, recomputed) = match &exact {
            Some(ex) => (st.rel_l2, crate::output::rel_l2(&u, ex)),
            None => (st.rel_l2, f64::NAN),
        };
        let good = if exact.is_some() {
            agree(stored_rel, recomputed)
        } else {
            stored_rel.is_nan()
        };
        line(
            &format!("stage {} rel L2 of the sum", k + 1),
            format!("{stored_rel:.16e}"),
            format!("{recomputed:.16e}"),
            good,
        );
    }
    if let Some(rel) = r.metrics.rel_l2 {
        line(
            "last stage rel L2 = /metrics",
            format!("{:.16e}", last.rel_l2),
            format!("{rel:.16e}"),
            agree(last.rel_l2, rel),
        );
    }
}
