//! `pinn validate RESULT.h5`: recompute every stored error from the stored parameters,
//! points and problem text, and compare with what the file claims.

use std::path::Path;

use super::{EXIT_BAD_INPUT, EXIT_OK, EXIT_SOLVE_FAILED};
use crate::output::{RunResult, max_abs_error, per_output_errors, read, rel_l2};
use crate::problem::{LoadOptions, build_problem_with, parse_spec};
use crate::run::{describe_embedding, embedding_record};

/// Relative agreement required between a stored and a recomputed quantity. The
/// recomputation runs the same f64 code on the same inputs, so anything beyond a few
/// ulps means the file does not describe the run it claims to.
pub const TOLERANCE: f64 = 1e-12;

/// The checks of `/state` and `/provenance` (both optional): the state parses, holds
/// `/model/params` bit for bit, the stored loss and iteration count, one history entry
/// per `/history` row, and `n_rows` residuals; the provenance is consistent with it.
/// Each check is (quantity, stored, recomputed, agrees).
fn resumable(r: &RunResult, n_rows: usize) -> Vec<(&'static str, String, String, bool)> {
    let mut out = Vec::new();
    match &r.state {
        None => {
            outln!("(no solver state: the run cannot be resumed, only restarted with --init)")
        }
        Some(record) => match crate::resume::solver_state(record) {
            Err(e) => out.push(("solver state", "/state".into(), e, false)),
            Ok(s) => {
                let same_theta = s.iterate.theta.len() == r.params.len()
                    && s.iterate
                        .theta
                        .iter()
                        .zip(&r.params)
                        .all(|(a, b)| a.to_bits() == b.to_bits());
                out.push(("solver state", "/state".into(), "parses".into(), true));
                out.push((
                    "state parameters",
                    "/state/iterate.theta".into(),
                    if same_theta {
                        "= /model/params"
                    } else {
                        "≠ /model/params"
                    }
                    .into(),
                    same_theta,
                ));
                out.push((
                    "state loss",
                    format!("{:.16e}", s.iterate.loss),
                    format!("{:.16e}", r.metrics.final_loss),
                    s.iterate.loss.to_bits() == r.metrics.final_loss.to_bits(),
                ));
                out.push((
                    "state iterations",
                    if s.ledger.history.is_empty() {
                        format!("{} (records in /history)", s.ledger.iteration)
                    } else {
                        format!(
                            "{} ({} recorded)",
                            s.ledger.iteration,
                            s.ledger.history.len()
                        )
                    },
                    format!("{} ({} rows)", r.metrics.iterations, r.history.len()),
                    s.ledger.iteration as u64 == r.metrics.iterations
                        && (s.ledger.history.is_empty()
                            || s.ledger.history.len() == r.history.len()),
                ));
                out.push((
                    "state sizes N, P",
                    format!("{}, {}", s.n_residuals, s.n_params),
                    format!("{n_rows}, {}", r.params.len()),
                    (s.n_residuals, s.n_params) == (n_rows, r.params.len()),
                ));
            }
        },
    }
    if let Some(p) = &r.provenance {
        let source = p.source_file.as_deref().unwrap_or("none");
        outln!(
            "provenance: run {} started from {} ({source})",
            p.run_id,
            p.started_from
        );
        let known = ["random", "init", "resume"].contains(&p.started_from.as_str());
        let fits = p.first_iteration >= 0
            && (p.first_iteration as u64) <= r.metrics.iterations
            && (p.started_from == "resume" || p.first_iteration == 0)
            && (p.started_from == "random") == p.source_file.is_none();
        out.push((
            "provenance",
            format!("{}, iteration {}", p.started_from, p.first_iteration),
            if known && fits {
                "consistent"
            } else {
                "inconsistent"
            }
            .into(),
            known && fits,
        ));
    }
    out
}

/// The checks shared by plain and time-slab results, given the recomputed solution `u`
/// and exact solution `exact` at the evaluation points: the stored exact solution, the
/// rel L2 and max errors, and the per-output errors when the file has them.
pub(super) fn check_errors(
    r: &RunResult,
    u: &faer::Mat<f64>,
    exact: &faer::Mat<f64>,
    stored_exact: &faer::Mat<f64>,
    stored_error: Option<&faer::Mat<f64>>,
    line: &mut dyn FnMut(&str, String, String, bool),
) {
    let de = (0..exact.nrows())
        .flat_map(|i| (0..exact.ncols()).map(move |k| (i, k)))
        .map(|(i, k)| (exact[(i, k)] - stored_exact[(i, k)]).abs() / exact[(i, k)].abs().max(1.0))
        .fold(0.0, f64::max);
    line(
        "exact solution",
        "/evaluation/u_exact".into(),
        format!("max rel diff {de:.1e}"),
        de <= TOLERANCE,
    );
    // The stored pointwise error is derived data, but a reader plots it: it must be
    // u − u_exact as recomputed.
    if let Some(err) = stored_error {
        let shape_ok = (err.nrows(), err.ncols()) == (u.nrows(), u.ncols());
        let d = if shape_ok {
            (0..u.nrows())
                .flat_map(|i| (0..u.ncols()).map(move |k| (i, k)))
                .map(|(i, k)| {
                    let mine = u[(i, k)] - exact[(i, k)];
                    let diff = (err[(i, k)] - mine).abs();
                    if diff.is_nan() && !(err[(i, k)].is_nan() && mine.is_nan()) {
                        f64::INFINITY
                    } else if diff.is_nan() {
                        0.0
                    } else {
                        diff / exact[(i, k)].abs().max(1.0)
                    }
                })
                .fold(0.0, f64::max)
        } else {
            f64::INFINITY
        };
        line(
            "pointwise error",
            "/evaluation/error".into(),
            if shape_ok {
                format!("max rel diff {d:.1e}")
            } else {
                "shape differs".into()
            },
            d <= TOLERANCE,
        );
    }
    let (rel, max) = (rel_l2(u, exact), max_abs_error(u, exact));
    let (srel, smax) = (
        r.metrics.rel_l2.unwrap_or(f64::NAN),
        r.metrics.max_abs_error.unwrap_or(f64::NAN),
    );
    line(
        "rel_l2",
        format!("{srel:.16e}"),
        format!("{rel:.16e}"),
        agree(srel, rel),
    );
    line(
        "max_abs_error",
        format!("{smax:.16e}"),
        format!("{max:.16e}"),
        agree(smax, max),
    );
    // Per-output errors are optional (older files lack them).
    let (rels, maxes) = per_output_errors(u, exact);
    let stored = [
        ("rel_l2", &r.metrics.rel_l2_per_output, &rels),
        ("max_abs_error", &r.metrics.max_abs_error_per_output, &maxes),
    ];
    for (what, stored, mine) in stored {
        let Some(stored) = stored else { continue };
        for ((name, &s), &m) in r.evaluation.outputs.iter().zip(stored).zip(mine) {
            line(
                &format!("{what} of {name}"),
                format!("{s:.16e}"),
                format!("{m:.16e}"),
                agree(s, m),
            );
        }
    }
}

pub(super) fn agree(stored: f64, recomputed: f64) -> bool {
    // Equal values agree, infinities of the same sign included (a diverged run's loss);
    // otherwise both must be finite and within the relative tolerance.
    stored == recomputed
        || (stored.is_nan() && recomputed.is_nan())
        || (stored.is_finite()
            && recomputed.is_finite()
            && (stored - recomputed).abs()
                <= TOLERANCE * stored.abs().max(recomputed.abs()).max(f64::MIN_POSITIVE))
}

/// Runs `pinn validate`; returns the exit code (0 every claim reproduced, 1 a claim
/// differs, 2 the file cannot be read).
pub fn validate(path: &Path) -> i32 {
    let r = match read(path) {
        Ok(r) => r,
        Err(e) => {
            eprintln!("error: {e}");
            return EXIT_BAD_INPUT;
        }
    };
    let stored_error = match crate::output::read_stored_error(path) {
        Ok(e) => e,
        Err(e) => {
            eprintln!("error: {e}");
            return EXIT_BAD_INPUT;
        }
    };
    // Files the problem names (points, reference) are relative to the problem file:
    // resolve them from where it was when the run started, if recorded.
    let label = r
        .problem_file
        .as_ref()
        .map_or_else(|| path.join("config/problem"), std::path::PathBuf::from);
    let problem = match parse_spec(&label, &r.config_problem)
        .and_then(|s| build_problem_with(&label, &r.config_problem, s, &LoadOptions::embedded()))
    {
        Ok(p) => p,
        Err(mut e) => {
            // An error in the problem text is in the copy stored in the result file, not
            // in the file on disk it was read from (which may have changed since).
            if e.file == label {
                e.file = std::path::PathBuf::from(format!("{}:/config/problem", path.display()));
                eprintln!("{e}");
                eprintln!(
                    "note: the line and column are of the problem text stored in the result \
                     file (read from {} when the run started)",
                    label.display()
                );
            } else {
                eprintln!("{e}");
            }
            return EXIT_BAD_INPUT;
        }
    };
    let problem = match &r.stages {
        None => problem,
        Some(st) => match crate::stages::stored_problem(&problem, st) {
            Ok(p) => p.unwrap_or(problem),
            Err(e) => {
                eprintln!("{}: /stages: {e}", path.display());
                return EXIT_SOLVE_FAILED;
            }
        },
    };
    let mut ok = true;
    let mut line = |what: &str, stored: String, recomputed: String, good: bool| {
        outln!(
            "{:<28} {:>24} {:>24}  {}",
            what,
            stored,
            recomputed,
            if good { "ok" } else { "DIFFERS" }
        );
        ok &= good;
    };
    outln!("{:<28} {:>24} {:>24}", "quantity", "stored", "recomputed");
    let layers_ok =
        problem.mlp.layers() == r.layers.as_slice() && r.params.len() == problem.mlp.n_params();
    line(
        "network",
        format!("{:?}", r.layers),
        format!("{:?}", problem.mlp.layers()),
        layers_ok,
    );
    let activation = crate::run::activation_name(&problem.mlp);
    line(
        "activation",
        r.activation.clone(),
        activation.clone(),
        r.activation == activation,
    );
    // The embedding is stored (B itself for Fourier features): it must be the one the
    // problem text builds, bit for bit.
    let mine = embedding_record(&problem.mlp);
    let show = |e: Option<&crate::output::EmbeddingRecord>| {
        e.map_or_else(|| "none".to_string(), describe_embedding)
    };
    let embedding_ok = mine.as_ref() == r.embedding.as_ref();
    if embedding_ok {
        line("embedding", show(r.embedding.as_ref()), "same".into(), true);
    } else {
        line(
            "embedding",
            "/model/embedding".into(),
            "differs".into(),
            false,
        );
        outln!("  stored:     {}", show(r.embedding.as_ref()));
        outln!("  recomputed: {}", show(mine.as_ref()));
    }
    if !(layers_ok && embedding_ok) {
        return EXIT_SOLVE_FAILED;
    }
    let transform = problem.transform.sources();
    line(
        "output transform",
        format!("{:?}", r.transform),
        format!("{transform:?}"),
        r.transform == transform,
    );
    if problem.time_slabs.is_some() || r.time_slabs.is_some() {
        super::validate_slabs::check(&problem, &r, stored_error.as_ref(), &mut line);
    } else {
        let ev = &r.evaluation;
        let u = problem.solution(&r.params, ev.points.as_ref());
        let du = (0..u.nrows())
            .flat_map(|i| (0..u.ncols()).map(move |k| (i, k)))
            .map(|(i, k)| (u[(i, k)] - ev.u[(i, k)]).abs() / ev.u[(i, k)].abs().max(1.0))
            .fold(0.0, f64::max);
        line(
            "u at evaluation points",
            "/evaluation/u".into(),
            format!("max rel diff {du:.1e}"),
            du <= TOLERANCE,
        );
        match (&problem.exact, &ev.u_exact) {
            (Some(known), Some(stored_exact)) => {
                let Some(exact) = known.at(ev.points.as_ref()) else {
                    line(
                        "evaluation points",
                        "/evaluation/points".into(),
                        "not the reference points".into(),
                        false,
                    );
                    return EXIT_SOLVE_FAILED;
                };
                check_errors(
                    &r,
                    &u,
                    &exact,
                    stored_exact,
                    stored_error.as_ref(),
                    &mut line,
                );
            }
            (None, None) => outln!("(no exact solution: no errors to check)"),
            _ => line(
                "exact solution present",
                format!("{}", ev.u_exact.is_some()),
                format!("{}", problem.exact.is_some()),
                false,
            ),
        }
        let mut model = problem.residual_model();
        // The stored collocation points are the ones trained on; the loss there must match.
        let blocks_match = model.blocks().len() == r.collocation.len()
            && model
                .blocks()
                .iter()
                .zip(&r.collocation)
                .all(|(b, (name, pts))| b.name() == name && b.points().nrows() == pts.nrows());
        line(
            "collocation blocks",
            format!("{}", r.collocation.len()),
            format!("{}", model.blocks().len()),
            blocks_match,
        );
        // The stored RBA weights are the ones the final loss was taken with.
        let weighted: Vec<usize> = (0..model.blocks().len())
            .filter(|&b| model.point_weights(b).is_some())
            .collect();
        let weights_fit = weighted.len() == r.collocation_weights.len()
            && weighted
                .iter()
                .zip(&r.collocation_weights)
                .all(|(&b, (name, w))| {
                    model.blocks()[b].name() == name
                        && model.set_weight_values(b, w.clone()).is_ok()
                });
        if !(weighted.is_empty() && r.collocation_weights.is_empty()) {
            line(
                "point weights (RBA)",
                format!("{} blocks", r.collocation_weights.len()),
                format!("{} blocks", weighted.len()),
                weights_fit,
            );
        }
        if blocks_match && weights_fit && problem.resample_every.is_none() {
            // Fixed points are rebuilt from the seed and the points files: the stored
            // ones must be them, bit for bit (the loss below is computed on these).
            for (b, (name, pts)) in model.blocks().iter().zip(&r.collocation) {
                let mine = b.points();
                let same = (0..pts.nrows()).all(|i| {
                    (0..pts.ncols()).all(|k| pts[(i, k)].to_bits() == mine[(i, k)].to_bits())
                }) && pts.ncols() == mine.ncols();
                line(
                    &format!("points of {name}"),
                    format!("/collocation/{name}"),
                    if same { "same".into() } else { "differ".into() },
                    same,
                );
            }
            let loss = model.loss(&r.params);
            line(
                "final_loss",
                format!("{:.16e}", r.metrics.final_loss),
                format!("{loss:.16e}"),
                agree(r.metrics.final_loss, loss)
                    || (r.metrics.final_loss - loss).abs() <= 1e-12 * loss.max(1e-300) + 1e-30,
            );
        }
    }
    if let Some(st) = &r.stages {
        super::validate_stages::check(&problem, &r, st, &mut line);
    }
    // Every slab of a march has the file's point counts, so the rows are the same.
    let n_rows: usize = problem
        .residual_model()
        .blocks()
        .iter()
        .map(|b| b.n_rows())
        .sum();
    for (what, stored, recomputed, good) in resumable(&r, n_rows) {
        line(what, stored, recomputed, good);
    }
    if ok {
        outln!("{}: every stored quantity reproduced", path.display());
        EXIT_OK
    } else {
        outln!("{}: some stored quantities differ", path.display());
        EXIT_SOLVE_FAILED
    }
}

#[cfg(test)]
mod tests {
    use super::agree;

    #[test]
    fn equal_infinities_and_nans_agree_and_nothing_else_does() {
        assert!(agree(f64::INFINITY, f64::INFINITY));
        assert!(agree(f64::NAN, f64::NAN));
        assert!(!agree(f64::INFINITY, f64::NEG_INFINITY));
        assert!(!agree(f64::INFINITY, 1e300));
        assert!(!agree(f64::NAN, 1.0));
        assert!(agree(1.0, 1.0 + 1e-14));
        assert!(!agree(1.0, 1.0 + 1e-9));
        assert!(agree(0.0, 0.0));
    }
}
