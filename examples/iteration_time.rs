//! Milliseconds per iteration of LM and ENGD on one problem (default
//! `problems/poisson2d-engd.toml`), for the comparison with the JAX reference in
//! `benches/jax/`.
//!
//! ```text
//! cargo run --release --example iteration_time -- [--problem FILE] [--solver lm|engd]
//!     [--iters N] [--export DIR]
//! ```
//!
//! Every stopping test but the iteration budget is off, so each run does exactly `N`
//! iterations from the problem's θ₀. Prints one line per solver:
//! `ours <solver> <ms per iteration (median)> <ms (mean)> <final loss> <CPU ms per
//! iteration>`.
//! With `--export DIR`, writes θ₀ (`theta0.txt`, the documented θ layout), every
//! block's points (`points_<block>.txt`, one point per line) and the row scales
//! `sqrt(w_b / N_b)` (`scales.txt`, `<block> <scale>` per line) and `r(θ₀)` (`r0.txt`,
//! the rows in block order), so that another
//! implementation solves the same problem from the same start.

use std::path::{Path, PathBuf};
use std::time::Instant;

use pinn::problem::load_problem;
use pinn_solvers::{LeastSquares, Solver, SolverConfig};

/// The benches' process clocks (`cpu_seconds`), shared rather than copied.
#[path = "../benches/common/mod.rs"]
mod common;
use common::cpu_seconds;

struct Args {
    problem: PathBuf,
    solvers: Vec<String>,
    iters: usize,
    export: Option<PathBuf>,
}

fn parse_args() -> Result<Args, String> {
    let mut args = Args {
        problem: Path::new(env!("CARGO_MANIFEST_DIR")).join("problems/poisson2d-engd.toml"),
        solvers: vec!["lm".into(), "engd".into()],
        iters: 200,
        export: None,
    };
    let mut it = std::env::args().skip(1);
    while let Some(a) = it.next() {
        let mut value = || it.next().ok_or(format!("{a} needs a value"));
        match a.as_str() {
            "--problem" => args.problem = value()?.into(),
            "--solver" => args.solvers = vec![value()?],
            "--iters" => args.iters = value()?.parse().map_err(|e| format!("--iters: {e}"))?,
            "--export" => args.export = Some(value()?.into()),
            other => return Err(format!("unknown argument `{other}`")),
        }
    }
    Ok(args)
}

fn config(solver: &str, iters: usize) -> Result<SolverConfig, String> {
    let mut c = pinn::presets::preset(solver).ok_or(format!("unknown preset `{solver}`"))?;
    c.termination.max_iterations = iters;
    c.termination.time_limit_seconds = None;
    c.termination.gradient_tolerance = 0.0;
    c.termination.relative_loss_change_tolerance = 0.0;
    c.termination.step_tolerance = 0.0;
    c.termination.loss_tolerance = 0.0;
    Ok(c)
}

fn write_rows(path: &Path, rows: impl Iterator<Item = String>) -> std::io::Result<()> {
    let text: Vec<String> = rows.collect();
    std::fs::write(path, text.join("\n") + "\n")
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args = parse_args()?;
    let problem = load_problem(&args.problem)?;
    let theta0 = problem.initial_params();
    if let Some(dir) = &args.export {
        std::fs::create_dir_all(dir)?;
        write_rows(
            &dir.join("theta0.txt"),
            theta0.iter().map(|v| format!("{v:e}")),
        )?;
        let model = problem.residual_model();
        let mut scales = Vec::new();
        for b in model.blocks() {
            let pts = b.points();
            write_rows(
                &dir.join(format!("points_{}.txt", b.name())),
                (0..pts.nrows()).map(|i| {
                    let row: Vec<String> = (0..pts.ncols())
                        .map(|j| format!("{:e}", pts[(i, j)]))
                        .collect();
                    row.join(" ")
                }),
            )?;
            scales.push(format!("{} {:e}", b.name(), b.scale()));
        }
        write_rows(&dir.join("scales.txt"), scales.into_iter())?;
        let mut r = vec![0.0; model.n_residuals()];
        model.residuals(&theta0, &mut r);
        write_rows(&dir.join("r0.txt"), r.iter().map(|v| format!("{v:e}")))?;
    }
    for solver in &args.solvers {
        let config = config(solver, args.iters)?;
        let mut model = problem.residual_model();
        let mut solver_state = Solver::init(&mut model, &theta0, &config)?;
        let mut times = Vec::with_capacity(args.iters);
        let cpu_start = cpu_seconds();
        let start = Instant::now();
        while let Some(record) = solver_state.step(&mut model) {
            times.push(record.iteration_time);
        }
        let total = start.elapsed().as_secs_f64();
        let cpu = cpu_seconds() - cpu_start;
        times.sort_by(f64::total_cmp);
        let median = times.get(times.len() / 2).copied().unwrap_or(f64::NAN);
        let summary = solver_state.summary();
        let per = |s: f64| 1e3 * s / times.len().max(1) as f64;
        println!(
            "ours {solver} {:.4} {:.4} {:e} {:.4}",
            1e3 * median,
            per(total),
            summary.final_loss,
            per(cpu)
        );
        let t = summary.time;
        eprintln!(
            "  split (ms/it): residual+Jacobian {:.3}, matrix {:.3}, solve {:.3}, line search {:.3}",
            per(t.residual_jacobian),
            per(t.matrix),
            per(t.solve),
            per(t.line_search)
        );
    }
    Ok(())
}
