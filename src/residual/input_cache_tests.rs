//! The model's stored input jets: the same bits as computing them every time, through
//! every evaluation, whole solves and point changes.

use std::path::Path;

use faer::Mat;
use pinn_solvers::{LeastSquares, solve};

use crate::presets::preset;
use crate::problem::{Problem, build_problem, parse_spec};
use crate::residual::ResidualModel;

/// Viscous Burgers on `[0, 1] × [−1, 1]` with x embedded as 2-periodic features (as in
/// the shipped Burgers problems), small enough for a few iterations of any solver.
/// `COLLOCATION` and `ADAPTIVE` are replaced by the resampling settings, `FOURIER` by
/// more embedding keys.
const BURGERS: &str = r#"
outputs = ["u"]

[constants]
nu = 0.05

[domain]
variables = ["t", "x"]
bounds = [[0.0, 1.0], [-1.0, 1.0]]
time = "t"

[[blocks]]
name = "interior"
kind = "pde"
equation = "u_t + u*u_x - nu*u_xx"
points = { count = 300, sampler = "lhs" }
ADAPTIVE

[[blocks]]
name = "initial"
kind = "initial"
value = "-sin(pi*x)"
points = { count = 40, sampler = "uniform" }

[model]
layers = [2, 8, 8, 1]
activation = "tanh"
seed = 2

[model.embedding]
periodic = { x = 2.0 }
FOURIER

[collocation]
seed = 4
COLLOCATION
"#;

/// The resampling variants: none, fresh draws every 2 iterations, RAD every 2.
const VARIANTS: [(&str, &str, &str); 3] = [
    ("fixed points", "", ""),
    ("re-drawn", "", "resample_every = 2"),
    (
        "RAD",
        r#"adaptive = { method = "rad", pool = 1200, k = 1, c = 1 }"#,
        "resample_every = 2",
    ),
];

fn burgers(adaptive: &str, collocation: &str, fourier: bool) -> Problem {
    let fourier = if fourier {
        "fourier = { count = 6, scale = 1.0, seed = 3 }"
    } else {
        ""
    };
    let text = BURGERS
        .replace("ADAPTIVE", adaptive)
        .replace("COLLOCATION", collocation)
        .replace("FOURIER", fourier);
    let path = Path::new("burgers-embedded.toml");
    let spec = parse_spec(path, &text).expect("spec");
    build_problem(path, &text, spec).expect("problem")
}

fn bits(v: &[f64]) -> Vec<u64> {
    v.iter().map(|x| x.to_bits()).collect()
}

fn mat_bits(m: &Mat<f64>) -> Vec<u64> {
    (0..m.ncols())
        .flat_map(|j| (0..m.nrows()).map(move |i| m[(i, j)].to_bits()))
        .collect()
}

fn bypassed(mut model: ResidualModel) -> ResidualModel {
    model.bypass_input_jets();
    assert_eq!(model.input_jet_bytes(), 0);
    model
}

/// Every evaluation of `a` and `b` at θ: the same bits (residuals, batched residuals,
/// `J`, blocks of `J`'s rows that cut through equations and chunks, `J·v`, `Jᵀ·w`, the
/// pointwise norms).
fn assert_same_evaluations(a: &ResidualModel, b: &ResidualModel, theta: &[f64], what: &str) {
    let (n, p) = (a.n_residuals(), a.n_params());
    let res = |m: &ResidualModel| {
        let mut r = vec![0.0; n];
        m.residuals(theta, &mut r);
        r
    };
    assert_eq!(bits(&res(a)), bits(&res(b)), "{what}: r");
    let other: Vec<f64> = theta.iter().map(|t| 1.1 * t).collect();
    let many = |m: &ResidualModel| {
        let mut r = vec![0.0; 2 * n];
        m.residuals_many(&[theta, &other], &mut r);
        r
    };
    assert_eq!(bits(&many(a)), bits(&many(b)), "{what}: batched r");
    let rj = |m: &ResidualModel| {
        let (mut r, mut j) = (vec![0.0; n], Mat::<f64>::zeros(n, p));
        m.residuals_and_jacobian(theta, &mut r, j.as_mut());
        (r, j)
    };
    let ((ra, ja), (rb, jb)) = (rj(a), rj(b));
    assert_eq!(bits(&ra), bits(&rb), "{what}: r with J");
    assert_eq!(mat_bits(&ja), mat_bits(&jb), "{what}: J");
    for rows in [0..n, 17..n - 3, 1..2, 290..330] {
        let block = |m: &ResidualModel| {
            let (mut r, mut j) = (vec![0.0; rows.len()], Mat::<f64>::zeros(rows.len(), p));
            m.jacobian_rows(theta, rows.clone(), &mut r, j.as_mut());
            (r, j)
        };
        let ((ra, ja), (rb, jb)) = (block(a), block(b));
        assert_eq!(bits(&ra), bits(&rb), "{what}: rows {rows:?}");
        assert_eq!(mat_bits(&ja), mat_bits(&jb), "{what}: J rows {rows:?}");
    }
    let v: Vec<f64> = (0..p).map(|i| (0.3 * i as f64).cos()).collect();
    let jvp = |m: &ResidualModel| {
        let mut o = vec![0.0; n];
        m.jvp(theta, &v, &mut o);
        o
    };
    assert_eq!(bits(&jvp(a)), bits(&jvp(b)), "{what}: J·v");
    let w: Vec<f64> = (0..n).map(|i| (0.7 * i as f64).sin()).collect();
    let vjp = |m: &ResidualModel| {
        let mut o = vec![0.0; p];
        m.vjp(theta, &w, &mut o);
        o
    };
    assert_eq!(bits(&vjp(a)), bits(&vjp(b)), "{what}: Jᵀ·w");
    for blk in 0..a.blocks().len() {
        let (na, nb) = (a.point_norms(blk, theta), b.point_norms(blk, theta));
        assert_eq!(bits(&na), bits(&nb), "{what}: norms of block {blk}");
    }
}

/// The interior block reads u, u_t, u_x, u_xx: 4 slots of the 3 embedded inputs (t,
/// cos πx, sin πx) at 300 points; the initial block u alone at 40. 8 bytes each.
#[test]
fn the_stored_jets_take_8_bytes_per_input_slot_and_point() {
    let model = burgers("", "", false).residual_model();
    assert_eq!(model.input_jet_bytes(), 8 * 3 * (4 * 300 + 40));
}

/// Every evaluation with the stored jets against the evaluation that computes them,
/// with periodic features alone and with Fourier features on top, after changes of
/// points by every route: re-drawn points, RAD, `set_points`. After each change the
/// model also equals a model built afresh on its new points.
#[test]
fn stored_jets_follow_every_change_of_points() {
    for fourier in [false, true] {
        for (name, adaptive, collocation) in VARIANTS {
            let problem = burgers(adaptive, collocation, fourier);
            let mut stored = problem.residual_model();
            let mut plain = bypassed(problem.residual_model());
            let theta = problem.initial_params();
            let what = format!("{name}, fourier {fourier}");
            assert_same_evaluations(&stored, &plain, &theta, &what);
            let before = stored.blocks()[0].points().to_owned();
            let mut r0 = vec![0.0; stored.n_residuals()];
            stored.residuals(&theta, &mut r0);
            if collocation.is_empty() {
                let moved = Mat::from_fn(300, 2, |i, j| before[(i, j)] * 0.9);
                stored.set_points(0, moved.clone()).unwrap();
                plain.set_points(0, moved).unwrap();
            } else {
                assert!(stored.resample(2, &theta) && plain.resample(2, &theta));
            }
            assert!(stored.blocks()[0].points() != before.as_ref(), "{what}");
            let what = format!("{what}, new points");
            assert_same_evaluations(&stored, &plain, &theta, &what);
            let mut r1 = vec![0.0; stored.n_residuals()];
            stored.residuals(&theta, &mut r1);
            assert!(bits(&r0) != bits(&r1), "{what}: the residuals moved");
            let fresh = ResidualModel::new(stored.mlp().clone(), stored.blocks().to_vec()).unwrap();
            assert_eq!(fresh.input_jet_bytes(), stored.input_jet_bytes());
            assert_same_evaluations(&stored, &fresh, &theta, &format!("{what}, fresh"));
        }
    }
}

/// A few iterations of Levenberg–Marquardt and of SSBroyden (whose line search
/// evaluates many trial points per iteration), with fixed points, re-drawn ones and
/// RAD: bitwise the same iterates with the stored jets as without.
#[test]
fn solves_are_bitwise_the_same_with_the_stored_jets() {
    for method in ["lm", "ssbroyden"] {
        for (name, adaptive, collocation) in VARIANTS {
            let problem = burgers(adaptive, collocation, method == "lm");
            let mut config = preset(method).expect("preset");
            config.termination.max_iterations = 7;
            let run = |mut model: ResidualModel| {
                let mut theta = problem.initial_params();
                let summary = solve(&mut model, &mut theta, &config);
                (theta, summary)
            };
            let (ta, sa) = run(problem.residual_model());
            let (tb, sb) = run(bypassed(problem.residual_model()));
            let what = format!("{method}, {name}");
            assert_eq!(sa.iterations, 7, "{what}: {:?}", sa.termination);
            assert_eq!(sa.iterations, sb.iterations, "{what}");
            assert_eq!(bits(&ta), bits(&tb), "{what}: θ");
            let losses = |s: &pinn_solvers::SolveSummary| {
                s.history
                    .iter()
                    .map(|h| h.loss.to_bits())
                    .collect::<Vec<_>>()
            };
            assert_eq!(losses(&sa), losses(&sb), "{what}: history");
            assert!(sa.final_loss < sa.initial_loss, "{what}: it trained");
        }
    }
}
