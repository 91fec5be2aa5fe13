//! argmin's own L-BFGS (Moré–Thuente line search) on the poisson2d PINN, through the
//! argmin problem traits that `pinn::residual::ResidualModel` implements.
//!
//! `cargo run --release --example argmin_lbfgs_poisson2d [ITERATIONS]`

use argmin::core::{Executor, State};
use pinn::argmin::argmin_lbfgs_more_thuente;
use pinn_solvers::config::LbfgsConfig;
use std::path::Path;
use std::time::Instant;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let iterations: u64 = match std::env::args().nth(1) {
        Some(s) => s.parse()?,
        None => 500,
    };
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("problems/poisson2d.toml");
    let problem = pinn::problem::load_problem(&path)?;
    let theta0 = problem.initial_params();
    let solver = argmin_lbfgs_more_thuente(&LbfgsConfig::default())?;
    let start = Instant::now();
    let res = Executor::new(problem.residual_model(), solver)
        .configure(|s| s.param(theta0).max_iters(iterations).counting(true))
        .run()?;
    let secs = start.elapsed().as_secs_f64();
    let state = res.state();
    let theta = state.get_best_param().ok_or("no parameters")?;
    println!("argmin LBFGS (Moré–Thuente, m = 10) on poisson2d");
    println!("  iterations:  {}", state.get_iter());
    println!("  termination: {}", state.get_termination_status());
    println!("  best loss:   {:.6e}", state.get_best_cost());
    println!("  evaluations: {:?}", state.get_func_counts());
    if let Some(e) = pinn::run::rel_l2(&problem, theta) {
        println!("  rel L2:      {e:.3e}");
    }
    println!("  time:        {secs:.2} s");
    Ok(())
}
