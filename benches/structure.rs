//! The cost of building structure into the network, per residual row: the Burgers
//! problem (`problems/burgers-soft.toml`: 2 → 20 × 4 → 1 tanh, residual
//! `u_t + u u_x − ν u_xx` on 10 000 points plus 100 initial/boundary rows) as it is,
//! with a periodic embedding of x (`[model.embedding] periodic = { x = 2.0 }`: the first
//! layer reads t, cos πx, sin πx), and with an output transform
//! (`[transform] u = "-sin(pi*x) + t*N"`, whose derivatives the jets carry through the
//! product rule), and with the embedding plus the odd symmetry in x
//! (`symmetry = { x = "odd" }`: the network averaged over x ↦ −x, two passes per point).
//! The same blocks and points in all four, so the times compare directly.
//!
//! - `residuals`: r(θ) alone;
//! - `residuals_and_jacobian`: r(θ) and the exact N × P Jacobian;
//! - `residuals_and_gradient`: r(θ) and Jᵀr from one sweep (the quasi-Newton methods'
//!   evaluation).
//!
//! The embedded variant reads the features' jets stored once for its points (the
//! model's store, as in every solve), so it times the network alone plus one copy.
//!
//! Results (per row = time / rows): benches/RESULTS.md, "Structure" and "Stored input
//! jets of the embedding".

use std::path::Path;

use divan::{Bencher, black_box};
use faer::Mat;
use pinn::problem::{Problem, build_problem, parse_spec};
use pinn_solvers::LeastSquares;

fn main() {
    divan::main();
}

const VARIANTS: [&str; 4] = ["plain", "embedding", "transform", "odd"];

fn burgers(variant: &str) -> Problem {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("problems/burgers-soft.toml");
    let text = std::fs::read_to_string(&path).expect("burgers-soft.toml");
    let text = match variant {
        "plain" => text,
        "embedding" => text.replace(
            "[collocation]",
            "[model.embedding]\nperiodic = { x = 2.0 }\n\n[collocation]",
        ),
        "odd" => text.replace(
            "[collocation]",
            "[model.embedding]\nperiodic = { x = 2.0 }\nsymmetry = { x = \"odd\" }\n\n[collocation]",
        ),
        "transform" => text.replace(
            "outputs = [\"u\"]\n",
            "outputs = [\"u\"]\n\n[transform]\nu = \"-sin(pi*x) + t*N\"\n",
        ),
        _ => unreachable!("unknown variant {variant}"),
    };
    let spec = parse_spec(&path, &text).expect("spec");
    let problem = build_problem(&path, &text, spec).expect("problem");
    assert_eq!(
        problem.mlp.embedding().is_identity(),
        variant != "embedding" && variant != "odd",
        "{variant}: embedding"
    );
    assert_eq!(
        problem.transform.is_identity(),
        variant != "transform",
        "{variant}: transform"
    );
    problem
}

#[divan::bench(args = VARIANTS, max_time = 10)]
fn residuals(bencher: Bencher, variant: &str) {
    let problem = burgers(variant);
    let model = problem.residual_model();
    let theta = problem.initial_params();
    let mut r = vec![0.0; model.n_residuals()];
    bencher.bench_local(|| model.residuals(black_box(&theta), &mut r));
}

#[divan::bench(args = VARIANTS, max_time = 15)]
fn residuals_and_jacobian(bencher: Bencher, variant: &str) {
    let problem = burgers(variant);
    let model = problem.residual_model();
    let theta = problem.initial_params();
    let mut r = vec![0.0; model.n_residuals()];
    let mut j = Mat::<f64>::zeros(model.n_residuals(), model.n_params());
    bencher.bench_local(|| model.residuals_and_jacobian(black_box(&theta), &mut r, j.as_mut()));
}

#[divan::bench(args = VARIANTS, max_time = 10)]
fn residuals_and_gradient(bencher: Bencher, variant: &str) {
    let problem = burgers(variant);
    let model = problem.residual_model();
    let theta = problem.initial_params();
    let mut r = vec![0.0; model.n_residuals()];
    let mut g = vec![0.0; model.n_params()];
    bencher.bench_local(|| model.residuals_and_gradient(black_box(&theta), &mut r, &mut g));
}
