//! Seconds per factorisation of the `gn-probe` model on Burgers (`problems/burgers.toml`,
//! 10 050 residual rows × 1 361 parameters, at θ₀): the unsketched path (the whole
//! `N × P` Jacobian, thin QR, SVD of `R`) against the doubly sketched one (count sketch
//! of the rows, SRCT of the parameters, the core accumulated over macro-batches of
//! 2 048 rows of `J`, SVD of the core) at several sketch sizes. The Jacobian time is
//! given separately: both paths pay it once per iterate. Run with
//! `cargo bench --bench sketch_factor [-- REPS]`; results in benches/RESULTS.md,
//! "Sketched Gauss–Newton factorisation".

use std::path::Path;
use std::time::Instant;

use pinn::problem::load_problem;
use pinn_solvers::LeastSquares;
use pinn_solvers::faer::{Mat, Par};
use pinn_solvers::linalg::{AugmentedSolver, DenseSvd, SketchParams, SketchedSvd};

fn main() {
    let reps: usize = std::env::args()
        .skip(1)
        .find_map(|a| a.parse().ok())
        .unwrap_or(2);
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let problem = load_problem(&root.join("problems/burgers.toml")).expect("burgers loads");
    let model = problem.residual_model();
    let theta = problem.initial_params();
    let (n, p) = (model.n_residuals(), model.n_params());
    let par = Par::rayon(0);
    println!("burgers: N = {n}, P = {p}, {reps} repetitions, fastest shown");
    println!("| path | s₁ × s₂ | J (s) | factorisation (s) | total (s) |");
    println!("|---|---|---:|---:|---:|");
    let mut r = vec![0.0; n];
    let (mut best_j, mut best_f) = (f64::INFINITY, f64::INFINITY);
    for _ in 0..reps {
        let mut jac = Mat::<f64>::zeros(n, p);
        let t = Instant::now();
        model.residuals_and_jacobian(&theta, &mut r, jac.as_mut());
        best_j = best_j.min(t.elapsed().as_secs_f64());
        let mut svd = DenseSvd::new(n, p, par);
        let t = Instant::now();
        svd.factor(jac.as_ref(), &r, &vec![1.0; p]).expect("factor");
        best_f = best_f.min(t.elapsed().as_secs_f64());
    }
    println!(
        "| unsketched (QR + SVD of R) | {n} × {p} | {best_j:.2} | {best_f:.2} | {:.2} |",
        best_j + best_f
    );
    for (rows, cols) in [(800, 800), (2000, 2000), (2000, 400)] {
        let params = SketchParams {
            rows,
            cols,
            ..SketchParams::default()
        };
        let (mut best_j, mut best_total) = (f64::INFINITY, f64::INFINITY);
        let mut sizes = (0, 0);
        for rep in 0..reps {
            let mut sk = SketchedSvd::new(n, p, params, par);
            sk.redraw(rep as u64);
            sizes = sk.sizes();
            let mut jt = 0.0;
            let mut rb = Vec::new();
            let t = Instant::now();
            sk.factor_rows(&r, &vec![1.0; p], |range, out| {
                let c = Instant::now();
                rb.resize(range.len(), 0.0);
                model.jacobian_rows(&theta, range, &mut rb, out);
                jt += c.elapsed().as_secs_f64();
            })
            .expect("factor");
            best_total = best_total.min(t.elapsed().as_secs_f64());
            best_j = best_j.min(jt);
        }
        println!(
            "| sketched (batches of 2048 rows) | {} × {} | {best_j:.2} | {:.2} | {best_total:.2} |",
            sizes.0,
            sizes.1,
            best_total - best_j
        );
    }
}
