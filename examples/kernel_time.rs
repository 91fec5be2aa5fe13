//! CPU milliseconds per call of the pieces of an LM or ENGD iteration on one problem
//! (default `problems/poisson2d-engd.toml`), to see where an iteration's time goes.
//!
//! ```text
//! cargo run --release --example kernel_time -- [--problem FILE] [--seconds S]
//! ```
//!
//! Times, at the problem's θ₀, each for at least `S` CPU seconds (default 1):
//! `residuals` (one sweep), `line_search` (the 31 vectors `θ₀ + 2⁻ᵏ δ`, `k = 0…30`, of
//! ENGD's grid in one `residuals_many` batch), `jacobian` (`r` and `J`) and `gram`
//! (the lower triangle of `JᵀJ`, as the LM and ENGD matrices form it, on all threads
//! and as `gram_seq` on the calling thread), and prints `<name> <CPU ms per call> <wall
//! ms per call>`. CPU time is the whole process's (all threads, user +
//! system, `/proc/self/stat`), so it counts work, not waiting, on a loaded machine; run
//! with `RAYON_NUM_THREADS=1` to time one core's work alone.

use std::path::{Path, PathBuf};

use pinn::problem::load_problem;
use pinn_solvers::LeastSquares;
use pinn_solvers::faer::{Mat, Par};
use pinn_solvers::linalg::normal_cholesky::gram_lower;

/// The benches' process clocks (`cpu_seconds`), shared rather than copied.
#[path = "../benches/common/mod.rs"]
mod common;
use common::cpu_seconds;

/// Calls `f` until `seconds` of CPU time have passed; returns `(CPU ms, wall ms)` per
/// call.
fn time(seconds: f64, mut f: impl FnMut()) -> (f64, f64) {
    f();
    let start = cpu_seconds();
    let wall = std::time::Instant::now();
    let mut calls = 0usize;
    loop {
        f();
        calls += 1;
        let used = cpu_seconds() - start;
        if used >= seconds || used.is_nan() {
            let per = |s: f64| 1e3 * s / calls as f64;
            return (per(used), per(wall.elapsed().as_secs_f64()));
        }
    }
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut problem_path =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("problems/poisson2d-engd.toml");
    let mut seconds = 1.0;
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        let value = args.next().ok_or(format!("{a} needs a value"))?;
        match a.as_str() {
            "--problem" => problem_path = PathBuf::from(value),
            "--seconds" => seconds = value.parse()?,
            other => return Err(format!("unknown argument `{other}`").into()),
        }
    }
    let problem = load_problem(&problem_path)?;
    let model = problem.residual_model();
    let theta = problem.initial_params();
    let (n, p) = (model.n_residuals(), model.n_params());
    let mut r = vec![0.0; n];
    let mut jac = Mat::<f64>::zeros(n, p);
    model.residuals_and_jacobian(&theta, &mut r, jac.as_mut());

    // A fixed direction of the size of an ENGD step near θ₀, and the log grid along it.
    let delta: Vec<f64> = (0..p).map(|k| 1e-2 * (0.7 * k as f64).sin()).collect();
    let thetas: Vec<Vec<f64>> = (0..31)
        .map(|k| {
            let eta = 0.5f64.powi(k);
            theta.iter().zip(&delta).map(|(t, d)| t + eta * d).collect()
        })
        .collect();
    let refs: Vec<&[f64]> = thetas.iter().map(Vec::as_slice).collect();
    let mut many = vec![0.0; refs.len() * n];
    let mut gram = Mat::<f64>::zeros(p, p);

    println!("{n} residuals, {p} parameters");
    let show = |name: &str, (cpu, wall): (f64, f64)| println!("{name} {cpu:.4} {wall:.4}");
    show(
        "residuals",
        time(seconds, || model.residuals(&theta, &mut r)),
    );
    show(
        "line_search",
        time(seconds, || model.residuals_many(&refs, &mut many)),
    );
    show(
        "jacobian",
        time(seconds, || {
            model.residuals_and_jacobian(&theta, &mut r, jac.as_mut())
        }),
    );
    for (name, par) in [("gram", Par::rayon(0)), ("gram_seq", Par::Seq)] {
        show(
            name,
            time(seconds, || gram_lower(gram.as_mut(), jac.as_ref(), par)),
        );
    }
    Ok(())
}
