//! Correction stages in every time slab (`[[stages]]` with `[time_slabs] handover =
//! "built_in"`): each slab trains its network and then corrections with the earlier
//! stages frozen; the next slab starts exactly from the slab's sum of stages. A march
//! through `pinn solve` stores every slab's corrections, `pinn validate` and numpy
//! re-evaluate the sums, and the combinations that cannot work are refused with their
//! place in the file.

use crate::common::{
    assert_refused_at, assert_validate_and_numpy_agree, root, scratch, solve_with,
};

use std::path::{Path, PathBuf};

use faer::Mat;
use pinn::output::read;
use pinn::problem::load_problem;

/// The three-slab heat problem of `tests/problems/heat-slabs.toml` with the initial data
/// built in and, when `stages`, one `sin` correction stage per slab (`stage_shares`
/// 2 : 1), written to `dir`.
fn heat(dir: &Path, stages: bool) -> PathBuf {
    let text = std::fs::read_to_string(root().join("tests/problems/heat-slabs.toml")).unwrap();
    // Without its `name`, each copy is named after its file.
    let mut text = text
        .replace("name = \"heat-slabs\"\n", "")
        .replace("count = 3\n", "count = 3\nhandover = \"built_in\"\n");
    if stages {
        text = text.replace(
            "handover = \"built_in\"\n",
            "handover = \"built_in\"\nstage_shares = [2.0, 1.0]\n\n[[stages]]\nlayers = [2, 12, 1]\nactivation = \"sin\"\n",
        );
        assert!(text.contains("[[stages]]"));
    }
    let file = dir.join(if stages { "staged.toml" } else { "plain.toml" });
    std::fs::write(&file, text).unwrap();
    file
}

#[test]
fn slabs_with_corrections_continue_exactly_beat_the_plain_march_and_validate() {
    let d = scratch!("march");
    let (plain_h5, staged_h5) = (d.join("plain.h5"), d.join("staged.h5"));
    solve_with(&heat(&d, false), &plain_h5, &["--max-iters", "40"]);
    let staged_file = heat(&d, true);
    let text = solve_with(&staged_file, &staged_h5, &["--max-iters", "40"]);
    let plain = read(&plain_h5).unwrap();
    let staged = read(&staged_h5).unwrap();
    let (ps, ss) = (
        plain.time_slabs.as_ref().unwrap(),
        staged.time_slabs.as_ref().unwrap(),
    );
    assert_eq!(ss.slabs.len(), 3, "{text}");
    // Slab 1's first stage is the plain march's slab 1 (same start, points and
    // iterations); its correction lowers the loss of the sum.
    assert_eq!(ss.slabs[0].params, ps.slabs[0].params);
    for (k, s) in ss.slabs.iter().enumerate() {
        assert_eq!(s.corrections.len(), 1, "slab {}: {text}", k + 1);
        let c = &s.corrections[0];
        assert_eq!(c.layers, vec![2, 12, 1]);
        assert_eq!(c.activation, "sin");
        assert!(c.epsilon > 0.0 && c.epsilon < 1.0, "ε = {}", c.epsilon);
        assert!(c.final_loss == s.final_loss && c.iterations == 40);
        assert_eq!(s.iterations, 80, "two stages of 40");
        // The summary shows each stage's iterations, its scale and the sum's loss.
        let stage_2 = format!(
            "; stage 2 (ε = {:.2e}): 40 iterations, loss {:.2e}",
            c.epsilon, s.final_loss
        );
        assert!(
            text.contains("  stage 1: 40 iterations, loss ") && text.contains(&stage_2),
            "slab {}: {stage_2} in {text}",
            k + 1
        );
    }
    // The header names the slabs and their stages; the method and size are the last
    // stage's (the 2 → 12 → 1 correction: 49 parameters), and say so.
    assert!(
        text.contains("staged: 3 time slabs of 2 stages each for")
            && text.contains("  last stage: ")
            && text.contains("49 parameters, ")
            && text.contains(" residuals (last stage)"),
        "{text}"
    );
    assert!(
        ss.slabs[0].final_loss < 0.5 * ps.slabs[0].final_loss,
        "the correction lowers slab 1's loss: {:e} vs {:e}",
        ss.slabs[0].final_loss,
        ps.slabs[0].final_loss
    );
    let (rp, rs) = (
        plain.metrics.rel_l2.unwrap(),
        staged.metrics.rel_l2.unwrap(),
    );
    assert!(rs < rp, "rel L2 with corrections {rs:e}, without {rp:e}");

    // The march is continuous through the slab ends with the corrections in the sums.
    let problem = load_problem(&staged_file).unwrap();
    let sums = pinn::march::slab_sums(&problem, &ss.slabs).unwrap();
    assert!(sums.iter().all(|s| s.len() == 2));
    let at = |t: f64| Mat::from_fn(7, 2, |i, j| if j == 0 { t } else { 0.1 + 0.13 * i as f64 });
    for k in 1..3 {
        let t_k = ss.boundaries[k];
        let before = problem.slab_solution_of_sums(k - 1, &sums, at(t_k).as_ref());
        let after = problem.slab_solution_of_sums(k, &sums, at(t_k).as_ref());
        for i in 0..7 {
            let (a, b) = (before[(i, 0)], after[(i, 0)]);
            assert!((a - b).abs() <= 1e-14, "slab {k} point {i}: {a} vs {b}");
        }
    }
    // pinn validate re-evaluates every slab's sum and recomputes each slab's loss of the
    // sum; numpy evaluates the sums on its own.
    assert_validate_and_numpy_agree(&staged_h5);
    std::fs::remove_dir_all(&d).unwrap();
}

/// `pinn check`'s loader on `text` must fail with `want` in its message at `line:col`.
#[test]
fn stages_in_slabs_that_cannot_work_are_refused_with_their_place_in_the_file() {
    let d = scratch!("refused");
    let staged = std::fs::read_to_string(heat(&d, true)).unwrap();
    assert_refused_at(
        &d,
        "loss-handover",
        &staged.replace("handover = \"built_in\"\n", ""),
        "needs `handover = \"built_in\"`",
        "[[stages]]",
        1,
    );
    assert_refused_at(
        &d,
        "carried",
        &staged.replace(
            "handover = \"built_in\"\n",
            "handover = \"built_in\"\ncurvature = \"carried\"\n",
        ),
        "cannot carry the solver's curvature",
        "[[stages]]",
        1,
    );
    assert_refused_at(
        &d,
        "seed",
        &staged.replace(
            "activation = \"sin\"\n",
            "activation = \"sin\"\ncollocation_seed = 4\n",
        ),
        "`collocation_seed` is not used",
        "[[stages]]",
        1,
    );
    assert_refused_at(
        &d,
        "redraw",
        &staged.replace(
            "activation = \"sin\"\n",
            "activation = \"sin\"\nresample_every = 7\n",
        ),
        "`resample_every` is not used in `[[stages]]` with `[time_slabs]`",
        "resample_every = 7",
        18,
    );
    assert_refused_at(
        &d,
        "shares",
        &staged.replace(
            "stage_shares = [2.0, 1.0]",
            "stage_shares = [2.0, 1.0, 1.0]",
        ),
        "needs one share per stage (2",
        "stage_shares",
        16,
    );
    assert_refused_at(
        &d,
        "negative",
        &staged.replace("stage_shares = [2.0, 1.0]", "stage_shares = [2.0, -1.0]"),
        "a stage share must be a positive number",
        "stage_shares",
        22,
    );
    let plain = std::fs::read_to_string(heat(&d, false)).unwrap();
    assert_refused_at(
        &d,
        "no-stages",
        &plain.replace(
            "handover = \"built_in\"\n",
            "handover = \"built_in\"\nstage_shares = [1.0]\n",
        ),
        "the file has no `[[stages]]`",
        "stage_shares",
        16,
    );
    std::fs::remove_dir_all(&d).unwrap();
}
