//! Time slabs with the initial data built in (`[time_slabs] handover = "built_in"`):
//! each slab's solution `g + B_k + (t − t_k) N_k` continues the previous slab exactly,
//! its residuals are the PDE's at that solution, a march through `pinn solve` is
//! re-checked by `pinn validate` and by numpy, and the combinations it cannot build in
//! are refused with the place in the file.

use crate::common::{
    assert_refused_at, assert_validate_and_numpy_agree, python, root, scratch, solve_with,
};

use std::path::{Path, PathBuf};
use std::process::Command;

use faer::Mat;
use pinn::output::read;
use pinn::problem::load_problem;
use pinn::residual::BlockKind;
use pinn_solvers::LeastSquares;

/// The three-slab heat problem of `tests/problems/heat-slabs.toml` with its initial data
/// built in, written to `dir`.
fn built_in_heat(dir: &Path) -> PathBuf {
    let text = std::fs::read_to_string(root().join("tests/problems/heat-slabs.toml")).unwrap();
    let text = text
        .replace("name = \"heat-slabs\"", "name = \"heat-built-in\"")
        .replace("count = 3\n", "count = 3\nhandover = \"built_in\"\n");
    assert!(text.contains("handover = \"built_in\""));
    let file = dir.join("heat-built-in.toml");
    std::fs::write(&file, text).unwrap();
    file
}

/// Parameters for slabs 0, 1, 2 that are not a trained solution.
fn thetas(problem: &pinn::problem::Problem) -> Vec<Vec<f64>> {
    let p0 = problem.initial_params();
    (0..3)
        .map(|k| {
            p0.iter()
                .enumerate()
                .map(|(i, v)| v * (1.0 + 0.1 * k as f64) + 0.01 * ((i * (k + 3)) % 7) as f64)
                .collect()
        })
        .collect()
}

#[test]
fn every_slab_starts_exactly_where_the_previous_one_ends() {
    let d = scratch!("continuity");
    let problem = load_problem(&built_in_heat(&d)).unwrap();
    let slabs = problem.time_slabs.clone().unwrap();
    assert!(slabs.built_in_handover);
    let th = thetas(&problem);
    let x = Mat::from_fn(9, 1, |i, _| 0.1 * i as f64 + 0.05);
    let at = |t: f64| Mat::from_fn(9, 2, |i, j| if j == 0 { t } else { x[(i, 0)] });
    // Slab 0 holds the file's initial data at t = 0.
    let u0 = problem.slab_solution(0, &th, at(0.0).as_ref());
    for i in 0..9 {
        let g = (std::f64::consts::PI * x[(i, 0)]).sin();
        assert!((u0[(i, 0)] - g).abs() <= 1e-15, "{} vs {g}", u0[(i, 0)]);
    }
    for k in 1..3 {
        let t_k = slabs.boundaries[k];
        let before = problem.slab_solution(k - 1, &th, at(t_k).as_ref());
        let after = problem.slab_solution(k, &th, at(t_k).as_ref());
        for i in 0..9 {
            let (a, b) = (before[(i, 0)], after[(i, 0)]);
            assert!((a - b).abs() <= 1e-14, "slab {k} point {i}: {a} vs {b}");
        }
        // The slab problem's own solution is the march's, and it has no initial block.
        let slab = problem.slab_problem_after(k, &th[..k]).unwrap();
        assert!(
            !slab
                .blocks
                .iter()
                .any(|b| matches!(b.kind(), BlockKind::InitialValue { .. }))
        );
        let mid = at(0.5 * (t_k + slabs.boundaries[k + 1]));
        let own = slab.solution(&th[k], mid.as_ref());
        let march = problem.slab_solution(k, &th, mid.as_ref());
        assert_eq!(own, march);
    }
    std::fs::remove_dir_all(&d).unwrap();
}

/// The interior rows of slab 2 are `sqrt(w/N) (u_t − ¼ u_xx)` of the slab's solution,
/// checked against central differences of `slab_solution` (the channels of the earlier
/// slabs' end values enter `u_xx`, and not `u_t`); the boundary rows are `sqrt(w/N) u`.
#[test]
fn a_slabs_residuals_are_the_pde_at_its_built_in_solution() {
    let d = scratch!("residuals");
    let problem = load_problem(&built_in_heat(&d)).unwrap();
    let th = thetas(&problem);
    let slab = problem.slab_problem_after(2, &th[..2]).unwrap();
    let model = slab.residual_model();
    let mut r = vec![0.0; model.n_residuals()];
    model.residuals(&th[2], &mut r);
    let interior = &slab.blocks[0];
    assert_eq!(interior.name(), "interior");
    let pts = interior.points();
    let s = interior.scale();
    let u = |t: f64, x: f64| {
        let p = Mat::from_fn(1, 2, |_, j| if j == 0 { t } else { x });
        problem.slab_solution(2, &th, p.as_ref())[(0, 0)]
    };
    let (ht, hx) = (1e-5, 1e-3);
    let mut largest: f64 = 0.0;
    for i in 0..pts.nrows() {
        let (t, x) = (pts[(i, 0)], pts[(i, 1)]);
        let ut = (u(t + ht, x) - u(t - ht, x)) / (2.0 * ht);
        let uxx = (u(t, x + hx) - 2.0 * u(t, x) + u(t, x - hx)) / (hx * hx);
        let want = s * (ut - 0.25 * uxx);
        assert!(
            (r[i] - want).abs() <= 1e-5 * (1.0 + want.abs()),
            "point {i}: {} vs {want}",
            r[i]
        );
        largest = largest.max(want.abs());
    }
    assert!(largest > 1e-2, "residuals that vanish would test nothing");
    std::fs::remove_dir_all(&d).unwrap();
}

#[test]
fn a_built_in_march_is_accurate_and_valid() {
    let d = scratch!("march");
    let file = built_in_heat(&d);
    let out = d.join("heat.h5");
    solve_with(&file, &out, &["--max-iters", "100"]);
    let r = read(&out).unwrap();
    let slabs = r.time_slabs.as_ref().unwrap();
    assert_eq!(slabs.slabs.len(), 3);
    assert_eq!(slabs.initial_data, vec!["sin(pi*x)".to_string()]);
    let rel = r.metrics.rel_l2.unwrap();
    assert!(rel < 1e-2, "rel L2 {rel}");

    // Both re-checks evaluate slab k as g + B_k + (t − t_k) N_k.
    assert_validate_and_numpy_agree(&out);
    let py = Command::new(python::python())
        .arg(root().join("validation/check_result.py"))
        .arg(&out)
        .output()
        .unwrap();
    assert!(String::from_utf8_lossy(&py.stdout).contains("3 of 3 time slabs"));
    std::fs::remove_dir_all(&d).unwrap();
}

/// `pinn check FILE` on `text` (written as `name.toml` in `dir`) must fail with `want`
/// in its message, at `line:col` of the file.
#[test]
fn what_cannot_be_built_in_is_refused_with_its_place_in_the_file() {
    let d = scratch!("refused");
    let heat = std::fs::read_to_string(root().join("tests/problems/heat-slabs.toml")).unwrap();
    let with = |name: &str, text: &str| {
        text.replace("name = \"heat-slabs\"", &format!("name = \"{name}\""))
    };
    let bad_value =
        with("bad-value", &heat).replace("count = 3\n", "count = 3\nhandover = \"exact\"\n");
    assert_refused_at(
        &d,
        "bad-value",
        &bad_value,
        "`handover` must be \"loss\"",
        "handover",
        12,
    );

    let transform = with("transform", &heat)
        .replace("count = 3\n", "count = 3\nhandover = \"built_in\"\n")
        .replace("[exact]", "[transform]\nu = \"x*(1 - x)*N\"\n\n[exact]");
    assert_refused_at(
        &d,
        "transform",
        &transform,
        "an output transform cannot be combined",
        "u = \"x*(1",
        1,
    );

    let wave =
        std::fs::read_to_string(root().join("tests/problems/wave-slabs-small.toml")).unwrap();
    let wave = wave
        .replace("name = \"wave-slabs-small\"", "name = \"velocity\"")
        .replace("[time_slabs]\n", "[time_slabs]\nhandover = \"built_in\"\n");
    assert!(wave.contains("handover"));
    assert_refused_at(
        &d,
        "velocity",
        &wave,
        "an `initial_velocity` block cannot be combined",
        "kind = \"initial_velocity\"",
        8,
    );
    std::fs::remove_dir_all(&d).unwrap();
}
